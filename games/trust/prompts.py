"""How the trust game is told to a language model."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from agora.engine.action_spec import ActionSpec
from agora.engine.prompting import json_answer_instruction, number

if TYPE_CHECKING:
    from games.trust.config import TrustConfig
    from games.trust.env import TrustObservation


def history_report(config: TrustConfig) -> str:
    """The previous session's (sent, returned) pairs, grouped by amount sent."""
    u = config.unit
    by_sent: dict[float, list[float]] = defaultdict(list)
    for s, r in config.history_pairs:
        by_sent[s].append(r)
    lines = [f"Results of a previous session of this game ({len(config.history_pairs)} pairs):"]
    for s in sorted(by_sent):
        back = sorted(by_sent[s])
        lines.append(f"- sent {u}{number(s)} (arrived {u}{number(config.multiplier * s)}): "
                     f"{len(back)} sender{'s' if len(back) > 1 else ''}; returned "
                     + ", ".join(f"{u}{number(r)}" for r in back))
    return "\n".join(lines)


class TrustPrompts:
    """Rules, situation and answer format of the trust game."""

    def rules(self, config: TrustConfig, role: str) -> str:
        u, m = config.unit, number(config.multiplier)
        text = (f"You are paired with another person you will never meet: a sender and a "
                f"receiver. The sender has {u}{number(config.endowment)}")
        if config.receiver_endowment > 0:
            text += f" and the receiver has {u}{number(config.receiver_endowment)}"
        text += (f". The sender chooses how much of the {u}{number(config.endowment)} to send "
                 f"to the receiver; the amount sent is multiplied by {m} on the way. The "
                 f"receiver then sees what arrived and chooses how much of it to return to the "
                 f"sender. Each keeps what they end up with.")
        if config.rounds > 1:
            text += (f" The same pair plays {config.rounds} rounds with the same roles, and both "
                     "see what happened after each round.")
        text += f" You are the {role}."
        if config.social_history and (role == "sender" or config.history_to == "both"):
            text += "\n" + history_report(config)
        return text

    def situation(self, config: TrustConfig, observation: TrustObservation) -> str:
        u = config.unit
        lines = [f"Round {observation.round + 1} of {config.rounds}."]
        for past in observation.history:
            lines.append(f"Round {past.round + 1}: the sender sent {u}{number(past.sent)}, "
                         f"{u}{number(config.multiplier * past.sent)} arrived, the receiver "
                         f"returned {u}{number(past.returned)}; you ended with "
                         f"{u}{number(past.own_payoff)}.")
        if observation.sent is not None:
            lines.append(f"The sender sent you {u}{number(observation.sent)}, so "
                         f"{u}{number(observation.arrived or 0.0)} arrived. How much of it do "
                         "you return?")
        else:
            lines.append(f"How much of your {u}{number(config.endowment)} do you send?")
        return "\n".join(lines)

    def answer_instruction(self, spec: ActionSpec) -> str:
        return json_answer_instruction(spec)


PROMPTS = TrustPrompts()
