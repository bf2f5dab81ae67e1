"""Parameter grids: named axes of values whose Cartesian product is a sweep's configurations.

A grid file mirrors the run spec; every leaf is the list of values an axis takes, e.g.::

    seed = [0, 1, 2]
    [config]
    p = [0.5, 0.6666666666666666]
    [policies.0]          # the first [[policies]] table of the base config
    tau = [1.0, 1.5]

Axis names are dotted paths into the run spec (``config.p``, ``policies.0.tau``,
``policies.0.backend_options.model``); a list index addresses a ``[[policies]]`` table. The
product runs in the order axes are written, the last axis fastest.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agora.scale.config import RunConfig, read_toml
from agora.spec.run_spec import SPEC_KEYS


@dataclass(frozen=True, kw_only=True)
class Grid:
    """Axes ``(dotted name, values)`` of a sweep, in product order."""

    axes: tuple[tuple[str, tuple[Any, ...]], ...] = ()

    def __post_init__(self) -> None:
        axes = tuple((name, tuple(values)) for name, values in self.axes)
        object.__setattr__(self, "axes", axes)
        names = [name for name, _ in axes]
        if len(set(names)) != len(names):
            raise ValueError(f"grid: duplicate axis names in {names}")
        for name, values in axes:
            head = name.split(".")[0]
            if head not in SPEC_KEYS:
                raise ValueError(f"grid axis {name!r}: must start with one of "
                                 f"{', '.join(sorted(SPEC_KEYS))}")
            if any(part == "" for part in name.split(".")):
                raise ValueError(f"grid axis {name!r}: empty path segment")
            if not values:
                raise ValueError(f"grid axis {name!r}: needs at least one value")

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], source: str = "grid") -> Grid:
        """Flatten nested tables into dotted axes; every leaf must be a list of values."""
        axes: list[tuple[str, tuple[Any, ...]]] = []

        def walk(prefix: str, node: Mapping[str, Any]) -> None:
            for key, value in node.items():
                name = f"{prefix}.{key}" if prefix else str(key)
                if isinstance(value, Mapping):
                    walk(name, value)
                elif isinstance(value, list | tuple | range):
                    axes.append((name, tuple(value)))
                else:
                    raise ValueError(f"{source}: axis {name!r} must be a list of values, "
                                     f"got {value!r}")

        walk("", data)
        try:
            return cls(axes=tuple(axes))
        except ValueError as exc:
            raise ValueError(f"{source}: {exc}") from None

    @classmethod
    def load(cls, path: str | Path) -> Grid:
        """Read a grid TOML file."""
        p = Path(path)
        return cls.from_mapping(read_toml(p, "grid file"), source=str(p))

    @classmethod
    def coerce(cls, source: Grid | Mapping[str, Any] | str | Path) -> Grid:
        """A Grid from a Grid, a mapping of axes or a grid TOML path."""
        if isinstance(source, Grid):
            return source
        if isinstance(source, Mapping):
            return cls.from_mapping(source)
        if isinstance(source, str | Path):
            return cls.load(source)
        raise TypeError(f"grid must be a Grid, mapping or TOML path, got {type(source).__name__}")

    # ------------------------------------------------------------------ expansion
    @property
    def names(self) -> list[str]:
        """Axis names in product order."""
        return [name for name, _ in self.axes]

    def __len__(self) -> int:
        n = 1
        for _, values in self.axes:
            n *= len(values)
        return n

    def points(self) -> list[dict[str, Any]]:
        """Every combination of axis values, as ``{axis: value}``, last axis fastest."""
        return [dict(zip(self.names, combo, strict=True))
                for combo in itertools.product(*(values for _, values in self.axes))]

    def expand(self, base: RunConfig) -> list[tuple[dict[str, Any], RunConfig]]:
        """``(point, configuration)`` for every point, each validated."""
        out = []
        for point in self.points():
            data: Any = base.to_mapping()
            for name, value in point.items():
                data = _with(data, name.split("."), value, name)
            out.append((point, RunConfig.from_mapping(data, source=f"grid point {point}")))
        return out


def _with(node: Any, parts: list[str], value: Any, axis: str) -> Any:
    """A copy of ``node`` with ``value`` at path ``parts`` (containers on the path copied)."""
    if not parts:
        return value
    key, rest = parts[0], parts[1:]
    if isinstance(node, list | tuple):
        if not key.isdigit() or int(key) >= len(node):
            raise ValueError(f"grid axis {axis!r}: {key!r} is not an index of a list of "
                             f"{len(node)}")
        copy = list(node)
        copy[int(key)] = _with(node[int(key)], rest, value, axis)
        return copy
    if node is None:
        node = {}
    if not isinstance(node, Mapping):
        raise ValueError(f"grid axis {axis!r}: cannot set {key!r} inside {node!r}")
    table = dict(node)
    table[key] = _with(node.get(key), rest, value, axis)
    return table
