"""Bargaining solutions on a finite set of feasible agreements.

The Nash (1950) bargaining solution of a feasible set with disagreement point ``d`` maximises
the (generalised, weight ``w``) Nash product ``(u₁ − d₁)^w (u₂ − d₂)^(1−w)`` over the agreements
that improve on ``d`` for both players. :func:`nash_bargaining_index` solves it numerically for
any finite set of utility pairs (item allocations, price grids, ...).

Closed forms for a divisible pie live with the game whose theory needs them: the split
``x₁ = d₁ + w(π − d₁ − d₂)`` (``nash_bargaining_payoffs``) and Rubinstein's (1982) proposer
share (``rubinstein_share``) in ``games/bargaining/theory.py``.
"""

from __future__ import annotations

import numpy as np


def nash_bargaining_index(u1: np.ndarray, u2: np.ndarray, d: tuple[float, float] = (0.0, 0.0),
                          weight: float = 0.5) -> int:
    """Index of the feasible point ``(u1[i], u2[i])`` maximising the Nash product.

    Raises:
        ValueError: ``weight`` outside [0, 1], or no point improves on ``d`` for both players.
    """
    if not 0 <= weight <= 1:
        raise ValueError(f"weight must lie in [0, 1], got {weight}")
    a, b = np.asarray(u1, dtype=np.float64), np.asarray(u2, dtype=np.float64)
    ok = (a > d[0]) & (b > d[1])
    if not ok.any():
        raise ValueError("no feasible point improves on the disagreement point for both")
    with np.errstate(divide="ignore", invalid="ignore"):
        obj = np.where(ok, weight * np.log(a - d[0]) + (1 - weight) * np.log(b - d[1]), -np.inf)
    return int(np.argmax(obj))
