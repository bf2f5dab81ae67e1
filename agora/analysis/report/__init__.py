"""Run reports: ``agora report RUN_DIR [--baseline NAME] [--out PATH]``.

A report gathers, for one finished run, what a behavioural economist reads first: the
configuration and telemetry, the game's equilibrium benchmark, welfare and inequality
(:mod:`agora.analysis.welfare`), deviations from rationality as fitted parameters with
bootstrap intervals (:mod:`agora.analysis.rationality`), the comparison with a packaged human
baseline (:mod:`agora.analysis.baselines`), figures (:mod:`agora.analysis.plots`) and
persona-subgroup tables. It is written as one self-contained HTML file (figures embedded as
base64 PNG) and a Markdown file whose figures sit in a sibling folder.

Modules: :mod:`~.model` (the document: :class:`Report`, :class:`Section`),
:mod:`~.renderers` (HTML, Markdown), :mod:`~.context` (the run being analysed and which errors
count as "not available"), :mod:`~.sections` (generic steps), :mod:`~.catalogue` (named
analyses that games ask for through :meth:`GameHooks.analyses`), :mod:`~.plan`
(:func:`analyse`) and :mod:`~.cli` (files and ``agora report``). The report asks the game
through its hooks and never tests its name.
"""

from __future__ import annotations

from agora.analysis.report.catalogue import CATALOGUE, SPE_OUTCOMES, Analysis
from agora.analysis.report.cli import build_parser, report_main, write_report
from agora.analysis.report.context import EST_HEADER, EXPECTED, Context
from agora.analysis.report.model import SECTIONS, Report, Section
from agora.analysis.report.plan import analyse, plan

__all__ = [
    "CATALOGUE", "EST_HEADER", "EXPECTED", "SECTIONS", "SPE_OUTCOMES", "Analysis", "Context",
    "Report", "Section", "analyse", "build_parser", "plan", "report_main", "write_report",
]
