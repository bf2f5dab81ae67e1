"""Tax planner: persona workers choose hours under a planner's bracket schedule (Stackelberg)."""

from __future__ import annotations

from games.tax_planner.config import Candidate, Objective, Rebate, TaxConfig, Utility
from games.tax_planner.env import TaxPlannerKernel
from games.tax_planner.observation import Period, TaxObservation, YearSummary
from games.tax_planner.spec import ScheduleSpec

KERNELS = (TaxPlannerKernel,)

__all__ = [
    "KERNELS", "Candidate", "Objective", "Period", "Rebate", "ScheduleSpec", "TaxConfig",
    "TaxObservation", "TaxPlannerKernel", "Utility", "YearSummary",
]
