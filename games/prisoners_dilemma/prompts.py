"""How the prisoner's dilemma is told to a language model (C / D, answered as 1 / 0)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agora.engine.action_spec import ActionSpec
from agora.engine.prompting import json_answer_instruction, number

if TYPE_CHECKING:
    from games.prisoners_dilemma.config import PDConfig
    from games.prisoners_dilemma.env import PDObservation

MOVE = {1: "C", 0: "D"}


class PDPrompts:
    """Rules, situation and answer format of the prisoner's dilemma."""

    def rules(self, config: PDConfig, role: str) -> str:
        u = config.unit
        t, r, p, s = (number(x) for x in config.matrix)
        text = ("You are paired with another person. Each of you chooses C (cooperate) or D "
                "(defect) at the same time, without seeing the other's choice. Payoffs: both C: "
                f"{r} {u} each; both D: {p} {u} each; if you choose C and the other D, you get "
                f"{s} {u} and the other {t} {u}; if you choose D and the other C, you get {t} "
                f"{u} and the other {s} {u}.")
        if config.delta is not None:
            text += (f" The game is repeated with the same person: after every round, another "
                     f"round follows with probability {number(config.delta * 100)}%, so you do "
                     "not know which round is the last.")
        elif config.rounds > 1:
            text += f" The game is repeated {config.rounds} times with the same person."
        else:
            text += " You play once."
        if config.noise > 0:
            text += (f" Each choice is carried out as intended with probability "
                     f"{number((1 - config.noise) * 100)}%; otherwise the opposite move is made "
                     "(both of you see the moves actually made).")
        if config.supergames > 1:
            text += (f" You will play {config.supergames} such matches"
                     + (", each time with a partner drawn at random from a group of "
                        f"{config.group_size}." if config.group_size > 2 else
                        " with the same person."))
        return text + " You earn the sum of your payoffs."

    def situation(self, config: PDConfig, observation: PDObservation) -> str:
        o, u = observation, config.unit
        lines = []
        if config.supergames > 1:
            lines.append(f"Match {o.supergame + 1} of {config.supergames}.")
        for h in o.history:
            line = f"Round {h.round + 1}: you played {MOVE[h.own_move]}"
            if h.own_move != h.own_intended:
                line += f" (you chose {MOVE[h.own_intended]})"
            lines.append(line + f", the other played {MOVE[h.other_move]}; you earned "
                         f"{number(h.own_payoff)} {u}.")
        lines.append(f"Round {o.round + 1}: do you choose C or D?")
        return "\n".join(lines)

    def answer_instruction(self, spec: ActionSpec) -> str:
        return json_answer_instruction(spec)


PROMPTS = PDPrompts()
