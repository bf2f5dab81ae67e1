"""Per-tax-year tables from tax-planner records (polars in, polars out).

Work rows carry each period's economy metrics (computed by the kernel with
:mod:`agora.analysis.welfare`: utilitarian and inverse-income welfare, Gini, AI Economist's
equality × productivity) and each worker's hours and incomes; a tax year averages its periods.
"""

from __future__ import annotations

import polars as pl

ECONOMY_COLUMNS = ("revenue", "rebate", "welfare_utilitarian", "welfare_inverse_income",
                   "welfare_inverse_realised", "gini_pre", "gini_post", "eq_x_prod", "dwl")


def rate_columns(records: pl.DataFrame) -> list[str]:
    """The ``rate_k`` columns in bracket order."""
    cols = [c for c in records.columns if c.startswith("rate_") and c[5:].isdigit()]
    return sorted(cols, key=lambda c: int(c[5:]))


def year_table(records: pl.DataFrame, by: tuple[str, ...] = ()) -> pl.DataFrame:
    """One row per (``by``..., instance, tax year): schedule, means of hours and incomes, and
    the period averages of revenue, rebate, welfare, Gini, eq × prod and the DWL proxy."""
    keys = [*by, "instance", "round"]
    work = records.filter(pl.col("hours").is_not_null())
    rates = rate_columns(records)
    per_period = work.group_by([*keys, "step"]).agg(
        *(pl.col(c).first() for c in (*ECONOMY_COLUMNS, *rates)),
        pl.col("hours").mean().alias("mean_hours"),
        pl.col("income").mean().alias("mean_income"),
        pl.col("post_tax_income").mean().alias("mean_post_tax_income"),
        pl.len().alias("workers"))
    out = per_period.group_by(keys).agg(
        *(pl.col(c).first() for c in rates),
        *(pl.col(c).mean() for c in (*ECONOMY_COLUMNS, "mean_hours", "mean_income",
                                     "mean_post_tax_income")),
        pl.col("workers").first(), pl.len().alias("periods"))
    return out.rename({"round": "tax_year"}).sort([*by, "instance", "tax_year"])


def worker_year_table(records: pl.DataFrame, by: tuple[str, ...] = ()) -> pl.DataFrame:
    """One row per (``by``..., instance, tax year, worker): mean hours, incomes and utility."""
    keys = [*by, "instance", "round", "agent"]
    work = records.filter(pl.col("hours").is_not_null())
    return work.group_by(keys).agg(
        pl.col("skill").first(),
        *(pl.col(c).mean() for c in ("hours", "income", "tax", "post_tax_income", "utility"))
    ).rename({"round": "tax_year"}).sort([*by, "instance", "tax_year", "agent"])
