"""Scripted workers and planners of the tax-planner game.

Workers: :class:`BestResponseWorker` (exact best response to the schedule and the equilibrium
rebate; votes for the candidate schedule that gives it the highest utility),
:class:`QuantalWorker` (logit choice over an hours grid and over the ballot) and
:class:`NoisyWorker` (best response plus Gaussian noise). Planners move toward a target
schedule as far as the per-update cap allows: :class:`SchedulePlanner`, :class:`USPlanner`,
:class:`FlatPlanner`, :class:`SaezPlanner` (Saez rates from last year's incomes),
:class:`StackelbergPlanner` (the numerical welfare optimum given best responses). Seat them by
role with :class:`agora.engine.by_role.ByRolePolicy`.

Every player reads the batch's :class:`~games.tax_planner.view.TaxView` (what the deciding
players may know), never the kernel. The game's package lists them as policy kinds
(``POLICIES``).
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any

import numpy as np
from scipy.special import softmax

from agora.engine.batch import DecisionBatch, Decisions
from agora.engine.policy import Policy
from agora.engine.streams import Streams
from games.tax_planner import theory, utility
from games.tax_planner.spec import ScheduleSpec
from games.tax_planner.view import TaxView


def tax_view(batch: DecisionBatch) -> TaxView:
    """The batch's :class:`TaxView`, or a one-line error for another game."""
    return batch.view_as(TaxView, "is not the tax_planner game the tax policies play")


