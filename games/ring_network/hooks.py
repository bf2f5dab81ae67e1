"""Analysis hooks of the ring-network game (see :class:`agora.engine.contract.GameHooks`).

* ``analyses``: rates by position (``cooperation_by_round`` over the ``position`` column) of
  equilibrium actions and, where beliefs are stated or given, of best responses to them; and
  the catalogue kind ``rationality_orders`` with the predictions of orders R0-R4
  for every (game, position) the config plays (from :mod:`games.ring_network.theory`) and
  Kneeland's (2015) cumulative shares as the human reference (packaged in ``data/``).
* ``payoffs``: the ring payoffs of a round's profile when every round plays the same game with
  seat ``j`` as player ``j + 1`` (one game, ``rotate = false``); ``None`` otherwise, because a
  profile alone does not say which game and rotation its round had.
* ``benchmark``: ``None`` (there is no single equilibrium action: it differs by game and
  position); the report's ``rationality_orders`` section lists the iterated-dominance (Nash)
  action of every game and position instead, and the ``nash`` record column carries it.
"""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources
from typing import Any

import numpy as np

from agora.engine.contract import AnalysisSpec, GameHooks
from games.ring_network.config import RingConfig
from games.ring_network.games import GAME_LABELS, matrices


@cache
def kneeland_reference() -> dict[str, Any]:
    """Kneeland's (2015) cumulative shares R>=1..R4, read from the packaged CSV."""
    text = resources.files("games.ring_network.data").joinpath(
        "kneeland2015_orders.csv").read_text()
    rows = list(csv.DictReader(text.splitlines()))
    return {"label": "Kneeland (2015) subjects",
            "cumulative": [float(r["value"]) for r in rows],
            "statistics": [r["statistic"] for r in rows],
            "source": rows[0]["source"]}


class RingHooks(GameHooks):
    """Orders-of-rationality analysis and payoffs of the ring-network game."""

    def payoffs(self, config: RingConfig, profile: np.ndarray) -> np.ndarray | None:
        """Payoffs of seats 1-4 for 1-based action profiles ``(..., 4)``, when the round's game
        and positions are fixed by the config (one game, no rotation); else ``None``."""
        if len(config.games) != 1 or config.rotate:
            return None
        u = matrices(config.games)[0]
        return self.theory.payoffs(u, np.asarray(profile, dtype=np.int64) - 1)

    def analyses(self, config: RingConfig) -> tuple[AnalysisSpec, ...]:
        table = self.theory.prediction_table(config.games)  # (5, n_games, 4), 0-based, -1 none
        items, preds = [], [[] for _ in range(table.shape[0])]
        for g, label in enumerate(config.games):
            for p in range(table.shape[2]):
                items.append([float(GAME_LABELS.index(label)), float(p + 1)])
                for k in range(table.shape[0]):
                    v = int(table[k, g, p])
                    preds[k].append(None if v < 0 else v + 1)
        labels = [f"{label} player {p + 1}" for label in config.games for p in range(4)]
        rates = {"equilibrium action": "at_nash"}
        if config.beliefs != "implicit":
            rates["best response to the belief"] = "br_to_belief"
        if config.beliefs == "explicit":
            rates["belief = next player's equilibrium action"] = "belief_nash"
        by_position = AnalysisSpec("cooperation_by_round", {
            "columns": rates, "round_column": "position", "cluster": "instance",
            "title": "Play by position (equilibrium there needs R1 as player 4, R2 as 3, R3 "
                     "as 2, R4 as 1)"})
        return by_position, AnalysisSpec("rationality_orders", {
            "item_columns": ("ring_game", "position"), "items": items, "item_labels": labels,
            "predictions": preds, "type_labels": [f"R{k}" for k in range(table.shape[0])],
            "n_actions": 3, "benchmark_type": table.shape[0] - 1,
            "reference": kneeland_reference()})
