"""The buyer-seller negotiation kernel, vectorised over instances.

Header: 2 players, seller (slot 0, value F_a) and buyer (slot 1, value F_b). Dynamics: the opener
names a price (optional message); then the other side accepts, counters with a new price or walks
away, and so on alternately; at most ``horizon`` offers (a counter to the last one ends the game
without trade). Payoffs: trade at p pays the seller ``p − F_a`` and the buyer ``F_b − p``; no
trade pays the outside options. Defaults: F_a = 100, F_b = 120 (GLEE's 1.2 ratio), 10 offers,
seller opens, private values, prices 0-200 in $1 steps, no messages. Record columns: ``price``
(the offer on the table after the move); on each game's final decision ``agreed``,
``agreement_round`` (1-based offer number), ``seller_gain``, ``buyer_gain``, ``efficiency``,
``fairness`` (GLEE) and ``spe_deviation`` (price minus the SPE price); null elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np

from agora.engine.alternating_offers import AlternatingOffersKernel, nullable, outcome_columns
from agora.engine.kernel import StepOutcome
from agora.engine.structured import ChoiceSpec, OfferSpec, Spec, clean_message
from agora.engine.views import OfferView
from games.negotiation import prompts, theory
from games.negotiation.config import NegotiationConfig, Opener
from games.negotiation.hooks import NegotiationHooks

SELLER, BUYER = 0, 1


@dataclass(frozen=True, kw_only=True)
class Move:
    """One move as a player remembers it."""

    turn: int
    by: str
    """``"you"`` or ``"other"``."""
    decision: str
    """``open``, ``counter``, ``accept`` or ``walk_away``."""
    price: float
    message: str


@dataclass(frozen=True, kw_only=True)
class NegotiationObservation:
    """One player's view when it decides."""

    turn: int
    role: str
    own_value: float
    other_value: float | None
    """``None`` with private values."""
    history: tuple[Move, ...]
    pending_price: float | None


@dataclass(frozen=True, kw_only=True)
class NegotiationView(OfferView):
    """Decisions of a batch in the decider's own surplus, plus the price on the table."""

    price: np.ndarray
    """Price on the table (NaN before the opening offer)."""


