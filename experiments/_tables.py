"""Printed tables: cell formatting and :class:`Table` (figures next to their benchmarks)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from agora.analysis.estimate import Estimate


def fmt(x: Any, digits: int = 3) -> str:
    """A table cell: numbers to ``digits`` significant figures, NaN/None as ``n/a``."""
    if x is None:
        return "n/a"
    if isinstance(x, bool | np.bool_):
        return "yes" if x else "no"
    if isinstance(x, int | np.integer):
        return str(int(x))
    if isinstance(x, float | np.floating):
        if not math.isfinite(float(x)):
            return "n/a"
        return f"{float(x):.{digits}g}"
    return str(x)


def fmt_est(e: Estimate, digits: int = 3) -> str:
    """``value [low, high]`` (the interval omitted when there is none); an estimate at a bound
    of its search range reads ``value [low, ∞] (at its bound)``, its open end as ``±∞``."""
    if not math.isfinite(e.value):
        return "n/a"

    def end(x: float) -> str:
        return ("∞" if x > 0 else "-∞") if math.isinf(x) else fmt(x, digits)

    flag = " (at its bound)" if e.at_bound else ""
    if math.isnan(e.ci_low) or math.isnan(e.ci_high):
        return fmt(e.value, digits) + flag
    return f"{fmt(e.value, digits)} [{end(e.ci_low)}, {end(e.ci_high)}]{flag}"


FIDELITY_COLUMNS = ["W1 [95% CI]", "KS [95% CI]", "TV [95% CI]", "Turing [95% CI]",
                    "Turing win / tie"]
"""Cells of :func:`fidelity_cells`: a human-likeness score in a printed table."""


def fidelity_cells(score: Any) -> list[str]:
    """The :data:`FIDELITY_COLUMNS` cells of a
    :class:`~agora.analysis.fidelity.FidelityScore`."""
    return [fmt_est(score.wasserstein), fmt_est(score.ks), fmt_est(score.total_variation),
            fmt_est(score.turing), f"{score.turing_win:.3f} / {score.turing_tie:.3f}"]


def short_citation(citation: str) -> str:
    """``Nagel (1995)`` / ``Forsythe et al. (1994)`` from a full reference."""
    authors, _, _ = citation.partition("(")
    year = re.search(r"\((\d{4})\)", citation)
    if year is None:
        return citation.split(".")[0]
    first = authors.split(",")[0].strip()
    return f"{first}{' et al.' if '&' in authors else ''} ({year.group(1)})"


def fmt_share(x: float) -> str:
    """A share as a percentage."""
    return "n/a" if x is None or not math.isfinite(x) else f"{100 * x:.1f}%"


# --------------------------------------------------------------------- tables and summary
@dataclass(kw_only=True)
class Table:
    """A printed table: simulated figures next to their human / theory benchmarks."""

    title: str
    header: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, *cells: Any) -> None:
        """Append a row (cells formatted with :func:`fmt` unless already strings)."""
        if len(cells) != len(self.header):
            raise ValueError(f"{self.title}: row has {len(cells)} cells, header "
                             f"{len(self.header)}")
        self.rows.append([c if isinstance(c, str) else fmt(c) for c in cells])

    def markdown(self) -> str:
        """GitHub-flavoured Markdown."""
        lines = [f"**{self.title}**", "", "| " + " | ".join(self.header) + " |",
                 "|" + "---|" * len(self.header)]
        lines += ["| " + " | ".join(str(c).replace("|", "\\|") for c in r) + " |"
                  for r in self.rows]
        lines += [""] + [f"- {n}" for n in self.notes] if self.notes else []
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"title": self.title, "header": self.header, "rows": self.rows,
                "notes": self.notes}


def add_fidelity_rows(table: Any, records: Any, baseline: Any, game: dict[str, float], *,
                      who: str, groups: list[str], n_boot: int, min_group: int,
                      rng: np.random.Generator) -> Any:
    """Rows of a human-likeness table: the agents (overall and per subgroup), then as many
    humans of the baseline drawn at random (the sampling floor of every statistic). Returns the
    agents' scores (a ``FidelityTable``)."""
    from agora.analysis.fidelity import fidelity

    scores = fidelity(records, baseline, game, by=groups, n_boot=n_boot, rng=rng,
                      min_group=min_group)
    for s in scores.scores:
        table.add(f"agents: {who}", s.group, s.n_agents, *fidelity_cells(s))
    n = scores.scores[0].n_agents
    draw = rng.choice(baseline.values, size=n, replace=False)
    table.add(f"humans: {n} MobLab subjects drawn at random", "all", n, *fidelity_cells(
        fidelity(draw, baseline, n_boot=n_boot, rng=rng).scores[0]))
    return scores
