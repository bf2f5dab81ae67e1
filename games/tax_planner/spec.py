"""The planner's action: one marginal rate per bracket, in percent, within the change cap."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np

from agora.engine.action_spec import InvalidActionError
from agora.engine.structured import StructuredSpec


def rate_field(k: int) -> str:
    """JSON field of bracket ``k`` (0-based): ``rate_1``, ``rate_2``, ..."""
    return f"rate_{k + 1}"


@dataclass(frozen=True, kw_only=True)
class ScheduleSpec(StructuredSpec):
    """A tax schedule ``{"rate_1": p1, ..., "rate_B": pB}`` with ``lows[k] <= pk <= highs[k]``.

    Rates are percentages. The bounds hold the per-update change cap (the last rate ± the cap,
    within [0, 100]), so a constrained LLM cannot propose an illegal schedule.
    ``from_space`` projects a value of any wider ``Dict`` of the same fields (the slot's
    [0, 100] action space) onto these bounds.
    """

    name: str = "schedule"
    description: str = "marginal tax rate of each bracket, in percent"
    lows: tuple[float, ...] = (0.0,)
    highs: tuple[float, ...] = (100.0,)
    labels: tuple[str, ...] = ()
    """Per-bracket descriptions for the schema (e.g. "income $0 to $11,925")."""
    message_max: int = 0

    def __post_init__(self) -> None:
        if not self.lows or len(self.lows) != len(self.highs):
            raise ValueError("ScheduleSpec: lows and highs need one entry per bracket")
        for lo, hi in zip(self.lows, self.highs, strict=True):
            if not (math.isfinite(lo) and math.isfinite(hi) and 0 <= lo <= hi <= 100):
                raise ValueError(f"ScheduleSpec: bounds must satisfy 0 <= low <= high <= 100, "
                                 f"got [{lo}, {hi}]")
        if self.labels and len(self.labels) != len(self.lows):
            raise ValueError("ScheduleSpec: labels need one entry per bracket")
        if self.message_max != 0:
            raise ValueError("ScheduleSpec: schedules carry no message")

    @property
    def n_brackets(self) -> int:
        """Number of rates."""
        return len(self.lows)

    def _fields_schema(self) -> dict[str, dict[str, Any]]:
        out = {}
        for k, (lo, hi) in enumerate(zip(self.lows, self.highs, strict=True)):
            label = self.labels[k] if self.labels else f"bracket {k + 1}"
            out[rate_field(k)] = {"type": "number", "minimum": _num(lo), "maximum": _num(hi),
                                  "description": f"marginal rate in percent, {label}"}
        return out

    def _validate_fields(self, obj: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, (lo, hi) in enumerate(zip(self.lows, self.highs, strict=True)):
            key = rate_field(k)
            if key not in obj:
                raise InvalidActionError(f"answer has no field {key!r}")
            v = obj[key]
            if isinstance(v, bool) or not isinstance(v, int | float):
                raise InvalidActionError(f"{key} must be a number, got {v!r}")
            x = float(v)
            if not math.isfinite(x) or x < lo - 1e-9 or x > hi + 1e-9:
                raise InvalidActionError(f"{key}={v!r} is outside [{_num(lo)}, {_num(hi)}]")
            out[key] = min(max(x, lo), hi)
        return out

    def _sample_one(self, rng: np.random.Generator, extreme: bool) -> dict[str, Any]:
        lo, hi = np.asarray(self.lows), np.asarray(self.highs)
        x = np.where(rng.random(lo.size) < 0.5, lo, hi) if extreme else rng.uniform(lo, hi)
        return {rate_field(k): float(v) for k, v in enumerate(x)}

    def _fields_space(self) -> dict[str, gym.Space[Any]]:
        return {rate_field(k): gym.spaces.Box(low=lo, high=hi, shape=(1,), dtype=np.float64)
                for k, (lo, hi) in enumerate(zip(self.lows, self.highs, strict=True))}

    def _from_space_fields(self, sample: dict[str, Any]) -> dict[str, Any]:
        return {rate_field(k): float(np.clip(np.asarray(sample[rate_field(k)]).reshape(-1)[0],
                                             lo, hi))
                for k, (lo, hi) in enumerate(zip(self.lows, self.highs, strict=True))}

    def rates(self, action: dict[str, Any]) -> np.ndarray:
        """The action as rates in [0, 1]."""
        return np.array([float(action[rate_field(k)]) for k in range(self.n_brackets)]) / 100

    def action(self, rates: np.ndarray) -> dict[str, Any]:
        """The legal action closest to ``rates`` (fractions), clipped to the bounds."""
        pct = np.clip(np.asarray(rates, dtype=np.float64) * 100, self.lows, self.highs)
        return {rate_field(k): float(v) for k, v in enumerate(pct)}

    def illegal_examples(self) -> list[dict[str, Any]]:
        legal = self._sample_one(np.random.default_rng(0), extreme=False)
        first = rate_field(0)
        return [{**legal, first: self.highs[0] + 1}, {**legal, first: self.lows[0] - 1},
                {**legal, first: "x"}, {}]


def _num(v: float) -> int | float:
    return int(v) if float(v).is_integer() else float(v)
