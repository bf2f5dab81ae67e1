"""Policies: scripted reference players and the LLM policy, behind one ``act`` interface.

Games' own scripted players live in their game folder (e.g. ``games.tax_planner.players``) and
become policy kinds through :mod:`agora.policies.registry`; :class:`ByRolePolicy` (from
:mod:`agora.engine.by_role`) seats one policy per role."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agora.engine.by_role import ByRolePolicy
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
    "AlwaysAcceptPolicy", "AlwaysRejectPolicy", "BoulwarePolicy", "ByRolePolicy",
    "CognitiveHierarchyPolicy",
    "ConcederPolicy", "EquilibriumPolicy", "FixedPolicy", "LLMPolicy", "LevelKPolicy", "Policy",
    "QuantalResponsePolicy", "RandomPolicy", "TimeDependentPolicy", "TitForTatPolicy",
    "make_policy",
]


def __getattr__(name: str) -> Any:
    if name == "LLMPolicy":
        from agora.policies.llm_policy import LLMPolicy

        return LLMPolicy
    raise AttributeError(name)
