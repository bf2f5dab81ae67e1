"""Indefinitely repeated prisoner's dilemma: cooperation vs δ and SizeBAD, and strategy shares.

The six treatments of Dal Bó & Fréchette (2011): stage payoffs T = 50, S = 12, P = 25 and
R ∈ {32, 40, 48}, continuation probability δ ∈ {1/2, 3/4}, random rematching between
supergames within matching groups. For each treatment the first table sets the agents'
cooperation (all rounds and round 1, 95% CIs by subject bootstrap) next to the humans'
(computed from the packaged DF2011 decisions) and theory: the threshold δ* = (T − R)/(T − P) above
which mutual cooperation is subgame perfect, and SizeBAD, the size of the basin of attraction of
AllD against Grim (from the game's theory module). The second table estimates the strategy
shares (AllD / AllC / Grim / TFT / WSLS / T2) of agents and humans with the strategy-frequency
estimation method (:mod:`agora.analysis.strategy_frequency`), next to Table 7 as published. A
third puts the slope of cooperation on SizeBAD across treatments side by side, and a fourth
scores the human-likeness of each agent's cooperation rate (round 1 of its supergames, and all
rounds) against the rates of the same treatment's subjects (Mei et al.'s 2024 Turing test and
distribution distances, :mod:`agora.analysis.fidelity`), next to as many subjects drawn at
random (the sampling floor).

    python -m experiments.pd_repeated --n 4      # 4 matching groups per treatment
    python -m experiments.pd_repeated --smoke
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from importlib.resources import files
from pathlib import Path

import numpy as np
import polars as pl

from agora.analysis.estimate import Estimate, estimate_from
from agora.analysis.strategy_frequency import (
    SFEMResult,
    fit_strategy_frequencies,
    prescription_matrix,
)
from experiments._common import (
    Agents,
    ExperimentArgs,
    Summary,
    Table,
    experiment_main,
    fmt,
    fmt_est,
)
from experiments._tables import FIDELITY_COLUMNS, fidelity_cells
from games.prisoners_dilemma.human import DF2011_TABLE7, DF2011_TABLE7_STRATEGIES

NAME = "pd_repeated"
GAME = "prisoners_dilemma"
DATA = Path(str(files("games.prisoners_dilemma.data") / "dalbo_frechette2011_repeated_pd.csv"))
"""The DF2011 decisions the game packages (CC BY 4.0; see the folder's PROVENANCE.md)."""
CITATION = ("Dal Bó, P. & Fréchette, G. R. (2011), The Evolution of Cooperation in Infinitely "
            "Repeated Games: Experimental Evidence, AER 101(1):411-429 (data CC BY 4.0, via the "
            "R package stratEst)")
STRATEGY_KINDS = ("alld", "allc", "grim", "tft", "wsls", "t2")
STRATEGY_LABELS = DF2011_TABLE7_STRATEGIES
TABLE7 = DF2011_TABLE7


@dataclass(frozen=True, kw_only=True)
class PDRepeatedConfig:
    """Settings of the repeated-PD experiment.

    Attributes:
        groups: Matching groups per treatment (``--n``).
        group_size: Players per matching group (rematched into random pairs each supergame).
        supergames: Supergames each group plays.
        max_rounds: Cap on a supergame's length (reached with probability δ^(max_rounds − 1)).
        treatments: ``(δ, R)`` pairs.
        temptation, punishment, sucker: The other stage payoffs (DF2011: 50, 25, 12).
        stand_ins: Scripted population (strategy kind, share) that plays with
            ``--agents scripted``; the SFEM should recover it (AllD, AllC and WSLS act
            differently against AllD, so play without errors identifies them).
        temperature: LLM sampling temperature.
        max_tokens: Answer budget.
        n_boot: Bootstrap replicates.
    """

    groups: int = 4
    group_size: int = 8
    supergames: int = 10
    max_rounds: int = 30
    treatments: tuple[tuple[float, float], ...] = ((0.5, 32.0), (0.5, 40.0), (0.5, 48.0),
                                                   (0.75, 32.0), (0.75, 40.0), (0.75, 48.0))
    temptation: float = 50.0
    punishment: float = 25.0
    sucker: float = 12.0
    stand_ins: tuple[tuple[str, float], ...] = (("alld", 0.5), ("allc", 0.25), ("wsls", 0.25))
    temperature: float = 0.7
    max_tokens: int = 16
    n_boot: int = 200

    def __post_init__(self) -> None:
        if not isinstance(self.groups, int) or self.groups < 1:
            raise ValueError(f"groups must be an integer >= 1, got {self.groups!r}")
        if self.group_size < 2 or self.group_size % 2:
            raise ValueError(f"group_size must be even and >= 2, got {self.group_size}")
        if self.supergames < 1 or self.max_rounds < 1 or self.n_boot < 0:
            raise ValueError("supergames and max_rounds must be >= 1 and n_boot >= 0")
        if not self.treatments or not all(0 < d < 1 for d, _ in self.treatments):
            raise ValueError(f"treatments need δ in (0, 1), got {self.treatments}")
        if any(k not in STRATEGY_KINDS for k, _ in self.stand_ins):
            raise ValueError(f"stand_ins must be among {STRATEGY_KINDS}, got {self.stand_ins}")

    def game(self, delta: float, reward: float) -> dict[str, object]:
        """Game config fields of one treatment."""
        return {"temptation": self.temptation, "reward": reward, "punishment": self.punishment,
                "sucker": self.sucker, "delta": delta, "max_rounds": self.max_rounds,
                "supergames": self.supergames, "group_size": self.group_size}


SMOKE = PDRepeatedConfig(groups=1, group_size=4, supergames=3, max_rounds=8, n_boot=20)


def treatment_label(delta: float, reward: float) -> str:
    """DF2011's treatment code, e.g. ``D75R48`` for δ = 3/4, R = 48."""
    return f"D{str(delta).split('.')[1]}R{reward:g}"


def config_for(args: ExperimentArgs) -> PDRepeatedConfig:
    """The config the flags select."""
    cfg = SMOKE if args.smoke else PDRepeatedConfig()
    return replace(cfg, groups=args.n) if args.n is not None else cfg


def main(argv: Sequence[str] | None = None) -> int:
    """Run the experiment; returns the exit status."""
    return experiment_main(NAME, __doc__.splitlines()[0], argv=argv, run=run,
                           n_help="matching groups per treatment (default 4)")


# ----------------------------------------------------------------------------- data
def human_decisions() -> pl.DataFrame:
    """The packaged DF2011 decisions as (treatment, subject, supergame, period, move, other)."""
    if not DATA.is_file():
        raise FileNotFoundError(f"the packaged human data {DATA} is missing")
    df = pl.read_csv(DATA, comment_prefix="#")
    return df.select(pl.col("treatment"), pl.col("id").cast(pl.String).alias("subject"),
                     pl.col("game").alias("supergame"), pl.col("period"),
                     (pl.col("choice") == "c").cast(pl.Int64).alias("move"),
                     (pl.col("other.choice") == "c").cast(pl.Int64).alias("other"))


def agent_decisions(records: pl.DataFrame) -> pl.DataFrame:
    """An agents' run as (subject, supergame, period, move, other): intended moves, histories
    of executed moves (the same without noise)."""
    return records.select(
        pl.format("{}:{}", pl.col("instance"), pl.col("agent")).alias("subject"),
        pl.col("supergame").cast(pl.Int64), (pl.col("supergame_round") + 1).cast(pl.Int64)
        .alias("period"), pl.col("action").cast(pl.Int64).alias("move"),
        pl.col("other_executed").cast(pl.Int64).alias("other"))


# ----------------------------------------------------------------------------- estimates
def cooperation(d: pl.DataFrame, *, first_round: bool, n_boot: int,
                rng: np.random.Generator) -> Estimate:
    """Share of cooperative moves, percentile bootstrap over subjects."""
    if first_round:
        d = d.filter(pl.col("period") == 1)
    g = d.group_by("subject").agg(pl.col("move").sum().alias("c"), pl.len().alias("n"))
    c, n = g["c"].to_numpy().astype(float), g["n"].to_numpy().astype(float)
    if n.size == 0:
        return Estimate(value=math.nan, ci_low=math.nan, ci_high=math.nan, n=0)
    idx = rng.integers(0, n.size, size=(n_boot, n.size))
    draws = c[idx].sum(axis=1) / n[idx].sum(axis=1)
    return estimate_from(float(c.sum() / n.sum()), draws, n.size, name="cooperation",
                         method="share of C, bootstrap over subjects", warn=False)


def strategy_shares(d: pl.DataFrame, *, n_boot: int, rng: np.random.Generator) -> SFEMResult:
    """SFEM fit of AllD / AllC / Grim / TFT / WSLS / T2 to one treatment's decisions."""
    from games.prisoners_dilemma.strategies import STRATEGIES

    strategies = {lab: STRATEGIES[k] for k, lab in zip(STRATEGY_KINDS, STRATEGY_LABELS,
                                                       strict=True)}
    cols = [d[c].to_numpy() for c in ("subject", "supergame", "period", "move", "other")]
    x = prescription_matrix(*cols, strategies)
    return fit_strategy_frequencies(cols[0], cols[3], x, STRATEGY_LABELS, n_boot=n_boot,
                                    rng=rng)


# ----------------------------------------------------------------------------- run
def run(args: ExperimentArgs, cfg: PDRepeatedConfig | None = None) -> int:
    """Play every treatment and print agents beside humans and theory."""
    import agora
    from agora.policies.registry import make_policy
    from games.prisoners_dilemma import theory

    cfg = cfg or config_for(args)
    agents = Agents(args)
    summary = Summary(name=NAME, args=args)
    rng = np.random.default_rng(args.seed)
    humans = human_decisions()
    coop_t = summary.table(
        "Repeated PD (T 50, P 25, S 12): cooperation by treatment",
        ["population", "treatment", "δ", "R", "δ* (SPE iff δ ≥ δ*)", "SizeBAD", "subjects",
         "cooperation, all rounds [95% CI]", "cooperation, round 1 [95% CI]"])
    share_t = summary.table(
        "Strategy shares (SFEM, Dal Bó & Fréchette 2011)",
        ["population", "treatment", "subjects", *STRATEGY_LABELS, "tremble γ"])
    fid_t = summary.table(
        "Human-likeness of per-agent cooperation rates against DF2011's subjects",
        ["population", "treatment", "rate", "n", *FIDELITY_COLUMNS])
    points: dict[str, list[tuple[float, float]]] = {"humans": [], "agents": []}
    try:
        for i, (delta, reward) in enumerate(cfg.treatments):
            label = treatment_label(delta, reward)
            t, p, s = cfg.temptation, cfg.punishment, cfg.sucker
            star = theory.cooperation_threshold(t, reward, p)
            bad = theory.size_bad(t, reward, p, s, delta)
            spe = theory.cooperation_is_spe(t, reward, p, delta)
            head = [label, fmt(delta), fmt(reward), fmt(star), fmt(bad)]
            h = humans.filter(pl.col("treatment") == label)
            if h.height:
                all_h = cooperation(h, first_round=False, n_boot=cfg.n_boot, rng=rng)
                points["humans"].append((bad, all_h.value))
                coop_t.add("humans: DF2011 (computed)", *head, h["subject"].n_unique(),
                           fmt_est(all_h), fmt_est(cooperation(h, first_round=True,
                                                               n_boot=cfg.n_boot, rng=rng)))
            policy = (agents.llm(temperature=cfg.temperature, max_tokens=cfg.max_tokens)
                      if agents.is_llm else
                      [(make_policy(k), sh) for k, sh in cfg.stand_ins])
            res = agora.run(GAME, policy=policy, n_instances=cfg.groups, seed=args.seed + i,
                            out=args.out / label, resume=args.resume, progress=not args.quiet,
                            **cfg.game(delta, reward))
            summary.record_run(label, res)
            summary.add_report(label, res, n_boot=cfg.n_boot)
            a = agent_decisions(res.records)
            all_a = cooperation(a, first_round=False, n_boot=cfg.n_boot, rng=rng)
            points["agents"].append((bad, all_a.value))
            coop_t.add(f"agents: {agents.label()}", *head, a["subject"].n_unique(),
                       fmt_est(all_a), fmt_est(cooperation(a, first_round=True,
                                                           n_boot=cfg.n_boot, rng=rng)))
            if h.height:
                _fidelity_rows(fid_t, res.records, label, agents.label(), cfg.n_boot, rng)
            coop_t.add("theory: subgame-perfect outcomes", *head, "",
                       "0 or 1 (cooperation is SPE)" if spe else "0 (only (D, D) is SPE)", "")
            if label in TABLE7:
                share_t.add("humans: DF2011 Table 7 (published)", label, "",
                            *(f"{v:.2f}" for v in TABLE7[label]), "")
            if h.height:
                _share_row(share_t, "humans: DF2011 data, refit (computed)", label,
                           strategy_shares(h, n_boot=cfg.n_boot, rng=rng))
            _share_row(share_t, f"agents: {agents.label()}", label,
                       strategy_shares(a, n_boot=cfg.n_boot, rng=rng))
    finally:
        agents.close()
    _slopes(summary, points)
    coop_t.notes += [
        f"Humans: {CITATION}; cooperation computed from the packaged decisions (stratEst's "
        "subset: the later supergames of each session), 95% CIs by bootstrap over subjects.",
        "δ* = (T − R)/(T − P); SizeBAD = size of the basin of attraction of AllD against Grim "
        "(1 when cooperation is not subgame perfect); both from the game's theory module.",
        f"Agents: {cfg.groups} matching group(s) of {cfg.group_size} per treatment, "
        f"{cfg.supergames} supergames, random rematching, at most {cfg.max_rounds} rounds.",
    ]
    share_t.notes += [
        "SFEM: maximum likelihood over the six strategies with one tremble γ (each subject "
        "follows one strategy in all its supergames); values [95% CI, bootstrap over "
        "subjects]; * marks an estimate at the bound of its range (a share at 0, a tremble "
        "at 0): not an interior estimate, its interval is one-sided.",
        "Published row: Table 7 (p. 424) as replicated in the stratEst vignette.",
    ]
    if not agents.is_llm:
        share_t.notes.append("Scripted stand-ins play " + ", ".join(
            f"{k} {fmt(v, 2)}" for k, v in cfg.stand_ins) + ": the agents' rows should recover "
            "these shares where play tells the strategies apart (without errors, strategies "
            "that act alike on the realised histories split their share).")
    fid_t.notes += [
        "One value per agent / subject: its share of C in round 1 of its supergames ('round "
        "1') or in all its rounds ('all'); humans computed from the packaged DF2011 decisions "
        "(baselines dalbo_frechette2011_<treatment>_subject_round1 / _all).",
        "W1: Wasserstein-1 on the rate scale; KS: Kolmogorov-Smirnov; TV: total variation over "
        "Mei et al.'s (2024) ten equal bins of [0, 1]; Turing: their Turing-test statistic "
        "(0.5 = indistinguishable; above 0.5: concentrated on the humans' most common bin). "
        "95% CIs: percentile bootstrap over agents and subjects.",
        "The random draw of subjects (as many as agents, at most all of them) shows the "
        "sampling floor of every distance at this n.",
    ]
    summary.notes.append(agents.caveat(temperature=cfg.temperature))
    summary.write()
    return 0


def _fidelity_rows(t: Table, records: pl.DataFrame, label: str, who: str, n_boot: int,
                   rng: np.random.Generator) -> None:
    """Agents' per-agent cooperation rates against the treatment's subjects' (round 1 and
    all rounds), each followed by a random draw of the subjects themselves."""
    from agora.analysis.baselines import load_baseline
    from agora.analysis.fidelity import fidelity

    for measure, text in (("round1", "round 1"), ("all", "all")):
        b = load_baseline(f"dalbo_frechette2011_{label.lower()}_subject_{measure}")
        s = fidelity(records, b, by=[], n_boot=n_boot, rng=rng).scores[0]
        t.add(f"agents: {who}", label, text, s.n_agents, *fidelity_cells(s))
        if b.values is None:
            raise ValueError(f"baseline {b.name!r} has no individual rates")
        draw = rng.choice(b.values, size=min(s.n_agents, b.values.size), replace=False)
        ref = fidelity(draw, b, n_boot=n_boot, rng=rng).scores[0]
        t.add(f"humans: {draw.size} DF2011 subjects drawn at random", label, text, draw.size,
              *fidelity_cells(ref))


def _share_row(t: Table, population: str, label: str, fit: SFEMResult) -> None:
    t.add(population, label, fit.n_subjects,
          *(_fmt_prob(fit.shares[k]) for k in STRATEGY_LABELS), _fmt_prob(fit.tremble))


def _fmt_prob(e: Estimate) -> str:
    """A probability to two decimals with its interval; ``*`` marks an estimate at a bound."""
    if not math.isfinite(e.value):
        return "n/a"
    text = f"{e.value:.2f}" + ("*" if e.at_bound else "")
    if math.isfinite(e.ci_low) and math.isfinite(e.ci_high):
        text += f" [{e.ci_low:.2f}, {e.ci_high:.2f}]"
    return text


def _slopes(summary: Summary, points: dict[str, list[tuple[float, float]]]) -> None:
    t = summary.table("Cooperation against SizeBAD across treatments",
                      ["population", "treatments", "slope (OLS)", "correlation"])
    for who, pts in points.items():
        xy = np.array([p for p in pts if math.isfinite(p[1])], dtype=float).reshape(-1, 2)
        if xy.shape[0] < 3 or np.ptp(xy[:, 0]) == 0 or np.ptp(xy[:, 1]) == 0:
            t.add(who, xy.shape[0], "n/a", "n/a")
            continue
        slope = float(np.polyfit(xy[:, 0], xy[:, 1], 1)[0])
        t.add(who, xy.shape[0], fmt(slope), fmt(float(np.corrcoef(xy.T)[0, 1])))
    t.notes.append("Humans: cooperation falls as SizeBAD rises (Dal Bó & Fréchette 2011, "
                   "2018); a negative slope is the human pattern.")


if __name__ == "__main__":
    raise SystemExit(main())
