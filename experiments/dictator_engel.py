"""Dictator games with census personas, give and take variants, against Engel (2011).

Each persona decides once as the dictator. Three variants: ``give`` (the recipient has nothing,
Engel's and Forsythe et al.'s standard game), ``give, recipient endowed`` (the recipient holds
some money) and ``take`` (same endowments, the dictator may also take; List 2007). The table sets
the mean share given and the shares giving nothing, half and everything next to Engel's
meta-analysis and Forsythe et al. (1994), with the selfish benchmark from the game's theory
module; a second table breaks giving down by persona subgroup (sex, age band, education, race).
A human-likeness table scores the give-variant agents (all and by persona subgroup) and scripted
references against the individual MobLab dictator decisions of Mei et al. (2024):
Wasserstein-1, Kolmogorov-Smirnov, total variation and Mei et al.'s Turing-test statistic
(:mod:`agora.analysis.fidelity`).

    python -m experiments.dictator_engel --n 120        # 120 dictators per variant
    python -m experiments.dictator_engel --smoke
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import polars as pl

from experiments._common import (
    Agents,
    ExperimentArgs,
    PersonaPool,
    Summary,
    column_estimate,
    experiment_main,
    fmt,
    fmt_est,
    fmt_share,
    short_citation,
)
from experiments._tables import FIDELITY_COLUMNS, add_fidelity_rows, fidelity_cells

NAME = "dictator_engel"


@dataclass(frozen=True, kw_only=True)
class EngelConfig:
    """Settings of the dictator experiment.

    Attributes:
        dictators: Dictators (games) per variant (``--n``).
        endowment: Dictator's endowment.
        endowed_recipient: Recipient's endowment in the endowed and take variants.
        take_bound: Most the dictator may take in the take variant (<= endowed_recipient).
        temperature: LLM sampling temperature.
        max_tokens: Answer budget.
        baseline: Main human baseline (packaged name).
        secondary_baseline: A lab baseline with individual offers (packaged name).
        fidelity_baseline: Baseline with individual decisions of the human-likeness table.
        reference_dictators: Dictators of each scripted reference population.
        min_group: Smallest persona subgroup scored in the human-likeness table.
        subgroups: Persona columns of the subgroup table (those present are used).
        n_boot: Bootstrap replicates.
    """

    dictators: int = 60
    endowment: float = 10.0
    endowed_recipient: float = 5.0
    take_bound: float = 5.0
    temperature: float = 0.7
    max_tokens: int = 16
    baseline: str = "engel2011_dictator"
    secondary_baseline: str = "forsythe1994_dictator_10_pay"
    fidelity_baseline: str = "moblab2024_dictator"
    reference_dictators: int = 200
    min_group: int = 5
    subgroups: tuple[str, ...] = ("sex", "age_band", "education_level", "race_group")
    n_boot: int = 200

    def __post_init__(self) -> None:
        if not isinstance(self.dictators, int) or self.dictators < 2:
            raise ValueError(f"dictators must be an integer >= 2, got {self.dictators!r}")
        if not (self.endowment > 0 and self.endowed_recipient >= 0):
            raise ValueError("endowment must be > 0 and endowed_recipient >= 0")
        if not 0 < self.take_bound <= self.endowed_recipient:
            raise ValueError(f"take_bound must be in (0, endowed_recipient], got "
                             f"{self.take_bound}")
        if not (math.isfinite(self.temperature) and self.temperature >= 0):
            raise ValueError(f"temperature must be >= 0, got {self.temperature}")
        if self.n_boot < 0:
            raise ValueError(f"n_boot must be >= 0, got {self.n_boot}")
        if self.reference_dictators < 2 or self.min_group < 2:
            raise ValueError("reference_dictators and min_group must be >= 2, got "
                             f"{self.reference_dictators} and {self.min_group}")

    def variants(self) -> dict[str, dict[str, object]]:
        """Game configs by variant label."""
        return {
            "give": {"endowment": self.endowment},
            "give, recipient endowed": {"endowment": self.endowment,
                                        "recipient_endowment": self.endowed_recipient},
            "take": {"endowment": self.endowment, "recipient_endowment": self.endowed_recipient,
                     "variant": "take", "take_bound": self.take_bound},
        }


SMOKE = EngelConfig(dictators=4, n_boot=20, reference_dictators=20, min_group=2)


def config_for(args: ExperimentArgs) -> EngelConfig:
    """The config the flags select."""
    cfg = SMOKE if args.smoke else EngelConfig()
    return replace(cfg, dictators=args.n) if args.n is not None else cfg


def main(argv: Sequence[str] | None = None) -> int:
    """Run the experiment; returns the exit status."""
    return experiment_main(NAME, __doc__.splitlines()[0], argv=argv, run=run,
                           n_help="dictators per variant (default 60)")


def _masses(x: np.ndarray, endowment: float) -> tuple[float, float, float, float]:
    s = x / endowment
    return (float(np.mean(np.isclose(s, 0.0))), float(np.mean(np.isclose(s, 0.5))),
            float(np.mean(np.isclose(s, 1.0))), float(np.mean(s < 0)))


def run(args: ExperimentArgs, cfg: EngelConfig | None = None) -> int:
    """Play every variant and print the comparison with the human baselines."""
    import agora
    from agora.analysis import baselines as bl
    from agora.analysis.equilibria import benchmark
    from agora.analysis.rationality import fehr_schmidt_beta_share

    cfg = cfg or config_for(args)
    agents = Agents(args)
    summary = Summary(name=NAME, args=args)
    rng = np.random.default_rng(args.seed)
    pool = PersonaPool.adults(2 * cfg.dictators * len(cfg.variants()), seed=args.seed)
    engel = bl.load_baseline(cfg.baseline)
    lab = bl.load_baseline(cfg.secondary_baseline)
    main_t = summary.table(
        f"Dictator games (endowment {fmt(cfg.endowment)}): share of the endowment given",
        ["population", "variant", "n", "mean share given [95% CI]", "gives 0", "gives half",
         "gives all", "takes", f"vs {engel.name}: p (mean / 0 / half / all)",
         "FS β ≥ 1/2 share"])
    for b in (engel, lab):
        masses = [fmt_share(b.point_masses[v]) if v in b.point_masses else (
            fmt_share(float(np.mean(np.isclose(b.values, v)))) if b.values is not None
            else "n/a") for v in (0.0, 0.5, 1.0)]
        main_t.add(f"humans: {b.description}", "give", f"{b.n} {b.n_unit}", fmt(b.mean),
                   *masses, "n/a", "", "")
    frames: dict[str, pl.DataFrame] = {}
    try:
        for i, (label, game) in enumerate(cfg.variants().items()):
            theory = benchmark("dictator", game)
            personas = pool.seat(cfg.dictators, 2)
            res = agora.run("dictator", policy=agents.llm(
                temperature=cfg.temperature, max_tokens=cfg.max_tokens),
                n_instances=cfg.dictators, seed=args.seed + i, out=args.out / _slug(label),
                resume=args.resume, progress=not args.quiet, personas=personas, **game)
            summary.record_run(label, res)
            summary.add_report(label, res, baseline=cfg.baseline, n_boot=cfg.n_boot)
            frames[label] = res.records.with_columns(pl.lit(label).alias("variant"))
            x = res.records["action"].to_numpy().astype(np.float64)
            share = column_estimate(x / cfg.endowment, "share_given", n_boot=cfg.n_boot,
                                    rng=rng)
            zero, half, full, take = _masses(x, cfg.endowment)
            ps = "n/a"
            if label == "give":
                c = bl.compare(res.records, engel, game)
                ps = " / ".join(fmt(v, 2) for v in (c.p_value, *(c.point_masses[k][2] for k in
                                                                  (0.0, 0.5, 1.0))))
            fs = fehr_schmidt_beta_share(
                x, endowment=cfg.endowment,
                recipient_endowment=float(game.get("recipient_endowment", 0.0)),  # type: ignore[arg-type]
                n_boot=cfg.n_boot, rng=rng)
            main_t.add(f"agents: {agents.label()}", label, share.n, fmt_est(share),
                       fmt_share(zero), fmt_share(half), fmt_share(full), fmt_share(take), ps,
                       fmt_est(fs))
            main_t.add("theory: selfish benchmark", label, "",
                       fmt(theory.equilibrium_action / cfg.endowment), "", "", "", "", "", "")
    finally:
        agents.close()
    _subgroups(summary, frames, cfg, rng)
    _contrast(summary, frames, cfg, rng)
    if "give" in frames:
        _fidelity(summary, frames["give"], cfg, args, agents.label(), rng)
    main_t.notes += [
        f"Engel (2011): {engel.notes}",
        f"Forsythe et al. (1994): {lab.notes}",
        "p values: one-sample t test of the agents' mean against Engel's mean (no sd "
        "reported) and binomial tests of the shares giving 0, half and all.",
        "FS β ≥ 1/2 share: Fehr-Schmidt (1999) dictators who give half (inequity averse "
        "enough) among all dictators (theory: 0).",
    ]
    summary.notes.append(agents.caveat(temperature=cfg.temperature))
    summary.write()
    return 0


def _slug(label: str) -> str:
    return label.replace(", ", "_").replace(" ", "_")


def _subgroups(summary: Summary, frames: dict[str, pl.DataFrame], cfg: EngelConfig,
               rng: np.random.Generator) -> None:
    from agora.analysis.subgroups import subgroup_table

    give = frames.get("give")
    if give is None:
        return
    give = give.with_columns((pl.col("action") / cfg.endowment).alias("share"))
    t = summary.table("Giving by persona subgroup (give variant)",
                      ["attribute", "group", "n", "mean share given [95% CI]", "median"])
    for col in cfg.subgroups:
        if col not in give.columns or give[col].drop_nulls().n_unique() < 2:
            continue
        sub = subgroup_table(give, col, "share", n_boot=cfg.n_boot, rng=rng)
        for r in sub.iter_rows(named=True):
            ci = (f"{fmt(r['mean'])} [{fmt(r['ci_low'])}, {fmt(r['ci_high'])}]"
                  if math.isfinite(r["ci_low"]) else fmt(r["mean"]))
            t.add(col, r[col], r["n"], ci, r["median"])
    t.notes.append("Human subgroup figures are not in the packaged baselines.")


def _contrast(summary: Summary, frames: dict[str, pl.DataFrame], cfg: EngelConfig,
              rng: np.random.Generator) -> None:
    a, b = frames.get("give, recipient endowed"), frames.get("take")
    if a is None or b is None:
        return
    xa = a["action"].to_numpy().astype(np.float64) / cfg.endowment
    xb = b["action"].to_numpy().astype(np.float64) / cfg.endowment
    idx_a = rng.integers(0, xa.size, size=(max(cfg.n_boot, 1), xa.size))
    idx_b = rng.integers(0, xb.size, size=(max(cfg.n_boot, 1), xb.size))
    draws = xb[idx_b].mean(axis=1) - xa[idx_a].mean(axis=1)
    lo, hi = np.quantile(draws, [0.025, 0.975])
    t = summary.table("Effect of a take option on giving (same endowments)",
                      ["comparison", "agents: difference in mean share [95% CI]",
                       "human finding"])
    t.add("take − give", f"{fmt(float(xb.mean() - xa.mean()))} [{fmt(lo)}, {fmt(hi)}]",
          "negative: a take option lowers giving (List 2007; Zhang & Ortmann 2014)")


def _fidelity(summary: Summary, give: pl.DataFrame, cfg: EngelConfig, args: ExperimentArgs,
              who: str, rng: np.random.Generator) -> None:
    """Give-variant agents, a random draw of humans and scripted references against the MobLab
    dictators (Mei et al. 2024): distribution distances and the Turing-test statistic."""
    import agora
    from agora.analysis import baselines as bl
    from agora.analysis.fidelity import fidelity
    from agora.policies import EquilibriumPolicy, RandomPolicy

    b = bl.load_baseline(cfg.fidelity_baseline)
    game = cfg.variants()["give"]
    t = summary.table(f"Human-likeness, give variant: dictators against {b.description}",
                      ["population", "group", "n", *FIDELITY_COLUMNS])
    scores = add_fidelity_rows(t, give, b, game, who=who,
                               groups=[c for c in cfg.subgroups if c in give.columns],
                               n_boot=cfg.n_boot, min_group=cfg.min_group, rng=rng)
    refs = {"selfish": ("scripted: selfish equilibrium (gives 0)", EquilibriumPolicy()),
            "random": ("scripted: uniform random gift", RandomPolicy())}
    for i, (folder, (name, policy)) in enumerate(refs.items()):
        res = agora.run("dictator", policy=policy, n_instances=cfg.reference_dictators,
                        seed=args.seed + 100 + i, out=args.out / f"reference_{folder}",
                        resume=args.resume, progress=False, **game)
        s = fidelity(res.records, b, game, by=[], n_boot=cfg.n_boot, rng=rng).scores[0]
        t.add(name, "all", s.n_agents, *fidelity_cells(s))
    t.notes += [
        f"{short_citation(b.citation)}: {b.notes}.",
        "Shares of the endowment (agents give whole units of "
        f"{fmt(cfg.endowment)}, MobLab subjects whole units of 100). W1: Wasserstein-1 on the "
        f"share scale; KS: Kolmogorov-Smirnov; TV: total variation over "
        f"{scores.scores[0].binning}; all 0 for identical distributions.",
        "Turing: Mei et al.'s (2024) Turing-test statistic, the probability that a judge who "
        "knows the human distribution picks the agent's choice as the more human of an "
        "(agent, random human) pair (ties count half): 0.5 = indistinguishable, above 0.5 = "
        "concentrated on the humans' most common bin ('more human than human'). Win / tie: "
        "the agent's bin more common / as common.",
        "95% CIs: percentile bootstrap over agents and humans. Persona subgroups with fewer "
        f"than {cfg.min_group} dictators left out"
        + (f" ({scores.notes.split(': ', 1)[1]})." if scores.notes else "."),
        "The random human draw shows the sampling floor of W1, KS and TV at this n.",
    ]


if __name__ == "__main__":
    raise SystemExit(main())
