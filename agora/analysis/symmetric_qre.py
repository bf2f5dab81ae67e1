"""Logit QRE of a symmetric two-mover game, from the game's payoff hook.

For a game whose movers are paired (one action each, the same legal actions), the payoff hook
(:meth:`agora.engine.contract.GameHooks.payoffs`) of a pair gives the matrix ``M[a, b]``: a
mover's payoff of action ``a`` against a partner's ``b``. The symmetric logit quantal response
equilibrium (McKelvey & Palfrey 1995) is the fixed point ``σ = softmax(λ M σ)``; its principal
branch is traced from the uniform centroid at ``λ = 0`` by continuation in λ (each point started
from the previous one). Each point is first sought by :func:`~agora.analysis.rationality.
qre_fixed_point`'s damped iteration and, where that cycles (the logit map is expansive where
the equilibrium moves fast, as in the traveler's dilemma of Capra et al. 1999), finished by
Newton's method on log-probabilities, ``v − log softmax(λ M softmax(v)) = 0``.

λ is fitted by maximum likelihood over the QRE: one λ shared by several treatments (configs),
each treatment's actions scored under its own equilibrium, as Capra, Goeree, Gomez & Holt (1999)
fit one precision to all their penalty treatments; the interval bootstraps actions within
treatments on the traced λ grid, refined near the optimum.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

import numpy as np
from scipy import optimize, special

from agora.analysis.estimate import DEFAULT_BOOT, Estimate, bootstrap, estimate_from, make_rng
from agora.analysis.rationality import grid_index, qre_fixed_point

Rng = np.random.Generator | int | None


def pair_matrix(game: str, config: Any) -> tuple[np.ndarray, np.ndarray]:
    """Legal actions and ``M[a, b]`` (a mover's payoff of ``a`` against ``b``) from the game's
    payoff hook of a pair of movers.

    Raises:
        ValueError: the game gives no payoffs of profiles.
    """
    from agora.analysis.counterfactual import action_grid
    from agora.analysis.equilibria import game_config, game_hooks

    cfg = game_config(game, config)
    grid = action_grid(game, cfg)
    pair = np.stack(np.broadcast_arrays(grid[:, None], grid[None, :]), axis=-1)
    pay = game_hooks(game).payoffs(cfg, pair)
    if pay is None:
        raise ValueError(f"game {game!r} gives no payoffs of action profiles, so no QRE")
    return grid, np.asarray(pay, dtype=np.float64)[..., 0]


def residual(matrix: np.ndarray, lam: float, sigma: np.ndarray) -> float:
    """Largest ``|softmax(λ M σ) − σ|``: zero at a logit QRE."""
    return float(np.abs(special.softmax(lam * matrix @ sigma) - sigma).max())


def qre_point(matrix: np.ndarray, lam: float, init: np.ndarray | None = None, *,
              tol: float = 1e-9) -> np.ndarray:
    """A symmetric logit QRE ``σ = softmax(λ M σ)`` near ``init`` (default: uniform).

    Raises:
        ValueError: neither the iteration nor Newton's method reaches a fixed point.
    """
    n = matrix.shape[0]
    sigma = qre_fixed_point(lambda s: matrix @ s, lam, n, init=init, strict=False)
    if residual(matrix, lam, sigma) < tol:
        return sigma

    def f(v: np.ndarray) -> np.ndarray:
        return v - special.log_softmax(lam * matrix @ special.softmax(v))

    def jac(v: np.ndarray) -> np.ndarray:
        s = special.softmax(v)
        t = special.softmax(lam * matrix @ s)
        inner = lam * matrix @ (np.diag(s) - np.outer(s, s))
        return np.eye(n) - inner + np.outer(np.ones(n), t @ inner)

    start = np.log(np.maximum(sigma if init is None else init, 1e-300))
    out = special.softmax(optimize.root(f, start, jac=jac, method="hybr", tol=1e-13).x)
    if residual(matrix, lam, out) > 1e-6:
        raise ValueError(f"logit QRE did not converge at lambda = {lam:g}")
    return out


def qre_path(game: str, config: Any, lams: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Legal actions and the principal-branch QRE ``σ(λ)`` at every λ of ``lams`` (ascending,
    from 0 or near it)."""
    grid, matrix = pair_matrix(game, config)
    lam_arr = np.asarray(lams, dtype=np.float64)
    if lam_arr.ndim != 1 or np.any(lam_arr < 0) or np.any(np.diff(lam_arr) < 0):
        raise ValueError("qre_path: lambdas must be a non-negative ascending sequence")
    out = np.empty((lam_arr.size, grid.size))
    sigma = None
    for i, lam in enumerate(lam_arr):
        sigma = qre_point(matrix, float(lam), sigma)
        out[i] = sigma
    return grid, out


def qre_mean_action(game: str, config: Any, lam: float, *, steps: int = 40) -> float:
    """Mean action of the principal-branch QRE at ``λ`` (traced on a geometric λ grid)."""
    if not lam >= 0:
        raise ValueError(f"qre_mean_action: lambda must be >= 0, got {lam}")
    lams = np.concatenate([[0.0], np.geomspace(lam * 1e-3, lam, steps)]) if lam > 0 else [0.0]
    grid, path = qre_path(game, config, np.asarray(lams))
    return float(path[-1] @ grid)


def fit_pooled_qre(game: str, actions: Mapping[Hashable, np.ndarray],
                   configs: Mapping[Hashable, Any], *, lam_max: float,
                   n_grid: int = 60, n_boot: int = DEFAULT_BOOT, rng: Rng = None,
                   level: float = 0.95) -> Estimate:
    """One logit precision λ for several treatments by maximum likelihood over their QREs.

    Args:
        game: A registered game whose hooks give payoffs of pairs.
        actions: Observed actions by treatment key (snapped to the legal grid).
        configs: The game config (object or dict) of every key of ``actions``.
        lam_max: Largest λ searched (the grid is geometric up to it, plus 0).
        n_grid, n_boot, rng, level: Grid size and bootstrap settings (actions resampled
            within each treatment).

    Returns:
        :class:`Estimate` of λ; ``extra`` holds the log-likelihood.
    """
    if not actions or set(actions) - set(configs):
        raise ValueError("fit_pooled_qre: need actions and a config for every treatment")
    lams = np.concatenate([[0.0], np.geomspace(lam_max * 1e-4, lam_max, n_grid)])
    idx, logp, mats = {}, {}, {}
    for key, x in actions.items():
        grid, path = qre_path(game, configs[key], lams)
        idx[key] = grid_index(np.asarray(x, dtype=np.float64), grid)
        logp[key] = np.log(np.maximum(path, 1e-300))
        mats[key] = pair_matrix(game, configs[key])[1]
    if sum(v.size for v in idx.values()) == 0:
        raise ValueError("fit_pooled_qre: no actions")

    def grid_ll(picks: Mapping[Hashable, np.ndarray]) -> np.ndarray:
        return sum(logp[k][:, picks[k]].sum(axis=1) for k in picks)  # type: ignore[return-value]

    ll = grid_ll(idx)
    j = int(np.argmax(ll))
    lo, hi = lams[max(j - 1, 0)], lams[min(j + 1, lams.size - 1)]

    def nll(lam: float) -> float:
        return -sum(float(np.log(np.maximum(qre_point(
            mats[k], lam, np.exp(logp[k][max(j - 1, 0)])), 1e-300))[idx[k]].sum())
            for k in idx)

    lam, best = float(lams[j]), float(ll[j])
    if hi > lo:
        res = optimize.minimize_scalar(nll, bounds=(lo, hi), method="bounded")
        if -res.fun >= best:
            lam, best = float(res.x), -float(res.fun)
    # the bootstrap refits on the coarse grid refined near the optimum (41 more points)
    a, b = lams[max(j - 2, 0)], lams[min(j + 2, lams.size - 1)]
    fine = np.linspace(a, b, 43)[1:-1] if b > a else np.array([])
    for k in idx:
        sigma = np.exp(logp[k][max(j - 2, 0)])
        rows = []
        for lam_f in fine:
            sigma = qre_point(mats[k], float(lam_f), sigma)
            rows.append(np.log(np.maximum(sigma, 1e-300)))
        logp[k] = np.vstack([logp[k], *rows]) if rows else logp[k]
    all_lams = np.concatenate([lams, fine])
    gen = make_rng(rng)
    keys = list(idx)
    n_total = sum(idx[k].size for k in keys)

    def refit(_: np.ndarray) -> float:
        picks = {k: idx[k][gen.integers(0, idx[k].size, size=idx[k].size)] for k in keys
                 if idx[k].size}
        return float(all_lams[int(np.argmax(grid_ll(picks)))])

    draws = bootstrap(refit, n_total, n_boot=n_boot, rng=gen) if n_boot else np.array([])
    return estimate_from(lam, draws, n_total, name="lambda", level=level,
                         method="logit QRE maximum likelihood pooled over treatments; "
                                "bootstrap within treatments on the traced grid refined "
                                "near the optimum",
                         extra={"loglik": best}, bounds=(0.0, lam_max),
                         support=(0.0, np.inf), bound_tol=(1e-6, 1e-3))
