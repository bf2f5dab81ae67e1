"""Structured action specs: offers, responses, counter-offers and allocations with messages.

Negotiation games need actions that are not one number: an offer with a free-text message, an
accept / reject decision, an allocation of several item types. A :class:`StructuredSpec` has the
interface of :class:`~agora.engine.action_spec.ActionSpec` (``name``, ``json_schema()``,
``validate(value)``, ``legal_mask(values)``, ``sample(rng, size)``, ``is_discrete``,
``space()`` / ``from_space()``) but its actions are canonical ``dict`` objects, held by the runner
in ``object`` arrays (kernels declare ``action_dtype = object``). ``numeric(action)`` gives the
number kept in the records' ``action`` column (NaN where none), ``message(action)`` the text.

Messages are data: :func:`clean_message` strips control characters and the quoting delimiters,
breaks chat-template control strings (``<|im_end|>``, ``[INST]``, ...; see
:mod:`agora.engine.control_text`), collapses whitespace and truncates, so a message rendered in
another agent's prompt can never leave its quoted block or open a chat turn.
"""

from __future__ import annotations

import math
import re
import unicodedata
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np

from agora.engine.action_spec import ActionSpec, InvalidActionError
from agora.engine.control_text import neutralize_control_text
from agora.engine.streams import Streams

MESSAGE_OPEN, MESSAGE_CLOSE = "<<<", ">>>"
_DELIMS = re.compile(r"<{2,}|>{2,}|`{3,}")
_SPACE = re.compile(r"\s+")


def clean_message(text: Any, max_length: int) -> str:
    """A message as data: printable, one line, no quoting delimiters and no chat-template
    control strings, at most ``max_length`` characters."""
    if max_length <= 0 or text is None:
        return ""
    s = str(text)[: max_length * 4]
    s = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in s)
    s = _SPACE.sub(" ", neutralize_control_text(_DELIMS.sub(" ", s))).strip()
    return s[:max_length].rstrip()


def quote_message(text: str) -> str:
    """A cleaned message inside the delimited block prompts render it in."""
    return f"{MESSAGE_OPEN} {text} {MESSAGE_CLOSE}" if text else "(no message)"


class StructuredSpec(ABC):
    """Legal structured actions of one decision (actions are canonical dicts)."""

    is_structured: ClassVar[bool] = True
    is_discrete: ClassVar[bool] = False
    dtype: ClassVar[type] = object
    name: str
    description: str
    message_max: int

    # ---------------------------------------------------------------- per-action hooks
    @abstractmethod
    def _fields_schema(self) -> dict[str, dict[str, Any]]:
        """JSON schema of each field except ``message``."""

    @abstractmethod
    def _validate_fields(self, obj: dict[str, Any]) -> dict[str, Any]:
        """Canonical non-message fields of a parsed answer, or raise InvalidActionError."""

    @abstractmethod
    def _sample_one(self, rng: np.random.Generator, extreme: bool) -> dict[str, Any]:
        """One random legal action without message (``extreme``: at the corners)."""

    @abstractmethod
    def _fields_space(self) -> dict[str, gym.Space[Any]]:
        """Gymnasium spaces of the non-message fields."""

    @abstractmethod
    def _from_space_fields(self, sample: dict[str, Any]) -> dict[str, Any]:
        """Non-message fields from a value of :meth:`space`."""

    def numeric(self, action: dict[str, Any]) -> float:
        """The number recorded in the ``action`` column (NaN where none)."""
        return math.nan

    def illegal_examples(self) -> list[dict[str, Any]]:
        """Answers that every legal set of this spec must reject (for conformance checks)."""
        return []

    # ---------------------------------------------------------------- shared machinery
    @property
    def has_message(self) -> bool:
        """Whether actions carry a free-text message."""
        return self.message_max > 0

    def message(self, action: dict[str, Any]) -> str:
        """The (cleaned) message of an action, ``""`` without one."""
        return str(action.get("message", "")) if isinstance(action, dict) else ""

    def json_schema(self) -> dict[str, Any]:
        """JSON schema of the answer object."""
        props = dict(self._fields_schema())
        if self.has_message:
            props["message"] = {"type": "string", "maxLength": self.message_max,
                                "description": "a short message to the other player"}
        return {"type": "object", "properties": props, "required": list(props),
                "additionalProperties": False}

    def _field_names(self) -> frozenset[str]:
        """Names of the non-message fields (kept once: the schema may list a whole grid)."""
        names = self.__dict__.get("_names")
        if names is None:
            names = frozenset(self._fields_schema())
            object.__setattr__(self, "_names", names)
        return names

    def validate(self, value: Any) -> dict[str, Any]:
        """Return ``value`` as a canonical legal action or raise :class:`InvalidActionError`."""
        if not isinstance(value, dict):
            raise InvalidActionError(f"{self.name} answer must be a JSON object, got {value!r}")
        unknown = set(value) - self._field_names() - {"message"}
        if unknown:
            raise InvalidActionError(f"answer has unknown field(s) {sorted(unknown)}")
        action = self._validate_fields(value)
        if self.has_message:
            msg = value.get("message", "")
            if msg is not None and not isinstance(msg, str):
                raise InvalidActionError(f"message must be text, got {msg!r}")
            action["message"] = clean_message(msg, self.message_max)
        return action

    def legal(self, action: Any) -> bool:
        """Whether ``action`` is a canonical legal action (``validate`` returns it unchanged)."""
        try:
            return self.validate(action) == action
        except InvalidActionError:
            return False

    def legal_mask(self, values: np.ndarray) -> np.ndarray:
        """Legality of each action of an object array."""
        return np.fromiter((self.legal(v) for v in values), dtype=bool, count=len(values))

    def sample(self, rng: np.random.Generator | Streams, size: int,
               extreme: bool = False) -> np.ndarray:
        """Random legal actions (messages empty) as an object array.

        With :class:`~agora.engine.streams.Streams`, action ``i`` comes from row ``i``'s stream.
        """
        out = np.empty(size, dtype=object)
        if isinstance(rng, Streams) and len(rng) != size:
            raise ValueError(f"{len(rng)} streams for {size} actions")
        for i in range(size):
            a = self._sample_one(rng.generator(i) if isinstance(rng, Streams) else rng, extreme)
            if self.has_message:
                a["message"] = ""
            out[i] = a
        return out

    def space(self) -> gym.Space[Any]:
        """A ``Dict`` space of the fields (messages as ``Text``)."""
        spaces = dict(self._fields_space())
        if self.has_message:
            spaces["message"] = gym.spaces.Text(max_length=self.message_max, min_length=0)
        return gym.spaces.Dict(spaces)

    def from_space(self, sample: Any) -> dict[str, Any]:
        """Map a value of :meth:`space` (or of a wider ``Dict`` holding its keys) to an action."""
        action = self._from_space_fields(sample)
        if self.has_message:
            action["message"] = clean_message(sample.get("message", ""), self.message_max)
        return action


