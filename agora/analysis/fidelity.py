"""Human-likeness: how far agents' choices are from a human baseline with individual data.

:func:`fidelity` scores the agents' first-round choices (in the baseline's measure, see
:func:`agora.analysis.baselines.agent_frame`) against the baseline's individual human values,
for all agents and for each persona subgroup (or policy of a mixture) the records carry:

* ``W₁ = ∫ |F_A(x) − F_H(x)| dx``, the Wasserstein-1 distance on the action scale (shares of the
  pie, or guesses on [0, 100]);
* ``KS = sup_x |F_A(x) − F_H(x)|``, the Kolmogorov-Smirnov statistic;
* ``TV = ½ Σ_g |p_A(g) − p_H(g)|``, the total variation between the two pmfs on the action
  grid (see *Binning*);
* the Turing-test statistic of Mei, Xie, Yuan & Jackson (2024, PNAS 121(9):e2313925121):
  draw an agent's action ``a`` and a random human's action ``h``; the judge, who knows the
  human distribution, calls the one whose bin is more frequent among humans the human. The
  statistic is ``P(f_H(a) > f_H(h)) + ½ P(f_H(a) = f_H(h))``, with ``f_H`` the humans'
  empirical pmf on the grid: 0.5 when the agents' actions are distributed like the humans',
  below when the judge tells them apart, above when agents look "more human than human" (all
  on the humans' modal bin). This is the authors' own computation: ``simulate_Turing`` in the
  "Fig. 2: Turing Test" cell of ``plot.ipynb`` in their repository (yutxie/ChatGPT-Behavioral,
  commit 69ec557) bins both samples into 10 equal bins of [0, 100], draws pairs and reports
  the shares of wins (agent's bin more frequent), ties and losses. Here the same quantities
  are computed exactly from the two pmfs (no simulation) and reported as the win share plus
  half the ties, with the win and tie shares alongside.

*Binning.* By default the grid is Mei et al.'s: ``n_bins`` = 10 equal bins over the measure's
range ([0, 1] for shares, [0, 100] for guesses; the top value falls in the last bin, values
outside the range in the end bins). With ``grid=`` (points of the action grid, in the
baseline's measure, e.g. the game's actions over the pie) every value is assigned to its
nearest grid point instead.

*Intervals.* Percentile bootstrap: each replicate resamples the agents' and the humans'
choices independently with replacement and recomputes every statistic (the Turing judge's
``f_H`` included). Rows of one subject are resampled as independent decisions (use the default
one-decision-per-subject baselines for independent units). Distances are >= 0 and a
resampled distance is biased upwards when the true distance is small (resampling noise alone
adds distance), so near 0 the percentile interval can lie wholly above the point estimate: read
small distances against a sampling floor, e.g. the score of an equally large random draw of the
humans themselves (what the experiment scripts print as a reference row).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from agora.analysis import baselines as bl
from agora.analysis.estimate import DEFAULT_BOOT, Estimate, estimate_from, make_rng
from agora.analysis.subgroups import available_subgroups

N_BINS = 10
"""Mei et al.'s (2024) bins of the Turing test (10 equal bins of the action range)."""

RANGES = {"share": (0.0, 1.0), "guess": (0.0, 100.0), "rate": (0.0, 1.0)}
"""Range of each baseline measure (for the equal bins)."""

FIDELITY_HEADER = ["baseline", "group", "n agents", "n human", "Wasserstein-1",
                   "W1 95% CI", "KS", "KS 95% CI", "total variation", "TV 95% CI",
                   "Turing statistic", "Turing 95% CI", "Turing win / tie"]
"""Columns of :meth:`FidelityTable.as_rows`."""


