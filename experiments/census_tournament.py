"""The census tournament: a census-calibrated population plays every game family on a network.

One population of adult personas is synthesized from the shipped ACS microdata and validated
against it (the validation report is written beside the runs). The personas live on a
small-world interaction graph; for each game family (p-beauty, dictator, ultimatum, alternating-
offers bargaining, buyer-seller negotiation) a :class:`populations.PopulationModel` rematches
them into groups of neighbours for several rounds, each round one full game batched through the
runner, and each persona's prompt tells it how its neighbours did last round. Every family's
records (Parquet plus manifest and per-round population metrics) and HTML report are written to
``--out/<family>``; ``--out/index.html`` and ``summary.md`` gather the tables, which set the
population's figures next to the packaged human baselines (Nagel 1995, Engel 2011, Oosterbeek et
al. 2004) and the games' theory benchmarks.

``agora demo`` runs this script at a size that finishes in about ten minutes on two CPU cores
with the embedded model. The tax-planner economy (``games.tax_planner``) is not one of the
tournament's families: it pits one planner against a population of workers and has its own
experiment, ``experiments/tax_planner_saez.py``.

    python -m experiments.census_tournament --n 64     # 64 personas
    python -m experiments.census_tournament --smoke
"""

from __future__ import annotations

import html
import math
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from experiments._common import (
    SUBGROUP_FIELDS,
    Agents,
    ExperimentArgs,
    Summary,
    Table,
    adult_population,
    column_estimate,
    experiment_main,
    fmt,
    fmt_est,
    parse_counts,
    write_run_report,
)

NAME = "census_tournament"
FAMILIES: tuple[str, ...] = ("p_beauty", "dictator", "ultimatum", "bargaining", "negotiation")


@dataclass(frozen=True, kw_only=True)
class TournamentConfig:
    """Settings of the tournament.

    Attributes:
        personas: Population size (``--n``).
        rounds: Matchmaking rounds per game family (each a full game).
        families: Game families played, in order.
        graph: Interaction graph kind (see :class:`populations.PopulationConfig`).
        k: Neighbours per persona on the ring before rewiring.
        p_rewire: Small-world rewiring probability.
        matchmaker: ``graph`` (groups of neighbours), ``random`` or ``assortative``.
        social_info: Tell each persona its neighbours' last actions and payoffs.
        group_size: Players per p-beauty group.
        p: p-beauty multiplier.
        endowment: Dictator endowment.
        pie: Ultimatum and bargaining pie.
        delta: Both players' bargaining discount factor.
        bargaining_horizon: Rounds of alternating offers.
        seller_value: Negotiation seller value F_a.
        buyer_ratio: F_b / F_a.
        negotiation_horizon: Most price offers.
        temperature: LLM sampling temperature.
        max_tokens: Answer budget.
        n_boot: Bootstrap replicates.
    """

    personas: int = 64
    rounds: int = 3
    families: tuple[str, ...] = FAMILIES
    graph: str = "small_world"
    k: int = 4
    p_rewire: float = 0.1
    matchmaker: str = "graph"
    social_info: bool = True
    group_size: int = 8
    p: float = 2 / 3
    endowment: float = 10.0
    pie: float = 100.0
    delta: float = 0.9
    bargaining_horizon: int = 4
    seller_value: float = 100.0
    buyer_ratio: float = 1.2
    negotiation_horizon: int = 4
    temperature: float = 0.7
    max_tokens: int = 16
    n_boot: int = 200

    def __post_init__(self) -> None:
        unknown = [f for f in self.families if f not in FAMILIES]
        if not self.families or unknown:
            raise ValueError(f"families must be a non-empty subset of {FAMILIES}, got "
                             f"{self.families}")
        for name in ("personas", "rounds", "bargaining_horizon", "negotiation_horizon"):
            v = getattr(self, name)
            if not isinstance(v, int) or v < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {v!r}")
        if not isinstance(self.group_size, int) or self.group_size < 2:
            raise ValueError(f"group_size must be an integer >= 2, got {self.group_size!r}")
        if self.personas < self.group_size or self.personas <= self.k:
            raise ValueError(f"personas must be at least the p-beauty group size "
                             f"({self.group_size}) and more than k ({self.k}), got "
                             f"{self.personas}")
        if not 0 < self.delta <= 1:
            raise ValueError(f"delta must be in (0, 1], got {self.delta}")
        if not (math.isfinite(self.temperature) and self.temperature >= 0):
            raise ValueError(f"temperature must be >= 0, got {self.temperature}")
        if self.n_boot < 0:
            raise ValueError(f"n_boot must be >= 0, got {self.n_boot}")

    def game(self, family: str) -> dict[str, Any]:
        """Game config fields of a family."""
        if family == "p_beauty":
            return {"n_players": self.group_size, "p": self.p}
        if family == "dictator":
            return {"endowment": self.endowment}
        if family == "ultimatum":
            return {"pie": self.pie}
        if family == "bargaining":
            return {"pie": self.pie, "delta_a": self.delta, "delta_b": self.delta,
                    "horizon": self.bargaining_horizon}
        return {"seller_value": self.seller_value,
                "buyer_value": self.seller_value * self.buyer_ratio,
                "horizon": self.negotiation_horizon}


