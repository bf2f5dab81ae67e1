"""Scripted negotiators: time-dependent (Boulware / Conceder), tit-for-tat, always-accept/reject.

Every tactic works in the deciding agent's own utility of an offer: it reads the batch's
decision view (an :class:`~agora.engine.views.OfferView`, ``batch.view()``) and turns its demands
into actions with the game theory's ``offer_actions(view, demand, accept)`` (see
:class:`~agora.engine.contract.OfferTheory`), so one policy plays every alternating-offers
game (bargaining, the ultimatum game, buyer-seller negotiation, item division).
An agent's utility range runs from its reservation value ``low`` (what no deal pays) to its best
offer ``high``; its *demand* is the utility its next proposal gives it.

Time-dependent tactics (Faratin, Sierra & Jennings 1998): at time ``t`` of a deadline ``T`` the
agent demands ``low + (1 − α(t))·(high − low)`` with ``α(t) = (min(t, T)/T)^(1/β)``. Boulware
(β < 1) holds out until near the deadline, Conceder (β > 1) gives ground early, β = 1 is linear.
``t`` is the round (turn, in buyer-seller negotiation) of the agent's next proposal and the
default deadline is the game's horizon, the first time at which no proposal remains.

Tit-for-tat (Faratin et al.'s imitative tactic with δ = 1): the agent opens at ``high`` and then
concedes exactly what the opponent conceded in its last move, as the agent values it (the gain
from the opponent's second-to-last to its last offer), and hardens when the opponent retracts.
Measured in the agent's own utility the rule needs no knowledge of the opponent's values; in
bargaining (constant sum) it mirrors the opponent's concession of the pie and in buyer-seller
negotiation its price move, exactly.

Every tactic accepts an offer worth at least what it would propose next (Faratin's acceptance
rule); when it can propose no more (the game's last response) it accepts anything at least its
reservation value. Always-accept accepts every offer and always-reject rejects every offer (and
counters, where the game has counter-offers); as proposers both demand a fixed share of their
range. The subgame-perfect player is :class:`~agora.policies.scripted.EquilibriumPolicy`.
Proposals are rounded in the proposer's favour to the game's grid (prices, whole items), so an
agent never demands less than its tactic says.
"""

from __future__ import annotations

import math
from abc import abstractmethod
from typing import Any

import numpy as np

from agora.engine.batch import DecisionBatch, Decisions
from agora.engine.streams import Streams
from agora.engine.views import OfferView
from agora.policies.base import Policy

TOL = 1e-9


def negotiation_theory(batch: DecisionBatch) -> Any:
    """The game's theory, checked to support scripted negotiators (``offer_actions``)."""
    theory = batch.theory
    if not callable(getattr(theory, "offer_actions", None)):
        raise TypeError(f"game {batch.kernel.name!r} has no offers to concede on: scripted "
                        "negotiators play alternating-offers games, whose theory defines "
                        "offer_actions")
    return theory


def offer_view(batch: DecisionBatch) -> OfferView:
    """The batch's decision view, checked to be an :class:`OfferView`."""
    return batch.view_as(OfferView, "has no offers to concede on")


def last_values(values: np.ndarray, mask: np.ndarray, k: int) -> list[np.ndarray]:
    """The last, second-to-last, ... (``k`` in all) masked entries of each row (NaN if none)."""
    n, s = values.shape
    pos = np.broadcast_to(np.arange(s), (n, s))
    left = mask.copy()
    out = []
    for _ in range(k):
        last = np.where(left, pos, -1).max(axis=1)
        found = last >= 0
        out.append(np.where(found, values[np.arange(n), np.maximum(last, 0)], np.nan))
        left &= pos < last[:, None]
    return out


class ConcessionPolicy(Policy):
    """A negotiator defined by the utility it demands next; accepts offers worth as much."""

    @abstractmethod
    def demand(self, view: OfferView) -> np.ndarray:
        """Utility each agent's next proposal should give it."""

    def accepts(self, view: OfferView, realised: np.ndarray) -> np.ndarray:
        """Faratin's rule: accept an offer worth at least the agent's next proposal."""
        return ~view.proposing & (view.pending >= realised - TOL)

    def act(self, batch: DecisionBatch, rng: Streams) -> Decisions:
        theory = negotiation_theory(batch)
        view = offer_view(batch)
        demand = np.where(view.t >= view.end, view.low, self.demand(view))
        demand = np.clip(demand, view.low, np.maximum(view.high, view.low))
        accept = self.accepts(view, view.realise(demand))
        return Decisions(actions=theory.offer_actions(view, demand, accept))


