"""Orders of rationality R0..RK from choices in games with per-order predictions.

Kneeland (2015) identifies each subject's order of rationality from its actions in ring games
whose transformed versions change one player's payoffs: by the exclusion restriction an ``Rk``
subject's action in a position does not depend on payoffs beyond its reasoning depth, so the
games' *predictions* of each order differ exactly where the order reaches the change. This
module is generic: it takes, for every decision item (e.g. a (game, position) pair), the action
each order predicts (``None`` / NaN: no prediction, e.g. ``R0``'s uniform play) and classifies
subjects from their actions.

Model (an error-rate likelihood, not Kneeland's own estimator, which could not be read): a
subject of order ``k`` plays the predicted action of each item, except that with probability
``ε`` it trembles to a uniformly random action (so it matches the prediction with probability
``1 − ε + ε/n``); items without a prediction are uniform (``1/n``). Shares of the orders and the
common ``ε`` are fitted by EM over the finite mixture; each subject's order is its posterior
mode. Type shares and cumulative shares ``R >= k`` get percentile bootstrap CIs over subjects
(resample subjects, refit).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import polars as pl

from agora.analysis.estimate import DEFAULT_BOOT, DEFAULT_SEED, Estimate

MAX_EPSILON = 0.5
"""Largest fitted tremble rate: an order that trembles more often than not is no longer told
apart from R0's uniform play (see :func:`classify_orders`)."""


@dataclass(frozen=True)
class OrderFit:
    """A fitted mixture of orders.

    Attributes:
        type_labels: Label of each order (``R0`` ...).
        shares: Mixture weight of each order.
        epsilon: Tremble probability (uniformly random action).
        posterior: ``(n_subjects, n_types)`` posterior probability of each order.
        classified: Each subject's posterior-mode order (index into ``type_labels``).
        loglik: Log-likelihood at the fit.
    """

    type_labels: tuple[str, ...]
    shares: np.ndarray
    epsilon: float
    posterior: np.ndarray
    classified: np.ndarray
    loglik: float

    def cumulative(self) -> np.ndarray:
        """Shares of ``R >= k`` for ``k = 1 .. K``."""
        return np.cumsum(self.shares[::-1])[::-1][1:]


def _as_arrays(actions: Any, predictions: Any) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(actions, dtype=np.float64)
    p = np.array([[np.nan if v is None else v for v in row] for row in predictions],
                 dtype=np.float64)
    if a.ndim != 2 or p.ndim != 2 or a.shape[1] != p.shape[1]:
        raise ValueError(f"actions must be (subjects, items) and predictions (types, items) "
                         f"with the same items, got {a.shape} and {p.shape}")
    if a.shape[0] == 0:
        raise ValueError("no subjects to classify")
    return a, p