SMOKE = TournamentConfig(personas=8, rounds=1, group_size=4, bargaining_horizon=2,
                         negotiation_horizon=2, n_boot=20)
DEMO = TournamentConfig(personas=48, rounds=3, group_size=8, n_boot=100)
"""``agora demo``: about ten minutes on two CPU cores with the embedded model."""


def config_for(args: ExperimentArgs, base: TournamentConfig | None = None) -> TournamentConfig:
    """The config the flags select."""
    cfg = base or (SMOKE if args.smoke else TournamentConfig())
    return replace(cfg, personas=args.n) if args.n is not None else cfg


def main(argv: Sequence[str] | None = None) -> int:
    """Run the tournament; returns the exit status."""
    return experiment_main(NAME, __doc__.splitlines()[0], argv=argv, run=run,
                           n_help="personas in the population (default 64)")


# --------------------------------------------------------------------- running
def run(args: ExperimentArgs, cfg: TournamentConfig | None = None, *,
        prog: str | None = None) -> int:
    """Synthesize and validate the population, play every family, write tables and reports."""
    from tqdm.auto import tqdm

    cfg = cfg or config_for(args)
    agents = Agents(args)
    summary = Summary(name=NAME, args=args, prog=prog)
    args.out.mkdir(parents=True, exist_ok=True)
    personas = _population(summary, cfg, args)
    results: dict[str, tuple[pl.DataFrame, dict[str, Any]]] = {}
    bar = tqdm(total=len(cfg.families), desc="tournament", unit="game", disable=args.quiet)
    try:
        policy = agents.llm(temperature=cfg.temperature, max_tokens=cfg.max_tokens)
        for family in cfg.families:
            bar.set_postfix_str(family)
            start = time.perf_counter()
            view, manifest = _play(family, personas, policy, cfg, args)
            counts = parse_counts(view)
            if counts:
                summary.parse_status[family] = counts
            out = args.out / family
            summary.reports[family] = str(_report(view, manifest, out, cfg, args))
            results[family] = (view, manifest)
            summary.notes.append(f"{family}: {view.height} decisions in "
                                 f"{time.perf_counter() - start:.0f} s.")
            bar.update(1)
    finally:
        bar.close()
        agents.close()
    _benchmarks(summary, results, cfg, agents)
    _dynamics(summary, results)
    summary.notes.insert(0, agents.caveat(temperature=cfg.temperature))
    summary.notes.insert(1, f"Population: {cfg.personas} adult census personas on a {cfg.graph} "
                            f"graph (k = {cfg.k}, rewiring {cfg.p_rewire}), {cfg.matchmaker} "
                            f"matchmaking, {cfg.rounds} rounds per game family, neighbours' "
                            f"outcomes {'shown' if cfg.social_info else 'hidden'}.")
    summary.write()
    index = write_index(summary, args.out)
    print(f"index: {index}")
    return 0


