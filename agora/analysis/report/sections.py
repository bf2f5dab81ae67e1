"""The report's sections: generic steps every run gets, interleaved with the named analyses of
the catalogue that the game asks for (:meth:`GameHooks.analyses`), and :func:`analyse`.

Each section runs its steps in catalogue order; a step that the data do not allow (a game
without theory, one round, no personas) is reported as unavailable with its reason, and any
other error propagates (see :data:`~agora.analysis.report.context.EXPECTED`).
"""

from __future__ import annotations

import json

import numpy as np
import polars as pl

from agora.analysis import baselines as bl
from agora.analysis import plots, rationality, subgroups, welfare
from agora.analysis.counterfactual import (
    action_grid,
    counterfactual_payoffs,
    nash_conv_table,
    regret_table,
)
from agora.analysis.estimate import mean_estimate
from agora.analysis.report.catalogue import Analysis, Params
from agora.analysis.report.context import EST_HEADER, Context, est_row


# ------------------------------------------------------------------ generic steps
def config_section(ctx: Context, _: Params) -> None:
    """Run metadata, the game's config, the policies and package versions."""
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


def telemetry_section(ctx: Context, _: Params) -> None:
    """Run telemetry, parse status and LLM decision statistics (and a row per model when
    the run's LLM policies use several models)."""
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
    if len(models_of(r)) > 1:
        s.table("LLM decisions by model", MODEL_HEADER, model_rows(r))


MODEL_HEADER = ["model", "policies", "decisions", "ok", "repaired", "fallback",
                "mean tokens in", "mean tokens out", "mean latency s", "mean action"]
"""Columns of :func:`model_rows`."""


def models_of(records: pl.DataFrame) -> list[str]:
    """The distinct models that made the records' decisions (the ``model`` column of LLM
    policies; scripted decisions have none), in order of first appearance."""
    if "model" not in records.columns:
        return []
    return [str(m) for m in records["model"].drop_nulls().unique(maintain_order=True)]


def model_rows(records: pl.DataFrame) -> list[list[object]]:
    """One :data:`MODEL_HEADER` row per model of a run whose LLM policies use several models
    (a cross-model population): who made the decisions, their parse status and cost."""
    rows: list[list[object]] = []
    for model in models_of(records):
        part = records.filter(pl.col("model") == model)

        def mean(col: str, part: pl.DataFrame = part) -> object:
            if col not in part.columns:
                return None
            return part.select(pl.col(col).cast(pl.Float64, strict=False).fill_nan(None)
                               .mean()).item()

        status = (part["parse_status"] if "parse_status" in part.columns
                  else pl.Series([], dtype=pl.String))
        policies = (", ".join(str(p) for p in part["policy"].unique(maintain_order=True))
                    if "policy" in part.columns else "")
        rows.append([model, policies, part.height,
                     *(int((status == k).sum()) for k in ("ok", "repaired", "fallback")),
                     mean("tokens_in"), mean("tokens_out"), mean("latency_s"), mean("action")])
    return rows


def benchmark(ctx: Context, _: Params) -> None:
    """The game's benchmark and how far observed play is from it."""
    s = ctx.report.sections["equilibrium"]
    b = ctx.hooks.benchmark(ctx.game, ctx.cfg)
    if b is None:
        raise ValueError(f"game {ctx.game!r} provides no equilibrium benchmark")
    s.table("Theory benchmark", ["quantity", "value"], [list(r) for r in b.as_rows()])
    a = ctx.movers()
    eq = np.array(b.equilibria or (b.equilibrium_action,))
    d = rationality.distance_to_equilibrium(a, eq)
    rows = [est_row("mean action", ctx.mean("mean_action", a)),
            est_row("mean distance to equilibrium",
                    ctx.mean("distance", d, name="distance_to_equilibrium")),
            est_row("share of equilibrium actions", ctx.keep(
                "equilibrium_share", rationality.equilibrium_share(a, eq, n_boot=ctx.n_boot,
                                                                   rng=ctx.rng)))]
    if b.dominated_above is not None or b.dominated_below is not None:
        rows.append(est_row("share of dominated actions", ctx.keep(
            "dominated_share", rationality.dominated_share(
                a, above=b.dominated_above, below=b.dominated_below, n_boot=ctx.n_boot,
                rng=ctx.rng))))
    s.table("Observed play against the benchmark (all decisions)", EST_HEADER, rows)


