"""Configuration of the sealed-bid auction with independent private values."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from agora.engine.kernel import GameConfig
from agora.engine.limits import MAX_ROUNDS, check_cells, check_count

MAX_BIDDERS = 1_000
"""Largest number of bidders per auction."""
MAX_VALUE = 1_000_000.0
"""Largest upper bound of the values."""


class Format(StrEnum):
    """Who pays what: the winner (the highest bid at or above the reserve) pays ..."""

    FIRST_PRICE = "first_price"
    """... its own bid."""
    SECOND_PRICE = "second_price"
    """... the highest other bid, or the reserve if that is higher (Vickrey 1961)."""


def _number(name: str, value: Any, low: float, high: float, *, open_low: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) \
            or value > high or value < low or (open_low and value == low):
        side = "(" if open_low else "["
        raise ValueError(f"sealed_bid_auction: {name} must be a number in {side}{low:g}, "
                         f"{high:g}], got {value!r}")
    return float(value)


@dataclass(frozen=True, kw_only=True)
class AuctionConfig(GameConfig):
    """``bidders`` bidders bid once a round for one object; each has a private value drawn
    independently and uniformly on ``[0, max_value]`` afresh every round (rounded to
    ``value_step``; ``0``: not rounded). The highest bid at or above ``reserve`` wins (ties
    broken at random); the winner pays its bid (``first_price``) or the highest other bid, at
    least the reserve (``second_price``), and earns its value minus that price; the others earn 0.

    Bids are amounts on the ``bid_step`` grid in ``[0, bid_cap]``; bids above one's value are
    legal (so overbidding can be measured) and can lose money.

    Attributes:
        format: ``first_price`` or ``second_price``.
        bidders: Bidders per auction (one game instance; 2 to ``MAX_BIDDERS``).
        max_value: Upper end v̄ of the value distribution (> 0).
        value_step: Grid the values are rounded to (0: continuous). Default whole units, as
            the uproot first-price auction sample (mrpg/uproot-examples) draws
            ``randint(0, MAX_VALUE)``; oTree's ``first_price_auction`` has 2 bidders, values up
            to 100 and 10 rounds, the defaults here.
        reserve: Reserve price in ``[0, max_value)`` (0: none).
        bid_cap: Largest legal bid (default ``2 · max_value``); at least ``max_value``.
        bid_step: Grid of bids (1: whole units).
        rounds: Auctions played by the same group, each with fresh values and feedback.
        unit: Currency shown in prompts.
    """

    format: Format = Format.FIRST_PRICE
    bidders: int = 2
    max_value: float = 100.0
    value_step: float = 1.0
    reserve: float = 0.0
    bid_cap: float | None = None
    bid_step: float = 1.0
    rounds: int = 10
    unit: str = "$"

    def __post_init__(self) -> None:
        self._set_choice("sealed_bid_auction", "format", Format)
        check_count("sealed_bid_auction", "bidders", self.bidders, 2, MAX_BIDDERS)
        v = _number("max_value", self.max_value, 0.0, MAX_VALUE, open_low=True)
        object.__setattr__(self, "max_value", v)
        object.__setattr__(self, "value_step", _number("value_step", self.value_step, 0.0, v))
        reserve = _number("reserve", self.reserve, 0.0, v)
        if reserve >= v:
            raise ValueError(f"sealed_bid_auction: reserve must be below max_value {v:g}, got "
                             f"{reserve:g}")
        object.__setattr__(self, "reserve", reserve)
        cap = 2.0 * v if self.bid_cap is None else _number("bid_cap", self.bid_cap, v,
                                                           10 * MAX_VALUE)
        object.__setattr__(self, "bid_cap", cap)
        step = _number("bid_step", self.bid_step, 0.0, cap, open_low=True)
        if step == 1.0 and cap != int(cap):
            raise ValueError(f"sealed_bid_auction: whole-unit bids need a whole bid_cap, got "
                             f"{cap:g}")
        object.__setattr__(self, "bid_step", step)
        check_count("sealed_bid_auction", "rounds", self.rounds, 1, MAX_ROUNDS)
        check_cells("sealed_bid_auction", "bidders × rounds", self.bidders * self.rounds)
        if not isinstance(self.unit, str):
            raise ValueError(f"sealed_bid_auction: unit must be a string, got {self.unit!r}")

    @property
    def cap(self) -> float:
        """The largest legal bid (``bid_cap`` resolved)."""
        return float(self.bid_cap)  # type: ignore[arg-type]

    @property
    def first_price(self) -> bool:
        """Whether the winner pays its own bid."""
        return self.format is Format.FIRST_PRICE
