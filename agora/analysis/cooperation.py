"""Rates by round with bootstrap confidence intervals over clusters (e.g. game instances).

Generic and column-driven: any 0/1 (or numeric) column of a record table, any round column,
any cluster column. Each cluster's mean per round is computed first, then the clusters are
averaged with equal weight; the CI resamples clusters with replacement (percentile bootstrap),
so decisions of one instance (a pair, a matching group) are never treated as independent.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import polars as pl

_BOOT_CELLS = 20_000_000
"""Largest bootstrap block (replicates × clusters × rounds) held at once."""


@dataclass(frozen=True, kw_only=True)
class RoundRates:
    """Per-round rates of one column.

    Attributes:
        rounds: Round values, ascending.
        mean: Mean over clusters of each cluster's rate in that round.
        ci_low, ci_high: Percentile bootstrap interval over clusters (NaN without replicates
            or with a single cluster).
        clusters: Clusters observed in each round.
        decisions: Decisions in each round.
    """

    rounds: np.ndarray
    mean: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    clusters: np.ndarray
    decisions: np.ndarray

    def frame(self) -> pl.DataFrame:
        """The rates as a table (one row per round)."""
        return pl.DataFrame({"round": self.rounds, "mean": self.mean, "ci_low": self.ci_low,
                             "ci_high": self.ci_high, "clusters": self.clusters,
                             "decisions": self.decisions})


def rate_by_round(records: pl.DataFrame, column: str, *, round_column: str = "round",
                  cluster: str = "instance", n_boot: int = 200, level: float = 0.95,
                  rng: np.random.Generator | None = None) -> RoundRates:
    """Mean of ``column`` by ``round_column`` with a cluster bootstrap CI (rows where the
    column is null or NaN are left out)."""
    for c in (column, round_column, cluster):
        if c not in records.columns:
            raise ValueError(f"rate_by_round: the records have no column {c!r}")
    if not 0 < level < 1:
        raise ValueError(f"rate_by_round: level must be in (0, 1), got {level}")
    if n_boot < 0:
        raise ValueError(f"rate_by_round: n_boot must be >= 0, got {n_boot}")
    x = pl.col(column).cast(pl.Float64)
    frame = records.filter(x.is_not_null() & x.is_not_nan())
    if frame.height == 0:
        raise ValueError(f"rate_by_round: no values of {column!r} in the records")
    cells = (frame.group_by(cluster, round_column)
             .agg(x.mean().alias("m"), pl.len().alias("k")))
    rounds = np.sort(cells[round_column].unique().to_numpy())
    ids, cl = np.unique(cells[cluster].to_numpy(), return_inverse=True)
    col = np.searchsorted(rounds, cells[round_column].to_numpy())
    means = np.full((ids.size, rounds.size), np.nan)
    means[cl, col] = cells["m"].to_numpy()
    counts = np.zeros(rounds.size, dtype=np.int64)
    np.add.at(counts, col, cells["k"].to_numpy())
    seen = np.isfinite(means)
    point = np.nanmean(means, axis=0)
    lo = np.full(rounds.size, np.nan)
    hi = np.full(rounds.size, np.nan)
    if n_boot > 0 and ids.size > 1:
        rng = rng if rng is not None else np.random.default_rng(0)
        chunk = max(1, _BOOT_CELLS // max(1, ids.size * rounds.size))
        draws = []
        for start in range(0, n_boot, chunk):
            b = min(chunk, n_boot - start)
            idx = rng.integers(0, ids.size, size=(b, ids.size))
            sample = means[idx]
            with warnings.catch_warnings():  # a round no resampled cluster reached: NaN
                warnings.simplefilter("ignore", RuntimeWarning)
                draws.append(np.nanmean(sample, axis=1))
        d = np.concatenate(draws)
        a = (1 - level) / 2
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            lo, hi = np.nanquantile(d, [a, 1 - a], axis=0)
    return RoundRates(rounds=rounds, mean=point, ci_low=lo, ci_high=hi,
                      clusters=seen.sum(axis=0), decisions=counts)
