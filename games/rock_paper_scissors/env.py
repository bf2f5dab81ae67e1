"""The rock-paper-scissors kernel, vectorised over instances.

Header: ``players`` players per instance (2 by default: one fixed pair of roles ``agent`` and
``opponent``); simultaneous moves each round, then pairing: fixed pairs 0-1, 2-3, ... or, with
``matching = "random"`` and more than two players, a fresh uniformly random pairing every round
(one draw per round from the instance's stream), every player then of role ``agent``. Action:
0 = rock, 1 = paper, 2 = scissors. Payoff per round: a (``win``) for a win, 1 for a tie, 0 for a
loss (Wang, Xu & Zhou 2014). Feedback after each round: own move, the partner's move, own
payoff. Record columns per decision: ``other_move`` (the partner's move), ``outcome`` (+1 win,
0 tie, -1 loss), ``seat`` (own player slot) and ``partner`` (the partner's slot).
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
from games.rock_paper_scissors import prompts, theory
from games.rock_paper_scissors.config import RPSConfig
from games.rock_paper_scissors.hooks import HOOKS


@dataclass(frozen=True, kw_only=True)
class PastRound:
    """One finished round as a player remembers it."""

    round: int
    own_move: int
    other_move: int
    outcome: int
    """+1 win, 0 tie, -1 loss."""
    own_payoff: float


@dataclass(frozen=True, kw_only=True)
class RPSObservation:
    """One player's view before moving (what the prompts render)."""

    round: int
    history: tuple[PastRound, ...]
    other_counts: tuple[int, int, int]
    """How often the partners chose rock, paper, scissors so far."""
    total_payoff: float


@dataclass(frozen=True, kw_only=True)
class RPSView(DecisionView):
    """What a batch of deciding players know, as columns (what scripted players read)."""

    own: np.ndarray
    """``(n, L)`` own moves so far, padded with -1."""
    other: np.ndarray
    """``(n, L)`` the partner's move of each round, padded with -1."""
    length: np.ndarray
    """Rounds played (the valid prefix of ``own`` and ``other``)."""


