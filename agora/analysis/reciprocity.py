"""Reciprocity: how a second mover's transfer responds to the first mover's (trust games).

For pairs ``(x_i, y_i)`` (e.g. amount sent and amount returned):

* the reciprocity slope ``b`` and intercept ``a`` of the least-squares line
  ``y = a + b·x`` (``b = cov(x, y) / var(x)``): the extra amount returned per unit sent;
* Spearman's rank correlation of ``x`` and ``y`` (what Berg, Dickhaut & McCabe 1995 report);
* with a ``multiplier`` ``m``, the mean return ratio ``y / (m·x)`` over pairs with ``x > 0``
  (the share of what arrived that came back).

Intervals: percentile bootstrap over pairs (each pair one independent unit), from one seeded
generator (:mod:`agora.analysis.estimate`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import polars as pl

from agora.analysis.estimate import DEFAULT_BOOT, Estimate, estimate_from, make_rng


@dataclass(frozen=True, kw_only=True)
class ReciprocityFit:
    """Reciprocity estimates of one sample of pairs (see the module)."""

    slope: Estimate
    intercept: Estimate
    spearman: Estimate
    return_ratio: Estimate | None
    n: int

    def rows(self) -> list[tuple[str, Estimate]]:
        """(label, estimate) rows for reports."""
        out = [("reciprocity slope (returned per unit sent, OLS)", self.slope),
               ("intercept (returned at nothing sent)", self.intercept),
               ("Spearman rank correlation of sent and returned", self.spearman)]
        if self.return_ratio is not None:
            out.append(("mean return ratio (share of what arrived returned, sent > 0)",
                        self.return_ratio))
        return out


def _ols(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    dx = x - x.mean()
    var = float(dx @ dx)
    if var <= 0:
        raise ValueError("reciprocity: the amounts sent do not vary, so no slope")
    b = float(dx @ (y - y.mean())) / var
    return b, float(y.mean() - b * x.mean())


def _spearman(x: np.ndarray, y: np.ndarray) -> float:
    from scipy.stats import rankdata

    rx, ry = rankdata(x), rankdata(y)
    if rx.std() == 0 or ry.std() == 0:
        return math.nan
    return float(np.corrcoef(rx, ry)[0, 1])


def reciprocity(x: np.ndarray, y: np.ndarray, *, multiplier: float | None = None,
                n_boot: int = DEFAULT_BOOT, rng: np.random.Generator | int | None = None,
                level: float = 0.95) -> ReciprocityFit:
    """Reciprocity slope, intercept, Spearman correlation and (with ``multiplier``) the mean
    return ratio of the pairs ``(x, y)``, with percentile bootstrap intervals over pairs.

    Raises:
        ValueError: fewer than three finite pairs, or ``x`` without variation.
    """
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError(f"reciprocity: x and y differ in length ({x.size} and {y.size})")
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    if x.size < 3:
        raise ValueError(f"reciprocity: need at least three pairs, got {x.size}")
    if multiplier is not None and not (math.isfinite(multiplier) and multiplier > 0):
        raise ValueError(f"reciprocity: multiplier must be > 0, got {multiplier}")
    b, a = _ols(x, y)
    gen = make_rng(rng)
    idx = gen.integers(0, x.size, size=(max(n_boot, 0), x.size))
    draws = np.full((idx.shape[0], 3), np.nan)
    for i, j in enumerate(idx):
        if np.ptp(x[j]) > 0:
            draws[i, :2] = _ols(x[j], y[j])
        draws[i, 2] = _spearman(x[j], y[j])
    method = "percentile bootstrap over pairs"

    def est(value: float, d: np.ndarray, name: str, n: int) -> Estimate:
        return estimate_from(value, d[np.isfinite(d)], n, name=name, level=level,
                             method=method)

    ratio = None
    if multiplier is not None:
        pos = x > 0
        if pos.sum() >= 2:
            rr = y[pos] / (multiplier * x[pos])
            rdraws = rr[gen.integers(0, rr.size, size=(max(n_boot, 0), rr.size))].mean(axis=1)
            ratio = est(float(rr.mean()), rdraws, "return_ratio", int(rr.size))
    return ReciprocityFit(slope=est(b, draws[:, 0], "slope", x.size),
                          intercept=est(a, draws[:, 1], "intercept", x.size),
                          spearman=est(_spearman(x, y), draws[:, 2], "spearman", x.size),
                          return_ratio=ratio, n=int(x.size))


def reciprocity_from_records(records: pl.DataFrame, *, x: str, y: str, role: str | None = None,
                             multiplier: float | None = None, n_boot: int = DEFAULT_BOOT,
                             rng: np.random.Generator | int | None = None) -> ReciprocityFit:
    """:func:`reciprocity` of the records' columns ``x`` and ``y`` (rows of ``role`` only when
    given and the records have roles; every round's decisions, each one pair)."""
    for col in (x, y):
        if col not in records.columns:
            raise ValueError(f"reciprocity: the records lack the column {col!r}")
    frame = records
    if role is not None and "role" in frame.columns:
        frame = frame.filter(pl.col("role").cast(pl.String) == role)
    return reciprocity(frame[x].cast(pl.Float64).to_numpy(),
                       frame[y].cast(pl.Float64).to_numpy(), multiplier=multiplier,
                       n_boot=n_boot, rng=rng)
