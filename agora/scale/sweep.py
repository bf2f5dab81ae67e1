"""``agora.sweep``: every configuration of a grid as a Ray task, written as one dataset.

Each configuration (a point of the grid applied to the base run config) runs as one Ray task
that plays it with the batched runner and returns its records, exactly the table ``agora.run``
returns for the same values. Ray schedules the tasks over the local machine or a cluster and
re-runs a task whose worker died (``max_retries``) or that raised a listed transient error
(``retry_exceptions``); the driver writes each result once, as an atomically renamed partition
(:mod:`agora.scale.dataset`), so retries never duplicate rows and a re-run skips finished
configurations without starting Ray.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
from tqdm.auto import tqdm

from agora.engine.records import git_commit, package_versions
from agora.llm.base import BackendError
from agora.scale import dataset
from agora.scale.config import RunConfig
from agora.scale.grid import Grid
from agora.scale.ray_session import ray_session, require_ray
from agora.scale.wire import Wire, from_wire, to_wire
from agora.spec.run_spec import RunSpec

DEFAULT_RETRY_EXCEPTIONS: tuple[type[BaseException], ...] = (BackendError, ConnectionError,
                                                             TimeoutError)
"""Errors worth a retry by default: transient backend or network failures, not config bugs."""
MANIFEST_INTERVAL_S = 1.0


class SweepError(RuntimeError):
    """Some configurations failed after Ray's retries; the others are written.

    Attributes:
        summaries: Summary rows of every configuration (failed ones with ``status="failed"``).
        failures: ``{config_id: error text}`` of the failed configurations.
    """

    def __init__(self, message: str, summaries: pl.DataFrame, failures: dict[str, str]) -> None:
        super().__init__(message)
        self.summaries = summaries
        self.failures = failures


@dataclass(frozen=True, kw_only=True)
class TaskOptions:
    """Ray resources and retry settings of each configuration's task.

    Attributes:
        num_cpus: CPUs reserved per task (the scheduler packs tasks by it).
        num_gpus: GPUs per task (``1`` for one vLLM engine per GPU).
        max_retries: Ray re-runs of a task whose worker died (or that raised a listed error).
        retry_exceptions: ``True`` (any exception), ``False`` or exception classes to retry.
        max_in_flight: Tasks submitted at once (default: twice what the cluster fits).
    """

    num_cpus: float = 1.0
    num_gpus: float = 0.0
    max_retries: int = 3
    retry_exceptions: bool | tuple[type[BaseException], ...] = field(
        default=DEFAULT_RETRY_EXCEPTIONS)
    max_in_flight: int | None = None

    def __post_init__(self) -> None:
        for name in ("num_cpus", "num_gpus"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ValueError(f"{name} must be a number >= 0, got {value!r}")
        if self.num_cpus == 0 and self.num_gpus == 0:
            raise ValueError("num_cpus and num_gpus cannot both be 0 (tasks would not be packed)")
        if isinstance(self.max_retries, bool) or not isinstance(self.max_retries, int) or (
                self.max_retries < -1):
            raise ValueError(f"max_retries must be an integer >= -1 (-1: forever), got "
                             f"{self.max_retries!r}")
        retry = self.retry_exceptions
        if not isinstance(retry, bool):
            retry = tuple(retry)
            if not all(isinstance(t, type) and issubclass(t, BaseException) for t in retry):
                raise ValueError(f"retry_exceptions must be a bool or exception classes, got "
                                 f"{self.retry_exceptions!r}")
            object.__setattr__(self, "retry_exceptions", retry)
        if self.max_in_flight is not None and (not isinstance(self.max_in_flight, int)
                                               or self.max_in_flight < 1):
            raise ValueError(f"max_in_flight must be an integer >= 1, got {self.max_in_flight!r}")

    def ray_options(self) -> dict[str, Any]:
        """Keyword arguments of ``RemoteFunction.options``."""
        retry = self.retry_exceptions
        return {"num_cpus": self.num_cpus, "num_gpus": self.num_gpus,
                "max_retries": self.max_retries,
                "retry_exceptions": retry if isinstance(retry, bool) else list(retry)}

    def describe(self) -> dict[str, Any]:
        """JSON-able view for the manifest."""
        out = asdict(self)
        retry = self.retry_exceptions
        out["retry_exceptions"] = retry if isinstance(retry, bool) else [t.__name__ for t in retry]
        return out


def run_configuration(config: RunConfig) -> tuple[Wire, dict[str, Any]]:
    """Play one configuration (the body of a sweep task): its records and summary."""
    t0 = time.perf_counter()
    result = config.run()
    wall = time.perf_counter() - t0
    r = result.records
    stats = r.select(pl.col("action").fill_nan(None).mean().alias("mean_action"),
                     pl.col("reward").mean().alias("mean_reward")).row(0, named=True)
    return to_wire(r), {"decisions": r.height, **stats, "wall_s": wall,
               "decisions_per_s": r.height / wall if wall > 0 else None,
               "node": socket.gethostname(), "pid": os.getpid(),
               "telemetry": result.telemetry}


def sweep(base_config: RunConfig | RunSpec | Mapping[str, Any] | str | Path,
          grid: Grid | Mapping[str, Any] | str | Path, *, address: str | None = None,
          out: str | Path | None = None, resume: bool = True, progress: bool = True,
          num_cpus: float = 1.0, num_gpus: float = 0.0, max_retries: int = 3,
          retry_exceptions: bool | tuple[type[BaseException], ...] = DEFAULT_RETRY_EXCEPTIONS,
          max_in_flight: int | None = None,
          ray_init: Mapping[str, Any] | None = None) -> pl.DataFrame:
    """Run every configuration of ``grid`` over ``base_config`` on Ray.

    Args:
        base_config: A run spec: ``.toml`` or ``experiment.py`` path, mapping in the TOML
            schema, :class:`~agora.spec.run_spec.RunSpec` or :class:`RunConfig`.
        grid: Axes to sweep: a grid TOML path, ``{"seed": [0, 1], "config.p": [...]}`` or a
            :class:`Grid` (see :mod:`agora.scale.grid`).
        address: Ray cluster to join (``auto``, ``host:6379``, ``ray://host:10001``); ``None``
            uses a session already initialised here, or starts a local one.
        out: Sweep directory (Parquet dataset partitioned by ``config_id`` plus manifest);
            ``None`` keeps only the returned summaries.
        resume: Skip configurations already finished in ``out`` (``False``: refuse a used
            ``out``).
        progress: Show a progress bar over configurations.
        num_cpus, num_gpus, max_retries, retry_exceptions, max_in_flight: See
            :class:`TaskOptions`.
        ray_init: Extra ``ray.init`` arguments when this call starts Ray (``runtime_env``,
            ``num_cpus``, ...).

    Returns:
        One row per configuration in grid order: ``config_id``, one column per axis,
        ``status`` (``ran`` or ``cached``), ``decisions``, ``mean_action``, ``mean_reward``,
        ``wall_s``, ``decisions_per_s``, ``node``, ``pid``.

    Raises:
        RayMissingError: Ray is not installed (``pip install 'agora-sim[ray]'``).
        SweepError: Configurations failed after their retries (the rest are written).
    """
    require_ray("agora.sweep")
    options = TaskOptions(num_cpus=num_cpus, num_gpus=num_gpus, max_retries=max_retries,
                          retry_exceptions=retry_exceptions, max_in_flight=max_in_flight)
    base, axes = RunConfig.coerce(base_config), Grid.coerce(grid)
    points = axes.expand(base)
    ids = [cfg.config_id() for _, cfg in points]
    if len(set(ids)) != len(ids):
        raise ValueError("grid: two points give the same configuration (repeated values?)")
    target = Path(out) if out is not None else None
    state = _SweepState(target, base, axes, points, ids, options, address)
    if target is not None:
        state.open(resume)
    todo = [i for i in range(len(points)) if i not in state.rows]
    bar = tqdm(total=len(points), initial=len(points) - len(todo), unit="config", desc="sweep",
               disable=not progress)
    try:
        if todo:
            with ray_session("agora.sweep", address, ray_init) as ray:
                _drive(ray, state, todo, options, bar)
    finally:
        bar.close()
        state.save(final=True, ending=True)
        if target is not None:
            dataset.clear_staging(target)
    frame = state.frame()
    if state.failures:
        raise SweepError(f"{len(state.failures)} of {len(points)} configurations failed (the "
                         "others are written; fix and re-run to resume): " + "; ".join(
                             f"{k}: {v}" for k, v in state.failures.items()),
                         frame, state.failures)
    return frame


def _drive(ray: Any, state: _SweepState, todo: list[int], options: TaskOptions,
           bar: tqdm) -> None:
    """Submit the unfinished configurations and collect results as they complete."""
    remote, ray_options = ray.remote(run_configuration), options.ray_options()
    cap = options.max_in_flight or _default_in_flight(ray, options)
    queue, pending = deque(todo), {}
    try:
        while queue or pending:
            while queue and len(pending) < cap:
                i = queue.popleft()
                ref = remote.options(**ray_options, name=f"agora-sweep:{state.ids[i]}").remote(
                    state.points[i][1])
                pending[ref] = i
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                i = pending.pop(ref)
                try:
                    wire, summary = ray.get(ref)
                except Exception as exc:  # reported in SweepError once the rest is done
                    state.fail(i, exc)
                else:
                    state.finish(i, from_wire(wire), summary)
                bar.update(1)
                state.save()
    except BaseException:
        for ref in pending:
            ray.cancel(ref, force=True)
        raise


def _default_in_flight(ray: Any, options: TaskOptions) -> int:
    resources = ray.cluster_resources()
    fits = [resources.get(k, 0.0) / need for k, need in
            (("CPU", options.num_cpus), ("GPU", options.num_gpus)) if need > 0]
    return max(1, 2 * int(min(fits)))


class _SweepState:
    """Summary rows, failures and the manifest of one sweep call (driver side only)."""

    def __init__(self, out: Path | None, base: RunConfig, grid: Grid,
                 points: list[tuple[dict[str, Any], RunConfig]], ids: list[str],
                 options: TaskOptions, address: str | None) -> None:
        self.out, self.base, self.grid, self.points, self.ids = out, base, grid, points, ids
        self.options, self.address = options, address
        self.rows: dict[int, dict[str, Any]] = {}
        self.failures: dict[str, str] = {}
        self.created = time.time()
        self._saved = 0.0
        self._versions = {**package_versions(), "ray": _ray_version()}
        self._commit = git_commit()

    def open(self, resume: bool) -> None:
        """Check ``out``, load finished configurations, write the manifest."""
        assert self.out is not None
        if self.out.exists() and not self.out.is_dir():
            raise NotADirectoryError(f"{self.out}: not a directory")
        old = dataset.read_manifest(self.out)
        if old is not None and not resume:
            raise FileExistsError(f"{self.out} already holds a sweep; resume it (the default, "
                                  "--resume) or choose another --out")
        if old is None and self.out.is_dir() and any(self.out.iterdir()):
            raise FileExistsError(f"{self.out} is not empty and holds no sweep; choose another "
                                  "--out")
        if old is not None:
            self.created = old.get("created", self.created)
        dataset.clear_staging(self.out)
        for i, cid in enumerate(self.ids):
            if dataset.is_complete(self.out, cid):
                self.rows[i] = self._row(i, "cached", dataset.read_summary(self.out, cid))
        self.save(final=True)

    def finish(self, i: int, records: pl.DataFrame, summary: dict[str, Any]) -> None:
        """Record one configuration's result; write its partition."""
        if self.out is not None:
            dataset.write_partition(self.out, self.ids[i], records, summary)
        self.rows[i] = self._row(i, "ran", summary)

    def fail(self, i: int, exc: BaseException) -> None:
        """Record a configuration that failed after Ray's retries."""
        cause = getattr(exc, "cause", None) or exc  # RayTaskError wraps the task's own error
        self.failures[self.ids[i]] = f"{type(cause).__name__}: {cause}"
        self.rows[i] = self._row(i, "failed", {})

    def _row(self, i: int, status: str, summary: dict[str, Any]) -> dict[str, Any]:
        point = {k: v if isinstance(v, str | int | float | bool) else json.dumps(v, default=str)
                 for k, v in self.points[i][0].items()}
        keep = ("decisions", "mean_action", "mean_reward", "wall_s", "decisions_per_s",
                "node", "pid")
        return {"config_id": self.ids[i], **point, "status": status,
                **{k: summary.get(k) for k in keep}}

    def frame(self) -> pl.DataFrame:
        """Summary rows in grid order."""
        rows = [self.rows.get(i) or self._row(i, "not run", {}) for i in range(len(self.ids))]
        return pl.DataFrame(rows, infer_schema_length=None, strict=False)

    def save(self, final: bool = False, ending: bool = False) -> None:
        """Rewrite the manifest (at most once per second unless ``final``).

        ``ending``: the sweep call is returning, so unfinished points are ``incomplete``.
        """
        if self.out is None or (not final and time.monotonic() - self._saved
                                < MANIFEST_INTERVAL_S):
            return
        self._saved = time.monotonic()
        statuses = {i: "complete" if row["status"] in ("ran", "cached") else row["status"]
                    for i, row in self.rows.items()}
        done = sum(s == "complete" for s in statuses.values())
        dataset.write_manifest(self.out, {
            "kind": "agora-sweep", "status": "complete" if done == len(self.ids) else (
                "failed" if self.failures else "incomplete" if ending else "running"),
            "created": self.created, "updated": time.time(), "address": self.address,
            "base": self.base.identity(),
            "grid": {name: list(values) for name, values in self.grid.axes},
            "task_options": self.options.describe(),
            "points": [{"config_id": cid, "params": self.points[i][0],
                        "status": statuses.get(i, "pending"),
                        "error": self.failures.get(cid), "config": self.points[i][1].identity()}
                       for i, cid in enumerate(self.ids)],
            "versions": self._versions, "git_commit": self._commit,
        })


def _ray_version() -> str | None:
    from importlib import metadata

    try:
        return metadata.version("ray")
    except metadata.PackageNotFoundError:
        return None
