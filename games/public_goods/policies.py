"""Scripted public goods players (policy kinds of run specs): they read the decision view.

* ``pg_free_rider``: contributes 0, punishes no one, table all zeros.
* ``pg_cooperator``: contributes the whole endowment unconditionally, punishes no one.
* ``pg_conditional``: contributes ``slope`` times the others' previous average (``first``
  times the endowment in round 1); its table matches the others' average.
* ``pg_hump``: triangle contributor: matches the others' average up to half the endowment and
  gives ``e - average`` above it (Fischbacher, Gächter & Fehr 2001's "hump-shaped").
* ``pg_punisher``: contributes like ``pg_conditional`` and gives ``rate`` points per token a
  member contributed below the punisher's own contribution (at most the game's maximum).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from agora.engine.batch import DecisionBatch, Decisions
from agora.engine.policy import Policy
from agora.engine.streams import Streams

CONTRIBUTE, PUNISH, TABLE = 0, 1, 2


def _check(name: str, field: str, value: Any, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) \
            or not low <= value <= high:
        raise ValueError(f"{name}: {field} must be a number in [{low:g}, {high:g}], "
                         f"got {value!r}")
    return float(value)


class ContributionRule(Policy):
    """Base: a contribution rule ``f(others' average)`` with a first-round share; no
    punishment unless :meth:`points` says otherwise."""

    kind = "pg_rule"

    def rule(self, others: np.ndarray, e: int) -> np.ndarray:
        raise NotImplementedError

    def first(self, e: int) -> float:
        return float(self.rule(np.array([e / 2]), e)[0])

    def points(self, own: np.ndarray, others: np.ndarray, top: int) -> np.ndarray:
        return np.zeros_like(others, dtype=np.int64)

    def act(self, batch: DecisionBatch, rng: Streams) -> Decisions:
        view = batch.view()
        e = view.config.endowment
        out = []
        for i in range(len(view)):
            code = int(view.codes[i])
            if code == PUNISH:
                pts = self.points(view.own_current[i:i + 1], view.others_current[i:i + 1],
                                  view.config.max_points)[0]
                out.append({"points": [int(x) for x in pts]})
            elif code == TABLE:
                table = self.rule(np.arange(e + 1, dtype=np.float64), e)
                vals = [self.first(e), *table]
                out.append({"contributions": [int(np.clip(round(v), 0, e)) for v in vals]})
            else:
                last = view.last_others_mean[i]
                c = self.first(e) if np.isnan(last) else float(self.rule(np.array([last]), e)[0])
                out.append({"contribution": float(np.clip(round(c), 0, e))})
        return Decisions(actions=view.validated(out))

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind}


class FreeRider(ContributionRule):
    """Contributes nothing."""

    kind = name = "pg_free_rider"

    def rule(self, others: np.ndarray, e: int) -> np.ndarray:
        return np.zeros_like(others)


class Cooperator(ContributionRule):
    """Contributes the whole endowment whatever the others do."""

    kind = name = "pg_cooperator"

    def rule(self, others: np.ndarray, e: int) -> np.ndarray:
        return np.full_like(others, float(e))


class ConditionalCooperator(ContributionRule):
    """Matches ``slope`` times the others' previous average; ``first`` of e in round 1."""

    kind = "pg_conditional"

    def __init__(self, slope: float = 1.0, first: float = 0.5) -> None:
        self.slope = _check(self.kind, "slope", slope, 0.0, 1.0)
        self.first_share = _check(self.kind, "first", first, 0.0, 1.0)
        self.name = f"{self.kind}({self.slope:g},{self.first_share:g})"

    def rule(self, others: np.ndarray, e: int) -> np.ndarray:
        return self.slope * others

    def first(self, e: int) -> float:
        return self.first_share * e

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "slope": self.slope, "first": self.first_share}


class Hump(ContributionRule):
    """Triangle contributor: ``min(average, e - average)``."""

    kind = name = "pg_hump"

    def rule(self, others: np.ndarray, e: int) -> np.ndarray:
        return np.minimum(others, e - others)


class Punisher(ConditionalCooperator):
    """Conditional cooperator who punishes members contributing less than itself."""

    kind = "pg_punisher"

    def __init__(self, slope: float = 1.0, first: float = 1.0, rate: float = 0.5) -> None:
        super().__init__(slope, first)
        self.rate = _check(self.kind, "rate", rate, 0.0, 10.0)
        self.name = f"{self.kind}({self.slope:g},{self.first_share:g},{self.rate:g})"

    def points(self, own: np.ndarray, others: np.ndarray, top: int) -> np.ndarray:
        gap = np.maximum(own[:, None] - others, 0.0)
        return np.clip(np.ceil(self.rate * gap - 1e-9), 0, top).astype(np.int64)

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "kind": self.kind, "rate": self.rate}


POLICIES = {"pg_free_rider": FreeRider, "pg_cooperator": Cooperator,
            "pg_conditional": ConditionalCooperator, "pg_hump": Hump,
            "pg_punisher": Punisher}
"""Scripted players this game ships, by policy kind."""
