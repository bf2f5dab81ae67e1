"""Cross-model tournament: each model plays every game family on the same personas and seeds.

Contestants (``--models``, default the two embedded CPU models SmolLM2-135M-Instruct and Gemma
3 270M; with ``--backend vllm|openai`` any Hugging Face ids; ``--temperatures`` one value or
one per model) play nine families: the p-beauty contest (against Nagel 1995), the dictator game
(MobLab, Mei et al. 2024), the ultimatum game (MobLab proposers), two-round alternating-offer
bargaining, a one-shot prisoner's dilemma (Shafir & Tversky 1992), a one-shot traveler's
dilemma, the trust game (Berg et al. 1995 senders), a one-shot public goods game and
rock-paper-scissors (bargaining, the traveler's dilemma, public goods and RPS against their
equilibria only: agora packages no individual human data for them). Within a family every
contestant plays the same game instances: the same census persona in every seat and the same
game seed, so the contestants differ only in who decides.
The leaderboard ranks them by their distance to the human baselines (Wasserstein-1 where the
humans' individual choices exist, else the difference of means, all on [0, 1]), with their
distance to the games' equilibria (from each game's theory hooks), their answers' parse status
and their cost in tokens and backend seconds (see :mod:`experiments._model_comparison_scores`).

A mixed-seating variant seats every contestant in the same population (equal shares of the
seats, so models meet in one game): its records carry each decision's policy and model, and
its report (``agora report``) has a row per model.

    python -m experiments.model_comparison                   # smollm2-135m vs gemma3-270m
    python -m experiments.model_comparison --models smollm2-135m,smollm2-135m --temperatures 0,1
    python -m experiments.model_comparison --smoke
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import polars as pl

from experiments._cli import build_parser, parse_args, run_main
from experiments._common import ExperimentArgs, PersonaPool, Summary, fmt
from experiments._model_comparison_play import (
    DEFAULT_MODELS,
    FAMILIES,
    REFERENCES,
    Contestant,
    Seats,
    contestants,
    family,
    slug,
)
from experiments._model_comparison_scores import (
    PARSE_KINDS,
    RUN_COLUMNS,
    leaderboard,
    score_run,
)

NAME = "model_comparison"


@dataclass(frozen=True, kw_only=True)
class ComparisonConfig:
    """Settings of the comparison.

    Attributes:
        instances: Game instances per family and contestant (``--n``).
        families: Families played, in order.
        mixed_families: Families also played with every contestant in one population.
        group_size: Players per p-beauty group.
        p: p-beauty multiplier.
        rps_rounds: Rounds of rock-paper-scissors.
        max_tokens: Answer budget.
        n_boot: Bootstrap replicates of the run reports.
        references: Also play the scripted references (equilibrium, uniform random) on the
            same instances, as leaderboard rows to read the models' distances against.
    """

    instances: int = 24
    families: tuple[str, ...] = FAMILIES
    mixed_families: tuple[str, ...] = ("p_beauty", "trust")
    group_size: int = 4
    p: float = 2 / 3
    rps_rounds: int = 3
    max_tokens: int = 16
    n_boot: int = 200
    references: bool = True

    def __post_init__(self) -> None:
        for fams in (self.families, self.mixed_families):
            unknown = [f for f in fams if f not in FAMILIES]
            if unknown:
                raise ValueError(f"unknown families {unknown}; known: {', '.join(FAMILIES)}")
        if not self.families:
            raise ValueError("families must not be empty")
        for name in ("instances", "group_size", "rps_rounds"):
            v = getattr(self, name)
            if not isinstance(v, int) or v < (2 if name == "group_size" else 1):
                raise ValueError(f"{name} must be an integer >= "
                                 f"{2 if name == 'group_size' else 1}, got {v!r}")
        if not 0 < self.p < 1:
            raise ValueError(f"p must be in (0, 1), got {self.p}")

    def family(self, name: str) -> tuple[str, dict[str, Any], str | None]:
        """A family's game, game config and human baseline."""
        return family(name, group_size=self.group_size, p=self.p, rps_rounds=self.rps_rounds)


