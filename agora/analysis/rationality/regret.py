"""External regret and the rate of convergence to equilibrium.

* External regret ``R_T = max_a Σ_t u(a, a₋ᵢᵗ) − Σ_t u(aᵢᵗ, a₋ᵢᵗ)`` (Hannan 1957); convergence
  rate ρ from ``log d_t = c + t log ρ`` fitted to the mean distance to equilibrium by round.
"""

from __future__ import annotations

import math

import numpy as np

from agora.analysis.estimate import DEFAULT_BOOT, Estimate, bootstrap, estimate_from
from agora.analysis.rationality._common import Rng


def external_regret(counterfactual: np.ndarray, chosen: np.ndarray | None = None, *,
                    realised: np.ndarray | None = None) -> float:
    """External regret ``max_a Σ_t U[t, a] − Σ_t u_t`` of one agent.

    Args:
        counterfactual: ``(T, A)`` payoff each action would have earned in each round against
            the others' actual play.
        chosen: ``(T,)`` indices of the actions taken (their payoffs are read off
            ``counterfactual``), or
        realised: ``(T,)`` payoffs actually earned.
    """
    u = np.asarray(counterfactual, dtype=np.float64)
    if u.ndim != 2:
        raise ValueError("counterfactual must have shape (T, A)")
    if (chosen is None) == (realised is None):
        raise ValueError("pass exactly one of chosen or realised")
    if chosen is not None:
        c = np.asarray(chosen, dtype=np.int64)
        got = u[np.arange(u.shape[0]), c].sum()
    else:
        got = np.asarray(realised, dtype=np.float64).sum()
    return float(u.sum(axis=0).max() - got)


def regret_path(counterfactual: np.ndarray, realised: np.ndarray) -> np.ndarray:
    """Cumulative external regret after each round ``t = 1..T``."""
    u = np.cumsum(np.asarray(counterfactual, dtype=np.float64), axis=0)
    r = np.cumsum(np.asarray(realised, dtype=np.float64))
    return u.max(axis=1) - r


def convergence_rate(distances: np.ndarray, *, n_boot: int = DEFAULT_BOOT, rng: Rng = None,
                     level: float = 0.95, floor: float = 1e-9) -> Estimate:
    """Per-round contraction ρ of the distance to equilibrium, ``d_t ≈ d_0·ρ^t``.

    ``distances`` is ``(instances, rounds)``; ρ comes from least squares of ``log`` of the
    mean distance over instances on the round, and the bootstrap resamples instances.
    ``extra`` has the half-life ``ln 2 / −ln ρ`` (inf when not converging).
    """
    d = np.asarray(distances, dtype=np.float64)
    if d.ndim != 2 or d.shape[1] < 2:
        raise ValueError("convergence_rate: need distances of shape (instances, rounds >= 2)")
    t = np.arange(d.shape[1], dtype=np.float64)

    def rate(rows: np.ndarray) -> float:
        m = np.maximum(np.nanmean(d[rows], axis=0), floor)
        slope = np.polyfit(t, np.log(m), 1)[0]
        return float(math.exp(slope))

    rho = rate(np.arange(d.shape[0]))
    draws = bootstrap(rate, d.shape[0], n_boot=n_boot, rng=rng) if n_boot else np.array([])
    half = math.log(2) / -math.log(rho) if rho < 1 else math.inf
    return estimate_from(rho, draws, d.shape[0], name="rho", level=level,
                         method="log-linear fit of mean distance by round",
                         extra={"half_life_rounds": half,
                                "first_round_distance": float(np.nanmean(d[:, 0])),
                                "last_round_distance": float(np.nanmean(d[:, -1]))})
