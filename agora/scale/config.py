"""A run's configuration as plain, picklable data: what one sweep point or shard pool runs.

:class:`RunConfig` mirrors the TOML run spec (``game``, ``[config]``, ``[[policies]]``,
``n_instances``, ``seed``). Policies stay *descriptions* (a registered kind with parameters)
until :meth:`RunConfig.build_policies` runs on the Ray worker, so every task or actor builds its
own backend; a ready :class:`~agora.policies.base.Policy` object (from an ``experiment.py``
script) is shipped pickled instead.
"""

from __future__ import annotations

import hashlib
import json
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agora.engine.records import RunResult
from agora.engine.registry import make_config
from agora.engine.runner import Runner
from agora.policies.base import Policy
from agora.policies.registry import POLICY_KINDS, make_policy
from agora.spec.run_spec import RunSpec, check_spec_table, load_spec


@dataclass(frozen=True, kw_only=True)
class PolicyEntry:
    """One policy of a run's mixture: a registered ``kind`` with ``params``, or a ``policy``.

    Attributes:
        share: Share of seats (normalised over the mixture by the runner).
        kind: Registered policy kind (see :data:`agora.policies.registry.POLICY_KINDS`).
        params: Keyword parameters of the kind.
        policy: A ready policy object instead of ``kind`` (shipped to workers pickled).
    """

    share: float = 1.0
    kind: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    policy: Policy | None = None

    def __post_init__(self) -> None:
        if (self.kind is None) == (self.policy is None):
            raise ValueError("a policy entry needs exactly one of kind= or policy=")
        if self.kind is not None and self.kind not in POLICY_KINDS:
            raise ValueError(f"unknown policy kind {self.kind!r}; known: "
                             f"{', '.join(sorted(POLICY_KINDS))}")
        if self.policy is not None and not isinstance(self.policy, Policy):
            raise TypeError(f"policy must be a Policy, got {type(self.policy).__name__}")
        if self.policy is not None and self.params:
            raise ValueError(f"a ready Policy object takes no parameters, got "
                             f"{sorted(self.params)}")
        share = self.share
        if isinstance(share, bool) or not isinstance(share, int | float) or not (
                math.isfinite(share) and share >= 0):
            raise ValueError(f"policy share must be a finite number >= 0, got {share!r}")
        object.__setattr__(self, "share", float(share))
        object.__setattr__(self, "params", dict(self.params))

    @classmethod
    def from_table(cls, table: Any, where: str) -> PolicyEntry:
        """Parse a ``[[policies]]`` table, a ``(Policy, share)`` pair or a bare Policy."""
        if isinstance(table, Policy):
            return cls(policy=table)
        if isinstance(table, tuple) and len(table) == 2 and isinstance(table[0], Policy):
            return cls(policy=table[0], share=table[1])
        if not isinstance(table, Mapping):
            raise ValueError(f"{where} must be a table with 'kind' (or a Policy), got {table!r}")
        params = dict(table)
        share = params.pop("share", 1.0)
        policy = params.pop("policy", None)
        kind = params.pop("kind", None)
        if kind is None and policy is None:
            raise ValueError(f"{where} has no 'kind'")
        try:
            return cls(kind=kind, params=params, policy=policy, share=share)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"{where}: {exc}") from None

    def to_table(self) -> dict[str, Any]:
        """The entry as a ``[[policies]]`` table (a ready policy sits under ``policy``)."""
        if self.policy is not None:
            return {"policy": self.policy, "share": self.share}
        return {"kind": self.kind, "share": self.share, **self.params}

    def identity(self) -> dict[str, Any]:
        """JSON-able description that determines this policy's decisions."""
        if self.policy is not None:
            cls = type(self.policy)
            return {"object": f"{cls.__module__}.{cls.__qualname__}", "share": self.share,
                    "describe": self.policy.describe()}
        return {"kind": self.kind, "share": self.share, "params": self.params}

    def build(self) -> Policy:
        """The policy object (constructs backends of LLM kinds: call it where it will run)."""
        if self.policy is not None:
            return self.policy
        assert self.kind is not None
        return make_policy(self.kind, **self.params)


