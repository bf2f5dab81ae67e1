"""Run-directory integrity: format version, checksums, atomic writes, one-line errors.

A run directory is read as data only (JSON, Parquet, ``.npz`` without pickles). Every file the
runner writes is recorded with its SHA-256: the parts and the checkpoint arrays in
``checkpoint.json``, ``records.parquet`` (and any other final file) in ``manifest.json``, and
each of the two JSON files carries a checksum of its own content. A file that was swapped,
truncated or corrupted is reported as a :class:`CorruptRunError` naming it.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

RUN_FORMAT_VERSION = 2
"""Layout of run directories written by this agora: JSON manifest and checkpoint, Parquet parts
and records, ``.npz`` state arrays, all with SHA-256 checksums. Version 1 (no
``format_version`` in the manifest) kept pickled checkpoints, which are never read."""

MANIFEST_FILE = "manifest.json"
RECORDS_FILE = "records.parquet"
PARTS_DIR = "parts"
PROMPTS_FILE = "prompts.jsonl"
LEGACY_CHECKPOINT_FILE = "checkpoint.pkl"
SELF_CHECKSUM = "content_sha256"
"""Key under which a JSON file of the run directory stores the SHA-256 of the rest of it."""


class CorruptRunError(ValueError):
    """A run directory file is missing, truncated, swapped or altered (message names it)."""


class PartialRunError(ValueError):
    """The run directory holds a run that has not finished (message says how far it got)."""


# ---------------------------------------------------------------------------- hashing
def sha256_bytes(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path, limit: int | None = None) -> str:
    """Hex SHA-256 of a file (of its first ``limit`` bytes if given)."""
    h = hashlib.sha256()
    left = limit
    with path.open("rb") as fh:
        while left is None or left > 0:
            chunk = fh.read(1 << 20 if left is None else min(1 << 20, left))
            if not chunk:
                break
            h.update(chunk)
            if left is not None:
                left -= len(chunk)
    return h.hexdigest()


def verify_file(path: Path, expected: str, recorded_in: str) -> None:
    """Raise :class:`CorruptRunError` unless ``path`` has the SHA-256 ``recorded_in`` lists."""
    if not path.is_file():
        raise CorruptRunError(f"{path} is missing although {recorded_in} lists it; the run "
                              "directory is incomplete")
    if sha256_file(path) != expected:
        raise CorruptRunError(f"{path} does not match its checksum in {recorded_in} (swapped, "
                              "truncated or corrupted)")


# ---------------------------------------------------------------------------- atomic writes
def write_bytes_atomic(path: Path, data: bytes) -> str:
    """Write ``data`` through a temporary file, fsync and rename; returns its SHA-256."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    fsync_replace(tmp, path, sync_dir=False)
    return sha256_bytes(data)


def write_bytes(path: Path, data: bytes) -> str:
    """Write ``data`` in place (no fsync: for files a later checkpoint commits); its SHA-256."""
    path.write_bytes(data)
    return sha256_bytes(data)


def fsync_replace(tmp: Path, path: Path, *, sync_dir: bool = True) -> None:
    """fsync a written temporary file and rename it over ``path`` (then fsync the folder)."""
    with tmp.open("rb+") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    if sync_dir:
        fsync_dir(path.parent)