# --------------------------------------------------------------------------- statistics
def _bin_index(support: np.ndarray, grid: np.ndarray | None, n_bins: int,
               value_range: tuple[float, float]) -> tuple[np.ndarray, int]:
    """Bin of each support point and the number of bins."""
    if grid is not None:
        g = np.sort(np.asarray(grid, dtype=np.float64))
        if g.size == 0 or not np.all(np.isfinite(g)):
            raise ValueError("fidelity: grid must be a non-empty array of finite numbers")
        pos = np.clip(np.searchsorted(g, support), 1, max(g.size - 1, 1))
        left = g[pos - 1]
        right = g[np.minimum(pos, g.size - 1)]
        idx = np.where(np.abs(support - left) <= np.abs(right - support), pos - 1, pos)
        return np.clip(idx, 0, g.size - 1), int(g.size)
    if n_bins < 1:
        raise ValueError(f"fidelity: n_bins must be >= 1, got {n_bins}")
    lo, hi = value_range
    if not hi > lo:
        raise ValueError(f"fidelity: empty value range [{lo}, {hi}]")
    idx = np.floor((support - lo) / (hi - lo) * n_bins).astype(np.int64)
    return np.clip(idx, 0, n_bins - 1), int(n_bins)


def _statistics(ca: np.ndarray, ch: np.ndarray, support: np.ndarray, bins: np.ndarray,
                n_bins: int) -> dict[str, np.ndarray]:
    """Every statistic of count vectors over ``support`` (rows: replicates)."""
    pa = ca / ca.sum(axis=1, keepdims=True)
    ph = ch / ch.sum(axis=1, keepdims=True)
    fa, fh = np.cumsum(pa, axis=1), np.cumsum(ph, axis=1)
    gaps = np.diff(support)
    w1 = (np.abs(fa - fh)[:, :-1] * gaps).sum(axis=1)
    ks = np.abs(fa - fh).max(axis=1)
    reps = ca.shape[0]
    tv, win, tie = np.empty(reps), np.empty(reps), np.empty(reps)
    for r in range(reps):
        ga = np.bincount(bins, weights=pa[r], minlength=n_bins)
        gh = np.bincount(bins, weights=ph[r], minlength=n_bins)
        tv[r] = 0.5 * np.abs(ga - gh).sum()
        # Turing judge: f_H of the agent's bin against f_H of a random human's bin.
        equal = np.isclose(gh[:, None], gh[None, :], rtol=0.0, atol=1e-12)
        higher = (gh[:, None] > gh[None, :]) & ~equal
        win[r] = ga @ higher @ gh
        tie[r] = ga @ equal @ gh
    return {"wasserstein": w1, "ks": ks, "tv": tv, "turing": win + 0.5 * tie, "win": win,
            "tie": tie}


def _score(x: np.ndarray, y: np.ndarray, *, grid: np.ndarray | None, n_bins: int,
           value_range: tuple[float, float], n_boot: int,
           gen: np.random.Generator) -> dict[str, Any]:
    support = np.union1d(np.unique(x), np.unique(y))
    ca = np.searchsorted(support, x)
    ch = np.searchsorted(support, y)
    counts_a = np.bincount(ca, minlength=support.size).astype(np.float64)
    counts_h = np.bincount(ch, minlength=support.size).astype(np.float64)
    bins, k = _bin_index(support, grid, n_bins, value_range)
    point = _statistics(counts_a[None], counts_h[None], support, bins, k)
    draws: dict[str, np.ndarray] = {key: np.empty(0) for key in point}
    if n_boot > 0:
        boot_a = gen.multinomial(x.size, counts_a / x.size, size=n_boot).astype(np.float64)
        boot_h = gen.multinomial(y.size, counts_h / y.size, size=n_boot).astype(np.float64)
        draws = _statistics(boot_a, boot_h, support, bins, k)
    return {"point": {key: float(v[0]) for key, v in point.items()}, "draws": draws,
            "n_grid": k}


