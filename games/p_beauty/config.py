"""Configuration of the p-beauty contest."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from agora.engine.kernel import GameConfig
from agora.engine.limits import MAX_PLAYERS, MAX_ROUNDS, check_cells, check_count


class PayoffRule(StrEnum):
    """How a round's prize is paid."""

    WINNER_TAKES_PRIZE = "winner_takes_prize"
    """The guess(es) closest to the target share the prize equally."""
    DISTANCE = "distance"
    """Everyone earns ``prize * (1 - |guess - target| / D)``, ``D`` the largest possible distance.

    ``D = max(upper - p * lower, p * upper - lower)`` (``upper - lower`` for ``lower = 0`` and
    ``p <= 1``), so payoffs lie in ``[0, prize]``.
    """


@dataclass(frozen=True, kw_only=True)
class PBeautyConfig(GameConfig):
    """A p-beauty contest: guess ``p`` times the mean of all guesses.

    Attributes:
        n_players: Players per group (2 to ``MAX_PLAYERS``; ``n_players × rounds`` at most
            ``MAX_CELLS``, see :mod:`agora.engine.limits`).
        p: Multiplier of the mean (> 0).
        lower: Smallest legal guess (>= 0).
        upper: Largest legal guess (> lower).
        integer: Whether guesses are whole numbers.
        rounds: Rounds played with feedback after each (1 to ``MAX_ROUNDS``).
        payoff: Payoff rule.
        prize: Prize per round (> 0).
    """

    n_players: int = 10
    p: float = 2 / 3
    lower: float = 0.0
    upper: float = 100.0
    integer: bool = True
    rounds: int = 1
    payoff: PayoffRule = PayoffRule.WINNER_TAKES_PRIZE
    prize: float = 1.0

    def __post_init__(self) -> None:
        check_count("p_beauty", "n_players", self.n_players, 2, MAX_PLAYERS)
        check_count("p_beauty", "rounds", self.rounds, 1, MAX_ROUNDS)
        check_cells("p_beauty", "n_players × rounds", self.n_players * self.rounds)
        if not (math.isfinite(self.p) and self.p > 0):
            raise ValueError(f"p_beauty: p must be > 0, got {self.p}")
        if not (math.isfinite(self.lower) and math.isfinite(self.upper)):
            raise ValueError("p_beauty: lower and upper must be finite numbers")
        if self.lower < 0:
            raise ValueError(f"p_beauty: lower must be >= 0 (the equilibrium benchmarks assume "
                             f"non-negative guesses), got {self.lower}")
        if self.lower >= self.upper:
            raise ValueError(f"p_beauty: lower ({self.lower}) must be < upper ({self.upper})")
        if self.integer and not (float(self.lower).is_integer() and float(self.upper).is_integer()):
            raise ValueError("p_beauty: integer guesses need integer lower and upper bounds")
        self._set_choice("p_beauty", "payoff", PayoffRule)
        if not (math.isfinite(self.prize) and self.prize > 0):
            raise ValueError(f"p_beauty: prize must be > 0, got {self.prize}")
