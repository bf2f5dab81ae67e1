"""Analysis hooks of rock-paper-scissors (see :class:`agora.engine.contract.GameHooks`).

* :meth:`RPSHooks.benchmark`: the uniform mixed equilibrium (its support, all three moves, as
  the benchmark's equilibria; its payoff (a + 1)/3 in the notes).
* :meth:`RPSHooks.payoffs`: payoffs of a round's moves in player order: with fixed pairs (or
  two players) player j meets j xor 1; under random rematching a move's payoff is its expected
  payoff against a uniformly random partner among the others (the pairing is drawn after the
  moves, independently of them), as in the traveler's dilemma.
* :meth:`RPSHooks.analyses`: the conditional-response table next to Wang, Xu & Zhou's (2014)
  statistics (:mod:`games.rock_paper_scissors.human`) and, where partners are scripted
  patterns, the exploitation score by round and the rounds needed to beat the pattern.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from agora.engine.contract import AnalysisSpec, Benchmark, GameHooks
from games.rock_paper_scissors import human, theory
from games.rock_paper_scissors.config import RPSConfig

LABELS = ("rock", "paper", "scissors")


class RPSHooks(GameHooks):
    """Benchmark, payoffs and report analyses of rock-paper-scissors."""

    def benchmark(self, game: str, config: Any, *, tau: float = 1.5,
                  k_max: int = 6) -> Benchmark | None:
        """The uniform mixed equilibrium (no level-k or CH steps: every move is a best
        response to uniform level-0 play)."""
        return Benchmark(game=game, equilibrium_action=theory.equilibrium_action(config),
                         equilibria=(0.0, 1.0, 2.0), level0_mean=1.0,
                         notes=theory.benchmark_notes(config))

    def payoffs(self, config: RPSConfig, profile: np.ndarray) -> np.ndarray:
        """Each player's payoff of a round's moves ``(..., players)`` (see the module)."""
        x = np.asarray(profile, dtype=np.float64)
        n = x.shape[-1]
        if n < 2 or n % 2:
            raise ValueError(f"rock_paper_scissors: a profile holds an even number of moves, "
                             f"got {n}")
        if n == 2 or config.paired:
            return theory.payoffs(config, x, x[..., np.arange(n) ^ 1])
        total = np.zeros(np.shape(x))
        for j in range(n):
            total += theory.payoffs(config, x, x[..., j:j + 1])
        return (total - 1.0) / (n - 1)  # less the tie (1) against oneself

    def analyses(self, config: RPSConfig) -> tuple[AnalysisSpec, ...]:
        """Conditional responses against the human reference; exploitation of patterns."""
        cyclic = {"labels": LABELS, "win": config.win, "tie": 1.0, "loss": 0.0,
                  "move": "action", "other": "other_move"}
        specs = [AnalysisSpec("conditional_responses", {**cyclic, "human": human.reference()})]
        if config.rounds > 1:
            specs.append(AnalysisSpec("exploitation_by_round", {
                **cyclic, "seat": "seat", "partner": "partner",
                "mixed": ("mixed_0", "mixed_1", "mixed_2"), "threshold": 0.95,
                "min_rounds": min(3, config.rounds)}))
        return tuple(specs)


HOOKS = RPSHooks(theory)
