"""Typed views of a batch of decisions: what the deciding players may know, for scripted play.

A kernel's :meth:`~agora.engine.kernel.GameKernel.decision_view` builds one view per batch
(``DecisionBatch.view()``); scripted policies and a game's
:class:`~agora.engine.contract.SequentialTheory` read it instead of the kernel's state. A view is
columnar (one entry per decision, in batch order) and holds only what the acting player could
observe: the public rules (the config), its seat, the clock, the action specs it decides under
and, for offer games, the offers made so far.

* :class:`DecisionView`: the base every view shares.
* :class:`OfferView`: alternating-offers games in the decider's own utility, what the scripted
  negotiators of :mod:`agora.policies.negotiators` concede on. A game subclasses it to add the
  raw state its theory needs (e.g. the price on the table).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from agora.engine.structured import Spec


@dataclass(frozen=True, kw_only=True)
class DecisionView:
    """What every deciding player knows: the rules, its seat, the clock and its action spec.

    Attributes:
        config: The game config (the public rules of the game).
        players: Player slot of each decision.
        rounds: Game round of each decision (the kernel's round counter).
        codes: Spec code of each decision (see ``GameKernel.spec_codes``).
        specs: Action specs indexed by spec code.
    """

    config: Any
    players: np.ndarray
    rounds: np.ndarray
    codes: np.ndarray
    specs: Sequence[Spec]

    def __len__(self) -> int:
        return int(self.players.size)

    def spec_at(self, i: int) -> Spec:
        """Action spec of the ``i``-th decision."""
        return self.specs[int(self.codes[i])]

    def validated(self, actions: Iterable[Any]) -> np.ndarray:
        """One action per decision as the canonical legal values its spec returns (an object
        array, what the runner's legality check expects)."""
        out = np.empty(len(self), dtype=object)
        for i, action in enumerate(actions):
            out[i] = self.spec_at(i).validate(action)
        return out


@dataclass(frozen=True, kw_only=True)
class OfferView(DecisionView):
    """A batch of alternating-offers decisions in the deciding agents' own utility.

    Attributes:
        first: Slot of the player who made (or makes) the first offer of each decision's game.
        proposing: Whether each decision is a proposal (else a response to ``pending``).
        pending: Utility of the offer on the table (NaN when proposing).
        t: Time (round or turn) of the agent's next own proposal: now when proposing or when a
            response is itself a counter-offer, else the next round.
        end: The game's horizon: the first time at which no proposal remains.
        low: Reservation utility (the payoff without a deal).
        high: Utility of the agent's best proposal.
        offers: Utility to the agent of every offer made so far, ``(n, slots)``, NaN where none
            (the pending offer included).
        mine: Which of ``offers`` the agent made itself.
        realise: Utility to the agent of the proposal a demand becomes (demands are rounded up
            to the game's grid in the proposer's favour).
    """

    first: np.ndarray
    proposing: np.ndarray
    pending: np.ndarray
    t: np.ndarray
    end: np.ndarray
    low: np.ndarray
    high: np.ndarray
    offers: np.ndarray
    mine: np.ndarray
    realise: Callable[[np.ndarray], np.ndarray]
