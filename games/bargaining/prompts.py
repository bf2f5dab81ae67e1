"""How alternating-offers bargaining and the ultimatum game are told to a language model.

The rules text depends only on the config and the role, never on messages: what the other
player wrote is rendered in the situation, cleaned and inside a delimited quote block, as data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agora.engine.prompting import number
from agora.engine.structured import quote_message
from agora.engine.structured_prompts import MESSAGE_NOTE, answer_instruction

if TYPE_CHECKING:
    from games.bargaining.config import BargainingConfig
    from games.bargaining.env import BargainingObservation



class BargainingPrompts:
    """Rules, situation and answer format of alternating-offers bargaining."""

    def rules(self, config: BargainingConfig, role: str) -> str:
        u, m = config.unit, number(config.pie)
        if config.horizon == 1:
            text = (f"You and another player split {u}{m}. The proposer offers the responder an "
                    "amount; if the responder accepts, the responder gets the offer and the "
                    "proposer keeps the rest; if the responder rejects, both get nothing.")
        else:
            limit = (f"at most {config.rounds} rounds" if config.horizon is not None
                     else "as many rounds as it takes")
            text = (f"You and another player bargain over how to split {u}{m}, for {limit}. "
                    "Each round one player proposes how much of it to give the other, who "
                    "accepts (the split is final) or rejects; after a rejection the roles swap "
                    "and the other player proposes in the next round. Money agreed in a later "
                    "round is worth less: each player's payoff is multiplied by its own "
                    "discount factor once for every round that passed before the agreement.")
            if config.horizon is not None:
                text += f" If no offer is accepted after {config.rounds} rounds, both get nothing."
        if config.messages:
            text += (" With every offer and every answer a player may send a short message. "
                     + MESSAGE_NOTE)
        return text

    def situation(self, config: BargainingConfig, observation: BargainingObservation) -> str:
        u = config.unit
        o = observation
        lines = []
        if config.horizon != 1:
            lines.append(f"You are player {o.player}. Round {o.round + 1}"
                         + (f" of {config.rounds}." if config.horizon is not None else "."))
            lines.append(f"Your discount factor is {number(o.own_delta, 3)}; "
                         + ("the other player's is unknown to you." if o.other_delta is None
                            else f"the other player's is {number(o.other_delta, 3)}."))
        for h in o.history:
            who = "You" if h.proposer == "you" else "The other player"
            to = "the other player" if h.proposer == "you" else "you"
            line = f"Round {h.round + 1}: {who} offered {u}{number(h.offer)} to {to}"
            if config.messages:
                line += f", with the message {quote_message(h.offer_message)}"
            verdict = "accepted" if h.accepted else "rejected"
            line += f"; it was {verdict}"
            if config.messages:
                line += f", with the reply {quote_message(h.response_message)}"
            lines.append(line + ".")
        if o.pending_offer is not None:
            line = (f"The other player offers you {u}{number(o.pending_offer)} of "
                    f"{u}{number(config.pie)}")
            if config.messages:
                line += f" and writes {quote_message(o.pending_message)}"
            lines.append(line + ". Do you accept?")
        else:
            lines.append(f"You are the proposer: how much of {u}{number(config.pie)} do you "
                         "offer the other player?")
        return "\n".join(lines)

    def answer_instruction(self, spec: Any) -> str:
        return answer_instruction(spec)


PROMPTS = BargainingPrompts()
