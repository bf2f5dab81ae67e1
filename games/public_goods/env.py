"""The linear public goods kernel, vectorised over game instances.

Header: one instance is a session of ``group_size * groups`` players (one role), split into
groups each round: fixed groups (partner) or a fresh random partition of the instance's
population every round (stranger; drawn at reset from the instance's own stream, so the unit of
rematching is the instance). Each round has a contribution stage (every player at once) and,
with punishment, a punishment stage (every player assigns points to each other member of her
group, after seeing their contributions). The strategy method replaces the round by one
decision per player: an unconditional contribution plus a contribution table.

Rewards: the first-stage income at the contribution stage; the punishment stage pays the change
to the final payoff (points received cut the income, points given cost the punisher).
Record columns: ``stage`` (0 contribute, 1 punish, 2 strategy method), ``group``,
``others_mean`` (mean contribution of the other group members this round, what the
conditional-contribution analysis needs), ``points_received`` (punishment stage only) and,
with the strategy method, ``table_0`` .. ``table_e`` (the contribution table).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np

from agora.engine.kernel import GameKernel, StepOutcome
from agora.engine.streams import Streams
from agora.engine.structured import OfferSpec, Spec
from agora.engine.views import DecisionView
from games.public_goods import prompts, theory
from games.public_goods.config import PublicGoodsConfig
from games.public_goods.hooks import HOOKS
from games.public_goods.spec import points_spec, table_spec

CONTRIBUTE, PUNISH, TABLE = 0, 1, 2


@dataclass(frozen=True, kw_only=True)
class PastRound:
    """One finished round as a player remembers it."""

    round: int
    own: float
    others: tuple[float, ...]
    income: float
    points_received: float
    payoff: float


@dataclass(frozen=True, kw_only=True)
class PublicGoodsObservation:
    """One player's view before deciding (what the prompts render)."""

    round: int
    stage: int
    own: float
    """Own contribution this round (NaN before the contribution stage)."""
    others: tuple[float, ...]
    """The other members' contributions this round, in the order points are given (punishment
    stage only; empty otherwise)."""
    history: tuple[PastRound, ...]


@dataclass(frozen=True, kw_only=True)
class PublicGoodsView(DecisionView):
    """What a batch of deciding players know, as columns (what scripted players read)."""

    last_others_mean: np.ndarray
    """Mean contribution of the other members last round; NaN in the first round."""
    own_current: np.ndarray
    """Own contribution this round (NaN at the contribution stage)."""
    others_current: np.ndarray
    """``(k, n - 1)`` contributions of the other members this round, in punishment order."""