SMOKE = ComparisonConfig(instances=2, rps_rounds=1, mixed_families=("p_beauty",), n_boot=20)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the comparison; returns the exit status."""
    prog = f"python -m experiments.{NAME}"
    parser = build_parser(prog, __doc__.splitlines()[0],
                          n_help="game instances per family and model (default 24)")
    parser.add_argument("--models", default=None,
                        help="comma-separated models: names (smollm2-135m, gemma3-270m), .gguf "
                             "paths, or with --backend vllm|openai Hugging Face ids (default: "
                             f"{','.join(DEFAULT_MODELS)})")
    parser.add_argument("--temperatures", default="0.7",
                        help="sampling temperature, one for all models or one per model "
                             "(default 0.7)")

    def body() -> int:
        args, ns = parse_args(parser, argv, NAME)
        if ns.models is not None and args.model is not None:
            raise ValueError("pass --models (one or more models), not --model")
        models = (ns.models.split(",") if ns.models is not None else
                  [args.model] if args.model is not None else list(DEFAULT_MODELS))
        try:
            temps = [float(t) for t in ns.temperatures.split(",")]
        except ValueError:
            raise ValueError(f"--temperatures must be numbers, got {ns.temperatures!r}") from None
        field = contestants([m.strip() for m in models], temps,
                            scripted=args.agents == "scripted")
        return run(replace(args, model=None), field)

    return run_main(prog, body)


def config_for(args: ExperimentArgs) -> ComparisonConfig:
    """The config the flags select."""
    cfg = SMOKE if args.smoke else ComparisonConfig()
    return replace(cfg, instances=args.n) if args.n is not None else cfg


# --------------------------------------------------------------------- running
def run(args: ExperimentArgs, field: list[Contestant],
        cfg: ComparisonConfig | None = None) -> int:
    """Play every family with every contestant, then mixed; print and save the tables."""
    import agora
    from agora.engine.registry import make_config, make_kernel

    cfg = cfg or config_for(args)
    seated = [c for c in field if not c.scripted] or field  # the mixed populations
    if cfg.references:
        field = [*field, *(r for r in REFERENCES if r not in field)]
    summary = Summary(name=NAME, args=args)
    seats = Seats(args, cfg.max_tokens)
    games = {f: cfg.family(f) for f in cfg.families}
    players = {f: make_kernel(g, make_config(g, **gc), 1, _rng()).n_players
               for f, (g, gc, _) in games.items()}
    pool = PersonaPool.adults(sum(cfg.instances * n for n in players.values()), seed=args.seed)
    runs: list[dict[str, Any]] = []
    mixed: list[dict[str, Any]] = []
    try:
        for c in field:  # a model that cannot load fails before any game is played
            seats.backend(c)
        for i, (fam, (game, game_cfg, baseline)) in enumerate(games.items()):
            personas = pool.seat(cfg.instances, players[fam])  # every contestant: same seats

            def play(policy: Any, folder: str, game: str = game, game_cfg: dict = game_cfg,
                     personas: Any = personas, i: int = i) -> Any:
                return agora.run(game, policy=policy, n_instances=cfg.instances,
                                 seed=args.seed + i, out=args.out / folder,
                                 resume=args.resume, progress=not args.quiet,
                                 personas=personas, **game_cfg)

            for c in field:
                before = seats.busy_s(c)
                res = play(seats.policy(c), f"{fam}/{slug(c.label)}")
                seconds = (seats.busy_s(c) - before if seats.backend(c) is not None
                           else float(res.telemetry.get("policy_s", 0.0)))
                summary.record_run(f"{fam}: {c.label}", res)
                if not (c.scripted and c not in seated):  # references: `agora report DIR`
                    summary.add_report(f"{fam}: {c.label}", res, baseline=baseline,
                                       n_boot=cfg.n_boot)
                runs.append(score_run(res.records, family=fam, contestant=c.label, game=game,
                                      config=res.manifest["config"], baseline=baseline,
                                      seconds=seconds))
            if fam in cfg.mixed_families and len(seated) > 1:
                res = play([(seats.policy(c), 1 / len(seated)) for c in seated],
                           f"mixed/{fam}")
                summary.record_run(f"{fam}: mixed seating", res)
                summary.add_report(f"{fam}: mixed seating", res, baseline=baseline,
                                   n_boot=cfg.n_boot, always=True)
                for c in seated:
                    part = res.records.filter(pl.col("policy") == c.label)
                    mixed.append(score_run(part, family=fam, contestant=c.label, game=game,
                                           config=res.manifest["config"], baseline=baseline,
                                           seconds=math.nan))
        labels = {c.label: seats.model_name(c) for c in field}
    finally:
        seats.close()
    _tables(summary, pl.DataFrame(runs, schema=list(RUN_COLUMNS)), mixed, cfg, labels)
    summary.write()
    return 0


def _rng() -> Any:
    import numpy as np

    return np.random.default_rng(0)


def _tables(summary: Summary, runs: pl.DataFrame, mixed: list[dict[str, Any]],
            cfg: ComparisonConfig, labels: dict[str, str]) -> None:
    board = leaderboard(runs)
    t = summary.table("Leaderboard: distance to humans and to equilibrium (lower is closer), "
                      "parse status and cost", [
                          "rank", "contestant", "model", "decisions", "to humans",
                          "to equilibrium", "ok / repaired / fallback", "tokens in / out",
                          "backend s", "decisions/s"])
    for r in board.iter_rows(named=True):
        t.add(r["rank"], r["contestant"], r["model"], r["decisions"], r["human_distance"],
              r["equilibrium_distance"], _parse(r), f"{r['tokens_in']} / {r['tokens_out']}",
              fmt(r["seconds"]), r["decisions_per_s"])
    t.notes += [
        "to humans: mean over the families with a human baseline of the distance on [0, 1] "
        "(Wasserstein-1 of the first-round choices where individual human data exist, else "
        "|agent mean − human mean|; guesses divided by 100); to equilibrium: mean over every "
        "family of the distance from the game's equilibrium on [0, 1] (see the per-family "
        "table).",
        f"Every contestant played the same {cfg.instances} instances per family: the same "
        "census personas in the same seats and the same game seed.",
        "backend s: seconds the contestant's backend spent generating (its telemetry); a "
        "scripted contestant's: seconds in its act calls.",
        "scripted: equilibrium / uniform random: reference play on the same instances (the "
        "equilibrium is at distance 0 from itself except by sampling its mixture in "
        "rock-paper-scissors; random play shows how far chance alone lands). With few "
        "decisions per family a distance carries sampling noise of its own.",
    ]
    d = summary.table("Per family", [
        "family", "contestant", "decisions", "human baseline", "to humans (metric)",
        "Turing", "to equilibrium", "ok / repaired / fallback", "tokens in / out",
        "backend s"])
    for r in runs.iter_rows(named=True):
        d.add(r["family"], r["contestant"], r["decisions"], r["baseline"] or "none",
              f"{fmt(r['human_distance'])} ({r['human_metric']})" if r["baseline"] else "n/a",
              r["turing"], r["equilibrium_distance"], _parse(r),
              f"{r['tokens_in']} / {r['tokens_out']}", fmt(r["seconds"]))
    d.notes += [
        "Turing: Mei et al.'s (2024) Turing-test statistic against individual human choices "
        "(0.5: indistinguishable from the humans); n/a for summary-only baselines.",
        "to equilibrium: p-beauty, dictator, prisoner's dilemma, traveler's dilemma, trust and "
        "public goods: mean |action − nearest equilibrium action| of the first mover over its "
        "action range (theory benchmark); ultimatum and bargaining: half the L1 distance of "
        "each game's split of the pie from the subgame-perfect split (½ for a breakdown); "
        "rock-paper-scissors: total variation "
        "between the move frequencies and the uniform equilibrium mixture.",
    ]
    if mixed:
        m = summary.table("Mixed seating: every contestant in one population (equal shares of "
                          "the seats)", ["family", "contestant", "model recorded",
                                         "decisions", "to humans", "to equilibrium",
                                         "ok / repaired / fallback", "tokens in / out"])
        for r in mixed:
            m.add(r["family"], r["contestant"], r["model"], r["decisions"],
                  r["human_distance"], r["equilibrium_distance"], _parse(r),
                  f"{r['tokens_in']} / {r['tokens_out']}")
        m.notes.append("model recorded: the model column of the contestant's decisions in the "
                       "shared run (each decision records the model that made it).")
    who = ", ".join(k if v == "(scripted)" else f"{k} ({v})" for k, v in labels.items())
    summary.notes.insert(0, f"Contestants: {who}.")
    small = [v for v in labels.values() if any(s in v.lower() for s in ("135m", "270m"))]
    if small:
        summary.notes.insert(1, f"{' and '.join(small)}: small smoke-test models; their "
                                "numbers exercise the pipeline and are not a claim about what "
                                "LLMs do.")


def _parse(r: dict[str, Any]) -> str:
    return " / ".join(str(int(r[k])) for k in PARSE_KINDS)


if __name__ == "__main__":
    raise SystemExit(main())
