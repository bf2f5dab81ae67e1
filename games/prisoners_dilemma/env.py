"""The prisoner's-dilemma kernel, vectorised over matching groups.

Header: ``group_size`` players per instance (2 by default), one role; simultaneous moves. An
instance plays ``supergames`` supergames; before each one its players are split into random
pairs (the instance's stream). A supergame lasts ``rounds`` rounds, or, with ``delta``, goes on
after each round with probability δ (one draw per instance from its stream, so both players of a
pair, and every pair of the group, stop together; at most ``max_rounds`` rounds). Action: 1 to
cooperate, 0 to defect (the intended move); with ``noise`` ε each intended move is flipped with
probability ε (drawn from the instance's stream) and the pair is paid for the executed moves.
Payoffs per round in [S, T] (bounds widened to include the 0 of finished instances).
Defaults: Dal Bó & Fréchette's (2011) R = 40 matrix, one-shot.
Record columns per decision: ``executed`` (own executed move), ``other_executed``,
``supergame`` and ``supergame_round`` (0-based), ``partner`` (the partner's player slot).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np

from agora.engine.action_spec import ActionSpec
from agora.engine.kernel import GameKernel, StepOutcome
from agora.engine.limits import check_cells
from agora.engine.views import DecisionView
from games.prisoners_dilemma import prompts, theory
from games.prisoners_dilemma.config import PDConfig
from games.prisoners_dilemma.hooks import PDHooks


@dataclass(frozen=True, kw_only=True)
class PastRound:
    """One finished round of the current supergame as a player remembers it."""

    round: int
    own_intended: int
    own_move: int
    """Executed (1 = C, 0 = D); differs from ``own_intended`` only under noise."""
    other_move: int
    own_payoff: float


@dataclass(frozen=True, kw_only=True)
class PDObservation:
    """One player's view before moving (what the prompts render)."""

    supergame: int
    round: int
    """Round of the current supergame (0-based)."""
    history: tuple[PastRound, ...]
    """Rounds of the current supergame so far."""
    total_payoff: float
    """Everything earned in this instance so far."""


@dataclass(frozen=True, kw_only=True)
class PDView(DecisionView):
    """What a batch of deciding players know, as columns (what scripted strategies read)."""

    own: np.ndarray
    """``(n, L)`` own executed moves of the current supergame, padded with -1."""
    other: np.ndarray
    """``(n, L)`` the partner's executed moves, padded with -1."""
    length: np.ndarray
    """Rounds played in the current supergame (the valid prefix of ``own`` and ``other``)."""
    supergame: np.ndarray


