"""What an experiment prints and saves.

:class:`Summary` collects the printed tables (``summary.md`` and ``summary.json`` in ``--out``);
:func:`write_run_report` writes the analysis report of one run.
"""

from __future__ import annotations

import json
import shlex
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from experiments._cli import ExperimentArgs
from experiments._records import parse_counts
from experiments._tables import Table

if TYPE_CHECKING:
    from agora.engine.records import RunResult


@dataclass(kw_only=True)
class Summary:
    """What an experiment prints and saves: tables, report paths, parse counts, timing."""

    name: str
    args: ExperimentArgs
    prog: str | None = None
    tables: list[Table] = field(default_factory=list)
    reports: dict[str, str] = field(default_factory=dict)
    skipped_reports: list[str] = field(default_factory=list)
    parse_status: dict[str, dict[str, int]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.perf_counter)

    def table(self, title: str, header: list[str]) -> Table:
        """Start a new table."""
        t = Table(title=title, header=header)
        self.tables.append(t)
        return t

    def record_run(self, label: str, result: RunResult) -> None:
        """Note a run's parse-status counts."""
        counts = parse_counts(result.records)
        if counts:
            self.parse_status[label] = counts

    def add_report(self, label: str, result: RunResult, *, baseline: str | None = None,
                   n_boot: int = 200, always: bool = False) -> None:
        """Write a run's HTML report; with ``--smoke`` only the first one (and ``always``)."""
        if self.args.smoke and self.reports and not always:
            self.skipped_reports.append(str(result.out))
            return
        self.reports[label] = str(write_run_report(result, baseline=baseline, n_boot=n_boot,
                                                   seed=self.args.seed))

    def command(self) -> str:
        """The command that reproduces the run."""
        prog = self.prog or f"python -m experiments.{self.name}"
        return " ".join([prog, *(shlex.quote(a) for a in self.args.argv)])

    def parse_table(self) -> Table | None:
        """LLM answers by parse status over every run."""
        if not self.parse_status:
            return None
        t = Table(title="LLM answers by parse status",
                  header=["run", "decisions", "ok", "repaired", "fallback"])
        for label, c in self.parse_status.items():
            t.add(label, sum(c.values()), c.get("ok", 0), c.get("repaired", 0),
                  c.get("fallback", 0))
        return t

    def totals(self) -> dict[str, int]:
        """Parse-status counts summed over runs."""
        out: dict[str, int] = {}
        for c in self.parse_status.values():
            for k, v in c.items():
                out[k] = out.get(k, 0) + v
        return out

    def markdown(self) -> str:
        """Every table with the command and timing."""
        wall = time.perf_counter() - self.started
        parts = [f"# {self.name}", "", f"Command: `{self.command()}`", "",
                 f"Output: `{self.args.out}`; wall time {wall:.0f} s.", ""]
        parts += [f"{n}" for n in self.notes] + ([""] if self.notes else [])
        tables = list(self.tables)
        pt = self.parse_table()
        if pt is not None:
            tables.append(pt)
        parts += [t.markdown() + "\n" for t in tables]
        if self.reports:
            parts += ["Reports:", ""] + [f"- {k}: `{v}`" for k, v in self.reports.items()] + [""]
        if self.skipped_reports:
            parts += ["Reports not written in --smoke mode (write one with `agora report DIR`): "
                      + ", ".join(f"`{d}`" for d in self.skipped_reports), ""]
        return "\n".join(parts)

    def write(self) -> Path:
        """Print the summary and write ``summary.md`` and ``summary.json`` into ``--out``."""
        text = self.markdown()
        print(text)
        self.args.out.mkdir(parents=True, exist_ok=True)
        path = self.args.out / "summary.md"
        path.write_text(text + "\n")
        blob = {"experiment": self.name, "command": self.command(),
                "wall_s": time.perf_counter() - self.started,
                "tables": [t.to_dict() for t in self.tables], "reports": self.reports,
                "parse_status": self.parse_status, "parse_status_total": self.totals(),
                "notes": self.notes}
        (self.args.out / "summary.json").write_text(json.dumps(blob, indent=1) + "\n")
        return path


def write_run_report(result: RunResult | Path, *, baseline: str | None = None,
                     n_boot: int = 200, seed: int = 0, out: Path | None = None) -> Path:
    """The HTML (and Markdown) analysis report of one run; returns the HTML path."""
    from agora.analysis.report import write_report

    html, _ = write_report(result, out=out, baseline=baseline, n_boot=n_boot, seed=seed)
    return html
