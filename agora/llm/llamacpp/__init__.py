"""The embedded llama.cpp backend and everything only it uses.

:class:`LlamaCppBackend` (in :mod:`.backend`) drives llama.cpp through :mod:`.engine` (the C
API, model loading, re-quantized copies), :mod:`.sampling` (grammar masks), :mod:`.batch_decode`
(decoding many sequences together), :mod:`.token_tree` / :mod:`.tree_scoring` (shared prompt
prefixes and candidate scoring), :mod:`.fast_forward` (forced answer prefixes),
:mod:`.chat_tokens` (injection-safe chat tokenization) and :mod:`.model_files` (the bundled
GGUF). The backend class loads on first access, so ``agora.llm.llamacpp.model_files`` works
without llama-cpp-python installed.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agora.llm.llamacpp.backend import LlamaCppBackend

__all__ = ["LlamaCppBackend"]


def __getattr__(name: str) -> Any:
    if name != "LlamaCppBackend":
        raise AttributeError(f"module 'agora.llm.llamacpp' has no attribute {name!r}")
    value = importlib.import_module("agora.llm.llamacpp.backend").LlamaCppBackend
    globals()[name] = value
    return value
