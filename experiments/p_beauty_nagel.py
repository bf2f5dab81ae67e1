"""Nagel (1995) guessing games: persona agents guess p × mean for p ∈ {1/2, 2/3, 4/3}.

Groups of ~16 census personas play 4 rounds with feedback, as Nagel's sessions did. For each p
the table sets the agents next to Nagel's subjects (first-round mean and median, last-round mean
from the by-period session means, a Poisson cognitive-hierarchy τ that reproduces the human
mean) and next to scripted reference populations (Poisson-CH with τ = 1.5, an equal level-0..3
mix, and the equilibrium). Agents' level-k shares use Nagel's neighbourhoods; their τ is the
maximum-likelihood fit of :func:`agora.analysis.rationality.fit_cognitive_hierarchy` with a
bootstrap interval. Human figures come from :mod:`agora.analysis.baselines`. A second table
sets τ by both methods (the likelihood, and Camerer, Ho & Chong's (2004) mean matching with its
90 % interval; humans: mean matching only, the packaged data being summaries) next to the rows
of CHC's Table II for the same treatment (``tests/data/chc2004_table2.csv``).

    python -m experiments.p_beauty_nagel --n 3          # 3 groups of 16 per p
    python -m experiments.p_beauty_nagel --smoke
"""

from __future__ import annotations

import contextlib
import csv
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from experiments._common import (
    Agents,
    ExperimentArgs,
    PersonaPool,
    Summary,
    experiment_main,
    fmt,
    fmt_est,
    fmt_share,
    short_citation,
)
from experiments._tables import Table

if TYPE_CHECKING:
    from agora.analysis.estimate import Estimate

NAME = "p_beauty_nagel"


@dataclass(frozen=True, kw_only=True)
class NagelConfig:
    """Settings of the Nagel replication.

    Attributes:
        ps: Target multipliers p (Nagel: 1/2, 2/3, 4/3).
        group_size: Players per group (Nagel's sessions had 14-18).
        groups: LLM groups per p (``--n``).
        rounds: Rounds with feedback (Nagel's first 4 periods).
        temperature: LLM sampling temperature (agents differ by persona and sampling).
        max_tokens: Answer budget of the constrained JSON answer.
        ch_tau: τ of the scripted Poisson cognitive-hierarchy population.
        level_k: Levels of the scripted level-k population (equal shares).
        scripted_groups: Groups per p of each scripted population.
        n_boot: Bootstrap replicates of every interval.
        chc_rows: Rows of Camerer, Ho & Chong's (2004) Table II that match a treatment, by p
            (Nagel's 1995 p = 2/3 German students, row 14; Nagel's p = 1/2 sessions, row 18).
    """

    ps: tuple[float, ...] = (1 / 2, 2 / 3, 4 / 3)
    group_size: int = 16
    groups: int = 3
    rounds: int = 4
    temperature: float = 0.7
    max_tokens: int = 16
    ch_tau: float = 1.5
    level_k: tuple[int, ...] = (0, 1, 2, 3)
    scripted_groups: int = 50
    n_boot: int = 200
    chc_rows: tuple[tuple[str, int], ...] = (("1/2", 18), ("2/3", 14))

    def __post_init__(self) -> None:
        if not self.ps or any(not (math.isfinite(p) and p > 0 and p != 1) for p in self.ps):
            raise ValueError(f"ps must be positive numbers other than 1, got {self.ps}")
        for name in ("group_size", "groups", "rounds", "scripted_groups"):
            v = getattr(self, name)
            if not isinstance(v, int) or v < (2 if name == "group_size" else 1):
                raise ValueError(f"{name} must be an integer >= "
                                 f"{2 if name == 'group_size' else 1}, got {v!r}")
        if not (math.isfinite(self.temperature) and self.temperature >= 0):
            raise ValueError(f"temperature must be >= 0, got {self.temperature}")
        if not self.ch_tau > 0:
            raise ValueError(f"ch_tau must be > 0, got {self.ch_tau}")
        if not self.level_k or any(k < 0 for k in self.level_k):
            raise ValueError(f"level_k must list levels >= 0, got {self.level_k}")
        if self.n_boot < 0:
            raise ValueError(f"n_boot must be >= 0, got {self.n_boot}")


SMOKE = NagelConfig(group_size=3, groups=1, rounds=2, scripted_groups=4, n_boot=20)


