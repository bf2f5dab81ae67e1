"""Responders' accept/reject decisions against humans' minimum acceptable offers.

A strategy-method baseline (e.g. MobLab's ultimatum data of Mei et al. 2024) gives each human
responder's minimum acceptable offer ``m`` (a share of the pie). A human with threshold ``m``
accepts an offer ``o`` exactly when ``o >= m``, so the humans accept ``o`` with probability
``A_H(o) = P(m <= o)``, the empirical CDF of the thresholds. Agents in an ordinary ultimatum
run state no threshold: they accept or reject the one offer they see. :func:`acceptance`
compares their decisions with what the humans would have done facing the same offers:

* the agents' acceptance rate against the humans' predicted rate ``mean_j A_H(o_j)`` over the
  agents' offers ``o_j``, and their difference, with percentile bootstrap intervals
  (resampling the agents' decisions and the humans' thresholds);
* per offer bin, the agents' rate next to the humans' predicted rate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from agora.analysis import baselines as bl
from agora.analysis.estimate import DEFAULT_BOOT, Estimate, estimate_from, make_rng

ACCEPT_HEADER = ["offer bin (share)", "decisions", "agents accept", "humans would accept"]
"""Columns of :meth:`Acceptance.bin_rows`."""


@dataclass(frozen=True, kw_only=True)
class Acceptance:
    """Agents' acceptance against the humans' thresholds (see the module)."""

    baseline: str
    n_decisions: int
    n_human: int
    agent_rate: Estimate
    human_rate: Estimate
    difference: Estimate
    bins: list[list[Any]]

    def as_rows(self) -> list[tuple[str, str]]:
        """(label, value) rows for reports."""
        def est(e: Estimate) -> str:
            return f"{e.value:.4g} [{e.ci_low:.4g}, {e.ci_high:.4g}]"

        return [("baseline", self.baseline),
                ("responder decisions / human thresholds",
                 f"{self.n_decisions} / {self.n_human}"),
                ("agents' acceptance rate, 95% CI", est(self.agent_rate)),
                ("humans' acceptance of the same offers, 95% CI", est(self.human_rate)),
                ("difference (agents − humans), 95% CI", est(self.difference))]

    def bin_rows(self) -> list[list[Any]]:
        """Rows of an :data:`ACCEPT_HEADER` table."""
        return self.bins


def human_acceptance(offers: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """``A_H(o) = P(m <= o)`` of each offer (shares) under the thresholds ``m``."""
    m = np.sort(np.asarray(thresholds, dtype=np.float64))
    if m.size == 0:
        raise ValueError("human_acceptance: no thresholds")
    return np.searchsorted(m, np.asarray(offers, dtype=np.float64), side="right") / m.size


def responder_decisions(records: pl.DataFrame, baseline: bl.Baseline,
                        config: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """Offers (shares of the pie) and accept (1) / reject (0) of the first-round decisions of
    the baseline's roles, from the records' ``offer`` and ``agreed`` columns."""
    missing = [c for c in ("offer", "agreed") if c not in records.columns]
    if missing:
        raise ValueError(f"the records lack the column(s) {', '.join(missing)}")
    pie = next((float(config[k]) for k in ("pie", "endowment") if k in config), None)
    if pie is None:
        raise ValueError("the config names no pie")
    frame = records.filter(pl.col("round") == records["round"].min())
    if baseline.roles and "role" in frame.columns:
        frame = frame.filter(pl.col("role").cast(pl.String).is_in(list(baseline.roles)))
    frame = frame.filter(pl.col("offer").is_not_null() & pl.col("offer").is_not_nan()
                         & pl.col("agreed").is_not_null() & pl.col("agreed").is_not_nan())
    return (frame["offer"].to_numpy().astype(np.float64) / pie,
            (frame["agreed"].to_numpy() > 0).astype(np.float64))


def acceptance(records: pl.DataFrame | tuple[np.ndarray, np.ndarray],
               baseline: str | bl.Baseline, config: dict[str, Any] | None = None, *,
               n_bins: int = 10, n_boot: int = DEFAULT_BOOT,
               rng: np.random.Generator | int | None = None,
               level: float = 0.95) -> Acceptance:
    """Compare responders' decisions (records, or ``(offers, accepted)`` arrays with offers
    as shares of the pie) with a baseline of minimum acceptable offers."""
    b = bl.load_baseline(baseline) if isinstance(baseline, str) else baseline
    if b.values is None:
        raise ValueError(f"baseline {b.name!r} has no individual thresholds")
    if isinstance(records, pl.DataFrame):
        offers, accepted = responder_decisions(records, b, config or {})
    else:
        offers, accepted = (np.asarray(a, dtype=np.float64) for a in records)
    if offers.size < 2 or offers.size != accepted.size:
        raise ValueError(f"acceptance: need at least two responder decisions with one offer "
                         f"each (got {offers.size} offers, {accepted.size} decisions)")
    m = b.values[np.isfinite(b.values)]
    gen = make_rng(rng)
    pred = human_acceptance(offers, m)
    a_draws, h_draws = np.empty(n_boot), np.empty(n_boot)
    for r in range(n_boot):
        i = gen.integers(0, offers.size, offers.size)
        a_draws[r] = accepted[i].mean()
        h_draws[r] = human_acceptance(offers[i], m[gen.integers(0, m.size, m.size)]).mean()
    method = "percentile bootstrap over decisions and human thresholds"

    def est(value: float, draws: np.ndarray, name: str) -> Estimate:
        return estimate_from(value, draws, offers.size, name=name, level=level, method=method)

    edges = np.linspace(0.0, 1.0, n_bins + 1)
    idx = np.clip(np.searchsorted(edges, offers, side="right") - 1, 0, n_bins - 1)
    bins = [[f"[{edges[k]:.2g}, {edges[k + 1]:.2g}{']' if k == n_bins - 1 else ')'}",
             int(np.sum(idx == k)), float(accepted[idx == k].mean()),
             float(pred[idx == k].mean())] for k in range(n_bins) if np.any(idx == k)]
    return Acceptance(baseline=b.name, n_decisions=int(offers.size), n_human=int(m.size),
                      agent_rate=est(float(accepted.mean()), a_draws, "agent_acceptance"),
                      human_rate=est(float(pred.mean()), h_draws, "human_acceptance"),
                      difference=est(float(accepted.mean() - pred.mean()), a_draws - h_draws,
                                     "acceptance_difference"), bins=bins)
