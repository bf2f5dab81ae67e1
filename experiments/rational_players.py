"""Can LLMs serve as rational players? The three-part test of Fan, Chen, Jin & He (AAAI 2024).

Rationality in three parts, one game each (arXiv 2312.05488):

1. **Desire** (dictator game): a dictator told a preference (self-interest, equality,
   altruism, or the uncommon two-to-one split for the other) should allocate as that preference
   implies; table: share of consistent allocations per preference with bootstrap CIs beside the
   implied allocation (theory), scripted dictators and human dictators' revealed choices.
2. **Belief refinement** (rock-paper-scissors against patterned opponents): an agent that
   learns a pattern exploits it; table: exploitation score by block of rounds and rounds to beat
   each pattern, beside the uniform equilibrium player (theory) and the scripted best responder,
   and the Wang-Xu-Zhou conditional-response statistics (humans against humans, not patterns).
3. **Acting on beliefs** (Kneeland's ring-network game) with implicit, explicit and given
   beliefs; table: share at the iterated-dominance action by position, R0-R4 orders with CIs,
   belief accuracy and best response to the stated belief, beside Kneeland's human shares and
   scripted R-type players.

    python -m experiments.rational_players             # default size (embedded model, ~7 min
                                                       # of 2 idle cores; every part batches
                                                       # its agents into one call per round)
    python -m experiments.rational_players --n 10      # 10 agents per cell
    python -m experiments.rational_players --smoke --agents scripted
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from experiments._common import Agents, ExperimentArgs, Summary, experiment_main

NAME = "rational_players"


@dataclass(frozen=True, kw_only=True)
class RationalConfig:
    """Settings of the three-part test.

    Attributes:
        dictators: Dictators per stated preference (``--n``).
        endowment: Dictator's endowment (12: the two-to-one split is a whole amount).
        reference_dictators: Dictators of each scripted reference.
        rps_pairs: Agent-opponent pairs per RPS pattern (``--n``).
        reference_pairs: Pairs per pattern of the scripted best responder.
        rps_rounds: Rounds of each RPS match.
        rps_block: Rounds per block of the learning table.
        rps_win: RPS payoff of a win (Wang, Xu & Zhou's a; tie 1, loss 0).
        beat_threshold: Exploitation score a pair must keep in every later round to have
            beaten its pattern (0.95, as the game's report uses).
        beat_min_rounds: Final rounds the score must hold to count as beating the pattern.
        ring_subjects: Ring-network subjects per belief mode (``--n``; four per instance).
        reference_ring_subjects: Subjects of each scripted ``ring_rk`` reference.
        ring_games: Ring games played (each in all four positions): two base games and their
            transformed versions keep the run short and still separate R0-R4.
        ring_max_tokens: Answer budget in the ring game (the explicit mode answers a belief
            and an action).
        temperature: LLM sampling temperature.
        max_tokens: Answer budget.
        baseline: Human dictator baseline (packaged name) of the revealed-preference row.
        n_boot: Bootstrap replicates.
    """

    dictators: int = 20
    endowment: float = 12.0
    reference_dictators: int = 20
    rps_pairs: int = 2
    reference_pairs: int = 20
    rps_rounds: int = 15
    rps_block: int = 5
    rps_win: float = 2.0
    beat_threshold: float = 0.95
    beat_min_rounds: int = 3
    ring_subjects: int = 4
    reference_ring_subjects: int = 20
    ring_max_tokens: int = 24
    ring_games: tuple[str, ...] = ("G1", "G2", "T1", "T2")
    temperature: float = 0.7
    max_tokens: int = 16
    baseline: str = "engel2011_dictator"
    n_boot: int = 200

    def __post_init__(self) -> None:
        for name in ("dictators", "reference_dictators", "rps_pairs", "reference_pairs",
                     "ring_subjects", "reference_ring_subjects"):
            v = getattr(self, name)
            if not isinstance(v, int) or v < 2:
                raise ValueError(f"{name} must be an integer >= 2, got {v!r}")
        if not (math.isfinite(self.endowment) and self.endowment > 0
                and float(self.endowment).is_integer()):
            raise ValueError(f"endowment must be a whole amount > 0, got {self.endowment}")
        if self.rps_rounds < 2 or self.rps_block < 1 or \
                not 1 <= self.beat_min_rounds <= self.rps_rounds:
            raise ValueError("rps_rounds must be >= 2, rps_block >= 1 and beat_min_rounds in "
                             "[1, rps_rounds]")
        if not 0 < self.beat_threshold <= 1:
            raise ValueError(f"beat_threshold must be in (0, 1], got {self.beat_threshold}")
        if self.rps_win <= 1:
            raise ValueError(f"rps_win must be > 1, got {self.rps_win}")
        if not (math.isfinite(self.temperature) and self.temperature >= 0):
            raise ValueError(f"temperature must be >= 0, got {self.temperature}")
        if self.n_boot < 0:
            raise ValueError(f"n_boot must be >= 0, got {self.n_boot}")


SMOKE = RationalConfig(dictators=4, reference_dictators=4, rps_pairs=2, reference_pairs=4,
                       rps_rounds=10, ring_subjects=4, reference_ring_subjects=4, n_boot=20)


def config_for(args: ExperimentArgs) -> RationalConfig:
    """The config the flags select (``--n`` sets every per-cell count)."""
    cfg = SMOKE if args.smoke else RationalConfig()
    if args.n is not None:
        if args.n < 2:
            raise ValueError(f"--n must be >= 2 (agents per cell), got {args.n}")
        cfg = replace(cfg, dictators=args.n, rps_pairs=args.n, ring_subjects=args.n)
    return cfg


@dataclass
class Context:
    """What every part needs: flags, settings, agents, the summary and one generator."""

    args: ExperimentArgs
    cfg: RationalConfig
    agents: Agents
    summary: Summary
    rng: np.random.Generator


def main(argv: Sequence[str] | None = None) -> int:
    """Run the experiment; returns the exit status."""
    return experiment_main(NAME, __doc__.splitlines()[0], argv=argv, run=run,
                           n_help="agents per cell: dictators per preference, RPS pairs per "
                                  "pattern, ring subjects per belief mode (rounded up to a "
                                  "multiple of 4); default 20 / 2 / 4")


def run(args: ExperimentArgs, cfg: RationalConfig | None = None) -> int:
    """Play the three parts and print their tables."""
    from experiments.rational_players_beliefs import run_beliefs
    from experiments.rational_players_desire import run_desire
    from experiments.rational_players_ring import run_ring

    cfg = cfg or config_for(args)
    ctx = Context(args=args, cfg=cfg, agents=Agents(args), summary=Summary(name=NAME, args=args),
                  rng=np.random.default_rng(args.seed))
    try:
        run_desire(ctx)
        run_beliefs(ctx)
        run_ring(ctx)
    finally:
        ctx.agents.close()
    ctx.summary.notes.append(
        "Fan, Chen, Jin & He (2024), 'Can Large Language Models Serve as Rational Players in "
        "Game Theory?', AAAI (arXiv 2312.05488): a rationality test, not a human-matching "
        "one; human rows are context (Engel 2011; Wang, Xu & Zhou 2014; Kneeland 2015).")
    ctx.summary.notes.append(ctx.agents.caveat(temperature=cfg.temperature))
    ctx.summary.write()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
