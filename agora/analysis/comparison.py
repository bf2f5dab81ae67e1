"""Agents versus a human baseline (:func:`compare`).

Every statistic of one comparison comes from one human sample: the individual values when the
baseline has them (a published mean that differs from the rows' mean is shown next to them,
labelled, and used in no statistic), else the reported summary:

* distribution distances when individual human choices exist: the 1-Wasserstein distance
  ``W₁ = ∫ |F(x) − G(x)| dx`` and the two-sample Kolmogorov-Smirnov statistic
  ``sup |F − G|`` with its p-value (``scipy.stats``);
* a mean-difference test: Welch's t test on individual data, Welch's test from the reported
  mean, sd and n when only those exist, and a one-sample t test of the agents against the human
  mean when the sd is not reported (the human mean is then treated as known);
* binomial tests of the shares choosing reported point masses (Engel 2011: nothing, half,
  everything), against the individual values' shares when there are individual values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl
from scipy import stats

from agora.analysis.baselines import Baseline, agent_values, load_baseline


# --------------------------------------------------------------------- comparison
@dataclass(frozen=True, kw_only=True)
class Comparison:
    """Agents versus a human baseline.

    ``human_sample`` says which human sample every statistic uses (``"individual"`` values or
    the ``"reported"`` summary); ``published_mean`` is the paper's mean when it is not the one
    the statistics use (individual rows whose mean differs from the printed one), shown apart.
    """

    baseline: str
    measure: str
    n_agents: int
    n_human: int
    agent_mean: float
    human_mean: float
    mean_diff: float
    test: str
    statistic: float
    p_value: float
    agent_median: float = math.nan
    human_median: float = math.nan
    wasserstein: float | None = None
    ks_statistic: float | None = None
    ks_p_value: float | None = None
    point_masses: dict[float, tuple[float, float, float]] = field(default_factory=dict)
    human_sample: str = "reported"
    published_mean: float = math.nan
    notes: str = ""

    def as_rows(self) -> list[tuple[str, str]]:
        """(label, value) rows for reports."""
        sample = ("individual human values" if self.human_sample == "individual"
                  else "reported human summary")
        rows = [("baseline", self.baseline), ("measure", self.measure),
                ("human sample of every statistic below", sample),
                ("n agents / n human", f"{self.n_agents} / {self.n_human}"),
                ("agent mean / human mean", f"{self.agent_mean:.4g} / {self.human_mean:.4g}"),
                ("mean difference (agents − humans)", f"{self.mean_diff:+.4g}"),
                (self.test, f"statistic {self.statistic:.4g}, p = {self.p_value:.3g}")]
        if not (math.isnan(self.agent_median) and math.isnan(self.human_median)):
            rows.append(("agent median / human median",
                         f"{self.agent_median:.4g} / {self.human_median:.4g}"))
        if self.wasserstein is not None:
            rows.append(("Wasserstein-1 distance", f"{self.wasserstein:.4g}"))
        if self.ks_statistic is not None:
            rows.append(("Kolmogorov-Smirnov", f"D = {self.ks_statistic:.4g}, "
                                               f"p = {self.ks_p_value:.3g}"))
        for v, (a, h, p) in self.point_masses.items():
            rows.append((f"share choosing {v:g}", f"agents {a:.3f} vs humans {h:.3f} "
                                                  f"(binomial p = {p:.3g})"))
        if not math.isnan(self.published_mean):
            rows.append(("published human mean (paper; not used above)",
                         f"{self.published_mean:.4g}"))
        if self.notes:
            rows.append(("notes", self.notes))
        return rows


def compare(records: pl.DataFrame | np.ndarray, baseline: str | Baseline,
            config: dict[str, Any] | None = None) -> Comparison:
    """Compare agents' choices (a record table or an array in the baseline's measure).

    Every statistic uses one human sample: the individual values when the baseline has at
    least two, else the reported mean (sd, n). A published mean that the individual values do
    not reproduce is returned as ``published_mean`` and used in no statistic.
    """
    b = load_baseline(baseline) if isinstance(baseline, str) else baseline
    x = (agent_values(records, b, config) if isinstance(records, pl.DataFrame)
         else np.asarray(records, dtype=np.float64))
    x = x[np.isfinite(x)]
    if x.size < 2:
        raise ValueError("compare: need at least two agent choices")
    notes = []
    for key in b.match_params:
        if config and key in config and abs(float(config[key]) - float(b.params[key])) > 1e-6:
            notes.append(f"run {key} = {float(config[key]):.4g} differs from the baseline's "
                         f"{key} = {float(b.params[key]):.4g}")
    w = ks = ksp = None
    published = math.nan
    y = b.values[np.isfinite(b.values)] if b.values is not None else None
    if y is not None and y.size >= 2:
        sample, n_human = "individual", int(y.size)
        w = float(stats.wasserstein_distance(x, y))
        ks_res = stats.ks_2samp(x, y)
        ks, ksp = float(ks_res.statistic), float(ks_res.pvalue)
        t = stats.ttest_ind(x, y, equal_var=False)
        test = "Welch t test (individual data)"
        human_mean, human_median = float(y.mean()), float(np.median(y))
        masses = {v: float(np.mean(np.isclose(y, v, atol=1e-9))) for v in b.point_masses}
        if not b.summary_from_values and not math.isnan(b.mean):
            published = b.mean
            notes.append(f"every statistic uses the {y.size} published individual values "
                         f"(mean {human_mean:.4g}); the paper's printed mean {b.mean:.4g} "
                         "is shown apart")
    else:
        sample, n_human = "reported", b.n
        human_mean, human_median, masses = b.mean, b.median, dict(b.point_masses)
        if not math.isnan(b.sd):
            t = stats.ttest_ind_from_stats(x.mean(), x.std(ddof=1), x.size, b.mean, b.sd, b.n,
                                           equal_var=False)
            test = "Welch t test from reported mean, sd, n"
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                t = stats.ttest_1samp(x, b.mean)
            test = "one-sample t test against the human mean (sd not reported)"
            notes.append("no public individual human data: distribution distances unavailable")
    tests: dict[float, tuple[float, float, float]] = {}
    for v, share in masses.items():
        k = int(np.sum(np.isclose(x, v, atol=1e-9)))
        tests[v] = (k / x.size, share, float(stats.binomtest(k, x.size, share).pvalue))
    return Comparison(baseline=b.name, measure=b.measure, n_agents=int(x.size),
                      n_human=n_human, agent_mean=float(x.mean()),
                      human_mean=float(human_mean), mean_diff=float(x.mean() - human_mean),
                      test=test, statistic=float(t.statistic), p_value=float(t.pvalue),
                      agent_median=float(np.median(x)), human_median=float(human_median),
                      wasserstein=w, ks_statistic=ks, ks_p_value=ksp, point_masses=tests,
                      human_sample=sample, published_mean=published, notes="; ".join(notes))
