"""The tax-planner kernel: a Stackelberg economy of N workers and a planner, vectorised.

Header: N workers (slots 0..N−1, role ``worker``) and one planner (slot N, role ``planner``).
Dynamics: T tax years; each opens with a planner step (only the planner decides: one rate per
bracket, in percent, at most ``max_rate_change`` from last year's), then, in voting years, a
vote step (every worker picks one of ``vote_candidates``; plurality, ties to the earlier
candidate), then K work steps (every worker picks weekly hours in [0, L_max]). Every work step is
one period taxed by the schedule in force; revenue is rebated equally (or not) in the same
period. Rewards: a worker's weekly utility per work step; the planner's reward per work step is
the social welfare function ``objective`` (0 on decision steps). Payoff bounds follow from the
skill and hours caps. Defaults: 10 workers with GB2 (ACS 2023) wages, 2025 U.S. brackets and
rates, 5 years × 5 steps, 20-point cap, equal rebate, quasilinear utility (c = 0.0005,
δ = 3.5), inverse-income welfare. Record columns: the schedule in force (``rate_1..rate_B``);
on work rows ``skill``, ``hours``, ``income``, ``tax``, ``post_tax_income``, ``utility``,
``marginal_rate`` and the period's ``revenue``, ``rebate``, ``welfare_utilitarian``,
``welfare_inverse_income``, ``welfare_inverse_realised``, ``gini_pre``, ``gini_post``,
``eq_x_prod``, ``dwl``; on vote rows ``vote_winner``; null elsewhere. Scripted players read a
:class:`~games.tax_planner.view.TaxView` (what a player may know: see that module).
"""

from __future__ import annotations

from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
import polars as pl

from agora.engine.kernel import GameKernel, StepOutcome
from agora.engine.structured import ChoiceSpec, OfferSpec, Spec
from games.tax_planner import prompts, theory
from games.tax_planner.config import Candidate, Objective, TaxConfig
from games.tax_planner.hooks import TaxPlannerHooks
from games.tax_planner.observation import Period, TaxObservation, YearSummary
from games.tax_planner.spec import ScheduleSpec, rate_field
from games.tax_planner.utility import marginal_rate, utility
from games.tax_planner.view import TaxView, build_view

PLAN, VOTE, WORK = 0, 1, 2
PHASES = ("plan", "vote", "work")
HOURS_CODE, VOTE_CODE, PLAN_CODE = 0, 1, 2
"""Spec codes: hours, vote, and ``PLAN_CODE + instance`` for the planner's capped schedule."""
MEMORY = 5
"""Past periods a worker's observation recalls."""
ECONOMY_COLUMNS = ("revenue", "rebate", "welfare_utilitarian", "welfare_inverse_income",
                   "welfare_inverse_realised", "gini_pre", "gini_post", "eq_x_prod", "dwl")
WORK_COLUMNS = ("skill", "hours", "income", "tax", "post_tax_income", "utility",
                "marginal_rate", *ECONOMY_COLUMNS)


