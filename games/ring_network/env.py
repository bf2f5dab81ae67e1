"""The ring-network kernel, vectorised over instances of four seats.

Header: 4 player slots (seats), one role; simultaneous moves; ``config.rounds`` rounds. In each
round the instance plays one ring game: game ``order[r // R]`` (``R`` = 4 rotations, or 1
without ``rotate``), seat ``j`` in position ``(j + r mod R) mod 4``. A seat in position ``i``
is paid its matrix entry for its own action and the action of the seat in position ``i + 1``
that round (position 4 against position 1), so across the four rotations of a game each agent
chooses once as each of players 1-4 and is matched with the other seats of its instance.
No feedback is shown between rounds (each game is one-shot). With ``order = "random"`` the game
order is a permutation drawn per instance from its stream at reset.

Kneeland (2015), as far as could be read (Econometrica supplement): "You will play 8 4-player
games. In each of these games, you will be randomly matched with other participants currently
in this room. For each game, you will choose one of three actions", with earnings from "your
action and player 2's action"; whether her subjects chose in all four positions could not be
read. agora asks every agent for all four positions because the classification needs an action
in every (game, position), and pays each against another seat of its instance.

Action: ``{"action": a}`` (``{"belief": b, "action": a}`` with explicit beliefs), whole numbers
1-3. Record columns per decision: ``ring_game`` (index of the game label in
:data:`~games.ring_network.games.GAME_LABELS`), ``position`` (1-4), ``game_order`` (0-based
place of the game in the instance's sequence), ``belief`` (stated belief, NaN unless explicit),
``given_belief`` (the next player's action stated in the prompt, NaN unless given), ``nash``
(the iterated-dominance action of the position), ``at_nash`` (1 when the action is it),
``br_to_belief`` (explicit and given modes: 1 when the action is the best response to the
belief stated or given, else 0; NaN in the implicit mode), ``belief_nash`` (explicit mode: 1
when the stated belief is the next player's iterated-dominance action) and ``next_action``
(what the next player chose).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np

from agora.engine.kernel import GameKernel, StepOutcome
from agora.engine.views import DecisionView
from games.ring_network import prompts, theory
from games.ring_network.config import RingConfig
from games.ring_network.games import GAME_LABELS, N_POSITIONS, matrices
from games.ring_network.hooks import RingHooks
from games.ring_network.spec import RingActionSpec


@dataclass(frozen=True, kw_only=True)
class RingObservation:
    """One seat's view before choosing (what the prompts render)."""

    game: str
    """Label of the current game."""
    game_number: int
    """1-based place of the game in this instance's sequence."""
    n_games: int
    position: int
    """1-based position (player number) of the seat in this game."""
    tables: tuple[tuple[tuple[float, ...], ...], ...]
    """Payoff table of players 1-4: ``tables[i][a][b]`` for own action ``a + 1`` and next
    player's action ``b + 1``."""
    given_belief: int | None
    """The next player's action (1-3) stated in the prompt (given-belief mode), else ``None``."""


@dataclass(frozen=True, kw_only=True)
class RingView(DecisionView):
    """What a batch of deciding seats know, as columns (what scripted types read)."""

    game: np.ndarray
    """Index of each decision's game in ``matrices``."""
    position: np.ndarray
    """0-based position of each decision."""
    given: np.ndarray
    """0-based action of the next player stated in the prompt, -1 unless given mode."""
    matrices: np.ndarray
    """``(n_games, 4, 3, 3)`` payoffs of the config's games."""


