"""The catalogue of named analyses a game may ask the report for.

A game's hooks list :class:`~agora.engine.contract.AnalysisSpec` s (``kind`` plus parameters
read off its config); each kind here names the section it belongs to, its place in that section
and the function that adds its tables, rows or figures. The report never tests a game's name:
a beauty contest asks for ``cognitive_hierarchy`` with its ``p`` and bounds, a transfer game
for ``transfer_metrics`` with its endowments, a turn-based game for ``spe_outcomes``.

Fitted parameters go to ``ctx.rows["rationality"]`` and become one table at the end of that
section; every estimate is also kept in ``report.estimates`` under a stable key.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from agora.analysis import plots, rationality, welfare
from agora.analysis.report.context import EST_HEADER, Context, est_row

Params = Mapping[str, Any]


@dataclass(frozen=True)
class Analysis:
    """A named analysis: its section, its order there, a label for errors and the step.

    ``replaces`` names generic steps it stands in for when the game asks for it (the SPE
    outcomes of a turn-based game replace the one-shot benchmark and NashConv).
    """

    section: str
    order: int
    label: str
    run: Callable[[Context, Params], None]
    replaces: tuple[str, ...] = ()


def _lazy(module: str, function: str) -> Callable[[Context, Params], None]:
    """The step ``agora.analysis.<module>.<function>(ctx, params)``, imported when it first
    runs (an analysis module owns its report tables; see its function's docstring for the
    params it reads)."""
    def run(ctx: Context, params: Params) -> None:
        getattr(importlib.import_module(f"agora.analysis.{module}"), function)(ctx, params)
    run.__doc__ = f"agora.analysis.{module}.{function}"
    return run


def _bounds(params: Params) -> dict[str, float]:
    return {"lower": float(params["lower"]), "upper": float(params["upper"])}


def _first_actions(ctx: Context) -> np.ndarray:
    return ctx.first_round()["action"].to_numpy().astype(np.float64)


# ------------------------------------------------------------------ equilibrium
SPE_OUTCOMES = ("agreed", "agreement_round", "efficiency", "fairness", "spe_deviation")
"""Final-decision columns that ``spe_outcomes`` reads."""


def spe_outcomes(ctx: Context, params: Params) -> None:
    """One observation per finished game instance, against the SPE (agreement at once on its
    split). ``params["deviation_unit"]`` says what the deviation is measured in."""
    s = ctx.report.sections["equilibrium"]
    missing = [c for c in SPE_OUTCOMES if c not in ctx.records.columns]
    if missing:
        raise ValueError(f"the records lack the outcome columns {', '.join(missing)}")
    finals = ctx.records.filter(pl.col("agreed").is_not_null() & pl.col("agreed").is_not_nan())
    if finals.height == 0:
        raise ValueError("no finished game instance in the records")
    deals = finals.filter(pl.col("agreed") > 0)

    def row(label: str, key: str, values: pl.Series) -> list[Any]:
        return est_row(label, ctx.mean(key, values.cast(pl.Float64).to_numpy()))

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
           "game instance is one observation; the deviation is in "
           f"{params.get('deviation_unit', 'the units of the split')}.")
    s.table("Outcomes against the subgame-perfect equilibrium (one row per game instance)",
            EST_HEADER, rows)
    s.text("NashConv compares one-shot strategy profiles, so it is not computed for "
           "turn-based games; the table above measures the distance from the SPE.")


# ------------------------------------------------------------------ welfare
def transfer_metrics(ctx: Context, params: Params) -> None:
    """Efficiency, fairness and share given of one-sided transfers (GLEE-style)."""
    label = str(params.get("label", "Transfer"))
    m = welfare.dictator_metrics(ctx.movers(), endowment=float(params["endowment"]),
                                 recipient_endowment=float(params["recipient_endowment"]))
    rows = [est_row(k, ctx.mean(f"{label.lower()}.{k}", v, name=k)) for k, v in m.items()]
    ctx.report.sections["welfare"].table(f"{label} efficiency and fairness (GLEE-style)",
                                         EST_HEADER, rows)


# ------------------------------------------------------------------ rationality
def cognitive_hierarchy(ctx: Context, params: Params) -> None:
    """Poisson cognitive hierarchy τ of first-round guesses by both methods: the likelihood
    (with its noise σ and equilibrium-spike share) and CHC's (2004) mean matching. An estimate
    at the end of its search range is labelled so (its interval is then one-sided)."""
    g, p = _first_actions(ctx), float(params["p"])
    e = ctx.keep("ch_tau", rationality.fit_cognitive_hierarchy(
        g, p=p, **_bounds(params), n_boot=ctx.n_boot, rng=ctx.rng))
    m = ctx.keep("ch_tau_moment", rationality.fit_cognitive_hierarchy(
        g, p=p, **_bounds(params), n_boot=ctx.n_boot, rng=ctx.rng, method="moment"))

    def flag(at_bound: bool) -> str:
        return " - AT ITS BOUND, not an interior estimate" if at_bound else ""

    rows = ctx.rows.setdefault("rationality", [])
    rows.append(est_row(f"cognitive hierarchy tau, likelihood (first round){flag(e.at_bound)}", e))
    rows.append(["CH noise sigma (step 1)", e.extra["sigma"], e.extra["sigma_ci_low"],
                 e.extra["sigma_ci_high"], e.n, "jointly with tau"])
    rows.append(["CH equilibrium-spike share", e.extra["spike_share"],
                 e.extra["spike_share_ci_low"], e.extra["spike_share_ci_high"], e.n,
                 "jointly with tau; guesses the model puts at the equilibrium"])
    rows.append(est_row(f"cognitive hierarchy tau, mean matching (CHC 2004; "
                        f"{m.level:.0%} CI){flag(m.at_bound)}", m))


def level_k_classification(ctx: Context, params: Params) -> None:
    """Nagel's (1995) level-k intervals and the share of first-round guesses in each."""
    p = float(params["p"])
    shares = rationality.level_k_shares(_first_actions(ctx), p, **_bounds(params))
    iv = rationality.nagel_intervals(p, **_bounds(params))
    ctx.report.sections["rationality"].table(
        "Nagel (1995) level-k classification, first round", ["step", "interval", "share"],
        [[k, f"[{iv[i, 0]:.3g}, {iv[i, 1]:.3g}]", v] for i, (k, v) in enumerate(shares.items())
         if k != "other"] + [["other", "", shares["other"]]])


