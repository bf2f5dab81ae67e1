"""Per-step checkpoints so an interrupted run resumes where it stopped; never pickled.

A checkpoint is two files: ``checkpoint-<0|1>.npz`` with the numeric arrays of the kernel and
policy states (read with ``allow_pickle=False``) and ``checkpoint.json`` with the rest of the
state as a typed tree (:mod:`agora.engine.state_codec`), the run fingerprint, the SHA-256 of the
``.npz``, of every Parquet part, of the manifest and of the prompt log so far, and a checksum of
itself. The ``.npz`` is written first, under the name the previous checkpoint does not use, and
``checkpoint.json`` is renamed over the previous one last, so a kill at any point leaves one
consistent checkpoint.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from agora.engine.rundir import (
    MANIFEST_FILE,
    PARTS_DIR,
    RUN_FORMAT_VERSION,
    CorruptRunError,
    compact_checked_json,
    load_checked_json,
    sha256_file,
    verify_file,
    write_bytes_atomic,
)
from agora.engine.state_codec import STATE_FORMAT_VERSION, decode_state, encode_state

CHECKPOINT_FILE = "checkpoint.json"
_ARRAYS = re.compile(r"checkpoint-[01]\.npz")


@dataclass(frozen=True, kw_only=True)
class Checkpoint:
    """State after ``completed_steps`` steps: the kernel (with its streams), policy states.

    Decision streams are keyed by step, so no policy generator needs saving. ``parts`` maps
    each part file name to its SHA-256; ``prompts`` is the prompt log's length and checksum.
    """

    fingerprint: str
    completed_steps: int
    kernel_state: dict[str, Any]
    policy_states: list[Any]
    elapsed_s: float
    parts: dict[str, str] = field(default_factory=dict)
    prompts: dict[str, Any] | None = None


def arrays_file(step: int) -> str:
    """Name of the arrays file of the checkpoint after ``step`` completed steps.

    Two names alternate, so writing one never touches the arrays the current
    ``checkpoint.json`` refers to, and no file has to be deleted per step.
    """
    return f"checkpoint-{step % 2}.npz"


def save_checkpoint(directory: Path, checkpoint: Checkpoint, manifest_sha256: str) -> None:
    """Write the checkpoint atomically (a kill mid-write leaves the previous one).

    Only ``checkpoint.json``, the commit point, is fsynced (one fsync per step, as before):
    after a power loss a part or arrays file that did not reach the disk fails its checksum
    and is named on resume instead of being read.
    """
    tree, arrays = encode_state({"kernel": checkpoint.kernel_state,
                                 "policies": checkpoint.policy_states})
    name = arrays_file(checkpoint.completed_steps)
    with (directory / name).open("wb") as fh:  # the slot the current checkpoint does not use
        np.savez(fh, **arrays)
    arrays_sha = sha256_file(directory / name)
    write_bytes_atomic(directory / CHECKPOINT_FILE, compact_checked_json({
        "format_version": RUN_FORMAT_VERSION, "state_format": STATE_FORMAT_VERSION,
        "fingerprint": checkpoint.fingerprint, "completed_steps": checkpoint.completed_steps,
        "elapsed_s": checkpoint.elapsed_s, "state": tree,
        "arrays": {"file": name, "sha256": arrays_sha}, "parts": checkpoint.parts,
        "manifest_sha256": manifest_sha256, "prompts": checkpoint.prompts}))


def _field(raw: dict[str, Any], key: str, kind: type | tuple[type, ...], path: Path) -> Any:
    value = raw.get(key)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise CorruptRunError(f"{path} has a malformed {key!r}")
    return value


def load_checkpoint(directory: Path, *, verify_parts: bool = True) -> Checkpoint | None:
    """The run's last checkpoint, verified, or ``None`` when there is none.

    Checks the checkpoint's own checksum and format, the arrays file, the manifest and (with
    ``verify_parts``) every Parquet part it lists against their recorded SHA-256; raises
    :class:`~agora.engine.rundir.CorruptRunError` naming the first file that does not match.
    """
    path = directory / CHECKPOINT_FILE
    if not path.is_file():
        return None
    raw = load_checked_json(path)
    if raw.get("format_version") != RUN_FORMAT_VERSION or \
            raw.get("state_format") != STATE_FORMAT_VERSION:
        raise CorruptRunError(f"{path} has format {raw.get('format_version')!r}/"
                              f"{raw.get('state_format')!r}; this agora writes "
                              f"{RUN_FORMAT_VERSION}/{STATE_FORMAT_VERSION}")
    steps = _field(raw, "completed_steps", int, path)
    parts = _field(raw, "parts", dict, path)
    arrays_meta = _field(raw, "arrays", dict, path)
    name = arrays_meta.get("file")
    if not isinstance(name, str) or not _ARRAYS.fullmatch(name):
        raise CorruptRunError(f"{path} names a bad arrays file {name!r}")
    if sorted(parts) != [f"step-{s:06d}.parquet" for s in range(steps)]:
        raise CorruptRunError(f"{path} does not list the parts of its {steps} steps")
    verify_file(directory / MANIFEST_FILE, raw.get("manifest_sha256", ""),
                CHECKPOINT_FILE)
    arrays = _read_arrays(directory / name, arrays_meta.get("sha256", ""))
    if verify_parts:
        for part, sha in parts.items():
            verify_file(directory / PARTS_DIR / part, sha, CHECKPOINT_FILE)
    try:
        state = decode_state(raw.get("state"), arrays)
    except (ValueError, RecursionError) as exc:
        raise CorruptRunError(f"{path}: {exc}") from None
    if not (isinstance(state, dict) and isinstance(state.get("kernel"), dict)
            and isinstance(state.get("policies"), list)):
        raise CorruptRunError(f"{path} does not hold a kernel and policy states")
    prompts = raw.get("prompts")
    if prompts is not None and not isinstance(prompts, dict):
        raise CorruptRunError(f"{path} has a malformed 'prompts'")
    return Checkpoint(fingerprint=str(raw.get("fingerprint")), completed_steps=steps,
                      kernel_state=state["kernel"], policy_states=state["policies"],
                      elapsed_s=float(_field(raw, "elapsed_s", (int, float), path)),
                      parts=dict(parts), prompts=prompts)


def _read_arrays(path: Path, expected: str) -> dict[str, np.ndarray]:
    verify_file(path, expected, CHECKPOINT_FILE)
    try:
        with np.load(path, allow_pickle=False) as npz:
            return {k: npz[k] for k in npz.files}
    except (ValueError, OSError, zipfile.BadZipFile) as exc:
        raise CorruptRunError(f"{path} is not a valid arrays file ({exc})") from None


def completed_steps_hint(directory: Path) -> int | None:
    """Steps the checkpoint of a run directory records (unverified; ``None`` if unreadable)."""
    try:
        raw = load_checked_json(directory / CHECKPOINT_FILE)
    except (CorruptRunError, OSError):
        return None
    steps = raw.get("completed_steps")
    return steps if isinstance(steps, int) else None


def checkpoint_files(directory: Path) -> list[Path]:
    """Every checkpoint file in ``directory`` (JSON, arrays and temporary files)."""
    names = [CHECKPOINT_FILE, CHECKPOINT_FILE + ".tmp"]
    found = [directory / n for n in names if (directory / n).exists()]
    return found + sorted(directory.glob("checkpoint-*.npz*"))

