"""Optimal-tax benchmarks of the tax-planner game: Saez rates, Stackelberg optimum, outcomes.

* Saez (2001): the revenue-maximising top rate above ``z*`` is ``τ* = (1 − g)/(1 − g + a·e)``
  with ``a`` the Pareto tail parameter, ``e`` the elasticity of taxable income and ``g`` the
  average welfare weight above ``z*`` (1/(1 + a·e) when ``g = 0``). Following the LLM Economist
  code, every bracket gets this rate with its own lower threshold as ``z*``, the local
  ``a = m/(m − z*)`` (``m`` the mean income above ``z*``, exact for a Pareto tail) and ``G`` the
  mean normalised welfare weight of the incomes above it. Welfare weights are the marginal
  social value of a dollar to each worker: ``∂W/∂xᵢ`` (1 for utilitarian quasilinear, ``1/zᵢ``
  for LLM Economist's ``Σ uᵢ/zᵢ``), normalised to mean 1. With ``u = x − c·l^δ`` income is
  ``∝ (1 − τ)^(1/(δ−1))``, so ``e = 1/(δ − 1) = 0.4`` for δ = 3.5 (LLM Economist's default ε).
* Stackelberg: the planner leads, workers best respond (:mod:`games.tax_planner.utility`) and the
  rebate is the equilibrium one (a fixed point under income effects). :func:`stackelberg_optimum`
  maximises the social welfare function over the rates with scipy's bounded Powell search,
  started from the best of the U.S., Saez, zero and flat schedules, so its welfare is never below
  theirs.
* U.S. federal single-filer brackets (2024, 2025): :func:`us_brackets`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from agora.engine.streams import Streams
from agora.engine.welfare_metrics import (
    equality_times_productivity,
    gini,
    inverse_income_weighted_welfare,
    utilitarian,
)
from games.tax_planner.config import US_BRACKETS, Objective, Rebate, TaxConfig, Utility
from games.tax_planner.utility import (
    best_response,
    efficient_hours,
    marginal_utility,
    no_tax_hours,
    surplus,
    tax_due,
    utility,
)

if TYPE_CHECKING:
    from games.tax_planner.view import TaxView


def us_brackets(year: int) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """U.S. federal single-filer ``(upper thresholds, rates)``; the last threshold is ∞."""
    try:
        return US_BRACKETS[year]
    except KeyError:
        raise ValueError(f"us_brackets: no bracket table for {year!r}; known years: "
                         f"{sorted(US_BRACKETS)}") from None


def saez_top_rate(a: float, e: float, g: float = 0.0) -> float:
    """Saez (2001) top rate ``(1 − g)/(1 − g + a·e)`` (``1/(1 + a·e)`` for ``g = 0``)."""
    if a <= 0 or e < 0:
        raise ValueError("saez_top_rate: need a > 0 and e >= 0")
    if not 0 <= g <= 1:
        raise ValueError(f"saez_top_rate: welfare weight g must lie in [0, 1], got {g}")
    den = 1 - g + a * e
    return (1 - g) / den if den > 0 else 0.0


def pareto_tail_parameter(incomes: np.ndarray, threshold: float) -> float:
    """Local Pareto parameter ``a = m/(m − z*)``, ``m`` the mean income above ``z*``."""
    z = np.asarray(incomes, dtype=np.float64)
    top = z[z >= threshold]
    if top.size == 0:
        raise ValueError("pareto_tail_parameter: no incomes above the threshold")
    m = float(top.mean())
    if m <= threshold:
        return math.inf
    return m / (m - threshold)


def taxable_income_elasticity(config: TaxConfig) -> float:
    """Elasticity of taxable income w.r.t. the net-of-tax rate implied by the utility.

    Quasilinear: ``1/(δ − 1)``; isoelastic without rebate: ``(1 − η)/(δ − 1 + η)``.
    """
    d = config.delta
    if d == 1:
        return math.inf
    if config.utility is Utility.QUASILINEAR:
        return 1.0 / (d - 1.0)
    return (1.0 - config.eta) / (d - 1.0 + config.eta)


# --------------------------------------------------------------------------- outcomes
@dataclass(frozen=True, kw_only=True)
class Outcome:
    """One period of an economy (arrays ``(..., N)`` per worker, ``(...,)`` per economy).

    Incomes, taxes, revenue and rebate are annual dollars; utilities and consumption weekly.
    """

    hours: np.ndarray
    income: np.ndarray
    tax: np.ndarray
    post_tax: np.ndarray
    """Annual income after tax and rebate."""
    consumption: np.ndarray
    utility: np.ndarray
    revenue: np.ndarray
    rebate: np.ndarray
    welfare_utilitarian: np.ndarray
    welfare_inverse_income: np.ndarray
    """``Σ uᵢ / zᵢ`` at laissez-faire incomes (earning capacity), floored."""
    welfare_inverse_realised: np.ndarray
    """``Σ uᵢ / zᵢ`` at realised incomes, floored."""
    gini_pre: np.ndarray
    gini_post: np.ndarray
    eq_x_prod: np.ndarray
    dwl: np.ndarray
    """Deadweight-loss proxy: annual production surplus lost against the efficient hours."""

    def welfare(self, objective: Objective) -> np.ndarray:
        """The social welfare function ``objective``."""
        return {Objective.UTILITARIAN: self.welfare_utilitarian,
                Objective.INVERSE_INCOME: self.welfare_inverse_income,
                Objective.INVERSE_REALISED: self.welfare_inverse_realised}[Objective(objective)]


def _rows(fn: object, *arrays: np.ndarray) -> np.ndarray:
    """Apply a 1-d welfare function row by row over the leading axes."""
    lead = arrays[0].shape[:-1]
    flat = [a.reshape(-1, a.shape[-1]) for a in arrays]
    out = np.array([fn(*row) for row in zip(*flat, strict=True)])  # type: ignore[operator]
    return out.reshape(lead)


def weight_incomes(skills: np.ndarray, income: np.ndarray, config: TaxConfig,
                   objective: Objective) -> np.ndarray:
    """Incomes ``zᵢ`` in the inverse-income weights ``1/zᵢ``, floored at ``income_floor``:
    laissez-faire incomes for ``inverse_income``, realised ones for ``inverse_realised``."""
    if objective is Objective.INVERSE_REALISED:
        z = np.asarray(income, dtype=np.float64)
    else:
        s = np.asarray(skills, dtype=np.float64)
        z = config.weeks * s * no_tax_hours(s, config)
    return np.maximum(z, config.income_floor)


def outcome(skills: np.ndarray, hours: np.ndarray, rates: np.ndarray,
            config: TaxConfig) -> Outcome:
    """Incomes, taxes, rebate, utilities and welfare metrics of given hours under ``rates``."""
    assert config.thresholds is not None
    s = np.asarray(skills, dtype=np.float64)
    h = np.asarray(hours, dtype=np.float64)
    w = config.weeks
    z = w * s * h
    t = tax_due(z, rates, config.thresholds)
    revenue = t.sum(axis=-1)
    rebate = revenue / s.shape[-1] if config.rebate is Rebate.EQUAL else np.zeros_like(revenue)
    post = z - t + rebate[..., None]
    x = post / w
    u = utility(x, h, config)
    capacity = weight_incomes(s, z, config, Objective.INVERSE_INCOME)
    realised = weight_incomes(s, z, config, Objective.INVERSE_REALISED)
    lost = surplus(s, efficient_hours(s, config), config) - surplus(s, h, config)
    return Outcome(
        hours=h, income=z, tax=t, post_tax=post, consumption=x, utility=u, revenue=revenue,
        rebate=rebate,
        welfare_utilitarian=np.asarray(utilitarian(u)),
        welfare_inverse_income=_rows(inverse_income_weighted_welfare, u, capacity),
        welfare_inverse_realised=_rows(inverse_income_weighted_welfare, u, realised),
        gini_pre=np.asarray(gini(z)), gini_post=np.asarray(gini(np.maximum(post, 0.0))),
        eq_x_prod=np.asarray(equality_times_productivity(np.maximum(post, 0.0))),
        dwl=w * lost.sum(axis=-1))


def equilibrium_rebate(skills: np.ndarray, rates: np.ndarray, config: TaxConfig,
                       iterations: int = 48) -> np.ndarray:
    """Per-worker rebate ``R`` with ``R = revenue(best responses to R)/N`` (per economy).

    Quasilinear workers ignore ``R`` (one pass); under income effects revenue falls in ``R``,
    so ``R − revenue(R)/N`` is increasing and bisection finds the unique root.
    """
    s = np.asarray(skills, dtype=np.float64)
    lead = s.shape[:-1]
    if config.rebate is Rebate.NONE:
        return np.zeros(lead)
    assert config.thresholds is not None

    def per_worker(r: np.ndarray) -> np.ndarray:
        h = best_response(s, rates, r, config)
        return tax_due(config.weeks * s * h, rates, config.thresholds).mean(axis=-1)

    zero = np.zeros(lead)
    first = per_worker(zero)
    if config.utility is Utility.QUASILINEAR:
        return first
    lo, hi = zero, first
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        above = mid - per_worker(mid) > 0
        lo, hi = np.where(above, lo, mid), np.where(above, mid, hi)
    return 0.5 * (lo + hi)


def equilibrium(skills: np.ndarray, rates: np.ndarray, config: TaxConfig) -> Outcome:
    """Outcome when every worker best responds to ``rates`` and the equilibrium rebate."""
    rebate = equilibrium_rebate(skills, rates, config)
    return outcome(skills, best_response(skills, rates, rebate, config), rates, config)


def social_welfare(skills: np.ndarray, rates: np.ndarray, config: TaxConfig,
                   objective: Objective | str | None = None) -> float:
    """Welfare of the best-response equilibrium under ``rates`` (one economy)."""
    obj = config.objective if objective is None else Objective(objective)
    return float(equilibrium(skills, rates, config).welfare(obj))


# --------------------------------------------------------------------------- Saez
def welfare_weights_of(skills: np.ndarray, income: np.ndarray, consumption: np.ndarray,
                       config: TaxConfig,
                       objective: Objective | str | None = None) -> np.ndarray:
    """Marginal social value ``∂W/∂xᵢ`` of a dollar to each worker, normalised to mean 1.

    Utilitarian: ``u'(xᵢ)``; inverse-income: ``u'(xᵢ)/zᵢ`` (:func:`weight_incomes`).
    """
    obj = config.objective if objective is None else Objective(objective)
    g = marginal_utility(consumption, config)
    if obj is not Objective.UTILITARIAN:
        g = g / weight_incomes(skills, income, config, obj)
    finite = np.isfinite(g)
    g = np.where(finite, g, g[finite].max() if finite.any() else 1.0)  # zero consumption
    return g / g.mean(axis=-1, keepdims=True)


def welfare_weights(skills: np.ndarray, result: Outcome, config: TaxConfig,
                    objective: Objective | str | None = None) -> np.ndarray:
    """:func:`welfare_weights_of` an outcome of workers with ``skills``."""
    return welfare_weights_of(skills, result.income, result.consumption, config, objective)


def saez_rates(incomes: np.ndarray, thresholds: tuple[float, ...], elasticity: float,
               weights: np.ndarray | None = None) -> np.ndarray:
    """Saez rate of every bracket from one income distribution ``(N,)``.

    Bracket ``k`` uses its lower threshold ``z*`` (0 for the first): ``a = m/(m − z*)`` and
    ``G`` = mean weight of incomes ``>= z*`` (``weights`` normalised to mean 1 over everyone;
    ``None`` means zero weight, i.e. revenue maximisation). Brackets no income reaches take the
    rate of the bracket below.
    """
    z = np.asarray(incomes, dtype=np.float64)
    if z.ndim != 1 or z.size == 0:
        raise ValueError("saez_rates: incomes must be a non-empty 1-d array")
    if not elasticity > 0:
        raise ValueError(f"saez_rates: elasticity must be > 0, got {elasticity}")
    g = None
    if weights is not None:
        g = np.asarray(weights, dtype=np.float64)
        g = g / g.mean()
    lows = np.concatenate([[0.0], np.asarray(thresholds, dtype=np.float64)])
    rates = np.zeros(lows.size)
    for k, low in enumerate(lows):
        above = z >= low if low > 0 else z > 0
        if not above.any():
            rates[k] = rates[k - 1] if k else 0.0
            continue
        a = pareto_tail_parameter(z[above], low) if low > 0 else 1.0
        big_g = 0.0 if g is None else float(min(g[above].mean(), 1.0))
        rates[k] = 0.0 if math.isinf(a) else saez_top_rate(a, elasticity, big_g)
    return np.clip(rates, 0.0, 1.0)


def saez_from_year(skills: np.ndarray, income: np.ndarray, post_tax: np.ndarray,
                   config: TaxConfig, elasticity: float | None = None) -> np.ndarray:
    """Saez rates from one tax year of one economy: each worker's mean annual ``income`` and
    ``post_tax`` income give the incomes and welfare weights (``elasticity`` defaults to
    :func:`taxable_income_elasticity`)."""
    assert config.thresholds is not None
    x = post_tax / config.weeks
    g = welfare_weights_of(skills, income, x, config)
    e = taxable_income_elasticity(config) if elasticity is None else elasticity
    return saez_rates(income, config.thresholds, e, g)


def saez_schedule(skills: np.ndarray, config: TaxConfig, *, elasticity: float | None = None,
                  objective: Objective | str | None = None, start: np.ndarray | None = None,
                  iterations: int = 30) -> np.ndarray:
    """Saez rates at their fixed point: incomes and weights from the equilibrium they induce.

    Starts from ``start`` (default the config's initial schedule) and alternates Saez rates and
    best-response incomes, as a planner recomputing Saez's formula every tax year does.
    """
    assert config.thresholds is not None
    e = taxable_income_elasticity(config) if elasticity is None else float(elasticity)
    rates = np.asarray(config.initial_rates if start is None else start, dtype=np.float64)
    for _ in range(iterations):
        eq = equilibrium(skills, rates, config)
        new = saez_rates(eq.income, config.thresholds, e,
                         welfare_weights(skills, eq, config, objective))
        if np.max(np.abs(new - rates)) < 1e-6:
            return new
        rates = new
    return rates


# --------------------------------------------------------------------------- Stackelberg
@dataclass(frozen=True, kw_only=True)
class StackelbergResult:
    """The welfare-maximising schedule and how it was found."""

    rates: np.ndarray
    welfare: float
    start: str
    """Which candidate schedule the search started from."""
    start_welfare: float
    evaluations: int


def candidate_schedules(skills: np.ndarray, config: TaxConfig,
                        objective: Objective | str | None = None) -> dict[str, np.ndarray]:
    """Named starting schedules: zero, the initial (U.S.) one, Saez and flat 10 %..90 %."""
    b = config.n_brackets
    out = {"zero": np.zeros(b), "initial": np.asarray(config.initial_rates, dtype=np.float64),
           "saez": saez_schedule(skills, config, objective=objective)}
    for r in np.arange(1, 10) / 10:
        out[f"flat_{r:.1f}"] = np.full(b, r)
    return out


def stackelberg_optimum(skills: np.ndarray, config: TaxConfig,
                        objective: Objective | str | None = None, *, max_evaluations: int = 4000,
                        extra_starts: dict[str, np.ndarray] | None = None) -> StackelbergResult:
    """Rates in [0, 1]^B maximising social welfare given workers' best responses.

    Bounded Powell search (scipy) from the best candidate schedule; the result is never worse
    than any candidate (U.S., Saez, zero, flat, ``extra_starts``).
    """
    from scipy.optimize import minimize

    obj = config.objective if objective is None else Objective(objective)
    s = np.asarray(skills, dtype=np.float64)
    starts = candidate_schedules(s, config, obj)
    starts.update(extra_starts or {})
    scored = {name: social_welfare(s, r, config, obj) for name, r in starts.items()}
    best = max(scored, key=lambda k: scored[k])
    count = [0]

    def loss(r: np.ndarray) -> float:
        count[0] += 1
        return -social_welfare(s, np.clip(r, 0.0, 1.0), config, obj)

    res = minimize(loss, starts[best], method="Powell", bounds=[(0.0, 1.0)] * config.n_brackets,
                   options={"xtol": 1e-4, "ftol": 1e-10, "maxfev": max_evaluations})
    rates = np.clip(np.asarray(res.x, dtype=np.float64), 0.0, 1.0)
    welfare = social_welfare(s, rates, config, obj)
    if welfare < scored[best]:
        rates, welfare = np.asarray(starts[best], dtype=np.float64), scored[best]
    return StackelbergResult(rates=rates, welfare=welfare, start=best,
                             start_welfare=scored[best], evaluations=count[0])


def equilibrium_actions(view: TaxView) -> np.ndarray:
    """Stackelberg play of a batch of decisions (a :class:`~games.tax_planner.view.TaxView`):
    workers best respond (and vote for the candidate that gives them the most utility); the
    planner moves toward the welfare optimum within the cap.

    The optimum of each distinct economy is computed once and kept (see :func:`_optimum`).
    """
    from games.tax_planner.players import equilibrium_play

    return equilibrium_play(view)


# --------------------------------------------------------------------------- skills
GB2_ACS_2023 = {"mu": 72_402.78, "sigma": 2.0721, "nu": 0.48652, "tau": 1.14104}
"""LLM Economist's GB2 fit to ACS 2023 incomes (GAMLSS parameterisation)."""
HOURS_PER_YEAR = 2080.0
"""40 hours × 52 weeks: LLM Economist's skill is a GB2 income draw per 40 weekly hours."""


def draw_skills(size: int | tuple[int, ...], rng: np.random.Generator | Streams,
                config: TaxConfig) -> np.ndarray:
    """Hourly wages from the GB2 income fit (``Y = μ·(B/(1 − B))^(1/σ)``, ``B ~ Beta(ν, τ)``),
    divided by 2,080 hours and clipped to ``[min_skill, max_skill]``.

    With a kernel's per-economy :class:`~agora.engine.streams.Streams`, ``size`` is
    ``(economies, workers)``."""
    p = GB2_ACS_2023
    b = rng.beta(p["nu"], p["tau"], size=size)
    b = np.clip(b, 1e-12, 1 - 1e-12)
    income = p["mu"] * (b / (1 - b)) ** (1 / p["sigma"])
    return np.clip(income / HOURS_PER_YEAR, config.min_skill, config.max_skill)
