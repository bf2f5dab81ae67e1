"""Payoffs and selfish benchmarks of the linear public goods game.

Stage 1: ``pi1_i = e - c_i + MPCR * sum_j c_j`` over the group. Punishment stage (optional):
player ``i`` assigns ``p_ij`` in 0..P points to each other member ``j`` at cost
``cost[p_ij]``; with ``P_i`` points received the final payoff is
``pi1_i * max(0, 1 - cut * P_i) - sum_j cost[p_ij]`` (Fehr & Gächter 2000's form).

* Contribution: d pi1_i / d c_i = MPCR - 1, so with MPCR < 1 contributing 0 is strictly
  dominant (the Nash contribution is 0); with MPCR > 1 contributing e is.
* Efficiency: the group's total is ``n e + (n MPCR - 1) sum c``, maximal at full contribution
  when ``n MPCR > 1``.
* Punishment: points cost the punisher ``cost[p] >= 0`` and never raise her own income, so a
  selfish player punishes no one in the last stage; by backward induction no one punishes in
  any round and contributions are as without punishment (subgame-perfect play). With
  ``cost[p] > 0`` for every ``p > 0`` (the default schedule) zero points are strictly best.

The moves depend on the stage a player is at, so the module is the game's
:class:`~agora.engine.contract.SequentialTheory` (``equilibrium_actions`` of a decision view).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from games.public_goods.config import PublicGoodsConfig


def stage1_payoffs(config: PublicGoodsConfig, contributions: np.ndarray) -> np.ndarray:
    """First-stage income of each member; ``contributions`` has shape ``(..., n)``."""
    c = np.asarray(contributions, dtype=np.float64)
    return config.endowment - c + config.mpcr * c.sum(axis=-1, keepdims=True)


def punishment_outcome(config: PublicGoodsConfig, income: np.ndarray,
                       points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(final payoff, points received)`` of each member.

    ``income`` has shape ``(..., n)``; ``points[..., i, j]`` are the points ``i`` gives ``j``
    (shape ``(..., n, n)``, the diagonal ignored).
    """
    p = np.asarray(points, dtype=np.int64).copy()
    n = p.shape[-1]
    p[..., np.arange(n), np.arange(n)] = 0
    costs = np.asarray(config.punishment_costs)
    spent = costs[p].sum(axis=-1)
    received = p.sum(axis=-2).astype(np.float64)
    kept = np.maximum(0.0, 1.0 - config.punishment_cut * received)
    return np.asarray(income, dtype=np.float64) * kept - spent, received


def conditional_outcome(config: PublicGoodsConfig, unconditional: np.ndarray,
                        tables: np.ndarray, chosen: np.ndarray) -> np.ndarray:
    """Contributions of strategy-method groups (Fischbacher, Gächter & Fehr 2001).

    ``unconditional`` has shape ``(g, n)``, ``tables`` ``(g, n, e + 1)`` (the contribution for
    each rounded average of the others 0..e), ``chosen`` ``(g,)`` the member whose table
    counts: that member contributes her table's entry at the others' rounded unconditional
    average (halves rounded up); the others contribute unconditionally.
    """
    u = np.asarray(unconditional, dtype=np.float64)
    rows = np.arange(u.shape[0])
    n = u.shape[1]
    others = (u.sum(axis=1) - u[rows, chosen]) / (n - 1)
    avg = np.floor(others + 0.5).astype(np.int64)
    out = u.copy()
    out[rows, chosen] = np.asarray(tables)[rows, chosen, avg]
    return out


def equilibrium_contribution(config: PublicGoodsConfig) -> float:
    """Nash contribution of selfish players: 0 if MPCR < 1, e if MPCR > 1 (every
    contribution is a best response when MPCR = 1; 0 is reported)."""
    return float(config.endowment) if config.mpcr > 1 else 0.0


def efficient_contribution(config: PublicGoodsConfig) -> float:
    """Contribution maximising the group's total payoff: e if n MPCR > 1, else 0."""
    return float(config.endowment) if config.group_size * config.mpcr > 1 else 0.0


def equilibrium_points(config: PublicGoodsConfig) -> int:
    """Points a selfish player assigns in subgame-perfect play: none."""
    return 0


def is_social_dilemma(config: PublicGoodsConfig) -> bool:
    """Whether 1/n < MPCR < 1: free riding dominant, full contribution efficient."""
    return 1.0 / config.group_size < config.mpcr < 1.0


def payoff_bounds(config: PublicGoodsConfig) -> tuple[float, float]:
    """Bounds of every step reward: first-stage income, and the punishment stage's change
    (from losing all income and paying the most points to everyone, to nothing)."""
    e, n, a = config.endowment, config.group_size, config.mpcr
    top = max(e + a * (n - 1) * e, a * n * e)
    low = min(0.0, a * e) if a < 1 else 0.0
    if config.punishment:
        low = -top - (n - 1) * config.punishment_costs[-1]
    return min(low, 0.0), float(top)


def equilibrium_actions(view: Any) -> np.ndarray:
    """Subgame-perfect move of each decision of a decision view (what the ``equilibrium``
    policy plays): the selfish equilibrium contribution, no punishment points, and a
    contribution table of that contribution everywhere."""
    c = view.config
    x = int(equilibrium_contribution(c))
    out = np.empty(len(view), dtype=object)
    for i in range(len(view)):
        spec = view.spec_at(i)
        if spec.name == "points":
            out[i] = {"points": [equilibrium_points(c)] * len(spec.counts)}
        elif spec.name == "contributions":
            out[i] = {"contributions": [x] * len(spec.counts)}
        else:
            out[i] = {spec.name: float(x)}
    return view.validated(out)
