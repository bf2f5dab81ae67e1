"""Per-step checkpoints so an interrupted run resumes where it stopped."""

from __future__ import annotations

import os
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CHECKPOINT_FILE = "checkpoint.pkl"


@dataclass(frozen=True, kw_only=True)
class Checkpoint:
    """State after ``completed_steps`` steps: the kernel (with its streams), policy states.

    Decision streams are keyed by step, so no policy generator needs saving.
    """

    fingerprint: str
    completed_steps: int
    kernel_state: dict[str, Any]
    policy_states: list[dict[str, Any] | None]
    elapsed_s: float


def save_checkpoint(directory: Path, checkpoint: Checkpoint) -> None:
    """Write the checkpoint atomically (a kill mid-write leaves the previous one)."""
    path = directory / CHECKPOINT_FILE
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as fh:
        pickle.dump(checkpoint, fh, protocol=pickle.HIGHEST_PROTOCOL)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def load_checkpoint(directory: Path) -> Checkpoint | None:
    """The run's last checkpoint, or ``None`` when there is none.

    Only agora's own run directories are read; the file is a pickle written by this module.
    """
    path = directory / CHECKPOINT_FILE
    if not path.is_file():
        return None
    with path.open("rb") as fh:
        obj = pickle.load(fh)
    if not isinstance(obj, Checkpoint):
        raise ValueError(f"{path} is not an agora checkpoint")
    return obj
