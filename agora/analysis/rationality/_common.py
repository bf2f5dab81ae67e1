"""Helpers shared by the rationality estimators: the seed type, bootstrapped shares and the
level-0-uniform / truncated-normal mixture density of level-k and cognitive-hierarchy fits."""

from __future__ import annotations

import math

import numpy as np
from scipy import special

from agora.analysis.estimate import Estimate, estimate_from, make_rng

Rng = np.random.Generator | int | None


def _share(hit: np.ndarray, name: str, n_boot: int, rng: Rng) -> Estimate:
    hit = np.asarray(hit, dtype=np.float64).reshape(-1)
    n = hit.size
    if n == 0:
        return Estimate(value=math.nan, ci_low=math.nan, ci_high=math.nan, n=0, name=name)
    gen = make_rng(rng)
    draws = hit[gen.integers(0, n, size=(n_boot, n))].mean(axis=1)
    return estimate_from(float(hit.mean()), draws, n, name=name, method="share")


_SQRT2PI = math.sqrt(2 * math.pi)


def _mixture_density(g: np.ndarray, weights: np.ndarray, means: np.ndarray, sigma: float,
                     lower: float, upper: float) -> np.ndarray:
    """Per-observation, per-component densities ``w_k·dens_k(g)`` (shape ``(n, K+1)``).

    Component 0 is uniform on the bounds; component k >= 1 is N(means[k], σ²) truncated to them.
    """
    mu = means[1:]
    z = special.ndtr((upper - mu) / sigma) - special.ndtr((lower - mu) / sigma)
    dens = np.empty((g.size, means.size))
    dens[:, 0] = 1.0 / (upper - lower)
    dens[:, 1:] = (np.exp(-0.5 * ((g[:, None] - mu) / sigma) ** 2)
                   / (sigma * _SQRT2PI * np.maximum(z, 1e-300)))
    return dens * weights
