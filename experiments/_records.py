"""Helpers over run records: parse-status counts, final decisions and mean estimates."""

from __future__ import annotations

import math

import numpy as np
import polars as pl

from agora.analysis.estimate import Estimate


def parse_counts(records: pl.DataFrame) -> dict[str, int]:
    """LLM answers by parse status (``ok``, ``repaired``, ``fallback``); empty for scripted."""
    if "parse_status" not in records.columns:
        return {}
    counts = records["parse_status"].drop_nulls().value_counts()
    return {str(k): int(v) for k, v in counts.iter_rows()}


def finals(records: pl.DataFrame, column: str = "agreed") -> pl.DataFrame:
    """Each game's final decision (rows where the game's outcome ``column`` is set)."""
    return records.filter(pl.col(column).is_not_null())


def column_estimate(values: np.ndarray | pl.Series, name: str, *, n_boot: int,
                    rng: np.random.Generator) -> Estimate:
    """Mean with a bootstrap interval (NaN estimate for no data)."""
    from agora.analysis.estimate import mean_estimate

    x = np.asarray(values, dtype=np.float64)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return Estimate(value=math.nan, ci_low=math.nan, ci_high=math.nan, n=0, name=name)
    if x.size == 1:
        return Estimate(value=float(x[0]), ci_low=math.nan, ci_high=math.nan, n=1, name=name)
    return mean_estimate(x, name=name, n_boot=n_boot, rng=rng)
