"""Logit quantal response: choice probabilities, λ fits and the symmetric QRE fixed point.

* Logit quantal response (McKelvey & Palfrey 1995): ``P(a) ∝ exp(λ·U(a))``; λ by maximum
  likelihood from observed actions (concave in λ for fixed utilities), from the full action
  distributions that ``LLMPolicy(mode="score")`` records (maximising the expected
  log-likelihood ``Σ_i Σ_a q_i(a) log P_λ(a)``, i.e. minimising KL(q‖P_λ)), or at the logit QRE
  fixed point ``σ = softmax(λ·U(σ))`` of a symmetric game.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import optimize, special

from agora.analysis.estimate import DEFAULT_BOOT, Estimate, bootstrap, estimate_from
from agora.analysis.rationality._common import Rng


def logit_probs(utilities: np.ndarray, lam: float) -> np.ndarray:
    """Logit choice probabilities ``softmax(λ·U)`` along the last axis."""
    return special.softmax(lam * np.asarray(utilities, dtype=np.float64), axis=-1)


def grid_index(actions: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Index of the grid point nearest to each action."""
    a = np.asarray(actions, dtype=np.float64).reshape(-1)
    gr = np.asarray(grid, dtype=np.float64)
    order = np.argsort(gr)
    s = gr[order]
    pos = np.clip(np.searchsorted(s, a), 1, s.size - 1)
    left = np.where(np.abs(a - s[pos - 1]) <= np.abs(a - s[pos]), pos - 1, pos)
    return order[left]


def qre_fixed_point(utility_fn: Callable[[np.ndarray], np.ndarray], lam: float, n_actions: int,
                    *, init: np.ndarray | None = None, damping: float = 0.5,
                    iters: int = 2000, tol: float = 1e-10, strict: bool = True) -> np.ndarray:
    """Symmetric logit QRE ``σ = softmax(λ·U(σ))`` by damped fixed-point iteration.

    Where the logit map is expansive the iteration cycles instead of converging; it then
    finishes with a root finder on the log-probabilities (``scipy.optimize.root``, started from
    the last iterate).

    ``strict=False`` skips the root finder and returns the last iterate, for callers with a
    better solver of their own that only want a starting point.

    Raises:
        ValueError: (``strict``) neither reaches a fixed point (largest residual above 1e-6),
            so no unconverged profile is ever returned as if it were the QRE.
    """
    sigma = np.full(n_actions, 1.0 / n_actions) if init is None else np.asarray(init, float)
    for _ in range(iters):
        new = logit_probs(utility_fn(sigma), lam)
        nxt = (1 - damping) * sigma + damping * new
        if np.abs(nxt - sigma).max() < tol:
            return nxt
        sigma = nxt
    if not strict:
        return sigma
    from scipy import optimize, special

    def gap(v: np.ndarray) -> np.ndarray:
        return v - special.log_softmax(lam * np.asarray(utility_fn(special.softmax(v)),
                                                        dtype=np.float64))

    root = special.softmax(optimize.root(gap, np.log(np.maximum(sigma, 1e-300)),
                                         method="hybr", tol=1e-13).x)
    if np.abs(logit_probs(utility_fn(root), lam) - root).max() > 1e-6:
        raise ValueError(f"logit QRE fixed point not found at lambda = {lam:g}")
    return root


def _lam_bounds(u: np.ndarray, lam_max: float | None) -> float:
    if lam_max is not None:
        return float(lam_max)
    spread = float(np.ptp(u, axis=-1).max()) if u.size else 1.0
    return 200.0 / spread if spread > 0 else 1e3


