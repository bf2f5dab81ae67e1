"""The alternating-offers bargaining kernel (and the ultimatum game), vectorised over instances.

Header: 2 players, A (slot 0) and B (slot 1); roles proposer / responder alternate every round.
Dynamics: each round takes two steps, a proposal (amount offered to the responder, optional
message) then a response (accept / reject, optional message); only the agent whose turn it is
decides. Agreement in round t (0-based) pays A ``(M − offer or offer)·δA^t`` and B likewise with
δB; T rounds without agreement pay 0 to both. Payoff bounds [0, M]. Defaults: M = 100 in $1
steps, δA = δB = 0.95, T = 10, A proposes first, complete information, no messages.
Record columns: per decision ``offer`` and ``share_a`` (A's share of the pie under the offer on
the table); on each game's final decision ``agreed``, ``agreement_round`` (1-based), ``gain_a``,
``gain_b`` (discounted shares of the pie), ``efficiency``, ``fairness``, ``spe_deviation`` and
``nbs_deviation`` (A's share minus A's SPE and Nash-bargaining shares); null elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np

from agora.engine.alternating_offers import (
    PROPOSE,
    RESPOND,
    ProposeRespondKernel,
    nullable,
    outcome_columns,
)
from agora.engine.kernel import StepOutcome
from agora.engine.structured import ChoiceSpec, OfferSpec, Spec, clean_message
from agora.engine.views import OfferView
from games.bargaining import prompts, theory
from games.bargaining.config import BargainingConfig, FirstMover, Information, UltimatumConfig
from games.bargaining.hooks import BargainingHooks, UltimatumHooks

PROPOSER, RESPONDER = PROPOSE, RESPOND


@dataclass(frozen=True, kw_only=True)
class Exchange:
    """One round's offer and response as a player remembers it."""

    round: int
    proposer: str
    """``"you"`` or ``"other"``."""
    offer: float
    """Amount offered to the responder."""
    offer_message: str
    accepted: bool | None
    """``None`` while the response is pending."""
    response_message: str


@dataclass(frozen=True, kw_only=True)
class BargainingObservation:
    """One player's view when it decides."""

    round: int
    role: str
    player: str
    own_delta: float
    other_delta: float | None
    """``None`` under incomplete information."""
    history: tuple[Exchange, ...]
    pending_offer: float | None
    """Amount offered to this player, when it must respond."""
    pending_message: str