def p_label(p: float) -> str:
    """``2/3`` for 0.666…"""
    f = Fraction(p).limit_denominator(12)
    return str(f) if abs(float(f) - p) < 1e-9 else f"{p:g}"


CHC_TABLE = Path(__file__).resolve().parents[1] / "tests" / "data" / "chc2004_table2.csv"
"""Camerer, Ho & Chong (2004), Table II: the rows a p-beauty CH model can express."""
CHC = "Camerer, Ho & Chong (2004), Table II"


def chc_row(p: float, rows: Sequence[tuple[str, int]],
            path: Path = CHC_TABLE) -> dict[str, str] | None:
    """The Table II row configured for ``p`` (``None`` when none is, or the table is absent).

    Raises:
        ValueError: the configured row is not in the table or is for another p or range.
    """
    wanted = dict(rows).get(p_label(p))
    if wanted is None or not path.is_file():
        return None
    lines = [ln for ln in path.read_text().splitlines() if ln and not ln.startswith("#")]
    for r in csv.DictReader(lines):
        if int(r["row"]) == wanted:
            if (abs(float(Fraction(r["p"])) - p) > 1e-9
                    or (float(r["lower"]), float(r["upper"])) != (0.0, 100.0)):
                raise ValueError(f"{CHC} row {wanted} is for p = {r['p']} on "
                                 f"[{r['lower']}, {r['upper']}], not p = {p_label(p)} on [0, 100]")
            return r
    raise ValueError(f"{CHC} has no row {wanted} in {path}")


@dataclass(frozen=True, kw_only=True)
class Row:
    """One population's figures for one p."""

    source: str
    n: int
    r1_mean: float
    r1_median: float
    last_mean: float
    steps: dict[str, float] | None
    tau: str
    by_round: list[float]
    tau_likelihood: Estimate | None = None
    tau_moment: Estimate | None = None


def population_row(source: str, records: pl.DataFrame, *, p: float, rounds: int, n_boot: int,
                   rng: np.random.Generator) -> Row:
    """First-round and last-round figures, Nagel level-k shares and the CH τ fit."""
    from agora.analysis.rationality import fit_cognitive_hierarchy, level_k_shares

    first = records.filter(pl.col("round") == 0)["action"].to_numpy().astype(np.float64)
    means = (records.group_by("round").agg(pl.col("action").mean()).sort("round")["action"]
             .to_list())
    lik = mom = None
    try:
        lik = fit_cognitive_hierarchy(first, p=p, n_boot=n_boot, rng=rng)
        tau = fmt_est(lik)
    except ValueError as exc:
        tau = f"n/a ({exc})"
    with contextlib.suppress(ValueError):  # only for p = 1 or no guesses: shown as n/a
        mom = fit_cognitive_hierarchy(first, p=p, n_boot=n_boot, rng=rng, method="moment")
    return Row(source=source, n=int(first.size), r1_mean=float(first.mean()),
               r1_median=float(np.median(first)), last_mean=float(means[-1]),
               steps=level_k_shares(first, p), tau=tau, by_round=[float(m) for m in means],
               tau_likelihood=lik, tau_moment=mom)


def human_row(p: float, rounds: int) -> tuple[Row, str]:
    """Nagel's subjects for the packaged baseline closest to ``p``."""
    from agora.analysis.baselines import default_baseline, load_baseline
    from agora.analysis.estimate import Estimate
    from agora.analysis.rationality import ch_tau_for_mean

    name = default_baseline("p_beauty", {"p": p})
    if name is None:
        raise ValueError("no packaged Nagel (1995) baseline")
    b = load_baseline(name)
    by_round = ([b.mean] if b.by_round is None  # first-period summary only
                else b.by_round.filter(pl.col("round") < rounds)["mean"].to_list())
    last = by_round[rounds - 1] if len(by_round) >= rounds else math.nan
    tau = ch_tau_for_mean(b.mean, p=b.params["p"])
    at_bound = tau <= 0.0 or tau >= 30.0
    return Row(source=f"humans: {short_citation(b.citation)}",
               n=b.n, r1_mean=b.mean, r1_median=b.median, last_mean=last, steps=None,
               tau=f"{fmt(tau)}{' (at its bound)' if at_bound else ''} (matches the mean)",
               by_round=by_round, tau_moment=Estimate(
                   value=tau, ci_low=math.nan, ci_high=math.nan, n=b.n, name="tau",
                   method="CH mean matching (CHC 2004) of the reported mean", level=0.90,
                   at_bound=at_bound)), b.name


