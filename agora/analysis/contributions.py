"""Contributions in public goods games: by round with bootstrap CIs, and conditional-contribution
types from the strategy method (Fischbacher, Gächter & Fehr 2001, *Economics Letters* 71:397-404).

Everything here reads record columns only (no game is named):

* :func:`contribution_by_round`: mean of a contribution column by round (and treatment), with a
  percentile bootstrap CI that resamples clusters (instances by default: the decisions of one
  session are not independent), optionally as a share of the endowment.
* :func:`classify_profile` / :func:`classify_profiles`: the type of a contribution table
  ``t_0..t_e`` (own contribution for each rounded average contribution of the others). The
  rules, applied in this order, are agora's reading of FGF's verbal definitions (their exact
  procedure could not be read from a reachable source; check it there before citing a share):

  1. **free rider**: every entry is 0 ("contributes nothing whatever the others do");
  2. **hump-shaped** ("triangle contributor"): the first maximum sits at an interior ``k*``
     (``0 < k* < e``), is above both ends (``t_{k*} > t_0`` and ``t_{k*} > t_e``), the table
     is weakly increasing up to ``k*`` and weakly decreasing after it;
  3. **conditional cooperator**: the table is weakly increasing and not constant, or the
     Spearman rank correlation of ``t_k`` with ``k`` is positive and significant at level
     ``alpha`` (one-sided; default 0.01), the Spearman rule FGF use;
  4. **other**: everything else (including unconditional contributors with a constant
     positive table).

* :func:`profile_summary`: the mean table of each type and the type shares.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import polars as pl
from scipy import stats

TYPES = ("conditional cooperator", "free rider", "hump-shaped", "other")
"""FGF types, in the order reports list them."""


def _filtered(records: pl.DataFrame, where: Mapping[str, Any] | None) -> pl.DataFrame:
    frame = records
    for col, value in (where or {}).items():
        if col not in frame.columns:
            raise ValueError(f"contributions: records have no column {col!r}")
        frame = frame.filter(pl.col(col) == value)
    return frame


def contribution_by_round(records: pl.DataFrame, column: str = "action", *,
                          round_column: str = "round", treatment: str | None = None,
                          cluster: str = "instance", where: Mapping[str, Any] | None = None,
                          endowment: float | None = None, n_boot: int = 1000,
                          level: float = 0.95,
                          rng: np.random.Generator | None = None) -> pl.DataFrame:
    """Mean contribution by round (and ``treatment``) with cluster-bootstrap CIs.

    Returns one row per (treatment, round): ``treatment`` (``"all"`` without one), ``round``,
    ``clusters``, ``decisions``, ``mean``, ``ci_low``, ``ci_high`` (divided by ``endowment``
    when given). The bootstrap draws clusters with replacement within each (treatment, round)
    cell and recomputes the decision-weighted mean.
    """
    frame = _filtered(records, where)
    for col in (column, round_column, cluster, *([treatment] if treatment else [])):
        if col not in frame.columns:
            raise ValueError(f"contribution_by_round: records have no column {col!r}")
    if frame.height == 0:
        raise ValueError("contribution_by_round: no decisions to summarise")
    if endowment is not None and not endowment > 0:
        raise ValueError(f"contribution_by_round: endowment must be > 0, got {endowment}")
    if not 0 < level < 1 or n_boot < 1:
        raise ValueError("contribution_by_round: need 0 < level < 1 and n_boot >= 1")
    rng = rng if rng is not None else np.random.default_rng(0)
    scale = float(endowment) if endowment is not None else 1.0
    tcol = pl.col(treatment).cast(pl.String) if treatment else pl.lit("all")
    cells = (frame.with_columns(tcol.alias("_t"))
             .group_by(["_t", round_column, cluster])
             .agg(pl.col(column).cast(pl.Float64).sum().alias("_s"), pl.len().alias("_n"))
             .sort(["_t", round_column, cluster]))
    rows = []
    for (t, r), g in cells.group_by(["_t", round_column], maintain_order=True):
        s, n = g["_s"].to_numpy(), g["_n"].to_numpy().astype(np.float64)
        idx = rng.integers(0, s.size, size=(n_boot, s.size))
        boot = s[idx].sum(axis=1) / n[idx].sum(axis=1)
        lo, hi = np.quantile(boot, [(1 - level) / 2, (1 + level) / 2])
        rows.append({"treatment": str(t), "round": int(r), "clusters": int(s.size),
                     "decisions": int(n.sum()), "mean": float(s.sum() / n.sum()) / scale,
                     "ci_low": float(lo) / scale, "ci_high": float(hi) / scale})
    return pl.DataFrame(rows).sort(["treatment", "round"])


def spearman_one_sided(table: Sequence[float]) -> tuple[float, float]:
    """Spearman ``rho`` of ``t_k`` with ``k`` and its one-sided p-value for ``rho > 0``
    (``(nan, 1)`` for a constant table)."""
    t = np.asarray(table, dtype=np.float64)
    if t.size < 3 or np.all(t == t[0]):
        return float("nan"), 1.0
    res = stats.spearmanr(np.arange(t.size), t, alternative="greater")
    return float(res.statistic), float(res.pvalue)


def classify_profile(table: Sequence[float], *, alpha: float = 0.01) -> str:
    """The FGF type of one contribution table (rules in the module docstring)."""
    t = np.asarray(table, dtype=np.float64)
    if t.ndim != 1 or t.size < 2 or not np.all(np.isfinite(t)):
        raise ValueError(f"classify_profile: need a finite table of >= 2 entries, got {table!r}")
    if np.all(t == 0):
        return "free rider"
    d = np.diff(t)
    peak = int(np.argmax(t))
    if (0 < peak < t.size - 1 and t[peak] > t[0] and t[peak] > t[-1]
            and np.all(d[:peak] >= 0) and np.all(d[peak:] <= 0)):
        return "hump-shaped"
    rho, p = spearman_one_sided(t)
    if (np.all(d >= 0) and np.any(d > 0)) or (rho > 0 and p < alpha):
        return "conditional cooperator"
    return "other"


def classify_profiles(tables: np.ndarray, *, alpha: float = 0.01) -> list[str]:
    """Types of the rows of ``tables`` (shape ``(subjects, e + 1)``)."""
    arr = np.asarray(tables, dtype=np.float64)
    if arr.ndim != 2:
        raise ValueError(f"classify_profiles: need a 2-D array of tables, got shape {arr.shape}")
    return [classify_profile(row, alpha=alpha) for row in arr]


def profiles_from_records(records: pl.DataFrame, prefix: str = "table_") -> np.ndarray:
    """Contribution tables from records with columns ``prefix0 .. prefix{e}`` (rows that have
    them: the strategy-method decisions)."""
    cols = sorted((c for c in records.columns if c.startswith(prefix)
                   and c[len(prefix):].isdigit()), key=lambda c: int(c[len(prefix):]))
    if not cols:
        raise ValueError(f"profiles_from_records: records have no {prefix}k columns")
    frame = records.select(cols).drop_nulls().filter(~pl.any_horizontal(
        [pl.col(c).is_nan() for c in cols]))
    return frame.to_numpy().astype(np.float64)


def profile_summary(tables: np.ndarray, *, alpha: float = 0.01) -> pl.DataFrame:
    """One row per type present: ``type``, ``subjects``, ``share`` and ``mean_table`` (the
    average contribution at each average of the others)."""
    arr = np.asarray(tables, dtype=np.float64)
    types = np.array(classify_profiles(arr, alpha=alpha))
    rows = []
    for name in TYPES:
        mask = types == name
        if mask.any():
            rows.append({"type": name, "subjects": int(mask.sum()),
                         "share": float(mask.mean()),
                         "mean_table": arr[mask].mean(axis=0).tolist()})
    return pl.DataFrame(rows)


# ------------------------------------------------------------------ report catalogue kinds
def report_contribution_by_round(ctx: Any, params: Mapping[str, Any]) -> None:
    """Catalogue kind ``contribution_by_round``: a welfare-section table and
    ``report.estimates["contribution_by_round"]``. ``params``: ``column`` (default
    ``action``), ``round_column``, ``treatment``, ``cluster``, ``where`` (column -> value
    filters, e.g. ``{"stage": 0}``), ``endowment`` (report shares), ``title``."""
    table = contribution_by_round(
        ctx.records, str(params.get("column", "action")),
        round_column=str(params.get("round_column", "round")),
        treatment=params.get("treatment"), cluster=str(params.get("cluster", "instance")),
        where=params.get("where"), endowment=params.get("endowment"), n_boot=ctx.n_boot,
        rng=ctx.rng)
    ctx.report.estimates["contribution_by_round"] = table.to_dicts()
    rows = [[r["treatment"], r["round"], r["clusters"],
             f"{r['mean']:.3f} [{r['ci_low']:.3f}, {r['ci_high']:.3f}]"]
            for r in table.iter_rows(named=True)]
    ctx.report.sections["welfare"].table(
        str(params.get("title", "Contribution by round")),
        ["treatment", "round", "clusters", "mean [95% CI]"], rows)


def report_contribution_types(ctx: Any, params: Mapping[str, Any]) -> None:
    """Catalogue kind ``contribution_types``: FGF types of the strategy-method tables in the
    rationality section and ``report.estimates["contribution_types"]``. ``params``:
    ``prefix`` (default ``table_``), ``alpha`` (default 0.01)."""
    tables = profiles_from_records(ctx.records, str(params.get("prefix", "table_")))
    summary = profile_summary(tables, alpha=float(params.get("alpha", 0.01)))
    ctx.report.estimates["contribution_types"] = summary.to_dicts()
    rows = [[r["type"], r["subjects"], f"{r['share']:.3f}",
             " ".join(f"{x:.1f}" for x in r["mean_table"])]
            for r in summary.iter_rows(named=True)]
    s = ctx.report.sections["rationality"]
    s.table("Conditional-contribution types (Fischbacher, Gächter & Fehr 2001 rules as "
            "implemented in agora.analysis.contributions)",
            ["type", "subjects", "share", "mean table (others' average 0..e)"], rows)