class BargainingKernel(ProposeRespondKernel):
    """M independent alternating-offers games stepped together."""

    name: ClassVar[str] = "bargaining"
    description: ClassVar[str] = ("Alternating-offers bargaining over a pie (Rubinstein 1982): "
                                  "discounting, messages, (in)complete information.")
    config_cls: ClassVar[type[BargainingConfig]] = BargainingConfig
    prompts = prompts.PROMPTS
    theory = theory
    hooks = BargainingHooks(theory)
    config: BargainingConfig
    conformance_configs: ClassVar[tuple[dict[str, Any], ...]] = (
        {},
        {"first_mover": "random", "messages": True, "horizon": 4, "delta_a": 0.9,
         "delta_b": 0.6},
        {"horizon": None, "step": None, "pie": 1.0, "information": "incomplete"},
        {"first_mover": "b", "horizon": 3, "pie": 10.0, "step": 0.5, "messages": True,
         "message_max": 40},
    )

    def make_specs(self, message_max: int) -> tuple[Spec, Spec]:
        c = self.config
        return (OfferSpec(name="offer", low=0.0, high=c.pie, step=c.step, unit=c.unit,
                          description="the amount of the pie you offer the other player",
                          message_max=message_max),
                ChoiceSpec(name="decision", choices=("accept", "reject"),
                           message_max=message_max, description="whether you accept the offer"))

    # ------------------------------------------------------------------ header
    @property
    def n_rounds(self) -> int:
        return self.config.rounds

    def payoff_bounds(self) -> tuple[float, float]:
        return 0.0, float(self.config.pie)

    def first_slot(self, instances: np.ndarray) -> np.ndarray:
        return self.first[instances]

    # ------------------------------------------------------------------ dynamics
    def reset(self) -> None:
        m, t = self.n_instances, self.config.rounds
        self.reset_turns()
        fm = self.config.first_mover
        self.first = (self.rng.integers(0, 2, size=m) if fm is FirstMover.RANDOM
                      else np.full(m, int(fm is FirstMover.B), dtype=np.int64))
        self.offers = np.full((m, t), np.nan)
        self.accepted = np.zeros((m, t), dtype=bool)
        self.offer_msgs = np.full((m, t), "", dtype=object)
        self.response_msgs = np.full((m, t), "", dtype=object)
        self.share_a = np.full(m, np.nan)

    def step(self, instances: np.ndarray, players: np.ndarray,
             actions: np.ndarray) -> StepOutcome:
        cfg = self.config
        inst = self.check_turn(instances, players)
        n = inst.size
        r = self.round[inst]
        phase = self.phase[inst]
        all_rewards = np.zeros((self.n_instances, 2))
        cols = outcome_columns(n, ("agreed", "agreement_round", "gain_a", "gain_b",
                                   "efficiency", "fairness", "spe_deviation", "nbs_deviation"))
        offer = np.full(n, np.nan)
        mmax = self.message_max  # kernels store messages only as data
        for i, (m, a) in enumerate(zip(inst, actions, strict=True)):
            t = r[i]
            if phase[i] == PROPOSER:
                self.offers[m, t] = offer[i] = a["offer"]
                self.offer_msgs[m, t] = clean_message(a.get("message"), mmax)
            else:
                offer[i] = self.offers[m, t]
                self.accepted[m, t] = a["decision"] == "accept"
                self.response_msgs[m, t] = clean_message(a.get("message"), mmax)
        prop_slot = self.proposer_slot(inst)
        share_a = np.where(prop_slot == 0, cfg.pie - offer, offer) / cfg.pie
        accepted = (phase == RESPONDER) & self.accepted[inst, r]
        finished = self.advance(inst, accepted)
        if finished.any():
            fi = inst[finished]
            p = np.where(accepted[finished], share_a[finished], np.nan)
            self.share_a[fi] = p
            ga, gb = theory.gains(cfg, p, r[finished])
            all_rewards[fi, 0] = ga * cfg.pie
            all_rewards[fi, 1] = gb * cfg.pie
            spe = np.array([theory.spe_share_a(cfg, bool(f == 0)) for f in self.first[fi]])
            nbs = theory.nash_bargaining_payoffs(1.0)[0]
            deal = accepted[finished]
            cols["agreed"][finished] = deal.astype(np.float64)
            cols["agreement_round"][finished] = np.where(deal, r[finished] + 1, np.nan)
            cols["gain_a"][finished], cols["gain_b"][finished] = ga, gb
            cols["efficiency"][finished] = ga + gb
            cols["fairness"][finished] = theory.fairness(p)
            cols["spe_deviation"][finished] = p - spe
            cols["nbs_deviation"][finished] = p - nbs
        rewards = all_rewards[inst, np.asarray(players)]
        return StepOutcome(rewards=rewards, all_rewards=all_rewards,
                           columns={"offer": offer, "share_a": share_a, **nullable(cols)})

    def decision_view(self, instances: np.ndarray, players: np.ndarray) -> OfferView:
        """Every decision in the decider's own share of the pie (what a player sees: the
        offers so far, the one on the table, the round)."""
        cfg = self.config
        inst = np.asarray(instances)
        n = inst.size
        rounds = self.round[inst]
        responding = self.phase[inst] == RESPONDER
        mine = self.offer_makers(inst, cfg.rounds) == players[:, None]
        raw = self.offers[inst]
        offers = np.where(mine, cfg.pie - raw, raw)
        pending = np.where(responding, offers[np.arange(n), np.minimum(rounds, cfg.rounds - 1)],
                           np.nan)
        return OfferView(
            **self.view_fields(inst, players), proposing=~responding, pending=pending,
            t=rounds + responding, end=np.full(n, cfg.rounds), low=np.zeros(n),
            high=np.full(n, cfg.pie), offers=offers, mine=mine,
            realise=lambda d: cfg.pie - theory.proposal(cfg, d))

    # ------------------------------------------------------------------ observations
    def observation_space(self) -> gym.Space[Any]:
        # [round, is proposer, amount offered to me (0 if none), own delta, other delta or -1]
        high = max(float(self.config.rounds), self.config.pie, 1.0)
        return gym.spaces.Box(low=-1.0, high=high, shape=(5,), dtype=np.float64)

    def _deltas(self, player: int) -> tuple[float, float]:
        c = self.config
        return (c.delta_a, c.delta_b) if player == 0 else (c.delta_b, c.delta_a)

    def observation_array(self, instance: int, player: int) -> np.ndarray:
        t = min(int(self.round[instance]), self.config.rounds - 1)
        proposer = self.proposer_of(instance)
        pending = (float(self.offers[instance, t]) if self.phase[instance] == RESPONDER
                   and proposer != player and not self.done[instance] else 0.0)
        own, other = self._deltas(player)
        if self.config.information is Information.INCOMPLETE:
            other = -1.0
        return np.array([float(self.round[instance]), float(proposer == player), pending, own,
                         other])

    def observe(self, instance: int, player: int) -> BargainingObservation:
        t_now = int(self.round[instance])
        first = int(self.first[instance])
        history = []
        for t, answered in self.proposals_made(instance):
            history.append(Exchange(
                round=t, proposer="you" if first ^ (t % 2) == player else "other",
                offer=float(self.offers[instance, t]),
                offer_message=str(self.offer_msgs[instance, t]),
                accepted=bool(self.accepted[instance, t]) if answered else None,
                response_message=str(self.response_msgs[instance, t]) if answered else ""))
        pending = history[-1] if history and history[-1].accepted is None else None
        own, other = self._deltas(player)
        proposer = self.proposer_of(instance)
        return BargainingObservation(
            round=t_now, role=self.roles[0 if proposer == player else 1],
            player="A" if player == 0 else "B", own_delta=own,
            other_delta=None if self.config.information is Information.INCOMPLETE else other,
            history=tuple(h for h in history if h is not pending),
            pending_offer=pending.offer if pending and pending.proposer == "other" else None,
            pending_message=pending.offer_message if pending else "")


class UltimatumKernel(BargainingKernel):
    """The ultimatum game: one offer, accepted or rejected (bargaining with T = 1)."""

    name: ClassVar[str] = "ultimatum"
    description: ClassVar[str] = "The ultimatum game: one offer, accepted or rejected."
    config_cls: ClassVar[type[BargainingConfig]] = UltimatumConfig
    hooks = UltimatumHooks(theory)
    conformance_configs: ClassVar[tuple[dict[str, Any], ...]] = (
        {},
        {"first_mover": "random", "messages": True, "pie": 10.0},
        {"step": None, "pie": 1.0},
    )
