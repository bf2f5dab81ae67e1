"""Sharded populations: one run's game instances split across Ray actors, records merged.

A :class:`ShardPlan` cuts ``n_instances`` into ``n_shards`` contiguous blocks; each block is
played by the batched runner as ``Runner(..., instance_range=(offset, offset + size))`` of the
*same* run (same seed, same run id). Because the runner's randomness is keyed per instance and
per decision (:mod:`agora.engine.streams`) and policies are seated over the whole population, a
block's records are exactly the rows the unsharded run has for those instances. A
:class:`ShardPool` holds ``n_actors`` Ray actors, each with its own policies and so its own
backend (an embedded llama.cpp model per CPU actor, a vLLM engine per GPU actor: data
parallel), and plays the shards on them. The merged table orders rows by step then instance, as
one runner does, so with scripted policies it equals ``agora.run`` of the whole population
whatever ``n_shards``, ``n_actors`` or the scheduling. (LLM decisions keep their per-decision
sampling seeds too, but batched decoding may round differently with another batch
composition.)
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
import polars as pl
from tqdm.auto import tqdm

from agora.engine.records import (
    RunResult,
    finish_run_dir,
    git_commit,
    order_columns,
    package_versions,
)
from agora.policies.base import Policy
from agora.scale.config import RunConfig
from agora.scale.ray_session import ray_session
from agora.scale.wire import Wire, from_wire, to_wire
from agora.spec.run_spec import RunSpec

ConfigLike = RunConfig | RunSpec | Mapping[str, Any] | str | Path


@dataclass(frozen=True, kw_only=True)
class Shard:
    """One block of instances: global ``offset`` and ``size``, and the run's ``seed``."""

    index: int
    offset: int
    size: int
    seed: int


