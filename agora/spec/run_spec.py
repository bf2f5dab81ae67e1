"""Run specifications read from ``config.toml`` files or ``experiment.py`` scripts.

Policy shares are fractions of the seats and must sum to 1 (within ``SHARE_TOLERANCE``); a
lone policy may omit its share. They are never renormalised: ``0.5 + 0.2`` is refused.
"""

from __future__ import annotations

import importlib.util
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agora.engine.limits import MAX_INSTANCES
from agora.engine.registry import make_config
from agora.engine.runner import check_share_sum
from agora.policies.base import Policy
from agora.policies.registry import make_policy
from agora.spec.overrides import check_built_policies, check_toml_policies

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
        if not isinstance(self.game, str):
            raise ValueError(f"game must be a game name, got {self.game!r}")
        if not isinstance(self.config, Mapping):
            raise ValueError(f"config must be a table of game fields, got {self.config!r}")
        make_config(self.game, **self.config)  # validates game name and fields now
        check_shares(self.policies)
        if isinstance(self.n_instances, bool) or not isinstance(self.n_instances, int) \
                or not 1 <= self.n_instances <= MAX_INSTANCES:
            raise ValueError(f"n_instances must be an integer >= 1 and <= {MAX_INSTANCES:,}, "
                             f"got {self.n_instances!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {self.seed!r}")


def check_shares(policies: Any) -> None:
    """``(Policy, share)`` pairs whose shares are fractions of the seats summing to 1."""
    if not isinstance(policies, tuple | list) or not policies:
        raise ValueError(f"a run needs at least one (Policy, share) pair, got {policies!r}")
    for i, pair in enumerate(policies):
        if not (isinstance(pair, tuple | list) and len(pair) == 2
                and isinstance(pair[0], Policy)):
            raise ValueError(f"policies[{i}] must be a (Policy, share) pair, got {pair!r}")
        share = pair[1]
        if isinstance(share, bool) or not isinstance(share, int | float) \
                or not 0 <= share <= 1:
            raise ValueError(f"policies[{i}].share must be a number in [0, 1], got {share!r}")
    check_share_sum([float(p[1]) for p in policies])


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


def spec_from_toml(path: Path, overrides: str = "") -> RunSpec:
    """Parse a TOML run spec (see README, "Config files").

    ``overrides``: the ``--backend``/``--policy-server`` flags given, refused for policies that
    name their own backend (checked before any backend is built).
    """
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not valid TOML: the file is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: not valid TOML: {exc}") from None
    raw = check_spec_table(data, str(path))
    config = data.get("config", {})
    if not isinstance(config, dict):
        raise ValueError(f"{path}: [config] must be a table")
    if not isinstance(data["game"], str):
        raise ValueError(f"{path}: game must be a game name, got {data['game']!r}")
    make_config(data["game"], **config)  # before any policy (an LLM backend) is built
    for i, table in enumerate(raw):
        if not isinstance(table, Mapping):
            raise ValueError(f"{path}: policies[{i}] must be a [[policies]] table such as "
                             f"{{kind = \"random\"}}, got {table!r}")
        if "kind" not in table:
            raise ValueError(f"{path}: policies[{i}] has no 'kind'")
        share = table.get("share", 1.0)
        if isinstance(share, bool) or not isinstance(share, int | float):
            raise ValueError(f"{path}: policies[{i}].share must be a number, got {share!r}")
        if len(raw) > 1 and "share" not in table:
            raise ValueError(f"{path}: policies[{i}] has no 'share'; with several policies each "
                             f"needs one (fractions of the seats that sum to 1)")
    shares = [float(table.get("share", 1.0)) for table in raw]
    try:
        check_share_sum(shares)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None
    if overrides:
        check_toml_policies(str(path), raw, overrides)
    policies = []
    for table, share in zip(raw, shares, strict=True):
        params = {k: v for k, v in table.items() if k not in ("kind", "share")}
        policies.append((make_policy(table["kind"], **params), share))
    return RunSpec(game=data["game"], config=config, policies=tuple(policies),
                   n_instances=data.get("n_instances", 1), seed=data.get("seed", 0))


def spec_from_script(path: Path, overrides: str = "") -> RunSpec:
    """Load ``spec()`` (or ``SPEC``) from a user's experiment script.

    A script that does not compile, or raises while it is loaded or in ``spec()``, gives one
    ``ValueError`` line naming the file, the line and the exception.
    """
    module_spec = importlib.util.spec_from_file_location(f"agora_experiment_{path.stem}", path)
    if module_spec is None or module_spec.loader is None:
        raise ValueError(f"{path}: cannot be loaded as a Python module")
    module = importlib.util.module_from_spec(module_spec)
    try:
        module_spec.loader.exec_module(module)  # the user's own script, not model output
        if callable(getattr(module, "spec", None)):
            result = module.spec()
        elif hasattr(module, "SPEC"):
            result = module.SPEC
        else:
            raise ValueError(f"{path}: defines neither spec() nor SPEC "
                             f"(a agora.spec.run_spec.RunSpec)")
    except SyntaxError as exc:
        raise ValueError(f"{path}:{exc.lineno}: syntax error: {exc.msg}") from None
    except KeyboardInterrupt:
        raise
    except ValueError as exc:  # e.g. a RunSpec the script built with a bad field
        where = f"{path}{_script_line(exc, path)}"
        raise ValueError(str(exc) if str(exc).startswith(str(path)) else f"{where}: {exc}") \
            from None
    except BaseException as exc:  # SystemExit too: a script's exit() must not end agora
        raise ValueError(f"{path}{_script_line(exc, path)}: the script raised "
                         f"{type(exc).__name__}: {_one_line(exc)}") from None
    if not isinstance(result, RunSpec):
        raise TypeError(f"{path}: spec() must return a RunSpec, got {type(result).__name__}")
    if overrides:
        check_built_policies(str(path), [p for p, _ in result.policies], overrides)
    return result


def _script_line(exc: BaseException, path: Path) -> str:
    """``:N`` for the deepest traceback frame inside the script, else empty."""
    line, target = "", path.resolve()
    tb = exc.__traceback__
    while tb is not None:
        if Path(tb.tb_frame.f_code.co_filename).resolve() == target:
            line = f":{tb.tb_lineno}"
        tb = tb.tb_next
    return line


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:300] or "(no message)"


def load_spec(path: str | Path, overrides: str = "") -> RunSpec:
    """A run spec from a ``.toml`` or ``.py`` file, with clear errors.

    ``overrides``: the ``--backend``/``--policy-server`` flags of the command line (see
    :mod:`agora.spec.overrides`); empty when none were given.
    """
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"{p}: no such file")
    if not p.is_file():
        raise IsADirectoryError(f"{p}: not a file (expected a .toml config or a .py script)")
    if p.suffix == ".toml":
        return spec_from_toml(p, overrides)
    if p.suffix == ".py":
        return spec_from_script(p, overrides)
    raise ValueError(f"{p}: expected a .toml config or a .py experiment script")