def main(argv: Sequence[str] | None = None) -> int:
    """Run the experiment; returns the exit status."""
    return experiment_main(NAME, __doc__.splitlines()[0], argv=argv, run=run,
                           n_help="LLM groups per p (default 3; 16 agents each)")


def config_for(args: ExperimentArgs) -> NagelConfig:
    """The config the flags select."""
    cfg = SMOKE if args.smoke else NagelConfig()
    return replace(cfg, groups=args.n) if args.n is not None else cfg


def run(args: ExperimentArgs, cfg: NagelConfig | None = None) -> int:
    """Play every p with LLM personas and scripted references; print and save the tables."""
    import agora
    from agora.analysis.equilibria import benchmark
    from agora.policies import CognitiveHierarchyPolicy, LevelKPolicy

    cfg = cfg or config_for(args)
    agents = Agents(args)
    summary = Summary(name=NAME, args=args)
    rng = np.random.default_rng(args.seed)
    seats = cfg.groups * cfg.group_size
    pool = PersonaPool.adults(seats * len(cfg.ps), seed=args.seed)
    header = ["p", "population", "n", "round-1 mean", "round-1 median",
              f"round-{cfg.rounds} mean", "steps 0 / 1 / 2 / 3 (Nagel)", "CH τ [95% CI]"]
    table = summary.table(f"p-beauty contests, groups of {cfg.group_size}, {cfg.rounds} rounds:"
                          " agents vs Nagel (1995) and scripted references", header)
    trend = summary.table("Mean guess by round", ["p", "population",
                                                  *[f"round {r + 1}" for r in
                                                    range(cfg.rounds)]])
    taus = summary.table(
        f"Cognitive-hierarchy τ of round-1 guesses by both methods, next to {CHC}",
        ["p", "population", "n", "round-1 mean", "τ likelihood [95% CI]",
         "equilibrium-spike share", "τ mean matching [90% CI]", "CH mean at that τ"])
    try:
        for p in cfg.ps:
            label, tag = p_label(p), p_label(p).replace("/", "_")
            game = {"n_players": cfg.group_size, "p": p, "rounds": cfg.rounds}
            human, baseline = human_row(p, cfg.rounds)
            personas = pool.seat(cfg.groups, cfg.group_size)
            llm = agora.run("p_beauty", policy=agents.llm(
                temperature=cfg.temperature, max_tokens=cfg.max_tokens,
                stand_in=CognitiveHierarchyPolicy(cfg.ch_tau)),
                n_instances=cfg.groups, seed=args.seed, out=args.out / f"p{tag}" / "agents",
                resume=args.resume, progress=not args.quiet, personas=personas, **game)
            summary.record_run(f"p = {label}", llm)
            summary.add_report(f"p = {label}", llm, baseline=baseline, n_boot=cfg.n_boot)
            scripted = {
                ("scripted_ch", f"scripted CH τ = {cfg.ch_tau:g}"):
                    CognitiveHierarchyPolicy(cfg.ch_tau),
                ("scripted_level_k", "scripted level-k mix " + "/".join(map(str, cfg.level_k))):
                    [(LevelKPolicy(k), 1.0 / len(cfg.level_k)) for k in cfg.level_k],
            }
            rows = [human, population_row(f"agents: {agents.label()} personas", llm.records,
                                          p=p, rounds=cfg.rounds, n_boot=cfg.n_boot, rng=rng)]
            for j, ((folder, name), policy) in enumerate(scripted.items()):
                res = agora.run("p_beauty", policy=policy, n_instances=cfg.scripted_groups,
                                seed=args.seed + j + 1, out=args.out / f"p{tag}" / folder,
                                resume=args.resume, progress=False, **game)
                rows.append(population_row(name, res.records, p=p, rounds=cfg.rounds,
                                           n_boot=cfg.n_boot, rng=rng))
            for r in rows:
                steps = ("n/a (summary data only)" if r.steps is None else " / ".join(
                    fmt_share(r.steps[f"step_{k}"]) for k in range(4)))
                table.add(label, r.source, r.n, r.r1_mean, r.r1_median, r.last_mean, steps,
                          r.tau)
                trend.add(label, r.source, *[r.by_round[k] if k < len(r.by_round) else math.nan
                                             for k in range(cfg.rounds)])
                _tau_row(taus, label, p, r)
            _chc_row(taus, label, p, cfg)
            b = benchmark("p_beauty", {"p": p, "n_players": cfg.group_size})
            eq = ", ".join(fmt(x) for x in b.equilibria) or fmt(b.equilibrium_action)
            table.add(label, "theory: Nash equilibrium (symmetric)", "", eq, eq, eq, "", "")
    finally:
        agents.close()
    _notes(summary, agents, cfg)
    summary.write()
    return 0


