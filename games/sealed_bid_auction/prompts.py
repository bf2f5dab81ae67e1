"""How the sealed-bid auction is told to a language model (short sentences: a 135M model
must answer with a number)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from agora.engine.action_spec import ActionSpec
from agora.engine.prompting import json_answer_instruction, number

if TYPE_CHECKING:
    from games.sealed_bid_auction.config import AuctionConfig
    from games.sealed_bid_auction.env import AuctionObservation, PastRound


def _money(config: AuctionConfig, x: float) -> str:
    """``$12`` or ``-$3.5``: the sign before the unit."""
    sign = "-" if x < 0 else ""
    return f"{sign}{config.unit}{number(round(abs(x), 2))}"


class AuctionPrompts:
    """Rules (shared by every bidder: the cached prompt prefix), situation, answer format."""

    def rules(self, config: AuctionConfig, role: str) -> str:
        u, n = config.unit, config.bidders
        others = "another bidder" if n == 2 else f"{n - 1} other bidders"
        pays = ("The winner pays their own bid." if config.first_price else
                "The winner pays the second-highest bid, not their own bid.")
        text = (f"You bid in a sealed-bid auction for one item against {others}. The item is "
                f"worth a private value to you, a random amount from {u}0 to "
                f"{_money(config, config.max_value)}; each bidder has their own value and "
                f"sees only their own. Everyone bids once without seeing other bids. The "
                f"highest bid wins. {pays}")
        if config.reserve > 0:
            text += (f" Bids below {_money(config, config.reserve)} cannot win; "
                     f"the winner pays at least {_money(config, config.reserve)}.")
        text += (" If you win, you earn your value minus the price. If you lose, you earn "
                 f"{u}0. Ties are broken at random.")
        if config.rounds > 1:
            text += (f" There are {config.rounds} rounds with new values each round; after "
                     "each round you see the result.")
        return text

    def _past(self, config: AuctionConfig, p: PastRound) -> str:
        head = (f"Round {p.round + 1}: your value was {_money(config, p.value)}, you bid "
                f"{_money(config, p.bid)}.")
        if not p.sold:
            return f"{head} No bid reached the reserve; nobody won. You got {config.unit}0."
        top = f" The highest bid was {_money(config, p.winning_bid)}."
        if p.won:
            return (f"{head}{top} You won and paid {_money(config, p.price)}. You got "
                    f"{_money(config, p.payoff)}.")
        return f"{head}{top} You did not win. You got {config.unit}0."

    def situation(self, config: AuctionConfig, observation: AuctionObservation) -> str:
        lines = [self._past(config, p) for p in observation.history]
        if not math.isnan(observation.value):  # NaN: the auctions are over
            lines.append(f"Round {observation.round + 1} of {config.rounds}.")
            lines.append(f"Your value for the item is {_money(config, observation.value)}. "
                         "How much do you bid?")
        return "\n".join(lines)

    def answer_instruction(self, spec: ActionSpec) -> str:
        return json_answer_instruction(spec)


PROMPTS = AuctionPrompts()
