"""Configuration of the trust (investment) game."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from importlib import resources

from agora.engine.kernel import GameConfig
from agora.engine.limits import MAX_ROUNDS, check_count

MAX_GRID = 10_000
"""Most grid steps in the endowment (the receiver's action spec depends on the amount sent)."""
BERG_ENDOWMENT, BERG_MULTIPLIER = 10.0, 3.0
HISTORY_TO = ("sender", "both")


@cache
def berg_no_history_pairs() -> tuple[tuple[float, float], ...]:
    """(sent, returned) of the 32 no-history pairs of Berg et al. (1995), read from the
    packaged ``games/trust/data/berg1995_trust_pairs.csv``: the default social history."""
    text = resources.files("games.trust.data").joinpath("berg1995_trust_pairs.csv").read_text()
    header, *rows = text.strip().splitlines()
    cols = header.split(",")
    t, s, r = cols.index("treatment"), cols.index("amount_sent"), cols.index("amount_returned")
    return tuple((float(f[s]), float(f[r])) for f in (row.split(",") for row in rows)
                 if f[t].startswith("no_history"))


@dataclass(frozen=True, kw_only=True)
class TrustConfig(GameConfig):
    """A sender and a receiver; the sender sends part of its endowment, which is multiplied
    on the way, and the receiver returns any part of what arrived (Berg, Dickhaut & McCabe 1995).

    Payoffs of a round: sender ``endowment - sent + returned``, receiver
    ``receiver_endowment + multiplier * sent - returned``.

    Attributes:
        endowment: Sender's endowment (> 0; Berg: a $10 show-up fee).
        multiplier: Factor applied to the amount sent (>= 1; 3 in Berg and oTree).
        receiver_endowment: Receiver's own show-up endowment (>= 0; Berg: 10).
        step: Smallest unit of an amount sent or returned (> 0, dividing the endowment into at
            most ``MAX_GRID`` steps); returns are on the same grid, up to what arrived.
        rounds: Rounds played by the same pair, roles fixed (1 to ``MAX_ROUNDS``).
        social_history: Whether players are shown the previous session's (sent, returned)
            pairs before deciding (Berg et al.'s social-history treatment).
        history_pairs: The (sent, returned) pairs shown; empty with ``social_history``: Berg's
            32 no-history pairs (only for endowment 10, multiplier 3).
        history_to: Who sees the history: ``"both"`` roles (default) or only the ``"sender"``.
        unit: Currency shown in prompts.
    """

    endowment: float = 10.0
    multiplier: float = 3.0
    receiver_endowment: float = 10.0
    step: float = 1.0
    rounds: int = 1
    social_history: bool = False
    history_pairs: tuple[tuple[float, float], ...] = ()
    history_to: str = "both"
    unit: str = "$"

    def __post_init__(self) -> None:
        for name, low in (("endowment", 0.0), ("step", 0.0)):
            v = getattr(self, name)
            if not (isinstance(v, int | float) and math.isfinite(v) and v > low):
                raise ValueError(f"trust: {name} must be a number > 0, got {v!r}")
        if not (math.isfinite(self.multiplier) and self.multiplier >= 1):
            raise ValueError(f"trust: multiplier must be >= 1, got {self.multiplier}")
        if not (math.isfinite(self.receiver_endowment) and self.receiver_endowment >= 0):
            raise ValueError(f"trust: receiver_endowment must be >= 0, got "
                             f"{self.receiver_endowment}")
        k = self.endowment / self.step
        if abs(k - round(k)) > 1e-9 or round(k) > MAX_GRID:
            raise ValueError(f"trust: endowment ({self.endowment}) must be a multiple of step "
                             f"({self.step}) with at most {MAX_GRID} steps")
        check_count("trust", "rounds", self.rounds, 1, MAX_ROUNDS)
        if self.history_to not in HISTORY_TO:
            raise ValueError(f"trust: history_to must be 'sender' or 'both', got "
                             f"{self.history_to!r}")
        pairs = tuple(tuple(float(x) for x in p) for p in self.history_pairs)
        if pairs and not self.social_history:
            raise ValueError("trust: history_pairs need social_history = true")
        if self.social_history and not pairs:
            if (self.endowment, self.multiplier) != (BERG_ENDOWMENT, BERG_MULTIPLIER):
                raise ValueError("trust: the default social history (Berg et al.'s pairs) is "
                                 "for endowment 10 and multiplier 3; give history_pairs")
            pairs = berg_no_history_pairs()
        for p in pairs:
            if len(p) != 2 or not all(math.isfinite(x) for x in p) or not (
                    0 <= p[0] <= self.endowment and 0 <= p[1] <= self.multiplier * p[0] + 1e-9):
                raise ValueError(f"trust: history pair {p} must be (sent, returned) with 0 <= "
                                 f"sent <= endowment and 0 <= returned <= multiplier * sent")
        object.__setattr__(self, "history_pairs", pairs)

    @property
    def n_steps(self) -> int:
        """Grid steps in the endowment."""
        return round(self.endowment / self.step)

    @property
    def integer(self) -> bool:
        """Whether amounts are whole numbers (step 1)."""
        return self.step == 1.0 and float(self.endowment).is_integer()

    def max_return(self, sent: float) -> float:
        """Most the receiver may return of ``multiplier * sent``: that amount, down to the grid."""
        return round(math.floor(self.multiplier * sent / self.step + 1e-9) * self.step, 10)
