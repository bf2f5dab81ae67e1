"""Analysis hooks of the tax-planner game (see :class:`agora.engine.contract.GameHooks`).

A Stackelberg game of a planner and many workers has no single equilibrium action, so there is
no benchmark here (the Saez and Stackelberg schedules are in :mod:`games.tax_planner.theory`).
The report draws what the planner did and what it bought: the marginal-rate schedule of the
first and last tax year and social welfare by tax year.
"""

from __future__ import annotations

from agora.engine.contract import AnalysisSpec, GameHooks
from games.tax_planner.config import TaxConfig


class TaxPlannerHooks(GameHooks):
    """Report analyses of the tax-planner game."""

    def analyses(self, config: TaxConfig) -> tuple[AnalysisSpec, ...]:
        """The rate schedule and welfare by tax year."""
        thresholds = tuple(config.thresholds or ())
        return (
            AnalysisSpec("rate_schedule", {
                "thresholds": thresholds,
                "columns": tuple(f"rate_{k + 1}" for k in range(len(thresholds) + 1))}),
            AnalysisSpec("series_by_round", {
                "name": "welfare_by_year", "title": "Social welfare by tax year",
                "xlabel": "tax year", "ylabel": "welfare (mean over economies)",
                "series": {"utilitarian": "welfare_utilitarian",
                           "inverse income (LLM Economist)": "welfare_inverse_income"}}),
        )
