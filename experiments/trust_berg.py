"""Trust with and without social history, against Berg, Dickhaut & McCabe (1995).

Pairs of agents play the one-shot trust game of Berg et al.: sender and receiver each hold $10,
the amount sent is tripled, the receiver returns any part of what arrived. Two treatments: no
history, and social history (both players are first shown the 32 (sent, returned) pairs of
Berg et al.'s no-history sessions, as the game's default history). The table sets the agents'
mean amount sent and returned, the mean return ratio (share of what arrived returned, pairs
that sent something) and the reciprocity slope of returned on sent (with Spearman's rank
correlation) next to the same statistics computed from Berg et al.'s 60 pairs and the
subgame-perfect benchmark from the game's theory module; a second table gives the treatment
effect (social history minus no history) for agents and humans, and a third scores the agents'
shares sent and return ratios against Berg et al.'s individual pairs (human-likeness,
:mod:`agora.analysis.fidelity`).

    python -m experiments.trust_berg --n 60        # 60 pairs per treatment
    python -m experiments.trust_berg --smoke
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from importlib import resources

import numpy as np
import polars as pl

from experiments._common import (
    Agents,
    ExperimentArgs,
    Summary,
    column_estimate,
    experiment_main,
    fmt,
    fmt_est,
    short_citation,
)
from experiments._tables import FIDELITY_COLUMNS, Table, fidelity_cells

NAME = "trust_berg"
TREATMENTS = {"no history": False, "social history": True}


@dataclass(frozen=True, kw_only=True)
class TrustBergConfig:
    """Settings of the trust experiment.

    Attributes:
        pairs: Pairs (games) per treatment (``--n``).
        temperature: LLM sampling temperature.
        max_tokens: Answer budget.
        n_boot: Bootstrap replicates.
    """

    pairs: int = 60
    temperature: float = 0.7
    max_tokens: int = 16
    n_boot: int = 200

    def __post_init__(self) -> None:
        if not isinstance(self.pairs, int) or self.pairs < 3:
            raise ValueError(f"pairs must be an integer >= 3, got {self.pairs!r}")
        if not (math.isfinite(self.temperature) and self.temperature >= 0):
            raise ValueError(f"temperature must be >= 0, got {self.temperature}")
        if self.n_boot < 0:
            raise ValueError(f"n_boot must be >= 0, got {self.n_boot}")


SMOKE = TrustBergConfig(pairs=6, n_boot=20)


def config_for(args: ExperimentArgs) -> TrustBergConfig:
    """The config the flags select."""
    cfg = SMOKE if args.smoke else TrustBergConfig()
    return replace(cfg, pairs=args.n) if args.n is not None else cfg


def main(argv: Sequence[str] | None = None) -> int:
    """Run the experiment; returns the exit status."""
    return experiment_main(NAME, __doc__.splitlines()[0], argv=argv, run=run,
                           n_help="pairs per treatment (default 60)")


def berg_pairs(social_history: bool) -> tuple[np.ndarray, np.ndarray]:
    """(sent, returned) of Berg et al.'s pairs of one treatment (the packaged file)."""
    data = resources.files("games.trust.data").joinpath("berg1995_trust_pairs.csv")
    with resources.as_file(data) as path:
        p = pl.read_csv(path)
    prefix = "social_history" if social_history else "no_history"
    p = p.filter(pl.col("treatment").str.starts_with(prefix))
    return (p["amount_sent"].to_numpy().astype(np.float64),
            p["amount_returned"].to_numpy().astype(np.float64))