def _fit_lambda(weights: np.ndarray, u: np.ndarray, lam_max: float) -> tuple[float, float]:
    """Maximise Σ_i Σ_a weights[i, a] log softmax(λ u_i)[a] over λ in [0, lam_max]."""
    def nll(lam: float) -> float:
        logp = special.log_softmax(lam * u, axis=-1)
        return -float((weights * logp).sum())

    grid = np.concatenate([[0.0], np.geomspace(lam_max * 1e-6, lam_max, 40)])
    vals = [nll(x) for x in grid]
    j = int(np.argmin(vals))
    lo, hi = grid[max(j - 1, 0)], grid[min(j + 1, grid.size - 1)]
    if hi > lo:
        res = optimize.minimize_scalar(nll, bounds=(lo, hi), method="bounded",
                                       options={"xatol": 1e-10 * max(1.0, hi)})
        if res.fun <= vals[j]:
            return float(res.x), -float(res.fun)
    return float(grid[j]), -float(vals[j])


def _onehot(idx: np.ndarray, size: int) -> np.ndarray:
    w = np.zeros((idx.size, size))
    w[np.arange(idx.size), idx] = 1.0
    return w


def fit_logit_qre(actions: np.ndarray, *, grid: np.ndarray,
                  utilities: np.ndarray | Callable[[np.ndarray], np.ndarray],
                  lam_max: float | None = None, n_boot: int = DEFAULT_BOOT, rng: Rng = None,
                  level: float = 0.95) -> Estimate:
    """Logit precision λ by maximum likelihood from observed actions.

    Args:
        actions: Observed actions (snapped to the nearest ``grid`` point).
        grid: Legal actions.
        utilities: ``(G,)`` expected utilities of the grid actions (shared belief), ``(N, G)``
            per observation, or a function ``U(σ) -> (G,)`` of the symmetric opponents' mixed
            strategy: then λ is fitted at the logit QRE fixed point.
        lam_max: Largest λ considered (default ``200 / utility range``).
        n_boot, rng, level: Bootstrap settings (resampling observations).

    Returns:
        :class:`Estimate` of λ; ``extra`` holds the log-likelihood and ``at_bound`` (1 when λ
        hits ``lam_max``, i.e. play is indistinguishable from best response).
    """
    gr = np.asarray(grid, dtype=np.float64)
    idx = grid_index(actions, gr)
    if idx.size == 0:
        raise ValueError("fit_logit_qre: no actions")
    if callable(utilities):
        return _fit_qre_fixed_point(idx, gr, utilities, lam_max, n_boot, rng, level)
    u = np.asarray(utilities, dtype=np.float64)
    if u.shape[-1] != gr.size:
        raise ValueError("fit_logit_qre: utilities must have one column per grid point")
    per_obs = u.ndim == 2
    if per_obs and u.shape[0] != idx.size:
        raise ValueError("fit_logit_qre: per-observation utilities need one row per action")
    lmax = _lam_bounds(u, lam_max)
    if per_obs:
        w = _onehot(idx, gr.size)
        lam, ll = _fit_lambda(w, u, lmax)

        def refit(b: np.ndarray) -> float:
            return _fit_lambda(w[b], u[b], lmax)[0]
    else:
        counts = np.bincount(idx, minlength=gr.size).astype(np.float64)[None]
        lam, ll = _fit_lambda(counts, u[None], lmax)

        def refit(b: np.ndarray) -> float:
            c = np.bincount(idx[b], minlength=gr.size).astype(np.float64)[None]
            return _fit_lambda(c, u[None], lmax)[0]
    draws = bootstrap(refit, idx.size, n_boot=n_boot, rng=rng) if n_boot else np.array([])
    return estimate_from(lam, draws, idx.size, name="lambda", level=level,
                         method="logit response maximum likelihood",
                         extra={"loglik": ll, "at_bound": float(lam >= 0.999 * lmax)},
                         bounds=(0.0, lmax), support=(0.0, np.inf), bound_tol=(1e-6, 1e-3))


