"""Run reports: ``agora report RUN_DIR [--baseline NAME] [--out PATH]``.

A report gathers, for one finished run, what a behavioural economist reads first: the
configuration and telemetry, the equilibrium benchmark of the game's theory module, welfare and
inequality (:mod:`agora.analysis.welfare`), deviations from rationality as fitted parameters
with bootstrap intervals (:mod:`agora.analysis.rationality`), the comparison with a packaged
human baseline (:mod:`agora.analysis.baselines`), figures (:mod:`agora.analysis.plots`) and
persona-subgroup tables. It is written as one self-contained HTML file (figures embedded as
base64 PNG) and a Markdown file whose figures sit in a sibling folder.

Each analysis step that does not apply to the run (a game without theory, one round, no
personas) is reported as unavailable with its reason instead of failing the report.
"""

from __future__ import annotations

import argparse
import html
import json
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from matplotlib.figure import Figure

from agora.analysis import baselines as bl
from agora.analysis import equilibria as eqm
from agora.analysis import plots, rationality, subgroups, welfare
from agora.analysis.counterfactual import (
    SUPPORTED,
    action_grid,
    counterfactual_payoffs,
    nash_conv_table,
    regret_table,
)
from agora.analysis.estimate import DEFAULT_BOOT, DEFAULT_SEED, Estimate, mean_estimate

SECTIONS = (("config", "Configuration"), ("telemetry", "Telemetry"),
            ("equilibrium", "Equilibrium benchmark"), ("welfare", "Welfare and inequality"),
            ("rationality", "Rationality: fitted parameters"),
            ("human-comparison", "Human comparison"), ("figures", "Figures"),
            ("subgroups", "Subgroups"))
_EXPECTED = (ValueError, KeyError, TypeError, ImportError, ZeroDivisionError, IndexError,
             AttributeError, NotImplementedError,
             np.linalg.LinAlgError, pl.exceptions.PolarsError)


# --------------------------------------------------------------------- report model
@dataclass(kw_only=True)
class Section:
    """One report section: paragraphs, tables and figures, in order."""

    id: str
    title: str
    blocks: list[tuple[str, Any]] = field(default_factory=list)

    def text(self, s: str) -> None:
        """Add a paragraph."""
        self.blocks.append(("text", s))

    def table(self, caption: str, header: list[str], rows: list[list[Any]]) -> None:
        """Add a table."""
        self.blocks.append(("table", (caption, header, rows)))

    def figure(self, name: str, caption: str, fig: Figure) -> None:
        """Add a figure (rendered to PNG now)."""
        self.blocks.append(("figure", (name, caption, plots.figure_to_base64(fig))))
        fig.clear()


