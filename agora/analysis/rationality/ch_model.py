"""The Poisson cognitive-hierarchy model of a p-beauty contest (Camerer, Ho & Chong 2004).

Step 0 guesses uniformly on ``[L, U]`` (mean ``m``); step ``k >= 1`` best-responds to the
normalised Poisson(τ) mix of steps ``0..k-1``: ``x_k = p · Σ_{j<k} f_j x_j / Σ_{j<k} f_j`` in a
large group (own influence on the mean ignored), kept inside the bounds. The step shares are
the Poisson(τ) pmf over ``0..K``, with the Poisson tail beyond ``K`` put on step ``K`` and ``K``
raised with τ so that it stays a Poisson (:func:`ch_weights`).

Whole-number best responses: CHC's Table II fitted means are reproduced when every step's best
response is cut to the whole number below it (``x_k = ⌊p · belief⌋``): at τ = 3 (p = 2/3,
[0, 100]) the predicted mean is 23.0 as printed, against 23.8 with exact or nearest-integer
best responses; over the 15 Table II rows that a large-group model can express the largest
gap is 0.48 (row 24) against 1.34 with exact best responses (``tests/test_ch_table2.py``).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

_SQRT2PI = math.sqrt(2 * math.pi)


def ch_weights(tau: float, k_max: int = 10) -> np.ndarray:
    """Poisson(τ) shares of steps ``0..K``, ``K = max(k_max, ⌈τ + 6√τ⌉ + 3)``, the tail beyond
    ``K`` added to step ``K`` (so the shares sum to one and follow a Poisson at any τ)."""
    if not tau >= 0:
        raise ValueError(f"cognitive hierarchy tau must be >= 0, got {tau}")
    top = max(int(k_max), math.ceil(tau + 6 * math.sqrt(tau)) + 3)
    k = np.arange(top + 1, dtype=np.float64)
    if tau == 0:
        return (k == 0).astype(np.float64)
    f = np.exp(k * math.log(tau) - tau - special.gammaln(k + 1))
    f[-1] = max(0.0, 1.0 - float(f[:-1].sum()))
    return f


def ch_step_means(tau: float, *, p: float, lower: float, upper: float, k_max: int,
                  whole_numbers: bool = True) -> np.ndarray:
    """Guess of CH steps ``0..k_max`` (large-group approximation); entry 0 is step 0's mean.

    ``whole_numbers`` (default) cuts each best response to the whole number below it, which is
    what reproduces CHC's (2004) Table II (23.0 at τ = 3, p = 2/3); ``False`` gives the exact
    best responses of a game with real-valued guesses (23.8 at τ = 3).
    """
    if not tau >= 0:
        raise ValueError(f"cognitive hierarchy tau must be >= 0, got {tau}")
    k = np.arange(k_max + 1, dtype=np.float64)
    f = ((k == 0).astype(np.float64) if tau == 0
         else np.exp(k * math.log(tau) - tau - special.gammaln(k + 1)))
    x = np.empty(k_max + 1)
    x[0] = (lower + upper) / 2
    acc = mass = 0.0
    for j in range(1, k_max + 1):
        acc += f[j - 1] * x[j - 1]
        mass += f[j - 1]
        v = min(max(p * acc / mass, lower), upper)
        x[j] = math.floor(v + 1e-9) if whole_numbers else v
    return x


def ch_predicted_mean(tau: float, *, p: float, lower: float = 0.0, upper: float = 100.0,
                      whole_numbers: bool = True, k_max: int = 10) -> float:
    """Mean guess the noise-free CH model predicts at τ (CHC's "fitted mean")."""
    f = ch_weights(tau, k_max)
    x = ch_step_means(tau, p=p, lower=lower, upper=upper, k_max=f.size - 1,
                      whole_numbers=whole_numbers)
    return float(f @ x)


def equilibrium_guess(p: float, lower: float, upper: float) -> float:
    """Where the CH steps converge: ``lower`` when ``p < 1``, ``upper`` when ``p > 1``."""
    return lower if p < 1 else upper


def step_sds(means: np.ndarray, sigma: float, sigma_min: float, noise: str, p: float,
             lower: float, upper: float) -> np.ndarray:
    """Noise sd of steps ``1..K``.

    ``"constant"``: σ for every step. ``"proportional"``: ``σ·d_k/d_1`` with ``d_k`` the distance
    of step k's guess from the equilibrium guess, at least ``sigma_min`` (so σ is step 1's sd
    and steps near the equilibrium are tight).
    """
    if noise == "constant":
        return np.full(means.size - 1, sigma)
    if noise != "proportional":
        raise ValueError(f"noise must be 'constant' or 'proportional', got {noise!r}")
    e = equilibrium_guess(p, lower, upper)
    d = np.abs(means[1:] - e)
    if d[0] <= 0:
        return np.full(means.size - 1, sigma)
    return np.maximum(sigma * d / d[0], sigma_min)


def truncated_normal(g: np.ndarray, mu: np.ndarray, sd: np.ndarray, lower: float,
                     upper: float) -> np.ndarray:
    """Densities ``(n, J)`` of N(mu_j, sd_j²) truncated to ``[lower, upper]`` at ``g``."""
    z = special.ndtr((upper - mu) / sd) - special.ndtr((lower - mu) / sd)
    return (np.exp(-0.5 * ((g[:, None] - mu) / sd) ** 2)
            / (sd * _SQRT2PI * np.maximum(z, 1e-300)))


def ch_density(g: np.ndarray, tau: float, sigma: float, spike: float, *, p: float,
               lower: float, upper: float, k_max: int, whole_numbers: bool, noise: str,
               sigma_min: float) -> np.ndarray:
    """Density of guesses ``g`` under the CH mixture with an equilibrium spike.

    ``spike·N⁺(e, sigma_min²) + (1 − spike)·[f_0·U(L, U) + Σ_{k>=1} f_k·N⁺(x_k, σ_k²)]`` with
    ``N⁺`` truncated to the bounds and ``e`` the equilibrium guess.
    """
    f = ch_weights(tau, k_max)
    x = ch_step_means(tau, p=p, lower=lower, upper=upper, k_max=f.size - 1,
                      whole_numbers=whole_numbers)
    sd = step_sds(x, sigma, sigma_min, noise, p, lower, upper)
    dens = f[0] / (upper - lower) + truncated_normal(g, x[1:], sd, lower, upper) @ f[1:]
    out = (1.0 - spike) * dens
    if spike > 0:
        e = np.array([equilibrium_guess(p, lower, upper)])
        out = out + spike * truncated_normal(g, e, np.array([sigma_min]), lower, upper)[:, 0]
    return out
