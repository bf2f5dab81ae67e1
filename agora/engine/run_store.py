"""The runner's side of a run directory: start, resume, per-step checkpoints, finish.

Layout of a run directory (format :data:`~agora.engine.rundir.RUN_FORMAT_VERSION`)::

    manifest.json           what the run is (fingerprint, config, policies, versions), status,
                            format version; when complete the SHA-256 of the final files
    records.parquet         the records (complete runs; written to a temp file, fsynced, renamed)
    prompts.jsonl           each distinct prompt an agent saw, once: {"sha", "prompt"} per line
    parts/step-*.parquet    while running: the records of each completed step
    checkpoint.json         while running: kernel and policy state, SHA-256 of parts, arrays,
                            manifest and prompt log
    checkpoint-<0|1>.npz    while running: the numeric arrays of that state (two names alternate)

Nothing is unpickled or executed: JSON, Parquet and ``.npz`` with ``allow_pickle=False``.
"""

from __future__ import annotations

import io
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import polars as pl

from agora.engine.checkpoint import (
    CHECKPOINT_FILE,
    Checkpoint,
    checkpoint_files,
    load_checkpoint,
    save_checkpoint,
)
from agora.engine.kernel import GameKernel
from agora.engine.prompt_log import PromptLog
from agora.engine.records import RunResult, finish_run_dir, load_run
from agora.engine.rundir import (
    LEGACY_CHECKPOINT_FILE,
    MANIFEST_FILE,
    PARTS_DIR,
    PROMPTS_FILE,
    RECORDS_FILE,
    CorruptRunError,
    read_manifest,
    sha256_bytes,
    sha256_file,
    write_bytes,
    write_manifest,
)