def _counts(a: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(S, K)`` numbers of predicted items matched and missed by each subject."""
    seen = ~np.isnan(a)[:, None, :] & ~np.isnan(p)[None, :, :]
    hit = seen & (a[:, None, :] == p[None, :, :])
    return hit.sum(axis=2).astype(np.float64), (seen & ~hit).sum(axis=2).astype(np.float64)


def _loglik(hits: np.ndarray, misses: np.ndarray, free: np.ndarray, eps: float,
            n_actions: int) -> np.ndarray:
    e = min(max(eps, 1e-9), 1.0)
    return (hits * np.log(1 - e + e / n_actions) + misses * np.log(e / n_actions)
            + free * np.log(1.0 / n_actions))


def classify_orders(actions: Any, predictions: Any, *, n_actions: int = 3,
                    type_labels: Sequence[str] | None = None, epsilon: float | None = None,
                    max_epsilon: float = MAX_EPSILON, max_iter: int = 1000,
                    tol: float = 1e-10) -> OrderFit:
    """Fit the mixture of orders to ``actions`` ``(subjects, items)`` (NaN: not observed)
    given ``predictions`` ``(types, items)`` (NaN / ``None``: no prediction). ``epsilon``
    fixes the tremble rate instead of fitting it; a fitted rate stays at or below
    ``max_epsilon``, since as ``ε`` nears 1 every order predicts uniform play and ``R0`` could
    no longer be told apart from the others (a population of random players would come out
    as trembling ``R1`` s)."""
    if not 0 < max_epsilon < 1:
        raise ValueError(f"max_epsilon must lie in (0, 1), got {max_epsilon}")
    a, p = _as_arrays(actions, predictions)
    k = p.shape[0]
    labels = tuple(type_labels) if type_labels is not None else tuple(f"R{i}" for i in range(k))
    if len(labels) != k:
        raise ValueError(f"{len(labels)} type labels for {k} types")
    hits, misses = _counts(a, p)
    observed = (~np.isnan(a)).sum(axis=1)[:, None].astype(np.float64)
    free = observed - hits - misses
    shares, eps = np.full(k, 1.0 / k), 0.2 if epsilon is None else float(epsilon)
    prev = -np.inf
    for _ in range(max_iter):
        ll = _loglik(hits, misses, free, eps, n_actions) + np.log(np.maximum(shares, 1e-300))
        top = ll.max(axis=1, keepdims=True)
        total = np.log(np.exp(ll - top).sum(axis=1, keepdims=True)) + top
        post = np.exp(ll - total)
        cur = float(total.sum())
        shares = post.mean(axis=0)
        if epsilon is None:
            h, m = float((post * hits).sum()), float((post * misses).sum())
            miss_rate = m / (h + m) if h + m > 0 else 0.0
            eps = min(miss_rate * n_actions / (n_actions - 1), max_epsilon)
        if cur - prev < tol:
            break
        prev = cur
    return OrderFit(type_labels=labels, shares=shares, epsilon=float(eps), posterior=post,
                    classified=post.argmax(axis=1), loglik=cur)


def order_shares(actions: Any, predictions: Any, *, n_actions: int = 3,
                 type_labels: Sequence[str] | None = None, n_boot: int = DEFAULT_BOOT,
                 rng: np.random.Generator | None = None,
                 level: float = 0.95) -> tuple[OrderFit, dict[str, Estimate]]:
    """The fit plus estimates of every type share (``R0`` ...), every cumulative share
    (``R>=1`` ...) and ``epsilon``, with percentile bootstrap CIs over subjects."""
    a, p = _as_arrays(actions, predictions)
    fit = classify_orders(a, p, n_actions=n_actions, type_labels=type_labels)
    rng = rng if rng is not None else np.random.default_rng(DEFAULT_SEED)
    k = len(fit.type_labels)
    names = [*fit.type_labels, *(f"{fit.type_labels[0][:1]}>={j}" for j in range(1, k)),
             "epsilon"]
    point = np.concatenate([fit.shares, fit.cumulative(), [fit.epsilon]])
    boots = np.empty((n_boot, point.size))
    for b in range(n_boot):
        f = classify_orders(a[rng.integers(0, a.shape[0], a.shape[0])], p,
                            n_actions=n_actions, type_labels=fit.type_labels)
        boots[b] = np.concatenate([f.shares, f.cumulative(), [f.epsilon]])
    q = ((1 - level) / 2, (1 + level) / 2)
    lo, hi = (np.quantile(boots, q, axis=0) if n_boot > 1
              else (np.full(point.size, np.nan), np.full(point.size, np.nan)))
    method = "EM mixture of orders with uniform trembles; percentile bootstrap over subjects"
    est = {n: Estimate(value=float(v), ci_low=float(low), ci_high=float(high),
                       n=int(a.shape[0]), name=n, n_boot=n_boot, level=level, method=method,
                       se=float(boots[:, i].std(ddof=1)) if n_boot > 1 else float("nan"))
           for i, (n, v, low, high) in enumerate(zip(names, point, lo, hi, strict=True))}
    if fit.epsilon >= MAX_EPSILON - 1e-12:  # play follows no order's predictions well
        est["epsilon"] = replace(est["epsilon"], at_bound=True)
    return fit, est


def orders_from_records(records: pl.DataFrame, *, item_columns: Sequence[str],
                        items: Sequence[Sequence[float]],
                        subject_columns: Sequence[str] = ("instance", "agent"),
                        action_column: str = "action") -> tuple[pl.DataFrame, np.ndarray]:
    """``(subjects, actions)``: one row per subject (``subject_columns``) and its action in
    each item (``items``: values of ``item_columns``), NaN where it has none (the last one
    where it has several)."""
    missing = [c for c in (*item_columns, *subject_columns, action_column)
               if c not in records.columns]
    if missing:
        raise ValueError(f"the records lack the column(s) {', '.join(missing)}")
    r = records.filter(pl.col(action_column).is_not_null() & pl.col(action_column).is_not_nan())
    subjects = r.select(list(subject_columns)).unique(maintain_order=True)
    if subjects.height == 0:
        raise ValueError("no decisions in the records")
    keys = {tuple(float(v) for v in it): j for j, it in enumerate(items)}
    sid = {tuple(row): i for i, row in enumerate(subjects.iter_rows())}
    out = np.full((subjects.height, len(items)), np.nan)
    cols = r.select([*subject_columns, *item_columns, action_column]).iter_rows()
    ns = len(subject_columns)
    for row in cols:
        j = keys.get(tuple(float(v) for v in row[ns:-1]))
        if j is not None:
            out[sid[tuple(row[:ns])], j] = float(row[-1])
    return subjects, out


def report_rationality_orders(ctx: Any, params: Mapping[str, Any]) -> None:
    """Catalogue kind ``rationality_orders``: type and cumulative shares with bootstrap CIs
    next to the human reference, and the predictions of the top order (the iterated-dominance
    profile). ``params``: ``item_columns``, ``items``, ``predictions`` (types x items),
    ``type_labels``, ``n_actions``, optional ``item_labels``, ``benchmark_type`` and
    ``reference`` (``label``, ``cumulative`` R>=1.., ``source``)."""
    _, a = orders_from_records(ctx.records, item_columns=params["item_columns"],
                               items=params["items"])
    fit, est = order_shares(a, params["predictions"], n_actions=int(params.get("n_actions", 3)),
                            type_labels=params.get("type_labels"), n_boot=ctx.n_boot,
                            rng=ctx.rng)
    for name, e in est.items():
        ctx.keep(f"rationality_orders.{name}", e)
    ref = params.get("reference") or {}
    cum_ref = list(ref.get("cumulative", []))
    labels = fit.type_labels
    classified = np.bincount(fit.classified, minlength=len(labels)) / fit.classified.size
    ctx.report.estimates["rationality_orders.classified"] = dict(
        zip(labels, classified.tolist(), strict=True))
    s = ctx.report.sections["rationality"]
    def r4(x: float) -> float:
        return round(float(x), 4) + 0.0

    rows = [[lab, r4(est[lab].value), r4(est[lab].ci_low), r4(est[lab].ci_high),
             r4(classified[i]), ""] for i, lab in enumerate(labels)]
    for j in range(1, len(labels)):
        e = est[f"{labels[0][:1]}>={j}"]
        human = f"{cum_ref[j - 1]:.2f}" if j - 1 < len(cum_ref) else ""
        rows.append([e.name, r4(e.value), r4(e.ci_low), r4(e.ci_high), "", human])
    s.text(f"Orders of rationality of {a.shape[0]} agents from {a.shape[1]} decisions each: "
           "EM mixture with uniform trembles (fitted tremble rate "
           f"{fit.epsilon:.3f} [{est['epsilon'].ci_low:.3f}, {est['epsilon'].ci_high:.3f}]"
           + (", at its cap: the agents' play follows no order's predictions well"
              if est["epsilon"].at_bound else "") + "), "
           "95 % percentile bootstrap over agents. Human reference: "
           f"{ref.get('label', 'none')}" + (f" [{ref['source']}]" if "source" in ref else "")
           + ".")
    s.table("Orders of rationality (Kneeland-style exclusion restriction)",
            ["order", "share", "95% CI low", "95% CI high", "share classified",
             "human (cumulative)"], rows)
    top = params.get("benchmark_type")
    if top is not None:
        item_labels = params.get("item_labels") or [str(it) for it in params["items"]]
        preds = params["predictions"]
        s.table("Predicted action of each order (the top order's is the iterated-dominance "
                "equilibrium)", ["item", *labels[1:]],
                [[lab, *("random" if preds[k][i] is None else preds[k][i]
                         for k in range(1, len(labels)))]
                 for i, lab in enumerate(item_labels)])
