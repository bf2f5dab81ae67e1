"""LLM backends: embedded llama.cpp (default), in-process vLLM, any OpenAI-compatible server.

Which backends exist is :mod:`agora.llm.registry`'s business (agora's own plus those other
packages register through the ``agora.backends`` entry points). Backend classes are imported
lazily, so ``import agora.llm`` never imports llama.cpp, vLLM or
httpx; ``agora.llm.LlamaCppBackend`` and friends load their module on first access.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from agora.llm.base import Backend, BackendError, BackendUnavailableError
from agora.llm.registry import (
    BACKENDS,
    DEFAULT_BACKEND,
    BackendSpec,
    backend_names,
    default_backend,
    make_backend,
)
from agora.llm.telemetry import TelemetrySnapshot
from agora.llm.types import (
    Completion,
    Constraint,
    GenerationRequest,
    SamplingParams,
    TokenLogprob,
)

if TYPE_CHECKING:
    from agora.llm.llamacpp import LlamaCppBackend
    from agora.llm.openai_backend import OpenAIBackend
    from agora.llm.vllm_backend import VLLMBackend

_LAZY = {
    "LlamaCppBackend": "agora.llm.llamacpp",
    "OpenAIBackend": "agora.llm.openai_backend",
    "VLLMBackend": "agora.llm.vllm_backend",
}

__all__ = [
    "BACKENDS",
    "DEFAULT_BACKEND",
    "Backend",
    "BackendError",
    "BackendSpec",
    "BackendUnavailableError",
    "Completion",
    "Constraint",
    "GenerationRequest",
    "LlamaCppBackend",
    "OpenAIBackend",
    "SamplingParams",
    "TelemetrySnapshot",
    "TokenLogprob",
    "VLLMBackend",
    "backend_names",
    "default_backend",
    "make_backend",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'agora.llm' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
