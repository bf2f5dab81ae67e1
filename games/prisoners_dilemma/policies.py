"""The repeated-game strategies of :mod:`games.prisoners_dilemma.strategies` as policy kinds.

Each reads the decision view (own and partner's executed moves in the current supergame),
never the kernel, and plays the strategy's intended move.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from agora.engine.batch import DecisionBatch, Decisions
from agora.engine.policy import Policy
from agora.engine.streams import Streams
from games.prisoners_dilemma.strategies import NAMES, STRATEGIES


class StrategyPolicy(Policy):
    """Plays one named strategy of :data:`~games.prisoners_dilemma.strategies.STRATEGIES`."""

    def __init__(self, strategy: str) -> None:
        if strategy not in STRATEGIES:
            raise ValueError(f"prisoners_dilemma: unknown strategy {strategy!r}; known: "
                             f"{', '.join(STRATEGIES)}")
        self.strategy = strategy
        self.name = NAMES[strategy]

    def act(self, batch: DecisionBatch, rng: Streams) -> Decisions:
        view = batch.view()
        out = np.zeros(len(view), dtype=np.float64)
        fn = STRATEGIES[self.strategy]
        for t in np.unique(view.length):
            rows = np.flatnonzero(view.length == t)
            out[rows] = fn(view.own[rows, :t], view.other[rows, :t])
        return Decisions(actions=out)

    def describe(self) -> dict[str, Any]:
        return {"kind": self.strategy}


def _factory(strategy: str) -> Callable[[], StrategyPolicy]:
    def make() -> StrategyPolicy:
        return StrategyPolicy(strategy)
    make.__doc__ = STRATEGIES[strategy].__doc__
    return make


POLICIES: dict[str, Callable[[], StrategyPolicy]] = {k: _factory(k) for k in STRATEGIES}
"""Policy kinds (``allc``, ``alld``, ``tft``, ...) this game ships."""
