"""The tax game's decision view: what scripted workers and planners may know."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from agora.engine.batch import DecisionBatch
from agora.engine.runner import Runner
from agora.engine.streams import Streams
from agora.policies.scripted import RandomPolicy
from games.tax_planner import TaxConfig, TaxPlannerKernel, TaxView, theory
from games.tax_planner.players import BestResponseWorker, SaezPlanner, StackelbergPlanner


def _kernel(**kw: object) -> TaxPlannerKernel:
    cfg = TaxConfig(**{"n_workers": 3, "tax_years": 3, "steps_per_year": 2, **kw})
    return TaxPlannerKernel(cfg, 2, np.random.default_rng(0))


def _play_year(k: TaxPlannerKernel) -> None:
    """Flat 30 % planned, then every worker best responds, until the next plan step."""
    while True:
        inst, players = k.pending()
        view = k.decision_view(inst, players)
        if view.planner.all():
            spec = view.spec_at(0)
            k.step(inst, players, np.array([spec.action(np.full(7, 0.3))] * inst.size))
        else:
            k.step(inst, players, BestResponseWorker().play(view, Streams.from_seed(0, inst.size)))
        if (k.phase == 0).all():  # the next tax year's plan step
            return


def test_planner_sees_last_years_tax_records_and_workers_do_not() -> None:
    k = _kernel()
    inst, players = k.pending()
    first = k.decision_view(inst, players)
    assert first.planner.all() and first.last_year.tolist() == [-1, -1]
    np.testing.assert_array_equal(SaezPlanner().target(first, 0), k.rates[0])  # year 1: keep
    _play_year(k)
    inst, players = k.pending()
    view = k.decision_view(inst, players)
    assert view.last_year.tolist() == [0, 0] and view.rounds.tolist() == [1, 1]
    np.testing.assert_array_equal(view.last_income[1], k.periods["income"][1, 0].mean(axis=0))
    np.testing.assert_array_equal(view.skills, k.skills)
    for e in range(2):
        np.testing.assert_array_equal(SaezPlanner().target(view, e), k.saez_from_last_year(e))
    k.step(inst, players, SaezPlanner().play(view))
    inst, players = k.pending()
    workers = k.decision_view(inst, players)
    assert not workers.planner.any() and workers.last_year.tolist() == [-1, -1]
    assert np.isnan(workers.last_income).all()


def test_players_act_on_the_view_alone() -> None:
    k = _kernel()
    inst, players = k.pending()
    view = k.decision_view(inst, players)
    alone = replace(view, memo={})  # the same information without the kernel's memo
    np.testing.assert_array_equal(theory.equilibrium_actions(alone),
                                  StackelbergPlanner().play(view))
    assert "stackelberg_planner" in alone.memo and "stackelberg_planner" not in view.memo
    sub = view.subset(np.array([1]))
    assert sub.economy.tolist() == [1] and len(sub) == 1 and sub.skills is view.skills


def test_tax_players_refuse_another_game() -> None:
    runner = Runner("dictator", {"rounds": 1}, policy=RandomPolicy(), progress=False)
    k = runner.kernel
    inst, players = k.pending()
    batch = DecisionBatch(kernel=k, instances=inst, players=players, rounds=k.round[inst],
                          roles=k.role_index(inst, players), persona_ids=np.full(inst.size, -1))
    with pytest.raises(TypeError):
        BestResponseWorker().act(batch, Streams.from_seed(0, len(batch)))
    assert isinstance(_kernel().decision_view(np.array([0]), np.array([3])), TaxView)
