"""How the ring-network game is told to a language model.

Short sentences and small tables, so that a small model can follow them: the rules say who is
paid against whom; each situation shows the player's own table first, then the other players'
tables (all payoffs are public), and, in the given-belief mode, the next player's action.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agora.engine.prompting import number

if TYPE_CHECKING:
    from games.ring_network.config import RingConfig
    from games.ring_network.env import RingObservation


def next_player(position: int) -> int:
    """Player after ``position`` (1-based) in the ring: 4 is followed by 1."""
    return position % 4 + 1


def table_text(table: tuple[tuple[float, ...], ...], player: int, unit: str) -> str:
    """Player ``player``'s payoff table, one line per own action."""
    nxt = next_player(player)
    lines = []
    for a, row in enumerate(table):
        cells = ", ".join(f"{number(x)} if player {nxt} chooses {b + 1}"
                          for b, x in enumerate(row))
        lines.append(f"  action {a + 1}: {cells}")
    return f"Player {player} gets ({unit}):\n" + "\n".join(lines)


class RingPrompts:
    """Rules, situation and answer format of the ring-network game."""

    def rules(self, config: RingConfig, role: str) -> str:
        u = config.unit
        text = ("You play games with three other people. In each game there are four players "
                "in a ring: player 1, player 2, player 3 and player 4. Each player chooses "
                "action 1, 2 or 3 at the same time, without seeing the others' choices. "
                f"Your {u} depend only on your own action and on the action of the next "
                "player in the ring: player 1 depends on player 2, player 2 on player 3, "
                "player 3 on player 4, and player 4 on player 1. Every player sees every "
                "table.")
        n = len(config.games)
        if config.rotate:
            text += (f" There are {n} different games, and you play each one four times, "
                     "once as each player.")
        else:
            text += f" There are {n} different games."
        if config.order == "random":
            text += " The games come in a random order."
        text += f" You learn no results until the end; you earn the sum of your {u}."
        if config.beliefs == "explicit":
            text += (" Before each choice, say which action you expect the next player to "
                     "choose.")
        return text

    def situation(self, config: RingConfig, observation: RingObservation) -> str:
        o, u = observation, config.unit
        me, nxt = o.position, next_player(o.position)
        lines = [f"Game {o.game_number} of {o.n_games}. You are player {me}. Your {u} depend "
                 f"on your action and player {nxt}'s action.",
                 table_text(o.tables[me - 1], me, u)]
        ring = [(me + d - 1) % 4 + 1 for d in range(1, 4)]  # next players, in ring order
        lines += [table_text(o.tables[p - 1], p, u) for p in ring]
        if o.given_belief is not None:
            lines.append(f"Player {nxt} will choose action {o.given_belief}.")
        if config.beliefs == "explicit":
            lines.append(f"Which action do you expect player {nxt} to choose, and which "
                         "action do you choose: 1, 2 or 3?")
        else:
            lines.append("Which action do you choose: 1, 2 or 3?")
        return "\n".join(lines)

    def answer_instruction(self, spec: Any) -> str:
        fields = []
        if getattr(spec, "with_belief", False):
            fields.append('"belief": <1, 2 or 3: the action you expect the next player to '
                          "choose>")
        fields.append(f'"{spec.name}": <1, 2 or 3: your action>')
        return "Answer with JSON only, in the form {" + ", ".join(fields) + "}."


PROMPTS = RingPrompts()
