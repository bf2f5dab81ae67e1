"""Decision records: tidy polars tables, Parquet parts per step, manifests."""

from __future__ import annotations

import functools
import json
import platform
import subprocess
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from agora.engine.checkpoint import completed_steps_hint
from agora.engine.rundir import (
    MANIFEST_FILE,
    PARTS_DIR,
    PROMPTS_FILE,
    RECORDS_FILE,
    RUN_FORMAT_VERSION,
    CorruptRunError,
    PartialRunError,
    fsync_replace,
    json_default,
    read_manifest,
    verify_final_files,
    write_manifest,
)

if TYPE_CHECKING:
    from agora.engine.batch import DecisionBatch

__all__ = ["MANIFEST_FILE", "PARTS_DIR", "PROMPTS_FILE", "RECORDS_FILE", "RUN_FORMAT_VERSION",
           "CodeBook", "CorruptRunError", "PartialRunError", "RunResult", "finish_run_dir",
           "git_commit", "load_run", "order_columns", "package_versions", "step_frame",
           "structured_columns", "write_json_atomic", "write_parquet_atomic"]


KEY_PACKAGES = ("agora-sim", "numpy", "polars", "pettingzoo", "gymnasium", "mesa", "networkx",
                "scipy")
"""Packages every manifest records; LLM backends add theirs (:data:`BACKENDS_GROUP`)."""
BACKENDS_GROUP = "agora.backends"
"""Entry-point group of LLM backends (see ``agora.llm.registry``): each entry's ``packages``
are recorded too, so the engine names no backend."""


