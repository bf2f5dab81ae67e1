"""The eight ring games: four base games and their transformed versions.

Each game is an array ``U`` of shape ``(4, 3, 3)``: ``U[p, a, b]`` is the payoff (points) of the
player in position ``p + 1`` when it plays action ``a + 1`` and the next player down the ring
(position ``p + 2``; player 4's next is player 1) plays ``b + 1``. Player 4 has a strictly
dominant action; no action of players 1-3 is dominated (each row is the unique best response
to one column). Transformed game ``Tk`` equals base game ``Gk`` except for player 4's matrix,
whose dominant action differs, so the iterated-dominance action changes in every position.

THESE MATRICES ARE NOT KNEELAND'S: her published matrices could not be read (see
``games/ring_network/PROVENANCE.md``). They were constructed for agora with her structure by a
seeded random search (``numpy.random.default_rng(2015)``, integer payoffs 0-20, kept when every
condition above holds and, in every position, each beyond-depth order's prediction differs from
the iterated-dominance action of both the base and the transformed game).
"""

from __future__ import annotations

import numpy as np

BASE: dict[str, list[list[list[int]]]] = {
    "G1": [[[2, 10, 10], [3, 15, 0], [13, 14, 1]],
           [[7, 19, 7], [19, 0, 0], [4, 4, 19]],
           [[5, 5, 20], [15, 15, 12], [16, 2, 10]],
           [[0, 5, 7], [13, 4, 13], [14, 7, 17]]],
    "G2": [[[15, 10, 1], [6, 0, 10], [19, 6, 2]],
           [[8, 6, 16], [7, 14, 4], [1, 7, 17]],
           [[17, 18, 14], [19, 10, 18], [20, 16, 11]],
           [[9, 13, 19], [4, 7, 12], [6, 3, 16]]],
    "G3": [[[13, 7, 2], [7, 7, 10], [6, 9, 1]],
           [[15, 0, 20], [6, 13, 15], [20, 8, 16]],
           [[14, 14, 15], [7, 15, 4], [18, 3, 11]],
           [[15, 15, 17], [2, 0, 14], [12, 11, 15]]],
    "G4": [[[13, 8, 16], [11, 9, 18], [5, 16, 15]],
           [[14, 16, 0], [20, 6, 2], [15, 3, 20]],
           [[5, 19, 0], [4, 16, 13], [19, 11, 5]],
           [[7, 7, 8], [12, 3, 15], [15, 14, 18]]],
}
"""Base games: player 1's, 2's, 3's and 4's matrices (rows: own action, columns: next's)."""

TRANSFORMED_P4: dict[str, list[list[int]]] = {
    "T1": [[18, 13, 15], [16, 4, 14], [16, 12, 13]],
    "T2": [[12, 12, 2], [0, 2, 10], [14, 17, 14]],
    "T3": [[11, 7, 7], [14, 14, 16], [11, 0, 12]],
    "T4": [[10, 11, 11], [12, 16, 13], [6, 4, 7]],
}
"""Player 4's matrix in each transformed game (the only change from its base game)."""

PAIRS: tuple[tuple[str, str], ...] = (("G1", "T1"), ("G2", "T2"), ("G3", "T3"), ("G4", "T4"))
"""(base, transformed) pairs."""

GAME_LABELS: tuple[str, ...] = ("G1", "G2", "G3", "G4", "T1", "T2", "T3", "T4")
"""All eight games in their fixed (main-treatment) order: the base games, then the
transformed ones."""

N_POSITIONS, N_ACTIONS = 4, 3


def _build() -> dict[str, np.ndarray]:
    out = {k: np.asarray(v, dtype=np.float64) for k, v in BASE.items()}
    for (g, t) in PAIRS:
        u = out[g].copy()
        u[3] = np.asarray(TRANSFORMED_P4[t], dtype=np.float64)
        out[t] = u
    for u in out.values():
        u.setflags(write=False)
    return {k: out[k] for k in GAME_LABELS}


MATRICES: dict[str, np.ndarray] = _build()
"""Label -> read-only ``(4, 3, 3)`` payoff array."""


def matrices(labels: tuple[str, ...]) -> np.ndarray:
    """``(len(labels), 4, 3, 3)`` payoffs of the named games."""
    unknown = [x for x in labels if x not in MATRICES]
    if unknown:
        raise ValueError(f"ring_network: unknown game(s) {unknown}; known: "
                         f"{', '.join(GAME_LABELS)}")
    return np.stack([MATRICES[x] for x in labels])
