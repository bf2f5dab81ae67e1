"""Public goods with and without punishment, and conditional-contribution types (FG 2000, FGF 2001).

Agents play the linear public goods game of Fehr & Gächter (2000): groups of 4, 20 tokens, MPCR
0.4, several rounds. Treatments: partner matching (fixed groups), stranger matching (regrouped
every round within an instance of two groups), a higher MPCR (0.75) and partner matching with a
punishment stage (0-10 points per member, the oTree / Fehr-Gächter cost schedule, each point
cutting the target's income by the config's ``punishment_cut``). The first table gives the mean
contribution by round (share of the endowment, bootstrap CI over instances) next to the
selfish subgame-perfect benchmark (0) and the efficient one (1) from the game's theory module;
the second compares treatments with the directions of Zelmer's (2003) meta-analysis (partner
matching and a higher MPCR raise contributions) and the qualitative decay with repetition
(Ledyard 1995); the third classifies strategy-method contribution tables (Fischbacher, Gächter
& Fehr 2001) into conditional cooperators, free riders, hump-shaped and others with
:mod:`agora.analysis.contributions`. Human shares and levels are not printed: classic_games.md
marks those numbers as recalled, not read.

    python -m experiments.public_goods_fg --n 40     # 40 instances (sessions) per treatment
    python -m experiments.public_goods_fg --smoke
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import polars as pl

from experiments._common import Agents, ExperimentArgs, Summary, experiment_main, fmt, fmt_share

NAME = "public_goods_fg"
FG = {"group_size": 4, "endowment": 20, "mpcr": 0.4}
"""Fehr & Gächter (2000)'s group size, endowment and MPCR (classic_games.md §4a)."""


@dataclass(frozen=True, kw_only=True)
class PGConfig:
    """Settings of the experiment.

    Attributes:
        instances: Sessions per treatment (``--n``); each holds ``groups`` groups of 4.
        rounds: Rounds of the repeated treatments.
        groups: Groups per session (stranger matching regroups within the session).
        high_mpcr: MPCR of the high-MPCR treatment.
        subjects: Strategy-method sessions (of one group each).
        temperature: LLM sampling temperature.
        max_tokens: Answer budget (the strategy-method table needs about 22 numbers).
        n_boot: Bootstrap replicates.
    """

    instances: int = 30
    rounds: int = 10
    groups: int = 2
    high_mpcr: float = 0.75
    subjects: int = 30
    temperature: float = 0.7
    max_tokens: int = 160
    n_boot: int = 500

    def __post_init__(self) -> None:
        for f in ("instances", "rounds", "groups", "subjects"):
            v = getattr(self, f)
            if isinstance(v, bool) or not isinstance(v, int) or v < (2 if f != "rounds" else 1):
                raise ValueError(f"{f} must be an integer >= {2 if f != 'rounds' else 1}, "
                                 f"got {v!r}")
        if not 0 < self.high_mpcr < 1:
            raise ValueError(f"high_mpcr must be in (0, 1), got {self.high_mpcr}")

    def treatments(self) -> dict[str, dict[str, Any]]:
        """Game configs by treatment label."""
        base = {**FG, "rounds": self.rounds, "groups": self.groups}
        return {"partner": {**base},
                "stranger": {**base, "matching": "stranger"},
                f"partner, MPCR {self.high_mpcr:g}": {**base, "mpcr": self.high_mpcr},
                "partner, punishment": {**base, "punishment": True}}


SMOKE = PGConfig(instances=3, rounds=3, subjects=3, n_boot=50)


def config_for(args: ExperimentArgs) -> PGConfig:
    """The config the flags select."""
    cfg = SMOKE if args.smoke else PGConfig()
    return replace(cfg, instances=args.n, subjects=args.n) if args.n is not None else cfg


def main(argv: Sequence[str] | None = None) -> int:
    """Run the experiment; returns the exit status."""
    return experiment_main(NAME, __doc__.splitlines()[0], argv=argv, run=run,
                           n_help="sessions per treatment (default 30)")


def _stand_ins() -> list[tuple[Any, float]]:
    """Scripted stand-ins (``--agents scripted``): a mix of the game's scripted types."""
    from agora.policies import make_policy

    return [(make_policy("pg_conditional", slope=0.8, first=0.5), 0.5),
            (make_policy("pg_free_rider"), 0.25), (make_policy("pg_hump"), 0.125),
            (make_policy("pg_punisher"), 0.125)]


def _players(agents: Agents, cfg: PGConfig) -> Any:
    if agents.is_llm:
        return agents.llm(temperature=cfg.temperature, max_tokens=cfg.max_tokens)
    return _stand_ins()


def _instance_means(records: pl.DataFrame, endowment: float) -> np.ndarray:
    """Mean contribution share of each instance (contribution decisions only)."""
    frame = records.filter(pl.col("stage") == 0.0).group_by("instance").agg(
        pl.col("action").mean())
    return frame["action"].to_numpy().astype(np.float64) / endowment


def _diff_ci(a: np.ndarray, b: np.ndarray, n_boot: int,
             rng: np.random.Generator) -> tuple[float, float, float]:
    boot = np.array([rng.choice(a, a.size).mean() - rng.choice(b, b.size).mean()
                     for _ in range(n_boot)])
    lo, hi = np.quantile(boot, [0.025, 0.975])
    return float(a.mean() - b.mean()), float(lo), float(hi)