class PDKernel(GameKernel):
    """M independent matching groups of prisoner's dilemmas stepped together."""

    name: ClassVar[str] = "prisoners_dilemma"
    description: ClassVar[str] = ("Prisoner's dilemma: one-shot, fixed or indefinite (δ) "
                                  "repetition, execution noise, rematching between supergames.")
    roles: ClassVar[tuple[str, ...]] = ("player",)
    config_cls: ClassVar[type[PDConfig]] = PDConfig
    conformance_configs: ClassVar[tuple[dict[str, Any], ...]] = (
        {},  # one-shot, DF2011 R = 40 matrix
        {"rounds": 4, "temptation": 85.0, "reward": 75.0, "punishment": 30.0,
         "sucker": 25.0},
        {"delta": 0.75, "max_rounds": 8, "supergames": 3, "group_size": 4},
        {"delta": 0.875, "max_rounds": 6, "noise": 0.125, "temptation": 4.0, "reward": 2.0,
         "punishment": 0.0, "sucker": -2.0},
        {"punishment": 5.0, "sucker": 5.0, "weak": True, "rounds": 2},  # P = S (Mengel)
    )
    """Representative configs checked by :mod:`agora.testing`."""
    prompts = prompts.PROMPTS
    theory = theory
    hooks = PDHooks(theory)
    config: PDConfig

    def __init__(self, config: PDConfig, n_instances: int,
                 rng: np.random.Generator) -> None:
        super().__init__(config, n_instances, rng)
        self._steps = config.supergames * config.supergame_cap
        check_cells("prisoners_dilemma", "instances × players × rounds",
                    n_instances * config.group_size * self._steps)
        self._spec = ActionSpec(name="cooperate", integer=True, low=0, high=1,
                                description="1 to cooperate (C), 0 to defect (D)")
        self.reset()

    @property
    def n_players(self) -> int:
        return self.config.group_size

    def max_steps(self) -> int:
        return self._steps

    def action_spec(self, player: int) -> ActionSpec:
        return self._spec

    def payoff_bounds(self) -> tuple[float, float]:
        # finished instances are paid 0 in a step's all_rewards
        return min(0.0, float(self.config.sucker)), max(0.0, float(self.config.temptation))

    # ------------------------------------------------------------------ dynamics
    def reset(self) -> None:
        m, g, n = self.n_instances, self.config.group_size, self._steps
        self.done = np.zeros(m, dtype=bool)
        self.round = np.zeros(m, dtype=np.int64)
        self.supergame = np.zeros(m, dtype=np.int64)
        self.sg_round = np.zeros(m, dtype=np.int64)
        self.sg_start = np.zeros(m, dtype=np.int64)
        self.intended = np.full((m, n, g), -1, dtype=np.int8)
        self.executed = np.full((m, n, g), -1, dtype=np.int8)
        self.payoffs = np.zeros((m, n, g))
        self.partner = np.zeros((m, g), dtype=np.int64)
        self._pair(np.arange(m))

    def _pair(self, inst: np.ndarray) -> None:
        """Split each group of ``inst`` into pairs (random when the group has > 2 players)."""
        g = self.config.group_size
        if g == 2:
            self.partner[inst] = (1, 0)
            return
        if inst.size == 0:
            return
        order = np.argsort(self.rng.subset(inst).random(size=(inst.size, g)), axis=1)
        a, b = order[:, 0::2], order[:, 1::2]
        rows = np.arange(inst.size)[:, None]
        part = np.empty((inst.size, g), dtype=np.int64)
        part[rows, a] = b
        part[rows, b] = a
        self.partner[inst] = part

    def pending(self) -> tuple[np.ndarray, np.ndarray]:
        live = np.flatnonzero(~self.done)
        g = self.config.group_size
        return np.repeat(live, g), np.tile(np.arange(g), live.size)

    def step(self, instances: np.ndarray, players: np.ndarray,
             actions: np.ndarray) -> StepOutcome:
        cfg = self.config
        instances, players = np.asarray(instances), np.asarray(players)
        moves = np.asarray(actions, dtype=np.float64)
        if not np.isin(moves, (0.0, 1.0)).all():
            raise ValueError("prisoners_dilemma: actions must be 1 (cooperate) or 0 (defect)")
        self.intended[instances, self.round[instances], players] = moves.astype(np.int8)
        live = np.unique(instances)
        r = self.round[live]
        want = self.intended[live, r]
        if (want < 0).any():
            raise ValueError("prisoners_dilemma: every player of a live instance must move")
        done_moves = want.copy()
        if cfg.noise > 0:
            flip = self.rng.subset(live).random(size=want.shape) < cfg.noise
            done_moves = np.where(flip, 1 - want, want).astype(np.int8)
        self.executed[live, r] = done_moves
        other = np.take_along_axis(done_moves, self.partner[live], axis=1)
        pay = theory.payoffs(cfg, done_moves, other)
        self.payoffs[live, r] = pay
        all_rewards = np.zeros((self.n_instances, cfg.group_size))
        all_rewards[live] = pay
        pos = np.searchsorted(live, instances)
        cols = {"executed": done_moves[pos, players].astype(np.float64),
                "other_executed": other[pos, players].astype(np.float64),
                "supergame": self.supergame[instances].astype(np.float64),
                "supergame_round": self.sg_round[instances].astype(np.float64),
                "partner": self.partner[instances, players].astype(np.float64)}
        self._advance(live)
        return StepOutcome(rewards=pay[pos, players], all_rewards=all_rewards, columns=cols)

    def _advance(self, live: np.ndarray) -> None:
        cfg = self.config
        self.round[live] += 1
        self.sg_round[live] += 1
        ended = self.sg_round[live] >= cfg.supergame_cap
        if cfg.delta is not None:
            ended |= self.rng.subset(live).random() >= cfg.delta
        over = live[ended]
        self.supergame[over] += 1
        self.sg_round[over] = 0
        self.sg_start[over] = self.round[over]
        self.done[over] = self.supergame[over] >= cfg.supergames
        self._pair(over[~self.done[over]])

    # ------------------------------------------------------------------ observations
    def observation_space(self) -> gym.Space[Any]:
        # [supergame, round of it, last own move, last other move (-1 before any), last payoff]
        c = self.config
        high = max(float(self._steps), abs(c.temptation), abs(c.sucker), 1.0)
        return gym.spaces.Box(low=-high, high=high, shape=(5,), dtype=np.float64)

    def _history(self, instance: int, player: int) -> tuple[PastRound, ...]:
        start, now = int(self.sg_start[instance]), int(self.round[instance])
        if self.done[instance]:
            return ()
        q = int(self.partner[instance, player])
        return tuple(PastRound(round=t - start,
                               own_intended=int(self.intended[instance, t, player]),
                               own_move=int(self.executed[instance, t, player]),
                               other_move=int(self.executed[instance, t, q]),
                               own_payoff=float(self.payoffs[instance, t, player]))
                     for t in range(start, now))

    def observation_array(self, instance: int, player: int) -> np.ndarray:
        h = self._history(instance, player)
        if not h:
            return np.array([float(self.supergame[instance]), 0.0, -1.0, -1.0, 0.0])
        last = h[-1]
        return np.array([float(self.supergame[instance]), float(len(h)), float(last.own_move),
                         float(last.other_move), last.own_payoff])

    def observe(self, instance: int, player: int) -> PDObservation:
        h = self._history(instance, player)
        return PDObservation(supergame=int(self.supergame[instance]), round=len(h), history=h,
                             total_payoff=float(self.payoffs[instance, :, player].sum()))

    def decision_view(self, instances: np.ndarray, players: np.ndarray) -> PDView:
        inst, pl = np.asarray(instances), np.asarray(players)
        length = self.sg_round[inst]
        width = int(length.max(initial=0))
        cols = self.sg_start[inst][:, None] + np.arange(width)[None, :]
        valid = np.arange(width)[None, :] < length[:, None]
        cols = np.where(valid, cols, 0)
        rows = inst[:, None]
        own = np.where(valid, self.executed[rows, cols, pl[:, None]], -1).astype(np.int8)
        q = self.partner[inst, pl]
        other = np.where(valid, self.executed[rows, cols, q[:, None]], -1).astype(np.int8)
        return PDView(config=self.config, players=pl, rounds=self.round[inst],
                      codes=self.spec_codes(inst, pl), specs=(self._spec,) * self.n_players,
                      own=own, other=other, length=length, supergame=self.supergame[inst])