def _fit_qre_fixed_point(idx: np.ndarray, gr: np.ndarray,
                         utility_fn: Callable[[np.ndarray], np.ndarray],
                         lam_max: float | None, n_boot: int, rng: Rng,
                         level: float) -> Estimate:
    u0 = np.asarray(utility_fn(np.full(gr.size, 1.0 / gr.size)), dtype=np.float64)
    lmax = _lam_bounds(u0, lam_max)
    lams = np.concatenate([[0.0], np.geomspace(lmax * 1e-4, lmax, 60)])
    path = []
    sigma = None
    for lam in lams:  # trace the principal branch from the centroid
        sigma = qre_fixed_point(utility_fn, lam, gr.size, init=sigma)
        path.append(np.log(np.maximum(sigma, 1e-300)))
    logp = np.array(path)

    def best(counts: np.ndarray) -> tuple[float, float]:
        ll = logp @ counts
        j = int(np.argmax(ll))
        return float(lams[j]), float(ll[j])

    counts = np.bincount(idx, minlength=gr.size).astype(np.float64)
    j = int(np.argmax(logp @ counts))
    lo, hi = lams[max(j - 1, 0)], lams[min(j + 1, lams.size - 1)]
    init = np.exp(logp[max(j - 1, 0)])

    def nll(lam: float) -> float:
        s = qre_fixed_point(utility_fn, lam, gr.size, init=init)
        return -float(counts @ np.log(np.maximum(s, 1e-300)))

    res = optimize.minimize_scalar(nll, bounds=(lo, hi), method="bounded") if hi > lo else None
    lam, ll = (float(res.x), -float(res.fun)) if res is not None else best(counts)

    def refit(b: np.ndarray) -> float:
        return best(np.bincount(idx[b], minlength=gr.size).astype(np.float64))[0]

    draws = bootstrap(refit, idx.size, n_boot=n_boot, rng=rng) if n_boot else np.array([])
    return estimate_from(lam, draws, idx.size, name="lambda", level=level,
                         method="logit QRE (fixed point) maximum likelihood; bootstrap on the "
                                "traced path grid",
                         extra={"loglik": ll, "at_bound": float(lam >= 0.999 * lmax)},
                         bounds=(0.0, lmax), support=(0.0, np.inf), bound_tol=(1e-6, 1e-3))


def fit_logit_from_probs(probs: np.ndarray, *, utilities: np.ndarray,
                         lam_max: float | None = None, n_boot: int = DEFAULT_BOOT,
                         rng: Rng = None, level: float = 0.95) -> Estimate:
    """λ from recorded action distributions ``q_i`` (``LLMPolicy(mode="score")``).

    Maximises ``Σ_i Σ_a q_i(a) log softmax(λ·U_i)(a)``; ``utilities`` is ``(G,)`` or
    ``(N, G)``. ``extra["kl"]`` is the mean KL divergence of the fitted logit from ``q``.
    """
    q = np.asarray(probs, dtype=np.float64)
    if q.ndim != 2:
        raise ValueError("fit_logit_from_probs: probs must have shape (N, G)")
    q = q / q.sum(axis=1, keepdims=True)
    u = np.broadcast_to(np.asarray(utilities, dtype=np.float64), q.shape)
    lmax = _lam_bounds(u, lam_max)
    lam, ll = _fit_lambda(q, u, lmax)

    def refit(b: np.ndarray) -> float:
        return _fit_lambda(q[b], u[b], lmax)[0]

    draws = bootstrap(refit, q.shape[0], n_boot=n_boot, rng=rng) if n_boot else np.array([])
    with np.errstate(divide="ignore", invalid="ignore"):
        ent = float(np.where(q > 0, q * np.log(np.where(q > 0, q, 1)), 0).sum(axis=1).mean())
    kl = ent - ll / q.shape[0]
    return estimate_from(lam, draws, q.shape[0], name="lambda", level=level,
                         method="logit fit to recorded action distributions (min KL)",
                         extra={"expected_loglik": ll, "kl": kl,
                                "at_bound": float(lam >= 0.999 * lmax)},
                         bounds=(0.0, lmax), support=(0.0, np.inf), bound_tol=(1e-6, 1e-3))
