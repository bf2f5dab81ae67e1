"""Shared base of two-player alternating-offers kernels.

:class:`AlternatingOffersKernel` is the header and bookkeeping every game of two players taking
turns at making offers shares: two player slots, structured (dict) actions under two specs, a
proposal (spec code :data:`PROPOSE`) and an answer to the offer on the table (:data:`RESPOND`),
the turn logic (the first offer's maker and the clock decide who moves), ``pending()``, the
turn check of ``step``, the merged PettingZoo action space and the record-column plumbing.

:class:`ProposeRespondKernel` adds the round structure of games whose every round is a proposal
then an accept / reject answer (roles proposer / responder alternating by round): state
``round`` and ``phase``, ``spec_codes`` by phase, role index, and the advance after a step
(a rejection in the last round ends the game without a deal).

A game subclasses one of them, declares the usual header (``name``, ``config_cls``, ``prompts``,
``theory``) and implements :meth:`~AlternatingOffersKernel.make_specs`,
:meth:`~AlternatingOffersKernel.first_slot`, ``reset``, ``step`` and its observations. Its
config must carry ``messages`` (bool) and ``message_max`` (int).
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterable
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
import polars as pl

from agora.engine.kernel import GameKernel
from agora.engine.streams import Streams
from agora.engine.structured import Spec

PROPOSE, RESPOND = 0, 1
"""Spec codes: make an offer / answer the offer on the table."""


def outcome_columns(n: int, names: Iterable[str]) -> dict[str, np.ndarray]:
    """Record columns of a game's final decision, NaN (null in records) until filled in."""
    nan = np.full(n, np.nan)
    return {k: nan.copy() for k in names}


def nullable(columns: dict[str, np.ndarray]) -> dict[str, pl.Series]:
    """Columns as polars series whose NaN entries are nulls (decisions that ended no game)."""
    return {k: pl.Series(k, v, nan_to_null=True) for k, v in columns.items()}


class AlternatingOffersKernel(GameKernel):
    """Two players in turn: the mover makes an offer or answers the one on the table."""

    action_dtype: ClassVar[type] = object

    def __init__(self, config: Any, n_instances: int,
                 rng: Streams | np.random.Generator) -> None:
        super().__init__(config, n_instances, rng)
        self._specs: tuple[Spec, Spec] = self.make_specs(self.message_max)
        self.reset()

    @abstractmethod
    def make_specs(self, message_max: int) -> tuple[Spec, Spec]:
        """``(proposal spec, response spec)``; moves carry messages up to ``message_max``."""

    @abstractmethod
    def first_slot(self, instances: np.ndarray) -> np.ndarray:
        """Slot of the player who makes the first offer of each instance's game."""

    @abstractmethod
    def mover(self, instances: np.ndarray) -> np.ndarray:
        """Slot whose turn it is in each instance."""

    # ------------------------------------------------------------------ header
    @property
    def n_players(self) -> int:
        return 2

    @property
    def message_max(self) -> int:
        """Longest message a move may carry (0: the config allows none)."""
        cfg: Any = self.config
        return cfg.message_max if cfg.messages else 0

    def action_spec(self, player: int) -> Spec:
        """The proposal spec (a slot answers under ``spec_for_code(RESPOND)``)."""
        return self._specs[PROPOSE]

    def spec_for_code(self, code: int) -> Spec:
        return self._specs[code]

    def action_space(self, player: int) -> gym.Space[Any]:
        propose, respond = (s.space() for s in self._specs)
        return gym.spaces.Dict({**propose.spaces, **respond.spaces})

    # ------------------------------------------------------------------ turns
    def offer_makers(self, instances: np.ndarray, slots: int) -> np.ndarray:
        """``(n, slots)``: slot of the player making offer number 0, 1, ... of each game."""
        return self.first_slot(instances)[:, None] ^ (np.arange(slots)[None, :] % 2)

    def pending(self) -> tuple[np.ndarray, np.ndarray]:
        live = np.flatnonzero(~self.done)
        return live, self.mover(live)

    def check_turn(self, instances: np.ndarray, players: np.ndarray) -> np.ndarray:
        """The step's instances as an array; raises unless there is one decision per instance,
        by the agent whose turn it is."""
        inst = np.asarray(instances)
        if np.unique(inst).size != inst.size or np.any(np.asarray(players) != self.mover(inst)):
            raise ValueError(f"{self.name}: one decision per instance, by the agent whose turn "
                             "it is")
        return inst

    def view_fields(self, instances: np.ndarray, players: np.ndarray) -> dict[str, Any]:
        """The :class:`~agora.engine.views.OfferView` fields every such game fills the same
        way: config, seats, clock, spec codes and specs, the first offer's maker."""
        return {"config": self.config, "players": players, "rounds": self.round[instances],
                "codes": self.spec_codes(instances, players), "specs": self._specs,
                "first": self.first_slot(instances)}


class ProposeRespondKernel(AlternatingOffersKernel):
    """Rounds of one proposal and one accept / reject answer; roles alternate by round.

    State: ``round`` (0-based) and ``phase`` (:data:`PROPOSE` or :data:`RESPOND`) per instance.
    """

    roles: ClassVar[tuple[str, ...]] = ("proposer", "responder")

    @property
    @abstractmethod
    def n_rounds(self) -> int:
        """Most rounds (proposals) a game can take."""

    def max_steps(self) -> int:
        return 2 * self.n_rounds

    def reset_turns(self) -> None:
        """Every instance at the first round's proposal, none done."""
        m = self.n_instances
        self.done = np.zeros(m, dtype=bool)
        self.round = np.zeros(m, dtype=np.int64)
        self.phase = np.zeros(m, dtype=np.int64)

    def spec_codes(self, instances: np.ndarray, players: np.ndarray) -> np.ndarray:
        return self.phase[instances]

    def proposer_slot(self, instances: np.ndarray) -> np.ndarray:
        """Slot proposing in each instance's current round."""
        return self.first_slot(instances) ^ (self.round[instances] % 2)

    def proposer_of(self, instance: int) -> int:
        """Slot proposing in one instance's current round."""
        return int(self.proposer_slot(np.array([instance]))[0])

    def proposals_made(self, instance: int) -> list[tuple[int, bool]]:
        """``(round, answered)`` of every proposal made so far in one instance, oldest first
        (what a player's history shows; the last one may await its answer)."""
        now, done = int(self.round[instance]), bool(self.done[instance])
        made = [(t, True) for t in range(now)]
        if done or self.phase[instance] == RESPOND:
            made.append((now, done))
        return made

    def role_index(self, instances: np.ndarray, players: np.ndarray) -> np.ndarray:
        inst = np.asarray(instances)
        return (np.asarray(players) != self.proposer_slot(inst)).astype(np.int64)

    def mover(self, instances: np.ndarray) -> np.ndarray:
        return self.proposer_slot(instances) ^ self.phase[instances]

    def advance(self, inst: np.ndarray, accepted: np.ndarray) -> np.ndarray:
        """Move the stepped instances on (proposals to answers, rejections to the next round's
        proposal) and mark finished games done; returns which decisions finished a game."""
        r = self.round[inst]
        responding = self.phase[inst] == RESPOND
        accepted = responding & accepted
        last = responding & ~accepted & (r + 1 >= self.n_rounds)
        finished = accepted | last
        self.phase[inst] = np.where(responding, PROPOSE, RESPOND)
        self.round[inst[responding & ~accepted & ~last]] += 1
        self.done[inst[finished]] = True
        return finished