@dataclass(kw_only=True)
class Report:
    """A run report: sections plus the fitted estimates as plain data."""

    title: str
    sections: dict[str, Section]
    estimates: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_html(self) -> str:
        """Self-contained HTML."""
        parts = [f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                 f"<title>{html.escape(self.title)}</title><style>{_CSS}</style></head><body>",
                 f"<h1>{html.escape(self.title)}</h1>", "<nav><ul>"]
        parts += [f'<li><a href="#{s.id}">{html.escape(s.title)}</a></li>'
                  for s in self.sections.values()]
        parts.append("</ul></nav>")
        for s in self.sections.values():
            parts.append(f'<section id="{s.id}"><h2>{html.escape(s.title)}</h2>')
            for kind, content in s.blocks:
                if kind == "text":
                    parts.append(f"<p>{html.escape(content)}</p>")
                elif kind == "table":
                    caption, header, rows = content
                    parts.append(f"<table><caption>{html.escape(caption)}</caption><thead><tr>"
                                 + "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
                                 + "</tr></thead><tbody>")
                    parts += ["<tr>" + "".join(f"<td>{html.escape(_fmt(c))}</td>" for c in r)
                              + "</tr>" for r in rows]
                    parts.append("</tbody></table>")
                else:
                    name, caption, b64 = content
                    parts.append(f'<figure id="fig-{name}"><img alt="{html.escape(caption)}" '
                                 f'src="data:image/png;base64,{b64}"><figcaption>'
                                 f"{html.escape(caption)}</figcaption></figure>")
            parts.append("</section>")
        parts.append("</body></html>\n")
        return "\n".join(parts)

    def to_markdown(self, figure_dir: Path | None = None, link_prefix: str = "") -> str:
        """Markdown; figures are written as PNG files into ``figure_dir`` when given."""
        import base64

        out = [f"# {self.title}", ""]
        for s in self.sections.values():
            out += [f"## {s.title}", ""]
            for kind, content in s.blocks:
                if kind == "text":
                    out += [content, ""]
                elif kind == "table":
                    caption, header, rows = content
                    out += [f"**{caption}**", "", "| " + " | ".join(map(str, header)) + " |",
                            "|" + "---|" * len(header)]
                    out += ["| " + " | ".join(_fmt(c).replace("|", "\\|") for c in r) + " |"
                            for r in rows]
                    out.append("")
                else:
                    name, caption, b64 = content
                    if figure_dir is not None:
                        figure_dir.mkdir(parents=True, exist_ok=True)
                        (figure_dir / f"{name}.png").write_bytes(base64.b64decode(b64))
                        out += [f"![{caption}]({link_prefix}{name}.png)", ""]
                    else:
                        out += [f"*Figure: {caption}* (see the HTML report)", ""]
        return "\n".join(out)


_CSS = ("body{font-family:system-ui,sans-serif;max-width:1000px;margin:2em auto;padding:0 1em;"
        "color:#222}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;"
        "padding:.25em .6em;text-align:left;font-size:.9em}caption{font-weight:600;"
        "text-align:left;padding:.3em 0}figure{margin:1em 0}img{max-width:100%}"
        "nav ul{columns:2}h2{border-bottom:2px solid #ddd;padding-bottom:.2em}")


def _fmt(x: Any) -> str:
    if isinstance(x, bool) or x is None:
        return str(x)
    if isinstance(x, float | np.floating):
        return "nan" if math.isnan(x) else f"{x:.4g}"
    return str(x)


def _est_row(label: str, e: Estimate) -> list[Any]:
    return [label, e.value, e.ci_low, e.ci_high, e.n, e.method]


EST_HEADER = ["parameter", "estimate", "95% CI low", "95% CI high", "n", "method"]


# --------------------------------------------------------------------- analysis
@dataclass(kw_only=True)
class _Ctx:
    records: pl.DataFrame
    manifest: dict[str, Any]
    game: str
    config: dict[str, Any]
    cfg: Any
    theory: Any
    n_boot: int
    rng: np.random.Generator
    report: Report

    def attempt(self, section: str, what: str, fn: Callable[[], None]) -> None:
        try:
            fn()
        except _EXPECTED as exc:
            self.report.sections[section].text(f"{what}: not available ({exc}).")

    def keep(self, key: str, e: Estimate) -> Estimate:
        self.report.estimates[key] = e.as_dict()
        return e