@dataclass(frozen=True, kw_only=True)
class RunConfig:
    """Game, game config, policy mixture, population size and seed of one run."""

    game: str
    config: Mapping[str, Any] = field(default_factory=dict)
    policies: tuple[PolicyEntry, ...]
    n_instances: int = 1
    seed: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.config, Mapping):
            raise ValueError(f"config must be a table of game fields, got {self.config!r}")
        object.__setattr__(self, "config", dict(self.config))
        object.__setattr__(self, "policies", tuple(self.policies))
        make_config(self.game, **self.config)  # validates the game name and its fields now
        if not self.policies:
            raise ValueError("policies: a run needs at least one policy")
        if sum(p.share for p in self.policies) <= 0:
            raise ValueError("policies: shares must sum to > 0")
        for name in ("n_instances", "seed"):
            value, low = getattr(self, name), 1 if name == "n_instances" else 0
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], source: str = "config") -> RunConfig:
        """Parse the TOML run-spec schema (policies may also be Policy objects)."""
        raw = check_spec_table(data, source)
        entries = tuple(PolicyEntry.from_table(t, f"{source}: policies[{i}]")
                        for i, t in enumerate(raw))
        try:
            return cls(game=data["game"], config=data.get("config", {}), policies=entries,
                       n_instances=data.get("n_instances", 1), seed=data.get("seed", 0))
        except (ValueError, TypeError) as exc:
            raise ValueError(f"{source}: {exc}") from None

    @classmethod
    def from_spec(cls, spec: RunSpec) -> RunConfig:
        """From a :class:`~agora.spec.run_spec.RunSpec` (``experiment.py`` scripts)."""
        return cls(game=spec.game, config=spec.config, n_instances=spec.n_instances,
                   seed=spec.seed,
                   policies=tuple(PolicyEntry(policy=p, share=s) for p, s in spec.policies))

    @classmethod
    def load(cls, path: str | Path) -> RunConfig:
        """From a ``.toml`` run spec (policies stay kinds) or an ``experiment.py`` script."""
        p = Path(path)
        if p.suffix != ".toml":
            return cls.from_spec(load_spec(p))
        return cls.from_mapping(read_toml(p, "file"), source=str(p))

    @classmethod
    def coerce(cls, source: Any) -> RunConfig:
        """A RunConfig from a RunConfig, RunSpec, mapping or spec file path."""
        if isinstance(source, RunConfig):
            return source
        if isinstance(source, RunSpec):
            return cls.from_spec(source)
        if isinstance(source, Mapping):
            return cls.from_mapping(source)
        if isinstance(source, str | Path):
            return cls.load(source)
        raise TypeError(f"expected a RunConfig, RunSpec, mapping or spec path, got "
                        f"{type(source).__name__}")

    # ------------------------------------------------------------------ views
    def to_mapping(self) -> dict[str, Any]:
        """The run-spec mapping (round-trips through :meth:`from_mapping`)."""
        return {"game": self.game, "config": dict(self.config), "n_instances": self.n_instances,
                "seed": self.seed, "policies": [p.to_table() for p in self.policies]}

    def identity(self) -> dict[str, Any]:
        """JSON-able description of everything that determines the records."""
        return {"game": self.game, "config": dict(self.config), "n_instances": self.n_instances,
                "seed": self.seed, "policies": [p.identity() for p in self.policies]}

    def config_id(self) -> str:
        """Stable id of :meth:`identity`, ``<game>-<12 hex digits>`` (a sweep's partition key)."""
        blob = json.dumps(self.identity(), sort_keys=True, default=str)
        return f"{self.game}-{hashlib.sha256(blob.encode()).hexdigest()[:12]}"

    # ------------------------------------------------------------------ running
    def build_policies(self) -> list[tuple[Policy, float]]:
        """``(policy, share)`` pairs for the runner (builds backends: call it on the worker)."""
        return [(p.build(), p.share) for p in self.policies]

    def run(self, *, policies: list[tuple[Policy, float]] | None = None,
            n_instances: int | None = None, seed: int | None = None, progress: bool = False,
            instance_range: tuple[int, int] | None = None) -> RunResult:
        """Play the run in this process (what ``agora.run`` with the same values plays).

        ``instance_range=(a, b)`` plays only instances ``a .. b-1``, with the rows the whole
        run has for them (see :class:`~agora.engine.runner.Runner`).
        """
        built = self.build_policies() if policies is None else policies
        try:
            return Runner(self.game, dict(self.config), policy=built,
                          n_instances=self.n_instances if n_instances is None else n_instances,
                          seed=self.seed if seed is None else seed, progress=progress,
                          instance_range=instance_range).run()
        finally:
            if policies is None:
                for policy, _ in built:
                    policy.close()


def read_toml(path: Path, what: str) -> dict[str, Any]:
    """The table of a TOML file, with one-line errors for a missing or malformed ``what``."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such {what}")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"{path}: not valid TOML: {exc}") from None
