"""Fehr-Schmidt inequity aversion from dictator and ultimatum-responder data.

* Fehr & Schmidt (1999) inequity aversion, two players:
  ``U_i = x_i − α max(x_j − x_i, 0) − β max(x_i − x_j, 0)``. A dictator gives half iff β > 1/2
  and nothing otherwise, so dictator data identify the share with β >= 1/2; with α fixed and
  logit noise, β and λ are identified from the whole distribution. An ultimatum responder
  accepts a share s < 1/2 iff ``s − α(1 − 2s) >= 0``, i.e. ``s >= α/(1 + 2α)``: α is identified
  from accept/reject decisions (logit acceptance).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import optimize, special

from agora.analysis.estimate import DEFAULT_BOOT, Estimate, bootstrap, estimate_from
from agora.analysis.rationality._common import Rng, _share
from agora.analysis.rationality.qre import grid_index

_BETA_RANGE = (-2.0, 3.0)
"""Search range of the dictators' β (an estimate at an end is flagged ``at_bound``)."""
_ALPHA_RANGE = (0.0, 50.0)
"""Search range of the responders' α (α >= 0; 50 is only the optimiser's limit)."""


def fehr_schmidt_utility(own: np.ndarray, other: np.ndarray, alpha: float,
                         beta: float) -> np.ndarray:
    """Two-player Fehr-Schmidt utility."""
    x, y = np.asarray(own, dtype=np.float64), np.asarray(other, dtype=np.float64)
    return x - alpha * np.maximum(y - x, 0) - beta * np.maximum(x - y, 0)


def fehr_schmidt_beta_share(transfers: np.ndarray, *, endowment: float,
                            recipient_endowment: float = 0.0, n_boot: int = DEFAULT_BOOT,
                            rng: Rng = None) -> Estimate:
    """Share of dictators whose choice reveals β >= 1/2 (they equalise payoffs or more)."""
    x = np.asarray(transfers, dtype=np.float64)
    equal = (endowment - recipient_endowment) / 2
    return _share((x >= equal - 1e-9).astype(np.float64), "share_beta_ge_half", n_boot, rng)


def fit_fehr_schmidt_dictator(transfers: np.ndarray, *, endowment: float, grid: np.ndarray,
                              alpha: float, recipient_endowment: float = 0.0,
                              n_boot: int = DEFAULT_BOOT, rng: Rng = None,
                              level: float = 0.95) -> Estimate:
    """β (and logit λ) of dictators with α fixed: ``P(x) ∝ exp(λ·U_FS(E − x, R + x))``.

    Only two slopes of the utility are identified from dictator choices, so α must be fixed;
    utilities are divided by the endowment so that λ does not depend on the currency unit.
    Returns the Estimate of β with ``extra["lambda"]``.
    """
    gr = np.asarray(grid, dtype=np.float64)
    idx = grid_index(transfers, gr)
    own, other = endowment - gr, recipient_endowment + gr
    adv = np.maximum(own - other, 0)
    base = own - alpha * np.maximum(other - own, 0)

    def nll(theta: np.ndarray, counts: np.ndarray) -> float:
        beta, lam = theta[0], math.exp(theta[1])
        logp = special.log_softmax(lam * (base - beta * adv) / endowment)
        return -float(counts @ logp)

    def fit(counts: np.ndarray) -> tuple[float, float, float]:
        best = min((optimize.minimize(nll, np.array([b0, math.log(l0)]), args=(counts,),
                                      method="L-BFGS-B",
                                      bounds=[_BETA_RANGE, (math.log(1e-3), math.log(1e4))])
                    for b0 in (0.1, 0.4, 0.7) for l0 in (1.0, 10.0)), key=lambda r: r.fun)
        return float(best.x[0]), math.exp(best.x[1]), -float(best.fun)

    counts = np.bincount(idx, minlength=gr.size).astype(np.float64)
    beta, lam, ll = fit(counts)

    def refit(b: np.ndarray) -> float:
        return fit(np.bincount(idx[b], minlength=gr.size).astype(np.float64))[0]

    draws = bootstrap(refit, idx.size, n_boot=n_boot, rng=rng) if n_boot else np.array([])
    return estimate_from(beta, draws, idx.size, name="beta", level=level,
                         method=f"Fehr-Schmidt logit, alpha fixed at {alpha:g}",
                         extra={"lambda": lam, "alpha": alpha, "loglik": ll},
                         bounds=_BETA_RANGE)


def fehr_schmidt_alpha_from_threshold(share: float) -> float:
    """α of a responder whose smallest acceptable share is ``s < 1/2``: ``s / (1 − 2s)``."""
    if not 0 <= share < 0.5:
        raise ValueError("the acceptance threshold must lie in [0, 1/2)")
    return share / (1 - 2 * share)


def fit_fehr_schmidt_responder(offer_shares: np.ndarray, accepted: np.ndarray, *,
                               n_boot: int = DEFAULT_BOOT, rng: Rng = None,
                               level: float = 0.95) -> Estimate:
    """Responder α from ultimatum accept/reject decisions.

    ``P(accept | s) = logistic(λ·(s − α·max(1 − 2s, 0)))``; the acceptance threshold is
    ``α/(1 + 2α)``. Returns the Estimate of α with ``extra`` λ and the threshold.
    """
    s = np.asarray(offer_shares, dtype=np.float64).reshape(-1)
    y = np.asarray(accepted, dtype=np.float64).reshape(-1)
    if s.size != y.size or s.size == 0:
        raise ValueError("offer_shares and accepted must be non-empty and of equal length")
    pen = np.maximum(1 - 2 * s, 0)

    def nll(theta: np.ndarray, rows: np.ndarray) -> float:
        alpha, lam = theta[0], math.exp(theta[1])
        z = lam * (s[rows] - alpha * pen[rows])
        return -float((y[rows] * special.log_expit(z)
                       + (1 - y[rows]) * special.log_expit(-z)).sum())

    def fit(rows: np.ndarray) -> tuple[float, float]:
        best = min((optimize.minimize(nll, np.array([a0, math.log(10.0)]), args=(rows,),
                                      method="L-BFGS-B",
                                      bounds=[_ALPHA_RANGE, (math.log(1e-2), math.log(1e4))])
                    for a0 in (0.1, 0.5, 2.0)), key=lambda r: r.fun)
        return float(best.x[0]), math.exp(best.x[1])

    alpha, lam = fit(np.arange(s.size))
    draws = (bootstrap(lambda b: fit(b)[0], s.size, n_boot=n_boot, rng=rng) if n_boot
             else np.array([]))
    return estimate_from(alpha, draws, s.size, name="alpha", level=level,
                         method="Fehr-Schmidt responder logit acceptance",
                         extra={"lambda": lam, "threshold_share": alpha / (1 + 2 * alpha)},
                         bounds=_ALPHA_RANGE, support=(0.0, math.inf))
