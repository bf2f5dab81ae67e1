"""The item-division kernel (Deal or No Deal), vectorised over instances.

Header: 2 players, A (slot 0) and B (slot 1), roles proposer / responder alternating by round.
Dynamics: per round a proposal (how many of each item the proposer keeps, optional message) then
a response (accept / reject, optional message); ``horizon`` proposals at most. Payoffs: on
agreement each player's private linear value of its bundle, else 0 for both; bounds
[0, max total value]. Defaults: books/hats/balls with counts 1/2/3, values A (1, 3, 1) and
B (4, 0, 2) (each pool worth 10), 4 proposals, A first, private values, no messages.
Record columns: ``value_a`` / ``value_b`` of the allocation on the table; on each game's final
decision ``agreed``, ``agreement_round``, ``gain_a``, ``gain_b``, ``pareto_optimal``,
``efficiency`` (joint value / maximal joint value) and ``nbs_deviation`` (joint Nash product
shortfall: 1 − u_A·u_B / max Nash product); null elsewhere.
"""

from __future__ import annotations

import functools
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
from agora.engine.structured import AllocationSpec, ChoiceSpec, Spec, clean_message
from agora.engine.views import OfferView
from games.item_division import prompts, theory
from games.item_division.config import ItemDivisionConfig

PROPOSER, RESPONDER = PROPOSE, RESPOND


@dataclass(frozen=True, kw_only=True)
class Proposal:
    """One round's proposal as a player remembers it (items each side gets)."""

    round: int
    proposer: str
    you_get: tuple[int, ...]
    other_gets: tuple[int, ...]
    message: str
    accepted: bool | None
    response_message: str


@dataclass(frozen=True, kw_only=True)
class ItemDivisionObservation:
    """One player's view when it decides."""

    round: int
    role: str
    own_values: tuple[float, ...]
    other_values: tuple[float, ...] | None
    history: tuple[Proposal, ...]
    pending: Proposal | None


@dataclass(frozen=True, kw_only=True)
class ItemDivisionView(OfferView):
    """Decisions of a batch in the decider's own value, plus the allocation on the table."""

    table: np.ndarray
    """``(n, items)``: items A keeps under the proposal on the table (zeros when none)."""


