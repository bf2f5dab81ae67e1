"""Configuration of the ring-network game."""

from __future__ import annotations

from dataclasses import dataclass

from agora.engine.kernel import GameConfig
from games.ring_network.games import GAME_LABELS, MATRICES

BELIEF_MODES = ("implicit", "explicit", "given")
ORDERS = ("fixed", "random")


@dataclass(frozen=True, kw_only=True)
class RingConfig(GameConfig):
    """Four seats play Kneeland-style four-player ring games, one game per round.

    Player ``i``'s payoff depends on its own action and player ``i + 1``'s (player 4's on its
    own and player 1's); player 4 has a strictly dominant action. With ``rotate`` every seat
    plays every position of every game: game ``g`` is played in 4 consecutive rounds, seat ``j``
    sitting in position ``(j + r) mod 4`` in the ``r``-th of them, so each agent makes
    ``4 * len(games)`` decisions (32 with the eight games) and is paid against the seat that
    sits in the next position that round.

    Attributes:
        games: Labels of the games played (``G1``-``G4`` base, ``T1``-``T4`` transformed).
        order: ``"fixed"`` (the order of ``games``: Kneeland's main treatment) or
            ``"random"`` (a new order per instance from its stream: her robustness treatment).
        beliefs: ``"implicit"`` (just choose), ``"explicit"`` (state the belief about the next
            player's action, then the action) or ``"given"`` (the prompt states the next
            player's action: the one iterated dominance predicts).
        rotate: Every seat plays all four positions (``False``: seat ``j`` is always player
            ``j + 1``, one decision per game).
        unit: What payoffs are counted in (prompts only).
    """

    games: tuple[str, ...] = GAME_LABELS
    order: str = "fixed"
    beliefs: str = "implicit"
    rotate: bool = True
    unit: str = "points"

    def __post_init__(self) -> None:
        games = tuple(self.games)
        if not games:
            raise ValueError("ring_network: games must name at least one game")
        unknown = [g for g in games if g not in MATRICES]
        if unknown:
            raise ValueError(f"ring_network: unknown game(s) {unknown}; known: "
                             f"{', '.join(GAME_LABELS)}")
        if len(set(games)) != len(games):
            raise ValueError(f"ring_network: games must be distinct, got {list(games)}")
        object.__setattr__(self, "games", games)
        if self.order not in ORDERS:
            raise ValueError(f"ring_network: order must be 'fixed' or 'random', got "
                             f"{self.order!r}")
        if self.beliefs not in BELIEF_MODES:
            raise ValueError(f"ring_network: beliefs must be one of {', '.join(BELIEF_MODES)}, "
                             f"got {self.beliefs!r}")

    @property
    def rotations(self) -> int:
        """Rounds per game: 4 with ``rotate``, else 1."""
        return 4 if self.rotate else 1

    @property
    def rounds(self) -> int:
        """Rounds of an instance: one per game and rotation."""
        return len(self.games) * self.rotations