def run(args: ExperimentArgs, cfg: PGConfig | None = None) -> int:
    """Play every treatment and the strategy method; print the comparison tables."""
    import agora
    from agora.analysis.contributions import (
        contribution_by_round,
        profile_summary,
        profiles_from_records,
    )
    from agora.analysis.equilibria import benchmark

    cfg = cfg or config_for(args)
    agents = Agents(args)
    summary = Summary(name=NAME, args=args)
    rng = np.random.default_rng(args.seed)
    e = float(FG["endowment"])
    header = ["population", "treatment", *(f"round {r + 1}" for r in range(cfg.rounds)),
              "last - first"]
    by_round = summary.table("Mean contribution by round (share of the endowment, 95% CI "
                             "over sessions)", header)
    means: dict[str, np.ndarray] = {}
    strategy: pl.DataFrame | None = None
    try:
        for i, (label, game) in enumerate(cfg.treatments().items()):
            res = agora.run("public_goods", policy=_players(agents, cfg),
                            n_instances=cfg.instances, seed=args.seed + i,
                            out=args.out / label.replace(", ", "_").replace(" ", "_"),
                            resume=args.resume, progress=not args.quiet, **game)
            summary.record_run(label, res)
            summary.add_report(label, res, n_boot=cfg.n_boot)
            table = contribution_by_round(res.records, where={"stage": 0.0}, endowment=e,
                                          n_boot=cfg.n_boot, rng=rng)
            cells = [f"{r['mean']:.2f} [{r['ci_low']:.2f}, {r['ci_high']:.2f}]"
                     for r in table.iter_rows(named=True)]
            m = table["mean"].to_list()
            by_round.add(f"agents: {agents.label()}", label, *cells, f"{m[-1] - m[0]:+.2f}")
            means[label] = _instance_means(res.records, e)
            eq = benchmark("public_goods", game).equilibrium_action / e
            by_round.add("theory: selfish subgame-perfect", label, *([fmt(eq)] * cfg.rounds),
                         "0")
        by_round.add("theory: efficient (n MPCR > 1)", "all", *(["1"] * cfg.rounds), "0")
        by_round.add("humans (qualitative)", "repeated, no punishment",
                     *(["decline"] * cfg.rounds), "< 0")
        sm = {**FG, "strategy_method": True, "rounds": 1}
        res = agora.run("public_goods", policy=_players(agents, cfg), n_instances=cfg.subjects,
                        seed=args.seed + 99, out=args.out / "strategy_method",
                        resume=args.resume, progress=not args.quiet, **sm)
        summary.record_run("strategy method", res)
        summary.add_report("strategy method", res, n_boot=cfg.n_boot)
        strategy = res.records
    finally:
        agents.close()
    by_round.notes += [
        "Humans: contributions start well above the selfish benchmark and decline with "
        "repetition (Ledyard 1995 survey; qualitative only: the levels in classic_games.md "
        "§4c are marked recalled). Fehr & Gächter (2000)'s punishment effect is not shown "
        "for the same reason.",
        "Theory: with MPCR < 1 contributing 0 is dominant; with punishment, selfish players "
        "never punish (costly, no gain), so subgame-perfect contributions stay 0.",
    ]
    _factors(summary, means, cfg, rng)
    _types(summary, strategy, agents, profile_summary, profiles_from_records)
    summary.notes.append(agents.caveat(temperature=cfg.temperature))
    summary.write()
    return 0


def _factors(summary: Summary, means: dict[str, np.ndarray], cfg: PGConfig,
             rng: np.random.Generator) -> None:
    t = summary.table("Treatment effects against Zelmer's (2003) meta-analysis",
                      ["factor", "humans (Zelmer 2003)", "agents: difference in mean share "
                       "[95% CI]", "same direction"])
    pairs = [("partner vs stranger matching", "partner", "stranger", "raises contributions"),
             (f"MPCR {cfg.high_mpcr:g} vs 0.4", f"partner, MPCR {cfg.high_mpcr:g}", "partner",
              "raises contributions"),
             ("punishment vs none (partner)", "partner, punishment", "partner",
              "not in Zelmer's factors")]
    for factor, a, b, human in pairs:
        d, lo, hi = _diff_ci(means[a], means[b], cfg.n_boot, rng)
        same = ("n/a" if "not in" in human else "yes" if lo > 0 else "no" if hi < 0
                else "undecided")
        t.add(factor, human, f"{d:+.3f} [{lo:+.3f}, {hi:+.3f}]", same)
    t.notes.append("Zelmer (2003, Exp. Econ. 6:299-310; 27 studies): MPCR, communication, "
                   "partner matching, positive framing and children as subjects raise "
                   "contributions (p < 0.05), as read from the abstract (classic_games.md §4c).")


def _types(summary: Summary, records: pl.DataFrame | None, agents: Agents, profile_summary: Any,
           profiles_from_records: Any) -> None:
    t = summary.table("Conditional-contribution types (strategy method, n = 4, e = 20, "
                      "MPCR 0.4)", ["population", "subjects", "conditional cooperator",
                                    "free rider", "hump-shaped", "other"])
    if records is not None:
        s = profile_summary(profiles_from_records(records))
        shares = dict(zip(s["type"], s["share"], strict=True))
        t.add(f"agents: {agents.label()}", int(s["subjects"].sum()),
              *(fmt_share(shares.get(k, 0.0)) for k in ("conditional cooperator", "free rider",
                                                         "hump-shaped", "other")))
    t.add("theory: selfish", "", "0.0%", "100.0%", "0.0%", "0.0%")
    t.add("humans: Fischbacher, Gächter & Fehr (2001)", "", "n/a", "n/a", "n/a", "n/a")
    t.notes += [
        "Types by the rules of agora.analysis.contributions (free rider: all zeros; "
        "hump-shaped: interior peak, weakly up then down; conditional cooperator: weakly "
        "increasing or Spearman rho > 0 at p < 0.01; other).",
        "Human type shares are not printed: classic_games.md §4c marks FGF's shares as "
        "recalled, not read in the paper.",
    ]


if __name__ == "__main__":
    raise SystemExit(main())
