"""Action specifications: the contract between a game, its policies and LLM constraints.

An :class:`ActionSpec` bundles the gymnasium space of one agent's action with the same set
described as a JSON schema (and, for discrete sets, an explicit choice list and a regex), so an
LLM backend can constrain generation to exactly the legal actions and ``validate`` can turn a
parsed value back into an action with a clear error when it is illegal.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import gymnasium as gym
import numpy as np

if TYPE_CHECKING:
    from agora.engine.streams import Streams


class InvalidActionError(ValueError):
    """Raised when a value is not a legal action for an :class:`ActionSpec`."""


@dataclass(frozen=True, kw_only=True)
class ActionSpec:
    """Legal actions of one agent at one decision.

    Attributes:
        name: Name of the JSON field the answer goes in (e.g. ``"guess"``).
        description: One-line description used in prompts ("your guess").
        low: Smallest legal value.
        high: Largest legal value.
        integer: Whether only integers are legal.
        step: Grid step for discrete non-integer sets (e.g. 0.5 dollars); ``None`` if continuous.
        unit: Unit shown in prompts (e.g. "$"), purely descriptive.
    """

    name: str
    description: str
    low: float
    high: float
    integer: bool = False
    step: float | None = None
    unit: str = ""
    _choices: np.ndarray | None = field(default=None, init=False, repr=False, compare=False)
    _enum: tuple[int | float, ...] | None = field(default=None, init=False, repr=False,
                                                  compare=False)
    is_structured: ClassVar[bool] = False
    """Numeric spec: actions are floats (see :mod:`agora.engine.structured` for the others)."""

    def __post_init__(self) -> None:
        if not self.name.isidentifier():
            raise ValueError(f"ActionSpec.name must be an identifier, got {self.name!r}")
        if not (math.isfinite(self.low) and math.isfinite(self.high)):
            raise ValueError(f"ActionSpec bounds must be finite, got [{self.low}, {self.high}]")
        if self.low > self.high:
            raise ValueError(f"ActionSpec.low ({self.low}) must be <= high ({self.high})")
        if self.step is not None and not self.step > 0:
            raise ValueError(f"ActionSpec.step must be > 0, got {self.step}")
        if self.integer and (self.low != int(self.low) or self.high != int(self.high)):
            raise ValueError("integer ActionSpec needs integer bounds")

    # ----------------------------------------------------------------- discrete view
    @property
    def is_discrete(self) -> bool:
        """True when the legal set is finite (integers or a stepped grid)."""
        return self.integer or self.step is not None

    def choices(self) -> np.ndarray:
        """All legal values of a discrete spec, ascending (computed once, read-only)."""
        if self._choices is None:
            values = self.choices_at(np.arange(self.n_choices()))
            values.setflags(write=False)
            object.__setattr__(self, "_choices", values)
        return self._choices  # type: ignore[return-value]

    def n_choices(self) -> int:
        """Number of legal values of a discrete spec (without listing them)."""
        if not self.is_discrete:
            raise ValueError(f"action {self.name!r} is continuous; it has no finite choice list")
        if self.integer and self.step is None:
            return int(self.high) - int(self.low) + 1
        step = float(self.step if self.step is not None else 1.0)
        return math.floor((self.high - self.low) / step + 1e-9) + 1

    def choices_at(self, index: np.ndarray) -> np.ndarray:
        """The legal values at positions ``index`` of :meth:`choices`, without listing them all."""
        if not self.is_discrete:
            raise ValueError(f"action {self.name!r} is continuous; it has no finite choice list")
        k = np.asarray(index, dtype=np.int64)
        if self.integer and self.step is None:
            return (int(self.low) + k).astype(np.float64)
        step = float(self.step if self.step is not None else 1.0)
        return np.round(self.low + step * k, 10)

    # ----------------------------------------------------------------- spaces / schemas
    def space(self) -> gym.Space[Any]:
        """The gymnasium space: ``Discrete`` over choices for discrete specs, else ``Box``."""
        if self.is_discrete:
            if self.integer and self.step is None:
                return gym.spaces.Discrete(int(self.high - self.low) + 1, start=int(self.low))
            return gym.spaces.Discrete(self.n_choices())
        return gym.spaces.Box(low=self.low, high=self.high, shape=(1,), dtype=np.float64)

    def from_space(self, sample: Any) -> float:
        """Map a value of :meth:`space` (e.g. a sampled index) to the action value."""
        if self.is_discrete and not (self.integer and self.step is None):
            return float(self.choices()[int(sample)])
        return float(np.asarray(sample).reshape(-1)[0])

    def json_schema(self) -> dict[str, Any]:
        """JSON schema of the answer object ``{name: value}``."""
        value: dict[str, Any]
        if self.is_discrete and not self.integer:
            if self._enum is None:  # built once: validating structured answers asks for it
                object.__setattr__(self, "_enum", tuple(_num(v) for v in self.choices()))
            value = {"type": "number", "enum": list(self._enum)}  # type: ignore[arg-type]
        else:
            value = {"type": "integer" if self.integer else "number",
                     "minimum": _num(self.low), "maximum": _num(self.high)}
        if self.description:
            value["description"] = self.description
        return {"type": "object", "properties": {self.name: value}, "required": [self.name],
                "additionalProperties": False}

    def regex(self) -> str:
        """Regex matching a JSON answer object; exact for discrete specs, a number otherwise."""
        if self.is_discrete:
            alts = "|".join(re.escape(_fmt(v)) for v in self.choices()[::-1])
            number = f"(?:{alts})"
        else:
            number = r"-?\d+(?:\.\d+)?"
        return r'\{\s*"' + re.escape(self.name) + r'"\s*:\s*' + number + r"\s*\}"

    # ----------------------------------------------------------------- validation
    def validate(self, value: Any) -> float:
        """Return ``value`` as a legal action or raise :class:`InvalidActionError`.

        Accepts numbers, numeric strings and ``{name: value}`` mappings (the parsed JSON answer).
        """
        if isinstance(value, dict):
            if self.name not in value:
                raise InvalidActionError(f"answer has no field {self.name!r}: {value!r}")
            value = value[self.name]
        if isinstance(value, bool) or value is None:
            raise InvalidActionError(f"{self.name} must be a number, got {value!r}")
        try:
            x = float(value)
        except (TypeError, ValueError):
            raise InvalidActionError(f"{self.name} must be a number, got {value!r}") from None
        if not math.isfinite(x):
            raise InvalidActionError(f"{self.name} must be finite, got {value!r}")
        if x < self.low - 1e-9 or x > self.high + 1e-9:
            raise InvalidActionError(
                f"{self.name}={_fmt(x)} is outside [{_fmt(self.low)}, {_fmt(self.high)}]")
        if self.integer and x != round(x):
            raise InvalidActionError(f"{self.name} must be a whole number, got {_fmt(x)}")
        if self.step is not None:
            k = (x - self.low) / self.step
            if abs(k - round(k)) > 1e-6:
                raise InvalidActionError(
                    f"{self.name} must be {_fmt(self.low)} plus a multiple of {_fmt(self.step)},"
                    f" got {_fmt(x)}")
            x = float(np.round(self.low + round(k) * self.step, 10))
        return float(round(x)) if self.integer else x

    def legal_mask(self, values: np.ndarray) -> np.ndarray:
        """Vectorised legality test of an array of action values."""
        v = np.asarray(values, dtype=np.float64)
        ok = np.isfinite(v) & (v >= self.low - 1e-9) & (v <= self.high + 1e-9)
        if self.integer:
            ok &= v == np.round(v)
        if self.step is not None:
            k = (v - self.low) / self.step
            ok &= np.abs(k - np.round(k)) <= 1e-6
        return ok

    def sample(self, rng: np.random.Generator | Streams, size: int) -> np.ndarray:
        """Uniform random legal actions (the default LLM fallback and level-0 play)."""
        if self.is_discrete:  # a uniform index: never lists the choices (upper = 1e15 is legal)
            return self.choices_at(rng.integers(0, self.n_choices(), size=size))
        return rng.uniform(self.low, self.high, size=size)


def _num(v: float) -> int | float:
    return int(v) if float(v).is_integer() else float(v)


def _fmt(v: float) -> str:
    return str(_num(float(v)))