@dataclass(frozen=True, kw_only=True)
class ShardPlan:
    """How a population of ``n_instances`` game instances is cut into ``n_shards`` blocks."""

    n_instances: int
    n_shards: int
    seed: int

    def __post_init__(self) -> None:
        for name, low in (("n_instances", 1), ("n_shards", 1), ("seed", 0)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
        if self.n_shards > self.n_instances:
            raise ValueError(f"n_shards must be <= n_instances ({self.n_instances}), got "
                             f"{self.n_shards}")

    def shards(self) -> list[Shard]:
        """The blocks in order: sizes differ by at most one, the larger first."""
        base, extra = divmod(self.n_instances, self.n_shards)
        sizes = [base + (i < extra) for i in range(self.n_shards)]
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(int).tolist()
        return [Shard(index=i, offset=o, size=s, seed=self.seed)
                for i, (o, s) in enumerate(zip(offsets, sizes, strict=True))]


class ShardWorker:
    """Plays shards of one run config with policies built once (the body of a Ray actor)."""

    def __init__(self, config: RunConfig) -> None:
        self.config = config
        self.policies: list[tuple[Policy, float]] = config.build_policies()

    def ready(self) -> int:
        """The worker's pid, once its policies (and backends) are built."""
        return os.getpid()

    def run(self, shard: Shard, n_instances: int) -> tuple[Wire, dict[str, Any]]:
        """Play one shard of a run of ``n_instances`` (records carry global instance ids)."""
        records, info = play_shard(self.config, shard, n_instances, self.policies)
        return to_wire(records), info

    def close(self) -> None:
        """Release the policies' backends."""
        for policy, _ in self.policies:
            policy.close()


def play_shard(config: RunConfig, shard: Shard, n_instances: int,
               policies: list[tuple[Policy, float]]) -> tuple[pl.DataFrame, dict[str, Any]]:
    """One shard's records (global instance numbers) and its manifest and timing."""
    t0, c0 = time.perf_counter(), time.process_time()
    result = config.run(policies=policies, n_instances=n_instances, seed=shard.seed,
                        instance_range=(shard.offset, shard.offset + shard.size))
    return result.records, {"index": shard.index, "offset": shard.offset, "size": shard.size,
                     "seed": shard.seed, "wall_s": time.perf_counter() - t0,
                     "cpu_s": time.process_time() - c0,
                     "node": socket.gethostname(), "pid": os.getpid(),
                     "manifest": result.manifest}


class ShardPool:
    """``n_actors`` Ray actors holding one run config's policies; plays shard plans on them.

    Args:
        base_config: Run spec (path, mapping, RunSpec or RunConfig).
        n_actors: Actors, each with its own policies and backends.
        address: Ray cluster to join; ``None`` uses the session here or starts a local one.
        num_cpus: CPUs reserved per actor.
        num_gpus: GPUs per actor (``1``: one vLLM engine per GPU, data parallel).
        max_restarts: Ray restarts of a dead actor; its unfinished shard is then re-played.
        ray_init: Extra ``ray.init`` arguments when the pool starts Ray.
    """

    def __init__(self, base_config: ConfigLike, *, n_actors: int = 2,
                 address: str | None = None, num_cpus: float = 1.0, num_gpus: float = 0.0,
                 max_restarts: int = 2, ray_init: Mapping[str, Any] | None = None) -> None:
        if isinstance(n_actors, bool) or not isinstance(n_actors, int) or n_actors < 1:
            raise ValueError(f"n_actors must be an integer >= 1, got {n_actors!r}")
        if num_cpus < 0 or num_gpus < 0:
            raise ValueError("num_cpus and num_gpus must be >= 0")
        self.config = RunConfig.coerce(base_config)
        self.n_actors = n_actors
        self._stack = ExitStack()
        self.ray = self._stack.enter_context(ray_session("ShardPool", address, ray_init))
        try:
            _check_capacity(self.ray.cluster_resources(), n_actors, num_cpus, num_gpus)
            cls = self.ray.remote(ShardWorker).options(
                num_cpus=num_cpus, num_gpus=num_gpus, max_restarts=max_restarts,
                max_task_retries=max_restarts)
            self.actors = [cls.remote(self.config) for _ in range(n_actors)]
            self.pids = self.ray.get([a.ready.remote() for a in self.actors])
        except BaseException:
            self._stack.close()
            raise

    def run(self, *, n_shards: int | None = None, n_instances: int | None = None,
            seed: int | None = None, out: str | Path | None = None,
            progress: bool = True) -> RunResult:
        """Play the population cut into ``n_shards`` (default: one per actor) and merge."""
        plan = ShardPlan(n_instances=self.config.n_instances if n_instances is None
                         else n_instances, n_shards=n_shards or self.n_actors,
                         seed=self.config.seed if seed is None else seed)
        from ray.util import ActorPool

        t0 = time.perf_counter()
        pool = ActorPool(self.actors)
        shards = plan.shards()
        results = []
        n = plan.n_instances
        for wire, info in tqdm(pool.map(lambda a, s: a.run.remote(s, n), shards),
                               total=len(shards), unit="shard", desc="shards",
                               disable=not progress):
            results.append((from_wire(wire), info))
        return merge_shards(plan, results, time.perf_counter() - t0, n_actors=self.n_actors,
                            out=out)

    def close(self) -> None:
        """Release the actors' backends, end the actors, leave a session started here."""
        try:
            self.ray.get([a.close.remote() for a in self.actors])
            for a in self.actors:
                self.ray.kill(a)
        finally:
            self._stack.close()

    def __enter__(self) -> ShardPool:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def _check_capacity(total: Mapping[str, float], n_actors: int, num_cpus: float,
                    num_gpus: float) -> None:
    """Fail at once when the cluster can never hold the pool (Ray would wait forever)."""
    for kind, each in (("CPU", num_cpus), ("GPU", num_gpus)):
        need, have = n_actors * each, float(total.get(kind, 0.0))
        if need > have + 1e-9:
            raise ValueError(f"ShardPool: {n_actors} actors x {each:g} {kind} need {need:g} "
                             f"{kind}s but the Ray cluster has {have:g}; use fewer actors or "
                             f"num_{kind.lower()}s per actor")


def run_sharded(base_config: ConfigLike, *, n_actors: int = 2, n_shards: int | None = None,
                address: str | None = None, num_cpus: float = 1.0, num_gpus: float = 0.0,
                out: str | Path | None = None, progress: bool = True,
                ray_init: Mapping[str, Any] | None = None) -> RunResult:
    """Play one population split across ``n_actors`` Ray actors (see :class:`ShardPool`)."""
    with ShardPool(base_config, n_actors=n_actors, address=address, num_cpus=num_cpus,
                   num_gpus=num_gpus, ray_init=ray_init) as pool:
        return pool.run(n_shards=n_shards, out=out, progress=progress)


def run_shards_locally(base_config: ConfigLike, *, n_shards: int,
                       out: str | Path | None = None) -> RunResult:
    """The same plan played shard after shard in this process, without Ray."""
    config = RunConfig.coerce(base_config)
    plan = ShardPlan(n_instances=config.n_instances, n_shards=n_shards, seed=config.seed)
    t0 = time.perf_counter()
    policies = config.build_policies()
    try:
        results = [play_shard(config, s, plan.n_instances, policies) for s in plan.shards()]
    finally:
        for policy, _ in policies:
            policy.close()
    return merge_shards(plan, results, time.perf_counter() - t0, n_actors=0, out=out)


def interleave_steps(frames: list[pl.DataFrame]) -> pl.DataFrame:
    """Rows of every step from each shard in turn: (step, instance) order without a sort.

    Shards are contiguous instance blocks in order and each runner writes its rows step by
    step, so slicing each shard at its step boundaries and stacking the slices step-major
    reproduces one runner's order; the slices are views, so merging costs no copy.
    """
    if len(frames) == 1:
        return frames[0]  # the runner's own table, whatever its row order
    # a shard without, say, any CH seat has no ch_step column: stack by name, nulls elsewhere
    how = ("vertical" if all(f.schema == frames[0].schema for f in frames)
           else "diagonal_relaxed")
    cuts = []
    for frame in frames:
        steps = frame["step"].to_numpy()
        if steps.size > 1 and np.any(np.diff(steps) < 0):  # not step-major: fall back to a sort
            return pl.concat(frames, how=how).sort("step", "instance", maintain_order=True)
        cuts.append(steps)
    order = np.unique(np.concatenate([s[np.r_[True, s[1:] != s[:-1]]] for s in cuts if s.size]))
    slices = []
    for step in order.tolist():
        for frame, steps in zip(frames, cuts, strict=True):
            lo, hi = np.searchsorted(steps, [step, step + 1])
            if hi > lo:
                slices.append(frame.slice(int(lo), int(hi - lo)))
    return pl.concat(slices, how=how, rechunk=False)


def merge_shards(plan: ShardPlan, results: list[tuple[pl.DataFrame, dict[str, Any]]],
                 wall: float, *, n_actors: int, out: str | Path | None = None) -> RunResult:
    """Stack shard records in the order one runner writes them (step, then instance)."""
    results = sorted(results, key=lambda r: r[1]["index"])
    records = order_columns(interleave_steps([r[0] for r in results]))
    first = {k: v for k, v in results[0][1]["manifest"].items()
             if k not in ("instance_range", "run_fingerprint")}
    shards = [{k: v for k, v in r[1].items() if k != "manifest"} for r in results]
    telemetry = {"wall_s": wall, "decisions": records.height,
                 "decisions_per_s": records.height / wall if wall > 0 else None}
    run_fingerprint = results[0][1]["manifest"].get("run_fingerprint", first["fingerprint"])
    manifest = {**first, "n_instances": plan.n_instances, "seed": plan.seed,
                "fingerprint": run_fingerprint,
                "sharding": {"n_shards": plan.n_shards, "n_actors": n_actors, "shards": shards},
                "versions": package_versions(), "git_commit": git_commit(),
                "telemetry": telemetry}
    target = Path(out) if out is not None else None
    if target is not None:
        target.mkdir(parents=True, exist_ok=True)
        manifest = finish_run_dir(target, records, manifest)  # atomic, checksummed
    return RunResult(records=records, manifest=manifest, out=target, telemetry=telemetry)