class RunStore:
    """One run directory as the runner writes it.

    Args:
        out: The directory (created if missing).
        fingerprint: Identity of the run; a directory holding another is refused.
        resume: Continue (or return) the run the directory holds instead of refusing it.
    """

    def __init__(self, out: Path, fingerprint: str, resume: bool) -> None:
        self.out, self.fingerprint, self.resume = out, fingerprint, resume
        self.parts: dict[str, str] = {}  # part file name -> SHA-256
        self.prompts = PromptLog(out)
        self._manifest_sha = ""

    def part(self, step: int) -> Path:
        """Path of the part holding step ``step``."""
        return self.out / PARTS_DIR / f"step-{step:06d}.parquet"

    # ------------------------------------------------------------------ start
    def prepare(self, running_manifest: Callable[[], dict[str, Any]]) -> RunResult | None:
        """Check the directory; a finished run's result, or ``None`` to start or resume it."""
        out = self.out
        if out.exists() and not out.is_dir():
            raise NotADirectoryError(f"--out {out} is a file, not a directory")
        if (out / LEGACY_CHECKPOINT_FILE).exists():
            raise ValueError(f"{out} holds {LEGACY_CHECKPOINT_FILE}, a pickled checkpoint of an "
                             "older agora that is never loaded (it could run code); delete it "
                             "or choose another --out")
        manifest_path = out / MANIFEST_FILE
        if manifest_path.exists():
            old = read_manifest(out)
            if old.get("fingerprint") != self.fingerprint:
                raise ValueError(f"{out} holds a different run (config, seed or policies "
                                 "differ); choose another --out directory")
            if not self.resume:
                raise FileExistsError(f"{out} already holds this run; pass --resume to "
                                      "continue or finish it, or choose another --out")
            if old.get("status") == "complete":
                return load_run(out)
            if old.get("format_version") is None:
                raise ValueError(f"{out} holds an unfinished run of an older agora, whose "
                                 "checkpoints are not read; start it again in another --out")
            self._manifest_sha = sha256_file(manifest_path)
            return None
        leftovers = [p.name for p in (out / CHECKPOINT_FILE, out / PARTS_DIR,
                                      out / PROMPTS_FILE, out / RECORDS_FILE) if p.exists()]
        if leftovers:
            raise CorruptRunError(f"{out} holds {', '.join(leftovers)} but no {MANIFEST_FILE}: "
                                  "not an intact run directory; choose another --out")
        out.mkdir(parents=True, exist_ok=True)
        _, self._manifest_sha = write_manifest(out, running_manifest())
        (out / PARTS_DIR).mkdir(exist_ok=True)
        return None

    # ------------------------------------------------------------------ resume
    def restore(self, kernel: GameKernel, policies: Sequence[Any],
                names: Sequence[str]) -> tuple[int, float, list[pl.DataFrame]]:
        """Load the last checkpoint into ``kernel`` and ``policies``.

        Returns ``(completed steps, elapsed seconds, part frames)``. Every file is checked
        against the checksums the checkpoint recorded (one :class:`CorruptRunError` naming the
        first that differs); parts after the checkpoint are dropped and the prompt log is cut
        back to its checkpointed length.
        """
        out = self.out
        ckpt = load_checkpoint(out, verify_parts=False)
        (out / PARTS_DIR).mkdir(exist_ok=True)
        frames: list[pl.DataFrame] = []
        if ckpt is not None:
            if ckpt.fingerprint != self.fingerprint:
                raise CorruptRunError(f"{out / CHECKPOINT_FILE} belongs to a different run "
                                      f"than {out / MANIFEST_FILE}")
            for s in range(ckpt.completed_steps):
                path = self.part(s)
                if not path.is_file():
                    raise CorruptRunError(f"{path} is missing; the run directory is incomplete")
                data = path.read_bytes()
                if sha256_bytes(data) != ckpt.parts[path.name]:
                    raise CorruptRunError(f"{path} does not match its checksum in "
                                          f"{CHECKPOINT_FILE} (swapped, truncated or corrupted)")
                frames.append(pl.read_parquet(io.BytesIO(data)))
            _restore_states(out / CHECKPOINT_FILE, ckpt, kernel, policies, names)
            self.parts = dict(ckpt.parts)
        for stale in (out / PARTS_DIR).glob("step-*.parquet*"):
            if stale.name not in self.parts:
                stale.unlink()
        self.prompts.restore(None if ckpt is None else ckpt.prompts)
        if ckpt is None:
            return 0, 0.0, frames
        return ckpt.completed_steps, ckpt.elapsed_s, frames

    # ------------------------------------------------------------------ each step
    def persist(self, completed: int, frame: pl.DataFrame, prompts: dict[str, str],
                kernel_state: dict[str, Any], policy_states: list[Any],
                elapsed: float) -> None:
        """Write step ``completed - 1``: its part, its new prompts, then the checkpoint."""
        buf = io.BytesIO()
        frame.write_parquet(buf)
        part = self.part(completed - 1)
        # a part after the last checkpoint is dropped on resume: no temp file or fsync needed
        self.parts[part.name] = write_bytes(part, buf.getvalue())
        if prompts:
            self.prompts.append(prompts)
        save_checkpoint(self.out, Checkpoint(
            fingerprint=self.fingerprint, completed_steps=completed, kernel_state=kernel_state,
            policy_states=policy_states, elapsed_s=elapsed, parts=self.parts,
            prompts=self.prompts.state()), self._manifest_sha)

    # ------------------------------------------------------------------ finish
    def finish(self, records: pl.DataFrame, manifest: dict[str, Any]) -> dict[str, Any]:
        """Write records and the complete manifest, then drop parts and checkpoints."""
        written = finish_run_dir(self.out, records, manifest)
        shutil.rmtree(self.out / PARTS_DIR, ignore_errors=True)
        for leftover in checkpoint_files(self.out):
            leftover.unlink(missing_ok=True)
        return written


def _restore_states(where: Path, ckpt: Checkpoint, kernel: GameKernel,
                    policies: Sequence[Any], names: Sequence[str]) -> None:
    try:
        kernel.load_state_dict(ckpt.kernel_state)
    except ValueError as exc:
        raise CorruptRunError(f"{where}: {exc}") from None
    if len(ckpt.policy_states) != len(policies):
        raise CorruptRunError(f"{where} holds {len(ckpt.policy_states)} policy states for "
                              f"{len(policies)} policies")
    for name, p, state in zip(names, policies, ckpt.policy_states, strict=True):
        if state is None:
            continue
        loader = getattr(p, "load_state_dict", None)
        if not callable(loader):
            raise CorruptRunError(f"{where} holds a state for policy {name!r}, which has none")
        try:
            loader(state)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise CorruptRunError(f"{where}: state of policy {name!r} does not fit it "
                                  f"({exc})") from None