# --------------------------------------------------------------------------- results
@dataclass(frozen=True, kw_only=True)
class FidelityScore:
    """Human-likeness of one group of agents against one baseline (see the module)."""

    baseline: str
    group: str
    n_agents: int
    n_human: int
    wasserstein: Estimate
    ks: Estimate
    total_variation: Estimate
    turing: Estimate
    turing_win: float
    turing_tie: float
    binning: str
    notes: str = ""

    def as_rows(self) -> list[tuple[str, str]]:
        """(label, value) rows for reports."""
        def est(e: Estimate) -> str:
            return f"{e.value:.4g} [{e.ci_low:.4g}, {e.ci_high:.4g}]"

        rows = [("baseline", self.baseline), ("group", self.group),
                ("n agents / n human", f"{self.n_agents} / {self.n_human}"),
                ("Wasserstein-1 (action scale), 95% CI", est(self.wasserstein)),
                ("Kolmogorov-Smirnov statistic, 95% CI", est(self.ks)),
                ("total variation on the grid, 95% CI", est(self.total_variation)),
                ("Turing-test statistic (0.5: indistinguishable), 95% CI", est(self.turing)),
                ("Turing judge: agent wins / ties", f"{self.turing_win:.3f} / "
                                                    f"{self.turing_tie:.3f}"),
                ("grid", self.binning)]
        if self.notes:
            rows.append(("notes", self.notes))
        return rows

    def table_row(self) -> list[Any]:
        """One row of a :data:`FIDELITY_HEADER` table."""
        def ci(e: Estimate) -> str:
            return f"[{e.ci_low:.3g}, {e.ci_high:.3g}]"

        return [self.baseline, self.group, self.n_agents, self.n_human,
                self.wasserstein.value, ci(self.wasserstein), self.ks.value, ci(self.ks),
                self.total_variation.value, ci(self.total_variation), self.turing.value,
                ci(self.turing), f"{self.turing_win:.3f} / {self.turing_tie:.3f}"]

    def as_dict(self) -> dict[str, Any]:
        """Flat dictionary (for JSON)."""
        out: dict[str, Any] = {"baseline": self.baseline, "group": self.group,
                               "n_agents": self.n_agents, "n_human": self.n_human,
                               "turing_win": self.turing_win, "turing_tie": self.turing_tie,
                               "binning": self.binning}
        for key in ("wasserstein", "ks", "total_variation", "turing"):
            e: Estimate = getattr(self, key)
            out.update({key: e.value, f"{key}_ci_low": e.ci_low, f"{key}_ci_high": e.ci_high})
        return out


@dataclass(frozen=True)
class FidelityTable:
    """Scores of all agents (first) and of each subgroup against one baseline."""

    scores: list[FidelityScore] = field(default_factory=list)
    notes: str = ""

    def as_rows(self) -> list[list[Any]]:
        """Rows of a :data:`FIDELITY_HEADER` table."""
        return [s.table_row() for s in self.scores]

    def to_frame(self) -> pl.DataFrame:
        """One row per score (the :meth:`FidelityScore.as_dict` columns)."""
        return pl.DataFrame([s.as_dict() for s in self.scores])


# --------------------------------------------------------------------------- entry points
def fidelity_score(agents: np.ndarray, baseline: str | bl.Baseline, *,
                   group: str = "all", grid: np.ndarray | None = None, n_bins: int = N_BINS,
                   n_boot: int = DEFAULT_BOOT, rng: np.random.Generator | int | None = None,
                   level: float = 0.95) -> FidelityScore:
    """Score agents' choices (an array in the baseline's measure) against the baseline's
    individual human values.

    Raises:
        ValueError: the baseline has no individual data, or fewer than two finite choices.
    """
    b = bl.load_baseline(baseline) if isinstance(baseline, str) else baseline
    if b.values is None:
        raise ValueError(f"baseline {b.name!r} has no individual human data "
                         "(summary statistics only)")
    x = np.asarray(agents, dtype=np.float64)
    x, y = x[np.isfinite(x)], b.values[np.isfinite(b.values)]
    if x.size < 2 or y.size < 2:
        raise ValueError(f"fidelity: need at least two agent and two human choices "
                         f"(got {x.size} and {y.size})")
    value_range = RANGES.get(b.measure, (float(min(x.min(), y.min())),
                                         float(max(x.max(), y.max()))))
    r = _score(x, y, grid=grid, n_bins=n_bins, value_range=value_range, n_boot=n_boot,
               gen=make_rng(rng))
    method = "percentile bootstrap over agents and humans"

    def est(key: str, name: str) -> Estimate:
        return estimate_from(r["point"][key], r["draws"][key], x.size, name=name, level=level,
                             method=method)

    binning = (f"nearest of {r['n_grid']} grid points" if grid is not None else
               f"{n_bins} equal bins of [{value_range[0]:g}, {value_range[1]:g}] "
               "(Mei et al. 2024)")
    notes = []
    outside = np.mean((x < value_range[0]) | (x > value_range[1]))
    if outside > 0:
        notes.append(f"{outside:.1%} of agent choices outside [{value_range[0]:g}, "
                     f"{value_range[1]:g}] fall in the end bins")
    return FidelityScore(baseline=b.name, group=group, n_agents=int(x.size),
                         n_human=int(y.size), wasserstein=est("wasserstein", "wasserstein"),
                         ks=est("ks", "ks"), total_variation=est("tv", "total_variation"),
                         turing=est("turing", "turing"), turing_win=r["point"]["win"],
                         turing_tie=r["point"]["tie"], binning=binning,
                         notes="; ".join(notes))


