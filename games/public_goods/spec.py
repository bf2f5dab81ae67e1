"""Structured actions of the public goods game: punishment points and contribution tables."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agora.engine.structured import AllocationSpec


@dataclass(frozen=True, kw_only=True)
class PointsSpec(AllocationSpec):
    """Punishment points to each other group member, ``{"points": [p_1, ..., p_{n-1}]}``, in
    the order the members are shown; the recorded number is the total points assigned."""

    name: str = "points"
    description: str = "punishment points to each other member of your group, in order"

    def numeric(self, action: dict[str, Any]) -> float:
        return float(sum(action[self.name]))


@dataclass(frozen=True, kw_only=True)
class TableSpec(AllocationSpec):
    """Strategy-method answer ``{"contributions": [u, t_0, ..., t_e]}``: the unconditional
    contribution ``u``, then the contribution ``t_k`` if the others contribute ``k`` on
    average (rounded); the recorded number is ``u``."""

    name: str = "contributions"
    description: str = ("your unconditional contribution, then your contribution for each "
                        "rounded average contribution of the others 0, 1, 2, ...")

    def numeric(self, action: dict[str, Any]) -> float:
        return float(action[self.name][0])


def points_spec(group_size: int, max_points: int) -> PointsSpec:
    """The punishment spec of a group of ``group_size``."""
    others = group_size - 1
    return PointsSpec(counts=(max_points,) * others,
                      items=tuple(f"other member {k + 1}" for k in range(others)))


def table_spec(endowment: int) -> TableSpec:
    """The strategy-method spec for an endowment of ``endowment`` tokens."""
    items = ("unconditional", *tuple(f"if others average {k}" for k in range(endowment + 1)))
    return TableSpec(counts=(endowment,) * (endowment + 2), items=items)
