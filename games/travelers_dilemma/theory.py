"""Theory of the traveler's dilemma (Basu 1994; Capra, Goeree, Gomez & Holt 1999).

Payoffs of claims ``x_i`` against ``x_j`` with reward/penalty ``R``: ``x_i`` when equal,
``x_i + R`` for the lower claim, ``x_j − R`` for the higher one, i.e.
``min(x_i, x_j) + R·sign(x_j − x_i)``. With integer claims and ``R > 1`` the best response to a
claim ``x > L`` is ``x − 1`` (and ``L`` to ``L``), so iterated deletion of dominated claims
leaves only the minimum: the unique Nash equilibrium is ``(L, L)`` for every ``R > 1``. For
``R <= 1`` undercutting does not pay and every common claim ``(x, x)`` is an equilibrium.

Level 0 claims uniformly at random; level 1 best-responds to it; level ``k`` to level
``k − 1``; Poisson cognitive-hierarchy step ``k`` best-responds to the normalised mix of the
lower steps (Camerer, Ho & Chong 2004). Best responses take the lowest claim on ties. The logit
QRE (Capra et al.'s "stochastic generalization of the Nash equilibrium") is computed by the
analysis layer from :func:`payoffs` through the game's payoff hook.

This module satisfies :class:`agora.engine.contract.SimultaneousTheory`.
"""

from __future__ import annotations

import math

import numpy as np

from games.travelers_dilemma.config import TravelersConfig


def payoffs(config: TravelersConfig, own: np.ndarray, other: np.ndarray) -> np.ndarray:
    """Payoff of claims ``own`` against claims ``other`` (broadcasting)."""
    a = np.asarray(own, dtype=np.float64)
    b = np.asarray(other, dtype=np.float64)
    return np.minimum(a, b) + config.reward * np.sign(b - a)


def claims(config: TravelersConfig) -> np.ndarray:
    """Every legal claim, ascending."""
    return np.arange(config.low, config.high + 1, dtype=np.float64)


def expected_payoffs(config: TravelersConfig, grid: np.ndarray,
                     belief: np.ndarray) -> np.ndarray:
    """Expected payoff of each claim of ``grid`` against a partner who claims :func:`claims`
    with probabilities ``belief``: ``(a + R)·P(other > a) + a·P(other = a) +
    E[other − R; other < a]``, by cumulative sums (linear in the number of claims)."""
    a = np.asarray(grid, dtype=np.float64)
    values = claims(config)
    p = np.asarray(belief, dtype=np.float64)
    if p.shape != values.shape:
        raise ValueError(f"travelers_dilemma: a belief needs {values.size} probabilities, got "
                         f"shape {p.shape}")
    mass = np.concatenate([[0.0], np.cumsum(p)])
    total = np.concatenate([[0.0], np.cumsum(p * values)])
    below = np.searchsorted(values, a, side="left")
    upto = np.searchsorted(values, a, side="right")
    p_below, p_equal = mass[below], mass[upto] - mass[below]
    p_above = mass[-1] - mass[upto]
    return (p_above * (a + config.reward) + p_equal * a
            + total[below] - config.reward * p_below)


def best_response(config: TravelersConfig, belief: np.ndarray) -> float:
    """Claim maximising the expected payoff against ``belief``; the lowest one on ties."""
    grid = claims(config)
    expected = expected_payoffs(config, grid, belief)
    return float(grid[np.flatnonzero(expected >= expected.max() - 1e-9)[0]])


def point_belief(config: TravelersConfig, claim: float) -> np.ndarray:
    """Belief that the partner claims ``claim`` (a legal whole claim) for sure."""
    belief = np.zeros(config.n_claims)
    belief[round(float(claim)) - config.low] = 1.0
    return belief


def uniform_belief(config: TravelersConfig) -> np.ndarray:
    """Level-0 belief: every legal claim equally likely."""
    return np.full(config.n_claims, 1.0 / config.n_claims)


def equilibrium_action(config: TravelersConfig) -> float:
    """The minimum claim: the unique Nash equilibrium for ``R > 1`` (one of many for
    ``R <= 1``, see :func:`pure_equilibria`)."""
    return float(config.low)


def pure_equilibria(config: TravelersConfig) -> np.ndarray:
    """Claims ``x`` with ``(x, x)`` a Nash equilibrium (no asymmetric profile is one): the
    minimum alone when ``R > 1``, every claim when ``R <= 1``."""
    return claims(config)[:1] if config.reward > 1 else claims(config)


def level_k_action(config: TravelersConfig, k: int) -> float:
    """Claim of a level-k traveler (``k >= 1``); level 0 claims uniformly at random.

    Against a sure claim ``x > L`` the lowest best response is ``x − 1`` when ``R >= 1`` (a tie
    with ``x`` at ``R = 1``) and ``x`` itself when ``R < 1``.
    """
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise ValueError(f"level-k claims are defined for integers k >= 1 (level 0 is random), "
                         f"got {k!r}")
    claim = best_response(config, uniform_belief(config))
    step = 1 if config.reward >= 1 else 0
    return max(float(config.low), claim - step * (int(k) - 1))


def ch_actions(config: TravelersConfig, tau: float, k_max: int) -> np.ndarray:
    """Claims of cognitive-hierarchy steps ``0..k_max``; entry 0 is level-0's mean claim."""
    if not (math.isfinite(tau) and tau > 0):
        raise ValueError(f"cognitive hierarchy tau must be > 0, got {tau}")
    if isinstance(k_max, bool) or not isinstance(k_max, int | np.integer) or k_max < 0:
        raise ValueError(f"cognitive hierarchy k_max must be an integer >= 0, got {k_max!r}")
    weights = np.cumprod([1.0, *(tau / k for k in range(1, k_max + 1))])  # Poisson, unscaled
    out = np.empty(k_max + 1)
    out[0] = (config.low + config.high) / 2
    mix = np.zeros((k_max + 1, config.n_claims))
    mix[0] = uniform_belief(config)
    for k in range(1, k_max + 1):
        belief = weights[:k] @ mix[:k] / weights[:k].sum()
        out[k] = best_response(config, belief)
        mix[k] = point_belief(config, out[k])
    return out


def action_utilities(config: TravelersConfig, grid: np.ndarray,
                     belief_mean: float | None = None) -> np.ndarray:
    """Expected payoff of each claim of ``grid`` under the game's payoff rule: against a
    uniformly random partner (level 0), or against a partner claiming ``belief_mean``."""
    if belief_mean is not None:
        return payoffs(config, grid, np.float64(belief_mean))
    return expected_payoffs(config, grid, uniform_belief(config))
