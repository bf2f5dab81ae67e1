"""Tax planner with LLM persona workers and an LLM planner on the embedded model."""

from __future__ import annotations

import time

import numpy as np
import polars as pl
import pytest

from agora.engine.by_role import ByRolePolicy
from agora.engine.runner import Personas, Runner
from agora.policies import make_policy
from games.tax_planner import TaxConfig
from games.tax_planner.metrics import year_table
from games.tax_planner.players import StackelbergPlanner
from games.tax_planner.population import census_workers

STATUSES = {"ok", "repaired", "fallback"}


def _llm_economy(n: int, tax_years: int, steps: int, *, llm_planner_on: bool = True,
                 seed: int = 3) -> tuple[pl.DataFrame, dict, float]:
    from agora.llm import default_backend

    workforce = census_workers(n, seed=seed)
    cfg = TaxConfig(n_workers=n, tax_years=tax_years, steps_per_year=steps,
                    skills=tuple(workforce.skills))
    backend = default_backend()
    planner = (make_policy("tax_llm_planner", backend=backend) if llm_planner_on
               else StackelbergPlanner(max_evaluations=200))
    policy = ByRolePolicy(worker=make_policy("tax_llm_worker", backend=backend), planner=planner)
    personas = Personas(ids=np.append(np.arange(n), -1)[None, :], texts=list(workforce.texts))
    start = time.perf_counter()
    result = Runner("tax_planner", cfg, policy=policy, personas=personas, progress=False,
                    seed=seed).run()
    return result.records, result.telemetry, time.perf_counter() - start


def _check_counted(rec: pl.DataFrame, telemetry: dict, n: int, years: int, steps: int,
                   llm_roles: set[str]) -> None:
    decisions = {"worker": n * years * steps, "planner": years}
    for role, count in decisions.items():
        rows = rec.filter(pl.col("role") == role)
        assert rows.height == count
        if role in llm_roles:
            assert set(rows["parse_status"].to_list()) <= STATUSES  # no nulls either
    stats = next(iter(telemetry["policies"].values()))
    for role in llm_roles:
        s = stats[role]
        assert s["ok"] + s["repaired"] + s["fallback"] == s["decisions"] == decisions[role]
    work = rec.filter(pl.col("hours").is_not_null())
    assert work["hours"].is_between(0, 100).all()
    assert year_table(rec).height == years


@pytest.mark.llm
def test_small_llm_economy_every_decision_counted() -> None:
    rec, telemetry, _ = _llm_economy(3, 1, 1)
    _check_counted(rec, telemetry, 3, 1, 1, {"worker", "planner"})
    planner = rec.filter(pl.col("role") == "planner")
    assert planner["raw_text"].null_count() == 0
    assert planner["rate_1"].is_between(0, 0.3 + 1e-9).all()  # the 20-point cap from 10 %


@pytest.mark.slow
def test_acceptance_100_llm_personas_and_llm_planner_3_years() -> None:
    rec, telemetry, seconds = _llm_economy(100, 3, 1)
    _check_counted(rec, telemetry, 100, 3, 1, {"worker", "planner"})
    stats = next(iter(telemetry["policies"].values()))
    print(f"\n100 LLM workers + LLM planner, 3 tax years: {seconds:.1f} s; "
          f"workers {stats['worker']}; planner {stats['planner']}")
