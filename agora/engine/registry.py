"""Registry of games: ``agora.make(name, **config)`` and ``agora.list_games()``."""

from __future__ import annotations

import dataclasses
import importlib
import importlib.metadata
import sys
import types
import typing
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from agora.engine.env import AgoraParallelEnv
from agora.engine.kernel import GameConfig, GameKernel

ENTRY_POINT_GROUP = "agora.games"
"""Entry-point group through which packages (agora's own games included) register games.

Each entry point names a module with a ``KERNELS`` tuple of game kernels, or one kernel class:
``[project.entry-points."agora.games"] my_game = "my_package.my_game"``. The module may also
carry ``POLICIES``, a mapping of policy kind names to factories of the game's own scripted
players, and ``LLM_PRESETS``, a mapping of kind names to default settings of LLM players
(see :mod:`agora.engine.contract`).
"""


class UnknownGameError(KeyError):
    """Raised for a game name that is not registered."""

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class GameEntry:
    """A registered game."""

    name: str
    kernel_cls: type[GameKernel]
    description: str


class GameRegistry:
    """Name → game kernel; games declared as entry points load on first use.

    The registry names no game: agora's own games are entry points of its distribution like any
    other package's, so a game installed from another package appears with no edit to agora.
    """

    def __init__(self, group: str) -> None:
        self._entries: dict[str, GameEntry] = {}
        self._group = group
        self._loaded: set[tuple[str, str]] = set()
        self._scanned = False
        self._policies: dict[str, Any] = {}
        self._llm_presets: dict[str, dict[str, Any]] = {}

    def refresh(self) -> None:
        """Look for entry points again (a package installed or put on ``sys.path`` since)."""
        self._scanned = False

    def _load_entry_points(self) -> None:
        if self._scanned:
            return
        self._scanned = True
        for ep in sorted(importlib.metadata.entry_points(group=self._group),
                         key=lambda e: (e.name, e.value)):
            if (ep.name, ep.value) in self._loaded:
                continue
            self._loaded.add((ep.name, ep.value))
            try:
                target = ep.load()
            except Exception as exc:  # a broken third-party game must not hide the others
                warnings.warn(f"game entry point {ep.name!r} ({ep.value}) failed to load: "
                              f"{type(exc).__name__}: {exc}", RuntimeWarning, stacklevel=3)
                continue
            is_module = isinstance(target, types.ModuleType)
            kernels = getattr(target, "KERNELS", ()) if is_module else (target,)
            if is_module:
                self._add_kinds(ep.name, dict(getattr(target, "POLICIES", {}) or {}),
                                dict(getattr(target, "LLM_PRESETS", {}) or {}))
            for kernel_cls in kernels:
                if not (isinstance(kernel_cls, type) and issubclass(kernel_cls, GameKernel)):
                    warnings.warn(f"game entry point {ep.name!r} ({ep.value}) names "
                                  f"{kernel_cls!r}, not a GameKernel subclass", RuntimeWarning,
                                  stacklevel=3)
                    continue
                if kernel_cls.name not in self._entries:
                    self.register(kernel_cls)

    def _add_kinds(self, source: str, policies: dict[str, Any],
                   presets: dict[str, dict[str, Any]]) -> None:
        for kind in (*policies, *presets):
            if kind in self._policies or kind in self._llm_presets:
                warnings.warn(f"game entry point {source!r} declares policy kind {kind!r} "
                              "that another game declared first; keeping the first",
                              RuntimeWarning, stacklevel=4)
        for kind, factory in policies.items():
            self._policies.setdefault(kind, factory)
        for kind, preset in presets.items():
            self._llm_presets.setdefault(kind, dict(preset))

    def policy_kinds(self) -> dict[str, Any]:
        """Scripted players that games ship (``POLICIES`` of their packages), by kind name."""
        self._load_entry_points()
        return dict(self._policies)

    def llm_presets(self) -> dict[str, dict[str, Any]]:
        """Default settings of games' LLM players (``LLM_PRESETS``), by kind name."""
        self._load_entry_points()
        return {k: dict(v) for k, v in self._llm_presets.items()}

    def register(self, kernel_cls: type[GameKernel], description: str | None = None) -> None:
        """Add a game kernel under its ``name``."""
        if kernel_cls.name in self._entries:
            raise ValueError(f"game {kernel_cls.name!r} is already registered")
        package = sys.modules.get(kernel_cls.__module__.rpartition(".")[0])
        text = kernel_cls.description or (package.__doc__ if package else None) \
            or kernel_cls.__doc__ or ""
        doc = text.strip().splitlines()
        self._entries[kernel_cls.name] = GameEntry(
            kernel_cls.name, kernel_cls, description or (doc[0] if doc else ""))

    def get(self, name: str) -> GameEntry:
        """The entry of a registered game, or a clear error listing the known ones."""
        self._load_entry_points()
        try:
            return self._entries[name]
        except KeyError:
            known = ", ".join(sorted(self._entries)) or (
                f"none (no {self._group!r} entry points: install agora with `pip install -e .`)")
            raise UnknownGameError(f"unknown game {name!r}; known games: {known}") from None

    def names(self) -> list[str]:
        """Registered game names, sorted."""
        self._load_entry_points()
        return sorted(self._entries)


