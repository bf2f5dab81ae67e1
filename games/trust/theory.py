"""Theory of the trust game (Berg, Dickhaut & McCabe 1995).

The sender sends ``s`` of its endowment ``E``; ``m·s`` arrives; the receiver returns
``r ∈ [0, m·s]``. Payoffs: sender ``E − s + r``, receiver ``R + m·s − r``.

* Subgame-perfect equilibrium with selfish players: whatever arrived, returning anything
  lowers the receiver's payoff, so the receiver returns 0; anticipating that, the sender's
  payoff ``E − s`` is highest at ``s = 0``. Both SPE moves are 0, so :func:`equilibrium_action`
  (one number for every decision, what the ``equilibrium`` policy plays) is 0 for both roles.
* Efficiency: total payoff ``E + R + (m − 1)·s`` rises with ``s`` when ``m > 1``, so the
  efficient outcome sends everything (any return only splits the surplus).
* Level-k with a uniformly random level-0 receiver (returns uniform on ``[0, m·s]``, mean
  ``m·s/2``): a level-1 sender's expected payoff ``E + (m/2 − 1)·s`` makes it send everything
  when ``m > 2``, nothing when ``m < 2``; every level-k receiver (k >= 1) returns 0, so
  senders of level 2 and above send 0 (:func:`sender_level_k`).

The moves depend on the role and on what arrived, so this theory is neither of the contract's
protocols: it gives the SPE move as :func:`equilibrium_action` (config) and
:func:`equilibrium_actions` (the game's decision view), and scripted level-k, cognitive
hierarchy and quantal-response policies, which need one role-free action table, are refused
with a one-line error naming the missing function.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from games.trust.config import TrustConfig


def payoffs(config: TrustConfig, sent: np.ndarray,
            returned: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sender, receiver) payoffs of a round."""
    s = np.asarray(sent, dtype=np.float64)
    r = np.asarray(returned, dtype=np.float64)
    return (config.endowment - s + r,
            config.receiver_endowment + config.multiplier * s - r)


def equilibrium_action(config: TrustConfig) -> float:
    """The subgame-perfect move of both roles: send 0, return 0."""
    return 0.0


def equilibrium_actions(view: Any) -> np.ndarray:
    """Subgame-perfect move of every decision of a :class:`~games.trust.env.TrustView`: 0."""
    return np.zeros(len(view))


def spe_outcome(config: TrustConfig) -> dict[str, float]:
    """Sent, returned and both payoffs on the subgame-perfect path."""
    s, r = payoffs(config, np.float64(0.0), np.float64(0.0))
    return {"sent": 0.0, "returned": 0.0, "sender_payoff": float(s),
            "receiver_payoff": float(r)}


def efficient_sent(config: TrustConfig) -> float:
    """The amount sent that maximises total payoff: everything (multiplier > 1)."""
    return float(config.endowment) if config.multiplier > 1 else 0.0


def total_payoff(config: TrustConfig, sent: np.ndarray) -> np.ndarray:
    """Sum of both payoffs of a round (returns only split it)."""
    return (config.endowment + config.receiver_endowment
            + (config.multiplier - 1) * np.asarray(sent, dtype=np.float64))


def efficiency(config: TrustConfig, sent: np.ndarray) -> np.ndarray:
    """Total payoff over its efficient maximum (1 when everything is sent)."""
    return total_payoff(config, sent) / total_payoff(config, np.float64(efficient_sent(config)))


def sender_level_k(config: TrustConfig, k: int) -> float:
    """Amount a level-k sender sends (k >= 1) when level-0 receivers return uniformly at
    random: level 1 sends everything if ``m > 2`` and nothing if ``m <= 2`` (indifferent at
    exactly 2: the lowest amount); higher levels face selfish receivers and send 0."""
    if k < 1:
        raise ValueError(f"level-k senders are defined for k >= 1 (level 0 is random), got {k}")
    if k == 1 and config.multiplier > 2:
        return float(config.endowment)
    return 0.0


def return_ratio(config: TrustConfig, sent: np.ndarray, returned: np.ndarray) -> np.ndarray:
    """Share of what arrived that was returned, ``r / (m·s)``; NaN where nothing was sent."""
    arrived = config.multiplier * np.asarray(sent, dtype=np.float64)
    r = np.asarray(returned, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(arrived > 0, r / np.where(arrived > 0, arrived, 1.0), np.nan)
