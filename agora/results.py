"""Results as notebooks show them: :class:`RunResult` with a summary and an inline report.

``agora.run`` and ``agora.load_run`` return this :class:`RunResult`, the engine's record type
(:class:`agora.engine.records.RunResult`, plain data) plus presentation: in Jupyter it renders
its summary (game, policies with their shares, instances and decisions, parse status counts of
LLM decisions, the game's theory benchmark, the run directory), and :meth:`RunResult.report`
returns the analysis report, which Jupyter shows inline. The presentation lives here, above both
the engine and :mod:`agora.analysis`, so the engine keeps importing no analysis module; a
result from :class:`agora.Runner` becomes one with :meth:`RunResult.of`.

The benchmark comes from the game's hooks
(``REGISTRY.get(game).kernel_cls.hooks.benchmark(game, config)``); a game without one, or a run
of a game that is not installed, shows why instead.
"""

from __future__ import annotations

import dataclasses
import html
import math
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from agora.engine import records as _records
from agora.engine.registry import REGISTRY, make_config

if TYPE_CHECKING:
    from agora.analysis.report import Report

__all__ = ["RunResult", "RunSummary", "load_run", "summarise"]

PARSE_ORDER = ("ok", "repaired", "fallback")
"""Parse statuses listed first, in this order; any other status follows by name."""
POLICY_HEADER = ("policy", "share", "decisions", "mean action", "mean payoff")
_CSS = (".agora-run table{border-collapse:collapse;margin:.3em 1.5em .6em 0;display:inline-table;"
        "vertical-align:top}.agora-run th,.agora-run td{padding:.15em .6em;text-align:left;"
        "border-bottom:1px solid #ddd}.agora-run caption{font-weight:600;text-align:left}")


@dataclass(frozen=True, kw_only=True)
class RunSummary:
    """What a run shows at a glance, as (label, value) text rows, ready to render."""

    title: str
    facts: tuple[tuple[str, str], ...]
    policies: tuple[tuple[str, ...], ...]
    parse_status: tuple[tuple[str, int], ...] = ()
    benchmark: tuple[tuple[str, str], ...] = ()
    benchmark_missing: str = ""
    """Why there is no benchmark ("" when there is one)."""

    def tables(self) -> list[tuple[str, tuple[str, ...], list[tuple[str, ...]]]]:
        """(caption, header, rows) of every table, in display order."""
        out = [("Run", ("", ""), list(self.facts)),
               ("Policies", POLICY_HEADER, list(self.policies))]
        if self.parse_status:
            out.append(("Parse status", ("status", "decisions"),
                        [(s, str(n)) for s, n in self.parse_status]))
        if self.benchmark:
            out.append(("Benchmark", ("", ""), list(self.benchmark)))
        return out

    def to_text(self) -> str:
        """Plain text: one line per fact, policy, status and benchmark row."""
        lines = [self.title]
        lines += [f"  {label}: {value}" for label, value in self.facts]
        lines.append("  policies: " + "; ".join(
            f"{name} ({share}, {n} decisions)" for name, share, n, *_ in self.policies))
        if self.parse_status:
            lines.append("  parse status: " + ", ".join(f"{s} {n}" for s, n in self.parse_status))
        if self.benchmark:
            lines.append("  benchmark: " + "; ".join(f"{k} {v}" for k, v in self.benchmark))
        elif self.benchmark_missing:
            lines.append(f"  benchmark: {self.benchmark_missing}")
        return "\n".join(lines)

    def to_markdown(self) -> str:
        """Markdown: a heading and one table per part."""
        out = [f"**{_md(self.title)}**", ""]
        for caption, header, rows in self.tables():
            out += [f"*{caption}*", "", "| " + " | ".join(map(_md, header)) + " |",
                    "|" + "---|" * len(header)]
            out += ["| " + " | ".join(map(_md, row)) + " |" for row in rows]
            out.append("")
        if self.benchmark_missing:
            out += [f"*Benchmark*: {_md(self.benchmark_missing)}", ""]
        return "\n".join(out)

    def to_html(self) -> str:
        """An HTML fragment (styles scoped to it, every value escaped)."""
        parts = [f'<div class="agora-run"><style>{_CSS}</style>',
                 f"<strong>{html.escape(self.title)}</strong><br>"]
        for caption, header, rows in self.tables():
            parts.append(f"<table><caption>{html.escape(caption)}</caption>")
            if any(header):
                parts.append("<tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header)
                             + "</tr>")
            parts += ["<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
                      for row in rows]
            parts.append("</table>")
        if self.benchmark_missing:
            parts.append(f"<p><em>Benchmark</em>: {html.escape(self.benchmark_missing)}</p>")
        parts.append("</div>")
        return "".join(parts)


