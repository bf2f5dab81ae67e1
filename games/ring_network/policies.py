"""Scripted players of Kneeland's orders of rationality: ``ring_r0`` .. ``ring_r4``.

``ring_r0`` chooses uniformly at random from the run's streams. ``ring_rk`` (k >= 1) plays the
action :func:`games.ring_network.theory.order_action` gives its order in the decision's game and
position: the equilibrium action where ``k`` reaches player 4, else the best response chain
anchored on a uniformly random player ``k`` steps down the ring. In the explicit-belief mode it
states the belief it acts on (the next player's action in its chain; a uniform draw from its
stream where that belief is uniform). In the given-belief mode every ``ring_rk`` with k >= 1
best-responds to the stated action (a rational player uses the belief it is given); ``ring_r0``
stays random.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from agora.engine.batch import DecisionBatch, Decisions
from agora.engine.policy import Policy
from agora.engine.streams import Streams
from games.ring_network import theory


def _tables(u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(n_games, 5, 4)`` actions and beliefs of orders R0..R4 in every position."""
    acts = np.stack([theory.predictions(g) for g in u])
    beliefs = np.stack([[[theory.order_belief(g, k, p) for p in range(4)]
                         for k in range(theory.MAX_ORDER + 1)] for g in u])
    return acts, beliefs


class OrderPolicy(Policy):
    """An ``Rk`` player of the ring-network game (``k`` in 0..4)."""

    def __init__(self, k: int) -> None:
        if not isinstance(k, int) or not 0 <= k <= theory.MAX_ORDER:
            raise ValueError(f"ring_network: order must be an integer 0-{theory.MAX_ORDER}, "
                             f"got {k!r}")
        self.k = k
        self.name = f"ring_r{k}"
        self._cache: tuple[bytes, tuple[np.ndarray, np.ndarray]] | None = None

    def _lookup(self, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        key = u.tobytes()
        if self._cache is None or self._cache[0] != key:
            self._cache = (key, _tables(u))
        return self._cache[1]

    def act(self, batch: DecisionBatch, rng: Streams) -> Decisions:
        view = batch.view()
        n = len(view)
        draws = Streams.coerce(rng, n).integers(0, 3, size=(n, 2))
        acts, beliefs = self._lookup(view.matrices)
        a = acts[view.game, self.k, view.position]
        b = beliefs[view.game, self.k, view.position]
        if self.k >= 1:
            given = view.given >= 0
            for i in np.flatnonzero(given):
                u = view.matrices[int(view.game[i])]
                a[i] = theory.best_response(u[int(view.position[i])], int(view.given[i]))
                b[i] = view.given[i]
        a = np.where(a < 0, draws[:, 0], a)
        b = np.where(b < 0, draws[:, 1], b)
        out = np.empty(n, dtype=object)
        for i in range(n):
            out[i] = view.spec_at(i).make(int(a[i]), int(b[i]))
        return Decisions(actions=out)

    def describe(self) -> dict[str, Any]:
        return {"kind": self.name}


def _factory(k: int) -> Callable[[], OrderPolicy]:
    def make() -> OrderPolicy:
        return OrderPolicy(k)
    make.__doc__ = f"Kneeland's R{k} player of the ring-network game."
    return make


POLICIES: dict[str, Callable[[], OrderPolicy]] = {
    f"ring_r{k}": _factory(k) for k in range(theory.MAX_ORDER + 1)}
"""Policy kinds ``ring_r0`` .. ``ring_r4`` this game ships."""
