"""Cognitive-hierarchy τ by matching the mean guess: Camerer, Ho & Chong's (2004) own method.

τ is the value whose noise-free predicted mean (:func:`ch_predicted_mean`) equals the data mean;
its interval resamples the guesses, recomputes the mean and solves again (percentile
bootstrap; CHC print 90 % intervals). The predicted mean falls (p < 1) or rises (p > 1)
from the midpoint at τ = 0 towards the equilibrium guess as τ grows, so τ is found by
bisection; with whole-number best responses the predicted mean moves in small steps and the
solution is where it crosses the data mean. A data mean beyond the midpoint (on the far side
from the equilibrium) gives τ = 0, one closer to the equilibrium than the mean at ``tau_max``
gives ``tau_max``: both are flagged ``at_bound``.
"""

from __future__ import annotations

import numpy as np

from agora.analysis.estimate import DEFAULT_BOOT, Estimate, estimate_from, make_rng
from agora.analysis.rationality._common import Rng
from agora.analysis.rationality.ch_model import ch_predicted_mean


def ch_tau_for_mean(target: float, *, p: float, lower: float = 0.0, upper: float = 100.0,
                    whole_numbers: bool = True, k_max: int = 10, tau_max: float = 30.0,
                    tol: float = 1e-6) -> float:
    """τ whose predicted mean equals ``target`` (clamped to ``[0, tau_max]``)."""
    if p == 1:
        raise ValueError("ch_tau_for_mean: tau is not identified when p = 1")
    sign = 1.0 if p < 1 else -1.0  # the predicted mean moves by -sign as tau grows

    def above(tau: float) -> bool:
        m = ch_predicted_mean(tau, p=p, lower=lower, upper=upper, whole_numbers=whole_numbers,
                              k_max=k_max)
        return sign * (m - target) > 0

    if not above(0.0):
        return 0.0
    if above(tau_max):
        return float(tau_max)
    lo, hi = 0.0, float(tau_max)
    while hi - lo > tol:
        mid = (lo + hi) / 2
        if above(mid):
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def fit_ch_moment(guesses: np.ndarray, *, p: float, lower: float = 0.0, upper: float = 100.0,
                  whole_numbers: bool | None = None, k_max: int = 10, tau_max: float = 30.0,
                  n_boot: int = DEFAULT_BOOT, rng: Rng = None, level: float = 0.90) -> Estimate:
    """CH τ matching the data mean, with a percentile bootstrap interval (CHC 2004, Table II).

    Args:
        guesses: Observed guesses (one per independent decision), inside ``[lower, upper]``.
        p: Target multiplier.
        lower, upper: Bounds of the guesses.
        whole_numbers: Whole-number best responses (CHC's; see
            :mod:`~agora.analysis.rationality.ch_model`); ``None``: when every guess is whole.
        k_max: Smallest highest step of the Poisson (raised with τ).
        tau_max: Upper end of the search.
        n_boot, rng, level: Bootstrap settings (default level 0.90, as CHC print).

    Returns:
        :class:`Estimate` of τ with ``extra["data_mean"]`` and ``extra["predicted_mean"]``.
    """
    if p == 1:
        raise ValueError("fit_ch_moment: tau is not identified when p = 1")
    g = np.asarray(guesses, dtype=np.float64).reshape(-1)
    g = g[np.isfinite(g)]
    if g.size < 1:
        raise ValueError("fit_ch_moment: need at least one guess")
    if np.any((g < lower - 1e-9) | (g > upper + 1e-9)):
        raise ValueError("fit_ch_moment: guesses outside [lower, upper]")
    whole = bool(np.all(g == np.round(g))) if whole_numbers is None else whole_numbers
    kw = {"p": p, "lower": lower, "upper": upper, "whole_numbers": whole, "k_max": k_max,
          "tau_max": tau_max}
    mean = float(g.mean())
    tau = ch_tau_for_mean(mean, **kw)
    draws = np.array([])
    if n_boot:
        gen = make_rng(rng)
        means = g[gen.integers(0, g.size, size=(n_boot, g.size))].mean(axis=1)
        draws = np.array([ch_tau_for_mean(float(m), **kw) for m in means])
    pred = ch_predicted_mean(tau, p=p, lower=lower, upper=upper, whole_numbers=whole,
                             k_max=k_max)
    rule = "whole-number" if whole else "exact"
    return estimate_from(tau, draws, g.size, name="tau", level=level,
                         method=f"CH mean matching (CHC 2004), {rule} best responses, "
                                "percentile bootstrap",
                         extra={"data_mean": mean, "predicted_mean": pred,
                                "whole_numbers": float(whole)},
                         bounds=(0.0, tau_max), support=(0.0, np.inf))
