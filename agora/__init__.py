"""agora: economic and strategic games played by populations of LLM agents."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agora.engine.registry import list_games, make, register
from agora.engine.rundir import CorruptRunError, PartialRunError
from agora.engine.runner import Personas, Runner
from agora.results import RunResult, load_run
from agora.run_api import run

if TYPE_CHECKING:
    from agora.scale.sweep import sweep

__version__ = "0.1.0"

__all__ = ["CorruptRunError", "PartialRunError", "Personas", "RunResult", "Runner", "__version__",
           "list_games", "load_run", "make", "register", "run", "sweep"]


def __getattr__(name: str) -> Any:
    if name == "sweep":  # lazily: agora.scale needs the optional Ray only when a sweep runs
        from agora.scale.sweep import sweep

        return sweep
    raise AttributeError(f"module 'agora' has no attribute {name!r}")
