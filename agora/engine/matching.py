"""Pairings of the players of many game instances at once (random matching each round)."""

from __future__ import annotations

import numpy as np

from agora.engine.streams import Streams


def fixed_pairs(n_rows: int, n_players: int) -> np.ndarray:
    """Partner of every player when players 0-1, 2-3, ... stay paired: ``(n_rows, n)``."""
    return np.broadcast_to(np.arange(n_players) ^ 1, (n_rows, n_players)).copy()


def random_pairs(rng: Streams, n_players: int) -> np.ndarray:
    """A uniformly random perfect matching of ``n_players`` (even) per row of ``rng``: one
    draw of ``n_players`` uniforms per row (sorted into an order whose consecutive players
    are paired), so each instance's pairing comes from its own stream. Returns
    ``(rows, n_players)`` partner indices, symmetric (``p[p[i]] == i``)."""
    if n_players % 2:
        raise ValueError(f"random_pairs needs an even number of players, got {n_players}")
    order = np.argsort(rng.random(size=(len(rng), n_players)), axis=1)
    partner = np.empty((len(rng), n_players), dtype=np.int64)
    np.put_along_axis(partner, order[:, 0::2], order[:, 1::2], axis=1)
    np.put_along_axis(partner, order[:, 1::2], order[:, 0::2], axis=1)
    return partner
