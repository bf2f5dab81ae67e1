"""The trust game kernel, vectorised over game instances.

Header: 2 players, roles fixed (slot 0 sender, slot 1 receiver); turn-based, two steps per
round: the sender sends an amount of its endowment, then the receiver, who sees the amount sent
and what arrived, returns an amount of what arrived. R rounds, both see each finished round.
Actions: amounts on the config's ``step`` grid; the receiver's spec is ``[0, what arrived]``
(rounded down to the grid), one spec code per amount sent. Its PettingZoo action space is the
widest such range, a value above what arrived being capped at it (PettingZoo samples one fixed
space per agent).

Rewards are paid as money moves: the sender's step pays the sender what it keeps
(``E − s``); the receiver's step pays the receiver ``R + m·s − r`` and the sender the ``r``
returned. Each player's rewards sum to its round payoff; a record row holds the mover's own
step reward, so the receiver's rows also carry both round payoffs (``sender_payoff``,
``receiver_payoff``). Defaults: Berg et al. (1995), $10 each, tripled, whole dollars, one round.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np

from agora.engine.action_spec import ActionSpec
from agora.engine.kernel import GameKernel, StepOutcome
from agora.engine.views import DecisionView
from games.trust import prompts, theory
from games.trust.config import TrustConfig
from games.trust.hooks import TrustHooks

SENDER, RECEIVER = 0, 1


@dataclass(frozen=True, kw_only=True)
class ReturnSpec(ActionSpec):
    """The receiver's amounts, ``[0, what arrived]``, whose gymnasium space is the widest
    receiver range (``space_high``): a PettingZoo value above what arrived is capped at it."""

    space_high: float

    def space(self) -> gym.Space[Any]:
        if self.integer and self.step is None:
            return gym.spaces.Discrete(int(self.space_high) + 1, start=0)
        step = float(self.step if self.step is not None else 1.0)
        return gym.spaces.Discrete(int(np.floor(self.space_high / step + 1e-9)) + 1)

    def from_space(self, sample: Any) -> float:
        k = float(np.asarray(sample).reshape(-1)[0])
        value = k if self.integer and self.step is None else round(k * float(self.step), 10)
        return min(value, self.high)


@dataclass(frozen=True, kw_only=True)
class PastRound:
    """One finished round as a player remembers it."""

    round: int
    sent: float
    returned: float
    own_payoff: float


@dataclass(frozen=True, kw_only=True)
class TrustObservation:
    """One player's view when deciding (what the prompts render)."""

    round: int
    role: str
    sent: float | None
    """Amount sent this round (receivers only; ``None`` for the sender)."""
    arrived: float | None
    """What arrived, ``multiplier * sent`` (receivers only)."""
    history: tuple[PastRound, ...]
    social_history: tuple[tuple[float, float], ...]
    """The previous session's (sent, returned) pairs, when this player is shown them."""


@dataclass(frozen=True, kw_only=True)
class TrustView(DecisionView):
    """What a batch of deciding players know, as columns (what scripted players read)."""

    is_sender: np.ndarray
    sent: np.ndarray
    """Amount sent this round (NaN for senders)."""
    arrived: np.ndarray
    """What arrived this round (NaN for senders)."""
    last_sent: np.ndarray
    """Amount sent last round (NaN in the first round)."""
    last_returned: np.ndarray
    """Amount returned last round (NaN in the first round)."""