def fidelity(records: pl.DataFrame | np.ndarray, baseline: str | bl.Baseline,
             config: dict[str, Any] | None = None, *, by: list[str] | None = None,
             grid: np.ndarray | None = None, n_bins: int = N_BINS,
             n_boot: int = DEFAULT_BOOT, rng: np.random.Generator | int | None = None,
             level: float = 0.95, min_group: int = 2) -> FidelityTable:
    """Human-likeness of the agents of ``records`` (a record table, or an array of choices in
    the baseline's measure) against ``baseline``: all agents, then each value of each
    subgroup column ``by`` (default: the persona attributes and policies the records carry,
    see :func:`agora.analysis.subgroups.available_subgroups`) with at least ``min_group``
    agents. ``config``: the run's game config (for shares of the pie and bounds).
    """
    b = bl.load_baseline(baseline) if isinstance(baseline, str) else baseline
    gen = make_rng(rng)
    kw: dict[str, Any] = {"grid": grid, "n_bins": n_bins, "n_boot": n_boot, "rng": gen,
                          "level": level}
    if not isinstance(records, pl.DataFrame):
        return FidelityTable([fidelity_score(np.asarray(records), b, **kw)])
    frame = bl.agent_frame(records, b, config)
    scores = [fidelity_score(frame["value"].to_numpy(), b, **kw)]
    skipped = []
    for col in available_subgroups(frame) if by is None else by:
        if col not in frame.columns:
            raise KeyError(f"no column {col!r} in the records")
        for (key,), part in frame.filter(pl.col(col).is_not_null()).group_by(
                [col], maintain_order=True):
            if part.height < min_group:
                skipped.append(f"{col}={key}")
                continue
            scores.append(fidelity_score(part["value"].to_numpy(), b, group=f"{col}={key}",
                                         **kw))
    scores = scores[:1] + sorted(scores[1:], key=lambda s: s.group)
    notes = (f"groups with fewer than {min_group} agents left out: {', '.join(skipped)}"
             if skipped else "")
    return FidelityTable(scores, notes)


def turing_statistic(agents: np.ndarray, humans: np.ndarray, *,
                     grid: np.ndarray | None = None, n_bins: int = N_BINS,
                     value_range: tuple[float, float] = (0.0, 1.0)) -> float:
    """Mei et al.'s Turing-test statistic of two samples (no bootstrap; see the module)."""
    x, y = np.asarray(agents, dtype=np.float64), np.asarray(humans, dtype=np.float64)
    if x.size == 0 or y.size == 0:
        raise ValueError("turing_statistic: empty sample")
    r = _score(x, y, grid=grid, n_bins=n_bins, value_range=value_range, n_boot=0,
               gen=make_rng(0))
    return r["point"]["turing"] if math.isfinite(r["point"]["turing"]) else math.nan
