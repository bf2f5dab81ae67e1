"""How the public goods game is told to a language model."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from agora.engine.prompting import json_answer_instruction, number

if TYPE_CHECKING:
    from games.public_goods.config import PublicGoodsConfig
    from games.public_goods.env import PublicGoodsObservation


class PublicGoodsPrompts:
    """Rules (shared by every player: the cached prompt prefix), situation, answer format."""

    def rules(self, config: PublicGoodsConfig, role: str) -> str:
        c, u = config, config.unit
        n, e, a = c.group_size, c.endowment, number(c.mpcr, 3)
        text = (f"You are in a group of {n} people. Each of you gets {e} {u} and decides how "
                f"many whole {u} (0 to {e}) to put into a group project; you keep the rest. "
                f"Every {u} put into the project, by anyone, pays {a} {u} to each of the {n} "
                f"members. Your earnings: the {u} you keep plus {a} times the group's total "
                f"contribution.")
        if c.strategy_method:
            text += (f" You decide once. Give an unconditional contribution and, for each "
                     f"possible average contribution of the other {n - 1} members (rounded to "
                     f"a whole number, 0 to {e}), how much you would contribute. For one "
                     f"randomly chosen member of the group the table counts, at the others' "
                     f"rounded average unconditional contribution; for everyone else the "
                     f"unconditional contribution counts.")
            return text
        if c.rounds > 1:
            group = ("the same group every round" if c.matching == "partner" else
                     f"a new group drawn at random from {c.n_players} participants every round")
            text += f" You play {c.rounds} rounds, in {group}."
        if c.punishment:
            costs = ", ".join(number(x) for x in c.punishment_costs[1:])
            text += (f" After each contribution stage you see the others' contributions and "
                     f"may give each of them 0 to {c.max_points} punishment points. Giving "
                     f"1, 2, ... points to one member costs you {costs} {u}. Each point you "
                     f"receive cuts your earnings from the contribution stage by "
                     f"{number(100 * c.punishment_cut)}% (to at most 0).")
        return text

    def situation(self, config: PublicGoodsConfig, observation: PublicGoodsObservation) -> str:
        u = config.unit
        lines = [f"Round {observation.round + 1} of {config.rounds}."]
        for p in observation.history:
            line = (f"Round {p.round + 1}: you contributed {number(p.own)}, the others "
                    f"{', '.join(number(x) for x in p.others)}; stage earnings "
                    f"{number(p.income)} {u}")
            if config.punishment:
                line += (f", punishment points received {number(p.points_received)}, final "
                         f"earnings {number(p.payoff)} {u}")
            lines.append(line + ".")
        if observation.stage == 1 and not math.isnan(observation.own):
            lines.append(f"Punishment stage: you contributed {number(observation.own)}; the "
                         f"other members contributed "
                         f"{', '.join(number(x) for x in observation.others)} (in this order).")
        return "\n".join(lines)

    def answer_instruction(self, spec: Any) -> str:
        if getattr(spec, "counts", None) is None:
            return json_answer_instruction(spec.number)
        k, top = len(spec.counts), spec.counts[0]
        return (f'Answer with JSON only, in the form {{"{spec.name}": [<{k} whole numbers '
                f"from 0 to {top}>]}}, where the list is {spec.description}.")


PROMPTS = PublicGoodsPrompts()
