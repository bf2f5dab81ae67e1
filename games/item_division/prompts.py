"""How item division is told to a language model (messages quoted as data)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agora.engine.prompting import number
from agora.engine.structured import quote_message
from agora.engine.structured_prompts import MESSAGE_NOTE, answer_instruction

if TYPE_CHECKING:
    from games.item_division.config import ItemDivisionConfig
    from games.item_division.env import ItemDivisionObservation


def _bundle(config: ItemDivisionConfig, counts: tuple[int, ...]) -> str:
    return ", ".join(f"{c} {item}" for item, c in zip(config.items, counts, strict=True))


class ItemDivisionPrompts:
    """Rules, situation and answer format of item division."""

    def rules(self, config: ItemDivisionConfig, role: str) -> str:
        text = (f"You and another player divide these items: "
                f"{_bundle(config, config.counts)}. Items cannot be split. Players take turns "
                "proposing how many of each item the proposer keeps (the other gets the rest); "
                "the other player accepts or rejects. Each player values the items differently"
                f". If no proposal is accepted after {config.horizon} proposals, both get "
                "nothing.")
        if config.messages:
            text += " Each move may carry a short message. " + MESSAGE_NOTE
        return text

    def situation(self, config: ItemDivisionConfig, observation: ItemDivisionObservation) -> str:
        o = observation
        lines = ["Your value of one item: " + ", ".join(
            f"{it} {number(v)}" for it, v in zip(config.items, o.own_values, strict=True))
            + "."]
        if o.other_values is not None:
            lines.append("The other player's values: " + ", ".join(
                f"{it} {number(v)}" for it, v in zip(config.items, o.other_values, strict=True))
                + ".")
        for p in [*o.history, *([o.pending] if o.pending else [])]:
            who = "You" if p.proposer == "you" else "The other player"
            line = (f"Round {p.round + 1}: {who} proposed that you get "
                    f"{_bundle(config, p.you_get)}")
            if config.messages:
                line += f", writing {quote_message(p.message)}"
            if p.accepted is not None:
                line += f"; it was {'accepted' if p.accepted else 'rejected'}"
                if config.messages:
                    line += f", with the reply {quote_message(p.response_message)}"
            lines.append(line + ".")
        lines.append("Do you accept this proposal?" if o.pending is not None
                     else "Make your proposal: how many of each item do you keep?")
        return "\n".join(lines)

    def answer_instruction(self, spec: Any) -> str:
        return answer_instruction(spec)


PROMPTS = ItemDivisionPrompts()
