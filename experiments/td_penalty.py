"""Traveler's dilemma: the penalty-size effect (Capra, Goeree, Gomez & Holt 1999).

Sessions of travelers claim in [80, 200] for several rounds, randomly rematched every round, one
reward/penalty R per set of sessions (R = 5, 10, 20, 25, 50, 80, as in Capra et al.). The table
sets the agents' mean claims by R (first round and later rounds) beside the Nash claim (80 for
every R > 1), the symmetric logit QRE at a λ fitted to the agents' claims pooled over R (maximum
likelihood over the QRE, whose fixed point ``agora.analysis`` computes from the game's payoff
hook) and the human results as read in their sources: the direction of the effect (Capra et al.
abstract) and the R = 10 and R = 50 statements of Goeree & Holt (1999, Fig. 1 caption).

    python -m experiments.td_penalty --n 4         # 4 sessions per R
    python -m experiments.td_penalty --smoke
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

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

NAME = "td_penalty"
GAME = "travelers_dilemma"


@dataclass(frozen=True, kw_only=True)
class PenaltyConfig:
    """Settings of the penalty-size experiment.

    Attributes:
        rewards: The reward/penalty R of each treatment.
        low, high: Claim bounds.
        sessions: Sessions (matching groups) per R (``--n``).
        travelers: Travelers per session (even; randomly rematched every round).
        rounds: Rounds per session.
        stand_in_lam: λ of the scripted stand-in (logit response to a uniform partner).
        lam_max: Largest QRE precision λ searched by the fit.
        temperature, max_tokens: LLM sampling settings.
        n_boot: Bootstrap replicates.
    """

    rewards: tuple[float, ...] = (5.0, 10.0, 20.0, 25.0, 50.0, 80.0)
    low: int = 80
    high: int = 200
    sessions: int = 4
    travelers: int = 10
    rounds: int = 10
    stand_in_lam: float = 0.1
    lam_max: float = 5.0
    temperature: float = 0.7
    max_tokens: int = 16
    n_boot: int = 200

    def __post_init__(self) -> None:
        if not self.rewards or any(not (math.isfinite(r) and r > 1) for r in self.rewards):
            raise ValueError(f"rewards must be numbers > 1, got {self.rewards!r}")
        if not isinstance(self.sessions, int) or self.sessions < 1:
            raise ValueError(f"sessions must be an integer >= 1, got {self.sessions!r}")
        if self.rounds < 2:
            raise ValueError(f"rounds must be >= 2 (first and later rounds), got {self.rounds}")
        if not (math.isfinite(self.temperature) and self.temperature >= 0):
            raise ValueError(f"temperature must be >= 0, got {self.temperature}")
        if self.n_boot < 0:
            raise ValueError(f"n_boot must be >= 0, got {self.n_boot}")

    def game(self, reward: float) -> dict[str, Any]:
        """Game config of one treatment."""
        return {"low": self.low, "high": self.high, "reward": reward,
                "travelers": self.travelers, "rounds": self.rounds, "matching": "random"}


SMOKE = PenaltyConfig(sessions=1, travelers=4, rounds=2, n_boot=20)


def config_for(args: ExperimentArgs) -> PenaltyConfig:
    """The config the flags select."""
    cfg = SMOKE if args.smoke else PenaltyConfig()
    return replace(cfg, sessions=args.n) if args.n is not None else cfg


def main(argv: Sequence[str] | None = None) -> int:
    """Run the experiment; returns the exit status."""
    return experiment_main(NAME, __doc__.splitlines()[0], argv=argv, run=run,
                           n_help="sessions per R (default 4)")


# --------------------------------------------------------------------- the experiment
def final_rounds(rounds: int) -> tuple[int, str]:
    """First round (0-based) of the final rounds (the last five, as Capra et al. report, but
    never the first) and their label."""
    start = max(1, rounds - 5)
    label = f"round {rounds}" if start == rounds - 1 else f"rounds {start + 1}-{rounds}"
    return start, label


def _traveler_means(records: pl.DataFrame, start: int, stop: int) -> np.ndarray:
    """Each traveler's mean claim over rounds ``start..stop-1`` (0-based)."""
    rows = records.filter((pl.col("round") >= start) & (pl.col("round") < stop))
    return (rows.group_by(["instance", "agent"]).agg(pl.col("action").mean())["action"]
            .to_numpy().astype(np.float64))


