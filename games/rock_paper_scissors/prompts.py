"""How rock-paper-scissors is told to a language model (moves answered as 0 / 1 / 2).

The rules name the three codes, what beats what and the payoffs; the situation lists the last
:data:`SHOWN_ROUNDS` rounds (own move, the other's move, the outcome and own payoff) and, for
longer games, how often the other player(s) chose each move so far, so a small model's prompt
stays short.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agora.engine.action_spec import ActionSpec
from agora.engine.prompting import json_answer_instruction, number

if TYPE_CHECKING:
    from games.rock_paper_scissors.config import RPSConfig
    from games.rock_paper_scissors.env import RPSObservation

NAMES = ("Rock", "Paper", "Scissors")
RESULT = {1: "you won", 0: "a tie", -1: "you lost"}
SHOWN_ROUNDS = 15
"""Most recent rounds listed one by one."""


def amount(x: float, unit: str) -> str:
    """``x`` with its unit, singular for one point (``1 point``, ``2 points``)."""
    return f"{number(x)} {unit[:-1] if unit == 'points' and x == 1 else unit}"


class RPSPrompts:
    """Rules, situation and answer format of rock-paper-scissors."""

    def rules(self, config: RPSConfig, role: str) -> str:
        u = config.unit
        text = ("You play rock-paper-scissors. Each round you and the other player choose at "
                "the same time: 0 = Rock, 1 = Paper, 2 = Scissors. Rock beats Scissors, "
                "Scissors beats Paper, Paper beats Rock. "
                f"A win pays {amount(config.win, u)}, a tie {amount(1, u)}, a loss "
                f"{amount(0, u)}.")
        if config.players == 2:
            partner = "the same player"
        elif config.paired:
            partner = f"the same player of your group of {config.players}"
        else:
            partner = (f"a player drawn at random from the {config.players - 1} others in "
                       "your group, anew each round")
        rounds = "one round" if config.rounds == 1 else f"{config.rounds} rounds"
        return text + f" You play {rounds}, each with {partner}. You earn the sum of payoffs."

    def situation(self, config: RPSConfig, observation: RPSObservation) -> str:
        o, u = observation, config.unit
        lines = []
        shown = o.history[-SHOWN_ROUNDS:]
        if len(o.history) > len(shown):
            c = o.other_counts
            who = "the other player" if config.paired else "your partners"
            times = [f"{n} time{'' if n == 1 else 's'}" for n in c]
            lines.append(f"In rounds 1 to {o.round}, {who} chose Rock {times[0]}, Paper "
                         f"{times[1]}, Scissors {times[2]}. Your total: "
                         f"{amount(o.total_payoff, u)}.")
        for h in shown:
            lines.append(f"Round {h.round + 1}: you {NAMES[h.own_move]}, other "
                         f"{NAMES[h.other_move]}: {RESULT[h.outcome]}, "
                         f"{amount(h.own_payoff, u)}.")
        lines.append(f"Round {o.round + 1} of {config.rounds}: choose 0 (Rock), 1 (Paper) or "
                     "2 (Scissors).")
        return "\n".join(lines)

    def answer_instruction(self, spec: ActionSpec) -> str:
        return json_answer_instruction(spec)


PROMPTS = RPSPrompts()