class TaxPlannerKernel(GameKernel):
    """M independent economies of N workers and a planner stepped together."""

    name: ClassVar[str] = "tax_planner"
    roles: ClassVar[tuple[str, ...]] = ("worker", "planner")
    config_cls: ClassVar[type[TaxConfig]] = TaxConfig
    action_dtype: ClassVar[type] = object
    prompts = prompts.PROMPTS
    theory = theory
    hooks = TaxPlannerHooks(theory)
    config: TaxConfig
    conformance_configs: ClassVar[tuple[dict[str, Any], ...]] = (
        {"n_workers": 4, "tax_years": 2, "steps_per_year": 2},
        {"n_workers": 3, "tax_years": 4, "steps_per_year": 1, "vote_every": 2,
         "vote_candidates": ("proposal", "current", "initial", "saez"), "bracket_year": 2024,
         "utility": "isoelastic", "objective": "utilitarian"},
        {"n_workers": 2, "tax_years": 3, "steps_per_year": 2, "thresholds": (20_000.0,),
         "initial_rates": (0.0, 0.5), "max_rate_change": 1.0, "rebate": "none",
         "skills": (5.0, 80.0), "delta": 1.0, "max_hours": 60.0},
    )

    def __init__(self, config: TaxConfig, n_instances: int, rng: np.random.Generator) -> None:
        super().__init__(config, n_instances, rng)
        n = config.n_workers
        self._hours_spec = OfferSpec(name="hours", low=0.0, high=config.max_hours, step=None,
                                     description="hours you work per week")
        self._vote_spec = ChoiceSpec(name="vote", choices=config.vote_candidates,
                                     description="the tax schedule you vote for")
        self._full_schedule = self._schedule_spec(np.zeros(config.n_brackets),
                                                  np.full(config.n_brackets, 100.0))
        self.planner_slot = n
        self.reset()

    # ------------------------------------------------------------------ header
    @property
    def n_players(self) -> int:
        return self.config.n_workers + 1

    def agent_names(self) -> list[str]:
        return [f"worker_{j}" for j in range(self.config.n_workers)] + ["planner_0"]

    def max_steps(self) -> int:
        c = self.config
        return sum(1 + int(c.is_vote_year(y)) + c.steps_per_year for y in range(c.tax_years))

    def _schedule_spec(self, lows: np.ndarray, highs: np.ndarray) -> ScheduleSpec:
        return ScheduleSpec(lows=tuple(float(x) for x in np.round(lows, 6)),
                            highs=tuple(float(x) for x in np.round(highs, 6)),
                            labels=prompts.bracket_labels(self.config))

    def action_spec(self, player: int) -> Spec:
        """Hours for workers; the uncapped schedule for the planner (see :meth:`spec_for_code`)."""
        return self._full_schedule if player == self.planner_slot else self._hours_spec

    def spec_codes(self, instances: np.ndarray, players: np.ndarray) -> np.ndarray:
        phase = self.phase[np.asarray(instances)]
        return np.where(phase == WORK, HOURS_CODE,
                        np.where(phase == VOTE, VOTE_CODE, PLAN_CODE + np.asarray(instances)))

    def spec_for_code(self, code: int) -> Spec:
        if code == HOURS_CODE:
            return self._hours_spec
        if code == VOTE_CODE:
            return self._vote_spec
        rates = self.rates[code - PLAN_CODE] * 100
        cap = self.config.max_rate_change * 100
        return self._schedule_spec(np.clip(rates - cap, 0, 100), np.clip(rates + cap, 0, 100))

    def action_space(self, player: int) -> gym.Space[Any]:
        if player == self.planner_slot:
            return self._full_schedule.space()
        if self.config.voting:
            return gym.spaces.Dict({**self._hours_spec.space().spaces,
                                    **self._vote_spec.space().spaces})
        return self._hours_spec.space()

    def role_index(self, instances: np.ndarray, players: np.ndarray) -> np.ndarray:
        return (np.asarray(players) == self.planner_slot).astype(np.int64)

    def _utility_bounds(self) -> tuple[float, float]:
        c = self.config
        x_max = 2.0 * c.max_skill * c.max_hours
        low = float(utility(np.array(0.0), np.array(c.max_hours), c))
        high = float(utility(np.array(x_max), np.array(0.0), c))
        return low, high

    def payoff_bounds(self) -> tuple[float, float]:
        c = self.config
        low, high = self._utility_bounds()
        n = c.n_workers
        if c.objective is Objective.UTILITARIAN:
            w_low, w_high = n * low, n * high
        else:
            w_low, w_high = n * min(low, 0.0) / c.income_floor, n * max(high, 0.0) / c.income_floor
        return min(low, w_low, 0.0), max(high, w_high, 0.0)

    # ------------------------------------------------------------------ dynamics
    def reset(self) -> None:
        c = self.config
        m, n, t, k, b = (self.n_instances, c.n_workers, c.tax_years, c.steps_per_year,
                         c.n_brackets)
        self.done = np.zeros(m, dtype=bool)
        self.round = np.zeros(m, dtype=np.int64)
        self.substep = np.zeros(m, dtype=np.int64)
        self.phase = np.full(m, PLAN, dtype=np.int64)
        if c.skills is not None:
            self.skills = np.tile(np.asarray(c.skills, dtype=np.float64), (m, 1))
        else:
            self.skills = theory.draw_skills((m, n), self.rng, c)
        self.rates = np.tile(np.asarray(c.initial_rates, dtype=np.float64), (m, 1))
        self.schedules = np.full((m, t, b), np.nan)
        self.proposals = np.full((m, t, b), np.nan)
        self.candidates = np.full((m, len(c.vote_candidates), b), np.nan)
        self.winner = np.full((m, t), -1, dtype=np.int64)
        per_worker = ("hours", "income", "tax", "post_tax", "utility")
        self.periods = {key: np.full((m, t, k, n), np.nan) for key in per_worker}
        self.economy = {key: np.full((m, t, k), np.nan) for key in ECONOMY_COLUMNS}

    def pending(self) -> tuple[np.ndarray, np.ndarray]:
        live = np.flatnonzero(~self.done)
        plan = live[self.phase[live] == PLAN]
        crowd = live[self.phase[live] != PLAN]
        n = self.config.n_workers
        inst = np.concatenate([plan, np.repeat(crowd, n)])
        players = np.concatenate([np.full(plan.size, n, dtype=np.int64),
                                  np.tile(np.arange(n, dtype=np.int64), crowd.size)])
        order = np.argsort(inst, kind="stable")
        return inst[order], players[order]

    def step(self, instances: np.ndarray, players: np.ndarray,
             actions: np.ndarray) -> StepOutcome:
        inst = np.asarray(instances)
        pl_ = np.asarray(players)
        if inst.size and np.any(self.done[inst]):
            raise ValueError(f"{self.name}: a finished economy cannot act")
        n_dec = inst.size
        all_rewards = np.zeros((self.n_instances, self.n_players))
        cols: dict[str, np.ndarray] = {key: np.full(n_dec, np.nan) for key in WORK_COLUMNS}
        winners = np.full(n_dec, None, dtype=object)
        phase = self.phase[inst]
        planner_rows = phase == PLAN
        if np.any(pl_[planner_rows] != self.planner_slot) or \
                np.any(pl_[~planner_rows] == self.planner_slot):
            raise ValueError(f"{self.name}: only the planner acts on plan steps, only workers "
                             "on vote and work steps")
        if planner_rows.any():
            self._plan(inst[planner_rows], actions[planner_rows])
        vote_rows = phase == VOTE
        if vote_rows.any():
            winners[vote_rows] = self._vote(inst[vote_rows], pl_[vote_rows], actions[vote_rows])
        work_rows = phase == WORK
        if work_rows.any():
            self._work(inst[work_rows], pl_[work_rows], actions[work_rows], all_rewards,
                       cols, work_rows)
        rates = self.rates[inst].copy()
        if planner_rows.any():  # the planner's row records its proposal
            m = inst[planner_rows]
            rates[planner_rows] = self.proposals[m, self.round[m]]
        self._advance(inst, phase)
        columns: dict[str, Any] = {rate_field(k): rates[:, k] for k in range(rates.shape[1])}
        columns.update({k: pl.Series(k, v, nan_to_null=True) for k, v in cols.items()})
        columns["vote_winner"] = pl.Series("vote_winner", list(winners), dtype=pl.String)
        return StepOutcome(rewards=all_rewards[inst, pl_], all_rewards=all_rewards,
                           columns=columns)

    def _plan(self, inst: np.ndarray, actions: np.ndarray) -> None:
        c = self.config
        for m, a in zip(inst, actions, strict=True):
            rates = np.array([float(a[rate_field(k)]) for k in range(c.n_brackets)]) / 100
            y = int(self.round[m])
            self.proposals[m, y] = rates
            if c.is_vote_year(y):
                self.candidates[m] = self._ballot(int(m), rates)
            else:
                self.schedules[m, y] = self.rates[m] = rates

    def _ballot(self, m: int, proposal: np.ndarray) -> np.ndarray:
        c = self.config
        assert c.thresholds is not None
        out = []
        for name in c.vote_candidates:
            if name == Candidate.PROPOSAL:
                out.append(proposal)
            elif name == Candidate.CURRENT:
                out.append(self.rates[m].copy())
            elif name == Candidate.INITIAL:
                out.append(np.asarray(c.initial_rates, dtype=np.float64))
            else:
                out.append(self.saez_from_last_year(m))
        return np.stack(out)

    def saez_from_last_year(self, m: int, elasticity: float | None = None) -> np.ndarray:
        """Saez rates from economy ``m``'s last completed year (mean incomes and weights)."""
        y = int(self.round[m]) - 1
        if y < 0:
            return self.rates[m].copy()
        return theory.saez_from_year(self.skills[m], *self.year_means(m, y), self.config,
                                     elasticity)

    def year_means(self, m: int, y: int) -> tuple[np.ndarray, np.ndarray]:
        """Each worker's mean annual income and post-tax income in year ``y`` of economy ``m``."""
        p = self.periods
        return p["income"][m, y].mean(axis=0), p["post_tax"][m, y].mean(axis=0)

    def decision_view(self, instances: np.ndarray, players: np.ndarray) -> TaxView:
        """What the deciding players may know (see :mod:`games.tax_planner.view`)."""
        return build_view(self, np.asarray(instances), np.asarray(players))

    def _vote(self, inst: np.ndarray, players: np.ndarray, actions: np.ndarray) -> np.ndarray:
        c = self.config
        names = list(c.vote_candidates)
        choice = np.array([names.index(a["vote"]) for a in actions])
        out = np.empty(inst.size, dtype=object)
        for m in np.unique(inst):
            sel = inst == m
            if sel.sum() != c.n_workers:
                raise ValueError(f"{self.name}: every worker must vote")
            counts = np.bincount(choice[sel], minlength=len(names))
            win = int(np.argmax(counts))  # ties go to the earlier candidate
            y = int(self.round[m])
            self.winner[m, y] = win
            self.schedules[m, y] = self.rates[m] = self.candidates[m, win]
            out[sel] = names[win]
        return out

    def _work(self, inst: np.ndarray, players: np.ndarray, actions: np.ndarray,
              all_rewards: np.ndarray, cols: dict[str, np.ndarray], rows: np.ndarray) -> None:
        c = self.config
        live = np.unique(inst)
        y, k = self.round[live], self.substep[live]
        hours = np.full((live.size, c.n_workers), np.nan)
        pos = np.searchsorted(live, inst)
        hours[pos, players] = [float(a["hours"]) for a in actions]
        if np.isnan(hours).any():
            raise ValueError(f"{self.name}: every worker of an economy must choose hours")
        out = theory.outcome(self.skills[live], hours, self.rates[live], c)
        for key, val in (("hours", out.hours), ("income", out.income), ("tax", out.tax),
                         ("post_tax", out.post_tax), ("utility", out.utility)):
            self.periods[key][live, y, k] = val
        for key in self.economy:
            self.economy[key][live, y, k] = getattr(out, key)
        all_rewards[live, : c.n_workers] = out.utility
        all_rewards[live, self.planner_slot] = out.welfare(c.objective)
        assert c.thresholds is not None
        per_worker = {"skill": self.skills[live], "hours": out.hours, "income": out.income,
                      "tax": out.tax, "post_tax_income": out.post_tax, "utility": out.utility,
                      "marginal_rate": marginal_rate(out.income, self.rates[live],
                                                     c.thresholds)}
        idx = np.flatnonzero(rows)
        for key, val in per_worker.items():
            cols[key][idx] = val[pos, players]
        for key in ECONOMY_COLUMNS:
            cols[key][idx] = np.asarray(getattr(out, key))[pos]

    def _advance(self, inst: np.ndarray, phase: np.ndarray) -> None:
        c = self.config
        live, first = np.unique(inst, return_index=True)
        for m, before in zip(live, phase[first], strict=True):
            y = int(self.round[m])
            if before == PLAN:
                self.phase[m] = VOTE if c.is_vote_year(y) else WORK
            elif before == VOTE:
                self.phase[m] = WORK
            else:
                self.substep[m] += 1
                if self.substep[m] >= c.steps_per_year:
                    self.substep[m] = 0
                    self.round[m] += 1
                    self.phase[m] = PLAN
                    self.done[m] = self.round[m] >= c.tax_years

    # ------------------------------------------------------------------ observations
    def observation_space(self) -> gym.Space[Any]:
        # [year, step, phase, skill, last hours, last income, last post-tax income,
        #  last rebate, rates...]; the planner sees economy means instead of own values.
        c = self.config
        z_max = 2.0 * c.weeks * c.max_skill * c.max_hours
        high = max(float(c.tax_years), float(c.steps_per_year), 2.0, c.max_skill, c.max_hours,
                   z_max)
        return gym.spaces.Box(low=0.0, high=high, shape=(8 + c.n_brackets,), dtype=np.float64)

    def _last(self, m: int) -> tuple[int, int] | None:
        """(year, step) of economy ``m``'s latest work period, if any."""
        y, k = int(self.round[m]), int(self.substep[m])
        if self.phase[m] == WORK and k > 0:
            return y, k - 1
        return (y - 1, self.config.steps_per_year - 1) if y > 0 else None

    def observation_array(self, instance: int, player: int) -> np.ndarray:
        m = int(instance)
        c = self.config
        last = self._last(m)
        planner = player == self.planner_slot
        vals = np.zeros(4)
        if last is not None:
            y, k = last
            p = self.periods
            pick = (np.mean if planner else (lambda v: v[player]))
            vals = np.array([pick(p["hours"][m, y, k]), pick(p["income"][m, y, k]),
                             pick(p["post_tax"][m, y, k]), self.economy["rebate"][m, y, k]])
        head = [min(float(self.round[m]), c.tax_years), float(self.substep[m]),
                float(self.phase[m]), 0.0 if planner else float(self.skills[m, player])]
        return np.concatenate([head, np.maximum(vals, 0.0), self.rates[m]])

    def year_summaries(self, m: int) -> tuple[YearSummary, ...]:
        """Completed tax years of economy ``m``."""
        c = self.config
        out = []
        names = c.vote_candidates
        for y in range(int(min(self.round[m], c.tax_years))):
            e = {key: float(np.mean(v[m, y])) for key, v in self.economy.items()}
            w = int(self.winner[m, y])
            out.append(YearSummary(
                year=y, rates=tuple(float(r) for r in self.schedules[m, y]),
                vote_winner=names[w] if w >= 0 else None,
                mean_hours=float(np.mean(self.periods["hours"][m, y])),
                mean_income=float(np.mean(self.periods["income"][m, y])),
                revenue_per_worker=e["revenue"] / c.n_workers,
                welfare_utilitarian=e["welfare_utilitarian"],
                welfare_inverse_income=e["welfare_inverse_income"],
                welfare_inverse_realised=e["welfare_inverse_realised"], gini=e["gini_post"],
                eq_x_prod=e["eq_x_prod"], dwl=e["dwl"]))
        return tuple(out)

    def observe(self, instance: int, player: int) -> TaxObservation:
        m = int(instance)
        c = self.config
        planner = player == self.planner_slot
        memory: list[Period] = []
        if not planner:
            p = self.periods
            flat = [(y, k) for y in range(c.tax_years) for k in range(c.steps_per_year)
                    if not np.isnan(p["hours"][m, y, k, player])]
            for y, k in flat[-MEMORY:]:
                memory.append(Period(
                    year=y, step=k, hours=float(p["hours"][m, y, k, player]),
                    income=float(p["income"][m, y, k, player]),
                    tax=float(p["tax"][m, y, k, player]),
                    rebate=float(self.economy["rebate"][m, y, k]),
                    utility=float(p["utility"][m, y, k, player])))
        candidates: tuple[tuple[str, tuple[float, ...]], ...] = ()
        if self.phase[m] == VOTE:
            candidates = tuple((name, tuple(float(r) for r in self.candidates[m, i]))
                               for i, name in enumerate(c.vote_candidates))
        years = self.year_summaries(m)
        return TaxObservation(
            role=self.roles[int(planner)], phase=PHASES[int(self.phase[m])],
            year=int(self.round[m]), step=int(self.substep[m]),
            rates=tuple(float(r) for r in self.rates[m]),
            skill=None if planner else float(self.skills[m, player]), memory=tuple(memory),
            years=years if planner else years[-1:], candidates=candidates)
