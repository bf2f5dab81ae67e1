"""``prompts.jsonl``: every distinct prompt an agent saw in a run, stored once by its hash.

Policies that render prompts (LLM policies) may offer ``drain_prompts() -> dict[str, str]``
(hash -> prompt text of the prompts built since the last call). After every step the runner
drains them and appends the new ones, one JSON object ``{"sha": ..., "prompt": ...}`` per line,
before that step's checkpoint. The file is append-only: each checkpoint records its byte length
and the SHA-256 of those bytes, and a resume truncates it back to that length (dropping the lines
of a step that was not checkpointed), so no prompt is lost or written twice.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from agora.engine.rundir import PROMPTS_FILE, CorruptRunError


def drain_policy_prompts(policies: Iterable[Any]) -> dict[str, str]:
    """New ``sha -> prompt`` entries of every policy that has ``drain_prompts``."""
    out: dict[str, str] = {}
    for policy in policies:
        drain = getattr(policy, "drain_prompts", None)
        if not callable(drain):
            continue
        entries = drain()
        if not isinstance(entries, Mapping):
            raise TypeError(f"policy {getattr(policy, 'name', policy)!r}: drain_prompts() must "
                            f"return a dict of hash -> prompt text, got {type(entries).__name__}")
        for sha, text in entries.items():
            if not (isinstance(sha, str) and isinstance(text, str)):
                raise TypeError(f"policy {getattr(policy, 'name', policy)!r}: drain_prompts() "
                                "must map str hashes to str prompts")
            out.setdefault(sha, text)
    return out


class PromptLog:
    """The append-only prompt file of one run directory (created at its first prompt)."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / PROMPTS_FILE
        self.seen: set[str] = set()
        self.size = 0
        self._hash = hashlib.sha256()

    def state(self) -> dict[str, Any]:
        """What a checkpoint records: byte length and SHA-256 of the file so far."""
        return {"bytes": self.size, "sha256": self._hash.hexdigest()}

    def restore(self, state: dict[str, Any] | None) -> None:
        """Truncate the file to a checkpoint's length after checking what it keeps.

        ``None`` (no checkpoint yet) empties it.
        """
        size = 0 if state is None else state.get("bytes")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise CorruptRunError(f"checkpoint in {self.path.parent} has a malformed prompt "
                                  "log length")
        if not self.path.exists():
            if size:
                raise CorruptRunError(f"{self.path} is missing; the checkpoint recorded "
                                      f"{size} bytes of prompts")
            return
        if self.path.stat().st_size < size:
            raise CorruptRunError(f"{self.path} is shorter than the {size} bytes its checkpoint "
                                  "recorded (truncated)")
        with self.path.open("rb+") as fh:
            kept = fh.read(size)
            h = hashlib.sha256(kept)
            if state is not None and h.hexdigest() != state.get("sha256"):
                raise CorruptRunError(f"{self.path} does not match the checksum its checkpoint "
                                      "recorded (edited or corrupted)")
            fh.truncate(size)
        seen = set()
        for n, line in enumerate(kept.splitlines(), 1):
            try:
                seen.add(json.loads(line)["sha"])
            except (ValueError, KeyError, TypeError):
                raise CorruptRunError(f"{self.path} line {n} is not a prompt record") from None
        self.seen, self.size, self._hash = seen, size, h

    def append(self, entries: Mapping[str, str]) -> int:
        """Append the entries not logged yet (flushed and fsynced); returns how many."""
        lines = []
        for sha, text in entries.items():
            if sha not in self.seen:
                self.seen.add(sha)
                lines.append(json.dumps({"sha": sha, "prompt": text}, ensure_ascii=False) + "\n")
        if not lines:
            return 0
        data = "".join(lines).encode()
        with self.path.open("ab") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        self.size += len(data)
        self._hash.update(data)
        return len(lines)