def _number_spec(name: str, description: str, low: float, high: float, step: float | None,
                 unit: str) -> ActionSpec:
    integer = step == 1.0 and float(low).is_integer() and float(high).is_integer()
    return ActionSpec(name=name, description=description, low=low, high=high,
                      step=None if integer else step, integer=integer, unit=unit)


@dataclass(frozen=True, kw_only=True)
class OfferSpec(StructuredSpec):
    """An amount (e.g. a share of the pie, a price) with an optional message.

    Actions: ``{name: x, "message": text}`` with ``x`` in ``[low, high]`` on the ``step`` grid.
    """

    name: str = "offer"
    description: str = "your offer"
    low: float = 0.0
    high: float = 1.0
    step: float | None = None
    unit: str = ""
    message_max: int = 0
    number: ActionSpec = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "number", _number_spec(
            self.name, self.description, self.low, self.high, self.step, self.unit))
        if self.message_max < 0:
            raise ValueError(f"OfferSpec.message_max must be >= 0, got {self.message_max}")

    def _fields_schema(self) -> dict[str, dict[str, Any]]:
        return self.number.json_schema()["properties"]

    def _validate_fields(self, obj: dict[str, Any]) -> dict[str, Any]:
        return {self.name: self.number.validate(obj)}

    def _sample_one(self, rng: np.random.Generator, extreme: bool) -> dict[str, Any]:
        if extreme:
            return {self.name: self.low if rng.random() < 0.5 else self.high}
        return {self.name: float(self.number.sample(rng, 1)[0])}

    def _fields_space(self) -> dict[str, gym.Space[Any]]:
        return {self.name: self.number.space()}

    def _from_space_fields(self, sample: dict[str, Any]) -> dict[str, Any]:
        return {self.name: self.number.validate(self.number.from_space(sample[self.name]))}

    def numeric(self, action: dict[str, Any]) -> float:
        return float(action[self.name])

    def illegal_examples(self) -> list[dict[str, Any]]:
        gap = self.step or 1.0
        return [{self.name: self.low - gap}, {self.name: self.high + gap}, {self.name: "x"}, {}]


