"""Analyse a run into a :class:`~agora.analysis.report.model.Report`.

The plan of a report is the generic steps of :mod:`agora.analysis.report.sections` plus the
named analyses the game's hooks ask for (:meth:`GameHooks.analyses`, looked up in
:data:`~agora.analysis.report.catalogue.CATALOGUE`), run section by section in their declared
order. Sections that need a theory say so once when the game has none.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from agora.analysis import baselines as bl
from agora.analysis.equilibria import game_config
from agora.analysis.estimate import DEFAULT_BOOT, DEFAULT_SEED
from agora.analysis.report.catalogue import CATALOGUE, Analysis
from agora.analysis.report.context import EST_HEADER, Context
from agora.analysis.report.model import SECTIONS, Report
from agora.analysis.report.sections import GENERIC, THEORY_SECTIONS
from agora.engine.contract import AnalysisSpec, GameHooks

Step = tuple[Analysis, dict[str, Any]]


def plan(ctx: Context) -> list[Step]:
    """Generic steps and the game's requested analyses, sorted by section and order.

    Unknown kinds are reported in the configuration section, never silently skipped.
    """
    specs: tuple[AnalysisSpec, ...] = ctx.hooks.analyses(ctx.cfg) if ctx.cfg is not None else ()
    requested: list[Step] = []
    for spec in specs:
        if spec.kind not in CATALOGUE:
            ctx.report.sections["config"].text(
                f"Analysis {spec.kind!r} that the game asks for is not in the report's "
                f"catalogue ({', '.join(sorted(CATALOGUE))}); skipped.")
            continue
        requested.append((CATALOGUE[spec.kind], dict(spec.params)))
    replaced = {name for a, _ in requested for name in a.replaces}
    steps = [(a, {}) for name, a in GENERIC.items() if name not in replaced] + requested
    rank = {sid: i for i, (sid, _) in enumerate(SECTIONS)}
    return sorted(steps, key=lambda st: (rank[st[0].section], st[0].order))


def analyse(run: Any, *, baseline: str | None = None, n_boot: int = DEFAULT_BOOT,
            seed: int = DEFAULT_SEED) -> Report:
    """Analyse a finished run (a run directory or a ``RunResult``) into a :class:`Report`.

    Args:
        run: Run directory or ``RunResult``.
        baseline: Packaged baseline name, ``"none"`` for no comparison, or ``None`` for the
            game's default (:meth:`GameHooks.default_baseline`).
        n_boot: Bootstrap replicates of every interval.
        seed: Seed of the one generator all bootstraps draw from.

    Raises:
        ValueError: ``baseline`` names no packaged baseline.
    """
    from agora.engine.records import load_run
    from agora.engine.registry import REGISTRY, UnknownGameError

    if baseline not in (None, "none") and baseline not in bl.list_baselines():
        raise ValueError(f"unknown baseline {baseline!r}; known: "
                         f"{', '.join(bl.list_baselines())}")
    result = load_run(run) if isinstance(run, str | Path) else run
    records, manifest = result.records, result.manifest
    game = str(manifest.get("game") or records["game"][0])
    config = dict(manifest.get("config") or {})
    report = Report.empty(f"agora report: {game} run {manifest.get('run_id', '')}")
    try:
        kernel_cls: Any = REGISTRY.get(game).kernel_cls
    except UnknownGameError:
        kernel_cls = None
    hooks, theory, cfg, problem = GameHooks(), None, None, ""
    if kernel_cls is not None:
        try:
            cfg = game_config(game, config)
            hooks, theory = kernel_cls.hooks, kernel_cls.theory
        except (ValueError, TypeError) as exc:
            problem = f"The game's config could not be rebuilt ({exc}): no theory sections."
    ctx = Context(records=records, manifest=manifest, game=game, config=config, cfg=cfg,
                  theory=theory, hooks=hooks, n_boot=n_boot,
                  rng=np.random.default_rng(seed), report=report, baseline_choice=baseline)
    if problem:
        report.sections["config"].text(problem)
    no_theory = theory is None or cfg is None
    if no_theory:
        report.sections["equilibrium"].text(
            f"Game {game!r} has no theory module: no equilibrium benchmark.")
        report.sections["rationality"].text("No theory module: rationality fits unavailable.")
    for analysis, params in plan(ctx):
        if no_theory and analysis.section in THEORY_SECTIONS:
            continue
        ctx.attempt(analysis.section, analysis.label,
                    lambda a=analysis, p=params: a.run(ctx, p))
    rows = ctx.rows.get("rationality")
    if rows:
        report.sections["rationality"].table("Fitted parameters with bootstrap intervals",
                                             EST_HEADER, rows)
    if not report.sections["figures"].blocks:
        report.sections["figures"].text("No figures apply to this run.")
    return report