class RPSKernel(GameKernel):
    """M independent instances of repeated rock-paper-scissors stepped together."""

    name: ClassVar[str] = "rock_paper_scissors"
    roles: ClassVar[tuple[str, ...]] = ("agent", "opponent")
    config_cls: ClassVar[type[RPSConfig]] = RPSConfig
    conformance_configs: ClassVar[tuple[dict[str, Any], ...]] = (
        {},  # one pair, a = 2, 10 rounds
        {"win": 1.1, "players": 6, "rounds": 4},  # WXZ2014's groups of six, random matching
        {"win": 4.0, "players": 4, "rounds": 3, "matching": "fixed"},
        {"win": 9.0, "rounds": 1},
    )
    """Representative configs checked by :mod:`agora.testing`."""
    prompts = prompts.PROMPTS
    theory = theory
    hooks = HOOKS
    config: RPSConfig

    def __init__(self, config: RPSConfig, n_instances: int,
                 rng: Streams | np.random.Generator) -> None:
        super().__init__(config, n_instances, rng)
        self._spec = ActionSpec(name="move", integer=True, low=0, high=2,
                                description="0 for Rock, 1 for Paper, 2 for Scissors")
        self.reset()

    @property
    def n_players(self) -> int:
        return self.config.players

    def max_steps(self) -> int:
        return self.config.rounds

    def action_spec(self, player: int) -> ActionSpec:
        return self._spec

    def spec_codes(self, instances: np.ndarray, players: np.ndarray) -> np.ndarray:
        return np.zeros(np.shape(players), dtype=np.int64)

    def spec_for_code(self, code: int) -> ActionSpec:
        return self._spec

    def role_index(self, instances: np.ndarray, players: np.ndarray) -> np.ndarray:
        if self.config.paired:
            return np.asarray(players) % 2
        return np.zeros(np.shape(players), dtype=np.int64)  # a population: all agents

    def payoff_bounds(self) -> tuple[float, float]:
        return 0.0, self.config.win

    def reset(self) -> None:
        m, r, n = self.n_instances, self.config.rounds, self.config.players
        self.done = np.zeros(m, dtype=bool)
        self.round = np.zeros(m, dtype=np.int64)
        self.moves = np.full((m, r, n), -1, dtype=np.int8)
        self.partner = np.full((m, r, n), -1, dtype=np.int64)
        self.payoffs = np.zeros((m, r, n))

    def pending(self) -> tuple[np.ndarray, np.ndarray]:
        live = np.flatnonzero(~self.done)
        n = self.config.players
        return np.repeat(live, n), np.tile(np.arange(n), live.size)

    def _pairing(self, live: np.ndarray) -> np.ndarray:
        """Partner of every player of the live instances this round, ``(len(live), n)``."""
        n = self.config.players
        if self.config.paired:
            return fixed_pairs(live.size, n)
        return random_pairs(self.rng.subset(live), n)

    def step(self, instances: np.ndarray, players: np.ndarray,
             actions: np.ndarray) -> StepOutcome:
        instances, players = np.asarray(instances), np.asarray(players)
        moves = np.asarray(actions, dtype=np.float64)
        if not np.isin(moves, (0.0, 1.0, 2.0)).all():
            raise ValueError("rock_paper_scissors: moves must be 0 (rock), 1 (paper) or 2 "
                             "(scissors)")
        self.moves[instances, self.round[instances], players] = moves.astype(np.int8)
        live = np.unique(instances)
        r = self.round[live]
        now = self.moves[live, r].astype(np.int64)
        if (now < 0).any():
            raise ValueError("rock_paper_scissors: every player of a live instance must move")
        partner = self._pairing(live)
        other = np.take_along_axis(now, partner, axis=1)
        # the payoff hook of a pair: what the analysis uses, so the two never disagree
        pay = self.hooks.payoffs(self.config, np.stack([now, other], axis=-1))[..., 0]
        self.partner[live, r] = partner
        self.payoffs[live, r] = pay
        all_rewards = np.zeros((self.n_instances, self.config.players))
        all_rewards[live] = pay
        pos = np.searchsorted(live, instances)
        own, oth = now[pos, players], other[pos, players]
        self.round[live] += 1
        self.done[live] = self.round[live] >= self.config.rounds
        return StepOutcome(rewards=pay[pos, players], all_rewards=all_rewards, columns={
            "other_move": oth.astype(np.float64),
            "outcome": theory.outcome(own, oth).astype(np.float64),
            "seat": players.astype(np.float64),
            "partner": partner[pos, players].astype(np.float64)})

    def observation_space(self) -> gym.Space[Any]:
        # [round, own move, partner's move (-1 before any), own payoff] of the last round
        high = max(float(self.config.rounds), self.config.win, 2.0)
        return gym.spaces.Box(low=-1.0, high=high, shape=(4,), dtype=np.float64)

    def _past(self, instance: int, player: int, t: int) -> PastRound:
        j = int(self.partner[instance, t, player])
        own, other = int(self.moves[instance, t, player]), int(self.moves[instance, t, j])
        return PastRound(round=t, own_move=own, other_move=other,
                         outcome=int(theory.outcome(own, other)),
                         own_payoff=float(self.payoffs[instance, t, player]))

    def observation_array(self, instance: int, player: int) -> np.ndarray:
        r = int(self.round[instance])
        if r == 0:
            return np.array([0.0, -1.0, -1.0, 0.0])
        last = self._past(instance, player, r - 1)
        return np.array([float(r), float(last.own_move), float(last.other_move),
                         last.own_payoff])

    def observe(self, instance: int, player: int) -> RPSObservation:
        r = int(self.round[instance])
        history = tuple(self._past(instance, player, t) for t in range(r))
        counts = [sum(h.other_move == m for h in history) for m in range(3)]
        return RPSObservation(round=r, history=history,
                              other_counts=(counts[0], counts[1], counts[2]),
                              total_payoff=float(self.payoffs[instance, :r, player].sum()))

    def decision_view(self, instances: np.ndarray, players: np.ndarray) -> RPSView:
        inst, pl = np.asarray(instances), np.asarray(players)
        length = self.round[inst]
        width = int(length.max(initial=0))
        t = np.arange(width)[None, :]
        valid = t < length[:, None]
        rows = inst[:, None]
        own = np.where(valid, self.moves[rows, t, pl[:, None]], -1).astype(np.int8)
        mate = np.where(valid, self.partner[rows, t, pl[:, None]], 0)
        other = np.where(valid, self.moves[rows, t, mate], -1).astype(np.int8)
        return RPSView(config=self.config, players=pl, rounds=length,
                       codes=self.spec_codes(inst, pl), specs=(self._spec,), own=own,
                       other=other, length=length)
