"""Configuration of alternating-offers bargaining (Rubinstein 1982) and the ultimatum game."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from agora.engine.kernel import GameConfig
from agora.engine.limits import MAX_ROUNDS, check_count

UNBOUNDED_ROUNDS = 100
"""Rounds played when ``horizon`` is ``None`` (effectively unbounded; GLEE uses 99)."""


class FirstMover(StrEnum):
    """Who proposes in round 1."""

    A = "a"
    B = "b"
    RANDOM = "random"
    """Drawn per instance, so a batch mixes proposers and responders."""


class Information(StrEnum):
    """What a player knows of the other's discount factor."""

    COMPLETE = "complete"
    INCOMPLETE = "incomplete"
    """Each player sees only its own discount factor."""


@dataclass(frozen=True, kw_only=True)
class BargainingConfig(GameConfig):
    """Alternating offers over a pie between players A and B.

    Attributes:
        pie: Size of the pie M (> 0).
        delta_a: Player A's per-round discount factor, in (0, 1].
        delta_b: Player B's per-round discount factor, in (0, 1].
        horizon: Rounds T (1 to ``MAX_ROUNDS``), or ``None`` for an effectively unbounded game
            (``UNBOUNDED_ROUNDS`` rounds; theory uses the infinite-horizon SPE).
        first_mover: ``a``, ``b`` or ``random`` (per instance).
        information: ``complete`` or ``incomplete`` (own discount factor only).
        step: Offer grid (e.g. 1 dollar), ``None`` for continuous offers.
        messages: Whether offers and responses carry a free-text message.
        message_max: Longest message kept, in characters (1-1000).
        unit: Currency shown in prompts.
    """

    pie: float = 100.0
    delta_a: float = 0.95
    delta_b: float = 0.95
    horizon: int | None = 10
    first_mover: FirstMover = FirstMover.A
    information: Information = Information.COMPLETE
    step: float | None = 1.0
    messages: bool = False
    message_max: int = 200
    unit: str = "$"

    def __post_init__(self) -> None:
        name = type(self).__name__
        if not (math.isfinite(self.pie) and self.pie > 0):
            raise ValueError(f"{name}: pie must be > 0, got {self.pie}")
        for field in ("delta_a", "delta_b"):
            d = getattr(self, field)
            if not (math.isfinite(d) and 0 < d <= 1):
                raise ValueError(f"{name}: {field} must be in (0, 1], got {d}")
        if self.horizon is not None:
            check_count(name, "horizon (or None)", self.horizon, 1, MAX_ROUNDS)
        for field, enum in (("first_mover", FirstMover), ("information", Information)):
            self._set_choice(name, field, enum)
        if self.step is not None:
            if not (math.isfinite(self.step) and self.step > 0):
                raise ValueError(f"{name}: step must be > 0 or None, got {self.step}")
            k = self.pie / self.step
            if abs(k - round(k)) > 1e-9:
                raise ValueError(f"{name}: pie ({self.pie}) must be a multiple of step "
                                 f"({self.step})")
        if not isinstance(self.message_max, int) or not 1 <= self.message_max <= 1000:
            raise ValueError(f"{name}: message_max must be an integer in [1, 1000], "
                             f"got {self.message_max!r}")

    @property
    def rounds(self) -> int:
        """Rounds actually played (``horizon`` or ``UNBOUNDED_ROUNDS``)."""
        return self.horizon if self.horizon is not None else UNBOUNDED_ROUNDS


@dataclass(frozen=True, kw_only=True)
class UltimatumConfig(BargainingConfig):
    """The ultimatum game: bargaining with one round (a rejected offer leaves both with 0)."""

    horizon: int | None = 1

    def __post_init__(self) -> None:
        if self.horizon != 1:
            raise ValueError(f"UltimatumConfig: horizon must be 1, got {self.horizon!r}")
        super().__post_init__()