class TrustKernel(GameKernel):
    """M independent trust games stepped together."""

    name: ClassVar[str] = "trust"
    roles: ClassVar[tuple[str, ...]] = ("sender", "receiver")
    config_cls: ClassVar[type[TrustConfig]] = TrustConfig
    conformance_configs: ClassVar[tuple[dict[str, Any], ...]] = (
        {},  # Berg et al. (1995): $10 each, tripled, one shot
        {"social_history": True},
        {"endowment": 100.0, "receiver_endowment": 0.0, "rounds": 3},  # oTree-like, repeated
        {"endowment": 5.0, "step": 0.5, "multiplier": 2.5, "rounds": 2,
         "social_history": True, "history_pairs": [[5.0, 6.0], [0.0, 0.0], [2.5, 1.0]],
         "history_to": "sender"},
    )
    """Representative configs checked by :mod:`agora.testing`."""
    prompts = prompts.PROMPTS
    theory = theory
    hooks = TrustHooks(theory)
    config: TrustConfig

    def __init__(self, config: TrustConfig, n_instances: int,
                 rng: np.random.Generator) -> None:
        super().__init__(config, n_instances, rng)
        c = config
        self._send_spec = ActionSpec(
            name="amount_sent", description="the amount you send to the receiver", low=0.0,
            high=float(c.endowment), integer=c.integer, step=None if c.integer else c.step,
            unit=c.unit)
        self._return_specs: dict[int, ReturnSpec] = {}
        self.reset()

    @property
    def n_players(self) -> int:
        return 2

    def max_steps(self) -> int:
        return 2 * self.config.rounds

    # ------------------------------------------------------------------ specs
    def return_spec(self, k: int) -> ReturnSpec:
        """The receiver's spec when ``k`` grid steps were sent."""
        spec = self._return_specs.get(k)
        if spec is None:
            c = self.config
            spec = self._return_specs[k] = ReturnSpec(
                name="amount_returned", description="the amount you return to the sender",
                low=0.0, high=c.max_return(k * c.step), integer=c.integer,
                step=None if c.integer else c.step, unit=c.unit,
                space_high=c.max_return(c.endowment))
        return spec

    def action_spec(self, player: int) -> ActionSpec:
        return self._send_spec if player == SENDER else self.return_spec(self.config.n_steps)

    def spec_codes(self, instances: np.ndarray, players: np.ndarray) -> np.ndarray:
        inst = np.asarray(instances)
        r = np.minimum(self.round[inst], self.config.rounds - 1)
        k = np.rint(np.nan_to_num(self.sent[inst, r]) / self.config.step).astype(np.int64)
        return np.where(np.asarray(players) == SENDER, 0, 1 + k)

    def spec_for_code(self, code: int) -> ActionSpec:
        return self._send_spec if code == 0 else self.return_spec(code - 1)

    def action_space(self, player: int) -> gym.Space[Any]:
        return self.action_spec(player).space()

    def payoff_bounds(self) -> tuple[float, float]:
        c = self.config
        return 0.0, float(c.receiver_endowment + c.multiplier * c.endowment)

    # ------------------------------------------------------------------ dynamics
    def reset(self) -> None:
        m, r = self.n_instances, self.config.rounds
        self.done = np.zeros(m, dtype=bool)
        self.round = np.zeros(m, dtype=np.int64)
        self.phase = np.zeros(m, dtype=np.int64)
        self.sent = np.full((m, r), np.nan)
        self.returned = np.full((m, r), np.nan)

    def pending(self) -> tuple[np.ndarray, np.ndarray]:
        live = np.flatnonzero(~self.done)
        return live, self.phase[live]

    def step(self, instances: np.ndarray, players: np.ndarray,
             actions: np.ndarray) -> StepOutcome:
        c = self.config
        inst, players = np.asarray(instances), np.asarray(players)
        if np.unique(inst).size != inst.size or np.any(self.done[inst]) \
                or np.any(players != self.phase[inst]):
            raise ValueError("trust: one decision per live instance, by the player whose turn "
                             "it is")
        a = np.asarray(actions, dtype=np.float64)
        r = self.round[inst]
        sending = players == SENDER
        self.sent[inst[sending], r[sending]] = a[sending]
        self.returned[inst[~sending], r[~sending]] = a[~sending]
        s = self.sent[inst, r]
        back = np.where(sending, np.nan, a)
        pay_s, pay_r = theory.payoffs(c, s, back)
        all_rewards = np.zeros((self.n_instances, 2))
        all_rewards[inst, SENDER] = np.where(sending, c.endowment - s, back)
        all_rewards[inst, RECEIVER] = np.where(sending, 0.0, pay_r)
        self.phase[inst] = np.where(sending, RECEIVER, SENDER)
        self.round[inst[~sending]] += 1
        self.done[inst] = self.round[inst] >= c.rounds
        ratio = theory.return_ratio(c, s, back)
        return StepOutcome(
            rewards=all_rewards[inst, players], all_rewards=all_rewards,
            columns={"sent": s, "arrived": c.multiplier * s, "returned": back,
                     "return_ratio": ratio,
                     "share_given": np.where(sending, s / c.endowment, ratio),
                     "sender_payoff": pay_s, "receiver_payoff": pay_r})

    # ------------------------------------------------------------------ observations
    def observation_space(self) -> gym.Space[Any]:
        # [round, is sender, sent now, arrived now, last sent, last returned, last own payoff]
        c = self.config
        high = max(float(c.rounds), c.receiver_endowment + c.multiplier * c.endowment)
        return gym.spaces.Box(low=0.0, high=high, shape=(7,), dtype=np.float64)

    def observation_array(self, instance: int, player: int) -> np.ndarray:
        o = self.observe(instance, player)
        last = o.history[-1] if o.history else None
        return np.array([o.round, float(player == SENDER), o.sent or 0.0, o.arrived or 0.0,
                         last.sent if last else 0.0, last.returned if last else 0.0,
                         last.own_payoff if last else 0.0])

    def _past(self, instance: int, player: int, t: int) -> PastRound:
        s, r = float(self.sent[instance, t]), float(self.returned[instance, t])
        pay = theory.payoffs(self.config, np.float64(s), np.float64(r))[player]
        return PastRound(round=t, sent=s, returned=r, own_payoff=float(pay))

    def shows_history(self, player: int) -> bool:
        """Whether ``player`` is shown the social history."""
        c = self.config
        return c.social_history and (player == SENDER or c.history_to == "both")

    def observe(self, instance: int, player: int) -> TrustObservation:
        c = self.config
        t = int(min(self.round[instance], c.rounds - 1))
        receiving = player == RECEIVER and self.phase[instance] == RECEIVER \
            and not self.done[instance]
        sent = float(self.sent[instance, t]) if receiving else None
        return TrustObservation(
            round=int(self.round[instance]), role=self.roles[player], sent=sent,
            arrived=c.multiplier * sent if sent is not None else None,
            history=tuple(self._past(instance, player, u)
                          for u in range(int(self.round[instance]))),
            social_history=c.history_pairs if self.shows_history(player) else ())

    def decision_view(self, instances: np.ndarray, players: np.ndarray) -> TrustView:
        c = self.config
        inst, players = np.asarray(instances), np.asarray(players)
        r = self.round[inst]
        now = self.sent[inst, np.minimum(r, c.rounds - 1)]
        is_sender = players == SENDER
        sent = np.where(is_sender, np.nan, now)
        seen = r > 0
        last_s, last_r = np.full(inst.size, np.nan), np.full(inst.size, np.nan)
        last_s[seen] = self.sent[inst[seen], r[seen] - 1]
        last_r[seen] = self.returned[inst[seen], r[seen] - 1]
        return TrustView(config=c, players=players, rounds=r,
                         codes=self.spec_codes(inst, players),
                         specs=_SpecTable(self), is_sender=is_sender, sent=sent,
                         arrived=c.multiplier * sent, last_sent=last_s, last_returned=last_r)


class _SpecTable:
    """The kernel's specs indexed by spec code (built on demand: one per amount sent)."""

    def __init__(self, kernel: TrustKernel) -> None:
        self._kernel = kernel

    def __getitem__(self, code: int) -> ActionSpec:
        return self._kernel.spec_for_code(int(code))

    def __len__(self) -> int:
        return self._kernel.config.n_steps + 2
