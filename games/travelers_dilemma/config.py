"""Configuration of the traveler's dilemma."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from agora.engine.kernel import GameConfig
from agora.engine.limits import MAX_PLAYERS, MAX_ROUNDS, check_cells, check_count

MAX_CLAIM = 1_000_000
"""Largest claim bound (claims are enumerated by the theory and the analysis)."""


class Matching(StrEnum):
    """How the travelers of one session are paired each round."""

    RANDOM = "random"
    """A fresh uniformly random pairing every round (Capra et al. 1999's random matching)."""
    FIXED = "fixed"
    """Travelers 0-1, 2-3, ... stay paired for every round."""


@dataclass(frozen=True, kw_only=True)
class TravelersConfig(GameConfig):
    """A session of ``travelers`` travelers, paired every round; each claims a whole amount in
    ``[low, high]``. Equal claims are paid; otherwise both are paid the lower claim, plus
    ``reward`` to the lower claimant and minus ``reward`` to the higher one (Basu 1994).

    The unit of one game instance is the session (matching group): with ``travelers = 2`` it is
    one fixed pair.

    Attributes:
        low: Smallest claim (an integer >= 0).
        high: Largest claim (an integer > ``low``).
        reward: Reward to the lower claimant and penalty to the higher one (> 0; the minimum
            claim is the unique equilibrium when ``reward > 1``).
        travelers: Travelers per session (an even integer >= 2).
        rounds: Rounds, each with a pairing and feedback on the partner's claim.
        matching: ``random`` (rematched every round) or ``fixed`` pairs.
        unit: Currency shown in prompts.
    """

    low: int = 2
    high: int = 100
    reward: float = 2.0
    travelers: int = 2
    rounds: int = 1
    matching: Matching = Matching.RANDOM
    unit: str = "$"

    def __post_init__(self) -> None:
        check_count("travelers_dilemma", "low", self.low, 0, MAX_CLAIM - 1)
        check_count("travelers_dilemma", "high", self.high, self.low + 1, MAX_CLAIM)
        if isinstance(self.reward, bool) or not isinstance(self.reward, int | float) \
                or not (math.isfinite(self.reward) and self.reward > 0):
            raise ValueError(f"travelers_dilemma: reward must be a number > 0, got "
                             f"{self.reward!r}")
        check_count("travelers_dilemma", "travelers", self.travelers, 2, MAX_PLAYERS)
        if self.travelers % 2:
            raise ValueError(f"travelers_dilemma: travelers must be even (they are paired), "
                             f"got {self.travelers}")
        check_count("travelers_dilemma", "rounds", self.rounds, 1, MAX_ROUNDS)
        check_cells("travelers_dilemma", "travelers × rounds", self.travelers * self.rounds)
        self._set_choice("travelers_dilemma", "matching", Matching)
        if not isinstance(self.unit, str):
            raise ValueError(f"travelers_dilemma: unit must be a string, got {self.unit!r}")
        object.__setattr__(self, "reward", float(self.reward))

    @property
    def n_claims(self) -> int:
        """Number of legal claims."""
        return self.high - self.low + 1
