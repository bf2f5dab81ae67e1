"""Configuration of repeated rock-paper-scissors (Wang, Xu & Zhou 2014's payoffs)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from agora.engine.kernel import GameConfig
from agora.engine.limits import MAX_PLAYERS, MAX_ROUNDS, check_cells, check_count


class Matching(StrEnum):
    """How the players of one instance are paired each round."""

    RANDOM = "random"
    """A fresh uniformly random pairing every round (one draw per round from the instance's
    stream), as in Wang, Xu & Zhou's (2014) groups of six."""
    FIXED = "fixed"
    """Players 0-1, 2-3, ... stay paired for every round."""


@dataclass(frozen=True, kw_only=True)
class RPSConfig(GameConfig):
    """``players`` players per instance play ``rounds`` rounds of rock-paper-scissors; each
    round they are paired and every pair plays once. A win pays ``win`` (the a of Wang, Xu &
    Zhou 2014, a > 1), a tie 1 and a loss 0.

    With ``players = 2`` an instance is one fixed pair (slot 0 is the role ``agent``, slot 1
    the role ``opponent``); with more players and ``matching = "fixed"`` the pairs are 0-1,
    2-3, ... (even slots agents, odd slots opponents); with ``matching = "random"`` the
    instance is a population rematched every round and every player has the role ``agent``.

    Attributes:
        win: Payoff of a win, a > 1 (default 2; which a the 72-subject stratEst subset of
            WXZ2014 used is not documented).
        players: Players per instance (an even integer >= 2).
        rounds: Rounds, each with feedback (own move, the partner's move, own payoff).
        matching: ``random`` (rematched every round) or ``fixed`` pairs.
        unit: Unit of payoffs shown in prompts.
    """

    win: float = 2.0
    players: int = 2
    rounds: int = 10
    matching: Matching = Matching.RANDOM
    unit: str = "points"

    def __post_init__(self) -> None:
        if isinstance(self.win, bool) or not isinstance(self.win, int | float) \
                or not (math.isfinite(self.win) and self.win > 1):
            raise ValueError(f"rock_paper_scissors: win must be a finite number > 1, got "
                             f"{self.win!r}")
        check_count("rock_paper_scissors", "players", self.players, 2, MAX_PLAYERS)
        if self.players % 2:
            raise ValueError(f"rock_paper_scissors: players must be even (they are paired), "
                             f"got {self.players}")
        check_count("rock_paper_scissors", "rounds", self.rounds, 1, MAX_ROUNDS)
        check_cells("rock_paper_scissors", "players × rounds", self.players * self.rounds)
        self._set_choice("rock_paper_scissors", "matching", Matching)
        if not isinstance(self.unit, str):
            raise ValueError(f"rock_paper_scissors: unit must be a string, got {self.unit!r}")
        object.__setattr__(self, "win", float(self.win))

    @property
    def paired(self) -> bool:
        """Whether partners are fixed (two players, or ``matching = "fixed"``)."""
        return self.players == 2 or self.matching is Matching.FIXED