@dataclass(frozen=True, kw_only=True)
class CodeBook:
    """Integer codes used in per-step parts, decoded to strings in the final table."""

    agents: tuple[str, ...]
    roles: tuple[str, ...]
    policies: tuple[str, ...]

    def decode(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Replace the ``*_code`` columns by readable categorical columns."""
        out = frame.with_columns(
            pl.col("agent_code").replace_strict(dict(enumerate(self.agents)),
                                                return_dtype=pl.Enum(self.agents)).alias("agent"),
            pl.col("role_code").replace_strict(dict(enumerate(self.roles)),
                                               return_dtype=pl.Enum(self.roles)).alias("role"),
            pl.col("policy_code").replace_strict(
                dict(enumerate(self.policies)),
                return_dtype=pl.Enum(list(dict.fromkeys(self.policies)))).alias("policy"),
        ).drop("agent_code", "role_code", "policy_code")
        return out


BASE_ORDER = ("run_id", "game", "instance", "round", "step", "agent", "role", "policy",
              "persona_id", "action", "reward")


def order_columns(frame: pl.DataFrame) -> pl.DataFrame:
    """Base columns first (in the documented order), game and policy columns after by name.

    Sorting the rest by name makes the layout independent of which policies happened to act
    first, so any block of a run's instances has the column order of the whole run.
    """
    rest = sorted(c for c in frame.columns if c not in BASE_ORDER)
    return frame.select([c for c in BASE_ORDER if c in frame.columns] + rest)


def step_frame(*, step: int, instances: np.ndarray, players: np.ndarray, rounds: np.ndarray,
               roles: np.ndarray, policy_codes: np.ndarray, persona_ids: np.ndarray,
               actions: np.ndarray, rewards: np.ndarray,
               columns: dict[str, Any]) -> pl.DataFrame:
    """One step's decisions as a frame with integer codes (cheap to build and store)."""
    n = instances.size
    data: dict[str, Any] = {
        "instance": instances.astype(np.int32),
        "round": rounds.astype(np.int32),
        "step": np.full(n, step, dtype=np.int32),
        "agent_code": players.astype(np.int32),
        "role_code": roles.astype(np.int32),
        "policy_code": policy_codes.astype(np.int32),
        "persona_id": pl.Series(persona_ids.astype(np.int64)).replace(-1, None),
        "action": actions.astype(np.float64),
        "reward": np.asarray(rewards, dtype=np.float64),
    }
    data.update(columns)
    return pl.DataFrame(data)


def structured_columns(batch: DecisionBatch,
                       actions: np.ndarray) -> tuple[np.ndarray, dict[str, Any]]:
    """Records of structured (dict) actions: the numeric ``action`` plus JSON and message.

    Returns the float ``action`` column (each spec's ``numeric`` view, NaN where none) and the
    ``action_json`` (canonical JSON text of the action) and ``message`` columns.
    """
    n = actions.size
    numeric = np.full(n, np.nan)
    texts: list[str | None] = [None] * n
    messages: list[str | None] = [None] * n
    codes = batch.codes
    for i in range(n):
        a = actions[i]
        spec = batch.spec_of_code(int(codes[i]))
        if getattr(spec, "is_structured", False):
            numeric[i] = spec.numeric(a)
            messages[i] = spec.message(a) if spec.has_message else None
            texts[i] = json.dumps(a, sort_keys=True)
        else:
            numeric[i] = float(a)
    return numeric, {"action_json": pl.Series("action_json", texts, dtype=pl.String),
                     "message": pl.Series("message", messages, dtype=pl.String)}


def package_versions() -> dict[str, str | None]:
    """Installed versions of agora and the packages that shape results."""
    return dict(_package_versions())


@functools.cache
def _package_versions() -> dict[str, str | None]:
    # Read once per process: importlib.metadata scans site-packages (~50 ms).
    out: dict[str, str | None] = {"python": platform.python_version()}
    for name in dict.fromkeys((*KEY_PACKAGES, *_backend_packages())):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def _backend_packages() -> list[str]:
    """Distributions the registered LLM backends declare (their entry points' ``packages``)."""
    names: list[str] = []
    for ep in sorted(metadata.entry_points(group=BACKENDS_GROUP), key=lambda e: e.name):
        try:
            packages = getattr(ep.load(), "packages", ())
        except Exception:  # a broken backend plugin must not stop a run; its registry warns
            continue
        names += [p for p in packages if isinstance(p, str)]
    return names


def git_commit(path: Path | None = None) -> str | None:
    """Commit of the source tree agora runs from, if it is a git checkout."""
    return _git_commit(path or Path(__file__).resolve().parent)


@functools.cache
def _git_commit(here: Path) -> str | None:
    # One subprocess per process and tree, not per run.
    try:
        res = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True,
                             text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return res.stdout.strip() or None if res.returncode == 0 else None


def write_json_atomic(path: Path, payload: dict[str, Any]) -> None:
    """Write JSON through a temporary file, fsync and rename: readers never see half a file."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(payload, indent=2, default=json_default))
    fsync_replace(tmp, path)


def write_parquet_atomic(frame: pl.DataFrame, path: Path) -> None:
    """Write a Parquet file through a temporary file, fsync and rename."""
    tmp = path.with_name(path.name + ".tmp")
    frame.write_parquet(tmp)
    fsync_replace(tmp, path)


def finish_run_dir(directory: Path, records: pl.DataFrame, manifest: dict[str, Any],
                   extra: dict[str, pl.DataFrame] | None = None) -> dict[str, Any]:
    """Write a finished run: ``records.parquet`` (and ``extra`` tables) then its manifest.

    Each table goes through a temporary file, fsync and rename; the manifest, written last,
    records the run format version and the SHA-256 of every final file (also
    ``prompts.jsonl`` when there is one). Returns the manifest as written.
    """
    write_parquet_atomic(records, directory / RECORDS_FILE)
    for name, frame in (extra or {}).items():
        write_parquet_atomic(frame, directory / name)
    content, _ = write_manifest(directory, manifest,
                                files=(RECORDS_FILE, *(extra or {}), PROMPTS_FILE))
    return content


@dataclass(frozen=True, kw_only=True)
class RunResult:
    """A finished run: the records table, its manifest and where it lives.

    Plain data. ``agora.run`` and ``agora.load_run`` return the subclass
    :class:`agora.results.RunResult`, which adds the notebook display and ``report()`` above the
    engine (the engine imports no analysis module).
    """

    records: pl.DataFrame
    manifest: dict[str, Any]
    out: Path | None = None
    telemetry: dict[str, Any] = field(default_factory=dict)


def load_run(directory: str | Path) -> RunResult:
    """Read a finished run directory, checking its manifest and files against their checksums.

    Raises ``FileNotFoundError`` for a folder that is no run directory,
    :class:`~agora.engine.rundir.PartialRunError` for a run that has not finished and
    :class:`~agora.engine.rundir.CorruptRunError` naming a file that does not match its
    checksum. Only JSON and Parquet are read.
    """
    d = Path(directory)
    if not (d / MANIFEST_FILE).exists() and (d / "round-0000").is_dir():
        rounds = len(list(d.glob("round-*")))
        raise PartialRunError(f"{d} holds a partial population run ({rounds} rounds started); "
                              "finish it with `resume=True`")
    manifest = read_manifest(d)
    status = manifest.get("status", "unknown")
    if status != "complete":
        steps = completed_steps_hint(d)
        done = "no step checkpointed yet" if steps is None else f"{steps} steps completed"
        raise PartialRunError(f"{d} holds a partial run (status: {status}, {done}); finish it "
                              "with `agora run ... --resume`")
    records_path = d / RECORDS_FILE
    if not records_path.is_file():
        raise CorruptRunError(f"{records_path} is missing although {MANIFEST_FILE} says the run "
                              "is complete")
    verify_final_files(d, manifest)
    try:
        records = pl.read_parquet(records_path)
    except Exception as exc:  # polars raises several types for a damaged file
        raise CorruptRunError(f"{records_path} is not a readable Parquet file ({exc})") from None
    return RunResult(records=records, manifest=manifest, out=d,
                     telemetry=manifest.get("telemetry", {}))
