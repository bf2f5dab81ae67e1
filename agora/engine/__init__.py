"""Game engine: action specs, vectorised kernels, PettingZoo views, registry, runner."""

from __future__ import annotations

from agora.engine.action_spec import ActionSpec, InvalidActionError
from agora.engine.batch import DecisionBatch, DecisionRequest, Decisions
from agora.engine.env import AgoraParallelEnv
from agora.engine.kernel import GameConfig, GameKernel, StepOutcome
from agora.engine.registry import list_games, make, make_config, make_kernel, register
from agora.engine.streams import Streams
from agora.engine.structured import (
    AllocationSpec,
    ChoiceSpec,
    OfferSpec,
    StructuredSpec,
    clean_message,
    quote_message,
)

__all__ = [
    "ActionSpec", "AgoraParallelEnv", "AllocationSpec", "ChoiceSpec", "DecisionBatch",
    "DecisionRequest", "Decisions",
    "GameConfig", "GameKernel", "InvalidActionError", "OfferSpec", "StepOutcome", "Streams",
    "StructuredSpec", "clean_message", "list_games", "make", "make_config", "make_kernel",
    "quote_message", "register",
]
