"""Vectorised game kernels: the numpy state machine behind every agora game.

A :class:`GameKernel` holds the state of ``M`` independent instances of one game as numpy
arrays and advances all of them with one call. The PettingZoo environment of a game
(:class:`agora.engine.env.AgoraParallelEnv`) is a one-instance view of the same kernel, and the
:class:`agora.engine.runner.Runner` drives a kernel with thousands of instances directly: this is
what lets one policy call per step cover every live agent of every instance.

Kernel contract (all arrays are indexed by instance ``m`` and player slot ``j``):

* ``reset()`` puts every instance at round 0.
* ``pending()`` returns ``(instances, players)`` of the agents that must decide now; only the
  agents whose turn it is appear (turn-based games query just the active side).
* ``step(instances, players, actions)`` applies one action per pending agent and returns a
  :class:`StepOutcome` with rewards and the game-specific record columns.
* ``done`` is a boolean array per instance; finished instances are never pending again.
* Actions are floats by default. A kernel with structured actions (offers, responses, messages)
  sets ``action_dtype = object`` and returns :class:`~agora.engine.structured.StructuredSpec`
  specs; when the spec depends on an instance's state (proposer or responder), it overrides
  ``spec_codes`` / ``spec_for_code`` and ``action_space``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any, ClassVar

import gymnasium as gym
import numpy as np

from agora.engine.contract import GameHooks
from agora.engine.streams import Streams
from agora.engine.structured import Spec

if TYPE_CHECKING:
    from agora.engine.game_prompts import GamePrompts


@dataclass(frozen=True, kw_only=True)
class GameConfig:
    """Base class of game configs (frozen, ``kw_only``, validated in ``__post_init__``)."""

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON view of the config, for manifests."""
        from dataclasses import asdict

        return asdict(self)

    def _set_choice(self, owner: str, name: str, enum: type[Enum]) -> None:
        """Coerce field ``name`` to a member of ``enum`` in ``__post_init__``, or raise a
        one-line ValueError naming ``owner`` and the allowed values."""
        value = getattr(self, name)
        try:
            object.__setattr__(self, name, enum(value))
        except ValueError:
            allowed = ", ".join(str(e.value) for e in enum)
            raise ValueError(f"{owner}: {name} must be one of {allowed}; got {value!r}") \
                from None


@dataclass(frozen=True, kw_only=True)
class StepOutcome:
    """What one kernel step produced.

    Attributes:
        rewards: Reward of each decision in the order of the step's inputs.
        columns: Game-specific record columns, one value per decision (e.g. ``target``).
        all_rewards: ``(M, n_players)`` rewards of every player in every instance this step,
            including players that did not decide (e.g. a dictator game's recipient).
    """

    rewards: np.ndarray
    all_rewards: np.ndarray
    columns: dict[str, np.ndarray] = field(default_factory=dict)