# --------------------------------------------------------------------------- workers
class _Worker(Policy):
    """Shared machinery: per-economy candidate utilities and action assembly.

    ``e`` below is each decision's position in the view's per-economy arrays.
    """

    def act(self, batch: DecisionBatch, rng: Streams) -> Decisions:
        return Decisions(actions=self.play(tax_view(batch), rng))

    def play(self, view: TaxView, rng: Streams | np.random.Generator) -> np.ndarray:
        """Actions of every (worker) decision of ``view``."""
        rng = Streams.coerce(rng, len(view))
        actions = np.empty(len(view), dtype=object)
        for idx, spec in view.by_spec():
            e, players = view.economy[idx], view.players[idx]
            sub = rng if idx.size == len(view) else rng.subset(idx)
            if spec.name == "hours":
                hours = self.hours(view, e, players, sub)
                actions[idx] = [{"hours": float(h)} for h in hours]
            elif spec.name == "vote":
                names = view.config.vote_candidates
                choice = self.vote(view, e, players, sub)
                actions[idx] = [{"vote": names[int(c)]} for c in choice]
            else:
                raise TypeError(f"{self.name} plays workers; got a {spec.name!r} decision")
        return actions

    @abstractmethod
    def hours(self, view: TaxView, e: np.ndarray, players: np.ndarray,
              rng: Streams) -> np.ndarray:
        """Weekly hours of each (economy, worker) decision."""

    @abstractmethod
    def vote(self, view: TaxView, e: np.ndarray, players: np.ndarray,
             rng: Streams) -> np.ndarray:
        """Index of the candidate each worker votes for."""

    @staticmethod
    def best_hours(view: TaxView, e: np.ndarray,
                   players: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Best-response hours and the expected (equilibrium) rebate of each decision."""
        econ, pos = np.unique(e, return_inverse=True)
        skills, rates = view.skills[econ], view.rates[econ]
        rebate = theory.equilibrium_rebate(skills, rates, view.config)
        hours = utility.best_response(skills, rates, rebate, view.config)
        return hours[pos, players], rebate[pos]

    @staticmethod
    def ballot_utilities(view: TaxView, e: np.ndarray, players: np.ndarray) -> np.ndarray:
        """``(decisions, candidates)`` equilibrium utility of each worker under each candidate."""
        econ, pos = np.unique(e, return_inverse=True)
        cands = view.candidates[econ]                                   # (E, C, B)
        n_c = cands.shape[1]
        skills = np.repeat(view.skills[econ][:, None, :], n_c, axis=1)  # (E, C, N)
        u = theory.equilibrium(skills, cands, view.config).utility      # (E, C, N)
        return u[pos, :, players]


class BestResponseWorker(_Worker):
    """Exact best response to the schedule in force and the equilibrium rebate.

    Votes for the candidate schedule whose best-response equilibrium gives it the highest
    utility (sincere, utility-based voting).
    """

    name = "tax_best_response"

    def hours(self, view: TaxView, e: np.ndarray, players: np.ndarray,
              rng: Streams) -> np.ndarray:
        return self.best_hours(view, e, players)[0]

    def vote(self, view: TaxView, e: np.ndarray, players: np.ndarray,
             rng: Streams) -> np.ndarray:
        return np.argmax(self.ballot_utilities(view, e, players), axis=1)

    def describe(self) -> dict[str, Any]:
        return {"kind": "tax_best_response"}


class QuantalWorker(_Worker):
    """Logit choice ``P(l) ∝ exp(λ·u(l))`` over an hours grid (u in weekly dollars-utils).

    λ → 0 is uniform, λ → ∞ the best response; votes are a logit over candidate utilities.
    """

    def __init__(self, lam: float = 0.1, grid_size: int = 201) -> None:
        if not (np.isfinite(lam) and lam >= 0):
            raise ValueError(f"QuantalWorker: lam must be >= 0, got {lam}")
        if not isinstance(grid_size, int) or grid_size < 2:
            raise ValueError(f"QuantalWorker: grid_size must be an integer >= 2, got {grid_size}")
        self.lam, self.grid_size = float(lam), grid_size
        self.name = f"tax_quantal(lam={lam:g})"

    def hours(self, view: TaxView, e: np.ndarray, players: np.ndarray,
              rng: Streams) -> np.ndarray:
        _, rebate = self.best_hours(view, e, players)
        c = view.config
        grid = np.linspace(0.0, c.max_hours, self.grid_size)
        skills = view.skills[e, players][:, None]
        shape = (e.size, grid.size)
        x = utility.consumption(np.broadcast_to(skills, shape), np.broadcast_to(grid, shape),
                                view.rates[e], rebate, c)
        u = utility.utility(x, grid, c)
        probs = softmax(self.lam * u, axis=1)
        cdf = np.cumsum(probs, axis=1)
        pick = (cdf < rng.random((e.size, 1)) * cdf[:, -1:]).sum(axis=1)
        return grid[np.minimum(pick, grid.size - 1)]

    def vote(self, view: TaxView, e: np.ndarray, players: np.ndarray,
             rng: Streams) -> np.ndarray:
        probs = softmax(self.lam * self.ballot_utilities(view, e, players), axis=1)
        cdf = np.cumsum(probs, axis=1)
        return np.minimum((cdf < rng.random((e.size, 1)) * cdf[:, -1:]).sum(axis=1),
                          probs.shape[1] - 1)

    def describe(self) -> dict[str, Any]:
        return {"kind": "tax_quantal", "lam": self.lam, "grid_size": self.grid_size}


class NoisyWorker(_Worker):
    """Best response plus Gaussian noise of ``sd`` hours (clipped); votes by best response."""

    def __init__(self, sd: float = 5.0) -> None:
        if not (np.isfinite(sd) and sd >= 0):
            raise ValueError(f"NoisyWorker: sd must be >= 0, got {sd}")
        self.sd = float(sd)
        self.name = f"tax_noisy(sd={sd:g})"

    def hours(self, view: TaxView, e: np.ndarray, players: np.ndarray,
              rng: Streams) -> np.ndarray:
        h = self.best_hours(view, e, players)[0] + rng.normal(0.0, self.sd, e.size)
        return np.clip(h, 0.0, view.config.max_hours)

    def vote(self, view: TaxView, e: np.ndarray, players: np.ndarray,
             rng: Streams) -> np.ndarray:
        return np.argmax(self.ballot_utilities(view, e, players), axis=1)

    def describe(self) -> dict[str, Any]:
        return {"kind": "tax_noisy", "sd": self.sd}


# --------------------------------------------------------------------------- planners
class _TargetPlanner(Policy):
    """Moves every rate toward a target schedule, as far as the change cap allows."""

    def act(self, batch: DecisionBatch, rng: Streams) -> Decisions:
        return Decisions(actions=self.play(tax_view(batch), rng))

    def play(self, view: TaxView, rng: Streams | None = None) -> np.ndarray:
        """Actions of every (planner) decision of ``view`` (deterministic: ``rng`` unused)."""
        b = view.config.n_brackets
        actions = np.empty(len(view), dtype=object)
        for i in range(len(view)):
            spec = view.spec_at(i)
            if not isinstance(spec, ScheduleSpec):
                raise TypeError(f"{self.name} plays the planner; got a {spec.name!r} decision")
            target = np.asarray(self.target(view, int(view.economy[i])), dtype=np.float64)
            if target.shape != (b,):
                raise ValueError(f"{self.name}: target schedule has {target.size} rates for "
                                 f"{b} brackets")
            actions[i] = spec.action(target)
        return actions

    @abstractmethod
    def target(self, view: TaxView, e: int) -> np.ndarray:
        """Schedule (fractions) the planner wants in the view's economy ``e``."""


class SchedulePlanner(_TargetPlanner):
    """Always aims at one fixed schedule (fractions in [0, 1])."""

    def __init__(self, rates: tuple[float, ...] | list[float], name: str = "tax_schedule") -> None:
        r = np.asarray(rates, dtype=np.float64)
        if r.ndim != 1 or r.size < 1 or np.any((r < 0) | (r > 1)) or not np.isfinite(r).all():
            raise ValueError(f"SchedulePlanner: rates must be a list of numbers in [0, 1], "
                             f"got {rates!r}")
        self.rates = r
        self.name = name

    def target(self, view: TaxView, e: int) -> np.ndarray:
        return self.rates

    def describe(self) -> dict[str, Any]:
        return {"kind": "tax_schedule", "rates": self.rates.tolist()}


class USPlanner(_TargetPlanner):
    """The U.S. federal single-filer rates of ``year`` (default: the game's bracket year)."""

    def __init__(self, year: int | None = None) -> None:
        if year is not None:
            theory.us_brackets(year)  # a clear error for an unknown year
        self.year = year
        self.name = "tax_us" if year is None else f"tax_us({year})"

    def target(self, view: TaxView, e: int) -> np.ndarray:
        return np.asarray(theory.us_brackets(self.year or view.config.bracket_year)[1])

    def describe(self) -> dict[str, Any]:
        return {"kind": "tax_us", "year": self.year}


class FlatPlanner(_TargetPlanner):
    """One rate on all income."""

    def __init__(self, rate: float) -> None:
        if not (np.isfinite(rate) and 0 <= rate <= 1):
            raise ValueError(f"FlatPlanner: rate must be in [0, 1], got {rate}")
        self.rate = float(rate)
        self.name = f"tax_flat({rate:g})"

    def target(self, view: TaxView, e: int) -> np.ndarray:
        return np.full(view.config.n_brackets, self.rate)

    def describe(self) -> dict[str, Any]:
        return {"kind": "tax_flat", "rate": self.rate}


class SaezPlanner(_TargetPlanner):
    """Saez rates from last year's incomes and welfare weights; keeps the schedule in year 1.

    ``elasticity`` defaults to the one the workers' utility implies
    (:func:`games.tax_planner.theory.taxable_income_elasticity`).
    """

    def __init__(self, elasticity: float | None = None) -> None:
        if elasticity is not None and not (np.isfinite(elasticity) and elasticity > 0):
            raise ValueError(f"SaezPlanner: elasticity must be > 0, got {elasticity}")
        self.elasticity = elasticity
        self.name = "tax_saez"

    def target(self, view: TaxView, e: int) -> np.ndarray:
        if view.last_year[e] < 0:
            return view.rates[e].copy()
        return theory.saez_from_year(view.skills[e], view.last_income[e],
                                     view.last_post_tax[e], view.config, self.elasticity)

    def describe(self) -> dict[str, Any]:
        return {"kind": "tax_saez", "elasticity": self.elasticity}


class StackelbergPlanner(_TargetPlanner):
    """The schedule maximising the game's welfare function given best-responding workers.

    The optimum (:func:`games.tax_planner.theory.stackelberg_optimum`) is computed once per
    distinct economy (skills) and cached; ``objective`` overrides the game's.
    """

    def __init__(self, objective: str | None = None, max_evaluations: int = 4000) -> None:
        if not isinstance(max_evaluations, int) or max_evaluations < 1:
            raise ValueError(f"StackelbergPlanner: max_evaluations must be >= 1, "
                             f"got {max_evaluations!r}")
        self.objective, self.max_evaluations = objective, max_evaluations
        self.name = "tax_stackelberg"
        self._cache: dict[bytes, np.ndarray] = {}

    def target(self, view: TaxView, e: int) -> np.ndarray:
        skills = view.skills[e]
        key = skills.tobytes() + repr(view.config.to_dict()).encode()
        if key not in self._cache:
            self._cache[key] = theory.stackelberg_optimum(
                skills, view.config, self.objective,
                max_evaluations=self.max_evaluations).rates
        return self._cache[key]

    def describe(self) -> dict[str, Any]:
        return {"kind": "tax_stackelberg", "objective": self.objective,
                "max_evaluations": self.max_evaluations}


# --------------------------------------------------------------------------- equilibrium play
def equilibrium_play(view: TaxView) -> np.ndarray:
    """Stackelberg play: best-responding workers, the planner toward the welfare optimum.

    The planner's optimum is kept in ``view.memo`` (computed once per economy and run).
    """
    planner = view.memo.setdefault("stackelberg_planner", StackelbergPlanner())
    actions = np.empty(len(view), dtype=object)
    lead = view.planner
    for idx, player in ((np.flatnonzero(~lead), BestResponseWorker()),
                        (np.flatnonzero(lead), planner)):
        if idx.size:
            part = view if idx.size == len(view) else view.subset(idx)
            actions[idx] = player.play(part, Streams.from_seed(0, idx.size))
    return actions