def _population(summary: Summary, cfg: TournamentConfig, args: ExperimentArgs) -> pl.DataFrame:
    """Synthesize, validate and save the personas; add the validation table."""
    from populations import validate

    synthesis = adult_population(cfg.personas, seed=args.seed)
    report = validate(synthesis.personas, reference=synthesis)
    folder = args.out / "population"
    paths = report.save(folder)
    synthesis.personas.write_parquet(folder / "personas.parquet")
    summary.reports["population validation"] = str(paths["png"])
    t = report.table
    v = summary.table("Population validation against the weighted ACS microdata",
                      ["check", "checks", "passed", "largest error", "tolerance"])
    for (check,), part in t.group_by(["check"], maintain_order=True):
        worst = part.sort("error", descending=True, nulls_last=True).row(0, named=True)
        v.add(str(check), part.height, int(part["passed"].sum()),
              f"{fmt(worst['error'])} ({worst['variable']} {worst['statistic']})",
              worst["tolerance"])
    v.notes.append(f"{report.reference_description}. Overall: "
                   f"{'passed' if report.passed else 'FAILED'} ({int(t['passed'].sum())} of "
                   f"{t.height} checks). The tolerances are set for large populations; a few "
                   "dozen personas miss them by sampling noise alone (compare `agora population "
                   "--n 50000`); details in population/validation.json.")
    return synthesis.personas


def _play(family: str, personas: pl.DataFrame, policy: Any, cfg: TournamentConfig,
          args: ExperimentArgs) -> tuple[pl.DataFrame, dict[str, Any]]:
    """One family over all rounds; returns the analysis view of the records and the manifest."""
    import agora
    from populations import PopulationConfig, PopulationModel

    model = PopulationModel(personas, PopulationConfig(
        graph=cfg.graph, k=cfg.k, p_rewire=cfg.p_rewire,  # type: ignore[arg-type]
        matchmaker=cfg.matchmaker), seed=args.seed)  # type: ignore[arg-type]
    res = agora.run(family, policy=policy, population=model, rounds=cfg.rounds,
                    seed=args.seed, out=args.out / family, resume=args.resume,
                    progress=not args.quiet, social_info=cfg.social_info, **cfg.game(family))
    return analysis_view(res.records, personas, family), dict(res.manifest)


def analysis_view(records: pl.DataFrame, personas: pl.DataFrame, family: str) -> pl.DataFrame:
    """Records as the report reads them: instances unique across population rounds, p-beauty
    rounds counted over population rounds, subgroup persona fields joined."""
    stride = int(records["instance"].max()) + 1 if records.height else 1
    view = records.with_columns(
        pl.col("instance").alias("instance_in_round"),
        (pl.col("population_round") * stride + pl.col("instance")).cast(pl.Int32)
        .alias("instance"))
    if family == "p_beauty":
        per = int(records["round"].max()) + 1 if records.height else 1
        view = view.with_columns(
            pl.col("round").alias("round_in_game"),
            (pl.col("population_round") * per + pl.col("round")).cast(pl.Int32).alias("round"))
    extra = [c for c in SUBGROUP_FIELDS if c in personas.columns and c not in view.columns]
    if extra and "persona_id" in view.columns:
        view = view.join(personas.select("persona_id", *extra), on="persona_id", how="left")
    return view


def _report(view: pl.DataFrame, manifest: dict[str, Any], out: Path, cfg: TournamentConfig,
            args: ExperimentArgs) -> Path:
    from agora.engine.records import RunResult

    manifest = {**manifest, "run_id": f"{manifest.get('game')}-tournament",
                "n_instances": int(view["instance"].n_unique()) if view.height else 0}
    result = RunResult(records=view, manifest=manifest, out=out,
                       telemetry=manifest.get("telemetry", {}))
    with warnings.catch_warnings():  # unique instances per round leave some fits empty
        warnings.filterwarnings("ignore", message="Mean of empty slice")
        return write_run_report(result, n_boot=cfg.n_boot, seed=args.seed,
                                out=out / "report.html")


