"""Worker and planner policies of the tax-planner game (``games.tax_planner``).

Workers: :class:`BestResponseWorker` (exact best response to the schedule and the equilibrium
rebate; votes for the candidate schedule that gives it the highest utility),
:class:`QuantalWorker` (logit choice over an hours grid and over the ballot) and
:class:`NoisyWorker` (best response plus Gaussian noise); :func:`llm_worker` is the
constrained :class:`~agora.policies.llm_policy.LLMPolicy` with the game's persona prompts.
Planners move toward a target schedule as far as the per-update cap allows:
:class:`USPlanner`, :class:`FlatPlanner`, :class:`SaezPlanner` (Saez rates from last year's
incomes), :class:`StackelbergPlanner` (the numerical welfare optimum given best responses);
:func:`llm_planner` proposes schedules in context. :class:`ByRolePolicy` seats one policy per
role (workers, planner) under one runner policy.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.special import softmax

from agora.engine.batch import DecisionBatch, Decisions
from agora.engine.streams import Streams
from agora.policies.base import Policy
from agora.policies.scripted import by_spec

if TYPE_CHECKING:
    from agora.llm.base import Backend
    from agora.policies.llm_policy import LLMPolicy
    from games.tax_planner.env import TaxPlannerKernel


def _kernel(batch: DecisionBatch) -> TaxPlannerKernel:
    from games.tax_planner.env import TaxPlannerKernel

    if not isinstance(batch.kernel, TaxPlannerKernel):
        raise TypeError(f"tax policies play the tax_planner game, not {batch.kernel.name!r}")
    return batch.kernel


# --------------------------------------------------------------------------- workers
class _Worker(Policy):
    """Shared machinery: per-economy candidate utilities and action assembly."""

    def act(self, batch: DecisionBatch, rng: Streams) -> Decisions:
        k = _kernel(batch)
        rng = Streams.coerce(rng, len(batch))
        actions = np.empty(len(batch), dtype=object)
        for idx, spec in by_spec(batch):
            inst, players = batch.instances[idx], batch.players[idx]
            sub = rng if idx.size == len(batch) else rng.subset(idx)
            if spec.name == "hours":
                hours = self.hours(k, inst, players, sub)
                actions[idx] = [{"hours": float(h)} for h in hours]
            elif spec.name == "vote":
                names = k.config.vote_candidates
                choice = self.vote(k, inst, players, sub)
                actions[idx] = [{"vote": names[int(c)]} for c in choice]
            else:
                raise TypeError(f"{self.name} plays workers; got a {spec.name!r} decision")
        return Decisions(actions=actions)

    @abstractmethod
    def hours(self, k: TaxPlannerKernel, inst: np.ndarray, players: np.ndarray,
              rng: Streams) -> np.ndarray:
        """Weekly hours of each (economy, worker) decision."""

    @abstractmethod
    def vote(self, k: TaxPlannerKernel, inst: np.ndarray, players: np.ndarray,
             rng: Streams) -> np.ndarray:
        """Index of the candidate each worker votes for."""

    @staticmethod
    def best_hours(k: TaxPlannerKernel, inst: np.ndarray,
                   players: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Best-response hours and the expected (equilibrium) rebate of each decision."""
        from games.tax_planner import theory, utility

        econ, pos = np.unique(inst, return_inverse=True)
        rebate = theory.equilibrium_rebate(k.skills[econ], k.rates[econ], k.config)
        hours = utility.best_response(k.skills[econ], k.rates[econ], rebate, k.config)
        return hours[pos, players], rebate[pos]

    @staticmethod
    def ballot_utilities(k: TaxPlannerKernel, inst: np.ndarray,
                         players: np.ndarray) -> np.ndarray:
        """``(decisions, candidates)`` equilibrium utility of each worker under each candidate."""
        from games.tax_planner import theory

        econ, pos = np.unique(inst, return_inverse=True)
        cands = k.candidates[econ]                                   # (E, C, B)
        n_c = cands.shape[1]
        skills = np.repeat(k.skills[econ][:, None, :], n_c, axis=1)  # (E, C, N)
        u = theory.equilibrium(skills, cands, k.config).utility      # (E, C, N)
        return u[pos, :, players]


