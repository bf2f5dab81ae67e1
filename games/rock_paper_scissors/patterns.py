"""Patterned rock-paper-scissors players as pure, vectorised rules.

A rule maps the histories of ``n`` players, ``own`` and ``other`` (integer arrays ``(n, t)`` of
moves 0 = rock, 1 = paper, 2 = scissors in rounds ``0 .. t-1``; ``other`` holds the partner's
move of each round), to the distribution of each player's next move, ``(n, 3)``. Deterministic
rules return one-hot rows; a biased mixture returns its fixed probabilities. Because the
distribution is explicit, the theory can name the best response to a pattern and the most that
can be earned against it, and the policies record it (``mixed_0..2`` columns) so the analysis
can score the partner's moves by their expected payoff.

:data:`PATTERNS` lists the named patterns that the policy kinds ``rps_*`` play (see
:mod:`games.rock_paper_scissors.policies`); :func:`make_rule` builds a rule from a kind and its
parameters.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

Rule = Callable[[np.ndarray, np.ndarray], np.ndarray]
"""(own history, other's history), each ``(n, t)``, -> ``(n, 3)`` next-move distribution."""

_CODES = {"r": 0, "rock": 0, "p": 1, "paper": 1, "s": 2, "scissors": 2}


def move_code(move: str | int) -> int:
    """A move's code from ``"rock"``/``"R"``/``0`` (and so on); a clear error otherwise."""
    if isinstance(move, bool):
        raise ValueError(f"rock_paper_scissors: not a move: {move!r}")
    if isinstance(move, int | np.integer) and 0 <= int(move) <= 2:
        return int(move)
    if isinstance(move, str) and move.strip().lower() in _CODES:
        return _CODES[move.strip().lower()]
    raise ValueError(f"rock_paper_scissors: not a move: {move!r} (rock/paper/scissors, R/P/S "
                     "or 0/1/2)")


def sequence_codes(sequence: str | Sequence[str | int]) -> tuple[int, ...]:
    """Codes of a move sequence given as letters (``"RRPS"``) or a list of moves."""
    items = list(sequence.replace(" ", "")) if isinstance(sequence, str) else list(sequence)
    if not items:
        raise ValueError("rock_paper_scissors: a sequence needs at least one move")
    return tuple(move_code(m) for m in items)


def one_hot(moves: np.ndarray) -> np.ndarray:
    """``(n,)`` moves as ``(n, 3)`` one-hot distributions."""
    return np.eye(3)[np.asarray(moves, dtype=np.int64)]


def _check(own: np.ndarray, other: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.asarray(own), np.asarray(other)
    if a.ndim != 2 or a.shape != b.shape:
        raise ValueError(f"rock_paper_scissors: own and other must be (n, t) arrays of one "
                         f"shape, got {a.shape} and {b.shape}")
    if a.size and not (np.isin(a, (0, 1, 2)).all() and np.isin(b, (0, 1, 2)).all()):
        raise ValueError("rock_paper_scissors: histories hold moves 0, 1, 2 only")
    return a.astype(np.int64), b.astype(np.int64)


def constant(move: str | int) -> Rule:
    """Always the same move."""
    m = move_code(move)

    def rule(own: np.ndarray, other: np.ndarray) -> np.ndarray:
        a, _ = _check(own, other)
        return one_hot(np.full(a.shape[0], m))
    return rule


def sequence(moves: str | Sequence[str | int]) -> Rule:
    """A fixed sequence repeated for ever (period ``len(moves)``): round t plays
    ``moves[t % k]``. The cycle R→P→S is the sequence ``"RPS"``."""
    seq = np.array(sequence_codes(moves))

    def rule(own: np.ndarray, other: np.ndarray) -> np.ndarray:
        a, _ = _check(own, other)
        return one_hot(np.full(a.shape[0], seq[a.shape[1] % seq.size]))
    return rule


def react(first: str | int, shift: int) -> Rule:
    """``first`` in round 1, then the partner's last move shifted ``shift`` steps up the cycle:
    0 copies it, 1 plays the move that beats it, 2 the move it beats."""
    f = move_code(first)
    if isinstance(shift, bool) or shift not in (0, 1, 2):
        raise ValueError(f"rock_paper_scissors: shift must be 0, 1 or 2, got {shift!r}")

    def rule(own: np.ndarray, other: np.ndarray) -> np.ndarray:
        a, b = _check(own, other)
        if a.shape[1] == 0:
            return one_hot(np.full(a.shape[0], f))
        return one_hot((b[:, -1] + shift) % 3)
    return rule


def mixture(probs: Sequence[float]) -> Rule:
    """Each move with the fixed probabilities ``probs`` (rock, paper, scissors), every round
    independently (the draw comes from the run's keyed streams, in the policy)."""
    p = np.asarray(probs, dtype=np.float64)
    if p.shape != (3,) or not np.isfinite(p).all() or (p < 0).any() \
            or not np.isclose(p.sum(), 1.0):
        raise ValueError(f"rock_paper_scissors: probs must be 3 probabilities summing to 1, "
                         f"got {list(probs)!r}")

    def rule(own: np.ndarray, other: np.ndarray) -> np.ndarray:
        a, _ = _check(own, other)
        return np.broadcast_to(p, (a.shape[0], 3)).copy()
    return rule


@dataclass(frozen=True)
class Pattern:
    """A named pattern: the rule family (:func:`make_rule` kind), its parameters and a line
    saying what it does."""

    kind: str
    params: dict[str, Any] = field(default_factory=dict)
    description: str = ""

    def rule(self) -> Rule:
        """The pattern's rule."""
        return make_rule(self.kind, **self.params)

    @property
    def stochastic(self) -> bool:
        """Whether the pattern mixes (scored by expected payoff)."""
        return self.kind == "mixture"


RULES: dict[str, Callable[..., Rule]] = {
    "constant": constant, "sequence": sequence, "react": react, "mixture": mixture}
"""Rule families by kind."""


def make_rule(kind: str, **params: Any) -> Rule:
    """The rule of family ``kind`` with ``params`` (one-line errors for bad input)."""
    if kind not in RULES:
        raise ValueError(f"rock_paper_scissors: unknown rule kind {kind!r}; known: "
                         f"{', '.join(RULES)}")
    try:
        return RULES[kind](**params)
    except TypeError as exc:
        raise ValueError(f"rock_paper_scissors: bad parameters {params} for {kind!r}: "
                         f"{exc}") from None


def _biased(move: int) -> tuple[float, float, float]:
    p = [0.25, 0.25, 0.25]
    p[move] = 0.5
    return (p[0], p[1], p[2])


PATTERNS: dict[str, Pattern] = {
    "rps_constant_rock": Pattern("constant", {"move": "rock"}, "always rock"),
    "rps_constant_paper": Pattern("constant", {"move": "paper"}, "always paper"),
    "rps_constant_scissors": Pattern("constant", {"move": "scissors"}, "always scissors"),
    "rps_cycle": Pattern("sequence", {"moves": "RPS"}, "cycles rock → paper → scissors"),
    "rps_cycle_reverse": Pattern("sequence", {"moves": "RSP"},
                                 "cycles rock → scissors → paper"),
    "rps_copy": Pattern("react", {"first": "rock", "shift": 0},
                        "rock first, then copies the partner's last move"),
    "rps_beat_last": Pattern("react", {"first": "rock", "shift": 1},
                             "rock first, then plays what beats the partner's last move"),
    "rps_lose_last": Pattern("react", {"first": "rock", "shift": 2},
                             "rock first, then plays what the partner's last move beats"),
    "rps_biased_rock": Pattern("mixture", {"probs": _biased(0)},
                               "rock 1/2, paper 1/4, scissors 1/4, independently each round"),
    "rps_biased_paper": Pattern("mixture", {"probs": _biased(1)},
                                "paper 1/2, rock 1/4, scissors 1/4, independently each round"),
    "rps_biased_scissors": Pattern("mixture", {"probs": _biased(2)},
                                   "scissors 1/2, rock 1/4, paper 1/4, independently each "
                                   "round"),
    "rps_period2": Pattern("sequence", {"moves": "RP"}, "repeats rock, paper (period 2)"),
    "rps_period3": Pattern("sequence", {"moves": "RRS"},
                           "repeats rock, rock, scissors (period 3)"),
    "rps_period4": Pattern("sequence", {"moves": "RPPS"},
                           "repeats rock, paper, paper, scissors (period 4)"),
    "rps_period5": Pattern("sequence", {"moves": "SRPPR"},
                           "repeats scissors, rock, paper, paper, rock (period 5)"),
    "rps_uniform": Pattern("mixture", {"probs": (1 / 3, 1 / 3, 1 / 3)},
                           "each move with probability 1/3 (the Nash equilibrium)"),
}
"""Named patterns, each a policy kind of the same name (the opponents of the seed paper's
belief-refinement test: constant, cycle, copy, beat-last, biased mixtures, period-k
sequences, plus the equilibrium ``rps_uniform``)."""
