"""Tax planner: persona workers choose hours under a planner's bracket schedule (Stackelberg)."""

from __future__ import annotations

from games.tax_planner.config import Candidate, Objective, Rebate, TaxConfig, Utility
from games.tax_planner.env import TaxPlannerKernel
from games.tax_planner.observation import Period, TaxObservation, YearSummary
from games.tax_planner.players import (
    BestResponseWorker,
    FlatPlanner,
    NoisyWorker,
    QuantalWorker,
    SaezPlanner,
    SchedulePlanner,
    StackelbergPlanner,
    USPlanner,
)
from games.tax_planner.spec import ScheduleSpec
from games.tax_planner.view import TaxView

POLICIES = {
    "tax_best_response": BestResponseWorker,
    "tax_quantal": QuantalWorker,
    "tax_noisy": NoisyWorker,
    "tax_schedule": SchedulePlanner,
    "tax_us": USPlanner,
    "tax_flat": FlatPlanner,
    "tax_saez": SaezPlanner,
    "tax_stackelberg": StackelbergPlanner,
}
"""The game's scripted workers and planners, as policy kinds of run specs and the CLI."""

LLM_PRESETS = {
    "tax_llm_planner": {"max_tokens": 160, "name": "llm_planner"},
    "tax_llm_worker": {"max_tokens": 24, "name": "llm_worker"},
}
"""LLM players of the game: the in-context planner (the prompt shows past schedules and
outcomes; the answer is a constrained JSON schedule within the change cap) and the persona
worker (hours and votes; the prompt carries its persona, the schedule and its utility)."""

KERNELS = (TaxPlannerKernel,)

__all__ = [
    "KERNELS", "LLM_PRESETS", "POLICIES", "BestResponseWorker", "Candidate", "FlatPlanner",
    "NoisyWorker", "Objective", "Period", "QuantalWorker", "Rebate", "SaezPlanner",
    "SchedulePlanner", "ScheduleSpec", "StackelbergPlanner", "TaxConfig", "TaxObservation",
    "TaxPlannerKernel", "TaxView", "USPlanner", "Utility", "YearSummary",
]
