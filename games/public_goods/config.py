"""Configuration of the linear public goods game (voluntary contribution mechanism)."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from agora.engine.kernel import GameConfig
from agora.engine.limits import MAX_ROUNDS, check_count

FG_COSTS: tuple[float, ...] = (0, 1, 2, 4, 6, 9, 12, 16, 20, 25, 30)
"""Cost to the punisher of 0..10 points: the oTree punishment app "roughly based on Fehr &
Gaechter 2000" (classic_games.md section 4a, marked [read])."""

MATCHINGS = ("partner", "stranger")


@dataclass(frozen=True, kw_only=True)
class PublicGoodsConfig(GameConfig):
    """Groups of ``group_size`` players each get ``endowment`` tokens per round and put
    ``c_i`` of them into a public account; each earns ``e - c_i + mpcr * sum_j c_j`` (the
    group's sum). The defaults are Fehr & Gächter's (2000): groups of 4, 20 tokens, MPCR 0.4.

    Attributes:
        group_size: Players per group, n (2 to 20).
        groups: Groups per instance: an instance is one session's population of
            ``group_size * groups`` players (1 to 10). Stranger matching regroups that
            population each round.
        endowment: Whole tokens per round, e (1 to 1000; at most 50 with the strategy method).
        mpcr: Marginal per-capita return, 0 < MPCR (a social dilemma when 1/n < MPCR < 1).
        rounds: Rounds of contribution (1 to ``MAX_ROUNDS``).
        matching: ``"partner"`` (fixed groups) or ``"stranger"`` (random regrouping of the
            instance's population every round, drawn from the instance's own stream).
        punishment: Whether a punishment stage follows each contribution stage.
        max_points: Most punishment points per target (1 to 10).
        punishment_costs: Cost to the punisher of 0..max_points points to one target
            (nondecreasing, starting at 0); default the oTree / Fehr-Gächter schedule [read].
        punishment_cut: Share of first-stage income each received point removes (income is
            cut to ``max(0, 1 - cut * points)`` of itself). Default 0.1, Fehr & Gächter's
            10 % per point, marked [recalled] in classic_games.md (not checked in the paper).
        strategy_method: One-shot elicitation of conditional contributions (Fischbacher,
            Gächter & Fehr 2001): each player gives an unconditional contribution and a
            contribution for each rounded average of the others' contributions 0..e. One
            randomly drawn member's table decides that member's contribution (from the
            others' rounded unconditional average); the others' unconditional ones count.
            Needs ``rounds == 1`` and no punishment.
        unit: Token name shown in prompts.
    """

    group_size: int = 4
    groups: int = 1
    endowment: int = 20
    mpcr: float = 0.4
    rounds: int = 10
    matching: str = "partner"
    punishment: bool = False
    max_points: int = 10
    punishment_costs: tuple[float, ...] = FG_COSTS
    punishment_cut: float = 0.1
    strategy_method: bool = False
    unit: str = "tokens"

    def __post_init__(self) -> None:
        check_count("public_goods", "group_size", self.group_size, 2, 20)
        check_count("public_goods", "groups", self.groups, 1, 10)
        check_count("public_goods", "endowment", self.endowment, 1, 1000)
        check_count("public_goods", "rounds", self.rounds, 1, MAX_ROUNDS)
        check_count("public_goods", "max_points", self.max_points, 1, 10)
        if not (isinstance(self.mpcr, int | float) and math.isfinite(self.mpcr)
                and 0 < self.mpcr <= 10):
            raise ValueError(f"public_goods: mpcr must be in (0, 10], got {self.mpcr!r}")
        if self.matching not in MATCHINGS:
            raise ValueError(f"public_goods: matching must be one of {MATCHINGS}, "
                             f"got {self.matching!r}")
        if self.matching == "stranger" and self.groups < 2:
            raise ValueError("public_goods: stranger matching needs groups >= 2")
        costs = tuple(self.punishment_costs)
        if len(costs) != self.max_points + 1:
            raise ValueError(f"public_goods: punishment_costs needs max_points + 1 = "
                             f"{self.max_points + 1} entries, got {len(costs)}")
        if (any(not (isinstance(c, int | float) and math.isfinite(c) and 0 <= c <= 1000)
                for c in costs) or costs[0] != 0
                or any(b < a for a, b in itertools.pairwise(costs))):
            raise ValueError(f"public_goods: punishment_costs must start at 0 and be "
                             f"nondecreasing within [0, 1000], got {list(costs)}")
        object.__setattr__(self, "punishment_costs", tuple(float(c) for c in costs))
        if not (isinstance(self.punishment_cut, int | float)
                and math.isfinite(self.punishment_cut) and 0 <= self.punishment_cut <= 1):
            raise ValueError(f"public_goods: punishment_cut must be in [0, 1], "
                             f"got {self.punishment_cut!r}")
        if self.strategy_method:
            if self.rounds != 1 or self.punishment:
                raise ValueError("public_goods: strategy_method needs rounds = 1 and no "
                                 "punishment")
            check_count("public_goods", "endowment", self.endowment, 1, 50)

    @property
    def n_players(self) -> int:
        """Players per instance: ``group_size * groups``."""
        return self.group_size * self.groups
