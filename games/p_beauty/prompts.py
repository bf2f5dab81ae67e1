"""How the p-beauty contest is told to a language model."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agora.engine.action_spec import ActionSpec
from agora.engine.prompting import json_answer_instruction, number

if TYPE_CHECKING:
    from games.p_beauty.config import PBeautyConfig
    from games.p_beauty.env import PBeautyObservation


class PBeautyPrompts:
    """Rules, situation and answer format of the guessing game."""

    def rules(self, config: PBeautyConfig, role: str) -> str:
        kind = "a whole number" if config.integer else "a number"
        if config.payoff == "winner_takes_prize":
            pay = (f"The player whose guess is closest to the target wins {number(config.prize)}"
                   " points; if several are equally close they split it.")
        else:
            pay = (f"Everyone earns {number(config.prize)} points minus a penalty that grows with"
                   " the distance between their guess and the target.")
        rounds = ("one round" if config.rounds == 1
                  else f"{config.rounds} rounds; after each round everyone learns the average,"
                  " the target and their own payoff")
        return (
            f"You are playing a guessing game with {config.n_players} players, {rounds}. "
            f"Each player chooses {kind} between {number(config.lower)} and "
            f"{number(config.upper)}. The target is {number(config.p, 4)} times the average of "
            f"all guesses. {pay}")

    def situation(self, config: PBeautyConfig, observation: PBeautyObservation) -> str:
        """The group's results first (shared by the group), the agent's own last."""
        lines = [f"This is round {observation.round + 1} of {config.rounds}."]
        for fb in observation.history:
            lines.append(f"Round {fb.round + 1}: average {number(fb.mean, 2)}, target "
                         f"{number(fb.target, 2)}.")
        if observation.history:
            own = ", ".join(number(fb.own_guess, 2) for fb in observation.history)
            points = sum(fb.own_payoff for fb in observation.history)
            lines.append(f"Your guesses so far: {own}; your points so far: {number(points, 3)}.")
        return "\n".join(lines)

    def answer_instruction(self, spec: ActionSpec) -> str:
        return json_answer_instruction(spec)


PROMPTS = PBeautyPrompts()
