"""Configuration of the tax-planner game (LLM Economist, Karten et al. 2025; AI Economist)."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from agora.engine.kernel import GameConfig
from agora.engine.limits import MAX_PLAYERS, MAX_ROUNDS, check_cells, check_count


class Utility(StrEnum):
    """Worker utility over weekly consumption ``x`` and weekly hours ``l``."""

    QUASILINEAR = "quasilinear"
    """LLM Economist: ``u = x − c·l^δ``."""
    ISOELASTIC = "isoelastic"
    """AI Economist: ``u = (x^(1−η) − 1)/(1 − η) − c·l^δ`` (CRRA consumption)."""


class Objective(StrEnum):
    """Social welfare function the planner is paid (and the optimisers maximise)."""

    UTILITARIAN = "utilitarian"
    """``Σ uᵢ``."""
    INVERSE_INCOME = "inverse_income"
    """LLM Economist's ``Σ uᵢ / zᵢ`` with ``zᵢ`` the worker's laissez-faire (no-tax) income, its
    earning capacity (floored): fixed inverse-income weights."""
    INVERSE_REALISED = "inverse_realised"
    """``Σ uᵢ / zᵢ`` with ``zᵢ`` the realised pre-tax income (floored), as LLM Economist's code
    computes it. The weights rise as incomes fall, so taxing low earners out of work raises it:
    kept for replication, not as a planner target."""


class Rebate(StrEnum):
    """What happens to tax revenue."""

    EQUAL = "equal"
    """Rebated lump-sum, equally to every worker, in the period it is raised."""
    NONE = "none"
    """Spent outside the model (it enters nobody's utility)."""


class Candidate(StrEnum):
    """Schedules workers can vote for in the democratic variant."""

    PROPOSAL = "proposal"
    """The schedule the planner has just proposed."""
    CURRENT = "current"
    """Last year's schedule (the status quo)."""
    INITIAL = "initial"
    """The schedule the game started with (the U.S. schedule by default)."""
    SAEZ = "saez"
    """Saez rates computed from last year's incomes (:func:`theory.saez_rates`)."""


US_BRACKETS: dict[int, tuple[tuple[float, ...], tuple[float, ...]]] = {
    2024: ((11_600.0, 47_150.0, 100_525.0, 191_950.0, 243_725.0, 609_350.0, math.inf),
           (0.10, 0.12, 0.22, 0.24, 0.32, 0.35, 0.37)),
    2025: ((11_925.0, 48_475.0, 103_350.0, 197_300.0, 250_525.0, 626_350.0, math.inf),
           (0.10, 0.12, 0.22, 0.24, 0.32, 0.35, 0.37)),
}
"""U.S. federal single-filer brackets: upper thresholds (the last is ∞) and marginal rates."""


def _positive(name: str, value: float, strict: bool = True) -> None:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or (value <= 0 if strict else value < 0):
        bound = "> 0" if strict else ">= 0"
        raise ValueError(f"tax_planner: {name} must be a finite number {bound}, got {value!r}")


def _numbers(name: str, value: Any) -> tuple[float, ...]:
    """A tuple-of-numbers field given as a tuple or list; strings, None and bools refused."""
    if not isinstance(value, tuple | list) or any(
            isinstance(v, bool) or not isinstance(v, int | float) for v in value):
        raise ValueError(f"tax_planner: {name} must be a list of numbers, got {value!r}")
    return tuple(float(v) for v in value)


def _count(name: str, value: int, low: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        raise ValueError(f"tax_planner: {name} must be an integer >= {low}, got {value!r}")


@dataclass(frozen=True, kw_only=True)
class TaxConfig(GameConfig):
    """N workers choose weekly hours; a planner sets one marginal rate per bracket each tax year.

    Units: skills are hourly wages ($/h), hours are per week, incomes, taxes, revenue and
    rebates are annual dollars (``weeks`` × weekly), utilities are weekly (LLM Economist's
    ``c = 0.0005``, ``δ = 3.5`` read per week give 28-80 h for $7-$100 an hour; read per year
    everyone would work ``max_hours``).

    Attributes:
        n_workers: Workers per economy (1 to ``MAX_PLAYERS``; ``n_workers × tax_years ×
            steps_per_year`` at most ``MAX_CELLS``, see :mod:`agora.engine.limits`).
        tax_years: Tax years played (1 to ``MAX_ROUNDS``); the planner sets the schedule at
            the start of each.
        steps_per_year: Worker steps K per tax year (1 to ``MAX_ROUNDS``; LLM Economist: 25).
        bracket_year: U.S. single-filer bracket table for the defaults (2024 or 2025).
        thresholds: Finite upper thresholds of every bracket but the last (ascending, > 0);
            ``None``: the U.S. thresholds of ``bracket_year``. A trailing ∞ is dropped.
        initial_rates: Schedule in force before the first update (each in [0, 1]); ``None``:
            the U.S. rates (their count must then match the brackets).
        max_rate_change: Largest change of any rate per planner update, in (0, 1] (0.2 = 20
            points; 1 = no cap).
        rebate: ``equal`` (lump-sum) or ``none``.
        utility: ``quasilinear`` or ``isoelastic``.
        c: Labour disutility coefficient (> 0), per week.
        delta: Labour disutility exponent (>= 1).
        eta: CRRA coefficient of the isoelastic utility, in (0, 1) (AI Economist 0.23).
        max_hours: Most weekly hours L_max (> 0).
        weeks: Weeks per year (> 0).
        skills: Hourly wage of every worker (``n_workers`` values in [min_skill, max_skill]);
            ``None``: drawn per economy from LLM Economist's GB2 fit to ACS 2023 incomes.
        min_skill: Smallest hourly wage (> 0); GB2 draws are clipped to it.
        max_skill: Largest hourly wage; GB2 draws are clipped to it.
        objective: ``inverse_income`` (LLM Economist) or ``utilitarian``.
        income_floor: Floor on incomes in the inverse-income weights, annual dollars (> 0).
        vote_every: Workers vote every V tax years (V >= 1; from year V on), ``None``: never.
        vote_candidates: Schedules on the ballot (at least two distinct of ``proposal``,
            ``current``, ``initial``, ``saez``).
    """

    n_workers: int = 10
    tax_years: int = 5
    steps_per_year: int = 5
    bracket_year: int = 2025
    thresholds: tuple[float, ...] | None = None
    initial_rates: tuple[float, ...] | None = None
    max_rate_change: float = 0.2
    rebate: Rebate = Rebate.EQUAL
    utility: Utility = Utility.QUASILINEAR
    c: float = 0.0005
    delta: float = 3.5
    eta: float = 0.23
    max_hours: float = 100.0
    weeks: float = 52.0
    skills: tuple[float, ...] | None = None
    min_skill: float = 1.0
    max_skill: float = 2_000.0
    objective: Objective = Objective.INVERSE_INCOME
    income_floor: float = 1_000.0
    vote_every: int | None = None
    vote_candidates: tuple[str, ...] = ("proposal", "current", "saez")

    def __post_init__(self) -> None:
        check_count("tax_planner", "n_workers", self.n_workers, 1, MAX_PLAYERS)
        check_count("tax_planner", "tax_years", self.tax_years, 1, MAX_ROUNDS)
        check_count("tax_planner", "steps_per_year", self.steps_per_year, 1, MAX_ROUNDS)
        check_cells("tax_planner", "n_workers × tax_years × steps_per_year",
                    self.n_workers * self.tax_years * self.steps_per_year)
        if self.bracket_year not in US_BRACKETS:
            raise ValueError(f"tax_planner: bracket_year must be one of {sorted(US_BRACKETS)}, "
                             f"got {self.bracket_year!r}")
        for name, enum in (("rebate", Rebate), ("utility", Utility), ("objective", Objective)):
            self._set_choice("tax_planner", name, enum)
        self._check_brackets()
        for name in ("c", "max_hours", "weeks", "min_skill", "income_floor"):
            _positive(name, getattr(self, name))
        _positive("max_skill", self.max_skill)
        if self.max_skill < self.min_skill:
            raise ValueError(f"tax_planner: max_skill ({self.max_skill}) must be >= min_skill "
                             f"({self.min_skill})")
        if not (isinstance(self.delta, int | float) and math.isfinite(self.delta)
                and self.delta >= 1):
            raise ValueError(f"tax_planner: delta must be a number >= 1, got {self.delta!r}")
        if not (isinstance(self.eta, int | float) and 0 < self.eta < 1):
            raise ValueError(f"tax_planner: eta must be in (0, 1), got {self.eta!r}")
        if not (isinstance(self.max_rate_change, int | float)
                and 0 < self.max_rate_change <= 1):
            raise ValueError(f"tax_planner: max_rate_change must be in (0, 1], "
                             f"got {self.max_rate_change!r}")
        if self.skills is not None:
            skills = _numbers("skills", self.skills)
            if len(skills) != self.n_workers:
                raise ValueError(f"tax_planner: skills must have n_workers ({self.n_workers}) "
                                 f"values, got {len(skills)}")
            bad = [s for s in skills if not self.min_skill <= s <= self.max_skill]
            if bad:
                raise ValueError(f"tax_planner: skills must lie in [min_skill, max_skill] = "
                                 f"[{self.min_skill}, {self.max_skill}], got {bad[0]}")
            object.__setattr__(self, "skills", skills)
        if self.vote_every is not None:
            _count("vote_every", self.vote_every, 1)
        cands = self.vote_candidates
        allowed = {c.value for c in Candidate}
        if not isinstance(cands, tuple | list) or len(cands) < 2 \
                or len(set(cands)) != len(cands) or not set(cands) <= allowed:
            raise ValueError(f"tax_planner: vote_candidates must be at least two distinct of "
                             f"{sorted(allowed)}, got {self.vote_candidates!r}")
        object.__setattr__(self, "vote_candidates", tuple(cands))

    def _check_brackets(self) -> None:
        us_thresholds, us_rates = US_BRACKETS[self.bracket_year]
        t = us_thresholds if self.thresholds is None else _numbers("thresholds",
                                                                   self.thresholds)
        if t and math.isinf(t[-1]):
            t = t[:-1]
        t = tuple(float(x) for x in t)
        if any(not (math.isfinite(x) and x > 0) for x in t) or \
                any(b <= a for a, b in itertools.pairwise(t)):
            raise ValueError(f"tax_planner: thresholds must be finite, > 0 and strictly "
                             f"increasing, got {self.thresholds!r}")
        object.__setattr__(self, "thresholds", t)
        rates = us_rates if self.initial_rates is None else _numbers("initial_rates",
                                                                     self.initial_rates)
        if len(rates) != len(t) + 1:
            raise ValueError(f"tax_planner: initial_rates needs one rate per bracket "
                             f"({len(t) + 1}), got {len(rates)}")
        if any(not (isinstance(r, int | float) and 0 <= r <= 1) for r in rates):
            raise ValueError(f"tax_planner: initial_rates must lie in [0, 1], got {rates!r}")
        object.__setattr__(self, "initial_rates", tuple(float(r) for r in rates))

    @property
    def n_brackets(self) -> int:
        """Number of brackets B (one rate each)."""
        assert self.thresholds is not None
        return len(self.thresholds) + 1

    @property
    def voting(self) -> bool:
        """Whether workers vote in some tax years."""
        return self.vote_every is not None and self.vote_every < self.tax_years

    def is_vote_year(self, year: int) -> bool:
        """Whether workers vote after the planner's proposal in tax year ``year`` (0-based)."""
        return self.vote_every is not None and year > 0 and year % self.vote_every == 0