def _humans(reward: float, low: int, high: int) -> str:
    from games.travelers_dilemma.findings import findings_for

    found = [f for f in findings_for(reward, low, high) if f.reward is not None]
    return "; ".join(f"{f.periods}: \"{f.quote}\"" for f in found) or "not transcribed"


def run(args: ExperimentArgs, cfg: PenaltyConfig | None = None) -> int:
    """Play every R and print the agents beside theory and the human statements."""
    import agora
    from agora.analysis.equilibria import benchmark
    from agora.analysis.symmetric_qre import fit_pooled_qre, qre_mean_action
    from agora.policies import QuantalResponsePolicy
    from games.travelers_dilemma.findings import CAPRA, findings_for

    cfg = cfg or config_for(args)
    agents = Agents(args)
    summary = Summary(name=NAME, args=args)
    rng = np.random.default_rng(args.seed)
    configs = {r: cfg.game(r) for r in cfg.rewards}
    claims: dict[float, np.ndarray] = {}
    rows: dict[float, tuple[Any, Any, float]] = {}
    start, final_label = final_rounds(cfg.rounds)
    try:
        for i, r in enumerate(cfg.rewards):
            policy = agents.llm(temperature=cfg.temperature, max_tokens=cfg.max_tokens,
                                stand_in=QuantalResponsePolicy(lam=cfg.stand_in_lam))
            res = agora.run(GAME, policy=policy, n_instances=cfg.sessions,
                            seed=args.seed + i, out=args.out / f"R{r:g}", resume=args.resume,
                            progress=not args.quiet, **configs[r])
            summary.record_run(f"R = {r:g}", res)
            summary.add_report(f"R = {r:g}", res, n_boot=cfg.n_boot)
            claims[r] = res.records["action"].to_numpy().astype(np.float64)
            first = column_estimate(_traveler_means(res.records, 0, 1), "first_round_claim",
                                    n_boot=cfg.n_boot, rng=rng)
            later = column_estimate(_traveler_means(res.records, start, cfg.rounds),
                                    "final_rounds_claim", n_boot=cfg.n_boot, rng=rng)
            rows[r] = (first, later, benchmark(GAME, configs[r]).equilibrium_action)
    finally:
        agents.close()
    lam = fit_pooled_qre(GAME, claims, configs, lam_max=cfg.lam_max, n_boot=cfg.n_boot,
                         rng=rng)
    t = summary.table(
        f"Traveler's dilemma, claims in [{cfg.low}, {cfg.high}], {cfg.sessions} session(s) of "
        f"{cfg.travelers} travelers per R, {cfg.rounds} rounds, random rematching: mean claim "
        f"by reward/penalty R",
        ["R", f"agents ({agents.label()}): round 1 [95% CI]",
         f"agents: {final_label} [95% CI]", "theory: Nash", f"theory: QRE at λ={fmt_est(lam)}",
         "humans (Capra et al. 1999, as read)"])
    for r in cfg.rewards:
        first, later, nash = rows[r]
        qre = qre_mean_action(GAME, configs[r], lam.value)
        t.add(fmt(r), fmt_est(first), fmt_est(later), fmt(nash), fmt(qre),
              _humans(r, cfg.low, cfg.high))
    means = np.array([claims[r].mean() for r in cfg.rewards])
    slope = float(np.polyfit(np.array(cfg.rewards), means, 1)[0]) if len(means) > 1 else math.nan
    direction = findings_for(None, cfg.low, cfg.high)
    t.add("all", f"slope of the mean claim on R: {fmt(slope)}", "",
          f"{cfg.low} for every R > 1", "decreasing in R",
          "; ".join(f"\"{f.quote}\"" for f in direction if f.reward is None))
    t.notes += [
        f"QRE: symmetric logit equilibrium σ = softmax(λ·U(σ)) of each R, U from the game's "
        f"payoff hook (agora.analysis.symmetric_qre); λ = {lam.value:.4g} maximises the "
        f"likelihood of every claim of every R, one λ for all R (log-likelihood "
        f"{lam.extra['loglik']:.1f}; interval: bootstrap within R).",
        "Confidence intervals: bootstrap over travelers (each traveler's mean claim in the "
        "rounds shown; travelers of one session are not independent).",
        f"Humans: {short_citation(CAPRA)} sessions (10 periods, random matching) as described "
        "by Goeree & Holt (1999, PNAS, Fig. 1 caption, PMC33741); their per-R averages are not "
        "transcribed, so only the quoted statements are shown; their 'final five periods' are "
        "periods 6-10 of 10.",
    ]
    summary.notes.append(agents.caveat(temperature=cfg.temperature))
    summary.write()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
