"""Alternating-offers bargaining over a grid of discount factors, and the ultimatum game.

Pairs of census personas bargain over a pie (Rubinstein 1982 with a finite horizon: offers
alternate, payoffs shrink by each player's discount factor per round). For every (δA, δB) the
table sets the agents' agreement rate, agreement round, first proposer's share, GLEE efficiency
and fairness next to the subgame-perfect split of the game's theory module (finite horizon),
Rubinstein's infinite-horizon share and the Nash bargaining split. A second table compares
ultimatum offers and rejections with Oosterbeek et al. (2004) and Forsythe et al. (1994), and
fits the responders' Fehr-Schmidt α. Human-likeness tables score the ultimatum agents (all and by
persona subgroup) and scripted references against the individual MobLab strategy-method data
of Mei et al. (2024): proposers' offers by Wasserstein-1, Kolmogorov-Smirnov, total variation
and Mei et al.'s Turing-test statistic (:mod:`agora.analysis.fidelity`); responders'
accept/reject decisions against what the MobLab subjects' minimum acceptable offers imply for
the same offers (:mod:`agora.analysis.fidelity_responder`).

    python -m experiments.bargaining_spe --n 20        # 20 pairs per discount-factor cell
    python -m experiments.bargaining_spe --smoke
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import polars as pl
from scipy import stats

from experiments._common import (
    Agents,
    ExperimentArgs,
    PersonaPool,
    Summary,
    column_estimate,
    experiment_main,
    finals,
    fmt,
    fmt_est,
    short_citation,
)
from experiments._tables import FIDELITY_COLUMNS, add_fidelity_rows, fidelity_cells

NAME = "bargaining_spe"
SUBGROUPS = ("sex", "age_band", "education_level", "race_group")
"""Persona columns of the human-likeness table (those present are used)."""


@dataclass(frozen=True, kw_only=True)
class BargainingSpeConfig:
    """Settings of the bargaining experiment.

    Attributes:
        pairs: Bargaining games per discount-factor cell (``--n``).
        deltas: (δA, δB) cells; A proposes first.
        horizon: Rounds T before both get nothing.
        pie: Size of the pie (whole-unit offers).
        ultimatum_pairs: Ultimatum games (``--n`` scales them alike: 2 × pairs).
        temperature: LLM sampling temperature.
        max_tokens: Answer budget.
        ultimatum_baselines: Packaged human baselines of the ultimatum table.
        proposer_fidelity: Baseline with individual offers (human-likeness of proposers).
        responder_fidelity: Baseline with individual minimum acceptable offers (responders).
        reference_pairs: Ultimatum games of each scripted reference population.
        min_group: Smallest persona subgroup scored in the human-likeness table.
        n_boot: Bootstrap replicates.
    """

    pairs: int = 20
    deltas: tuple[tuple[float, float], ...] = ((0.5, 0.5), (0.8, 0.8), (0.95, 0.95),
                                               (0.9, 0.6), (0.6, 0.9))
    horizon: int = 6
    pie: float = 100.0
    ultimatum_pairs: int = 40
    temperature: float = 0.7
    max_tokens: int = 16
    ultimatum_baselines: tuple[str, ...] = ("oosterbeek2004_ultimatum",
                                            "forsythe1994_ultimatum_10_pay")
    proposer_fidelity: str = "moblab2024_ultimatum_proposer"
    responder_fidelity: str = "moblab2024_ultimatum_responder"
    reference_pairs: int = 200
    min_group: int = 5
    n_boot: int = 200

    def __post_init__(self) -> None:
        for name in ("pairs", "horizon", "ultimatum_pairs", "reference_pairs", "min_group"):
            v = getattr(self, name)
            if not isinstance(v, int) or v < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {v!r}")
        if not self.deltas or any(not (0 < a <= 1 and 0 < b <= 1) for a, b in self.deltas):
            raise ValueError(f"deltas must be pairs in (0, 1], got {self.deltas}")
        if not self.pie > 0:
            raise ValueError(f"pie must be > 0, got {self.pie}")
        if not (math.isfinite(self.temperature) and self.temperature >= 0):
            raise ValueError(f"temperature must be >= 0, got {self.temperature}")
        if self.n_boot < 0:
            raise ValueError(f"n_boot must be >= 0, got {self.n_boot}")


SMOKE = BargainingSpeConfig(pairs=2, deltas=((0.8, 0.8),), horizon=2, ultimatum_pairs=3,
                            reference_pairs=20, min_group=2, n_boot=20)


def config_for(args: ExperimentArgs) -> BargainingSpeConfig:
    """The config the flags select."""
    cfg = SMOKE if args.smoke else BargainingSpeConfig()
    if args.n is None:
        return cfg
    return replace(cfg, pairs=args.n, ultimatum_pairs=2 * args.n)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the experiment; returns the exit status."""
    return experiment_main(NAME, __doc__.splitlines()[0], argv=argv, run=run,
                           n_help="pairs per discount-factor cell (default 20; ultimatum: 2n)")