def analyse(run: Any, *, baseline: str | None = None, n_boot: int = DEFAULT_BOOT,
            seed: int = DEFAULT_SEED) -> Report:
    """Analyse a finished run (a run directory or a ``RunResult``) into a :class:`Report`.

    Args:
        run: Run directory or ``RunResult``.
        baseline: Packaged baseline name, ``"none"`` for no comparison, or ``None`` for the
            game's default (Nagel 1995 with the closest p; Engel 2011 for dictator games).
        n_boot: Bootstrap replicates of every interval.
        seed: Seed of the one generator all bootstraps draw from.
    """
    from agora.engine.records import load_run

    result = load_run(run) if isinstance(run, str | Path) else run
    records, manifest = result.records, result.manifest
    game = str(manifest.get("game") or records["game"][0])
    config = dict(manifest.get("config") or {})
    try:
        theory = eqm.theory_module(game)
        cfg = eqm.game_config(game, config)
    except _EXPECTED:
        theory, cfg = None, None
    report = Report(title=f"agora report: {game} run {manifest.get('run_id', '')}",
                    sections={sid: Section(id=sid, title=t) for sid, t in SECTIONS})
    ctx = _Ctx(records=records, manifest=manifest, game=game, config=config, cfg=cfg,
               theory=theory, n_boot=n_boot, rng=np.random.default_rng(seed), report=report)
    _config_section(ctx)
    _telemetry_section(ctx)
    _equilibrium_section(ctx)
    _welfare_section(ctx)
    _rationality_section(ctx)
    _comparison_section(ctx, baseline)
    _figures_section(ctx, baseline)
    _subgroup_section(ctx)
    return report


def _config_section(ctx: _Ctx) -> None:
    s, m = ctx.report.sections["config"], ctx.manifest
    rows = [["game", ctx.game], ["run id", m.get("run_id")], ["status", m.get("status")],
            ["instances", m.get("n_instances")], ["seed", m.get("seed")],
            ["decisions", ctx.records.height], ["git commit", m.get("git_commit")]]
    s.table("Run", ["field", "value"], rows)
    s.table("Game configuration", ["field", "value"],
            [[k, json.dumps(v) if isinstance(v, dict | list) else v]
             for k, v in ctx.config.items()])
    pols = m.get("policies") or []
    if pols:
        s.table("Policies", ["policy", "share", "description"],
                [[p.get("name"), p.get("share"),
                  json.dumps({k: v for k, v in p.items() if k not in ("name", "share")})]
                 for p in pols])
    versions = m.get("versions") or {}
    if versions:
        s.table("Versions", ["package", "version"], [[k, v] for k, v in versions.items()])


def _telemetry_section(ctx: _Ctx) -> None:
    s = ctx.report.sections["telemetry"]
    tel = ctx.manifest.get("telemetry") or {}
    if tel:
        s.table("Run telemetry", ["metric", "value"],
                [[k, v if not isinstance(v, dict | list) else json.dumps(v)]
                 for k, v in tel.items()])
    else:
        s.text("No telemetry recorded in the manifest.")
    r = ctx.records
    if "parse_status" in r.columns:
        counts = r["parse_status"].value_counts().sort("parse_status")
        s.table("LLM parse status", ["status", "decisions"], counts.rows())
    cols = [c for c in ("tokens_in", "tokens_out", "latency_s", "action_entropy")
            if c in r.columns]
    if cols:
        s.table("LLM decision statistics", ["column", "mean", "median", "max"],
                [[c, r[c].mean(), r[c].median(), r[c].max()] for c in cols])


