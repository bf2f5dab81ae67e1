"""Run specifications read from ``config.toml`` files or ``experiment.py`` scripts."""

from __future__ import annotations

import importlib.util
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agora.engine.registry import make_config
from agora.policies.base import Policy
from agora.policies.registry import make_policy

SPEC_KEYS = {"game", "n_instances", "seed", "config", "policies"}


@dataclass(frozen=True, kw_only=True)
class RunSpec:
    """Everything ``agora run`` needs: game, config, policies with shares, size and seed."""

    game: str
    config: dict[str, Any] = field(default_factory=dict)
    policies: tuple[tuple[Policy, float], ...]
    n_instances: int = 1
    seed: int = 0

    def __post_init__(self) -> None:
        make_config(self.game, **self.config)  # validates game name and fields now
        if not self.policies:
            raise ValueError("a run needs at least one policy")
        if not isinstance(self.n_instances, int) or self.n_instances < 1:
            raise ValueError(f"n_instances must be an integer >= 1, got {self.n_instances!r}")
        if not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {self.seed!r}")


def check_spec_table(data: Mapping[str, Any], source: str) -> list[Any] | tuple[Any, ...]:
    """Check a run-spec table's top-level fields; return its non-empty ``policies`` list."""
    unknown = sorted(set(data) - SPEC_KEYS)
    if unknown:
        raise ValueError(f"{source}: unknown field(s) {', '.join(unknown)}; "
                         f"allowed: {', '.join(sorted(SPEC_KEYS))}")
    if "game" not in data:
        raise ValueError(f"{source}: missing field 'game'")
    raw = data.get("policies")
    if not isinstance(raw, list | tuple) or not raw:
        raise ValueError(f"{source}: needs at least one [[policies]] table with a 'kind'")
    return raw


def spec_from_toml(path: Path) -> RunSpec:
    """Parse a TOML run spec (see README, "Config files")."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not valid TOML: the file is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: not valid TOML: {exc}") from None
    raw = check_spec_table(data, str(path))
    policies = []
    for i, table in enumerate(raw):
        params = dict(table)
        kind = params.pop("kind", None)
        if kind is None:
            raise ValueError(f"{path}: policies[{i}] has no 'kind'")
        share = params.pop("share", 1.0)
        if isinstance(share, bool) or not isinstance(share, int | float):
            raise ValueError(f"{path}: policies[{i}].share must be a number, got {share!r}")
        policies.append((make_policy(kind, **params), float(share)))
    config = data.get("config", {})
    if not isinstance(config, dict):
        raise ValueError(f"{path}: [config] must be a table")
    return RunSpec(game=data["game"], config=config, policies=tuple(policies),
                   n_instances=data.get("n_instances", 1), seed=data.get("seed", 0))


def spec_from_script(path: Path) -> RunSpec:
    """Load ``spec()`` (or ``SPEC``) from a user's experiment script."""
    module_spec = importlib.util.spec_from_file_location(f"agora_experiment_{path.stem}", path)
    if module_spec is None or module_spec.loader is None:
        raise ValueError(f"{path}: cannot be loaded as a Python module")
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)  # the user's own script, not model output
    if callable(getattr(module, "spec", None)):
        result = module.spec()
    elif hasattr(module, "SPEC"):
        result = module.SPEC
    else:
        raise ValueError(f"{path}: defines neither spec() nor SPEC (a agora.cli.spec.RunSpec)")
    if not isinstance(result, RunSpec):
        raise TypeError(f"{path}: spec() must return a RunSpec, got {type(result).__name__}")
    return result


def load_spec(path: str | Path) -> RunSpec:
    """A run spec from a ``.toml`` or ``.py`` file, with clear errors."""
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"{p}: no such file")
    if not p.is_file():
        raise IsADirectoryError(f"{p}: not a file (expected a .toml config or a .py script)")
    if p.suffix == ".toml":
        return spec_from_toml(p)
    if p.suffix == ".py":
        return spec_from_script(p)
    raise ValueError(f"{p}: expected a .toml config or a .py experiment script")
