"""Tax planner policies: Stackelberg vs Saez vs U.S. on census workers, scripted workers."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from agora.engine.by_role import ByRolePolicy
from agora.engine.runner import Runner
from agora.policies import make_policy
from games.tax_planner import TaxConfig, theory
from games.tax_planner.metrics import worker_year_table, year_table
from games.tax_planner.players import (
    BestResponseWorker,
    FlatPlanner,
    NoisyWorker,
    QuantalWorker,
    SaezPlanner,
    StackelbergPlanner,
    USPlanner,
)
from games.tax_planner.population import census_workers


@pytest.fixture(scope="module")
def census() -> np.ndarray:
    return census_workers(1000, seed=11).skills


def test_census_workers_have_wages(census: np.ndarray) -> None:
    assert census.shape == (1000,)
    assert np.all(census >= 1.0) and np.all(census <= 2000.0)
    assert 10 < np.median(census) < 60  # hourly wages of U.S. workers
    again = census_workers(20, seed=11)
    assert len(again.texts) == 20 and again.texts[0].startswith("You are")
    np.testing.assert_array_equal(again.skills, census_workers(20, seed=11).skills)
    assert again.personas["persona_id"].to_list() == list(range(20))
    np.testing.assert_allclose(again.skills, np.clip(again.personas["wage"], 1.0, 2000.0))


@pytest.mark.parametrize("objective", ["inverse_income", "utilitarian"])
def test_stackelberg_beats_saez_and_us_on_census_population(census: np.ndarray,
                                                            objective: str) -> None:
    cfg = TaxConfig(n_workers=census.size, objective=objective)
    us = theory.social_welfare(census, np.array(theory.us_brackets(2025)[1]), cfg)
    saez_rates = theory.saez_schedule(census, cfg)
    saez = theory.social_welfare(census, saez_rates, cfg)
    result = theory.stackelberg_optimum(census, cfg, max_evaluations=1500)
    assert result.welfare >= saez - 1e-9 and result.welfare >= us - 1e-9
    assert result.welfare == pytest.approx(theory.social_welfare(census, result.rates, cfg))
    assert np.all((result.rates >= 0) & (result.rates <= 1))
    if objective == "utilitarian":
        # quasilinear utilitarian welfare: every tax is pure deadweight loss, so zero is optimal
        np.testing.assert_allclose(saez_rates, 0.0, atol=1e-9)
        assert result.welfare == pytest.approx(
            theory.social_welfare(census, np.zeros(7), cfg), rel=1e-9)
    else:
        assert result.welfare > us and result.welfare >= result.start_welfare


def test_saez_schedule_is_a_fixed_point(census: np.ndarray) -> None:
    cfg = TaxConfig(n_workers=census.size)
    rates = theory.saez_schedule(census, cfg)
    eq = theory.equilibrium(census, rates, cfg)
    again = theory.saez_rates(eq.income, cfg.thresholds or (), 0.4,
                              theory.welfare_weights(census, eq, cfg))
    np.testing.assert_allclose(again, rates, atol=1e-5)
    assert rates[0] == 0.0 and np.all(rates[1:] > 0.3)


def _run(planner: Any, workers: Any = None, **cfg: Any) -> Any:
    config = {"n_workers": 30, "tax_years": 4, "steps_per_year": 2, **cfg}
    policy = ByRolePolicy(worker=workers or BestResponseWorker(), planner=planner)
    return Runner("tax_planner", config, policy=policy, progress=False, seed=2).run().records


def test_stackelberg_planner_converges_within_the_cap() -> None:
    rec = _run(StackelbergPlanner(max_evaluations=600), max_rate_change=0.2)
    years = year_table(rec)
    rates = years.select(f"rate_{k}" for k in range(1, 8)).to_numpy()
    steps = np.abs(np.diff(np.vstack([np.array(TaxConfig().initial_rates), rates]), axis=0))
    assert np.all(steps <= 0.2 + 1e-9)
    w = years["welfare_inverse_income"].to_numpy()
    assert w[-1] > w[0]


def test_saez_planner_keeps_year_one_then_follows_incomes() -> None:
    rec = _run(SaezPlanner(), max_rate_change=1.0)
    years = year_table(rec)
    np.testing.assert_allclose(years.row(0, named=True)["rate_3"], 0.22)
    assert years["rate_1"].to_list()[1:] == pytest.approx([0.0] * 3)


def test_us_and_flat_planners_and_registry() -> None:
    rec = _run(USPlanner(2024), bracket_year=2025, tax_years=1)
    assert rec.filter(rec["role"] == "planner")["rate_3"].to_list() == [0.22]
    rec = _run(FlatPlanner(0.15), tax_years=1)
    assert rec.filter(rec["role"] == "planner")["rate_7"].to_list() == pytest.approx([0.17])
    policy = make_policy("by_role", worker={"kind": "tax_noisy", "sd": 2.0},
                         planner={"kind": "tax_flat", "rate": 0.2})
    assert isinstance(policy, ByRolePolicy)
    for kind in ("tax_best_response", "tax_saez", "tax_stackelberg", "tax_us"):
        assert make_policy(kind).name.startswith("tax_")
    with pytest.raises(ValueError, match="rate"):
        make_policy("tax_flat", rate=2.0)


def test_bounded_rational_workers_deviate_around_the_best_response() -> None:
    best = worker_year_table(_run(FlatPlanner(0.3), tax_years=1))
    noisy = worker_year_table(_run(FlatPlanner(0.3), NoisyWorker(4.0), tax_years=1))
    gap = (noisy["hours"] - best["hours"]).abs()
    assert 0 < gap.mean() < 6
    sharp = worker_year_table(_run(FlatPlanner(0.3), QuantalWorker(lam=50.0), tax_years=1))
    flat = worker_year_table(_run(FlatPlanner(0.3), QuantalWorker(lam=0.0), tax_years=1))
    assert (sharp["hours"] - best["hours"]).abs().mean() < 1.0
    assert (flat["hours"] - best["hours"]).abs().mean() > 10.0


def test_equilibrium_policy_plays_stackelberg() -> None:
    from agora.policies import EquilibriumPolicy

    cfg = {"n_workers": 12, "tax_years": 3, "steps_per_year": 1, "max_rate_change": 1.0}
    rec = Runner("tax_planner", cfg, policy=EquilibriumPolicy(), progress=False,
                 seed=5).run().records
    years = year_table(rec)
    skills = np.array(rec.filter(rec["round"] == 0).drop_nulls("skill").sort("agent")["skill"])
    best = theory.stackelberg_optimum(skills, TaxConfig(**cfg, skills=tuple(skills)))
    assert years["welfare_inverse_income"][-1] == pytest.approx(best.welfare, rel=1e-6)


def test_experiment_script_smoke_without_llm(repo_root: Path, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    spec = importlib.util.spec_from_file_location(
        "tax_planner_saez", repo_root / "experiments" / "tax_planner_saez.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # dataclasses look the module up
    spec.loader.exec_module(module)
    assert module.main(["--smoke", "--no-llm", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "stackelberg" in out and "saez" in out and "theory" in out
    for name in ("records.parquet", "years.parquet", "schedules.png", "welfare.png"):
        assert (tmp_path / name).stat().st_size > 0
    table = pl.read_parquet(tmp_path / "welfare_table.parquet")
    w = dict(zip(table["planner"], table["theory"], strict=True))
    assert w["stackelberg"] >= w["saez"] >= w["us"]