REGISTRY = GameRegistry(ENTRY_POINT_GROUP)


def make_config(name: str, **config: Any) -> GameConfig:
    """Build and validate the config of game ``name``; unknown fields give a clear error."""
    cls = REGISTRY.get(name).kernel_cls.config_cls
    fields = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(config) - fields)
    if unknown:
        raise ValueError(f"{name}: unknown config field(s) {', '.join(unknown)}; "
                         f"allowed: {', '.join(sorted(fields))}")
    try:
        hints = typing.get_type_hints(cls)
    except Exception:  # unresolvable annotations: leave the checks to the config itself
        hints = {}
    for key, value in config.items():
        expected = hints.get(key)
        if expected is not None and not _type_ok(value, expected):
            raise ValueError(f"{name}: {key} must be {_type_name(expected)}, got {value!r}")
    return cls(**config)


def _options(tp: Any) -> tuple[Any, ...]:
    return typing.get_args(tp) if isinstance(tp, types.UnionType) \
        or typing.get_origin(tp) is typing.Union else (tp,)


def _type_ok(value: Any, tp: Any) -> bool:
    """Whether a config value (e.g. from TOML) fits a field's annotation; unknown types pass."""
    for t in _options(tp):
        if t is type(None):
            ok = value is None
        elif t is bool:
            ok = isinstance(value, bool | np.bool_)
        elif t is int:
            ok = isinstance(value, int | np.integer) and not isinstance(value, bool)
        elif t is float:
            ok = isinstance(value, int | float | np.integer | np.floating) \
                and not isinstance(value, bool)
        elif isinstance(t, type) and issubclass(t, str):
            ok = isinstance(value, str)
        elif typing.get_origin(t) is tuple:
            ok = isinstance(value, tuple | list) and _items_ok(value, typing.get_args(t))
        else:
            ok = True
        if ok:
            return True
    return False


def _items_ok(value: tuple[Any, ...] | list[Any], args: tuple[Any, ...]) -> bool:
    """Whether the items of a tuple/list fit ``tuple[X, ...]`` or ``tuple[X, Y]`` arguments."""
    if len(args) == 2 and args[1] is Ellipsis:
        return all(_type_ok(v, args[0]) for v in value)
    if not args:
        return True
    return len(value) == len(args) and all(_type_ok(v, a) for v, a in zip(value, args,
                                                                           strict=True))


def _type_name(tp: Any) -> str:
    names = {bool: "true or false", int: "an integer", float: "a number", type(None): "None"}
    return " or ".join(_one_type_name(t, names) for t in _options(tp))


def _one_type_name(t: Any, names: dict[Any, str]) -> str:
    if typing.get_origin(t) is tuple:
        args = typing.get_args(t)
        inner = _type_name(args[0]) if args else "values"
        return f"a list of {inner.removeprefix('a ').removeprefix('an ')}s" \
            if len(args) == 2 and args[1] is Ellipsis else "a list"
    return names.get(t, "a string")


def make(name: str, **config: Any) -> AgoraParallelEnv:
    """A fresh PettingZoo ``ParallelEnv`` of game ``name``."""
    return AgoraParallelEnv(REGISTRY.get(name).kernel_cls, make_config(name, **config))


def make_kernel(name: str, config: GameConfig, n_instances: int,
                rng: np.random.Generator) -> GameKernel:
    """A vectorised kernel of ``n_instances`` copies of game ``name``."""
    return REGISTRY.get(name).kernel_cls(config, n_instances, rng)


def list_games() -> list[str]:
    """Names of every registered game."""
    return REGISTRY.names()


def register(kernel_cls: type[GameKernel], description: str | None = None) -> None:
    """Register a game kernel so ``make`` and the runner find it by name."""
    REGISTRY.names()  # entry-point games first, so a duplicate name is refused
    REGISTRY.register(kernel_cls, description)