def run(args: ExperimentArgs, cfg: BargainingSpeConfig | None = None) -> int:
    """Play the grid and the ultimatum game; print the tables."""
    import agora
    from games.bargaining import theory
    from games.bargaining.config import BargainingConfig
    from games.bargaining.theory import nash_bargaining_payoffs, rubinstein_share

    cfg = cfg or config_for(args)
    agents = Agents(args)
    summary = Summary(name=NAME, args=args)
    rng = np.random.default_rng(args.seed)
    pool = PersonaPool.adults(2 * (cfg.pairs * len(cfg.deltas) + cfg.ultimatum_pairs),
                              seed=args.seed)
    grid = summary.table(
        f"Alternating-offers bargaining, pie {fmt(cfg.pie)}, horizon {cfg.horizon}, A proposes "
        "first: agents vs theory",
        ["δA", "δB", "pairs", "agreement rate [95% CI]", "mean agreement round",
         "A's share if agreed [95% CI]", "SPE share (T rounds)", "Rubinstein share (T = ∞)",
         "Nash bargaining", "efficiency [95% CI] (SPE 1)", "fairness [95% CI] (SPE)"])
    try:
        for i, (da, db) in enumerate(cfg.deltas):
            game = {"pie": cfg.pie, "delta_a": da, "delta_b": db, "horizon": cfg.horizon}
            res = agora.run("bargaining", policy=agents.llm(
                temperature=cfg.temperature, max_tokens=cfg.max_tokens),
                n_instances=cfg.pairs, seed=args.seed + i, out=args.out / f"bargain_{da}_{db}",
                resume=args.resume, progress=not args.quiet,
                personas=pool.seat(cfg.pairs, 2), **game)
            label = f"bargaining δ = ({da:g}, {db:g})"
            summary.record_run(label, res)
            summary.add_report(label, res, n_boot=cfg.n_boot)
            end = finals(res.records)
            deal = end.filter(pl.col("agreed") == 1.0)
            spe = theory.spe_share_a(BargainingConfig(**game), True)
            ruby = rubinstein_share(da, db) if da * db < 1 else math.nan
            nbs = nash_bargaining_payoffs(1.0)[0]
            est = {k: column_estimate(v, k, n_boot=cfg.n_boot, rng=rng) for k, v in {
                "agreed": end["agreed"], "share": deal["share_a"],
                "efficiency": end["efficiency"], "fairness": deal["fairness"]}.items()}
            grid.add(da, db, end.height, fmt_est(est["agreed"]),
                     fmt(float(deal["agreement_round"].mean())) if deal.height else "n/a",
                     fmt_est(est["share"]), spe, ruby, nbs, fmt_est(est["efficiency"]),
                     f"{fmt_est(est['fairness'])} ({fmt(float(theory.fairness(spe)))})")
        _ultimatum(summary, agents, pool, cfg, args, rng)
    finally:
        agents.close()
    grid.notes += [
        "SPE: backward induction over the T rounds (games.bargaining.theory.spe_share_a): "
        "agreement at once, so efficiency 1; Rubinstein (1982) share (1 − δB)/(1 − δA·δB).",
        "Efficiency and fairness as in GLEE (Shapira et al. 2024): gains p·δA^(t−1) + "
        "(1 − p)·δB^(t−1) (0 without agreement) and 1 − 4(p − 1/2)² over agreements.",
    ]
    summary.notes.append(agents.caveat(temperature=cfg.temperature))
    summary.write()
    return 0


