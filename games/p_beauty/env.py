"""The p-beauty contest kernel (Nagel 1995), vectorised over game instances.

Header: players n >= 2, simultaneous moves, R rounds with feedback after each round (mean,
target, number of winners, own guess and payoff). Actions: a guess in [lower, upper], integer or
real. Payoff per round in [0, prize]: the closest guesses split the prize, or a payoff
decreasing in the distance to the target. Defaults: n = 10, p = 2/3, [0, 100], integer, 1 round.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np

from agora.engine.action_spec import ActionSpec
from agora.engine.kernel import GameKernel, StepOutcome
from games.p_beauty import prompts, theory
from games.p_beauty.config import PayoffRule, PBeautyConfig
from games.p_beauty.hooks import PBeautyHooks


@dataclass(frozen=True, kw_only=True)
class RoundFeedback:
    """What a player learns after a round."""

    round: int
    mean: float
    target: float
    n_winners: int
    own_guess: float
    own_payoff: float
    won: bool


@dataclass(frozen=True, kw_only=True)
class PBeautyObservation:
    """One player's view before choosing a guess."""

    round: int
    history: tuple[RoundFeedback, ...]


class PBeautyKernel(GameKernel):
    """M independent p-beauty contests stepped together."""

    name: ClassVar[str] = "p_beauty"
    roles: ClassVar[tuple[str, ...]] = ("player",)
    config_cls: ClassVar[type[PBeautyConfig]] = PBeautyConfig
    conformance_configs: ClassVar[tuple[dict[str, Any], ...]] = (
        {},  # integer guesses on [0, 100], p = 2/3, n = 10, winner takes the prize, one round
        {"integer": False, "rounds": 3, "n_players": 4},
        {"payoff": "distance", "rounds": 2, "n_players": 5},
        {"p": 4 / 3, "payoff": "distance", "n_players": 6, "prize": 10.0},
        {"p": 1.0, "n_players": 2, "lower": 1.0, "upper": 7.0, "rounds": 2},
        {"p": 0.5, "lower": 20.0, "upper": 60.0, "integer": False, "payoff": "distance",
         "n_players": 3},
    )
    """Representative configs checked by :mod:`agora.testing`."""
    prompts = prompts.PROMPTS
    theory = theory
    hooks = PBeautyHooks(theory)
    config: PBeautyConfig

    def __init__(self, config: PBeautyConfig, n_instances: int, rng: np.random.Generator) -> None:
        super().__init__(config, n_instances, rng)
        self._spec = ActionSpec(name="guess", description="your guess",
                                low=config.lower, high=config.upper, integer=config.integer)
        self.reset()

    @property
    def n_players(self) -> int:
        return self.config.n_players

    def max_steps(self) -> int:
        return self.config.rounds

    def action_spec(self, player: int) -> ActionSpec:
        return self._spec

    def payoff_bounds(self) -> tuple[float, float]:
        return 0.0, float(self.config.prize)

    def reset(self) -> None:
        m, r, n = self.n_instances, self.config.rounds, self.config.n_players
        self.done = np.zeros(m, dtype=bool)
        self.round = np.zeros(m, dtype=np.int64)
        self.guesses = np.full((m, r, n), np.nan)
        self.payoffs = np.zeros((m, r, n))
        self.means = np.full((m, r), np.nan)
        self.targets = np.full((m, r), np.nan)

    def pending(self) -> tuple[np.ndarray, np.ndarray]:
        live = np.flatnonzero(~self.done)
        n = self.config.n_players
        return np.repeat(live, n), np.tile(np.arange(n), live.size)

    def step(self, instances: np.ndarray, players: np.ndarray,
             actions: np.ndarray) -> StepOutcome:
        cfg = self.config
        rounds = self.round[instances]
        self.guesses[instances, rounds, players] = actions
        live = np.unique(instances)
        r = self.round[live]
        g = self.guesses[live, r]
        if np.isnan(g).any():
            raise ValueError("p_beauty: every player of a live instance must guess each round")
        pay = theory.payoffs(cfg, g)
        self.payoffs[live, r] = pay
        self.means[live, r] = g.mean(axis=1)
        self.targets[live, r] = cfg.p * self.means[live, r]
        all_rewards = np.zeros((self.n_instances, cfg.n_players))
        all_rewards[live] = pay
        won = self._won(pay)
        n_winners = won.sum(axis=1)
        pos = np.searchsorted(live, instances)
        self.round[live] += 1
        self.done[live] = self.round[live] >= cfg.rounds
        return StepOutcome(
            rewards=pay[pos, players], all_rewards=all_rewards,
            columns={"mean": self.means[live, r][pos], "target": self.targets[live, r][pos],
                     "won": won[pos, players], "n_winners": n_winners[pos]})

    def _won(self, pay: np.ndarray) -> np.ndarray:
        if self.config.payoff is PayoffRule.WINNER_TAKES_PRIZE:
            return pay > 0
        return np.zeros_like(pay, dtype=bool)

    def observation_space(self) -> gym.Space[Any]:
        # [round, last mean, last target, last own guess, last own payoff]; NaN-free: -1 before
        # the first round's feedback.
        c = self.config
        low = min(-1.0, c.lower, c.p * c.lower, 0.0)
        high = max(float(c.rounds), c.upper, c.p * c.upper, c.prize)
        return gym.spaces.Box(low=low, high=high, shape=(5,), dtype=np.float64)

    def observation_array(self, instance: int, player: int) -> np.ndarray:
        r = int(self.round[instance])
        if r == 0:
            return np.array([0.0, -1.0, -1.0, -1.0, -1.0])
        last = r - 1
        return np.array([r, self.means[instance, last], self.targets[instance, last],
                         self.guesses[instance, last, player],
                         self.payoffs[instance, last, player]], dtype=np.float64)

    def observe(self, instance: int, player: int) -> PBeautyObservation:
        hist = []
        for t in range(int(self.round[instance])):
            pay = self.payoffs[instance, t]
            won = self._won(pay)
            hist.append(RoundFeedback(
                round=t, mean=float(self.means[instance, t]),
                target=float(self.targets[instance, t]), n_winners=int(won.sum()),
                own_guess=float(self.guesses[instance, t, player]),
                own_payoff=float(pay[player]), won=bool(won[player])))
        return PBeautyObservation(round=int(self.round[instance]), history=tuple(hist))
