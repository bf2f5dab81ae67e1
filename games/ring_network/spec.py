"""The structured action of a ring-network decision: an action 1-3, with the belief first in
the explicit-belief mode.

Actions are ``{"action": a}`` or ``{"belief": b, "action": a}`` with whole numbers 1 to 3 (the
belief is the action the agent expects the next player down the ring to choose). The recorded
number is the action; the kernel records the belief in its own ``belief`` column.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np

from agora.engine.action_spec import InvalidActionError
from agora.engine.structured import StructuredSpec

N_ACTIONS = 3


def _whole(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value) \
            or not 1 <= value <= N_ACTIONS:
        raise InvalidActionError(f"{field} must be a whole number from 1 to {N_ACTIONS}, "
                                 f"got {value!r}")
    return int(value)


@dataclass(frozen=True, kw_only=True)
class RingActionSpec(StructuredSpec):
    """One ring-network decision; ``with_belief``: the answer states the belief first."""

    name: str = "action"
    description: str = "your action (1, 2 or 3)"
    with_belief: bool = False
    belief_description: str = "the action (1, 2 or 3) you expect the next player to choose"
    message_max: int = 0

    def _fields_schema(self) -> dict[str, dict[str, Any]]:
        whole = {"type": "integer", "minimum": 1, "maximum": N_ACTIONS}
        out: dict[str, dict[str, Any]] = {}
        if self.with_belief:
            out["belief"] = {**whole, "description": self.belief_description}
        out[self.name] = {**whole, "description": self.description}
        return out

    def _validate_fields(self, obj: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.with_belief:
            out["belief"] = _whole(obj.get("belief"), "belief")
        out[self.name] = _whole(obj.get(self.name), self.name)
        return out

    def _sample_one(self, rng: np.random.Generator, extreme: bool) -> dict[str, Any]:
        lo_hi = (1, N_ACTIONS)
        draw = (lambda: lo_hi[int(rng.integers(2))]) if extreme else (
            lambda: int(rng.integers(1, N_ACTIONS + 1)))
        out: dict[str, Any] = {}
        if self.with_belief:
            out["belief"] = draw()
        out[self.name] = draw()
        return out

    def _fields_space(self) -> dict[str, gym.Space[Any]]:
        out: dict[str, gym.Space[Any]] = {}
        if self.with_belief:
            out["belief"] = gym.spaces.Discrete(N_ACTIONS, start=1)
        out[self.name] = gym.spaces.Discrete(N_ACTIONS, start=1)
        return out

    def _from_space_fields(self, sample: dict[str, Any]) -> dict[str, Any]:
        return self._validate_fields({k: int(sample[k]) for k in self._fields_space()})

    def numeric(self, action: dict[str, Any]) -> float:
        """The action (1-3)."""
        return float(action[self.name])

    def belief(self, action: dict[str, Any]) -> float:
        """The stated belief (1-3), NaN without one."""
        return float(action["belief"]) if self.with_belief else float("nan")

    def make(self, action: int, belief: int) -> dict[str, Any]:
        """The canonical action for 0-based ``action`` and ``belief`` (belief dropped without
        a belief field)."""
        out: dict[str, Any] = {"belief": int(belief) + 1} if self.with_belief else {}
        out[self.name] = int(action) + 1
        return out

    def illegal_examples(self) -> list[dict[str, Any]]:
        bad = [{self.name: 0}, {self.name: N_ACTIONS + 1}, {self.name: "x"}, {}]
        if self.with_belief:
            bad = [{**b, "belief": 1} for b in bad] + [{"belief": 4, self.name: 1}]
        return bad
