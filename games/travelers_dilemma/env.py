"""The traveler's dilemma kernel, vectorised over sessions.

Header: one instance is a session (matching group) of ``travelers`` travelers (one role), who
claim simultaneously each round and are then paired: at random anew every round (Capra et al.
1999) or in fixed pairs; with two travelers, one fixed pair (Basu 1994). Feedback after each
round: own claim, the partner's claim, own payoff. Action: a whole claim in [low, high]. Payoff
per round in [low − reward, max(high, high − 1 + reward)]. Defaults: claims 2..100, reward 2,
two travelers, one round.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np

from agora.engine.action_spec import ActionSpec
from agora.engine.kernel import GameKernel, StepOutcome
from agora.engine.matching import fixed_pairs, random_pairs
from agora.engine.streams import Streams
from agora.engine.views import DecisionView
from games.travelers_dilemma import prompts, theory
from games.travelers_dilemma.config import Matching, TravelersConfig
from games.travelers_dilemma.hooks import HOOKS


@dataclass(frozen=True, kw_only=True)
class PastRound:
    """One finished round as a traveler remembers it."""

    round: int
    own_claim: float
    other_claim: float
    own_payoff: float


@dataclass(frozen=True, kw_only=True)
class TravelersObservation:
    """One traveler's view before claiming (what the prompts render)."""

    round: int
    history: tuple[PastRound, ...]


@dataclass(frozen=True, kw_only=True)
class TravelersView(DecisionView):
    """What a batch of deciding travelers know, as columns (what scripted players read)."""

    last_other_claim: np.ndarray
    """The last partner's claim; NaN in the first round."""


class TravelersKernel(GameKernel):
    """M independent traveler's-dilemma sessions stepped together."""

    name: ClassVar[str] = "travelers_dilemma"
    roles: ClassVar[tuple[str, ...]] = ("traveler",)
    config_cls: ClassVar[type[TravelersConfig]] = TravelersConfig
    conformance_configs: ClassVar[tuple[dict[str, Any], ...]] = (
        {},  # Basu's claims 2..100, reward 2, one pair, one round
        {"low": 80, "high": 200, "reward": 5.0, "travelers": 6, "rounds": 3},  # Capra et al.
        {"low": 80, "high": 200, "reward": 50.0, "travelers": 4, "rounds": 2,
         "matching": "fixed"},
        {"low": 0, "high": 3, "reward": 0.5, "rounds": 2},  # R <= 1: many equilibria
    )
    """Representative configs checked by :mod:`agora.testing`."""
    prompts = prompts.PROMPTS
    theory = theory
    hooks = HOOKS
    config: TravelersConfig

    def __init__(self, config: TravelersConfig, n_instances: int,
                 rng: Streams | np.random.Generator) -> None:
        super().__init__(config, n_instances, rng)
        self._spec = ActionSpec(name="claim", description="your claim", low=config.low,
                                high=config.high, integer=True, unit=config.unit)
        self.reset()

    @property
    def n_players(self) -> int:
        return self.config.travelers

    def max_steps(self) -> int:
        return self.config.rounds

    def action_spec(self, player: int) -> ActionSpec:
        return self._spec

    def spec_codes(self, instances: np.ndarray, players: np.ndarray) -> np.ndarray:
        return np.zeros(np.shape(players), dtype=np.int64)  # one spec for every traveler

    def spec_for_code(self, code: int) -> ActionSpec:
        return self._spec

    def payoff_bounds(self) -> tuple[float, float]:
        c = self.config
        return c.low - c.reward, max(float(c.high), c.high - 1 + c.reward)

    def reset(self) -> None:
        m, r, n = self.n_instances, self.config.rounds, self.config.travelers
        self.done = np.zeros(m, dtype=bool)
        self.round = np.zeros(m, dtype=np.int64)
        self.claims = np.full((m, r, n), np.nan)
        self.partner = np.full((m, r, n), -1, dtype=np.int64)
        self.payoffs = np.zeros((m, r, n))

    def pending(self) -> tuple[np.ndarray, np.ndarray]:
        live = np.flatnonzero(~self.done)
        n = self.config.travelers
        return np.repeat(live, n), np.tile(np.arange(n), live.size)

    def _pairing(self, live: np.ndarray) -> np.ndarray:
        """Partner of every traveler of the live sessions this round, ``(len(live), n)``."""
        n = self.config.travelers
        if n == 2 or self.config.matching is Matching.FIXED:
            return fixed_pairs(live.size, n)
        return random_pairs(self.rng.subset(live), n)

    def step(self, instances: np.ndarray, players: np.ndarray,
             actions: np.ndarray) -> StepOutcome:
        self.claims[instances, self.round[instances], players] = actions
        live = np.unique(instances)
        r = self.round[live]
        claims = self.claims[live, r]
        if np.isnan(claims).any():
            raise ValueError("travelers_dilemma: every traveler of a live session must claim")
        partner = self._pairing(live)
        other = np.take_along_axis(claims, partner, axis=1)
        # the payoff hook of a pair: what the analysis uses, so the two never disagree
        pay = self.hooks.payoffs(self.config, np.stack([claims, other], axis=-1))[..., 0]
        self.partner[live, r] = partner
        self.payoffs[live, r] = pay
        all_rewards = np.zeros((self.n_instances, self.config.travelers))
        all_rewards[live] = pay
        pos = np.searchsorted(live, instances)
        self.round[live] += 1
        self.done[live] = self.round[live] >= self.config.rounds
        return StepOutcome(rewards=pay[pos, players], all_rewards=all_rewards,
                           columns={"other_claim": other[pos, players],
                                    "partner": partner[pos, players]})

    def observation_space(self) -> gym.Space[Any]:
        # [round, own claim, partner's claim, own payoff] of the last round (zeros before any)
        c = self.config
        return gym.spaces.Box(low=min(0.0, c.low - c.reward),
                              high=max(float(c.rounds), c.high + c.reward), shape=(4,),
                              dtype=np.float64)

    def observation_array(self, instance: int, player: int) -> np.ndarray:
        r = int(self.round[instance])
        if r == 0:
            return np.zeros(4)
        last = self._past(instance, player, r - 1)
        return np.array([r, last.own_claim, last.other_claim, last.own_payoff])

    def _past(self, instance: int, player: int, t: int) -> PastRound:
        j = int(self.partner[instance, t, player])
        return PastRound(round=t, own_claim=float(self.claims[instance, t, player]),
                         other_claim=float(self.claims[instance, t, j]),
                         own_payoff=float(self.payoffs[instance, t, player]))

    def observe(self, instance: int, player: int) -> TravelersObservation:
        r = int(self.round[instance])
        return TravelersObservation(
            round=r, history=tuple(self._past(instance, player, t) for t in range(r)))

    def decision_view(self, instances: np.ndarray, players: np.ndarray) -> TravelersView:
        r = self.round[instances]
        last = np.full(r.shape, np.nan)
        seen = r > 0
        i, p, t = instances[seen], players[seen], r[seen] - 1
        last[seen] = self.claims[i, t, self.partner[i, t, p]]
        return TravelersView(config=self.config, players=players, rounds=r,
                             codes=self.spec_codes(instances, players),
                             specs=(self._spec,), last_other_claim=last)