class PublicGoodsKernel(GameKernel):
    """M independent public goods sessions stepped together."""

    name: ClassVar[str] = "public_goods"
    roles: ClassVar[tuple[str, ...]] = ("member",)
    config_cls: ClassVar[type[PublicGoodsConfig]] = PublicGoodsConfig
    action_dtype: ClassVar[type] = object
    conformance_configs: ClassVar[tuple[dict[str, Any], ...]] = (
        {"rounds": 2},  # Fehr & Gächter's group: n = 4, e = 20, MPCR = 0.4
        {"rounds": 2, "punishment": True, "groups": 2, "matching": "stranger"},
        {"strategy_method": True, "rounds": 1, "endowment": 4, "group_size": 3},
        {"group_size": 2, "endowment": 3, "mpcr": 1.5, "rounds": 3, "punishment": True,
         "max_points": 2, "punishment_costs": (0, 1, 3), "punishment_cut": 0.5},
    )
    """Representative configs checked by :mod:`agora.testing`."""
    prompts = prompts.PROMPTS
    theory = theory
    hooks = HOOKS
    config: PublicGoodsConfig

    def __init__(self, config: PublicGoodsConfig, n_instances: int,
                 rng: Streams | np.random.Generator) -> None:
        super().__init__(config, n_instances, rng)
        c = config
        self._specs: tuple[Spec, Spec, Spec] = (
            OfferSpec(name="contribution", description="tokens you put in the public account",
                      low=0, high=c.endowment, step=1.0, unit=c.unit),
            points_spec(c.group_size, c.max_points), table_spec(min(c.endowment, 50)))
        self.reset()

    # ------------------------------------------------------------------ header
    @property
    def n_players(self) -> int:
        return self.config.n_players

    def max_steps(self) -> int:
        return self.config.rounds * (2 if self.config.punishment else 1)

    def _first_code(self) -> int:
        return TABLE if self.config.strategy_method else CONTRIBUTE

    def action_spec(self, player: int) -> Spec:
        return self._specs[self._first_code()]

    def spec_codes(self, instances: np.ndarray, players: np.ndarray) -> np.ndarray:
        return self.stage[np.asarray(instances)]

    def spec_for_code(self, code: int) -> Spec:
        return self._specs[code]

    def action_space(self, player: int) -> gym.Space[Any]:
        codes = [self._first_code()] + ([PUNISH] if self.config.punishment else [])
        spaces: dict[str, gym.Space[Any]] = {}
        for code in codes:
            spaces.update(self._specs[code].space().spaces)
        return gym.spaces.Dict(spaces)

    def payoff_bounds(self) -> tuple[float, float]:
        return theory.payoff_bounds(self.config)

    # ------------------------------------------------------------------ dynamics
    def reset(self) -> None:
        c, m = self.config, self.n_instances
        r, n_all, n = c.rounds, c.n_players, c.group_size
        self.done = np.zeros(m, dtype=bool)
        self.round = np.zeros(m, dtype=np.int64)
        self.stage = np.full(m, self._first_code(), dtype=np.int64)
        if c.matching == "stranger":
            order = np.argsort(self.rng.random(size=(m, r, n_all)), axis=-1)
        else:
            order = np.broadcast_to(np.arange(n_all), (m, r, n_all))
        self.members = np.ascontiguousarray(order.reshape(m, r, c.groups, n)).astype(np.int64)
        self.chosen = (self.rng.integers(0, n, size=(m, c.groups)) if c.strategy_method
                       else np.zeros((m, c.groups), dtype=np.int64))
        self.contrib = np.full((m, r, n_all), np.nan)
        self.tables = np.full((m, n_all, c.endowment + 1), np.nan) if c.strategy_method \
            else np.full((m, 0, 0), np.nan)
        self.points = np.full((m, r, n_all, n - 1), np.nan)
        self.income = np.zeros((m, r, n_all))
        self.received = np.zeros((m, r, n_all))
        self.payoff = np.zeros((m, r, n_all))

    def pending(self) -> tuple[np.ndarray, np.ndarray]:
        live = np.flatnonzero(~self.done)
        n = self.n_players
        return np.repeat(live, n), np.tile(np.arange(n), live.size)

    def _grouped(self, live: np.ndarray, values: np.ndarray) -> np.ndarray:
        """``(k, G, n)`` values of each group's members (``values`` is ``(k, N)``)."""
        return values[np.arange(live.size)[:, None, None], self.members[live, self.round[live]]]

    def _scatter(self, live: np.ndarray, grouped: np.ndarray) -> np.ndarray:
        out = np.empty((live.size, self.n_players))
        out[np.arange(live.size)[:, None, None], self.members[live, self.round[live]]] = grouped
        return out

    def step(self, instances: np.ndarray, players: np.ndarray,
             actions: np.ndarray) -> StepOutcome:
        inst, pl = np.asarray(instances), np.asarray(players)
        live = np.unique(inst)
        if inst.size != live.size * self.n_players:
            raise ValueError("public_goods: every player of a live instance must decide")
        stage = int(self.stage[live[0]])
        if np.any(self.stage[live] != stage):
            raise ValueError("public_goods: live instances must be at the same stage")
        r = self.round[live]
        pos = np.searchsorted(live, inst)
        spec = self._specs[stage]
        cols: dict[str, np.ndarray] = {"stage": np.full(inst.size, float(stage))}
        if stage == PUNISH:
            reward = self._punish(live, r, pos, pl, actions, cols)
        else:
            if stage == TABLE:
                table = np.array([a[spec.name] for a in actions], dtype=np.float64)
                self.tables[inst, pl] = table[:, 1:]
                cols.update({f"table_{k}": table[:, 1 + k] for k in range(table.shape[1] - 1)})
                self.contrib[inst, r[pos], pl] = table[:, 0]
                c, n = self.config, self.config.group_size
                tables = self.tables[live][np.arange(live.size)[:, None, None],
                                           self.members[live, r]]
                grouped = theory.conditional_outcome(
                    c, self._grouped(live, self.contrib[live, r]).reshape(-1, n),
                    tables.reshape(-1, n, c.endowment + 1), self.chosen[live].reshape(-1))
                self.contrib[live, r] = self._scatter(live, grouped.reshape(live.size,
                                                                            c.groups, n))
            else:
                self.contrib[inst, r[pos], pl] = [spec.numeric(a) for a in actions]
            reward = self._contribute(live, r)
        all_rewards = np.zeros((self.n_instances, self.n_players))
        all_rewards[live] = reward
        cols.update(self._columns(live, r, pos, pl, stage))
        self._advance(live)
        return StepOutcome(rewards=reward[pos, pl], all_rewards=all_rewards, columns=cols)

    def _contribute(self, live: np.ndarray, r: np.ndarray) -> np.ndarray:
        c = self.contrib[live, r]
        income = self._scatter(live, theory.stage1_payoffs(self.config, self._grouped(live, c)))
        self.income[live, r] = income
        self.payoff[live, r] = income
        return income

    def _punish(self, live: np.ndarray, r: np.ndarray, pos: np.ndarray, pl: np.ndarray,
                actions: np.ndarray, cols: dict[str, np.ndarray]) -> np.ndarray:
        n = self.config.group_size
        self.points[live[pos], r[pos], pl] = [a["points"] for a in actions]
        k, members = live.size, self.members[live, r]
        given = self.points[live, r][np.arange(k)[:, None, None], members]  # (k, G, n, n-1)
        matrix = np.zeros((k, self.config.groups, n, n), dtype=np.int64)
        for a in range(n):
            others = [b for b in range(n) if b != a]
            matrix[:, :, a, others] = given[:, :, a]
        income = self.income[live, r]
        final, received = theory.punishment_outcome(
            self.config, self._grouped(live, income), matrix)
        final, received = self._scatter(live, final), self._scatter(live, received)
        self.received[live, r] = received
        self.payoff[live, r] = final
        cols["points_received"] = received[pos, pl]
        return final - income

    def _columns(self, live: np.ndarray, r: np.ndarray, pos: np.ndarray, pl: np.ndarray,
                 stage: int) -> dict[str, np.ndarray]:
        c = self.contrib[live, r]
        group = np.empty((live.size, self.n_players))
        group[np.arange(live.size)[:, None, None], self.members[live, r]] = \
            np.arange(self.config.groups)[None, :, None]
        sums = self._scatter(live, np.repeat(self._grouped(live, c).sum(
            axis=-1, keepdims=True), self.config.group_size, axis=-1))
        others = (sums - c) / (self.config.group_size - 1)
        out = {"group": group[pos, pl], "others_mean": others[pos, pl]}
        if stage != PUNISH:
            out["points_received"] = np.full(pos.size, np.nan)
        return out

    def _advance(self, live: np.ndarray) -> None:
        if self.config.punishment:
            to_punish = self.stage[live] == CONTRIBUTE
            self.stage[live] = np.where(to_punish, PUNISH, CONTRIBUTE)
            moved = live[~to_punish]
        else:
            moved = live
        self.round[moved] += 1
        self.done[moved] = self.round[moved] >= self.config.rounds
        self.round[self.done] = np.minimum(self.round[self.done], self.config.rounds - 1)

    # ------------------------------------------------------------------ observations
    def _others_order(self, instance: int, player: int, t: int) -> np.ndarray:
        members = self.members[instance, t].reshape(-1)
        g = int(np.flatnonzero(members == player)[0]) // self.config.group_size
        group = self.members[instance, t, g]
        return group[group != player]

    def _past(self, instance: int, player: int, t: int) -> PastRound:
        others = self._others_order(instance, player, t)
        return PastRound(round=t, own=float(self.contrib[instance, t, player]),
                         others=tuple(float(x) for x in self.contrib[instance, t, others]),
                         income=float(self.income[instance, t, player]),
                         points_received=float(self.received[instance, t, player]),
                         payoff=float(self.payoff[instance, t, player]))

    def _finished(self, instance: int) -> int:
        return int(self.round[instance]) + (1 if self.done[instance] else 0)

    def observe(self, instance: int, player: int) -> PublicGoodsObservation:
        t, stage = int(self.round[instance]), int(self.stage[instance])
        punish = stage == PUNISH and not self.done[instance]
        others = self._others_order(instance, player, t)
        return PublicGoodsObservation(
            round=t, stage=stage,
            own=float(self.contrib[instance, t, player]) if punish else float("nan"),
            others=tuple(float(x) for x in self.contrib[instance, t, others]) if punish else (),
            history=tuple(self._past(instance, player, s)
                          for s in range(self._finished(instance))))

    def observation_space(self) -> gym.Space[Any]:
        # [round, stage, own last contribution, others' last mean, last payoff, and in the
        # punishment stage the others' current contributions]
        c = self.config
        low, high = theory.payoff_bounds(c)
        return gym.spaces.Box(low=min(low, 0.0), high=max(float(c.rounds), c.endowment, high,
                                                          2.0),
                              shape=(5 + c.group_size - 1,), dtype=np.float64)

    def observation_array(self, instance: int, player: int) -> np.ndarray:
        obs = self.observe(instance, player)
        out = np.zeros(5 + self.config.group_size - 1)
        out[0], out[1] = obs.round, obs.stage
        if obs.history:
            last = obs.history[-1]
            out[2], out[3], out[4] = last.own, float(np.mean(last.others)), last.payoff
        if obs.others:
            out[5:] = obs.others
        return out

    def decision_view(self, instances: np.ndarray, players: np.ndarray) -> PublicGoodsView:
        inst, pl = np.asarray(instances), np.asarray(players)
        r = self.round[inst]
        n = self.config.group_size
        last = np.full(inst.size, np.nan)
        own = np.full(inst.size, np.nan)
        others = np.full((inst.size, n - 1), np.nan)
        for i, (m, p, t) in enumerate(zip(inst, pl, r, strict=True)):
            if t > 0:
                last[i] = float(np.mean(self.contrib[m, t - 1, self._others_order(m, p, t - 1)]))
            if self.stage[m] == PUNISH:
                own[i] = self.contrib[m, t, p]
                others[i] = self.contrib[m, t, self._others_order(m, p, t)]
        return PublicGoodsView(config=self.config, players=pl, rounds=r,
                               codes=self.spec_codes(inst, pl), specs=self._specs,
                               last_others_mean=last, own_current=own, others_current=others)
