"""Shared pieces of the experiment scripts: flags, agents, personas, tables and output files.

Every experiment parses the same flags (``--backend``, ``--model``, ``--n``, ``--out``,
``--seed``, ``--smoke``, ``--agents``, ``--resume``, ``--quiet``), builds its agents through
:class:`Agents` (one LLM backend shared by every policy of the experiment, created on first use:
the embedded llama.cpp model unless ``--backend``/``--server`` say otherwise), runs games
through :func:`agora.run` (records as Parquet plus a manifest per run), writes an analysis
report per run and collects its printed tables in a :class:`Summary` (``summary.md`` and
``summary.json`` in ``--out``). Benchmarks in the tables come from :mod:`agora.analysis` and the
games' theory modules, never from literals in the scripts.

This module gathers the names the scripts import; each concept lives in its own module:
:mod:`experiments._cli` (flags and entry point), :mod:`experiments._agents` (agents and their
LLM backend), :mod:`experiments._personas` (census personas), :mod:`experiments._records`
(helpers over run records), :mod:`experiments._tables` (cell formatting and tables) and
:mod:`experiments._summary` (summary files and run reports).
"""

from __future__ import annotations

from experiments._agents import DEFAULT_REQUANTIZE, SMOKE_LABEL, Agents, make_backend
from experiments._cli import (
    EXIT_USAGE,
    AgentKind,
    ExperimentArgs,
    UsageError,
    build_parser,
    experiment_main,
    parse_args,
    run_main,
)
from experiments._personas import (
    ADULTS,
    SUBGROUP_FIELDS,
    PersonaPool,
    adult_population,
    persona_attributes,
)
from experiments._records import column_estimate, finals, parse_counts
from experiments._summary import Summary, write_run_report
from experiments._tables import Table, fmt, fmt_est, fmt_share, short_citation

__all__ = [
    "ADULTS",
    "DEFAULT_REQUANTIZE",
    "EXIT_USAGE",
    "SMOKE_LABEL",
    "SUBGROUP_FIELDS",
    "AgentKind",
    "Agents",
    "ExperimentArgs",
    "PersonaPool",
    "Summary",
    "Table",
    "UsageError",
    "adult_population",
    "build_parser",
    "column_estimate",
    "experiment_main",
    "finals",
    "fmt",
    "fmt_est",
    "fmt_share",
    "make_backend",
    "parse_args",
    "parse_counts",
    "persona_attributes",
    "run_main",
    "short_citation",
    "write_run_report",
]