def nash_conv(ctx: Context, _: Params) -> None:
    """NashConv and ε of every observed round profile (needs the game's payoffs)."""
    nc = nash_conv_table(counterfactual_payoffs(ctx.records, ctx.game, ctx.cfg))
    rows = [est_row("NashConv of observed round profiles",
                    ctx.mean("nash_conv", nc["nash_conv"].to_numpy())),
            est_row("epsilon (largest best-response gain)",
                    ctx.mean("epsilon", nc["epsilon"].to_numpy()))]
    ctx.report.sections["equilibrium"].table(
        "Distance from Nash of the observed profiles (per instance-round)", EST_HEADER, rows)


def welfare_summary(ctx: Context, _: Params) -> None:
    """Welfare and inequality per instance with bootstrap intervals."""
    est = welfare.welfare_summary(ctx.records, n_boot=ctx.n_boot, rng=ctx.rng,
                                  payoffs=ctx.hooks.agent_payoffs(ctx.records))
    for k, e in est.items():
        ctx.keep(f"welfare.{k}", e)
    s = ctx.report.sections["welfare"]
    s.text("Payoffs are summed over rounds per agent (recipients of one-sided games "
           "included); each metric is computed per instance and averaged, with a bootstrap "
           "over instances. Gini is exact; 'gini_corrected' applies the AI Economist's "
           "N/(N−1) small-sample scaling.")
    s.table("Welfare per instance", EST_HEADER, [est_row(k, e) for k, e in est.items()])


def logit(ctx: Context, _: Params) -> None:
    """Logit response λ of first-round actions against level-0 beliefs.

    The utilities are the game theory's ``action_utilities``: expected payoffs under the
    game's own payoff rule (never an assumed one), as the quantal response policy plays them.
    """
    theory = ctx.simultaneous()
    grid = action_grid(ctx.game, ctx.cfg)
    u = np.asarray(theory.action_utilities(ctx.cfg, grid), dtype=np.float64)
    first = ctx.first_round()
    rows = ctx.rows.setdefault("rationality", [])
    e = ctx.keep("logit_lambda", rationality.fit_logit_qre(
        first["action"].to_numpy().astype(np.float64), grid=grid, utilities=u,
        n_boot=ctx.n_boot, rng=ctx.rng))
    rows.append(est_row("logit lambda (first round, level-0 belief)", e))
    if "action_probs" in first.columns:
        probs = first["action_probs"].drop_nulls().to_list()
        if probs and len(probs[0]) == grid.size:
            e2 = ctx.keep("logit_lambda_probs", rationality.fit_logit_from_probs(
                np.asarray(probs, dtype=np.float64), utilities=u, n_boot=ctx.n_boot,
                rng=ctx.rng))
            rows.append(est_row("logit lambda from recorded action distributions", e2))


def regret(ctx: Context, _: Params) -> None:
    """External regret per round from the game's payoffs of deviations."""
    rt = regret_table(counterfactual_payoffs(ctx.records, ctx.game, ctx.cfg))
    ctx.rows.setdefault("rationality", []).append(est_row(
        "external regret per round (mean over agents)",
        ctx.mean("avg_regret", rt["avg_regret"].to_numpy())))


def convergence(ctx: Context, _: Params) -> None:
    """Rate ρ of the mean distance to equilibrium by round (distance_t ∝ ρ^t)."""
    if ctx.records["round"].n_unique() < 2:
        raise ValueError("one round only")
    eq = float(ctx.simultaneous().equilibrium_action(ctx.cfg))
    d = (ctx.records.with_columns((pl.col("action") - eq).abs().alias("d"))
         .group_by(["instance", "round"]).agg(pl.col("d").mean())
         .pivot(on="round", index="instance", values="d").sort("instance"))
    mat = d.drop("instance").select(sorted(d.columns[1:], key=int)).to_numpy()
    e = ctx.keep("convergence_rho", rationality.convergence_rate(mat, n_boot=ctx.n_boot,
                                                                 rng=ctx.rng))
    ctx.rows.setdefault("rationality", []).append(
        est_row("convergence rate rho (distance_t ∝ rho^t)", e))