def level_k_mixture(ctx: Context, params: Params) -> None:
    """Level-k mixture weights by EM with bootstrap intervals."""
    mx = rationality.fit_level_k_mixture(_first_actions(ctx), p=float(params["p"]),
                                         **_bounds(params), n_boot=max(20, ctx.n_boot // 4),
                                         rng=ctx.rng)
    ctx.report.sections["rationality"].table(
        "Level-k mixture (EM), first round",
        ["level", "mean guess", "weight", "95% CI low", "95% CI high"],
        [[int(r["level"]), r["mean_guess"], r["weight"], r["ci_low"], r["ci_high"]]
         for r in mx.table()])
    ctx.report.estimates["level_k_mixture"] = {
        f"level_{i}": w.value for i, w in enumerate(mx.weights)}


def fehr_schmidt_share(ctx: Context, params: Params) -> None:
    """Share of first-round transfers that reveal Fehr-Schmidt β >= 1/2."""
    e = ctx.keep("fs_beta_share", rationality.fehr_schmidt_beta_share(
        _first_actions(ctx), endowment=float(params["endowment"]),
        recipient_endowment=float(params["recipient_endowment"]), n_boot=ctx.n_boot,
        rng=ctx.rng))
    ctx.rows.setdefault("rationality", []).append(
        est_row("Fehr-Schmidt: share with beta >= 1/2 (first round)", e))


# ------------------------------------------------------------------ figures
def guess_histogram(ctx: Context, params: Params) -> None:
    """First-round guesses with level-k guesses, the equilibrium and the human baseline."""
    b = _figure_baseline(ctx, "guess")
    ctx.report.sections["figures"].figure(
        "guess_histogram", "First-round guesses with level-k guesses and the human baseline",
        plots.guess_histogram(ctx.first_round()["action"].to_numpy(), p=float(params["p"]),
                              **_bounds(params), baseline=b,
                              equilibrium=ctx.equilibrium_action()))


def giving_distribution(ctx: Context, params: Params) -> None:
    """Shares of the endowment given in the first round against the human baseline."""
    b = _figure_baseline(ctx, "share")
    shares = ctx.first_round()["action"].to_numpy() / float(params["endowment"])
    ctx.report.sections["figures"].figure(
        "giving_distribution", "Share given by dictators against the human baseline",
        plots.giving_distribution(shares, baseline=b))


def _round_means(ctx: Context, column: str) -> np.ndarray:
    """Mean of ``column`` by round (instance means first; rows without it left out)."""
    frame = (ctx.records.filter(pl.col(column).is_not_null() & pl.col(column).is_not_nan())
             .group_by(["round", "instance"]).agg(pl.col(column).mean())
             .group_by("round").agg(pl.col(column).mean()).sort("round"))
    if frame.height == 0:
        raise ValueError(f"no values of {column!r} in the records")
    return frame[column].to_numpy()


def series_by_round(ctx: Context, params: Params) -> None:
    """Per-round means of recorded outcome columns (``params["series"]``: label -> column)."""
    series = {label: _round_means(ctx, col) for label, col in params["series"].items()}
    ctx.report.sections["figures"].figure(
        str(params.get("name", "series_by_round")), str(params.get("title", "Outcomes by round")),
        plots.welfare_over_time(series, xlabel=str(params.get("xlabel", "round")),
                                ylabel=str(params.get("ylabel", "mean")),
                                title=str(params.get("title", "Outcomes by round"))))


def rate_schedule(ctx: Context, params: Params) -> None:
    """Marginal-rate schedule (mean over instances) of the first and last round, with
    ``params["thresholds"]`` the finite upper bracket bounds and ``params["columns"]`` the
    recorded rate of each bracket."""
    rates = np.array([_round_means(ctx, c) for c in params["columns"]])  # (brackets, rounds)
    edges = [*map(float, params["thresholds"]), float("inf")]
    if len(edges) != rates.shape[0]:
        raise ValueError(f"{len(edges)} brackets but {rates.shape[0]} rate columns")
    others = {"first round": (edges, rates[:, 0])} if rates.shape[1] > 1 else {}
    ctx.report.sections["figures"].figure(
        "rate_schedule", "Marginal rates by bracket (mean over instances)",
        plots.tax_schedule(edges, rates[:, -1], label="last round", others=others,
                           title="Marginal rate schedule"))


# ------------------------------------------------------------------ human comparison
def human_likeness(ctx: Context, params: Params) -> None:
    """One human-likeness table (:mod:`agora.analysis.fidelity`) against the baselines with
    individual data that the game names (``params["baselines"]``) plus the run's chosen
    baseline when it has individual data; ``--baseline none`` turns it off.

    ``params["thresholds"]`` names baselines of minimum acceptable offers: scored like the
    others when the records state thresholds (the baseline's ``agent_column``), else the
    responders' accept/reject decisions are compared with what the humans' thresholds imply
    (:mod:`agora.analysis.fidelity_responder`)."""
    from agora.analysis import baselines as bl
    from agora.analysis import fidelity as fid
    from agora.analysis.fidelity_responder import ACCEPT_HEADER, acceptance

    if ctx.baseline_choice == "none":
        return
    s = ctx.report.sections["human-comparison"]
    names = list(params.get("baselines", ()))
    for name in params.get("thresholds", ()):
        b = bl.load_baseline(name)
        if b.agent_column is not None and b.agent_column in ctx.records.columns:
            names.append(name)
            continue
        try:
            a = acceptance(ctx.records, b, ctx.config, n_boot=ctx.n_boot, rng=ctx.rng)
        except ValueError as exc:
            s.text(f"responders against {name}: not available ({exc}).")
            continue
        ctx.report.estimates[f"acceptance.{name}"] = {
            k: getattr(a, k).value for k in ("agent_rate", "human_rate", "difference")}
        s.table(f"Responders' acceptance against the humans' minimum acceptable offers "
                f"({name})", ["quantity", "value"], [list(r) for r in a.as_rows()])
        s.table("Acceptance by offer (first round)", ACCEPT_HEADER, a.bin_rows())
    try:
        chosen = ctx.baseline()
    except ValueError:
        chosen = None
    if chosen is not None and chosen.values is not None and chosen.name not in names:
        names.append(chosen.name)
    rows, unavailable = [], []
    for name in names:
        try:
            table = fid.fidelity(ctx.records, bl.load_baseline(name), ctx.config,
                                 n_boot=ctx.n_boot, rng=ctx.rng)
        except ValueError as exc:
            unavailable.append(f"{name}: {exc}")
            continue
        for score in table.scores:
            ctx.report.estimates[f"fidelity.{name}.{score.group}"] = score.as_dict()
        rows += table.as_rows()
    if rows:
        s.text("Human-likeness of the first-round choices (of each agent's rate against "
               "per-subject rate baselines; all agents, then each persona "
               "subgroup or policy): Wasserstein-1 on the action scale, Kolmogorov-Smirnov, "
               "total variation on Mei et al.'s (2024) ten equal bins, and their Turing-test "
               "statistic (the chance that an agent's choice is judged more human than a random "
               "human's; 0.5: indistinguishable), with 95 % bootstrap intervals.")
        s.table("Human-likeness against individual human data", fid.FIDELITY_HEADER, rows)
    for line in unavailable:
        s.text(f"human-likeness: not available ({line}).")


def cooperation_by_round(ctx: Context, params: Params) -> None:
    """Rates of recorded 0/1 columns by round with bootstrap CIs over clusters
    (:func:`agora.analysis.cooperation.rate_by_round`). ``params``: ``columns`` (label ->
    column), ``round_column`` (default ``round``), ``cluster`` (default ``instance``),
    ``title``."""
    from agora.analysis.cooperation import rate_by_round

    columns = dict(params.get("columns", {"rate": "action"}))
    rc, cluster = str(params.get("round_column", "round")), str(params.get("cluster", "instance"))
    rates = {label: rate_by_round(ctx.records, col, round_column=rc, cluster=cluster,
                                  n_boot=ctx.n_boot, rng=ctx.rng)
             for label, col in columns.items()}
    first = next(iter(rates.values()))
    rows = []
    for i, r in enumerate(first.rounds):
        row: list[Any] = [int(r), int(first.clusters[i])]
        for rr in rates.values():
            j = int(np.searchsorted(rr.rounds, r))
            ok = j < rr.rounds.size and rr.rounds[j] == r
            row.append(f"{rr.mean[j]:.3f} [{rr.ci_low[j]:.3f}, {rr.ci_high[j]:.3f}]" if ok
                       else "n/a")
        rows.append(row)
    for label, rr in rates.items():
        ctx.report.estimates[f"cooperation_by_round.{label}"] = {
            "round": rr.rounds.tolist(), "mean": rr.mean.tolist(),
            "ci_low": rr.ci_low.tolist(), "ci_high": rr.ci_high.tolist()}
    ctx.report.sections["welfare"].table(
        str(params.get("title", "Rates by round")),
        [rc, f"{cluster}s", *(f"{k} [95% CI]" for k in rates)], rows)


def reciprocity(ctx: Context, params: Params) -> None:
    """Reciprocity slope of a second mover's transfer on the first mover's (columns
    ``params["x"]``, ``params["y"]``; rows of ``params["role"]``), Spearman's correlation and
    the mean return ratio (with ``params["multiplier"]``): :mod:`agora.analysis.reciprocity`.
    Moves are sequential, so it stands in for the one-shot NashConv and regret."""
    from agora.analysis.reciprocity import reciprocity_from_records

    m = params.get("multiplier")
    fit = reciprocity_from_records(ctx.records, x=str(params["x"]), y=str(params["y"]),
                                   role=params.get("role"),
                                   multiplier=None if m is None else float(m),
                                   n_boot=ctx.n_boot, rng=ctx.rng)
    rows = ctx.rows.setdefault("rationality", [])
    for label, e in fit.rows():
        rows.append(est_row(f"{label}, every round", ctx.keep(f"reciprocity.{e.name}", e)))
    ctx.report.sections["rationality"].text(
        "Moves are sequential (the second mover sees the first move), so one-shot NashConv "
        "and regret do not apply; the reciprocity slope measures how returns follow amounts "
        "sent (selfish subgame-perfect play: nothing returned, slope 0).")


def _figure_baseline(ctx: Context, measure: str) -> Any:
    """The run's baseline when it is in ``measure``; figures draw without one otherwise."""
    try:
        b = ctx.baseline()
    except ValueError:
        return None
    return b if b is not None and b.measure == measure else None


CATALOGUE: dict[str, Analysis] = {
    "spe_outcomes": Analysis("equilibrium", 5, "SPE outcomes", spe_outcomes,
                             replaces=("benchmark", "nash_conv")),
    "transfer_metrics": Analysis("welfare", 20, "transfer metrics", transfer_metrics),
    "cognitive_hierarchy": Analysis("rationality", 10, "cognitive hierarchy",
                                    cognitive_hierarchy),
    "level_k_classification": Analysis("rationality", 20, "level-k classification",
                                       level_k_classification),
    "level_k_mixture": Analysis("rationality", 30, "level-k mixture", level_k_mixture),
    "fehr_schmidt_share": Analysis("rationality", 80, "Fehr-Schmidt", fehr_schmidt_share),
    "guess_histogram": Analysis("figures", 10, "guess histogram", guess_histogram),
    "giving_distribution": Analysis("figures", 20, "giving distribution", giving_distribution),
    "rate_schedule": Analysis("figures", 25, "rate schedule", rate_schedule),
    "series_by_round": Analysis("figures", 26, "outcomes by round", series_by_round),
    "human_likeness": Analysis("human-comparison", 10, "human-likeness", human_likeness),
    "reciprocity": Analysis("rationality", 55, "reciprocity", reciprocity,
                            replaces=("nash_conv", "regret")),
    "cooperation_by_round": Analysis("welfare", 30, "cooperation by round",
                                     cooperation_by_round),
    "contribution_by_round": Analysis("welfare", 32, "contribution by round", _lazy(
        "contributions", "report_contribution_by_round")),
    "contribution_types": Analysis("rationality", 60, "contribution types", _lazy(
        "contributions", "report_contribution_types")),
    "bid_function": Analysis("rationality", 57, "bid function", _lazy(
        "bidding", "report_bid_function"), replaces=("nash_conv", "regret")),
    "auction_revenue": Analysis("welfare", 34, "auction revenue", _lazy(
        "bidding", "report_revenue")),
    "rationality_orders": Analysis("rationality", 58, "orders of rationality", _lazy(
        "rationality_order", "report_rationality_orders"),
        replaces=("benchmark", "nash_conv", "regret")),
    "conditional_responses": Analysis("human-comparison", 20, "conditional responses", _lazy(
        "response_patterns", "report_conditional_responses")),
    "exploitation_by_round": Analysis("rationality", 65, "exploitation by round", _lazy(
        "response_patterns", "report_exploitation")),
}
"""Named analyses games may request, by kind. The report's generic steps sit between them by
order (see :mod:`agora.analysis.report.sections`)."""
