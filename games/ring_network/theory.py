"""Iterated dominance down the ring and the actions of Kneeland's orders of rationality.

Positions are 0-based here (``p = 0`` is player 1) and actions 0-based (``0`` is action 1);
prompts, records and policies show them 1-based.

* Player 4 has a strictly dominant action. Player 3's best response to it, player 2's best
  response to that and player 1's best response to player 2's give the unique profile that
  survives iterated elimination of strictly dominated actions: the Nash equilibrium.
* An ``Rk`` player (rational, with beliefs of order ``k - 1`` that others are rational; Kneeland
  2015) in position ``p`` reasons ``k`` players deep: itself and the next ``k - 1`` players down
  the ring. When that chain reaches player 4 (``k >= 4 - p``, the position's *depth*) it plays
  the equilibrium action. Otherwise the last player of its chain (position ``p + k - 1``) is
  believed to hold agora's fixed non-rational belief: **the player after it chooses uniformly at
  random** (a level-0 anchor), and the chain best-responds back up to ``p``. So ``R1`` plays its
  best response to a uniformly random next player (except in position 4, where it plays the
  dominant action). Kneeland's own definition of beliefs beyond a type's depth could not be read;
  the uniform anchor is agora's choice. By construction an ``Rk`` player's action in position ``p``
  uses only the matrices of positions ``p .. p + k - 1`` (the exclusion restriction), so changing
  player 4's matrix changes it exactly when ``k >= 4 - p``.
* ``R0`` plays uniformly at random (no prediction, ``-1``).

This module satisfies :class:`agora.engine.contract.SequentialTheory`: the moves depend on the
game and position of each decision, read from the decision view.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from games.ring_network.games import N_POSITIONS, matrices

MAX_ORDER = 4


def strictly_dominant(m: np.ndarray) -> int | None:
    """Row of ``m`` that strictly beats every other row against every column, or ``None``."""
    for r in range(m.shape[0]):
        if all((m[r] > m[o]).all() for o in range(m.shape[0]) if o != r):
            return r
    return None


def best_response(m: np.ndarray, column: int) -> int:
    """The unique best row of ``m`` against ``column``."""
    c = m[:, column]
    best = np.flatnonzero(c == c.max())
    if best.size != 1:
        raise ValueError(f"ring_network: no unique best response to column {column}")
    return int(best[0])


def best_response_uniform(m: np.ndarray) -> int:
    """The unique best row of ``m`` against a uniformly random column."""
    means = m.mean(axis=1)
    best = np.flatnonzero(np.isclose(means, means.max()))
    if best.size != 1:
        raise ValueError("ring_network: no unique best response to a uniform belief")
    return int(best[0])


def nash_profile(u: np.ndarray) -> np.ndarray:
    """Iterated-dominance (Nash) actions of positions 1-4 of one game ``(4, 3, 3)``."""
    a = np.empty(N_POSITIONS, dtype=np.int64)
    d = strictly_dominant(u[3])
    if d is None:
        raise ValueError("ring_network: player 4 has no strictly dominant action")
    a[3] = d
    for p in (2, 1, 0):
        a[p] = best_response(u[p], int(a[p + 1]))
    return a


def depth(position: int) -> int:
    """Order needed to reach player 4 from 0-based ``position`` (4 for player 1, 1 for 4)."""
    return N_POSITIONS - position


def chain(u: np.ndarray, k: int, position: int) -> dict[int, int]:
    """Actions an ``Rk`` player in ``position`` (0-based, ``k >= 1``) attributes to itself and
    the next players of its chain: ``{position: own action, position + 1: belief, ...}``."""
    if k >= depth(position):
        ne = nash_profile(u)
        return {q: int(ne[q]) for q in range(position, N_POSITIONS)}
    last = position + k - 1
    out = {last: best_response_uniform(u[last])}
    for q in range(last - 1, position - 1, -1):
        out[q] = best_response(u[q], out[q + 1])
    return out


def order_action(u: np.ndarray, k: int, position: int) -> int:
    """Action of an ``Rk`` player in 0-based ``position``; ``-1`` for ``R0`` (random)."""
    if not 0 <= k <= MAX_ORDER:
        raise ValueError(f"ring_network: order must be 0-{MAX_ORDER}, got {k}")
    return -1 if k == 0 else chain(u, k, position)[position]


def order_belief(u: np.ndarray, k: int, position: int) -> int:
    """The next player's action an ``Rk`` player in ``position`` acts on, or ``-1`` when its
    belief is uniform (``R0``, ``R1`` below its depth, any order in position 4, whose dominant
    action needs no belief)."""
    if k == 0 or position == N_POSITIONS - 1:
        return -1
    return chain(u, k, position).get(position + 1, -1)


def predictions(u: np.ndarray) -> np.ndarray:
    """``(5, 4)`` action of each order R0..R4 (rows) in each position (columns); -1: none."""
    return np.array([[order_action(u, k, p) for p in range(N_POSITIONS)]
                     for k in range(MAX_ORDER + 1)], dtype=np.int64)


def prediction_table(labels: tuple[str, ...]) -> np.ndarray:
    """``(5, n_games, 4)`` predictions of orders R0..R4 in every game and position."""
    return np.stack([predictions(u) for u in matrices(labels)], axis=1)


def payoffs(u: np.ndarray, profile: np.ndarray) -> np.ndarray:
    """Payoffs of positions 1-4 of one game ``u`` for action profiles ``(..., 4)`` (0-based):
    position ``p`` earns ``u[p, a_p, a_{p+1}]`` (player 4 against player 1)."""
    a = np.asarray(profile, dtype=np.int64)
    nxt = np.roll(a, -1, axis=-1)
    return np.stack([u[p][a[..., p], nxt[..., p]] for p in range(N_POSITIONS)], axis=-1)


def equilibrium_actions(view: Any) -> np.ndarray:
    """Iterated-dominance action of every decision of a ring-network decision view (with the
    belief it rests on, the next player's equilibrium action, where the spec asks for one)."""
    out = np.empty(len(view), dtype=object)
    for i in range(len(view)):
        ne = nash_profile(view.matrices[int(view.game[i])])
        p = int(view.position[i])
        out[i] = view.spec_at(i).make(int(ne[p]), int(ne[(p + 1) % N_POSITIONS]))
    return out