class RingKernel(GameKernel):
    """M independent rings of four seats stepped together."""

    name: ClassVar[str] = "ring_network"
    description: ClassVar[str] = ("Kneeland-style four-player ring games (player 4 dominant): "
                                  "each agent chooses in every position; orders of rationality.")
    roles: ClassVar[tuple[str, ...]] = ("player",)
    config_cls: ClassVar[type[RingConfig]] = RingConfig
    action_dtype: ClassVar[type] = object
    conformance_configs: ClassVar[tuple[dict[str, Any], ...]] = (
        {},
        {"beliefs": "explicit", "order": "random"},
        {"beliefs": "given", "games": ("G2", "T2"), "rotate": False},
    )
    """Representative configs checked by :mod:`agora.testing`."""
    prompts = prompts.PROMPTS
    theory = theory
    hooks = RingHooks(theory)
    config: RingConfig

    def __init__(self, config: RingConfig, n_instances: int,
                 rng: Any) -> None:
        super().__init__(config, n_instances, rng)
        self._u = matrices(config.games)
        self._label_index = np.array([GAME_LABELS.index(g) for g in config.games])
        self._ne = np.stack([theory.nash_profile(u) for u in self._u])
        self._spec = RingActionSpec(with_belief=config.beliefs == "explicit")
        self.reset()

    @property
    def n_players(self) -> int:
        return N_POSITIONS

    def max_steps(self) -> int:
        return self.config.rounds

    def action_spec(self, player: int) -> RingActionSpec:
        return self._spec

    def payoff_bounds(self) -> tuple[float, float]:
        return min(0.0, float(self._u.min())), max(0.0, float(self._u.max()))

    # ------------------------------------------------------------------ dynamics
    def reset(self) -> None:
        m, n, g = self.n_instances, self.config.rounds, len(self.config.games)
        self.done = np.zeros(m, dtype=bool)
        self.round = np.zeros(m, dtype=np.int64)
        if self.config.order == "random":
            self.order = np.argsort(self.rng.random(size=(m, g)), axis=1).astype(np.int64)
        else:
            self.order = np.tile(np.arange(g, dtype=np.int64), (m, 1))
        self.actions = np.full((m, n, N_POSITIONS), -1, dtype=np.int64)
        self.beliefs = np.full((m, n, N_POSITIONS), -1, dtype=np.int64)
        self.payoffs = np.zeros((m, n, N_POSITIONS))

    def _where(self, inst: np.ndarray, seats: np.ndarray,
               rounds: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(game index, 0-based position) of seats of instances at their current round."""
        r = self.round[inst] if rounds is None else rounds
        rot = self.config.rotations
        game = self.order[inst, np.minimum(r // rot, self.order.shape[1] - 1)]
        return game, (seats + r % rot) % N_POSITIONS

    def pending(self) -> tuple[np.ndarray, np.ndarray]:
        live = np.flatnonzero(~self.done)
        return np.repeat(live, N_POSITIONS), np.tile(np.arange(N_POSITIONS), live.size)

    def step(self, instances: np.ndarray, players: np.ndarray,
             actions: np.ndarray) -> StepOutcome:
        inst, seats = np.asarray(instances), np.asarray(players)
        acts = np.array([self._spec.validate(a) for a in actions], dtype=object)
        a = np.array([x["action"] - 1 for x in acts], dtype=np.int64)
        b = np.array([x.get("belief", 0) - 1 for x in acts], dtype=np.int64)
        r = self.round[inst]
        self.actions[inst, r, seats] = a
        self.beliefs[inst, r, seats] = b
        live = np.unique(inst)
        rl = self.round[live]
        if (self.actions[live, rl] < 0).any():
            raise ValueError("ring_network: every seat of a live instance must move")
        seat_ids = np.tile(np.arange(N_POSITIONS), (live.size, 1))
        game, pos = self._where(np.repeat(live, N_POSITIONS).reshape(-1, N_POSITIONS),
                                seat_ids, np.repeat(rl, N_POSITIONS).reshape(-1, N_POSITIONS))
        own = self.actions[live, rl]                      # (L, 4) by seat
        by_pos = np.empty_like(own)
        np.put_along_axis(by_pos, pos, own, axis=1)       # (L, 4) by position
        nxt = np.take_along_axis(by_pos, (pos + 1) % N_POSITIONS, axis=1)
        pay = self._u[game, pos, own, nxt]
        self.payoffs[live, rl] = pay
        all_rewards = np.zeros((self.n_instances, N_POSITIONS))
        all_rewards[live] = pay
        k = np.searchsorted(live, inst)
        g_i, p_i = game[k, seats], pos[k, seats]
        given = (self._ne[g_i, (p_i + 1) % N_POSITIONS] + 1.0
                 if self.config.beliefs == "given" else np.full(inst.size, np.nan))
        ne_next = self._ne[g_i, (p_i + 1) % N_POSITIONS]
        held = b if self._spec.with_belief else ne_next  # the belief stated or given
        rows = self._u[g_i, p_i]                          # (n, 3, 3) own matrices
        br = np.argmax(rows[np.arange(inst.size), :, np.maximum(held, 0)], axis=1)
        acted_on = self._spec.with_belief or self.config.beliefs == "given"
        cols = {"ring_game": self._label_index[g_i].astype(np.float64),
                "at_nash": (a == self._ne[g_i, p_i]).astype(np.float64),
                "br_to_belief": (np.where(a == br, 1.0, 0.0) if acted_on
                                 else np.full(inst.size, np.nan)),
                "belief_nash": (np.where(b == ne_next, 1.0, 0.0) if self._spec.with_belief
                                else np.full(inst.size, np.nan)),
                "position": p_i.astype(np.float64) + 1.0,
                "game_order": (r // self.config.rotations).astype(np.float64),
                "belief": np.where(b >= 0, b + 1.0, np.nan),
                "given_belief": given,
                "nash": self._ne[g_i, p_i].astype(np.float64) + 1.0,
                "next_action": nxt[k, seats].astype(np.float64) + 1.0}
        self.round[live] += 1
        self.done[live] = self.round[live] >= self.config.rounds
        return StepOutcome(rewards=pay[k, seats], all_rewards=all_rewards, columns=cols)

    # ------------------------------------------------------------------ observations
    def observation_space(self) -> gym.Space[Any]:
        # [game label index, 1-based position, given belief (0: none), round]
        high = float(max(self.config.rounds, len(GAME_LABELS)))
        return gym.spaces.Box(low=0.0, high=high, shape=(4,), dtype=np.float64)

    def _current(self, instance: int, player: int) -> tuple[int, int, int]:
        r = min(int(self.round[instance]), self.config.rounds - 1)
        g, p = self._where(np.array([instance]), np.array([player]), np.array([r]))
        return int(g[0]), int(p[0]), r

    def observation_array(self, instance: int, player: int) -> np.ndarray:
        g, p, r = self._current(instance, player)
        given = (self._ne[g, (p + 1) % N_POSITIONS] + 1.0
                 if self.config.beliefs == "given" else 0.0)
        return np.array([float(self._label_index[g]), p + 1.0, float(given), float(r)])

    def observe(self, instance: int, player: int) -> RingObservation:
        g, p, r = self._current(instance, player)
        given = (int(self._ne[g, (p + 1) % N_POSITIONS]) + 1
                 if self.config.beliefs == "given" else None)
        tables = tuple(tuple(tuple(float(x) for x in row) for row in m) for m in self._u[g])
        return RingObservation(game=self.config.games[g],
                               game_number=r // self.config.rotations + 1,
                               n_games=len(self.config.games), position=p + 1, tables=tables,
                               given_belief=given)

    def decision_view(self, instances: np.ndarray, players: np.ndarray) -> RingView:
        inst, pl = np.asarray(instances), np.asarray(players)
        game, pos = self._where(inst, pl)
        given = (self._ne[game, (pos + 1) % N_POSITIONS] if self.config.beliefs == "given"
                 else np.full(inst.size, -1, dtype=np.int64))
        return RingView(config=self.config, players=pl, rounds=self.round[inst],
                        codes=self.spec_codes(inst, pl), specs=(self._spec,) * N_POSITIONS,
                        game=game, position=pos, given=given, matrices=self._u)
