"""Policy kinds by name, for config files and the CLI."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agora.policies.base import Policy
from agora.policies.negotiators import (
    AlwaysAcceptPolicy,
    AlwaysRejectPolicy,
    BoulwarePolicy,
    ConcederPolicy,
    TimeDependentPolicy,
    TitForTatPolicy,
)
from agora.policies.scripted import (
    CognitiveHierarchyPolicy,
    EquilibriumPolicy,
    FixedPolicy,
    LevelKPolicy,
    QuantalResponsePolicy,
    RandomPolicy,
)
from agora.policies.tax import (
    BestResponseWorker,
    FlatPlanner,
    NoisyWorker,
    QuantalWorker,
    SaezPlanner,
    SchedulePlanner,
    StackelbergPlanner,
    USPlanner,
    by_role,
    llm_planner,
    llm_worker,
)


def _llm(**params: Any) -> Policy:
    from agora.policies.llm_policy import LLMPolicy  # heavy imports only when asked for

    return LLMPolicy.from_config(**params)


POLICY_KINDS: dict[str, Callable[..., Policy]] = {
    "random": RandomPolicy,
    "equilibrium": EquilibriumPolicy,
    "level_k": LevelKPolicy,
    "cognitive_hierarchy": CognitiveHierarchyPolicy,
    "quantal_response": QuantalResponsePolicy,
    "fixed": FixedPolicy,
    "time_dependent": TimeDependentPolicy,
    "boulware": BoulwarePolicy,
    "conceder": ConcederPolicy,
    "tit_for_tat": TitForTatPolicy,
    "always_accept": AlwaysAcceptPolicy,
    "always_reject": AlwaysRejectPolicy,
    "tax_best_response": BestResponseWorker,
    "tax_quantal": QuantalWorker,
    "tax_noisy": NoisyWorker,
    "tax_schedule": SchedulePlanner,
    "tax_us": USPlanner,
    "tax_flat": FlatPlanner,
    "tax_saez": SaezPlanner,
    "tax_stackelberg": StackelbergPlanner,
    "tax_llm_planner": llm_planner,
    "tax_llm_worker": llm_worker,
    "by_role": by_role,
    "llm": _llm,
}


LLM_KINDS = frozenset({"llm", "tax_llm_planner", "tax_llm_worker"})
"""Policy kinds that decide through an LLM backend (``backend`` / ``backend_options``)."""


def make_policy(kind: str, **params: Any) -> Policy:
    """Build a policy from its kind name and parameters, with clear errors."""
    try:
        factory = POLICY_KINDS[kind]
    except (KeyError, TypeError):  # TypeError: an unhashable kind such as a list
        raise ValueError(f"unknown policy kind {kind!r}; known: "
                         f"{', '.join(sorted(POLICY_KINDS))}") from None
    try:
        return factory(**params)
    except TypeError as exc:
        raise ValueError(f"policy {kind!r}: bad parameters {params}: {exc}") from None
