"""How the traveler's dilemma is told to a language model."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agora.engine.action_spec import ActionSpec
from agora.engine.prompting import json_answer_instruction, number
from games.travelers_dilemma.config import Matching

if TYPE_CHECKING:
    from games.travelers_dilemma.config import TravelersConfig
    from games.travelers_dilemma.env import TravelersObservation


class TravelersPrompts:
    """Rules (shared by every traveler: the cached prompt prefix), situation, answer format."""

    def rules(self, config: TravelersConfig, role: str) -> str:
        u, r = config.unit, number(config.reward)
        text = (f"You and another traveler each claim a whole amount from {u}{config.low} to "
                f"{u}{config.high}, without seeing the other's claim. If you claim the same, "
                f"you both get that amount. Otherwise both get the lower claim, plus {u}{r} "
                f"for whoever claimed less and minus {u}{r} for whoever claimed more.")
        if config.rounds > 1 or config.travelers > 2:
            if config.travelers == 2:
                partner = "the same traveler"
            elif config.matching is Matching.RANDOM:
                partner = (f"a traveler drawn at random from the {config.travelers - 1} "
                           f"others in your group, anew each round")
            else:
                partner = f"the same traveler of your group of {config.travelers}"
            rounds = "one round" if config.rounds == 1 else f"{config.rounds} rounds"
            text += f" You play {rounds}, each with {partner}."
        return text

    def situation(self, config: TravelersConfig, observation: TravelersObservation) -> str:
        u = config.unit
        lines = [f"Round {observation.round + 1} of {config.rounds}."]
        lines += [f"Round {p.round + 1}: you claimed {u}{number(p.own_claim)}, the other "
                  f"traveler claimed {u}{number(p.other_claim)}; you got "
                  f"{u}{number(p.own_payoff)}." for p in observation.history]
        return "\n".join(lines)

    def answer_instruction(self, spec: ActionSpec) -> str:
        return json_answer_instruction(spec)


PROMPTS = TravelersPrompts()