def _tau_row(t: Table, label: str, p: float, r: Row) -> None:
    from agora.analysis.rationality import ch_predicted_mean

    lik, mom = r.tau_likelihood, r.tau_moment
    spike = "n/a"
    if lik is not None and "spike_share" in lik.extra:
        spike = (f"{fmt_share(lik.extra['spike_share'])} "
                 f"[{fmt_share(lik.extra['spike_share_ci_low'])}, "
                 f"{fmt_share(lik.extra['spike_share_ci_high'])}]")
    fitted = (math.nan if mom is None or not math.isfinite(mom.value) else
              mom.extra.get("predicted_mean", ch_predicted_mean(mom.value, p=p)))
    sigma_flag = "; noise σ at its bound" if lik is not None and lik.extra.get(
        "sigma_at_bound") else ""
    t.add(label, r.source, r.n, r.r1_mean,
          "n/a (summary data only)" if r.steps is None else
          (fmt_est(lik) + sigma_flag if lik is not None else r.tau),
          "n/a" if r.steps is None else spike,
          "n/a" if mom is None else fmt_est(mom) + (" (reported mean; no CI)"
                                                    if r.steps is None else ""), fitted)


def _chc_row(t: Table, label: str, p: float, cfg: NagelConfig) -> None:
    row = chc_row(p, cfg.chc_rows)
    if row is None:
        return
    t.add(label, f"humans: {CHC} row {row['row']}: {row['pool']}, {row['source']}",
          int(row["sample_size"]), float(row["data_mean"]), "n/a (not in CHC)", "n/a",
          "{} [{}, {}]".format(*(fmt(float(row[k])) for k in ("tau", "ci90_low", "ci90_high"))),
          float(row["fit_mean"]))


def _notes(summary: Summary, agents: Agents, cfg: NagelConfig) -> None:
    table = summary.tables[0]
    table.notes += [
        "Human rows: packaged Nagel (1995) baselines; last-round mean = mean of the session "
        "means of that period (none packaged for p = 4/3); CH τ for humans is the τ whose "
        "Poisson-CH mean equals the reported first-round mean (a moment fit, no individual "
        "data).",
        "Agent rows: first-round guesses; τ by maximum likelihood with a percentile bootstrap.",
    ]
    taus = summary.tables[2]
    taus.notes += [
        "τ likelihood: Poisson-CH maximum likelihood with proportional step noise and an "
        "equilibrium spike (agora.analysis.rationality.fit_cognitive_hierarchy; the spike share "
        "is the share of guesses the model puts at the equilibrium, τ describes the others).",
        "τ mean matching: Camerer, Ho & Chong's (2004) own estimator, the τ whose noise-free CH "
        "mean (whole-number best responses when every guess is whole) equals the round-1 mean, "
        "with a 90% percentile bootstrap interval as in their Table II "
        "(agora.analysis.rationality.fit_ch_moment); 'CH mean at that τ' is that model mean.",
        "Humans (Nagel 1995, packaged summaries): mean matching of the reported mean only (no "
        "individual guesses, so no likelihood and no interval). CHC rows: Table II as printed "
        f"({CHC_TABLE.relative_to(CHC_TABLE.parents[2])}; their τ, 90% interval and fitted "
        "mean); CHC use 26.7 for Nagel's p = 1/2 sessions where the packaged baseline has its "
        "own first-period mean. No Table II row matches p = 4/3.",
        "'(at its bound)': the fit ended at the end of its search range; the interval is open "
        "on that side and the value is not an interior estimate.",
    ]
    summary.notes.append(agents.caveat(temperature=cfg.temperature))


if __name__ == "__main__":
    raise SystemExit(main())