def _check_beta(name: str, beta: float) -> float:
    if isinstance(beta, bool) or not isinstance(beta, int | float) \
            or not (math.isfinite(beta) and beta > 0):
        raise ValueError(f"{name}: beta must be a finite number > 0, got {beta!r}")
    return float(beta)


class TimeDependentPolicy(ConcessionPolicy):
    """Faratin et al.'s polynomial time-dependent tactic.

    Args:
        beta: Concession exponent β > 0 (< 1 Boulware, 1 linear, > 1 Conceder).
        deadline: The agent's own deadline T in rounds (>= 1); ``None`` uses the game's horizon.
    """

    kind = "time_dependent"

    def __init__(self, beta: float = 1.0, deadline: int | None = None) -> None:
        self.beta = _check_beta(type(self).__name__, beta)
        if deadline is not None and (isinstance(deadline, bool) or not isinstance(deadline, int)
                                     or deadline < 1):
            raise ValueError(f"{type(self).__name__}: deadline must be an integer >= 1 or None, "
                             f"got {deadline!r}")
        self.deadline = deadline
        self.name = f"{self.kind}(beta={self.beta:g})"

    def alpha(self, t: np.ndarray, deadline: np.ndarray) -> np.ndarray:
        """Share of the range conceded by time ``t``: ``(min(t, T)/T)^(1/β)``."""
        big_t = np.asarray(deadline, dtype=np.float64)
        return (np.minimum(np.asarray(t, dtype=np.float64), big_t) / big_t) ** (1.0 / self.beta)

    def demand(self, view: OfferView) -> np.ndarray:
        big_t = view.end if self.deadline is None else np.full(view.t.shape, self.deadline)
        return view.low + (1.0 - self.alpha(view.t, big_t)) * (view.high - view.low)

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "beta": self.beta, "deadline": self.deadline}


class BoulwarePolicy(TimeDependentPolicy):
    """Time-dependent tactic that concedes late (β < 1; default 0.2 as in Genius)."""

    kind = "boulware"

    def __init__(self, beta: float = 0.2, deadline: int | None = None) -> None:
        super().__init__(beta, deadline)
        if not self.beta < 1:
            raise ValueError(f"BoulwarePolicy: beta must be < 1, got {beta!r}")


class ConcederPolicy(TimeDependentPolicy):
    """Time-dependent tactic that concedes early (β > 1; default 2)."""

    kind = "conceder"

    def __init__(self, beta: float = 2.0, deadline: int | None = None) -> None:
        super().__init__(beta, deadline)
        if not self.beta > 1:
            raise ValueError(f"ConcederPolicy: beta must be > 1, got {beta!r}")


class TitForTatPolicy(ConcessionPolicy):
    """Concedes what the opponent conceded in its last move (as this agent values it)."""

    name = "tit_for_tat"

    def demand(self, view: OfferView) -> np.ndarray:
        own = np.isfinite(view.offers) & view.mine
        theirs = np.isfinite(view.offers) & ~view.mine
        (previous,) = last_values(view.offers, own, 1)
        latest, before = last_values(view.offers, theirs, 2)
        conceded = np.nan_to_num(latest - before)  # 0 until the opponent made two offers
        return np.where(np.isnan(previous), view.high, previous - conceded)

    def describe(self) -> dict[str, Any]:
        return {"kind": "tit_for_tat"}


def _check_share(name: str, demand: float) -> float:
    if isinstance(demand, bool) or not isinstance(demand, int | float) \
            or not 0 <= demand <= 1:
        raise ValueError(f"{name}: demand must be a share of the range in [0, 1], got {demand!r}")
    return float(demand)


class AlwaysAcceptPolicy(ConcessionPolicy):
    """Accepts every offer; proposes a fixed ``demand`` share of its range (default all)."""

    kind = "always_accept"

    def __init__(self, demand: float = 1.0) -> None:
        self.share = _check_share(type(self).__name__, demand)
        self.name = self.kind

    def demand(self, view: OfferView) -> np.ndarray:
        return view.low + self.share * (view.high - view.low)

    def accepts(self, view: OfferView, realised: np.ndarray) -> np.ndarray:
        return ~view.proposing

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "demand": self.share}


class AlwaysRejectPolicy(AlwaysAcceptPolicy):
    """Rejects every offer (countering where it can); proposes a fixed ``demand`` share."""

    kind = "always_reject"

    def accepts(self, view: OfferView, realised: np.ndarray) -> np.ndarray:
        return np.zeros(view.proposing.shape, dtype=bool)