def fsync_dir(directory: Path) -> None:
    """Make renames in ``directory`` durable (best effort where folders cannot be opened)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# ---------------------------------------------------------------------------- JSON with checksum
def json_default(obj: Any) -> Any:
    """JSON form of numpy scalars and arrays; anything else (paths, ...) as its string."""
    import numpy as np

    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    return str(obj)


def _canonical(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()


def dump_checked_json(payload: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
    """``(content, bytes)``: ``payload`` as plain JSON plus a checksum of itself."""
    plain = json.loads(json.dumps(payload, default=json_default))
    plain.pop(SELF_CHECKSUM, None)
    plain[SELF_CHECKSUM] = sha256_bytes(_canonical(plain))
    return plain, json.dumps(plain, indent=1).encode()


def load_checked_json(path: Path, *, required: bool = True) -> dict[str, Any]:
    """A JSON object written by :func:`dump_checked_json`, its checksum verified.

    ``required=False`` also accepts a file without a checksum (a legacy manifest).
    """
    try:
        payload = json.loads(path.read_bytes())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise CorruptRunError(f"{path} is not readable JSON ({exc}); the file is corrupt or "
                              "truncated") from None
    if not isinstance(payload, dict):
        raise CorruptRunError(f"{path} is not a JSON object; the file is corrupt")
    if SELF_CHECKSUM not in payload and not required:
        return payload
    recorded = payload.pop(SELF_CHECKSUM, None)
    if recorded is None:
        raise CorruptRunError(f"{path} has no checksum; the file was edited or corrupted")
    try:
        actual = sha256_bytes(_canonical(payload))
    except RecursionError:
        raise CorruptRunError(f"{path} is nested too deeply to be an agora file") from None
    if recorded != actual:
        raise CorruptRunError(f"{path} does not match its own checksum (edited or corrupted)")
    return payload


def compact_checked_json(payload: dict[str, Any]) -> bytes:
    """One-line form of :func:`dump_checked_json` for plain-JSON ``payload``: one serialisation.

    ``payload`` must hold only JSON types (str keys), as checkpoint trees do.
    """
    body = _canonical(payload)
    tail = f'"{SELF_CHECKSUM}":"{sha256_bytes(body)}"}}'.encode()
    return body[:-1] + (b"," if payload else b"") + tail


def write_checked_json(path: Path, payload: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """Write ``payload`` with its self-checksum atomically; ``(content, file SHA-256)``."""
    content, data = dump_checked_json(payload)
    return content, write_bytes_atomic(path, data)


# ---------------------------------------------------------------------------- manifests
def read_manifest(directory: Path) -> dict[str, Any]:
    """The verified manifest of a run directory (legacy manifests have no checksum)."""
    path = directory / MANIFEST_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{directory} is not an agora run directory (no {MANIFEST_FILE})")
    raw = load_checked_json(path, required=False)
    version = raw.get("format_version")
    if version is None:  # written before format 2: data only, nothing to verify
        return raw
    if not isinstance(version, int) or isinstance(version, bool) or version > RUN_FORMAT_VERSION:
        raise ValueError(f"{path} has run format {version!r}; this agora reads format "
                         f"{RUN_FORMAT_VERSION} or older: upgrade agora")
    return load_checked_json(path)


def write_manifest(directory: Path, manifest: dict[str, Any],
                   files: tuple[str, ...] = ()) -> tuple[dict[str, Any], str]:
    """Write ``manifest`` with the format version and the SHA-256 of ``files`` (final files).

    Returns the manifest as written (without its self-checksum) and the file's SHA-256.
    """
    checksums = {name: sha256_file(directory / name) for name in files
                 if (directory / name).is_file()}
    payload = {**manifest, "format_version": RUN_FORMAT_VERSION}
    if checksums:
        payload["checksums"] = checksums
    content, sha = write_checked_json(directory / MANIFEST_FILE, payload)
    fsync_dir(directory)
    content.pop(SELF_CHECKSUM, None)
    return content, sha


def verify_final_files(directory: Path, manifest: dict[str, Any]) -> None:
    """Check every file the manifest lists in ``checksums``."""
    checksums = manifest.get("checksums", {})
    if not isinstance(checksums, dict):
        raise CorruptRunError(f"{directory / MANIFEST_FILE} has malformed checksums")
    for name, sha in checksums.items():
        if not isinstance(name, str) or "/" in name or name.startswith("."):
            raise CorruptRunError(f"{directory / MANIFEST_FILE} lists a bad file name {name!r}")
        verify_file(directory / name, sha, MANIFEST_FILE)