# --------------------------------------------------------------------- tables
def _first_last(view: pl.DataFrame, expr: pl.Expr, rng: np.random.Generator, n_boot: int,
                rows: pl.Expr | None = None) -> tuple[str, str]:
    frame = view if rows is None else view.filter(rows)
    if frame.height == 0:
        return "n/a", "n/a"
    lo, hi = frame["population_round"].min(), frame["population_round"].max()
    out = []
    for r in (lo, hi):
        x = frame.filter(pl.col("population_round") == r).select(expr).to_series()
        out.append(fmt_est(column_estimate(x, "x", n_boot=n_boot, rng=rng)))
    return out[0], out[1]


def _benchmarks(summary: Summary, results: dict[str, tuple[pl.DataFrame, dict[str, Any]]],
                cfg: TournamentConfig, agents: Agents) -> None:
    from agora.analysis import baselines as bl
    from agora.analysis.rationality import fit_cognitive_hierarchy

    rng = np.random.default_rng(0)
    t = summary.table(f"Population figures against benchmarks ({agents.label()})",
                      ["game", "measure", "first round [95% CI]", "last round [95% CI]",
                       "benchmark", "benchmark source"])
    nb = cfg.n_boot
    if "p_beauty" in results:
        v, _ = results["p_beauty"]
        b = bl.load_baseline(bl.default_baseline("p_beauty", {"p": cfg.p}) or "")
        first, last = _first_last(v, pl.col("action"), rng, nb)
        t.add("p-beauty", f"mean guess (p = {cfg.p:.3g})", first, last, b.mean,
              f"humans, {b.description}")
        from experiments.p_beauty_nagel import ch_tau_for_mean

        g0 = v.filter(pl.col("population_round") == 0)["action"].to_numpy().astype(float)
        try:
            tau = fmt_est(fit_cognitive_hierarchy(g0, p=cfg.p, n_boot=nb, rng=rng))
        except ValueError as exc:
            tau = f"n/a ({exc})"
        t.add("p-beauty", "CH τ (first round)", tau, "", ch_tau_for_mean(b.mean, p=cfg.p),
              "τ whose Poisson-CH mean equals the human mean")
        t.add("p-beauty", "mean guess", "", "", 0.0, "theory: Nash equilibrium")
    if "dictator" in results:
        v, _ = results["dictator"]
        b = bl.load_baseline("engel2011_dictator")
        share = pl.col("action") / cfg.endowment
        first, last = _first_last(v, share, rng, nb)
        t.add("dictator", "mean share given", first, last, b.mean, f"humans, {b.description}")
        first, last = _first_last(v, (pl.col("action") == 0).cast(pl.Float64), rng, nb)
        t.add("dictator", "share giving nothing", first, last, b.point_masses.get(0.0),
              f"humans, {b.description}")
        t.add("dictator", "mean share given", "", "", 0.0, "theory: selfish benchmark")
    if "ultimatum" in results:
        v, _ = results["ultimatum"]
        b = bl.load_baseline("oosterbeek2004_ultimatum")
        first, last = _first_last(v, pl.col("offer") / cfg.pie, rng, nb,
                                  rows=pl.col("role") == "proposer")
        t.add("ultimatum", "mean offer share", first, last, b.mean, f"humans, {b.description}")
        first, last = _first_last(v, 1.0 - pl.col("agreed"), rng, nb,
                                  rows=pl.col("agreed").is_not_null())
        t.add("ultimatum", "rejection rate", first, last, b.extra.get("rejection_rate"),
              f"humans, {b.description}")
        t.add("ultimatum", "offer share / rejection rate", "", "", "0 / 0",
              "theory: subgame perfection")
    if "bargaining" in results:
        from games.bargaining import theory
        from games.bargaining.config import BargainingConfig

        v, _ = results["bargaining"]
        bc = BargainingConfig(**cfg.game("bargaining"))
        spe = theory.spe_share_a(bc, True)
        done = pl.col("agreed").is_not_null()
        first, last = _first_last(v, pl.col("agreed"), rng, nb, rows=done)
        t.add("bargaining", "agreement rate", first, last, 1.0, "theory: SPE (agreement at once)")
        first, last = _first_last(v, pl.col("share_a"), rng, nb, rows=pl.col("agreed") == 1.0)
        t.add("bargaining", "first proposer's share", first, last, spe,
              f"theory: SPE with δ = {cfg.delta:g}, {cfg.bargaining_horizon} rounds")
        first, last = _first_last(v, pl.col("efficiency"), rng, nb, rows=done)
        t.add("bargaining", "GLEE efficiency", first, last, 1.0, "theory: SPE")
    if "negotiation" in results:
        from games.negotiation import theory as nt
        from games.negotiation.config import NegotiationConfig

        v, _ = results["negotiation"]
        nc = NegotiationConfig(**cfg.game("negotiation"))
        done = pl.col("agreed").is_not_null()
        first, last = _first_last(v, pl.col("agreed"), rng, nb, rows=done)
        t.add("negotiation", "trade rate", first, last, float(nt.efficient_trade(nc)),
              "theory: trade is efficient (F_b > F_a)")
        first, last = _first_last(v, pl.col("price"), rng, nb, rows=pl.col("agreed") == 1.0)
        t.add("negotiation", "deal price", first, last,
              f"{fmt(nt.spe_price(nc, True))} (SPE) / {fmt(nt.fair_price(nc))} (fair)",
              "theory: SPE, seller opens; GLEE fair price")
        first, last = _first_last(v, pl.col("fairness"), rng, nb, rows=done)
        t.add("negotiation", "GLEE fairness", first, last, 1.0, "GLEE: trade at the fair price")
    t.notes += ["First / last round: population rounds 1 and last; intervals are percentile "
                "bootstraps over decisions (or games).",
                "Human baselines are packaged in agora.analysis.baselines; theory from each "
                "game's theory module."]


