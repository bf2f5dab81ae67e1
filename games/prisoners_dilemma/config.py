"""Configuration of the prisoner's dilemma (one-shot, finitely or indefinitely repeated, noisy)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from agora.engine.kernel import GameConfig
from agora.engine.limits import MAX_PLAYERS, MAX_ROUNDS, check_count


def check_payoffs(temptation: float, reward: float, punishment: float, sucker: float, *,
                  weak: bool = False) -> None:
    """Refuse payoffs that are not a prisoner's dilemma (T > R > P > S, all finite; with
    ``weak`` also P = S)."""
    values = (temptation, reward, punishment, sucker)
    if not all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
               for v in values):
        raise ValueError(f"prisoners_dilemma: payoffs must be finite numbers, got T, R, P, S = "
                         f"{values}")
    if not (temptation > reward > punishment > sucker
            or (weak and temptation > reward > punishment == sucker)):
        rule = "T > R > P >= S (weak=True)" if weak else "T > R > P > S"
        raise ValueError(f"prisoners_dilemma: payoffs must satisfy {rule}, got "
                         f"T={temptation:g}, R={reward:g}, P={punishment:g}, S={sucker:g}")


@dataclass(frozen=True, kw_only=True)
class PDConfig(GameConfig):
    """Prisoner's dilemmas played by matching groups of ``group_size`` players.

    The unit of an instance is a *matching group*: ``group_size`` players (2 by default: one
    fixed pair) who play ``supergames`` supergames; before each supergame the group is split
    into random pairs (drawn from the instance's stream), so with ``group_size > 2`` partners
    change between supergames (stranger rematching, as in Dal Bó & Fréchette 2011). Every pair
    of a group plays the same number of rounds in a supergame (one termination draw per group).

    Attributes:
        temptation, reward, punishment, sucker: Stage payoffs T > R > P > S (row player:
            CC → R, CD → S, DC → T, DD → P). Defaults: Dal Bó & Fréchette's (2011) R = 40
            treatment (T 50, R 40, P 25, S 12).
        weak: Also allow P = S (a weak dilemma: defection only weakly dominant; three of
            Mengel's 2018 one-shot games are of this kind).
        rounds: Rounds of each supergame when ``delta`` is ``None`` (1: one-shot).
        delta: Continuation probability δ in (0, 1) of an indefinitely repeated game: after each
            round the supergame goes on with probability δ; ``None`` for a fixed length.
        max_rounds: Most rounds of an indefinitely repeated supergame (a cap for memory; the
            chance of reaching it is δ^(max_rounds - 1)). Used only with ``delta``.
        noise: Execution error ε in [0, 0.5): each intended move is flipped with probability ε
            (Fudenberg, Rand & Dreber 2012); both intended and executed moves are recorded.
        supergames: Supergames per instance (rematching between them when ``group_size > 2``).
        group_size: Players per matching group (an even number >= 2).
        unit: Currency shown in prompts.
    """

    temptation: float = 50.0
    reward: float = 40.0
    punishment: float = 25.0
    sucker: float = 12.0
    weak: bool = False
    rounds: int = 1
    delta: float | None = None
    max_rounds: int = 60
    noise: float = 0.0
    supergames: int = 1
    group_size: int = 2
    unit: str = "points"

    def __post_init__(self) -> None:
        if not isinstance(self.weak, bool):
            raise ValueError(f"prisoners_dilemma: weak must be true or false, got {self.weak!r}")
        check_payoffs(self.temptation, self.reward, self.punishment, self.sucker,
                      weak=self.weak)
        check_count("prisoners_dilemma", "rounds", self.rounds, 1, MAX_ROUNDS)
        check_count("prisoners_dilemma", "max_rounds", self.max_rounds, 1, MAX_ROUNDS)
        check_count("prisoners_dilemma", "supergames", self.supergames, 1, MAX_ROUNDS)
        check_count("prisoners_dilemma", "group_size", self.group_size, 2, MAX_PLAYERS)
        if self.group_size % 2:
            raise ValueError(f"prisoners_dilemma: group_size must be even, got {self.group_size}")
        if self.delta is not None:
            if isinstance(self.delta, bool) or not (isinstance(self.delta, int | float)
                                                    and 0 < self.delta < 1):
                raise ValueError(f"prisoners_dilemma: delta must be in (0, 1) or None, got "
                                 f"{self.delta!r}")
            if self.rounds != 1:
                raise ValueError("prisoners_dilemma: rounds fixes the length only without "
                                 "delta; with delta, cap supergames with max_rounds")
        if isinstance(self.noise, bool) or not (isinstance(self.noise, int | float)
                                                and 0 <= self.noise < 0.5):
            raise ValueError(f"prisoners_dilemma: noise must be in [0, 0.5), got {self.noise!r}")

    @property
    def supergame_cap(self) -> int:
        """Most rounds one supergame can last."""
        return self.rounds if self.delta is None else self.max_rounds

    @property
    def matrix(self) -> tuple[float, float, float, float]:
        """``(T, R, P, S)``."""
        return self.temptation, self.reward, self.punishment, self.sucker
