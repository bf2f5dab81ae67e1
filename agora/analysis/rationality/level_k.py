"""Level-k: Nagel's neighbourhoods and the level-k mixture fitted by EM.

* Level-k classification (Nagel 1995): with ``m`` the midpoint of the bounds, step ``n``'s
  neighbourhood is ``[m·p^(n+1/4), m·p^(n−1/4)]``; step 0 is capped at ``m``.
* Level-k mixture (Stahl & Wilson 1995; Costa-Gomes & Crawford 2006): the mixture of
  :mod:`agora.analysis.rationality.cognitive_hierarchy` with the level-k means ``m·p^k`` and
  free weights, fitted by EM.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from agora.analysis.estimate import BoundWarning, Estimate, estimate_from, make_rng
from agora.analysis.rationality._common import Rng, _mixture_density


def nagel_intervals(p: float, *, lower: float = 0.0, upper: float = 100.0,
                    k_max: int = 3) -> np.ndarray:
    """Nagel's (1995) neighbourhoods of steps ``0..k_max``: rows ``(low, high)``."""
    if p <= 0 or p == 1:
        raise ValueError(f"level-k neighbourhoods need p > 0 and p != 1, got {p}")
    m = (lower + upper) / 2
    n = np.arange(k_max + 1, dtype=np.float64)
    a, b = m * p ** (n + 0.25), m * p ** (n - 0.25)
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    if p < 1:
        hi[0] = m
    else:
        lo[0] = m
    return np.clip(np.stack([lo, hi], axis=1), lower, upper)


def classify_level_k(guesses: np.ndarray, p: float, *, lower: float = 0.0,
                     upper: float = 100.0, k_max: int = 3) -> np.ndarray:
    """Step of each guess by Nagel's neighbourhoods; -1 when it lies in none."""
    g = np.asarray(guesses, dtype=np.float64)
    iv = nagel_intervals(p, lower=lower, upper=upper, k_max=k_max)
    inside = (g[..., None] >= iv[:, 0] - 1e-9) & (g[..., None] <= iv[:, 1] + 1e-9)
    return np.where(inside.any(axis=-1), inside.argmax(axis=-1), -1)


def level_k_shares(guesses: np.ndarray, p: float, *, lower: float = 0.0, upper: float = 100.0,
                   k_max: int = 3) -> dict[str, float]:
    """Share of guesses in each Nagel neighbourhood (``"other"`` for the rest)."""
    c = classify_level_k(guesses, p, lower=lower, upper=upper, k_max=k_max)
    out = {f"step_{k}": float(np.mean(c == k)) for k in range(k_max + 1)}
    out["other"] = float(np.mean(c == -1))
    return out



@dataclass(frozen=True, kw_only=True)
class LevelKMixture:
    """Level-k mixture fit: weights of levels ``0..K`` and the noise, with intervals."""

    weights: tuple[Estimate, ...]
    sigma: Estimate
    means: tuple[float, ...]
    loglik: float
    n: int

    def table(self) -> list[dict[str, float]]:
        """One row per level (level, mean guess, weight and interval)."""
        return [{"level": float(k), "mean_guess": m, "weight": w.value, "ci_low": w.ci_low,
                 "ci_high": w.ci_high} for k, (m, w) in enumerate(zip(self.means, self.weights,
                                                                    strict=True))]


def _em_level_k(g: np.ndarray, means: np.ndarray, lower: float, upper: float, sigma_min: float,
                iters: int = 500, tol: float = 1e-9) -> tuple[np.ndarray, float, float]:
    k = means.size
    w = np.full(k, 1.0 / k)
    sigma = (upper - lower) / 20
    prev = -math.inf
    ll = prev
    for _ in range(iters):
        dens = _mixture_density(g, w, means, sigma, lower, upper)
        tot = np.maximum(dens.sum(axis=1, keepdims=True), 1e-300)
        ll = float(np.log(tot).sum())
        r = dens / tot
        w = r.mean(axis=0)
        rk = r[:, 1:]
        denom = rk.sum()
        if denom > 0:
            sigma = max(sigma_min, math.sqrt(float((rk * (g[:, None] - means[1:]) ** 2).sum()
                                                   / denom)))
        if ll - prev < tol * max(1.0, abs(ll)):
            break
        prev = ll
    return w, sigma, ll


def fit_level_k_mixture(guesses: np.ndarray, *, p: float, lower: float = 0.0,
                        upper: float = 100.0, k_max: int = 6, n_boot: int = 100,
                        rng: Rng = None, level: float = 0.95,
                        sigma_min: float | None = None) -> LevelKMixture:
    """Weights of level-0 (uniform) and levels ``1..k_max`` (``m·p^k`` plus noise), by EM."""
    g = np.asarray(guesses, dtype=np.float64).reshape(-1)
    g = g[np.isfinite(g)]
    if g.size < 2:
        raise ValueError("fit_level_k_mixture: need at least two guesses")
    m = (lower + upper) / 2
    means = np.clip(m * p ** np.arange(k_max + 1, dtype=np.float64), lower, upper)
    smin = (upper - lower) * 1e-3 if sigma_min is None else sigma_min
    w, sigma, ll = _em_level_k(g, means, lower, upper, smin)
    gen = make_rng(rng)
    wd = np.full((n_boot, k_max + 1), np.nan)
    sd = np.full(n_boot, np.nan)
    for b in range(n_boot):
        idx = gen.integers(0, g.size, size=g.size)
        wd[b], sd[b], _ = _em_level_k(g[idx], means, lower, upper, smin, iters=200)
    weights = tuple(estimate_from(float(w[k]), wd[:, k], g.size, name=f"weight_level_{k}",
                                  level=level, method="level-k mixture EM", bounds=(0.0, 1.0),
                                  support=(0.0, 1.0), warn=False)
                    for k in range(k_max + 1))
    sig = estimate_from(sigma, sd, g.size, name="sigma", level=level,
                        method="level-k mixture EM", bounds=(smin, math.inf),
                        support=(0.0, math.inf), warn=False)
    flagged = [f"{e.name} = {e.value:.3g}" for e in (*weights, sig) if e.at_bound]
    if flagged:
        warnings.warn(f"level-k mixture: {', '.join(flagged)} at the bound of its range "
                      "(weights 0 or 1, sigma its floor): not interior estimates",
                      BoundWarning, stacklevel=2)
    return LevelKMixture(weights=weights, sigma=sig,
                         means=tuple(float(x) for x in means), loglik=ll, n=int(g.size))
