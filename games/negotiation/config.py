"""Configuration of bilateral buyer-seller negotiation (GLEE's negotiation family)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from agora.engine.kernel import GameConfig
from agora.engine.limits import MAX_ROUNDS, check_count


class Opener(StrEnum):
    """Who makes the opening offer."""

    SELLER = "seller"
    BUYER = "buyer"
    RANDOM = "random"
    """Drawn per instance."""


@dataclass(frozen=True, kw_only=True)
class NegotiationConfig(GameConfig):
    """A seller (value F_a) and a buyer (value F_b) haggle over the price of one good.

    Attributes:
        seller_value: F_a, the seller's value of the good (> 0; GLEE's unit M).
        buyer_value: F_b, the buyer's value (> 0; GLEE default 1.2·F_a).
        horizon: Most offers made (1 to ``MAX_ROUNDS``); a counter-offer to the last one ends
            without trade.
        opener: ``seller``, ``buyer`` or ``random``.
        private_values: Whether each side sees only its own value.
        price_max: Highest price that may be named (>= both values).
        step: Price grid, ``None`` for continuous prices.
        outside_seller: Seller's payoff without trade (>= 0).
        outside_buyer: Buyer's payoff without trade (>= 0).
        messages: Whether moves carry a free-text message.
        message_max: Longest message kept, in characters (1-1000).
        unit: Currency shown in prompts.
    """

    seller_value: float = 100.0
    buyer_value: float = 120.0
    horizon: int = 10
    opener: Opener = Opener.SELLER
    private_values: bool = True
    price_max: float = 200.0
    step: float | None = 1.0
    outside_seller: float = 0.0
    outside_buyer: float = 0.0
    messages: bool = False
    message_max: int = 200
    unit: str = "$"

    def __post_init__(self) -> None:
        for f in ("seller_value", "buyer_value"):
            v = getattr(self, f)
            if not (math.isfinite(v) and v > 0):
                raise ValueError(f"negotiation: {f} must be > 0, got {v}")
        for f in ("outside_seller", "outside_buyer"):
            v = getattr(self, f)
            if not (math.isfinite(v) and v >= 0):
                raise ValueError(f"negotiation: {f} must be >= 0, got {v}")
        check_count("negotiation", "horizon", self.horizon, 1, MAX_ROUNDS)
        try:
            object.__setattr__(self, "opener", Opener(self.opener))
        except ValueError:
            raise ValueError(f"negotiation: opener must be seller, buyer or random, "
                             f"got {self.opener!r}") from None
        if not (math.isfinite(self.price_max)
                and self.price_max >= max(self.seller_value, self.buyer_value)):
            raise ValueError(f"negotiation: price_max must be >= both values, "
                             f"got {self.price_max}")
        if self.step is not None:
            if not (math.isfinite(self.step) and self.step > 0):
                raise ValueError(f"negotiation: step must be > 0 or None, got {self.step}")
            k = self.price_max / self.step
            if abs(k - round(k)) > 1e-9:
                raise ValueError(f"negotiation: price_max ({self.price_max}) must be a "
                                 f"multiple of step ({self.step})")
        if not isinstance(self.message_max, int) or not 1 <= self.message_max <= 1000:
            raise ValueError(f"negotiation: message_max must be an integer in [1, 1000], "
                             f"got {self.message_max!r}")