@dataclass(frozen=True, kw_only=True)
class ChoiceSpec(StructuredSpec):
    """A named choice (e.g. accept / reject), optionally with an amount used by some choices.

    Actions: ``{"decision": choice, "message": text}``; with ``offer`` set also
    ``{offer.name: x}`` (a counter-offer, meaningful when the decision is in ``offer_with``).
    """

    name: str = "decision"
    description: str = "your decision"
    choices: tuple[str, ...] = ("accept", "reject")
    offer: OfferSpec | None = None
    offer_with: tuple[str, ...] = ()
    """Choices whose amount is the number recorded (e.g. a counter-offer's price)."""
    message_max: int = 0

    def __post_init__(self) -> None:
        if len(self.choices) < 1 or len(set(self.choices)) != len(self.choices):
            raise ValueError(f"ChoiceSpec.choices must be distinct and non-empty, "
                             f"got {self.choices}")
        if self.message_max < 0:
            raise ValueError(f"ChoiceSpec.message_max must be >= 0, got {self.message_max}")

    def _fields_schema(self) -> dict[str, dict[str, Any]]:
        out = {self.name: {"type": "string", "enum": list(self.choices),
                           "description": self.description}}
        if self.offer is not None:
            out.update(self.offer._fields_schema())
        return out

    def _validate_fields(self, obj: dict[str, Any]) -> dict[str, Any]:
        choice = obj.get(self.name)
        if not isinstance(choice, str) or choice.strip().lower() not in self.choices:
            raise InvalidActionError(f"{self.name} must be one of {list(self.choices)}, "
                                     f"got {choice!r}")
        out: dict[str, Any] = {self.name: choice.strip().lower()}
        if self.offer is not None:
            out.update(self.offer._validate_fields(obj))
        return out

    def _sample_one(self, rng: np.random.Generator, extreme: bool) -> dict[str, Any]:
        out: dict[str, Any] = {self.name: self.choices[int(rng.integers(len(self.choices)))]}
        if self.offer is not None:
            out.update(self.offer._sample_one(rng, extreme))
        return out

    def _fields_space(self) -> dict[str, gym.Space[Any]]:
        out: dict[str, gym.Space[Any]] = {self.name: gym.spaces.Discrete(len(self.choices))}
        if self.offer is not None:
            out.update(self.offer._fields_space())
        return out

    def _from_space_fields(self, sample: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {self.name: self.choices[int(sample[self.name])]}
        if self.offer is not None:
            out.update(self.offer._from_space_fields(sample))
        return out

    def numeric(self, action: dict[str, Any]) -> float:
        """The amount for choices in ``offer_with``, NaN for other choices with an amount field,
        else the index of the choice (e.g. accept 0, reject 1)."""
        if self.offer is not None:
            return (float(action[self.offer.name]) if action[self.name] in self.offer_with
                    else math.nan)
        return float(self.choices.index(action[self.name]))

    def illegal_examples(self) -> list[dict[str, Any]]:
        return [{self.name: "maybe"}, {self.name: 1}, {}]


@dataclass(frozen=True, kw_only=True)
class AllocationSpec(StructuredSpec):
    """How many of each item type the proposer keeps: ``{name: [k_1, ..., k_n]}``.

    ``0 <= k_i <= counts[i]``; the other player gets the rest. ``numeric`` is NaN (a game
    records the value share in its own columns).
    """

    name: str = "keep"
    description: str = "how many of each item you keep"
    counts: tuple[int, ...] = (1,)
    items: tuple[str, ...] = ("item",)
    message_max: int = 0

    def __post_init__(self) -> None:
        if len(self.counts) != len(self.items) or not self.counts:
            raise ValueError("AllocationSpec.counts and items must have the same length >= 1")
        if any(not isinstance(c, int) or c < 0 for c in self.counts):
            raise ValueError(f"AllocationSpec.counts must be integers >= 0, got {self.counts}")

    def _fields_schema(self) -> dict[str, dict[str, Any]]:
        n = len(self.counts)
        return {self.name: {
            "type": "array", "minItems": n, "maxItems": n, "description": self.description
            + " (" + ", ".join(f"{it} 0-{c}" for it, c in zip(self.items, self.counts,
                                                             strict=True)) + ")",
            "prefixItems": [{"type": "integer", "minimum": 0, "maximum": c}
                            for c in self.counts],
            "items": {"type": "integer", "minimum": 0}}}

    def _validate_fields(self, obj: dict[str, Any]) -> dict[str, Any]:
        keep = obj.get(self.name)
        if not isinstance(keep, list | tuple) or len(keep) != len(self.counts):
            raise InvalidActionError(f"{self.name} must be a list of {len(self.counts)} whole "
                                     f"numbers, got {keep!r}")
        out = []
        for k, c, item in zip(keep, self.counts, self.items, strict=True):
            if isinstance(k, bool) or not isinstance(k, int | float) or k != int(k) \
                    or not 0 <= k <= c:
                raise InvalidActionError(f"{self.name}: {item} must be a whole number from 0 "
                                         f"to {c}, got {k!r}")
            out.append(int(k))
        return {self.name: out}

    def _sample_one(self, rng: np.random.Generator, extreme: bool) -> dict[str, Any]:
        c = np.asarray(self.counts)
        if extreme:
            return {self.name: [int(x) for x in np.where(rng.random(c.size) < 0.5, 0, c)]}
        return {self.name: [int(x) for x in rng.integers(0, c + 1)]}

    def _fields_space(self) -> dict[str, gym.Space[Any]]:
        return {self.name: gym.spaces.MultiDiscrete(np.asarray(self.counts) + 1)}

    def _from_space_fields(self, sample: dict[str, Any]) -> dict[str, Any]:
        return self._validate_fields({self.name: [int(x) for x in sample[self.name]]})

    def illegal_examples(self) -> list[dict[str, Any]]:
        over = list(self.counts)
        over[0] += 1
        return [{self.name: over}, {self.name: [-1] * len(self.counts)},
                {self.name: [0] * (len(self.counts) + 1)}, {}]


Spec = ActionSpec | StructuredSpec
"""Any action spec a kernel may declare."""
