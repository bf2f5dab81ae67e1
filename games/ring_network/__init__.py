"""The ring-network game (Kneeland 2015): four-player rings with a dominant last player.

Player i's payoff depends on its own action and player i+1's (player 4's on player 1's);
player 4 has a strictly dominant action, so iterated dominance runs down the ring and an order
of rationality R1..R4 is needed to play the equilibrium in positions 4..1. Four base games
``G1``-``G4`` and transformed versions ``T1``-``T4`` (player 4's matrix changed) identify each
agent's order from its 32 decisions (every position of every game). The matrices are agora's
construction with Kneeland's structure, not hers (``PROVENANCE.md``).

Running it (config fields of ``[config]`` / ``RingConfig``):

* ``beliefs = "implicit"`` (default): the agent just chooses.
* ``beliefs = "explicit"``: the agent answers ``{"belief": b, "action": a}``, its belief about
  the next player's action first; records carry it in the ``belief`` column.
* ``beliefs = "given"``: the prompt states the next player's action (the iterated-dominance
  one); records carry it in ``given_belief``.
* ``order = "fixed" | "random"`` (Kneeland's main / robustness treatments), ``games`` (labels,
  default all eight), ``rotate`` (default true: every agent plays all four positions).

A TOML spec: ``game = "ring_network"`` with ``[config] beliefs = "explicit"`` and
``[[policies]] kind = "llm"`` (or ``kind = "ring_r3"`` for a scripted R3 reference). From
Python, :func:`agora.run` with ``RingConfig(beliefs="given")`` and the policies
``POLICIES["ring_r2"]()`` etc. Each instance has four seats; every seat makes
``4 * len(games)`` decisions. Classify the agents with
:func:`agora.analysis.rationality_order.orders_from_records` and the arguments of
:func:`analysis_params` (``item_columns``, ``items``; then
:func:`agora.analysis.rationality_order.order_shares` with its ``predictions`` and
``type_labels`` gives the shares of R0-R4 and R>=1..R4 with bootstrap CIs, and the fit's
``classified`` each agent's order); :func:`kneeland_reference` gives the human row (cumulative
shares R>=1..R4). ``agora report`` on a ring run prints the same table beside it.

Exports: ``RingConfig``, ``RingKernel``, ``POLICIES`` (``ring_r0`` .. ``ring_r4``),
``OrderPolicy``, ``GAME_LABELS``, ``PAIRS``, ``MATRICES``, ``prediction_table``,
``nash_profile``, ``analysis_params``, ``kneeland_reference``, ``BELIEF_MODES``.
"""

from __future__ import annotations

from typing import Any

from games.ring_network.config import BELIEF_MODES, RingConfig
from games.ring_network.env import RingKernel, RingObservation, RingView
from games.ring_network.games import GAME_LABELS, MATRICES, PAIRS
from games.ring_network.hooks import RingHooks, kneeland_reference
from games.ring_network.policies import POLICIES, OrderPolicy
from games.ring_network.theory import nash_profile, prediction_table


def analysis_params(config: RingConfig) -> dict[str, Any]:
    """Parameters of the ``rationality_orders`` analysis for ``config`` (item columns, items,
    predictions of R0..R4 in 1-based actions, reference): what ``agora report`` uses, for
    :func:`agora.analysis.rationality_order.orders_from_records` in experiments."""
    return dict(RingKernel.hooks.analyses(config)[-1].params)


KERNELS = (RingKernel,)

__all__ = ["BELIEF_MODES", "GAME_LABELS", "KERNELS", "MATRICES", "PAIRS", "POLICIES",
           "OrderPolicy", "RingConfig", "RingHooks", "RingKernel", "RingObservation",
           "RingView", "analysis_params", "kneeland_reference", "nash_profile",
           "prediction_table"]
