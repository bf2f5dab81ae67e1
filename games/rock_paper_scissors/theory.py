"""Theory of repeated rock-paper-scissors with Wang, Xu & Zhou's (2014) payoffs.

Moves are coded 0 = rock, 1 = paper, 2 = scissors; move ``i`` beats move ``(i + 2) % 3`` (paper
beats rock, scissors beat paper, rock beats scissors), so ``(j + 1) % 3`` is the move that beats
``j``. A win pays a > 1 (``config.win``), a tie 1 and a loss 0.

* The unique Nash equilibrium of the stage game mixes the three moves with probability 1/3 each
  [read: WXZ 2014, Sci Rep 4:5830, "every player chooses the three actions with equal
  probability 1/3"]; its expected payoff is (a + 1)/3 [derived], and against it every move
  earns (a + 1)/3, so every move is a best response to the equilibrium.
* Against an opponent whose next move has distribution q, move i earns a·q[(i + 2) % 3] + q[i];
  the best response maximises that, and its value is the most any player can expect against q
  (:func:`max_payoff`). A deterministic pattern puts q on one move: the maximum is a (always
  win). A biased mixture q: the best response to the known q.

The equilibrium mixes, so :func:`equilibrium_mixture` gives it (the generic ``equilibrium``
policy draws from it, as does ``rps_uniform``); :func:`equilibrium_action` returns rock (0), one
move of its support (a best response to the equilibrium, earning (a + 1)/3 against it), only
for tools that need a single number, such as ``agora show``'s equilibrium-action column.
The module deliberately is not a :class:`~agora.engine.contract.SimultaneousTheory`: level-k
and cognitive-hierarchy steps are undefined for RPS (every move is a best response to uniform
level-0 play), so the report skips its one-number fits (logit λ, convergence).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from games.rock_paper_scissors.config import RPSConfig

MOVES = ("rock", "paper", "scissors")
"""Move names by code."""
LETTERS = "RPS"
"""One-letter move names by code."""


def beats(move: np.ndarray | int) -> np.ndarray:
    """The move that beats ``move`` (one step up the cycle)."""
    return (np.asarray(move, dtype=np.int64) + 1) % 3


def outcome(own: np.ndarray, other: np.ndarray) -> np.ndarray:
    """+1 when ``own`` beats ``other``, 0 on a tie, -1 when it loses (broadcasting)."""
    d = (np.asarray(own, dtype=np.int64) - np.asarray(other, dtype=np.int64)) % 3
    return np.where(d == 1, 1, np.where(d == 0, 0, -1)).astype(np.int8)


def payoff_matrix(config: RPSConfig) -> np.ndarray:
    """``u[i, j]``: payoff of move i against move j (win a, tie 1, loss 0)."""
    i, j = np.meshgrid(np.arange(3), np.arange(3), indexing="ij")
    return np.select([outcome(i, j) == 1, outcome(i, j) == 0], [config.win, 1.0], 0.0)


def payoffs(config: RPSConfig, own: np.ndarray, other: np.ndarray) -> np.ndarray:
    """Payoff of moves ``own`` against moves ``other`` (broadcasting; codes 0..2)."""
    a = np.asarray(own, dtype=np.float64).astype(np.int64)
    b = np.asarray(other, dtype=np.float64).astype(np.int64)
    return payoff_matrix(config)[a, b]


def _belief(belief: np.ndarray) -> np.ndarray:
    q = np.asarray(belief, dtype=np.float64)
    if q.shape[-1:] != (3,) or (q < -1e-12).any() or not np.allclose(q.sum(-1), 1.0):
        raise ValueError(f"rock_paper_scissors: a belief is 3 probabilities summing to 1, got "
                         f"{belief!r}")
    return q


def expected_payoffs(config: RPSConfig, belief: np.ndarray) -> np.ndarray:
    """Expected payoff of each own move (last axis, 3) against the distribution ``belief``
    (``(..., 3)``) of the other's move: a·q[(i + 2) % 3] + q[i]."""
    return _belief(belief) @ payoff_matrix(config).T


def best_response(config: RPSConfig, belief: np.ndarray) -> np.ndarray:
    """The move maximising the expected payoff against ``belief`` (the lowest code on ties)."""
    return np.argmax(expected_payoffs(config, belief) - 1e-12 * np.arange(3), axis=-1)


def max_payoff(config: RPSConfig, belief: np.ndarray) -> np.ndarray:
    """The most a move can expect against ``belief`` (the best response's expected payoff)."""
    return expected_payoffs(config, belief).max(axis=-1)


def equilibrium_mixture(config: RPSConfig) -> np.ndarray:
    """The unique Nash equilibrium: each move with probability 1/3."""
    return np.full(3, 1.0 / 3.0)


def equilibrium_payoff(config: RPSConfig) -> float:
    """Expected payoff per round at the equilibrium: (a + 1)/3."""
    return (config.win + 1.0) / 3.0


def equilibrium_action(config: RPSConfig) -> float:
    """Rock (0): a move in the support of the uniform equilibrium, for tools that need one
    number (see the module docstring); not the equilibrium, which mixes."""
    return 0.0


def max_pattern_payoff(config: RPSConfig, probs: np.ndarray) -> float:
    """Most attainable expected payoff per round against a stationary mixture ``probs`` (a
    deterministic pattern: one-hot ``probs``, value a)."""
    return float(max_payoff(config, probs))


def benchmark_notes(config: RPSConfig) -> str:
    """What the benchmark rows mean for ``config``."""
    a = config.win
    return (f"unique Nash equilibrium: each move with probability 1/3, expected payoff "
            f"(a + 1)/3 = {equilibrium_payoff(config):.4g} per round (a = {a:g}); no pure "
            "equilibrium (the 'equilibrium action' row is rock, one move of its support); "
            f"against a deterministic pattern the best response wins every round ({a:g}); "
            "Wang, Xu & Zhou (2014) find population cycles and win-tie-lose conditional "
            "responses")
