"""How the tax-planner game is told to a language model (workers and planner).

Rules depend only on the config and the role (the shared, cached prefix). A worker's situation
states the schedule in force and its own utility in words: what 20, 40 and 60 hours a week
would leave it after tax and cost it in effort at its wage.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from agora.engine.prompting import json_answer_instruction, number
from agora.engine.structured import ChoiceSpec, OfferSpec
from games.tax_planner.config import Objective, Rebate, TaxConfig, Utility
from games.tax_planner.utility import tax_due

if TYPE_CHECKING:
    from games.tax_planner.observation import TaxObservation

EXAMPLE_HOURS = (20.0, 40.0, 60.0)


def money(x: float) -> str:
    """Dollars with thousands separators, no cents."""
    return f"${x:,.0f}" if x >= 0 else f"-${-x:,.0f}"


def bracket_labels(config: TaxConfig) -> tuple[str, ...]:
    """``"income $0 to $11,925"`` ... ``"income above $626,350"``."""
    t = config.thresholds or ()
    lows = (0.0, *t)
    out = [f"income {money(lo)} to {money(hi)}" for lo, hi in zip(lows, t, strict=False)]
    return (*out, f"income above {money(lows[-1])}")


def rates_text(rates: tuple[float, ...] | np.ndarray) -> str:
    """``"10%, 12%, 22%"``."""
    return ", ".join(f"{number(100 * r, 1)}%" for r in rates)


def effort_text(config: TaxConfig) -> str:
    """The effort cost ``c·l^δ`` at a few hours, in dollars a week."""
    pts = ", ".join(f"{number(h)} h {money(config.c * h ** config.delta)}"
                    for h in (10.0, 20.0, 40.0, 60.0, 80.0) if h <= config.max_hours)
    return (f"{number(config.c, 6)} × hours^{number(config.delta, 3)} dollars a week "
            f"({pts})")


class TaxPlannerPrompts:
    """Rules, situation and answer format for workers and the planner."""

    def rules(self, config: TaxConfig, role: str) -> str:
        c = config
        rebate = ("All tax revenue is paid back in equal shares to every worker."
                  if c.rebate is Rebate.EQUAL else "Tax revenue is spent by the government.")
        if role == "planner":
            goal = {Objective.UTILITARIAN: "the sum of the workers' well-being",
                    Objective.INVERSE_INCOME: "the sum over workers of their well-being divided "
                    "by their pre-tax income without taxes (more weight on low earners)",
                    Objective.INVERSE_REALISED: "the sum over workers of their well-being "
                    "divided by their pre-tax income (more weight on low earners)"}[c.objective]
            return (
                f"You are the tax planner of an economy of {c.n_workers} workers. At the start "
                f"of each of {c.tax_years} tax years you set the marginal tax rate, in percent, "
                f"of each of {c.n_brackets} income brackets ({'; '.join(bracket_labels(c))}). "
                f"Each rate applies only to the part of income inside its bracket. Workers then "
                f"choose how many hours to work, knowing the rates; higher rates raise revenue "
                f"but make people work less. {rebate} Your goal is to maximise social welfare: "
                f"{goal}. Each year you may change every rate by at most "
                f"{number(100 * c.max_rate_change, 1)} percentage points.")
        if c.utility is Utility.QUASILINEAR:
            feel = "your weekly income after tax, plus your rebate share"
        else:
            feel = ("your weekly income after tax and rebate, with each extra dollar mattering "
                    "less the more you have")
        text = (
            f"You are one of {c.n_workers} workers in an economy with a tax planner. Each "
            f"period you choose how many hours a week to work, from 0 to "
            f"{number(c.max_hours)}. Your yearly pre-tax income is your hourly wage × hours × "
            f"{number(c.weeks)} weeks. Income is taxed in brackets of yearly income "
            f"({'; '.join(f'{k + 1}: {lab[7:]}' for k, lab in enumerate(bracket_labels(c)))}); "
            f"each rate applies only to the part of income inside its bracket. The planner "
            f"sets the rates at the start of each tax year ({c.steps_per_year} "
            f"period{'s' if c.steps_per_year > 1 else ''}). "
            f"{rebate} Your well-being is {feel}, minus the cost of your effort: "
            f"{effort_text(c)}. Choose the hours that make your well-being highest.")
        if c.vote_every is not None:
            text += (f" Every {c.vote_every} tax years the workers vote between candidate tax "
                     "schedules; the one with the most votes is used that year.")
        return text

    def situation(self, config: TaxConfig, observation: TaxObservation) -> str:
        o = observation
        if o.role == "planner":
            return self._planner(config, o)
        c = config
        assert o.skill is not None
        lines = [f"Year {o.year + 1} of {c.tax_years}, period {o.step + 1} of "
                 f"{c.steps_per_year}. Your wage is ${number(o.skill, 2)} an hour."]
        if o.phase == "vote":
            lines.append("The workers now vote on this year's tax rates (brackets 1-"
                         f"{c.n_brackets}). Candidates:")
            income = o.memory[-1].income if o.memory else None
            for name, rates in o.candidates:
                line = f"- {name}: {rates_text(rates)}"
                if income is not None:
                    line += f" (your tax at your last income {money(income)}: " \
                            f"{money(_tax(c, rates, income))})"
                lines.append(line)
            return "\n".join(lines)
        lines.append(f"Tax rates this year (brackets 1-{c.n_brackets}): {rates_text(o.rates)}.")
        hours = [h for h in EXAMPLE_HOURS if h <= c.max_hours]
        z = [c.weeks * o.skill * h for h in hours]
        keep = [(x - _tax(c, o.rates, x)) / c.weeks for x in z]
        lines.append(
            f"At your wage, {'/'.join(number(h) for h in hours)} hours a week earn "
            f"{'/'.join(money(x) for x in z)} a year and leave you "
            f"{'/'.join(money(x) for x in keep)} a week after tax, for an effort cost of "
            f"{'/'.join(money(c.c * h ** c.delta) for h in hours)} a week.")
        if o.memory:
            p = o.memory[-1]
            lines.append(f"Last period you worked {number(p.hours, 1)} hours a week, earned "
                         f"{money(p.income)} a year, paid {money(p.tax)} tax and got a "
                         f"{money(p.rebate)} rebate; your well-being was "
                         f"{number(p.utility, 1)} a week.")
        return "\n".join(lines)

    def _planner(self, config: TaxConfig, o: TaxObservation) -> str:
        c = config
        lines = [f"Tax year {o.year + 1} of {c.tax_years}. Current rates: "
                 f"{rates_text(o.rates)}."]
        if not o.years:
            lines.append("No tax year has been observed yet.")
        for y in o.years:
            lines.append(
                f"Year {y.year + 1}: rates {', '.join(number(100 * r, 1) for r in y.rates)}%; "
                f"mean hours {number(y.mean_hours, 1)}, mean income {money(y.mean_income)}, "
                f"revenue per worker {money(y.revenue_per_worker)}, welfare "
                f"{number(y.welfare(c.objective), 3)}, Gini {number(y.gini, 3)}"
                + (f", voters chose {y.vote_winner}" if y.vote_winner else "") + ".")
        lines.append("Set the rates for this tax year.")
        return "\n".join(lines)

    def answer_instruction(self, spec: Any) -> str:
        if isinstance(spec, OfferSpec):
            return json_answer_instruction(spec.number)
        if isinstance(spec, ChoiceSpec):
            choices = " or ".join(f'"{ch}"' for ch in spec.choices)
            return f'Answer with JSON only, in the form {{"{spec.name}": <{choices}>}}.'
        fields = ", ".join(f'"{key}": <percent from {number(v["minimum"])} to '
                           f'{number(v["maximum"])}>'
                           for key, v in spec.json_schema()["properties"].items())
        return "Answer with JSON only, in the form {" + fields + "}."


def _tax(config: TaxConfig, rates: tuple[float, ...] | np.ndarray, income: float) -> float:
    assert config.thresholds is not None
    return float(tax_due(np.array([income]), np.asarray(rates), config.thresholds)[0])


PROMPTS = TaxPlannerPrompts()