class BestResponseWorker(_Worker):
    """Exact best response to the schedule in force and the equilibrium rebate.

    Votes for the candidate schedule whose best-response equilibrium gives it the highest
    utility (sincere, utility-based voting).
    """

    name = "tax_best_response"

    def hours(self, k: TaxPlannerKernel, inst: np.ndarray, players: np.ndarray,
              rng: Streams) -> np.ndarray:
        return self.best_hours(k, inst, players)[0]

    def vote(self, k: TaxPlannerKernel, inst: np.ndarray, players: np.ndarray,
             rng: Streams) -> np.ndarray:
        return np.argmax(self.ballot_utilities(k, inst, players), axis=1)

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

    def hours(self, k: TaxPlannerKernel, inst: np.ndarray, players: np.ndarray,
              rng: Streams) -> np.ndarray:
        from games.tax_planner import utility

        _, rebate = self.best_hours(k, inst, players)
        grid = np.linspace(0.0, k.config.max_hours, self.grid_size)
        skills = k.skills[inst, players][:, None]
        x = utility.consumption(np.broadcast_to(skills, (inst.size, grid.size)),
                                np.broadcast_to(grid, (inst.size, grid.size)), k.rates[inst],
                                rebate, k.config)
        u = utility.utility(x, grid, k.config)
        probs = softmax(self.lam * u, axis=1)
        cdf = np.cumsum(probs, axis=1)
        pick = (cdf < rng.random((inst.size, 1)) * cdf[:, -1:]).sum(axis=1)
        return grid[np.minimum(pick, grid.size - 1)]

    def vote(self, k: TaxPlannerKernel, inst: np.ndarray, players: np.ndarray,
             rng: Streams) -> np.ndarray:
        probs = softmax(self.lam * self.ballot_utilities(k, inst, players), axis=1)
        cdf = np.cumsum(probs, axis=1)
        return np.minimum((cdf < rng.random((inst.size, 1)) * cdf[:, -1:]).sum(axis=1),
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

    def hours(self, k: TaxPlannerKernel, inst: np.ndarray, players: np.ndarray,
              rng: Streams) -> np.ndarray:
        h = self.best_hours(k, inst, players)[0] + rng.normal(0.0, self.sd, inst.size)
        return np.clip(h, 0.0, k.config.max_hours)

    def vote(self, k: TaxPlannerKernel, inst: np.ndarray, players: np.ndarray,
             rng: Streams) -> np.ndarray:
        return np.argmax(self.ballot_utilities(k, inst, players), axis=1)

    def describe(self) -> dict[str, Any]:
        return {"kind": "tax_noisy", "sd": self.sd}


# --------------------------------------------------------------------------- planners
class _TargetPlanner(Policy):
    """Moves every rate toward a target schedule, as far as the change cap allows."""

    def act(self, batch: DecisionBatch, rng: Streams) -> Decisions:
        from games.tax_planner.spec import ScheduleSpec

        k = _kernel(batch)
        actions = np.empty(len(batch), dtype=object)
        for i in range(len(batch)):
            spec = batch.spec_at(i)
            if not isinstance(spec, ScheduleSpec):
                raise TypeError(f"{self.name} plays the planner; got a {spec.name!r} decision")
            target = np.asarray(self.target(k, int(batch.instances[i])), dtype=np.float64)
            if target.shape != (k.config.n_brackets,):
                raise ValueError(f"{self.name}: target schedule has {target.size} rates for "
                                 f"{k.config.n_brackets} brackets")
            actions[i] = spec.action(target)
        return Decisions(actions=actions)

    @abstractmethod
    def target(self, k: TaxPlannerKernel, instance: int) -> np.ndarray:
        """Schedule (fractions) the planner wants in economy ``instance``."""


class SchedulePlanner(_TargetPlanner):
    """Always aims at one fixed schedule (fractions in [0, 1])."""

    def __init__(self, rates: tuple[float, ...] | list[float], name: str = "tax_schedule") -> None:
        r = np.asarray(rates, dtype=np.float64)
        if r.ndim != 1 or r.size < 1 or np.any((r < 0) | (r > 1)) or not np.isfinite(r).all():
            raise ValueError(f"SchedulePlanner: rates must be a list of numbers in [0, 1], "
                             f"got {rates!r}")
        self.rates = r
        self.name = name

    def target(self, k: TaxPlannerKernel, instance: int) -> np.ndarray:
        return self.rates

    def describe(self) -> dict[str, Any]:
        return {"kind": "tax_schedule", "rates": self.rates.tolist()}


class USPlanner(_TargetPlanner):
    """The U.S. federal single-filer rates of ``year`` (default: the game's bracket year)."""

    def __init__(self, year: int | None = None) -> None:
        if year is not None:
            from games.tax_planner.theory import us_brackets

            us_brackets(year)  # a clear error for an unknown year
        self.year = year
        self.name = "tax_us" if year is None else f"tax_us({year})"

    def target(self, k: TaxPlannerKernel, instance: int) -> np.ndarray:
        from games.tax_planner.theory import us_brackets

        return np.asarray(us_brackets(self.year or k.config.bracket_year)[1])

    def describe(self) -> dict[str, Any]:
        return {"kind": "tax_us", "year": self.year}


class FlatPlanner(_TargetPlanner):
    """One rate on all income."""

    def __init__(self, rate: float) -> None:
        if not (np.isfinite(rate) and 0 <= rate <= 1):
            raise ValueError(f"FlatPlanner: rate must be in [0, 1], got {rate}")
        self.rate = float(rate)
        self.name = f"tax_flat({rate:g})"

    def target(self, k: TaxPlannerKernel, instance: int) -> np.ndarray:
        return np.full(k.config.n_brackets, self.rate)

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

    def target(self, k: TaxPlannerKernel, instance: int) -> np.ndarray:
        return k.saez_from_last_year(instance, self.elasticity)

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

    def target(self, k: TaxPlannerKernel, instance: int) -> np.ndarray:
        from games.tax_planner.theory import stackelberg_optimum

        skills = k.skills[instance]
        key = skills.tobytes() + repr(k.config.to_dict()).encode()
        if key not in self._cache:
            self._cache[key] = stackelberg_optimum(
                skills, k.config, self.objective, max_evaluations=self.max_evaluations).rates
        return self._cache[key]

    def describe(self) -> dict[str, Any]:
        return {"kind": "tax_stackelberg", "objective": self.objective,
                "max_evaluations": self.max_evaluations}


# --------------------------------------------------------------------------- LLM and roles
def llm_planner(backend: Backend | str | None = None, *,
                backend_options: dict[str, Any] | None = None, **settings: Any) -> LLMPolicy:
    """The in-context LLM planner: the game prompt shows past schedules and outcomes and the
    answer is a constrained JSON schedule within the change cap."""
    settings.setdefault("max_tokens", 160)
    settings.setdefault("name", "llm_planner")
    return _llm(backend, backend_options, settings)


def llm_worker(backend: Backend | str | None = None, *,
               backend_options: dict[str, Any] | None = None, **settings: Any) -> LLMPolicy:
    """The LLM persona worker: chooses hours (and votes) through the constrained LLM policy;
    the prompt carries its persona, the schedule and its utility in words."""
    settings.setdefault("max_tokens", 24)
    settings.setdefault("name", "llm_worker")
    return _llm(backend, backend_options, settings)


def _llm(backend: Backend | str | None, options: dict[str, Any] | None,
         settings: dict[str, Any]) -> LLMPolicy:
    from agora.policies.llm_policy import LLMPolicy

    if isinstance(backend, str):
        from agora.llm import make_backend

        backend = make_backend(backend, **(options or {}))
    return LLMPolicy(backend, **settings)


class ByRolePolicy(Policy):
    """One policy per role of the game (e.g. LLM workers and a Stackelberg planner)."""

    def __init__(self, **policies: Policy) -> None:
        if not policies or not all(isinstance(p, Policy) for p in policies.values()):
            raise ValueError("ByRolePolicy needs role=Policy keyword arguments")
        self.policies = policies
        self.name = "+".join(f"{r}:{p.name}" for r, p in policies.items())

    def act(self, batch: DecisionBatch, rng: Streams) -> Decisions:
        rng = Streams.coerce(rng, len(batch))
        roles = np.asarray(batch.kernel.roles, dtype=object)[batch.roles]
        unknown = set(roles.tolist()) - set(self.policies)
        if unknown:
            raise ValueError(f"ByRolePolicy has no policy for role(s) {sorted(unknown)}")
        actions = np.empty(len(batch), dtype=batch.kernel.action_dtype)
        columns: dict[str, np.ndarray] = {}
        for role, policy in self.policies.items():
            idx = np.flatnonzero(roles == role)
            if idx.size == 0:
                continue
            whole = idx.size == len(batch)
            out = policy.act(batch if whole else batch.subset(idx),
                             rng if whole else rng.subset(idx))
            actions[idx] = out.actions
            for name, col in out.columns.items():
                if name not in columns:
                    columns[name] = np.full(len(batch), None, dtype=object)
                columns[name][idx] = np.asarray(col, dtype=object)
        return Decisions(actions=actions, columns=columns)

    def describe(self) -> dict[str, Any]:
        return {"kind": "by_role", **{r: p.describe() for r, p in self.policies.items()}}

    def telemetry(self) -> dict[str, Any]:
        """Telemetry of every role's policy that reports any."""
        out = {}
        for role, p in self.policies.items():
            stats = getattr(p, "telemetry", None)
            if callable(stats):
                out[role] = stats()
        return out

    def state_dict(self) -> dict[str, Any]:
        """States of the role policies that have one (for resumable runs)."""
        return {r: p.state_dict() for r, p in self.policies.items()  # type: ignore[attr-defined]
                if callable(getattr(p, "state_dict", None))}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state_dict`."""
        for role, s in state.items():
            self.policies[role].load_state_dict(s)  # type: ignore[attr-defined]

    def drain_prompts(self) -> dict[str, str]:
        """New prompts of every role's policy that logs them (for the run's prompt log)."""
        from agora.engine.prompt_log import drain_policy_prompts

        return drain_policy_prompts(self.policies.values())

    def close(self) -> None:
        for p in self.policies.values():
            p.close()


def by_role(**roles: dict[str, Any]) -> ByRolePolicy:
    """:class:`ByRolePolicy` from plain specs, e.g. ``worker={"kind": "tax_best_response"}``."""
    from agora.policies.registry import make_policy

    policies = {}
    for role, spec in roles.items():
        if not isinstance(spec, dict) or "kind" not in spec:
            raise ValueError(f"by_role: role {role!r} needs a policy spec with a 'kind'")
        params = {k: v for k, v in spec.items() if k != "kind"}
        policies[role] = make_policy(spec["kind"], **params)
    return ByRolePolicy(**policies)
