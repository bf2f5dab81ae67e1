"""Tax planner: brackets, Saez rates, exact best responses, kernel mechanics and records."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import agora
from agora.engine.by_role import ByRolePolicy
from agora.engine.runner import Runner
from games.tax_planner import TaxConfig, TaxPlannerKernel, theory
from games.tax_planner.metrics import year_table
from games.tax_planner.players import BestResponseWorker, SchedulePlanner
from games.tax_planner.prompts import PROMPTS
from games.tax_planner.utility import (
    best_response,
    best_response_numeric,
    flat_tax_hours,
    no_tax_hours,
    tax_due,
)

QUASI = TaxConfig()
ISO = TaxConfig(utility="isoelastic")


# --------------------------------------------------------------------------- facts
def test_us_brackets_match_facts() -> None:
    t24, r24 = theory.us_brackets(2024)
    t25, r25 = theory.us_brackets(2025)
    assert t24 == (11_600, 47_150, 100_525, 191_950, 243_725, 609_350, math.inf)
    assert t25 == (11_925, 48_475, 103_350, 197_300, 250_525, 626_350, math.inf)
    assert r24 == r25 == (0.10, 0.12, 0.22, 0.24, 0.32, 0.35, 0.37)
    with pytest.raises(ValueError, match="2023"):
        theory.us_brackets(2023)


def test_us_tax_by_hand() -> None:
    t, r = theory.us_brackets(2025)
    due = tax_due(np.array([0.0, 10_000.0, 60_000.0, 1e6]), np.array(r), t[:-1])
    top = 0.1 * 11_925 + 0.12 * 36_550 + 0.22 * 54_875 + 0.24 * 93_950 + 0.32 * 53_225 \
        + 0.35 * 375_825 + 0.37 * (1e6 - 626_350)
    np.testing.assert_allclose(due, [0.0, 1_000.0, 1192.5 + 4386.0 + 2535.5, top])


@pytest.mark.parametrize(("a", "e", "g", "expected"), [
    (1.5, 0.25, 0.0, 0.727), (2.0, 0.25, 0.0, 0.667), (1.5, 0.5, 0.0, 0.571)])
def test_saez_top_rate_facts(a: float, e: float, g: float, expected: float) -> None:
    assert theory.saez_top_rate(a, e, g) == pytest.approx(expected, abs=5e-4)
    assert theory.saez_top_rate(a, e) == pytest.approx(1 / (1 + a * e))
    assert theory.saez_top_rate(a, e, 0.3) == pytest.approx(0.7 / (0.7 + a * e))


@pytest.mark.parametrize(("a", "e"), [(1.5, 0.4), (2.0, 0.25), (3.0, 0.5)])
def test_saez_rates_on_pareto_tail(a: float, e: float) -> None:
    rng = np.random.default_rng(1)
    z = 30_000 * (1 + rng.pareto(a, size=400_000))  # Pareto(a) above $30k
    rates = theory.saez_rates(z, (50_000.0, 100_000.0, 200_000.0), e)
    np.testing.assert_allclose(rates[1:], 1 / (1 + a * e), rtol=0.03)
    # welfare weights above the threshold lower the rate: (1 - G)/(1 - G + a e)
    w = np.where(z >= 200_000, 0.5, 1.0)
    g = float((w / w.mean())[z >= 200_000].mean())
    top = theory.saez_rates(z, (50_000.0, 100_000.0, 200_000.0), e, w)[-1]
    assert top == pytest.approx(theory.saez_top_rate(a, e, g), rel=0.03)


def test_elasticity_of_quasilinear_utility_is_one_over_delta_minus_one() -> None:
    assert theory.taxable_income_elasticity(QUASI) == pytest.approx(0.4)
    s = np.array([20.0])
    z = [QUASI.weeks * s * flat_tax_hours(s, t, QUASI) for t in (0.3, 0.31)]
    eti = np.log(z[1] / z[0]) / np.log(0.69 / 0.70)
    assert eti[0] == pytest.approx(0.4, rel=1e-6)


# --------------------------------------------------------------------------- best responses
def test_no_tax_hours_closed_form() -> None:
    s = np.array([7.25, 20.0, 35.0, 100.0, 400.0])
    expected = np.minimum((s / (0.0005 * 3.5)) ** (1 / 2.5), 100.0)
    np.testing.assert_allclose(no_tax_hours(s, QUASI), expected)
    zero = np.zeros(QUASI.n_brackets)
    np.testing.assert_allclose(best_response(s, zero, 0.0, QUASI), expected)
    np.testing.assert_allclose(best_response(s, zero, 5_000.0, QUASI), expected)
    iso = (s ** 0.77 / (0.0005 * 3.5)) ** (1 / 2.73)
    np.testing.assert_allclose(best_response(s, zero, 0.0, ISO), np.minimum(iso, 100), rtol=1e-9)


@pytest.mark.parametrize("cfg", [QUASI, ISO], ids=["quasilinear", "isoelastic"])
@pytest.mark.parametrize("rate", [0.0, 0.25, 0.6, 0.95])
def test_flat_tax_best_response_closed_form(cfg: TaxConfig, rate: float) -> None:
    s = np.array([5.0, 15.0, 40.0, 90.0, 300.0])
    got = best_response(s, np.full(cfg.n_brackets, rate), 0.0, cfg)
    np.testing.assert_allclose(got, flat_tax_hours(s, rate, cfg), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("cfg", [QUASI, ISO, TaxConfig(delta=2.0, max_hours=60.0),
                                 TaxConfig(utility="isoelastic", delta=1.5)],
                         ids=["quasilinear", "isoelastic", "delta2", "iso_delta1.5"])
def test_best_response_matches_brute_force(cfg: TaxConfig) -> None:
    rng = np.random.default_rng(3)
    skills = np.exp(rng.uniform(np.log(3), np.log(500), size=(6, 25)))
    rates = rng.uniform(0, 1, size=(6, cfg.n_brackets))
    rates[0] = np.sort(rates[0])[::-1]  # falling rates: a non-convex budget set
    rates[1] = 0.0
    rebate = rng.uniform(0, 20_000, size=6)
    exact = best_response(skills, rates, rebate, cfg)
    numeric = best_response_numeric(skills, rates, rebate, cfg)
    from games.tax_planner.utility import consumption, utility

    u_exact = utility(consumption(skills, exact, rates, rebate, cfg), exact, cfg)
    u_num = utility(consumption(skills, numeric, rates, rebate, cfg), numeric, cfg)
    assert np.all(u_exact >= u_num - 1e-7 * np.maximum(1, np.abs(u_num)))
    np.testing.assert_allclose(exact, numeric, atol=2e-3)


def test_full_tax_gives_the_zero_hours_corner() -> None:
    s = np.array([8.0, 30.0, 250.0])
    for cfg in (QUASI, ISO):
        ones = np.ones(cfg.n_brackets)
        np.testing.assert_allclose(best_response(s, ones, 10_000.0, cfg), 0.0)
        eq = theory.equilibrium(s, ones, cfg)
        assert eq.revenue == 0 and eq.rebate == 0 and np.all(eq.income == 0)


def test_isoelastic_equilibrium_rebate_is_a_fixed_point() -> None:
    s = np.array([6.0, 12.0, 25.0, 60.0, 150.0])
    rates = np.full(ISO.n_brackets, 0.4)
    r = theory.equilibrium_rebate(s, rates, ISO)
    h = best_response(s, rates, r, ISO)
    revenue = tax_due(ISO.weeks * s * h, rates, ISO.thresholds or ()).mean()
    assert float(r) == pytest.approx(float(revenue), rel=1e-6)
    assert np.all(h < best_response(s, rates, 0.0, ISO))  # income effect: less work


# --------------------------------------------------------------------------- config
@pytest.mark.parametrize(("kwargs", "field"), [
    ({"n_workers": 0}, "n_workers"), ({"tax_years": 0}, "tax_years"),
    ({"bracket_year": 2023}, "bracket_year"), ({"thresholds": (5.0, 1.0)}, "thresholds"),
    ({"initial_rates": (0.1,)}, "initial_rates"), ({"max_rate_change": 0.0}, "max_rate_change"),
    ({"utility": "cobb"}, "utility"), ({"delta": 0.5}, "delta"), ({"eta": 1.0}, "eta"),
    ({"skills": (1.0, 2.0)}, "skills"), ({"objective": "rawls"}, "objective"),
    ({"vote_every": 0}, "vote_every"), ({"vote_candidates": ("proposal",)}, "vote_candidates"),
    ({"initial_rates": (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 1.5)}, "initial_rates"),
    ({"c": -1.0}, "c"), ({"max_skill": 0.5}, "max_skill")])
def test_config_errors_name_the_field(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        TaxConfig(**kwargs)


def test_make_and_defaults() -> None:
    env = agora.make("tax_planner", n_workers=3, bracket_year=2024)
    assert env.possible_agents == ["worker_0", "worker_1", "worker_2", "planner_0"]
    cfg = env.config
    assert isinstance(cfg, TaxConfig)
    assert cfg.thresholds == theory.us_brackets(2024)[0][:-1]
    assert cfg.initial_rates == theory.us_brackets(2024)[1]


# --------------------------------------------------------------------------- kernel
def _kernel(**kw: Any) -> TaxPlannerKernel:
    cfg = TaxConfig(**{"n_workers": 3, "tax_years": 2, "steps_per_year": 2, **kw})
    return TaxPlannerKernel(cfg, 2, np.random.default_rng(0))


def test_planner_alone_at_year_start_and_capped() -> None:
    k = _kernel()
    inst, players = k.pending()
    assert inst.tolist() == [0, 1] and players.tolist() == [3, 3]
    codes = k.spec_codes(inst, players)
    spec = k.spec_for_code(int(codes[0]))
    assert spec.lows[0] == 0 and spec.highs[0] == pytest.approx(30.0)   # 10 % ± 20 points
    assert spec.lows[-1] == pytest.approx(17.0) and spec.highs[-1] == pytest.approx(57.0)
    schema = spec.json_schema()["properties"]["rate_7"]
    assert (schema["minimum"], schema["maximum"]) == (17, 57)
    acts = np.array([spec.action(np.full(7, 0.9)), spec.action(np.zeros(7))], dtype=object)
    k.step(inst, players, acts)
    np.testing.assert_allclose(k.rates[0], [0.30, 0.32, 0.42, 0.44, 0.52, 0.55, 0.57])
    np.testing.assert_allclose(k.rates[1], [0.0, 0.0, 0.02, 0.04, 0.12, 0.15, 0.17])
    for _ in range(2):  # two work steps: only workers pending
        inst, players = k.pending()
        assert players.tolist() == [0, 1, 2, 0, 1, 2]
        out = k.step(inst, players, np.array([{"hours": 40.0}] * 6, dtype=object))
        assert np.all(out.all_rewards[:, 3] != 0)
    inst, players = k.pending()
    assert players.tolist() == [3, 3] and k.round.tolist() == [1, 1]


def _run(cfg: dict[str, Any], planner: Any, workers: Any = None, **kw: Any) -> Any:
    policy = ByRolePolicy(worker=workers or BestResponseWorker(), planner=planner)
    return Runner("tax_planner", cfg, policy=policy, progress=False, **kw).run().records


def test_zero_tax_gives_no_tax_labour_supply() -> None:
    skills = (7.5, 20.0, 45.0, 120.0)
    cfg = {"n_workers": 4, "tax_years": 1, "steps_per_year": 2, "skills": skills,
           "max_rate_change": 1.0}
    rec = _run(cfg, SchedulePlanner([0.0] * 7))
    work = rec.filter(rec["hours"].is_not_null()).sort("step", "agent")
    expected = no_tax_hours(np.array(skills), TaxConfig(**cfg))
    np.testing.assert_allclose(work["hours"].to_numpy().reshape(2, 4), np.tile(expected, (2, 1)))
    assert work["tax"].sum() == 0 and work["revenue"].sum() == 0


@pytest.mark.parametrize("utility", ["quasilinear", "isoelastic"])
def test_full_flat_tax_with_rebate_gives_the_corner(utility: str) -> None:
    cfg = {"n_workers": 5, "tax_years": 1, "steps_per_year": 1, "max_rate_change": 1.0,
           "utility": utility}
    rec = _run(cfg, SchedulePlanner([1.0] * 7))
    work = rec.filter(rec["hours"].is_not_null())
    assert work.height == 5
    assert work["hours"].to_list() == [0.0] * 5
    assert work["revenue"].to_list() == [0.0] * 5 and work["rebate"].to_list() == [0.0] * 5
    expected = TaxPlannerKernel(TaxConfig(**cfg), 1, np.random.default_rng(0))._utility_bounds()
    floor = 0.0 if utility == "quasilinear" else -1 / (1 - 0.23)
    assert work["utility"].to_list() == pytest.approx([floor] * 5)
    assert expected[0] < floor


def test_records_and_year_table() -> None:
    cfg = {"n_workers": 6, "tax_years": 3, "steps_per_year": 2}
    rec = _run(cfg, SchedulePlanner([0.3] * 7), n_instances=2, seed=4)
    planner_rows = rec.filter(rec["role"] == "planner")
    assert planner_rows.height == 2 * 3                       # one request per tax year
    assert planner_rows["hours"].null_count() == planner_rows.height
    # cap: from the U.S. 10 % the first update reaches at most 30 %
    first = planner_rows.filter(planner_rows["round"] == 0)
    assert first["rate_1"].to_list() == pytest.approx([0.3, 0.3])
    assert first["rate_7"].to_list() == pytest.approx([0.3, 0.3])
    years = year_table(rec)
    assert years.height == 2 * 3 and years["periods"].to_list() == [2] * 6
    assert (years["workers"] == 6).all()
    np.testing.assert_allclose(years["rebate"] * 6, years["revenue"])
    for col in ("welfare_utilitarian", "welfare_inverse_income", "gini_post", "eq_x_prod",
                "dwl", "rate_1"):
        assert years[col].null_count() == 0
    assert (years["dwl"] > 0).all() and (years["gini_post"] < years["gini_pre"]).all()
    work = rec.filter(rec["hours"].is_not_null())
    np.testing.assert_allclose(work["post_tax_income"],
                               work["income"] - work["tax"] + work["rebate"])


def test_welfare_columns_use_analysis_functions() -> None:
    from agora.analysis.welfare import (
        equality_times_productivity,
        gini,
        inverse_income_weighted_welfare,
    )

    rng = np.random.default_rng(5)
    s = rng.uniform(5, 80, size=40)
    cfg = TaxConfig(n_workers=40)
    out = theory.equilibrium(s, np.array(cfg.initial_rates), cfg)
    assert float(out.welfare_utilitarian) == pytest.approx(out.utility.sum())
    capacity = np.maximum(cfg.weeks * s * no_tax_hours(s, cfg), 1000.0)
    assert float(out.welfare_inverse_income) == pytest.approx(
        inverse_income_weighted_welfare(out.utility, capacity))
    assert float(out.welfare_inverse_realised) == pytest.approx(
        inverse_income_weighted_welfare(out.utility, np.maximum(out.income, 1000.0)))
    assert float(out.gini_post) == pytest.approx(gini(out.post_tax))
    assert float(out.eq_x_prod) == pytest.approx(equality_times_productivity(out.post_tax))


def test_voting_utility_based_workers_pick_their_best_schedule() -> None:
    cfg = {"n_workers": 5, "tax_years": 3, "steps_per_year": 1, "vote_every": 1,
           "vote_candidates": ("proposal", "current", "initial"), "max_rate_change": 1.0,
           "skills": (6.0, 8.0, 10.0, 15.0, 200.0)}
    rec = _run(cfg, SchedulePlanner([0.9] * 7))
    votes = rec.filter(rec["vote_winner"].is_not_null())
    assert sorted(votes["round"].unique().to_list()) == [1, 2]
    # a 90 % flat tax rebated equally is good for the low-wage majority
    assert set(votes["vote_winner"].to_list()) <= {"proposal", "current"}
    years = year_table(rec)
    np.testing.assert_allclose(years["rate_7"], [0.9, 0.9, 0.9])


def test_prompts_state_schedule_and_utility() -> None:
    k = _kernel(vote_every=1)
    rules_w = PROMPTS.rules(k.config, "worker")
    assert "0.0005" in rules_w and "vote" in rules_w
    assert "20 points" not in rules_w
    rules_p = PROMPTS.rules(k.config, "planner")
    assert "at most 20 percentage points" in rules_p
    assert "divided by their pre-tax income without taxes" in rules_p
    obs = k.observe(0, 3)
    text = PROMPTS.situation(k.config, obs)
    assert "No tax year" in text and "10%" in text
    inst, players = k.pending()
    spec = k.spec_for_code(int(k.spec_codes(inst, players)[0]))
    assert '"rate_1": <percent from 0 to 30>' in PROMPTS.answer_instruction(spec)
    k.step(inst, players, np.array([spec.action(np.full(7, 0.2))] * 2, dtype=object))
    worker = PROMPTS.situation(k.config, k.observe(0, 1))
    assert "an hour" in worker and "20/40/60 hours a week earn" in worker
    assert "effort cost of $18/$202/$837 a week" in worker and "20%, 20%" in worker