def _ultimatum(summary: Summary, agents: Agents, pool: PersonaPool, cfg: BargainingSpeConfig,
               args: ExperimentArgs, rng: np.random.Generator) -> None:
    import agora
    from agora.analysis import baselines as bl
    from agora.analysis.rationality import fit_fehr_schmidt_responder
    from games.bargaining import theory
    from games.bargaining.config import UltimatumConfig

    game = {"pie": cfg.pie}
    res = agora.run("ultimatum", policy=agents.llm(temperature=cfg.temperature,
                                                   max_tokens=cfg.max_tokens),
                    n_instances=cfg.ultimatum_pairs, seed=args.seed + 1000,
                    out=args.out / "ultimatum", resume=args.resume, progress=not args.quiet,
                    personas=pool.seat(cfg.ultimatum_pairs, 2), **game)
    summary.record_run("ultimatum", res)
    main_baseline = cfg.ultimatum_baselines[0]
    summary.add_report("ultimatum", res, baseline=main_baseline, n_boot=cfg.n_boot)
    rec = res.records
    offers = rec.filter(pl.col("role") == "proposer")["offer"].to_numpy() / cfg.pie
    end = finals(rec)
    accepted = end["agreed"].to_numpy().astype(np.float64)
    shown = end["offer"].to_numpy() / cfg.pie
    t = summary.table(f"Ultimatum game, pie {fmt(cfg.pie)}: offers and rejections",
                      ["population", "n", "mean offer share [95% CI]", "median offer",
                       "rejection rate [95% CI]", "responder FS α [95% CI]",
                       "p (mean / rejection)"])
    comparisons = {}
    for name in cfg.ultimatum_baselines:
        b = bl.load_baseline(name)
        rej = b.extra.get("rejection_rate", math.nan)
        t.add(f"humans: {b.description}", f"{b.n} {b.n_unit}", b.mean,
              float(np.median(b.values)) if b.values is not None else math.nan, rej, "n/a", "")
        comparisons[name] = bl.compare(offers, b)
    reject = column_estimate(1.0 - accepted, "rejection", n_boot=cfg.n_boot, rng=rng)
    try:
        alpha = fmt_est(fit_fehr_schmidt_responder(shown, accepted, n_boot=cfg.n_boot, rng=rng))
    except ValueError as exc:
        alpha = f"n/a ({exc})"
    main_b = bl.load_baseline(main_baseline)
    c = comparisons[main_baseline]
    k = int(np.sum(accepted == 0))
    p_rej = (stats.binomtest(k, accepted.size, main_b.extra["rejection_rate"]).pvalue
             if accepted.size and "rejection_rate" in main_b.extra else math.nan)
    t.add(f"agents: {agents.label()}", offers.size, fmt_est(column_estimate(
        offers, "offer", n_boot=cfg.n_boot, rng=rng)), float(np.median(offers)) if offers.size
        else math.nan, fmt_est(reject), alpha, f"{fmt(c.p_value, 2)} / {fmt(p_rej, 2)}")
    spe_offer = 1.0 - theory.spe_share_a(UltimatumConfig(**game), True)
    t.add("theory: subgame-perfect (selfish responder)", "", spe_offer, spe_offer, 0.0, 0.0, "")
    t.notes += [
        f"p values against {main_b.name}: {c.test}; binomial test of the rejection rate.",
        "Responder α: Fehr-Schmidt (1999) logit acceptance fitted to (offer, accept) pairs; "
        "humans' α is not in the packaged data.",
    ]
    _fidelity(summary, rec, game, cfg, args, agents.label(), rng)