class ItemDivisionKernel(ProposeRespondKernel):
    """M independent item divisions stepped together."""

    name: ClassVar[str] = "item_division"
    config_cls: ClassVar[type[ItemDivisionConfig]] = ItemDivisionConfig
    prompts = prompts.PROMPTS
    theory = theory
    config: ItemDivisionConfig
    conformance_configs: ClassVar[tuple[dict[str, Any], ...]] = (
        {},
        {"messages": True, "first_mover": "b", "horizon": 3, "private_values": False},
        {"items": ("apples", "pears"), "counts": (2, 1), "values_a": (1.0, 2.0),
         "values_b": (2.0, 2.0), "horizon": 1},
    )

    def make_specs(self, message_max: int) -> tuple[Spec, Spec]:
        c = self.config
        return (AllocationSpec(name="keep", counts=c.counts, items=c.items,
                               message_max=message_max,
                               description="how many of each item you keep"),
                ChoiceSpec(name="decision", message_max=message_max,
                           description="whether you accept the proposal"))

    @property
    def n_rounds(self) -> int:
        return self.config.horizon

    @functools.cached_property
    def _nash(self) -> float:
        """Nash product of the Nash bargaining allocation (the scale of ``nbs_deviation``)."""
        c = self.config
        return float(np.prod(theory.values(c, theory.nash_bargaining_allocation(c)[None, :])))

    def payoff_bounds(self) -> tuple[float, float]:
        return 0.0, max(self.config.total_value(0), self.config.total_value(1))

    def first_slot(self, instances: np.ndarray) -> np.ndarray:
        return np.full(np.shape(instances), self.first, dtype=np.int64)

    def reset(self) -> None:
        m, t, n = self.n_instances, self.config.horizon, len(self.config.counts)
        self.first = int(self.config.first_mover == "b")
        self.reset_turns()
        self.keep_a = np.zeros((m, t, n), dtype=np.int64)
        self.accepted = np.zeros((m, t), dtype=bool)
        self.msgs = np.full((m, t, 2), "", dtype=object)

    def step(self, instances: np.ndarray, players: np.ndarray,
             actions: np.ndarray) -> StepOutcome:
        cfg = self.config
        inst = self.check_turn(instances, players)
        counts = np.asarray(cfg.counts)
        mmax = self.message_max
        r, phase = self.round[inst], self.phase[inst]
        prop = self.proposer_slot(inst)
        for i, (m, a) in enumerate(zip(inst, actions, strict=True)):
            self.msgs[m, r[i], phase[i]] = clean_message(a.get("message"), mmax)
            if phase[i] == PROPOSER:
                keep = np.asarray(a["keep"], dtype=np.int64)
                self.keep_a[m, r[i]] = keep if prop[i] == 0 else counts - keep
            else:
                self.accepted[m, r[i]] = a["decision"] == "accept"
        va, vb = theory.values(cfg, self.keep_a[inst, r])
        accepted = (phase == RESPONDER) & self.accepted[inst, r]
        finished = self.advance(inst, accepted)
        all_rewards = np.zeros((self.n_instances, 2))
        cols = outcome_columns(inst.size, ("agreed", "agreement_round", "gain_a", "gain_b",
                                           "pareto_optimal", "efficiency", "nbs_deviation"))
        if finished.any():
            fi, deal = inst[finished], accepted[finished]
            ga, gb = np.where(deal, va[finished], 0.0), np.where(deal, vb[finished], 0.0)
            all_rewards[fi, 0], all_rewards[fi, 1] = ga, gb
            cols["agreed"][finished] = deal
            cols["agreement_round"][finished] = np.where(deal, r[finished] + 1, np.nan)
            cols["gain_a"][finished], cols["gain_b"][finished] = ga, gb
            pareto = theory.is_pareto_optimal(cfg, self.keep_a[fi, r[finished]])
            cols["pareto_optimal"][finished] = np.where(deal, pareto, 0.0)
            cols["efficiency"][finished] = theory.efficiency(cfg, ga, gb)
            cols["nbs_deviation"][finished] = (1 - ga * gb / self._nash if self._nash > 0
                                               else 0.0)
        return StepOutcome(rewards=all_rewards[inst, np.asarray(players)],
                           all_rewards=all_rewards,
                           columns={"value_a": va, "value_b": vb, **nullable(cols)})

    def decision_view(self, instances: np.ndarray, players: np.ndarray) -> ItemDivisionView:
        """Every decision in the decider's own value (what a player sees: the proposals so
        far, the one on the table, the round)."""
        cfg = self.config
        inst = np.asarray(instances)
        n = inst.size
        rounds = self.round[inst]
        responding = self.phase[inst] == RESPONDER
        slots = np.arange(cfg.horizon)[None, :]
        made = (slots < rounds[:, None]) | ((slots == rounds[:, None]) & responding[:, None])
        keep_a = self.keep_a[inst]
        va, vb = theory.values(cfg, keep_a)
        offers = np.where(made, np.where(players[:, None] == 0, va, vb), np.nan)
        now = np.minimum(rounds, cfg.horizon - 1)
        pending = np.where(responding, offers[np.arange(n), now], np.nan)
        high = np.where(players == 0, cfg.total_value(0), cfg.total_value(1))
        return ItemDivisionView(
            **self.view_fields(inst, players), proposing=~responding, pending=pending,
            t=rounds + responding, end=np.full(n, cfg.horizon), low=np.zeros(n), high=high,
            offers=offers, mine=self.offer_makers(inst, cfg.horizon) == players[:, None],
            realise=lambda d: theory.proposals(cfg, players, d)[1],
            table=np.where(responding[:, None], keep_a[np.arange(n), now], 0))

    def observation_space(self) -> gym.Space[Any]:
        # [round, is proposer, items offered to me per type (0 if none)]
        n = len(self.config.counts)
        high = float(max(self.config.horizon, *self.config.counts))
        return gym.spaces.Box(low=0.0, high=high, shape=(2 + n,), dtype=np.float64)

    def observation_array(self, instance: int, player: int) -> np.ndarray:
        t = min(int(self.round[instance]), self.config.horizon - 1)
        proposer = self.proposer_of(instance)
        mine = np.zeros(len(self.config.counts))
        if self.phase[instance] == RESPONDER and not self.done[instance]:
            mine = self._bundle(instance, t, player).astype(np.float64)
        return np.concatenate([[float(self.round[instance]), float(proposer == player)], mine])

    def _bundle(self, instance: int, t: int, player: int) -> np.ndarray:
        ka = self.keep_a[instance, t]
        return ka if player == 0 else np.asarray(self.config.counts) - ka

    def observe(self, instance: int, player: int) -> ItemDivisionObservation:
        cfg = self.config
        t_now = int(self.round[instance])
        hist = []
        for t, answered in self.proposals_made(instance):
            mine = self._bundle(instance, t, player)
            hist.append(Proposal(
                round=t, proposer="you" if self.first ^ (t % 2) == player else "other",
                you_get=tuple(int(x) for x in mine),
                other_gets=tuple(int(x) for x in np.asarray(cfg.counts) - mine),
                message=str(self.msgs[instance, t, 0]),
                accepted=bool(self.accepted[instance, t]) if answered else None,
                response_message=str(self.msgs[instance, t, 1]) if answered else ""))
        pending = hist[-1] if hist and hist[-1].accepted is None else None
        own, other = (cfg.values_a, cfg.values_b) if player == 0 else (cfg.values_b,
                                                                       cfg.values_a)
        proposer = self.proposer_of(instance)
        return ItemDivisionObservation(
            round=t_now, role=self.roles[0 if proposer == player else 1], own_values=own,
            other_values=None if cfg.private_values else other,
            history=tuple(h for h in hist if h is not pending), pending=pending)
