"""Poisson cognitive hierarchy τ: maximum likelihood of a noisy CH mixture, or CHC's mean matching.

The model (:mod:`~agora.analysis.rationality.ch_model`): step 0 guesses uniformly, step k at its
(whole-number) best response ``x_k`` plus noise, steps in Poisson(τ) shares. Two ways to fit τ:

* ``method="likelihood"`` (default): τ, the noise σ and an equilibrium spike share ω maximise
  ``Π_i [ω·N⁺(e, s²) + (1 − ω)·(f_0·U(L, U) + Σ_{k>=1} f_k·N⁺(x_k, σ_k²))]`` (``N⁺`` truncated
  to the bounds, ``e`` the equilibrium guess, ``s`` the smallest noise). **The spike** holds the
  guesses at the equilibrium (0 or 1 in a 0-100 contest, the theorists of Bosch-Domènech et al.
  2002): the model treats them as a separate type that plays the equilibrium, reports their
  share ω as ``extra["spike_share"]``, and τ describes the other guessers. **The noise** is
  proportional by default: ``σ_k = σ·|x_k − e|/|x_1 − e|`` (at least ``s``), so the steps near
  the equilibrium are tight. With one shared σ (``noise="constant"``) a smooth spread of low
  guesses is fitted as "everyone on a high step, σ ≈ 30", which sends τ to its bound on field
  data; proportional noise cannot do that, and a step's noise grows with its distance from the
  equilibrium as guesses' errors grow with their size. Best responses are exact by default.
* ``method="moment"``: CHC's (2004) own estimator, τ whose noise-free predicted mean equals the
  data mean (:func:`~agora.analysis.rationality.ch_moment.fit_ch_moment`), 90 % interval.

Both mark an estimate at the end of its search range ``at_bound`` (with a warning).
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
from scipy import optimize, special

from agora.analysis.estimate import (
    DEFAULT_BOOT,
    BoundWarning,
    Estimate,
    bootstrap,
    estimate_from,
)
from agora.analysis.rationality._common import Rng
from agora.analysis.rationality.ch_model import ch_density
from agora.analysis.rationality.ch_moment import fit_ch_moment

TAU_MIN = 1e-3
_LOGIT_MAX = 15.0


def ch_loglik(guesses: np.ndarray, tau: float, sigma: float, *, p: float, lower: float,
              upper: float, k_max: int = 10, spike: float = 0.0, whole_numbers: bool = False,
              noise: str = "constant", sigma_min: float = 1.0) -> float:
    """Log-likelihood of guesses under the CH mixture (defaults: the plain CH model with one
    Gaussian noise σ, exact best responses, no spike)."""
    g = np.asarray(guesses, dtype=np.float64).reshape(-1)
    d = ch_density(g, tau, sigma, spike, p=p, lower=lower, upper=upper, k_max=k_max,
                   whole_numbers=whole_numbers, noise=noise, sigma_min=sigma_min)
    return float(np.log(np.maximum(d, 1e-300)).sum())


class _Problem:
    """The data (unique values and counts) and fixed settings of one likelihood fit."""

    def __init__(self, values: np.ndarray, counts: np.ndarray, settings: dict[str, Any],
                 spike: bool, tau_max: float, sigma_min: float, width: float) -> None:
        self.values, self.counts, self.settings, self.spike = values, counts, settings, spike
        self.sigma_min, self.width = sigma_min, width
        self.bounds = [(math.log(TAU_MIN), math.log(tau_max)),
                       (math.log(sigma_min), math.log(width))]
        if spike:
            self.bounds.append((-_LOGIT_MAX, _LOGIT_MAX))

    def params(self, theta: np.ndarray) -> tuple[float, float, float]:
        w = float(special.expit(theta[2])) if self.spike else 0.0
        return math.exp(theta[0]), math.exp(theta[1]), w

    def nll(self, theta: np.ndarray) -> float:
        tau, sigma, w = self.params(theta)
        d = ch_density(self.values, tau, sigma, w, **self.settings)
        return -float(self.counts @ np.log(np.maximum(d, 1e-300)))

    def fit(self, start: tuple[float, float, float] | None) -> tuple[float, float, float, float]:
        if start is None:
            spikes = (0.01, 0.2) if self.spike else (0.0,)
            starts = [self._theta(t, s, w) for t in (0.3, 0.8, 1.5, 3.0, 6.0, 15.0)
                      for s in (max(self.sigma_min, self.width / 50), self.width / 10)
                      for w in spikes]
            x0 = min(starts, key=self.nll)
        else:
            x0 = self._theta(*start)
        # derivative-free: whole-number best responses make the likelihood jump in τ
        res = optimize.minimize(self.nll, x0, method="Nelder-Mead", bounds=self.bounds,
                                options={"xatol": 1e-4, "fatol": 1e-6, "maxfev": 2000})
        tau, sigma, w = self.params(res.x)
        return tau, sigma, w, -float(res.fun)

    def _theta(self, tau: float, sigma: float, w: float) -> np.ndarray:
        lo = [b[0] for b in self.bounds]
        hi = [b[1] for b in self.bounds]
        th = [math.log(tau), math.log(sigma)]
        if self.spike:
            th.append(float(special.logit(min(max(w, 1e-6), 1 - 1e-6))))
        return np.clip(np.array(th), lo, hi)


def fit_cognitive_hierarchy(guesses: np.ndarray, *, p: float, lower: float = 0.0,
                            upper: float = 100.0, k_max: int = 10, n_boot: int = DEFAULT_BOOT,
                            rng: Rng = None, level: float | None = None,
                            sigma_min: float | None = None, method: str = "likelihood",
                            noise: str = "proportional", spike: bool = True,
                            whole_numbers: bool | None = None,
                            tau_max: float = 30.0) -> Estimate:
    """Poisson cognitive-hierarchy τ (see the module docstring for the models).

    Args:
        guesses: Observed guesses (one per independent decision).
        p: Target multiplier of the beauty contest.
        lower, upper: Bounds of the guesses.
        k_max: Smallest highest step of the Poisson mixture (>= 6; raised with τ).
        n_boot: Bootstrap replicates (0 for none).
        rng: Seed or generator of the bootstrap.
        level: Coverage of the interval (default 0.95; 0.90, as CHC print, for ``"moment"``).
        sigma_min: Smallest noise, also the spike's width (default: 1 when every guess is a
            whole number, so that rounded noise-free play does not make the likelihood
            degenerate, else 0.1 % of the range).
        method: ``"likelihood"`` or ``"moment"`` (CHC's mean matching).
        noise: ``"proportional"`` or ``"constant"`` step noise (likelihood only).
        spike: Include the equilibrium spike (likelihood only).
        whole_numbers: Whole-number best responses (CHC's). Default: off for the likelihood
            (cutting best responses to whole numbers makes the likelihood jump in τ, and its
            bootstrap refits stick at the jumps), on for ``"moment"`` when every guess is whole.
        tau_max: Upper end of the search for τ.

    Returns:
        :class:`Estimate` of τ (``at_bound`` when τ ends at ``TAU_MIN`` or ``tau_max``). The
        likelihood's ``extra`` holds ``sigma`` (step 1's noise), ``spike_share`` and their
        intervals, ``sigma_at_bound`` (1 when σ ends at the width of the range, with a
        :class:`~agora.analysis.estimate.BoundWarning`), the log-likelihood and ``k_max``.
    """
    if k_max < 6:
        raise ValueError(f"fit_cognitive_hierarchy: k_max must be >= 6, got {k_max}")
    if p == 1:
        raise ValueError("fit_cognitive_hierarchy: tau is not identified when p = 1")
    if method not in ("likelihood", "moment"):
        raise ValueError(f"fit_cognitive_hierarchy: method must be 'likelihood' or 'moment', "
                         f"got {method!r}")
    if noise not in ("proportional", "constant"):
        raise ValueError(f"fit_cognitive_hierarchy: noise must be 'proportional' or 'constant', "
                         f"got {noise!r}")
    if not tau_max > TAU_MIN:
        raise ValueError(f"fit_cognitive_hierarchy: tau_max must exceed {TAU_MIN}")
    g = np.asarray(guesses, dtype=np.float64).reshape(-1)
    g = g[np.isfinite(g)]
    if g.size < 2:
        raise ValueError("fit_cognitive_hierarchy: need at least two guesses")
    if np.any((g < lower - 1e-9) | (g > upper + 1e-9)):
        raise ValueError("fit_cognitive_hierarchy: guesses outside [lower, upper]")
    if method == "moment":  # it resolves whole_numbers=None from the data itself
        return fit_ch_moment(g, p=p, lower=lower, upper=upper, whole_numbers=whole_numbers,
                             k_max=k_max, tau_max=tau_max, n_boot=n_boot, rng=rng,
                             level=0.90 if level is None else level)
    whole = bool(whole_numbers)
    level = 0.95 if level is None else level
    if sigma_min is None:
        sigma_min = 1.0 if np.all(g == np.round(g)) else (upper - lower) * 1e-3
    values, inv = np.unique(g, return_inverse=True)
    counts = np.bincount(inv, minlength=values.size).astype(np.float64)
    settings: dict[str, Any] = {"p": p, "lower": lower, "upper": upper, "k_max": k_max,
                                "whole_numbers": whole, "noise": noise, "sigma_min": sigma_min}

    def problem(v: np.ndarray, c: np.ndarray, with_spike: bool) -> _Problem:
        return _Problem(v, c, settings, with_spike, tau_max, sigma_min, upper - lower)

    tau, sigma, w, ll = problem(values, counts, spike).fit(None)
    use_spike = spike
    if spike and (1 - w) * g.size < 2:  # the spike holds every guess: no CH part to fit
        use_spike = False
        tau, sigma, w, ll = problem(values, counts, False).fit(None)
    sigma_at_bound = sigma >= (upper - lower) * (1 - 1e-6)
    if sigma_at_bound:
        warnings.warn(f"CH noise sigma = {sigma:.4g} sits at its upper bound {upper - lower:.4g} "
                      "(the width of the range): the steps are not told apart from noise",
                      BoundWarning, stacklevel=2)
    extra_draws: list[tuple[float, float]] = []

    def refit(idx: np.ndarray) -> float:
        c = np.bincount(inv[idx], minlength=values.size).astype(np.float64)
        keep = c > 0
        t, s, ws, _ = problem(values[keep], c[keep], use_spike).fit((tau, sigma, w))
        extra_draws.append((s, ws))
        return t

    draws = bootstrap(refit, g.size, n_boot=n_boot, rng=rng) if n_boot else np.array([])
    a = (1 - level) / 2
    ex = np.array(extra_draws) if len(extra_draws) >= 2 else np.full((2, 2), math.nan)
    s_lo, s_hi = np.quantile(ex[:, 0], [a, 1 - a])
    w_lo, w_hi = np.quantile(ex[:, 1], [a, 1 - a])
    parts = [f"{noise} step noise", f"{'whole-number' if whole else 'exact'} best responses"]
    if use_spike:
        parts.append("equilibrium spike")
    return estimate_from(tau, draws, g.size, name="tau", level=level,
                         method=f"Poisson-CH maximum likelihood ({', '.join(parts)}), "
                                "percentile bootstrap",
                         extra={"sigma": sigma, "sigma_ci_low": float(s_lo),
                                "sigma_ci_high": float(s_hi), "spike_share": w,
                                "spike_share_ci_low": float(w_lo),
                                "spike_share_ci_high": float(w_hi), "loglik": ll,
                                "sigma_at_bound": float(sigma_at_bound),
                                "k_max": float(k_max)},
                         bounds=(TAU_MIN, tau_max), support=(0.0, math.inf))
