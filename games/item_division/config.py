"""Configuration of multi-issue item division (Deal or No Deal; Lewis et al. 2017)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from agora.engine.kernel import GameConfig
from agora.engine.limits import MAX_ROUNDS, check_count


def _sequence(name: str, value: Any) -> tuple[Any, ...]:
    """A tuple field given as a tuple or list (TOML arrays); a string or None is refused."""
    if not isinstance(value, tuple | list):
        raise ValueError(f"item_division: {name} must be a list with one entry per item, "
                         f"got {value!r}")
    return tuple(value)


@dataclass(frozen=True, kw_only=True)
class ItemDivisionConfig(GameConfig):
    """Two players divide a pool of indivisible items they value privately.

    Attributes:
        items: Item type names (distinct identifiers).
        counts: How many of each type are in the pool (integers >= 0, some > 0).
        values_a: A's value of one item of each type (>= 0).
        values_b: B's value of one item of each type (>= 0).
        horizon: Proposals allowed (1 to ``MAX_ROUNDS``), alternating; then no deal (0 for both).
        first_mover: ``a`` or ``b``.
        private_values: Whether each player sees only its own values.
        messages: Whether moves carry a free-text message.
        message_max: Longest message kept, in characters (1-1000).
    """

    items: tuple[str, ...] = ("books", "hats", "balls")
    counts: tuple[int, ...] = (1, 2, 3)
    values_a: tuple[float, ...] = (1.0, 3.0, 1.0)
    values_b: tuple[float, ...] = (4.0, 0.0, 2.0)
    horizon: int = 4
    first_mover: str = "a"
    private_values: bool = True
    messages: bool = False
    message_max: int = 200

    def __post_init__(self) -> None:
        for f in ("items", "counts", "values_a", "values_b"):
            object.__setattr__(self, f, _sequence(f, getattr(self, f)))
        n = len(self.items)
        if n < 1 or not all(isinstance(i, str) and i.isidentifier() for i in self.items) \
                or len(set(self.items)) != n:
            raise ValueError(f"item_division: items must be distinct names (identifiers), "
                             f"got {self.items!r}")
        for f in ("counts", "values_a", "values_b"):
            if len(getattr(self, f)) != n:
                raise ValueError(f"item_division: {f} needs one entry per item ({n})")
        if any(isinstance(c, bool) or not isinstance(c, int) or c < 0 for c in self.counts) \
                or sum(self.counts) < 1 or math.prod(c + 1 for c in self.counts) > 100_000:
            raise ValueError(f"item_division: counts must be integers >= 0 with at least one "
                             f"item and at most 100,000 allocations, got {self.counts}")
        for f in ("values_a", "values_b"):
            values = getattr(self, f)
            if any(isinstance(v, bool) or not isinstance(v, int | float)
                   or not (math.isfinite(v) and v >= 0) for v in values):
                raise ValueError(f"item_division: {f} must be finite numbers >= 0, "
                                 f"got {values!r}")
        check_count("item_division", "horizon", self.horizon, 1, MAX_ROUNDS)
        if self.first_mover not in ("a", "b"):
            raise ValueError(f"item_division: first_mover must be 'a' or 'b', "
                             f"got {self.first_mover!r}")
        if not isinstance(self.message_max, int) or not 1 <= self.message_max <= 1000:
            raise ValueError(f"item_division: message_max must be an integer in [1, 1000], "
                             f"got {self.message_max!r}")

    def total_value(self, player: int) -> float:
        """A player's value of the whole pool."""
        v = self.values_a if player == 0 else self.values_b
        return float(sum(c * x for c, x in zip(self.counts, v, strict=True)))
