"""The dictator game kernel, vectorised over game instances.

Header: 2 players (dictator, recipient); only the dictator moves. One step per round; R rounds
with optional role rotation. Action: a transfer in [-take_bound, endowment] (negative = take),
continuous or on a grid of ``step``. Payoffs: dictator ``endowment - x``, recipient
``recipient_endowment + x``. Defaults: $10, give variant, $1 steps, one round.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np

from agora.engine.action_spec import ActionSpec
from agora.engine.kernel import GameKernel, StepOutcome
from games.dictator import prompts, theory
from games.dictator.config import DictatorConfig
from games.dictator.hooks import DictatorHooks

DICTATOR, RECIPIENT = 0, 1


@dataclass(frozen=True, kw_only=True)
class PastRound:
    """One finished round as a player remembers it."""

    round: int
    role: str
    transfer: float
    own_payoff: float


@dataclass(frozen=True, kw_only=True)
class DictatorObservation:
    """One player's view at the start of a round."""

    round: int
    role: str
    history: tuple[PastRound, ...]


class DictatorKernel(GameKernel):
    """M independent dictator games stepped together."""

    name: ClassVar[str] = "dictator"
    roles: ClassVar[tuple[str, ...]] = ("dictator", "recipient")
    config_cls: ClassVar[type[DictatorConfig]] = DictatorConfig
    conformance_configs: ClassVar[tuple[dict[str, Any], ...]] = (
        {},  # give variant, $10 in $1 steps, one round
        {"variant": "take", "take_bound": 5.0, "recipient_endowment": 5.0},
        {"step": None, "endowment": 7.5},
        {"variant": "take", "take_bound": 2.5, "recipient_endowment": 4.0, "step": 0.5,
         "rounds": 4, "rotate_roles": True},
        {"rounds": 3, "rotate_roles": True, "recipient_endowment": 2.0},
    )
    """Representative configs checked by :mod:`agora.testing`."""
    prompts = prompts.PROMPTS
    theory = theory
    hooks = DictatorHooks(theory)
    config: DictatorConfig

    def __init__(self, config: DictatorConfig, n_instances: int,
                 rng: np.random.Generator) -> None:
        super().__init__(config, n_instances, rng)
        self._spec = ActionSpec(
            name="amount", unit=config.unit,
            description=("the amount you give to the other player" if config.min_transfer == 0
                         else "the amount you give (negative: the amount you take)"),
            low=config.min_transfer, high=config.endowment, step=config.step,
            integer=config.step == 1.0 and float(config.min_transfer).is_integer())
        self.reset()

    @property
    def n_players(self) -> int:
        return 2

    def max_steps(self) -> int:
        return self.config.rounds

    def action_spec(self, player: int) -> ActionSpec:
        return self._spec

    def payoff_bounds(self) -> tuple[float, float]:
        # dictator: endowment - x, recipient: recipient_endowment + x, x in [-take_bound, E]
        c = self.config
        low = min(0.0, c.recipient_endowment - c.take_bound)
        high = max(c.endowment + c.take_bound, c.recipient_endowment + c.endowment)
        return float(low), float(high)

    def dictator_slot(self, instances: np.ndarray) -> np.ndarray:
        """Player slot holding the dictator role in each instance's current round."""
        r = self.round[instances]
        return (r % 2) if self.config.rotate_roles else np.zeros_like(r)

    def role_index(self, instances: np.ndarray, players: np.ndarray) -> np.ndarray:
        return (np.asarray(players) != self.dictator_slot(np.asarray(instances))).astype(np.int64)

    def reset(self) -> None:
        m, r = self.n_instances, self.config.rounds
        self.done = np.zeros(m, dtype=bool)
        self.round = np.zeros(m, dtype=np.int64)
        self.transfers = np.full((m, r), np.nan)
        self.dictators = np.zeros((m, r), dtype=np.int64)

    def pending(self) -> tuple[np.ndarray, np.ndarray]:
        live = np.flatnonzero(~self.done)
        return live, self.dictator_slot(live)

    def step(self, instances: np.ndarray, players: np.ndarray,
             actions: np.ndarray) -> StepOutcome:
        cfg = self.config
        instances = np.asarray(instances)
        if np.any(players != self.dictator_slot(instances)):
            raise ValueError("dictator: only the dictator of each instance moves")
        if np.unique(instances).size != instances.size:
            raise ValueError("dictator: one decision per instance and round")
        r = self.round[instances]
        x = np.asarray(actions, dtype=np.float64)
        self.transfers[instances, r] = x
        self.dictators[instances, r] = players
        own, other = theory.payoffs(cfg, x)
        all_rewards = np.zeros((self.n_instances, 2))
        all_rewards[instances, players] = own
        all_rewards[instances, 1 - players] = other
        self.round[instances] += 1
        self.done[instances] = self.round[instances] >= cfg.rounds
        return StepOutcome(
            rewards=own, all_rewards=all_rewards,
            columns={"share_given": theory.share_given(cfg, x), "recipient_payoff": other})

    def observation_space(self) -> gym.Space[Any]:
        # [round, is dictator this round, last transfer (0 before any), last own payoff]
        c = self.config
        high = max(float(c.rounds), c.endowment + c.recipient_endowment)
        return gym.spaces.Box(low=min(-1.0, c.min_transfer), high=high, shape=(4,),
                              dtype=np.float64)

    def observation_array(self, instance: int, player: int) -> np.ndarray:
        r = int(self.round[instance])
        is_dictator = float(self.dictator_slot(np.array([instance]))[0] == player)
        if r == 0:
            return np.array([0.0, is_dictator, 0.0, 0.0])
        last = self._past(instance, player, r - 1)
        return np.array([r, is_dictator, last.transfer, last.own_payoff])

    def _past(self, instance: int, player: int, t: int) -> PastRound:
        x = float(self.transfers[instance, t])
        was_dictator = int(self.dictators[instance, t]) == player
        own, other = theory.payoffs(self.config, np.array(x))
        return PastRound(round=t, role=self.roles[0 if was_dictator else 1], transfer=x,
                         own_payoff=float(own if was_dictator else other))

    def observe(self, instance: int, player: int) -> DictatorObservation:
        r = int(self.round[instance])
        slot = int(self.dictator_slot(np.array([instance]))[0])
        return DictatorObservation(
            round=r, role=self.roles[0 if slot == player else 1],
            history=tuple(self._past(instance, player, t) for t in range(r)))