def pairs_of(records: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(sent, returned) of every finished round of a run (one row per receiver decision)."""
    r = records.filter(pl.col("role").cast(pl.String) == "receiver")
    return (r["sent"].to_numpy().astype(np.float64),
            r["returned"].to_numpy().astype(np.float64))


def _row(table: Table, who: str, label: str, sent: np.ndarray, back: np.ndarray,
         multiplier: float, n_boot: int, rng: np.random.Generator) -> None:
    from agora.analysis.reciprocity import reciprocity

    try:
        fit = reciprocity(sent, back, multiplier=multiplier, n_boot=n_boot, rng=rng)
        slope, rho = fmt_est(fit.slope), fmt(fit.spearman.value)
        ratio = fmt_est(fit.return_ratio) if fit.return_ratio is not None else "n/a"
    except ValueError:  # nothing sent varies (e.g. every sender sent 0)
        slope = rho = ratio = "n/a"
    table.add(who, label, sent.size,
              fmt_est(column_estimate(sent, "sent", n_boot=n_boot, rng=rng)),
              fmt_est(column_estimate(back, "returned", n_boot=n_boot, rng=rng)), ratio,
              slope, rho)


def _diff(a: np.ndarray, b: np.ndarray, n_boot: int, rng: np.random.Generator) -> str:
    """Mean of ``b`` minus mean of ``a`` with a percentile bootstrap interval."""
    ia = rng.integers(0, a.size, size=(max(n_boot, 1), a.size))
    ib = rng.integers(0, b.size, size=(max(n_boot, 1), b.size))
    lo, hi = np.quantile(b[ib].mean(axis=1) - a[ia].mean(axis=1), [0.025, 0.975])
    return f"{fmt(float(b.mean() - a.mean()))} [{fmt(lo)}, {fmt(hi)}]"


def run(args: ExperimentArgs, cfg: TrustBergConfig | None = None) -> int:
    """Play both treatments and print the comparison with Berg et al.'s pairs and theory."""
    import agora
    from agora.analysis import baselines as bl
    from agora.analysis.fidelity import fidelity
    from games.trust import theory
    from games.trust.config import TrustConfig

    cfg = cfg or config_for(args)
    agents = Agents(args)
    summary = Summary(name=NAME, args=args)
    rng = np.random.default_rng(args.seed)
    game = TrustConfig()
    header = ["population", "treatment", "n pairs", "mean sent [95% CI]",
              "mean returned [95% CI]", "return ratio [95% CI]",
              "reciprocity slope [95% CI]", "Spearman"]
    main_t = summary.table("Trust game ($10 each, tripled): amounts sent and returned",
                           header)
    human = {label: berg_pairs(h) for label, h in TREATMENTS.items()}
    agent: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    records: dict[str, pl.DataFrame] = {}
    try:
        for i, (label, history) in enumerate(TREATMENTS.items()):
            res = agora.run("trust", policy=agents.llm(
                temperature=cfg.temperature, max_tokens=cfg.max_tokens),
                n_instances=cfg.pairs, seed=args.seed + i, out=args.out / label.replace(" ", "_"),
                resume=args.resume, progress=not args.quiet, social_history=history)
            summary.record_run(label, res)
            summary.add_report(label, res, n_boot=cfg.n_boot)
            records[label] = res.records
            agent[label] = pairs_of(res.records)
    finally:
        agents.close()
    spe = theory.spe_outcome(game)
    for label in TREATMENTS:
        _row(main_t, "humans: Berg et al. (1995) pairs", label, *human[label],
             game.multiplier, cfg.n_boot, rng)
        _row(main_t, f"agents: {agents.label()}", label, *agent[label], game.multiplier,
             cfg.n_boot, rng)
    main_t.add("theory: subgame-perfect (selfish)", "both", "", fmt(spe["sent"]),
               fmt(spe["returned"]), "n/a (nothing sent)", "0", "")
    main_t.add("theory: efficient", "both", "", fmt(theory.efficient_sent(game)), "any", "",
               "", "")
    main_t.notes += [
        "Human rows are computed from Berg et al.'s 60 transcribed pairs (packaged in "
        "games/trust/data); their means reproduce the paper's $5.16 / $4.66 (no history) and "
        "$5.36 / $6.46 (social history).",
        "Return ratio: returned / (3 × sent) over pairs that sent something. Reciprocity "
        "slope: OLS of returned on sent; Spearman: rank correlation of sent and returned. "
        "95% CIs: percentile bootstrap over pairs.",
        "Social history: both players see Berg et al.'s 32 no-history pairs before deciding.",
    ]
    effect = summary.table("Effect of social history (social − no history)",
                           ["population", "mean sent [95% CI]", "mean returned [95% CI]"])
    for who, data in (("humans: Berg et al. (1995)", human),
                      (f"agents: {agents.label()}", agent)):
        a, b = data["no history"], data["social history"]
        effect.add(who, _diff(a[0], b[0], cfg.n_boot, rng), _diff(a[1], b[1], cfg.n_boot, rng))
    effect.notes.append("Berg et al. report more returned with social history ($6.46 vs "
                        "$4.66) and about the same amount sent ($5.36 vs $5.16).")
    fid = summary.table("Human-likeness against Berg et al.'s pairs",
                        ["population", "treatment", "choice", "n", *FIDELITY_COLUMNS])
    for label, history in TREATMENTS.items():
        key = "social_history" if history else "no_history"
        for what in ("sent", "returned"):
            b = bl.load_baseline(f"berg1995_trust_{what}_{key}")
            try:
                s = fidelity(records[label], b, {"endowment": game.endowment}, by=[],
                             n_boot=cfg.n_boot, rng=rng).scores[0]
            except ValueError as exc:
                fid.add(f"agents: {agents.label()}", label, what, 0, *[f"n/a ({exc})"] * 5)
                continue
            fid.add(f"agents: {agents.label()}", label, what, s.n_agents, *fidelity_cells(s))
    fid.notes += [
        f"{short_citation(bl.load_baseline('berg1995_trust_sent_no_history').citation)}: "
        "senders' share of the $10 sent, receivers' share of what arrived returned (those "
        "who got money); W1, KS, TV and Mei et al.'s (2024) Turing statistic as in "
        "agora.analysis.fidelity, with 95% bootstrap intervals."]
    summary.notes.append(agents.caveat(temperature=cfg.temperature))
    summary.write()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
