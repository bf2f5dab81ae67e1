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

import math
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import polars as pl

from experiments._common import (
    SUBGROUP_FIELDS,
    Agents,
    ExperimentArgs,
    Summary,
    adult_population,
    experiment_main,
    fmt,
    parse_counts,
    write_run_report,
)
from experiments._tournament_report import benchmark_table, dynamics_table, write_index

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
    benchmark_table(summary, results, cfg, agents)
    dynamics_table(summary, results)
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


if __name__ == "__main__":
    raise SystemExit(main())
