"""What tax-planner agents observe: their own past periods, past tax years, the ballot."""

from __future__ import annotations

from dataclasses import dataclass

from games.tax_planner.config import Objective


@dataclass(frozen=True, kw_only=True)
class Period:
    """One work period as a worker remembers it (annual dollars, weekly utility)."""

    year: int
    step: int
    hours: float
    income: float
    tax: float
    rebate: float
    utility: float


@dataclass(frozen=True, kw_only=True)
class YearSummary:
    """A completed tax year, averaged over its work periods."""

    year: int
    rates: tuple[float, ...]
    vote_winner: str | None
    mean_hours: float
    mean_income: float
    revenue_per_worker: float
    welfare_utilitarian: float
    welfare_inverse_income: float
    welfare_inverse_realised: float
    gini: float
    eq_x_prod: float
    dwl: float

    def welfare(self, objective: Objective) -> float:
        """The planner's objective in this year."""
        return {Objective.UTILITARIAN: self.welfare_utilitarian,
                Objective.INVERSE_INCOME: self.welfare_inverse_income,
                Objective.INVERSE_REALISED: self.welfare_inverse_realised}[Objective(objective)]


@dataclass(frozen=True, kw_only=True)
class TaxObservation:
    """What one agent sees when it decides."""

    role: str
    phase: str
    year: int
    step: int
    rates: tuple[float, ...]
    """Schedule in force (fractions): last year's while the planner decides."""
    skill: float | None
    """Hourly wage (workers)."""
    memory: tuple[Period, ...]
    """The worker's last periods, oldest first."""
    years: tuple[YearSummary, ...]
    """Completed tax years (the planner's history)."""
    candidates: tuple[tuple[str, tuple[float, ...]], ...]
    """Ballot of a vote step: (name, rates)."""