def comparison(ctx: Context, _: Params) -> None:
    """Agents against the packaged human baseline (first-round choices, or per-agent rates for
    baselines of per-subject rates)."""
    s = ctx.report.sections["human-comparison"]
    b = ctx.baseline()
    if b is None:
        s.text("No human baseline for this game.")
        return
    c = bl.compare(ctx.records, b, ctx.config)
    ctx.report.estimates["comparison"] = {
        k: v for k, v in c.__dict__.items() if not isinstance(v, dict)}
    s.text(f"{b.description}. Source: {b.citation} (status: {b.status}). {b.notes}")
    unit = ("each agent's rate over its rounds" if b.agent_unit
            else "first round")
    s.table(f"Agents versus humans ({unit})", ["quantity", "value"],
            [list(r) for r in c.as_rows()])


def _by_round(ctx: Context, value: str) -> pl.DataFrame:
    inst = (ctx.records.group_by(["instance", "round"]).agg(pl.col(value).mean())
            .sort(["round", "instance"]))
    rows = []
    for (r,), part in inst.group_by(["round"], maintain_order=True):
        e = mean_estimate(part[value].to_numpy(), n_boot=ctx.n_boot, rng=ctx.rng)
        med = float(ctx.records.filter(pl.col("round") == r)[value].median())
        rows.append({"round": int(r), "mean": e.value, "ci_low": e.ci_low,
                     "ci_high": e.ci_high, "median": med})
    return pl.DataFrame(rows)


def convergence_figure(ctx: Context, _: Params) -> None:
    """Mean action by round with the equilibrium and the human means by round."""
    if ctx.records["round"].n_unique() < 2:
        return
    try:
        b = ctx.baseline()
    except ValueError:
        b = None
    ctx.report.sections["figures"].figure(
        "convergence", "Mean action by round (instance means, 95% bootstrap interval)",
        plots.convergence(_by_round(ctx, "action"), equilibrium=ctx.equilibrium_action(),
                          human=b.by_round if b is not None else None,
                          value_label="mean action"))


def lorenz(ctx: Context, _: Params) -> None:
    """Lorenz curve of total payoffs per agent."""
    pay = ctx.hooks.agent_payoffs(ctx.records)
    pay = welfare.instance_payoffs(ctx.records) if pay is None else pay
    ctx.report.sections["figures"].figure(
        "lorenz", "Lorenz curve of total payoffs per agent (all instances pooled)",
        plots.lorenz_curves({"agent payoffs": np.clip(pay["payoff"].to_numpy(), 0, None)}))


def subgroup_figures(ctx: Context, _: Params) -> None:
    """Mean action by persona attribute (or policy), one figure each."""
    s = ctx.report.sections["figures"]
    for col in subgroups.available_subgroups(ctx.records):
        ctx.attempt("figures", f"subgroups by {col}", lambda col=col: s.figure(
            f"subgroup_{col}", f"Mean action by {col}", plots.subgroup_breakdown(
                subgroups.subgroup_table(ctx.records, col, n_boot=ctx.n_boot, rng=ctx.rng),
                col)))


def subgroup_tables(ctx: Context, _: Params) -> None:
    """Action by persona attribute (or policy) with bootstrap intervals."""
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


GENERIC: dict[str, Analysis] = {
    "config": Analysis("config", 0, "configuration", config_section),
    "telemetry": Analysis("telemetry", 0, "telemetry", telemetry_section),
    "benchmark": Analysis("equilibrium", 10, "benchmark", benchmark),
    "nash_conv": Analysis("equilibrium", 20, "NashConv", nash_conv),
    "welfare_summary": Analysis("welfare", 10, "welfare summary", welfare_summary),
    "logit": Analysis("rationality", 40, "logit response", logit),
    "regret": Analysis("rationality", 50, "regret", regret),
    "convergence": Analysis("rationality", 60, "convergence", convergence),
    "comparison": Analysis("human-comparison", 0, "comparison", comparison),
    "convergence_figure": Analysis("figures", 30, "convergence", convergence_figure),
    "lorenz": Analysis("figures", 40, "Lorenz curve", lorenz),
    "subgroup_figures": Analysis("figures", 50, "subgroup figures", subgroup_figures),
    "subgroup_tables": Analysis("subgroups", 0, "subgroups", subgroup_tables),
}
"""Steps every run gets, by name (placed among the catalogue's by section and order)."""

THEORY_SECTIONS = ("equilibrium", "rationality")
"""Sections whose generic steps need the game's theory."""