class RunResult(_records.RunResult):
    """A finished run (records, manifest, run directory, telemetry) that displays itself.

    ``repr`` and Jupyter show :meth:`summary`; :meth:`report` analyses the run into a report
    that Jupyter renders inline. The fields are the engine's :class:`~agora.engine.records.
    RunResult`'s; the records table is never copied.
    """

    @classmethod
    def of(cls, result: _records.RunResult) -> RunResult:
        """The displayable result of an engine ``RunResult`` (the same one if it already is)."""
        if isinstance(result, cls):
            return result
        if not isinstance(result, _records.RunResult):
            raise TypeError(f"expected an agora RunResult, got {type(result).__name__}")
        return cls(**{f.name: getattr(result, f.name) for f in dataclasses.fields(result)})

    @cached_property
    def summary(self) -> RunSummary:
        """The run at a glance (computed once)."""
        return summarise(self)

    def report(self, *, baseline: str | None = None, n_boot: int | None = None,
               seed: int | None = None) -> Report:
        """The analysis report of this run (:func:`agora.analysis.report.analyse`).

        In Jupyter the returned report renders inline; ``report.to_html()`` is the standalone
        page. Arguments left ``None`` take ``analyse``'s defaults.

        Args:
            baseline: Packaged human baseline, ``"none"`` for no comparison, ``None``: the
                game's default.
            n_boot: Bootstrap replicates of every interval.
            seed: Seed of the bootstraps.
        """
        from agora.analysis.report import analyse

        options: dict[str, Any] = {"baseline": baseline}
        if n_boot is not None:
            options["n_boot"] = n_boot
        if seed is not None:
            options["seed"] = seed
        return analyse(self, **options)

    def __repr__(self) -> str:
        return self.summary.to_text()

    def _repr_markdown_(self) -> str:
        return self.summary.to_markdown()

    def _repr_html_(self) -> str:
        return self.summary.to_html()


def load_run(directory: str | Path) -> RunResult:
    """Read a finished run directory (see :func:`agora.engine.records.load_run`, whose checks
    and errors apply) as a displayable :class:`RunResult`."""
    return RunResult.of(_records.load_run(directory))


def summarise(result: _records.RunResult) -> RunSummary:
    """The :class:`RunSummary` of a finished run."""
    m, records = result.manifest, result.records
    game = str(m.get("game") or (records["game"][0] if records.height else "?"))
    facts = [("game", game), ("seed", str(m.get("seed")))]
    if "n_instances" in m:
        facts.append(("instances", f"{m['n_instances']:,}"))
    if "n_personas" in m:
        facts.append(("personas", f"{m['n_personas']:,}"))
    if "population_rounds" in m:
        facts.append(("population rounds", str(m["population_rounds"])))
    facts.append(("decisions", f"{records.height:,}"))
    wall = result.telemetry.get("wall_s")
    if isinstance(wall, int | float):
        facts.append(("wall time", f"{wall:.2f} s"))
    facts.append(("run directory", str(result.out) if result.out is not None
                  else "not saved (pass out=...)"))
    bench, missing = _benchmark_rows(game, m.get("config") or {})
    return RunSummary(title=f"RunResult {m.get('run_id', '')}".rstrip(),
                      facts=tuple(facts), policies=_policy_rows(records, m.get("policies") or []),
                      parse_status=_parse_counts(records), benchmark=bench,
                      benchmark_missing=missing)


def _policy_rows(records: pl.DataFrame,
                 declared: list[dict[str, Any]]) -> tuple[tuple[str, ...], ...]:
    shares = {str(p.get("name")): p.get("share") for p in declared}
    stats: dict[str, tuple[int, float | None, float | None]] = {}
    if records.height and "policy" in records.columns:
        table = records.group_by(pl.col("policy").cast(pl.String)).agg(
            pl.len().alias("n"), pl.col("action").fill_nan(None).mean().alias("action"),
            pl.col("reward").fill_nan(None).mean().alias("reward"))
        stats = {row[0]: (row[1], row[2], row[3]) for row in table.iter_rows()}
    rows = []
    for name in list(shares) + sorted(set(stats) - set(shares)):
        n, action, reward = stats.get(name, (0, None, None))
        rows.append((name, _share(shares.get(name)), f"{n:,}", _num(action), _num(reward)))
    return tuple(rows)


def _parse_counts(records: pl.DataFrame) -> tuple[tuple[str, int], ...]:
    if "parse_status" not in records.columns:
        return ()
    counts = dict(records["parse_status"].drop_nulls().cast(pl.String).value_counts().iter_rows())
    order = [s for s in PARSE_ORDER if s in counts] + sorted(set(counts) - set(PARSE_ORDER))
    return tuple((s, int(counts[s])) for s in order)


def _benchmark_rows(game: str,
                    config: dict[str, Any]) -> tuple[tuple[tuple[str, str], ...], str]:
    try:
        hooks = REGISTRY.get(game).kernel_cls.hooks
        cfg = make_config(game, **config)
    except (KeyError, ValueError, TypeError) as exc:  # game not installed, config out of date
        return (), f"not available ({exc})"
    bench = hooks.benchmark(game, cfg)
    if bench is None:
        return (), f"{game} declares no benchmark"
    return tuple((str(k), str(v)) for k, v in bench.as_rows()), ""


def _share(x: Any) -> str:
    return f"{x:.0%}" if isinstance(x, int | float) and not isinstance(x, bool) else "–"


def _num(x: Any) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.4g}"


def _md(s: str) -> str:
    # Markdown outputs may carry HTML: escape it like the HTML view, and the table pipes
    return html.escape(s).replace("|", "\\|").replace("\n", " ")