def _dynamics(summary: Summary,
              results: dict[str, tuple[pl.DataFrame, dict[str, Any]]]) -> None:
    t = summary.table("Population rounds: players, mean action and payoff, payoff inequality",
                      ["game", "round", "personas playing", "mean action", "mean payoff",
                       "Gini of cumulative payoff"])
    for family, (_, manifest) in results.items():
        for m in manifest.get("population_metrics", []):
            t.add(family, int(m["round"]), int(m["players"]), m["mean_action"],
                  m["mean_payoff"], m["gini_cumulative_payoff"])
    t.notes.append("From the PopulationModel's data collector (mesa); the mean action mixes "
                   "roles in two-player games.")


# --------------------------------------------------------------------- index page
def _html_table(t: Table) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in t.header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>"
                   for r in t.rows)
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in t.notes)
    return (f"<table><caption>{html.escape(t.title)}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table>" + (f"<ul>{notes}</ul>" if notes else ""))


def write_index(summary: Summary, out: Path) -> Path:
    """``index.html``: every table plus links to the family reports and the validation."""
    links = "".join(
        f'<li><a href="{html.escape(_relative(Path(p), out))}">{html.escape(k)}</a></li>'
        for k, p in summary.reports.items())
    tables = list(summary.tables)
    pt = summary.parse_table()
    if pt is not None:
        tables.append(pt)
    notes = "".join(f"<p>{html.escape(n)}</p>" for n in summary.notes)
    page = (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>agora "
            f"census tournament</title><style>{_CSS}</style></head><body><h1>agora census "
            f"tournament</h1><p><code>{html.escape(summary.command())}</code></p>{notes}"
            f"<h2>Reports</h2><ul>{links}</ul><h2>Tables</h2>"
            + "".join(_html_table(t) for t in tables) + "</body></html>\n")
    path = out / "index.html"
    path.write_text(page)
    return path


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


_CSS = ("body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}"
        "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.25em "
        ".6em;font-size:.9em;text-align:left}caption{font-weight:600;text-align:left}")


if __name__ == "__main__":
    raise SystemExit(main())