class NegotiationKernel(AlternatingOffersKernel):
    """M independent buyer-seller negotiations stepped together."""

    name: ClassVar[str] = "negotiation"
    roles: ClassVar[tuple[str, ...]] = ("seller", "buyer")
    config_cls: ClassVar[type[NegotiationConfig]] = NegotiationConfig
    prompts = prompts.PROMPTS
    theory = theory
    hooks = NegotiationHooks(theory)
    config: NegotiationConfig
    conformance_configs: ClassVar[tuple[dict[str, Any], ...]] = (
        {},
        {"opener": "random", "messages": True, "horizon": 3, "outside_buyer": 5.0},
        {"buyer_value": 80.0, "step": None, "private_values": False, "horizon": 2},
    )

    def make_specs(self, message_max: int) -> tuple[Spec, Spec]:
        price = OfferSpec(name="price", low=0.0, high=self.config.price_max,
                          step=self.config.step, unit=self.config.unit,
                          description="the price you propose", message_max=message_max)
        return price, ChoiceSpec(
            name="decision", choices=("accept", "counter", "walk_away"), offer=price,
            offer_with=("counter",), message_max=message_max,
            description="accept the price on the table, counter with your own price, or walk "
            "away")

    def max_steps(self) -> int:
        return self.config.horizon + 1

    def spec_codes(self, instances: np.ndarray, players: np.ndarray) -> np.ndarray:
        return (self.turn[instances] > 0).astype(np.int64)

    def payoff_bounds(self) -> tuple[float, float]:
        c = self.config
        return (min(-c.seller_value, c.buyer_value - c.price_max, 0.0),
                max(c.price_max - c.seller_value, c.buyer_value, c.outside_seller,
                    c.outside_buyer))

    def role_index(self, instances: np.ndarray, players: np.ndarray) -> np.ndarray:
        return np.asarray(players, dtype=np.int64)

    def reset(self) -> None:
        m, t = self.n_instances, self.config.horizon + 1
        self.done = np.zeros(m, dtype=bool)
        self.round = np.zeros(m, dtype=np.int64)
        self.turn = np.zeros(m, dtype=np.int64)
        op = self.config.opener
        self.opener = (self.rng.integers(0, 2, size=m) if op is Opener.RANDOM
                       else np.full(m, int(op is Opener.BUYER), dtype=np.int64))
        self.price = np.full(m, np.nan)
        self.moves = np.full((m, t), "", dtype=object)
        self.prices = np.full((m, t), np.nan)
        self.msgs = np.full((m, t), "", dtype=object)
        self.deal_price = np.full(m, np.nan)

    def first_slot(self, instances: np.ndarray) -> np.ndarray:
        return self.opener[instances]

    def mover(self, instances: np.ndarray) -> np.ndarray:
        return self.opener[instances] ^ (self.turn[instances] % 2)

    def step(self, instances: np.ndarray, players: np.ndarray,
             actions: np.ndarray) -> StepOutcome:
        cfg = self.config
        inst = self.check_turn(instances, players)
        n = inst.size
        mmax = self.message_max
        agreed = np.zeros(n, dtype=bool)
        finished = np.zeros(n, dtype=bool)
        for i, (m, a) in enumerate(zip(inst, actions, strict=True)):
            t = int(self.turn[m])
            decision = a.get("decision", "open")
            self.moves[m, t] = decision
            self.msgs[m, t] = clean_message(a.get("message"), mmax)
            if decision in ("open", "counter"):
                if t >= cfg.horizon:  # no offers left: a counter ends without trade
                    finished[i] = True
                else:
                    self.price[m] = self.prices[m, t] = float(a["price"])
            elif decision == "accept":
                agreed[i] = finished[i] = True
                self.prices[m, t] = self.deal_price[m] = self.price[m]
            else:
                finished[i] = True
        self.turn[inst] += 1
        self.round[inst] = self.turn[inst]
        self.done[inst[finished]] = True
        all_rewards = np.zeros((self.n_instances, 2))
        cols = outcome_columns(n, ("agreed", "agreement_round", "seller_gain", "buyer_gain",
                                   "efficiency", "fairness", "spe_deviation"))
        if finished.any():
            fi = inst[finished]
            p = np.where(agreed[finished], self.deal_price[fi], np.nan)
            deal = agreed[finished]
            sg = np.where(deal, p - cfg.seller_value, cfg.outside_seller)
            bg = np.where(deal, cfg.buyer_value - p, cfg.outside_buyer)
            all_rewards[fi, SELLER], all_rewards[fi, BUYER] = sg, bg
            spe = np.array([theory.spe_price(cfg, bool(o == SELLER)) for o in self.opener[fi]])
            cols["agreed"][finished] = deal
            cols["agreement_round"][finished] = np.where(deal, self.turn[fi] - 1, np.nan)
            cols["seller_gain"][finished], cols["buyer_gain"][finished] = sg, bg
            cols["efficiency"][finished] = theory.efficiency(cfg, deal)
            cols["fairness"][finished] = theory.fairness(cfg, p)
            cols["spe_deviation"][finished] = p - spe
        return StepOutcome(rewards=all_rewards[inst, np.asarray(players)],
                           all_rewards=all_rewards,
                           columns={"price": self.price[inst].copy(), **nullable(cols)})

    def decision_view(self, instances: np.ndarray, players: np.ndarray) -> NegotiationView:
        """Every decision in the decider's own surplus (what a player sees: the prices so far,
        the one on the table, the turn).

        A response is itself a counter-offer, so the time of the next own proposal is the
        current turn; the horizon is the number of offers.
        """
        cfg = self.config
        inst = np.asarray(instances)
        n = inst.size
        seller = players == SELLER
        turn = self.turn[inst]
        prices = self.prices[inst]
        offers = np.where(seller[:, None], prices - cfg.seller_value, cfg.buyer_value - prices)
        price = self.price[inst]
        pending = np.where(seller, price - cfg.seller_value, cfg.buyer_value - price)
        low = np.where(seller, cfg.outside_seller, cfg.outside_buyer)
        high = np.where(seller, cfg.price_max - cfg.seller_value, cfg.buyer_value)

        def realise(demand: np.ndarray) -> np.ndarray:
            p = theory.price_for(cfg, seller, demand)
            return np.where(seller, p - cfg.seller_value, cfg.buyer_value - p)

        return NegotiationView(
            **self.view_fields(inst, players), proposing=turn == 0,
            pending=np.where(turn > 0, pending, np.nan), t=turn, end=np.full(n, cfg.horizon),
            low=low, high=high, offers=offers,
            mine=self.offer_makers(inst, cfg.horizon + 1) == players[:, None], realise=realise,
            price=price)

    def observation_space(self) -> gym.Space[Any]:
        # [turn, price on the table (0 if none), own value, other value or -1]
        c = self.config
        high = max(float(c.horizon + 1), c.price_max)
        return gym.spaces.Box(low=-1.0, high=high, shape=(4,), dtype=np.float64)

    def _values(self, player: int) -> tuple[float, float]:
        c = self.config
        return (c.seller_value, c.buyer_value) if player == SELLER \
            else (c.buyer_value, c.seller_value)

    def observation_array(self, instance: int, player: int) -> np.ndarray:
        own, other = self._values(player)
        p = self.price[instance]
        return np.array([float(self.turn[instance]), 0.0 if np.isnan(p) else float(p), own,
                         -1.0 if self.config.private_values else other])

    def observe(self, instance: int, player: int) -> NegotiationObservation:
        own, other = self._values(player)
        hist = []
        opener = int(self.opener[instance])
        for t in range(int(self.turn[instance])):
            hist.append(Move(turn=t, by="you" if opener ^ (t % 2) == player else "other",
                             decision="open" if t == 0 else str(self.moves[instance, t]),
                             price=float(self.prices[instance, t]),
                             message=str(self.msgs[instance, t])))
        p = self.price[instance]
        return NegotiationObservation(
            turn=int(self.turn[instance]), role=self.roles[player], own_value=own,
            other_value=None if self.config.private_values else other, history=tuple(hist),
            pending_price=None if np.isnan(p) else float(p))
