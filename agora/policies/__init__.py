"""Policies: scripted reference players and the LLM policy, behind one ``act`` interface."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agora.policies.base import Policy
from agora.policies.negotiators import (
    AlwaysAcceptPolicy,
    AlwaysRejectPolicy,
    BoulwarePolicy,
    ConcederPolicy,
    TimeDependentPolicy,
    TitForTatPolicy,
)
from agora.policies.registry import make_policy
from agora.policies.scripted import (
    CognitiveHierarchyPolicy,
    EquilibriumPolicy,
    FixedPolicy,
    LevelKPolicy,
    QuantalResponsePolicy,
    RandomPolicy,
)

if TYPE_CHECKING:
    from agora.policies.llm_policy import LLMPolicy

__all__ = [
    "AlwaysAcceptPolicy", "AlwaysRejectPolicy", "BoulwarePolicy", "CognitiveHierarchyPolicy",
    "ConcederPolicy", "EquilibriumPolicy", "FixedPolicy", "LLMPolicy", "LevelKPolicy", "Policy",
    "QuantalResponsePolicy", "RandomPolicy", "TimeDependentPolicy", "TitForTatPolicy",
    "make_policy",
]


def __getattr__(name: str) -> Any:
    if name == "LLMPolicy":
        from agora.policies.llm_policy import LLMPolicy

        return LLMPolicy
    raise AttributeError(name)
