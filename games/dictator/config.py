"""Configuration of the dictator game."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from agora.engine.kernel import GameConfig
from agora.engine.limits import MAX_ROUNDS, check_count


class Variant(StrEnum):
    """What the dictator may do."""

    GIVE = "give"
    """Give any amount from 0 to the endowment."""
    TAKE = "take"
    """Give, or take up to ``take_bound`` from the recipient (List 2007; Zhang & Ortmann 2014)."""


@dataclass(frozen=True, kw_only=True)
class DictatorConfig(GameConfig):
    """A (possibly repeated) dictator game between two players.

    Attributes:
        endowment: Dictator's endowment (> 0).
        recipient_endowment: Recipient's endowment (>= 0; must cover ``take_bound`` in ``take``).
        variant: ``give`` or ``take``.
        take_bound: Most the dictator may take in the ``take`` variant (>= 0).
        step: Smallest unit of a transfer (e.g. 1 dollar); ``None`` for continuous amounts.
        rounds: Rounds played (1 to ``MAX_ROUNDS``, see :mod:`agora.engine.limits`).
        rotate_roles: Whether the two players swap roles every round.
        unit: Currency shown in prompts.
    """

    endowment: float = 10.0
    recipient_endowment: float = 0.0
    variant: Variant = Variant.GIVE
    take_bound: float = 0.0
    step: float | None = 1.0
    rounds: int = 1
    rotate_roles: bool = False
    unit: str = "$"

    def __post_init__(self) -> None:
        if not (math.isfinite(self.endowment) and self.endowment > 0):
            raise ValueError(f"dictator: endowment must be > 0, got {self.endowment}")
        if not (math.isfinite(self.recipient_endowment) and self.recipient_endowment >= 0):
            raise ValueError("dictator: recipient_endowment must be >= 0, "
                             f"got {self.recipient_endowment}")
        try:
            object.__setattr__(self, "variant", Variant(self.variant))
        except ValueError:
            raise ValueError(f"dictator: variant must be 'give' or 'take', got {self.variant!r}") \
                from None
        if not (math.isfinite(self.take_bound) and self.take_bound >= 0):
            raise ValueError(f"dictator: take_bound must be >= 0, got {self.take_bound}")
        if self.variant is Variant.GIVE and self.take_bound != 0:
            raise ValueError("dictator: take_bound applies only to variant='take'")
        if self.variant is Variant.TAKE:
            if self.take_bound <= 0:
                raise ValueError("dictator: variant='take' needs take_bound > 0")
            if self.take_bound > self.recipient_endowment:
                raise ValueError(f"dictator: take_bound ({self.take_bound}) cannot exceed "
                                 f"recipient_endowment ({self.recipient_endowment})")
        if self.step is not None:
            if not (math.isfinite(self.step) and self.step > 0):
                raise ValueError(f"dictator: step must be > 0 or None, got {self.step}")
            for name, v in (("endowment", self.endowment), ("take_bound", self.take_bound)):
                k = v / self.step
                if abs(k - round(k)) > 1e-9:
                    raise ValueError(f"dictator: {name} ({v}) must be a multiple of step "
                                     f"({self.step})")
        check_count("dictator", "rounds", self.rounds, 1, MAX_ROUNDS)

    @property
    def min_transfer(self) -> float:
        """Smallest transfer (negative: the most the dictator may take)."""
        return -self.take_bound if self.variant is Variant.TAKE else 0.0
