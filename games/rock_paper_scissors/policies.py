"""Scripted rock-paper-scissors players (policy kinds ``rps_*``).

Every player reads the decision view (own and partner's moves so far), never the kernel, and
records the distribution it played from as columns ``mixed_0``, ``mixed_1``, ``mixed_2``
(rock, paper, scissors; one-hot for deterministic play), which the analysis uses to score the
partner's moves by their expected payoff. Random draws come from the run's keyed streams only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from agora.engine.batch import DecisionBatch, Decisions
from agora.engine.policy import Policy
from agora.engine.streams import Streams
from games.rock_paper_scissors import theory
from games.rock_paper_scissors.learner import predict
from games.rock_paper_scissors.patterns import PATTERNS, Rule, make_rule, one_hot


def _decide(probs: np.ndarray, rng: Streams, n: int) -> np.ndarray:
    """A move per row drawn from ``probs`` (one uniform draw per decision)."""
    if not n:
        return np.zeros(0)
    return Streams.coerce(rng, n).choice(3, p=probs).astype(np.float64)


def _columns(probs: np.ndarray) -> dict[str, np.ndarray]:
    return {f"mixed_{m}": probs[:, m].astype(np.float64) for m in range(3)}


def _by_length(batch: DecisionBatch, fn: Callable[[np.ndarray, np.ndarray], np.ndarray],
               ) -> np.ndarray:
    """``fn(own, other)`` on the view's histories, grouped by history length."""
    view = batch.view()
    out = np.zeros((len(view), 3))
    for t in np.unique(view.length):
        rows = np.flatnonzero(view.length == t)
        out[rows] = fn(view.own[rows, :t], view.other[rows, :t])
    return out


class PatternPolicy(Policy):
    """Plays a pattern rule (:mod:`games.rock_paper_scissors.patterns`)."""

    def __init__(self, kind: str, name: str | None = None, **params: Any) -> None:
        self.rule: Rule = make_rule(kind, **params)
        self.kind, self.params = kind, params
        self.name = name or f"rps_{kind}"

    def act(self, batch: DecisionBatch, rng: Streams) -> Decisions:
        probs = _by_length(batch, self.rule)
        return Decisions(actions=_decide(probs, rng, len(batch)), columns=_columns(probs))

    def describe(self) -> dict[str, Any]:
        if self.name in PATTERNS:
            return {"kind": self.name}
        return {"kind": self.name, **{k: list(v) if isinstance(v, tuple) else v
                                      for k, v in self.params.items()}}


class BestResponder(Policy):
    """Best-responds to its prediction of the partner's next move
    (:func:`games.rock_paper_scissors.learner.predict`)."""

    def __init__(self, max_period: int = 8, window: int = 20) -> None:
        for key, v, low in (("max_period", max_period, 1), ("window", window, 2)):
            if isinstance(v, bool) or not isinstance(v, int) or not low <= v <= 1000:
                raise ValueError(f"rps_best_responder: {key} must be an integer in "
                                 f"[{low}, 1000], got {v!r}")
        self.max_period, self.window = max_period, window
        self.name = "rps_best_responder"

    def act(self, batch: DecisionBatch, rng: Streams) -> Decisions:
        belief = _by_length(batch, lambda o, p: predict(o, p, max_period=self.max_period,
                                                        window=self.window))
        moves = theory.best_response(batch.config, belief)
        return Decisions(actions=moves.astype(np.float64), columns=_columns(one_hot(moves)))

    def describe(self) -> dict[str, Any]:
        return {"kind": self.name, "max_period": self.max_period, "window": self.window}


def _named(name: str) -> Callable[[], PatternPolicy]:
    pattern = PATTERNS[name]

    def make() -> PatternPolicy:
        return PatternPolicy(pattern.kind, name=name, **pattern.params)
    make.__doc__ = f"{name}: {pattern.description}."
    return make


def constant(move: str | int = "rock") -> PatternPolicy:
    """``rps_constant``: always ``move`` (rock, paper or scissors)."""
    return PatternPolicy("constant", name="rps_constant", move=move)


def sequence(moves: str | Sequence[str | int] = "RPS") -> PatternPolicy:
    """``rps_sequence``: repeats ``moves`` (letters R/P/S, e.g. ``"RRPS"``: period 4)."""
    return PatternPolicy("sequence", name="rps_sequence", moves=moves)


def react(shift: int = 0, first: str | int = "rock") -> PatternPolicy:
    """``rps_react``: ``first``, then the partner's last move shifted ``shift`` steps up the
    cycle (0 copy, 1 beat it, 2 lose to it)."""
    return PatternPolicy("react", name="rps_react", first=first, shift=shift)


def biased(probs: Sequence[float] = (0.5, 0.25, 0.25)) -> PatternPolicy:
    """``rps_biased``: rock, paper, scissors with fixed probabilities ``probs``."""
    return PatternPolicy("mixture", name="rps_biased", probs=tuple(probs))


POLICIES: dict[str, Callable[..., Policy]] = {
    **{name: _named(name) for name in PATTERNS},
    "rps_constant": constant, "rps_sequence": sequence, "rps_react": react,
    "rps_biased": biased, "rps_best_responder": BestResponder,
}
"""Policy kinds this game ships: every named pattern of :data:`PATTERNS`, the parametrised
families ``rps_constant`` (move), ``rps_sequence`` (moves), ``rps_react`` (shift, first),
``rps_biased`` (probs), and the learner ``rps_best_responder``."""
