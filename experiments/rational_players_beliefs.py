"""Part 2 of the rational-players experiment: refining beliefs (rock-paper-scissors).

Each agent plays ``rps_rounds`` rounds against one patterned opponent (a scripted policy of
``games.rock_paper_scissors``, seated by role through :class:`ByRolePolicy`) and sees every
round's result. A rational player refines its belief about the pattern and exploits it. The
learning table gives the exploitation score (the expected payoff of the agent's move against
the opponent's distribution that round, as a share of the best response's) by block of rounds
and how many pairs beat the pattern for good, with the uniform equilibrium player (its exact
expected score: theory) and the scripted ``rps_best_responder`` beside the agents. A second
table sets the agents' conditional responses (stay / shift up / shift down after a win, tie or
loss) next to Wang, Xu & Zhou's (2014) subjects, who played other humans, not patterns.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from agora.engine.batch import DecisionBatch, Decisions
from agora.engine.policy import Policy
from agora.engine.streams import Streams
from experiments._common import column_estimate, fmt, fmt_share
from experiments.rational_players_desire import pct_est
from experiments.rational_players_scoring import block_means

if TYPE_CHECKING:
    from experiments.rational_players import Context, RationalConfig

GAME = "rock_paper_scissors"
PATTERN_NAMES = ("rps_constant_rock", "rps_cycle", "rps_copy", "rps_beat_last",
                 "rps_biased_rock", "rps_period4")
"""Opponents: constant, cycle, copy, beat-last, biased and period-k patterns (the seed paper's
kinds of patterns)."""


class PatternBlocks(Policy):
    """Opponents by instance: instances ``j * pairs .. (j + 1) * pairs - 1`` meet the ``j``-th
    pattern, so every pattern is played in one run (one batched LLM call per round)."""

    def __init__(self, names: tuple[str, ...], pairs: int) -> None:
        from games.rock_paper_scissors import POLICIES

        self.names, self.pairs = names, pairs
        self.policies = [POLICIES[n]() for n in names]
        self.name = "patterns(" + ",".join(names) + ")"

    def act(self, batch: DecisionBatch, rng: Streams) -> Decisions:
        from agora.engine.by_role import act_by_owner

        owner = np.asarray(batch.instances, dtype=np.int64) // self.pairs
        if owner.max(initial=0) >= len(self.policies):
            raise ValueError(f"instance beyond {len(self.policies)} x {self.pairs} pairs")
        return act_by_owner(batch, rng, owner, self.policies, names=list(self.names),
                            object_columns=True)

    def describe(self) -> dict[str, Any]:
        return {"kind": "pattern_blocks", "patterns": list(self.names), "pairs": self.pairs}


def match_scores(records: pl.DataFrame, *, win: float) -> pl.DataFrame:
    """The agents' decisions (role ``agent``) with their exploitation ``score`` against the
    opponent's recorded distribution and ``uniform``, the uniform equilibrium player's expected
    score against it ((win + tie + loss)/3 over the best attainable), sorted by instance and
    round."""
    from agora.analysis.response_patterns import exploitation_scores

    scored = exploitation_scores(records, win=win).filter(pl.col("role") == "agent")
    if scored.height != records.filter(pl.col("role") == "agent").height:
        raise ValueError("every agent decision needs its opponent's distribution (mixed_0..2)")
    return scored.with_columns(((win + 1.0) / 3.0 / pl.col("best")).alias("uniform")).sort(
        ["instance", "round"])


def _matrix(scored: pl.DataFrame, column: str, pattern: int, pairs: int) -> np.ndarray:
    """``(pairs, rounds)`` values of the pairs that met pattern ``pattern``."""
    f = scored.filter((pl.col("instance") // pairs) == pattern)
    return f[column].to_numpy().astype(np.float64).reshape(pairs, -1)


def run_beliefs(ctx: Context) -> None:
    """Play every pattern against the agents and the best responder; print both tables."""
    import agora
    from agora.engine.by_role import ByRolePolicy
    from agora.policies import RandomPolicy
    from games.rock_paper_scissors import PATTERNS, POLICIES, RPSConfig, human, theory

    cfg, args, rng = ctx.cfg, ctx.args, ctx.rng
    game = {"rounds": cfg.rps_rounds, "win": cfg.rps_win}
    rps = RPSConfig(**game)
    starts = list(range(1, cfg.rps_rounds + 1, cfg.rps_block))
    blocks = [f"rounds {s}-{min(s + cfg.rps_block - 1, cfg.rps_rounds)}" for s in starts]
    t = ctx.summary.table(
        f"Part 2, belief refinement: exploitation of patterned RPS opponents by block of "
        f"rounds (share of the best response's expected payoff, win {fmt(cfg.rps_win)}, tie 1, "
        f"loss 0) [95% CI]",
        ["pattern", "population", "pairs", *blocks, "beat it (pairs)",
         "median rounds to beat"])
    populations = {
        "agents": (f"agents: {ctx.agents.label()}", ctx.agents.llm(
            name="llm", stand_in=RandomPolicy(), temperature=cfg.temperature,
            max_tokens=cfg.max_tokens), cfg.rps_pairs),
        "best": ("scripted: rps_best_responder", POLICIES["rps_best_responder"](),
                 cfg.reference_pairs)}
    scored: dict[str, pl.DataFrame] = {}
    for i, (key, (_, agent, pairs)) in enumerate(populations.items()):
        policy = ByRolePolicy(agent=agent, opponent=PatternBlocks(PATTERN_NAMES, pairs))
        res = agora.run(GAME, policy=policy, n_instances=pairs * len(PATTERN_NAMES),
                        seed=args.seed + 100 + i, out=args.out / "beliefs" / key,
                        resume=args.resume, progress=not args.quiet and key == "agents",
                        **game)
        if key == "agents":
            ctx.summary.record_run("beliefs: RPS against patterns", res)
            ctx.summary.add_report("beliefs: RPS against patterns", res, n_boot=cfg.n_boot)
        scored[key] = match_scores(res.records, win=cfg.rps_win)
    for j, name in enumerate(PATTERN_NAMES):
        for key, (label, _, pairs) in populations.items():
            part = scored[key].filter((pl.col("instance") // pairs) == j)
            t.add(name, label, pairs, *_block_cells(_matrix(part, "score", j, pairs), cfg, rng),
                  *_beat_cells(part, cfg))
        uniform = _matrix(scored["agents"], "uniform", j, cfg.rps_pairs)
        t.add(name, "theory: uniform equilibrium player (expected)", "",
              *[fmt_share(v) for v in _block_values(uniform, cfg)], "never", "n/a")
    t.notes += [
        "Patterns: " + "; ".join(f"{n} ({PATTERNS[n].description})" for n in PATTERN_NAMES)
        + ".",
        "Score 1: the best response to the opponent's distribution that round; the uniform "
        f"equilibrium player expects (a + 1)/3 = {fmt(theory.equilibrium_payoff(rps))}"
        f" per round, i.e. (a + 1)/(3a) = {fmt((cfg.rps_win + 1) / (3 * cfg.rps_win))} of the "
        "maximum against a deterministic pattern. 95% CIs: percentile bootstrap over pairs.",
        f"Beat it: the pair's score stays >= {fmt(cfg.beat_threshold)} in every round from "
        "some round to the end (agora.analysis.response_patterns.rounds_to_beat, as in the "
        f"game's report), for at least {cfg.beat_min_rounds} final rounds (a lucky last round "
        "does not count); rounds to beat: rounds played before that, median over the pairs "
        "that did.",
        "Fan et al. (2024): LLMs fail to refine beliefs from many simple patterns.",
    ]
    _responses_table(ctx, scored, human.reference())


def _block_values(scores: np.ndarray, cfg: RationalConfig) -> list[float]:
    rounds = np.tile(np.arange(1, scores.shape[1] + 1), scores.shape[0])
    return list(block_means(scores.ravel(), rounds, cfg.rps_block).values())


def _block_cells(scores: np.ndarray, cfg: RationalConfig, rng: np.random.Generator
                 ) -> list[str]:
    cells = []
    for s in range(0, scores.shape[1], cfg.rps_block):
        per_pair = scores[:, s:s + cfg.rps_block].mean(axis=1)
        cells.append(pct_est(column_estimate(per_pair, "score", n_boot=cfg.n_boot, rng=rng)))
    return cells


def _beat_cells(scored: pl.DataFrame, cfg: RationalConfig) -> list[str]:
    from agora.analysis.response_patterns import rounds_to_beat

    beat = rounds_to_beat(scored, threshold=cfg.beat_threshold,
                          min_rounds=cfg.beat_min_rounds)
    done = beat["rounds_needed"].drop_nulls().to_numpy().astype(np.float64)
    n = scored.select(["instance", "seat"]).unique().height
    return [f"{done.size}/{n}", fmt(float(np.median(done))) if done.size else "n/a"]


def _responses_table(ctx: Context, scored: dict[str, pl.DataFrame],
                     ref: dict[str, Any]) -> None:
    from agora.analysis.response_patterns import OUTCOMES, RESPONSES, conditional_responses

    t = ctx.summary.table(
        "Part 2, conditional responses: stay / shift up / shift down after each outcome "
        "[95% CI]", ["population", "opponents", "after", "stay", "up", "down"])
    for key, label in (("agents", f"agents: {ctx.agents.label()}"),
                       ("best", "scripted: rps_best_responder")):
        c = conditional_responses(scored[key], n_boot=ctx.cfg.n_boot, rng=ctx.rng)
        for i, outcome in enumerate(OUTCOMES):
            t.add(label, "patterned opponents (pooled)", outcome, *[
                _ci(c.pooled[i, j], c.pooled_low[i, j], c.pooled_high[i, j])
                for j in range(len(RESPONSES))])
    who = f"humans: {ref['name']} ({ref['subjects']} subjects x {ref['periods']} periods)"
    for outcome in OUTCOMES:
        t.add(who, "other humans, random matching (not patterns)", outcome,
              *[fmt(ref["pooled"][outcome][r], 3) for r in RESPONSES])
    t.notes += [
        "Up: the move that beats one's last move; down: the move it beats; rates pooled over "
        "transitions (agora.analysis.response_patterns), CIs: bootstrap over pairs. Human "
        f"rows: {ref['source']}; win payoff a {ref['a_treatment']}. These subjects played "
        "each other, so their responses are context, not a benchmark for play against "
        "patterns; their lose-stay exceeds win-stay (the opposite of win-stay/lose-shift).",
    ]


def _ci(v: float, lo: float, hi: float) -> str:
    if not np.isfinite(v):
        return "n/a"
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return fmt(float(v), 3)
    return f"{fmt(float(v), 3)} [{fmt(float(lo), 3)}, {fmt(float(hi), 3)}]"