def _fidelity(summary: Summary, rec: pl.DataFrame, game: dict[str, float],
              cfg: BargainingSpeConfig, args: ExperimentArgs, who: str,
              rng: np.random.Generator) -> None:
    """Ultimatum proposers and responders (agents, a random human draw, scripted references)
    against the MobLab strategy-method data (Mei et al. 2024)."""
    import agora
    from agora.analysis import baselines as bl
    from agora.analysis.fidelity import fidelity
    from agora.analysis.fidelity_responder import acceptance
    from agora.policies import EquilibriumPolicy, RandomPolicy

    prop, resp = (bl.load_baseline(n) for n in (cfg.proposer_fidelity, cfg.responder_fidelity))
    t = summary.table(f"Human-likeness, ultimatum proposers: offers against {prop.description}",
                      ["population", "group", "n", *FIDELITY_COLUMNS])
    a = summary.table(f"Human-likeness, ultimatum responders: decisions against {resp.description}",
                      ["population", "decisions", "agents accept [95% CI]",
                       "humans would accept the same offers [95% CI]",
                       "difference [95% CI]"])
    scores = add_fidelity_rows(t, rec, prop, game, who=who,
                               groups=[c for c in SUBGROUPS if c in rec.columns],
                               n_boot=cfg.n_boot, min_group=cfg.min_group, rng=rng)

    def accept_row(name: str, records: pl.DataFrame) -> None:
        try:
            r = acceptance(records, resp, game, n_boot=cfg.n_boot, rng=rng)
        except ValueError as exc:
            a.add(name, "", f"n/a ({exc})", "", "")
            return
        a.add(name, r.n_decisions, fmt_est(r.agent_rate), fmt_est(r.human_rate),
              fmt_est(r.difference))

    accept_row(f"agents: {who}", rec)
    refs = {"spe": ("scripted: subgame-perfect (selfish) play", EquilibriumPolicy()),
            "random": ("scripted: uniform random play", RandomPolicy())}
    for i, (folder, (name, policy)) in enumerate(refs.items()):
        res = agora.run("ultimatum", policy=policy, n_instances=cfg.reference_pairs,
                        seed=args.seed + 2000 + i, out=args.out / f"ultimatum_reference_{folder}",
                        resume=args.resume, progress=False, **game)
        s = fidelity(res.records, prop, game, by=[], n_boot=cfg.n_boot, rng=rng).scores[0]
        t.add(name, "all", s.n_agents, *fidelity_cells(s))
        accept_row(name, res.records)
    t.notes += [
        f"{short_citation(prop.citation)}: {prop.notes}.",
        f"Offers as shares of the pie (agents: pie {fmt(cfg.pie)}, MobLab: 100). W1: "
        "Wasserstein-1 on the share scale; KS: Kolmogorov-Smirnov; TV: total variation over "
        f"{scores.scores[0].binning}; all 0 for identical distributions.",
        "Turing: Mei et al.'s (2024) Turing-test statistic, the probability that a judge who "
        "knows the human distribution picks the agent's offer as the more human of an "
        "(agent, random human) pair (ties count half): 0.5 = indistinguishable, above 0.5 = "
        "concentrated on the humans' most common bin. Win / tie: the agent's bin more common / "
        "as common.",
        "95% CIs: percentile bootstrap over agents and humans. Persona subgroups with fewer "
        f"than {cfg.min_group} proposers left out"
        + (f" ({scores.notes.split(': ', 1)[1]})." if scores.notes else "."),
        "The random human draw shows the sampling floor of W1, KS and TV at this n.",
    ]
    a.notes += [
        "A MobLab subject with minimum acceptable offer m accepts an offer o iff o >= m; "
        "'humans would accept': the share of the MobLab thresholds at or below each offer the "
        "agents' responders saw, averaged over those offers (agora.analysis.fidelity_responder)."
        " 95% CIs: percentile bootstrap over decisions and thresholds.",
    ]


if __name__ == "__main__":
    raise SystemExit(main())
