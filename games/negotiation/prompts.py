"""How buyer-seller negotiation is told to a language model (messages quoted as data)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agora.engine.prompting import number
from agora.engine.structured import quote_message
from agora.engine.structured_prompts import MESSAGE_NOTE, answer_instruction

if TYPE_CHECKING:
    from games.negotiation.config import NegotiationConfig
    from games.negotiation.env import NegotiationObservation


class NegotiationPrompts:
    """Rules, situation and answer format of buyer-seller negotiation."""

    def rules(self, config: NegotiationConfig, role: str) -> str:
        text = (f"A seller and a buyer negotiate the price of one item, taking turns: one names "
                f"a price, the other accepts it, counters with another price or walks away. At "
                f"most {config.horizon} prices may be proposed; after that, or if someone walks "
                "away, there is no sale. On a sale the seller earns the price minus what the "
                "item is worth to the seller, and the buyer earns what the item is worth to the "
                "buyer minus the price.")
        if config.outside_seller or config.outside_buyer:
            text += (f" Without a sale the seller gets {config.unit}"
                     f"{number(config.outside_seller)} and the buyer {config.unit}"
                     f"{number(config.outside_buyer)}.")
        if config.messages:
            text += " Each move may carry a short message. " + MESSAGE_NOTE
        return text

    def situation(self, config: NegotiationConfig, observation: NegotiationObservation) -> str:
        u, o = config.unit, observation
        lines = [f"You are the {o.role}. The item is worth {u}{number(o.own_value)} to you"
                 + ("." if o.other_value is None
                    else f" and {u}{number(o.other_value)} to the other side.")]
        for mv in o.history:
            who = "You" if mv.by == "you" else "The other side"
            what = {"open": "proposed", "counter": "countered with"}.get(mv.decision)
            line = (f"Move {mv.turn + 1}: {who} {what} {u}{number(mv.price)}" if what
                    else f"Move {mv.turn + 1}: {who} chose {mv.decision}")
            if config.messages:
                line += f", writing {quote_message(mv.message)}"
            lines.append(line + ".")
        lines.append("Name your opening price." if o.pending_price is None else
                     f"The price on the table is {u}{number(o.pending_price)}. Accept, counter "
                     "or walk away?")
        return "\n".join(lines)

    def answer_instruction(self, spec: Any) -> str:
        return answer_instruction(spec)


PROMPTS = NegotiationPrompts()