def _finite(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return x[np.isfinite(x)]


def _movers(ctx: _Ctx) -> np.ndarray:
    """Numeric actions of every decision (structured actions without a number are dropped)."""
    return _finite(ctx.records["action"].to_numpy())


def _first_round(ctx: _Ctx) -> pl.DataFrame:
    return ctx.records.filter((pl.col("round") == ctx.records["round"].min())
                              & pl.col("action").is_not_null() & pl.col("action").is_not_nan())


SPE_OUTCOMES = ("agreed", "agreement_round", "efficiency", "fairness", "spe_deviation")
"""Final-decision columns of the turn-based bargaining games (bargaining, ultimatum,
negotiation): their report compares each game's outcome with its subgame-perfect equilibrium."""


def _spe_outcome_table(ctx: _Ctx) -> None:
    """One row per finished game instance, against the SPE: agreement at once, at its split."""
    s = ctx.report.sections["equilibrium"]
    finals = ctx.records.filter(pl.col("agreed").is_not_null() & pl.col("agreed").is_not_nan())
    if finals.height == 0:
        raise ValueError("no finished game instance in the records")
    deals = finals.filter(pl.col("agreed") > 0)

    def row(label: str, key: str, values: pl.Series) -> list[Any]:
        return _est_row(label, ctx.keep(key, mean_estimate(
            values.cast(pl.Float64).to_numpy(), name=key, n_boot=ctx.n_boot, rng=ctx.rng)))

    rows = [row("agreement rate (SPE: 1 when trade is efficient)", "agreement_rate",
                finals["agreed"]),
            row("agreement round, 1-based, of deals (SPE: 1)", "agreement_round",
                deals["agreement_round"]),
            row("deviation from the SPE split of deals (SPE: 0)", "spe_deviation",
                deals["spe_deviation"]),
            row("absolute deviation from the SPE split of deals", "spe_abs_deviation",
                deals["spe_deviation"].abs()),
            row("efficiency (SPE: 1)", "efficiency", finals["efficiency"]),
            row("fairness (GLEE)", "fairness", finals["fairness"])]
    s.text("Turn-based game: the subgame-perfect equilibrium agrees at once (round 1) on the "
           "SPE split (the first proposer's share of the pie, or the price). Each finished "
           "game instance is one observation; the deviation is in shares of the pie "
           "(bargaining, ultimatum) or price units (negotiation).")
    s.table("Outcomes against the subgame-perfect equilibrium (one row per game instance)",
            EST_HEADER, rows)


def _equilibrium_section(ctx: _Ctx) -> None:
    s = ctx.report.sections["equilibrium"]
    if ctx.theory is None:
        s.text(f"Game {ctx.game!r} has no theory module: no equilibrium benchmark.")
        return
    if all(c in ctx.records.columns for c in SPE_OUTCOMES):
        ctx.attempt("equilibrium", "SPE outcomes", lambda: _spe_outcome_table(ctx))
        s.text("NashConv compares one-shot strategy profiles, so it is not computed for "
               "turn-based games; the table above measures the distance from the SPE.")
        return

    def bench() -> None:
        b = eqm.benchmark(ctx.game, ctx.cfg)
        s.table("Theory benchmark", ["quantity", "value"], [list(r) for r in b.as_rows()])
        a = _movers(ctx)
        d = rationality.distance_to_equilibrium(a, np.array(b.equilibria or
                                                             (b.equilibrium_action,)))
        rows = [_est_row("mean action", ctx.keep("mean_action", mean_estimate(
                    a, name="mean_action", n_boot=ctx.n_boot, rng=ctx.rng))),
                _est_row("mean distance to equilibrium", ctx.keep("distance", mean_estimate(
                    d, name="distance_to_equilibrium", n_boot=ctx.n_boot, rng=ctx.rng))),
                _est_row("share of equilibrium actions", ctx.keep(
                    "equilibrium_share", rationality.equilibrium_share(
                        a, np.array(b.equilibria or (b.equilibrium_action,)),
                        n_boot=ctx.n_boot, rng=ctx.rng)))]
        if b.dominated_above is not None or b.dominated_below is not None:
            rows.append(_est_row("share of dominated actions", ctx.keep(
                "dominated_share", rationality.dominated_share(
                    a, above=b.dominated_above, below=b.dominated_below, n_boot=ctx.n_boot,
                    rng=ctx.rng))))
        s.table("Observed play against the benchmark (all decisions)", EST_HEADER, rows)

    ctx.attempt("equilibrium", "benchmark", bench)

    def nashconv() -> None:
        if ctx.game not in SUPPORTED:
            raise ValueError(f"counterfactual payoffs not implemented for {ctx.game}")
        cf = counterfactual_payoffs(ctx.records, ctx.game, ctx.cfg)
        nc = nash_conv_table(cf)
        rows = [_est_row("NashConv of observed round profiles", ctx.keep(
                    "nash_conv", mean_estimate(nc["nash_conv"].to_numpy(), name="nash_conv",
                                               n_boot=ctx.n_boot, rng=ctx.rng))),
                _est_row("epsilon (largest best-response gain)", ctx.keep(
                    "epsilon", mean_estimate(nc["epsilon"].to_numpy(), name="epsilon",
                                             n_boot=ctx.n_boot, rng=ctx.rng)))]
        s.table("Distance from Nash of the observed profiles (per instance-round)", EST_HEADER,
                rows)

    ctx.attempt("equilibrium", "NashConv", nashconv)


def _welfare_section(ctx: _Ctx) -> None:
    s = ctx.report.sections["welfare"]

    def summary() -> None:
        est = welfare.welfare_summary(ctx.records, n_boot=ctx.n_boot, rng=ctx.rng)
        for k, e in est.items():
            ctx.keep(f"welfare.{k}", e)
        s.text("Payoffs are summed over rounds per agent (recipients of one-sided games "
               "included); each metric is computed per instance and averaged, with a bootstrap "
               "over instances. Gini is exact; 'gini_corrected' applies the AI Economist's "
               "N/(N−1) small-sample scaling.")
        s.table("Welfare per instance", EST_HEADER, [_est_row(k, e) for k, e in est.items()])

    ctx.attempt("welfare", "welfare summary", summary)
    if ctx.game == "dictator" and ctx.cfg is not None:
        def family() -> None:
            m = welfare.dictator_metrics(_movers(ctx), endowment=ctx.cfg.endowment,
                                         recipient_endowment=ctx.cfg.recipient_endowment)
            rows = [_est_row(k, ctx.keep(f"dictator.{k}", mean_estimate(
                v, name=k, n_boot=ctx.n_boot, rng=ctx.rng))) for k, v in m.items()]
            s.table("Dictator efficiency and fairness (GLEE-style)", EST_HEADER, rows)

        ctx.attempt("welfare", "dictator metrics", family)


def _grid_utilities(ctx: _Ctx) -> tuple[np.ndarray, np.ndarray]:
    grid = action_grid(ctx.game, ctx.cfg)
    return grid, np.asarray(ctx.theory.action_utilities(ctx.cfg, grid), dtype=np.float64)


def _rationality_section(ctx: _Ctx) -> None:
    s = ctx.report.sections["rationality"]
    if ctx.theory is None or ctx.cfg is None:
        s.text("No theory module: rationality fits unavailable.")
        return
    rows: list[list[Any]] = []
    first = _first_round(ctx)
    g0 = first["action"].to_numpy().astype(np.float64)
    if ctx.game == "p_beauty":
        cfg = ctx.cfg

        def ch() -> None:
            e = ctx.keep("ch_tau", rationality.fit_cognitive_hierarchy(
                g0, p=cfg.p, lower=cfg.lower, upper=cfg.upper, n_boot=ctx.n_boot, rng=ctx.rng))
            rows.append(_est_row("cognitive hierarchy tau (first round)", e))
            rows.append(["CH noise sigma", e.extra["sigma"], e.extra["sigma_ci_low"],
                         e.extra["sigma_ci_high"], e.n, "jointly with tau"])

        ctx.attempt("rationality", "cognitive hierarchy", ch)

        def nagel() -> None:
            shares = rationality.level_k_shares(g0, cfg.p, lower=cfg.lower, upper=cfg.upper)
            iv = rationality.nagel_intervals(cfg.p, lower=cfg.lower, upper=cfg.upper)
            s.table("Nagel (1995) level-k classification, first round",
                    ["step", "interval", "share"],
                    [[k, f"[{iv[i, 0]:.3g}, {iv[i, 1]:.3g}]", v] for i, (k, v)
                     in enumerate(shares.items()) if k != "other"]
                    + [["other", "", shares["other"]]])

        ctx.attempt("rationality", "level-k classification", nagel)

        def mixture() -> None:
            mx = rationality.fit_level_k_mixture(g0, p=cfg.p, lower=cfg.lower,
                                                 upper=cfg.upper,
                                                 n_boot=max(20, ctx.n_boot // 4), rng=ctx.rng)
            s.table("Level-k mixture (EM), first round", ["level", "mean guess", "weight",
                                                          "95% CI low", "95% CI high"],
                    [[int(r["level"]), r["mean_guess"], r["weight"], r["ci_low"], r["ci_high"]]
                     for r in mx.table()])
            ctx.report.estimates["level_k_mixture"] = {
                f"level_{i}": w.value for i, w in enumerate(mx.weights)}

        ctx.attempt("rationality", "level-k mixture", mixture)

    def logit() -> None:
        grid, u = _grid_utilities(ctx)
        e = ctx.keep("logit_lambda", rationality.fit_logit_qre(
            g0, grid=grid, utilities=u, n_boot=ctx.n_boot, rng=ctx.rng))
        rows.append(_est_row("logit lambda (first round, level-0 belief)", e))
        if "action_probs" in first.columns:
            probs = first["action_probs"].drop_nulls().to_list()
            if probs and len(probs[0]) == grid.size:
                e2 = ctx.keep("logit_lambda_probs", rationality.fit_logit_from_probs(
                    np.asarray(probs, dtype=np.float64), utilities=u, n_boot=ctx.n_boot,
                    rng=ctx.rng))
                rows.append(_est_row("logit lambda from recorded action distributions", e2))

    ctx.attempt("rationality", "logit response", logit)

    def regret() -> None:
        if ctx.game not in SUPPORTED:
            raise ValueError(f"counterfactual payoffs not implemented for {ctx.game}")
        rt = regret_table(counterfactual_payoffs(ctx.records, ctx.game, ctx.cfg))
        e = ctx.keep("avg_regret", mean_estimate(rt["avg_regret"].to_numpy(),
                                                 name="avg_regret", n_boot=ctx.n_boot,
                                                 rng=ctx.rng))
        rows.append(_est_row("external regret per round (mean over agents)", e))

    ctx.attempt("rationality", "regret", regret)

    def convergence() -> None:
        if ctx.records["round"].n_unique() < 2:
            raise ValueError("one round only")
        eq = float(ctx.theory.equilibrium_action(ctx.cfg))
        d = (ctx.records.with_columns((pl.col("action") - eq).abs().alias("d"))
             .group_by(["instance", "round"]).agg(pl.col("d").mean())
             .pivot(on="round", index="instance", values="d").sort("instance"))
        mat = d.drop("instance").select(sorted(d.columns[1:], key=int)).to_numpy()
        e = ctx.keep("convergence_rho", rationality.convergence_rate(
            mat, n_boot=ctx.n_boot, rng=ctx.rng))
        rows.append(_est_row("convergence rate rho (distance_t ∝ rho^t)", e))

    ctx.attempt("rationality", "convergence", convergence)
    if ctx.game == "dictator":
        def fs() -> None:
            e = ctx.keep("fs_beta_share", rationality.fehr_schmidt_beta_share(
                g0, endowment=ctx.cfg.endowment,
                recipient_endowment=ctx.cfg.recipient_endowment, n_boot=ctx.n_boot,
                rng=ctx.rng))
            rows.append(_est_row("Fehr-Schmidt: share with beta >= 1/2 (first round)", e))

        ctx.attempt("rationality", "Fehr-Schmidt", fs)
    if rows:
        s.table("Fitted parameters with bootstrap intervals", EST_HEADER, rows)


def _resolve_baseline(ctx: _Ctx, baseline: str | None) -> bl.Baseline | None:
    if baseline == "none":
        return None
    name = baseline or bl.default_baseline(ctx.game, ctx.config)
    return bl.load_baseline(name) if name else None


def _comparison_section(ctx: _Ctx, baseline: str | None) -> None:
    s = ctx.report.sections["human-comparison"]

    def run() -> None:
        b = _resolve_baseline(ctx, baseline)
        if b is None:
            s.text("No human baseline for this game.")
            return
        c = bl.compare(ctx.records, b, ctx.config)
        ctx.report.estimates["comparison"] = {
            k: v for k, v in c.__dict__.items() if not isinstance(v, dict)}
        s.text(f"{b.description}. Source: {b.citation} (status: {b.status}). {b.notes}")
        s.table("Agents versus humans (first round)", ["quantity", "value"],
                [list(r) for r in c.as_rows()])

    ctx.attempt("human-comparison", "comparison", run)


def _by_round(ctx: _Ctx, value: str) -> pl.DataFrame:
    inst = (ctx.records.group_by(["instance", "round"]).agg(pl.col(value).mean())
            .sort(["round", "instance"]))
    rows = []
    for (r,), part in inst.group_by(["round"], maintain_order=True):
        e = mean_estimate(part[value].to_numpy(), n_boot=ctx.n_boot, rng=ctx.rng)
        med = float(ctx.records.filter(pl.col("round") == r)[value].median())
        rows.append({"round": int(r), "mean": e.value, "ci_low": e.ci_low,
                     "ci_high": e.ci_high, "median": med})
    return pl.DataFrame(rows)


def _figures_section(ctx: _Ctx, baseline: str | None) -> None:
    s = ctx.report.sections["figures"]
    try:
        b = _resolve_baseline(ctx, baseline)
    except _EXPECTED:
        b = None
    first = _first_round(ctx)
    if ctx.game == "p_beauty" and ctx.cfg is not None:
        cfg = ctx.cfg
        ctx.attempt("figures", "guess histogram", lambda: s.figure(
            "guess_histogram", "First-round guesses with level-k guesses and the human "
            "baseline", plots.guess_histogram(
                first["action"].to_numpy(), p=cfg.p, lower=cfg.lower, upper=cfg.upper,
                baseline=b if b is not None and b.measure == "guess" else None,
                equilibrium=float(ctx.theory.equilibrium_action(cfg)))))
    if ctx.game == "dictator" and ctx.cfg is not None:
        ctx.attempt("figures", "giving distribution", lambda: s.figure(
            "giving_distribution", "Share given by dictators against the human baseline",
            plots.giving_distribution(
                welfare.dictator_metrics(first["action"].to_numpy(),
                                         endowment=ctx.cfg.endowment)["share_given"],
                baseline=b if b is not None and b.measure == "share" else None)))
    if ctx.records["round"].n_unique() >= 2:
        human = b.by_round if b is not None and b.measure == "guess" else None
        try:
            eq = float(ctx.theory.equilibrium_action(ctx.cfg))
        except _EXPECTED:
            eq = None
        ctx.attempt("figures", "convergence", lambda: s.figure(
            "convergence", "Mean action by round (instance means, 95% bootstrap interval)",
            plots.convergence(_by_round(ctx, "action"), equilibrium=eq, human=human,
                              value_label="mean action")))

    def lorenz() -> None:
        pay = welfare.instance_payoffs(ctx.records)
        groups = {"agent payoffs": np.clip(pay["payoff"].to_numpy(), 0, None)}
        s.figure("lorenz", "Lorenz curve of total payoffs per agent (all instances pooled)",
                 plots.lorenz_curves(groups))

    ctx.attempt("figures", "Lorenz curve", lorenz)
    for col in subgroups.available_subgroups(ctx.records):
        ctx.attempt("figures", f"subgroups by {col}", lambda col=col: s.figure(
            f"subgroup_{col}", f"Mean action by {col}", plots.subgroup_breakdown(
                subgroups.subgroup_table(ctx.records, col, n_boot=ctx.n_boot, rng=ctx.rng),
                col)))
    if not s.blocks:
        s.text("No figures apply to this run.")


def _subgroup_section(ctx: _Ctx) -> None:
    s = ctx.report.sections["subgroups"]
    cols = subgroups.available_subgroups(ctx.records)
    if not cols:
        s.text("No persona attributes (age band, income decile, education, ...) or policy "
               "mixture in the records: no subgroup breakdown.")
        return
    for col in cols:
        def one(col: str = col) -> None:
            t = subgroups.subgroup_table(ctx.records, col, n_boot=ctx.n_boot, rng=ctx.rng)
            s.table(f"Action by {col}", t.columns, [list(r) for r in t.rows()])

        ctx.attempt("subgroups", f"subgroups by {col}", one)


# --------------------------------------------------------------------- files and CLI
def write_report(run: Any, *, out: str | Path | None = None, baseline: str | None = None,
                 n_boot: int = DEFAULT_BOOT, seed: int = DEFAULT_SEED,
                 markdown: bool = True) -> tuple[Path, Path | None]:
    """Write ``report.html`` (and ``report.md`` with a figure folder); returns their paths."""
    run_dir = Path(run) if isinstance(run, str | Path) else getattr(run, "out", None)
    report = analyse(run, baseline=baseline, n_boot=n_boot, seed=seed)
    html_path = Path(out) if out is not None else Path(run_dir or ".") / "report.html"
    if html_path.suffix.lower() not in (".html", ".htm"):
        html_path = html_path / "report.html" if html_path.is_dir() or not html_path.suffix \
            else html_path.with_suffix(".html")
    html_path.parent.mkdir(parents=True, exist_ok=True)
    html_path.write_text(report.to_html())
    md_path = None
    if markdown:
        md_path = html_path.with_suffix(".md")
        fig_dir = html_path.parent / f"{html_path.stem}_figures"
        md_path.write_text(report.to_markdown(fig_dir, link_prefix=f"{fig_dir.name}/"))
    return html_path, md_path


def build_parser() -> argparse.ArgumentParser:
    """Arguments of ``agora report``."""
    parser = argparse.ArgumentParser(
        prog="agora report", description="Write an HTML and Markdown analysis report of a run.")
    parser.add_argument("run_dir", help="finished run directory (manifest.json, records.parquet)")
    parser.add_argument("--baseline", help="human baseline: one of "
                        + ", ".join(bl.list_baselines()) + ", or 'none' (default: the game's)")
    parser.add_argument("--out", help="HTML path (default: RUN_DIR/report.html); the Markdown "
                                      "report goes next to it")
    parser.add_argument("--n-boot", type=int, default=DEFAULT_BOOT,
                        help=f"bootstrap replicates (default {DEFAULT_BOOT})")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="bootstrap seed")
    parser.add_argument("--no-markdown", action="store_true", help="write the HTML only")
    return parser


def report_main(argv: list[str]) -> int:
    """``agora report RUN_DIR [--baseline NAME] [--out PATH]``; returns the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    if args.baseline and args.baseline != "none" and args.baseline not in bl.list_baselines():
        print(f"agora report: error: unknown baseline {args.baseline!r}; known: "
              f"{', '.join(bl.list_baselines())}", file=sys.stderr)
        return 2
    if args.n_boot < 0:
        print("agora report: error: --n-boot must be >= 0", file=sys.stderr)
        return 2
    try:
        html_path, md_path = write_report(args.run_dir, out=args.out, baseline=args.baseline,
                                          n_boot=args.n_boot, seed=args.seed,
                                          markdown=not args.no_markdown)
    except (FileNotFoundError, NotADirectoryError, ValueError) as exc:
        print(f"agora report: error: {exc}", file=sys.stderr)
        return 2
    print(f"report: {html_path}")
    if md_path is not None:
        print(f"markdown: {md_path}")
    return 0
