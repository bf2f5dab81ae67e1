"""Poisson cognitive hierarchy τ by maximum likelihood.

* Poisson cognitive hierarchy (Camerer, Ho & Chong 2004): step 0 guesses uniformly on
  ``[L, U]``; step ``k >= 1`` guesses ``x_k = p · Σ_{j<k} f_j x_j / Σ_{j<k} f_j`` (``f`` the
  Poisson(τ) pmf, ``x_0 = m``: the large-group approximation) plus Gaussian noise of standard
  deviation σ, truncated to the bounds. τ and σ maximise the likelihood of the mixture over
  steps ``0..K`` (``K >= 6``) with weights ``f_k / Σ_{j<=K} f_j``.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import optimize, special

from agora.analysis.estimate import DEFAULT_BOOT, Estimate, bootstrap, estimate_from
from agora.analysis.rationality._common import Rng, _mixture_density


def _poisson_pmf(k_max: int, tau: float) -> np.ndarray:
    k = np.arange(k_max + 1, dtype=np.float64)
    return np.exp(k * math.log(tau) - tau - special.gammaln(k + 1))


def ch_step_means(tau: float, *, p: float, lower: float, upper: float, k_max: int) -> np.ndarray:
    """Mean guess of CH steps ``0..k_max`` (large-group approximation)."""
    f = _poisson_pmf(k_max, tau)
    x = np.empty(k_max + 1)
    x[0] = (lower + upper) / 2
    acc = mass = 0.0
    for k in range(1, k_max + 1):
        acc += f[k - 1] * x[k - 1]
        mass += f[k - 1]
        x[k] = min(max(p * acc / mass, lower), upper)
    return x



def _ch_nll(values: np.ndarray, counts: np.ndarray, tau: float, sigma: float, p: float,
            lower: float, upper: float, k_max: int) -> float:
    f = _poisson_pmf(k_max, tau)
    means = ch_step_means(tau, p=p, lower=lower, upper=upper, k_max=k_max)
    d = _mixture_density(values, f / f.sum(), means, sigma, lower, upper).sum(axis=1)
    return -float(counts @ np.log(np.maximum(d, 1e-300)))


def ch_loglik(guesses: np.ndarray, tau: float, sigma: float, *, p: float, lower: float,
              upper: float, k_max: int = 10) -> float:
    """Log-likelihood of guesses under the Poisson-CH model with Gaussian noise."""
    values, counts = np.unique(np.asarray(guesses, dtype=np.float64), return_counts=True)
    return -_ch_nll(values, counts.astype(np.float64), tau, sigma, p, lower, upper, k_max)


def _fit_ch_point(values: np.ndarray, counts: np.ndarray, p: float, lower: float, upper: float,
                  k_max: int, start: tuple[float, float] | None,
                  sigma_min: float) -> tuple[float, float, float]:
    width = upper - lower
    bounds = [(math.log(1e-3), math.log(30.0)), (math.log(sigma_min), math.log(width))]

    def nll(theta: np.ndarray) -> float:
        return _ch_nll(values, counts, math.exp(theta[0]), math.exp(theta[1]), p, lower, upper,
                       k_max)

    if start is None:
        starts = [(math.log(t), math.log(s)) for t in (0.3, 0.8, 1.5, 3.0, 6.0)
                  for s in (max(sigma_min, width / 50), width / 10)]
        start_vals = [nll(np.array(s)) for s in starts]
        x0 = np.array(starts[int(np.argmin(start_vals))])
    else:
        x0 = np.log(np.array(start))
    res = optimize.minimize(nll, x0, method="L-BFGS-B", bounds=bounds)
    return math.exp(res.x[0]), math.exp(res.x[1]), -float(res.fun)


def fit_cognitive_hierarchy(guesses: np.ndarray, *, p: float, lower: float = 0.0,
                            upper: float = 100.0, k_max: int = 10, n_boot: int = DEFAULT_BOOT,
                            rng: Rng = None, level: float = 0.95,
                            sigma_min: float | None = None) -> Estimate:
    """Poisson cognitive-hierarchy τ by maximum likelihood, with the noise σ fitted jointly.

    Args:
        guesses: Observed guesses (one per independent decision).
        p: Target multiplier of the beauty contest.
        lower, upper: Bounds of the guesses.
        k_max: Highest step K of the mixture (>= 6).
        n_boot: Bootstrap replicates (0 for none).
        rng: Seed or generator of the bootstrap.
        level: Coverage of the interval.
        sigma_min: Smallest noise allowed (default: 0.1 % of the range, or 1 when every guess
            is an integer, so that rounded noise-free play does not make the likelihood
            degenerate).

    Returns:
        :class:`Estimate` of τ; ``extra`` holds ``sigma``, its interval, the log-likelihood and
        ``k_max``.
    """
    if k_max < 6:
        raise ValueError(f"fit_cognitive_hierarchy: k_max must be >= 6, got {k_max}")
    if p == 1:
        raise ValueError("fit_cognitive_hierarchy: tau is not identified when p = 1")
    g = np.asarray(guesses, dtype=np.float64).reshape(-1)
    g = g[np.isfinite(g)]
    if g.size < 2:
        raise ValueError("fit_cognitive_hierarchy: need at least two guesses")
    if np.any((g < lower - 1e-9) | (g > upper + 1e-9)):
        raise ValueError("fit_cognitive_hierarchy: guesses outside [lower, upper]")
    if sigma_min is None:
        sigma_min = 1.0 if np.all(g == np.round(g)) else (upper - lower) * 1e-3
    values, inv = np.unique(g, return_inverse=True)
    counts = np.bincount(inv, minlength=values.size).astype(np.float64)
    tau, sigma, ll = _fit_ch_point(values, counts, p, lower, upper, k_max, None, sigma_min)
    sig_draws: list[float] = []

    def refit(idx: np.ndarray) -> float:
        c = np.bincount(inv[idx], minlength=values.size).astype(np.float64)
        keep = c > 0
        t, s, _ = _fit_ch_point(values[keep], c[keep], p, lower, upper, k_max, (tau, sigma),
                                sigma_min)
        sig_draws.append(s)
        return t

    draws = bootstrap(refit, g.size, n_boot=n_boot, rng=rng) if n_boot else np.array([])
    a = (1 - level) / 2
    s_lo, s_hi = (np.quantile(sig_draws, [a, 1 - a]) if len(sig_draws) >= 2
                  else (math.nan, math.nan))
    return estimate_from(tau, draws, g.size, name="tau", level=level,
                         method="Poisson-CH maximum likelihood, percentile bootstrap",
                         extra={"sigma": sigma, "sigma_ci_low": float(s_lo),
                                "sigma_ci_high": float(s_hi), "loglik": ll,
                                "k_max": float(k_max)})