class GameKernel(ABC):
    """Vectorised state of ``n_instances`` copies of one game.

    Subclasses declare the OpenSpiel-style header as class attributes and implement the
    abstract methods with numpy over the instance axis.
    """

    name: ClassVar[str]
    """Registry name of the game."""
    description: ClassVar[str] = ""
    """One line for ``agora games``; empty: the first line of the game package's docstring."""
    roles: ClassVar[tuple[str, ...]]
    """Names of the roles a player slot can take (e.g. ``("proposer", "responder")``)."""
    config_cls: ClassVar[type[GameConfig]]
    prompts: ClassVar[GamePrompts]
    action_dtype: ClassVar[type] = np.float64
    """dtype of the runner's action arrays: ``object`` for structured (dict) actions."""
    theory: ClassVar[Any] = None
    """The game's theory: a :class:`~agora.engine.contract.SimultaneousTheory` or
    :class:`~agora.engine.contract.SequentialTheory` (usually its ``theory`` module), or
    ``None``."""
    hooks: ClassVar[GameHooks] = GameHooks()
    """Analysis hooks (:class:`~agora.engine.contract.GameHooks`); defaults when not given."""

    def __init__(self, config: GameConfig, n_instances: int,
                 rng: Streams | np.random.Generator) -> None:
        """``rng``: one stream per instance (a Generator is turned into such streams)."""
        if n_instances < 1:
            raise ValueError(f"n_instances must be >= 1, got {n_instances}")
        if not isinstance(config, self.config_cls):
            raise TypeError(f"{self.name} needs a {self.config_cls.__name__}, "
                            f"got {type(config).__name__}")
        self.config = config
        self.n_instances = n_instances
        self.rng = Streams.coerce(rng, n_instances)
        self.done = np.zeros(n_instances, dtype=bool)
        self.round = np.zeros(n_instances, dtype=np.int64)

    # ------------------------------------------------------------------ header
    @property
    @abstractmethod
    def n_players(self) -> int:
        """Players per instance."""

    @abstractmethod
    def max_steps(self) -> int:
        """Upper bound on steps until every instance is done."""

    @abstractmethod
    def action_spec(self, player: int) -> Spec:
        """Legal actions of player slot ``player`` when it decides."""

    def spec_codes(self, instances: np.ndarray, players: np.ndarray) -> np.ndarray:
        """Which spec each pending decision uses, as codes for :meth:`spec_for_code`.

        The default is the player slot (one spec per slot); turn-based games whose spec depends
        on the instance's state return e.g. the role code.
        """
        return players

    def spec_for_code(self, code: int) -> Spec:
        """The action spec behind a code of :meth:`spec_codes`."""
        return self.action_spec(code)

    def action_space(self, player: int) -> gym.Space[Any]:
        """PettingZoo action space of a slot: covers every spec the slot may decide under."""
        return self.action_spec(player).space()

    def payoff_bounds(self) -> tuple[float, float] | None:
        """``(low, high)`` bounds of every reward a step can pay, or ``None`` if unknown.

        Optional; :mod:`agora.testing` checks rewards against it when a game provides it.
        """
        return None

    def role_index(self, instances: np.ndarray, players: np.ndarray) -> np.ndarray:
        """Role code of each (instance, player); the default is the player's slot mod roles."""
        return np.asarray(players) % len(self.roles)

    def agent_names(self) -> list[str]:
        """PettingZoo agent names of one instance."""
        return [f"player_{j}" for j in range(self.n_players)]

    # ------------------------------------------------------------------ dynamics
    @abstractmethod
    def reset(self) -> None:
        """Put every instance at the start of the game."""

    @abstractmethod
    def pending(self) -> tuple[np.ndarray, np.ndarray]:
        """``(instances, players)`` of the agents that must decide at this step."""

    @abstractmethod
    def step(self, instances: np.ndarray, players: np.ndarray,
             actions: np.ndarray) -> StepOutcome:
        """Apply one legal action per pending agent and advance the instances."""

    # ------------------------------------------------------------------ observations
    @abstractmethod
    def observation_space(self) -> gym.Space[Any]:
        """Gymnasium space of one agent's observation."""

    @abstractmethod
    def observe(self, instance: int, player: int) -> Any:
        """Typed observation (a frozen dataclass) of one agent, as prompts render it."""

    @abstractmethod
    def observation_array(self, instance: int, player: int) -> Any:
        """The observation as a value of :meth:`observation_space`."""

    def decision_view(self, instances: np.ndarray, players: np.ndarray) -> Any:
        """What the acting players may know, as one typed columnar view for scripted play.

        Scripted policies and a :class:`~agora.engine.contract.SequentialTheory` read this view,
        never kernel attributes. The default raises: games whose scripted players need more
        than the config (turn-based games) override it.
        """
        raise TypeError(f"game {self.name!r} provides no decision view for scripted play")

    # ------------------------------------------------------------------ checkpoints
    def state_dict(self) -> dict[str, Any]:
        """Everything needed to resume: the kernel's public attributes except ``config``.

        Attributes whose name starts with ``_`` are derived from the config when the kernel is
        built (action specs, constants) and are not saved: keep mutable state in public
        attributes. The values must be types :mod:`agora.engine.state_codec` stores (numpy
        arrays, :class:`Streams`, Python scalars, lists, tuples, dicts, object arrays of
        those); checkpoints are JSON plus ``.npz``, never pickles.
        """
        return {k: v for k, v in self.__dict__.items()
                if k != "config" and not k.startswith("_")}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned (same keys, same types, same dtypes).

        Raises ``ValueError`` naming the first attribute that does not fit this kernel, so a
        checkpoint of another game or config can never install foreign attributes.
        """
        own = self.state_dict()
        if not isinstance(state, dict) or set(state) != set(own):
            got = set(state) if isinstance(state, dict) else set()
            raise ValueError(f"{self.name} kernel state has keys {sorted(got)}, expected "
                             f"{sorted(own)}")
        for key, value in state.items():
            mine = own[key]
            if type(value) is not type(mine) and value is not None and mine is not None:
                raise ValueError(f"{self.name} kernel state {key!r} is a "
                                 f"{type(value).__name__}, expected {type(mine).__name__}")
            if (isinstance(mine, np.ndarray) and isinstance(value, np.ndarray)
                    and (value.dtype != mine.dtype or value.ndim != mine.ndim)):
                raise ValueError(f"{self.name} kernel state {key!r} has dtype {value.dtype} "
                                 f"and {value.ndim} dims, expected {mine.dtype} and "
                                 f"{mine.ndim}")
        self.__dict__.update(state)
