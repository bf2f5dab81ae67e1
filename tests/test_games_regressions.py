"""Regressions found by fuzzing valid configurations (issue 14, item 7) and size limits (14.6)."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import polars as pl
import pytest

import agora
from agora.engine.action_spec import ActionSpec
from agora.engine.limits import MAX_CELLS, MAX_INSTANCES
from agora.engine.registry import make_config
from agora.engine.streams import Streams
from agora.policies.registry import make_policy
from games.bargaining.theory import rubinstein_share
from games.item_division import ItemDivisionConfig
from games.tax_planner import TaxConfig


def _run(game: str, kind: str, **kw: Any) -> pl.DataFrame:
    params = kw.pop("policy_params", {})
    return agora.run(game, policy=make_policy(kind, **params), progress=False, **kw).records


# ------------------------------------------------------------------ bargaining without discounting
def test_bargaining_without_discounting_finishes() -> None:
    """δ_a = δ_b = 1 with no horizon: the SPE split is the stationary 1/2, not an error."""
    assert rubinstein_share(1.0, 1.0) == 0.5
    rec = _run("bargaining", "random", horizon=None, delta_a=1.0, delta_b=1.0, n_instances=3)
    assert rec.height > 0
    eq = _run("bargaining", "equilibrium", horizon=None, delta_a=1.0, delta_b=1.0)
    assert eq["agreed"].drop_nulls().to_list() == [1.0]  # agreement at once, half the pie
    assert eq["offer"].drop_nulls().unique().to_list() == [50.0]


# ------------------------------------------------------------------ equilibrium on float grids
def test_negotiation_equilibrium_price_on_float_grid() -> None:
    rec = _run("negotiation", "equilibrium", seller_value=0.3, buyer_value=0.7, step=0.1,
               price_max=1.0, horizon=2)
    assert rec["price"].drop_nulls().to_list()[0] == 0.3  # not 0.30000000000000004


def test_bargaining_equilibrium_offer_on_float_grid() -> None:
    pie, step = 555.9317599088552, 55.59317599088551
    rec = _run("bargaining", "equilibrium", pie=pie, step=step, delta_a=1.0, delta_b=1e-09,
               first_mover="b", horizon=None, seed=1087764102)
    offer = rec["offer"].drop_nulls()[0]
    assert abs(offer - pie) < 1e-6 and offer == round(10 * step, 10)  # the grid's top value


# ------------------------------------------------------------------ huge action sets
def test_random_guess_from_huge_range_does_not_list_it() -> None:
    start = time.perf_counter()
    rec = _run("p_beauty", "random", upper=1e15, n_instances=2)
    assert time.perf_counter() - start < 5
    guesses = rec["action"].to_numpy()
    assert ((guesses >= 0) & (guesses <= 1e15) & (guesses == np.round(guesses))).all()
    assert _run("p_beauty", "quantal_response", upper=1e15,
                policy_params={"lam": 1.0})["action"].is_between(0, 1e15).all()


def test_discrete_sample_matches_choice_over_the_list() -> None:
    """Sampling by index draws exactly what choosing from the listed grid drew before."""
    spec = ActionSpec(name="x", description="", low=-2.5, high=7.5, step=0.5)
    a, b = Streams(11, np.arange(6)), Streams(11, np.arange(6))
    np.testing.assert_array_equal(spec.sample(a, 6), b.choice(spec.choices(), size=6))
    g1, g2 = np.random.default_rng(4), np.random.default_rng(4)
    np.testing.assert_array_equal(spec.sample(g1, 9), g2.choice(spec.choices(), size=9))


def test_negotiation_action_check_does_not_rebuild_the_grid() -> None:
    """The fine price grid (100,001 prices) is listed once, not at every legality check."""
    calls = {"n": 0}
    original = ActionSpec.choices_at

    def counting(self: ActionSpec, index: np.ndarray) -> np.ndarray:
        if np.size(index) > 1000:
            calls["n"] += 1
        return original(self, index)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(ActionSpec, "choices_at", counting)
        rec = _run("negotiation", "random", step=0.01, price_max=1000.0, n_instances=20)
    assert rec.height > 20 and calls["n"] <= 1


# ------------------------------------------------------------------ config validation
@pytest.mark.parametrize(("fields", "message"), [
    ({"items": "abc"}, "items must be a list with one entry per item, got 'abc'"),
    ({"counts": (True, 2, 3)}, "counts must be integers >= 0"),
    ({"items": (1, 2, 3)}, r"items must be distinct names \(identifiers\), got \(1, 2, 3\)"),
    ({"items": None}, "items must be a list"),
    ({"counts": None}, "counts must be a list"),
    ({"values_a": None}, "values_a must be a list"),
    ({"values_b": (1.0, True, 2.0)}, "values_b must be finite numbers >= 0"),
])
def test_item_division_rejects_bad_tuple_fields(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ItemDivisionConfig(**fields)


@pytest.mark.parametrize(("fields", "message"), [
    ({"vote_candidates": None}, "vote_candidates must be at least two distinct"),
    ({"vote_candidates": "proposal"}, "vote_candidates must be at least two distinct"),
    ({"thresholds": "abc"}, "thresholds must be a list of numbers, got 'abc'"),
    ({"initial_rates": (0.1, None)}, "initial_rates must be a list of numbers"),
    ({"skills": (True,) * 10}, "skills must be a list of numbers"),
])
def test_tax_planner_rejects_bad_tuple_fields(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        TaxConfig(**fields)


@pytest.mark.parametrize(("game", "fields", "message"), [
    ("item_division", {"items": "abc"}, "items must be a list of strings, got 'abc'"),
    ("item_division", {"counts": [True, 2, 3]}, "counts must be a list of integers"),
    ("item_division", {"items": [1, 2, 3]}, "items must be a list of strings"),
    ("tax_planner", {"vote_candidates": None}, "vote_candidates must be a list of strings"),
    ("tax_planner", {"thresholds": ["a"]}, "thresholds must be a list of numbers or None"),
])
def test_make_config_checks_list_items(game: str, fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_config(game, **fields)


def test_seed_and_n_instances_refuse_bools() -> None:
    with pytest.raises(ValueError, match="seed must be a non-negative integer, got True"):
        _run("item_division", "random", seed=True)
    with pytest.raises(ValueError, match="n_instances must be an integer"):
        _run("p_beauty", "random", n_instances=True)


# ------------------------------------------------------------------ scripted policy parameters
def test_quantal_response_grid_size_checked() -> None:
    with pytest.raises(ValueError, match="grid_size must be an integer in"):
        make_policy("quantal_response", lam=1.0, grid_size=0)
    rec = _run("dictator", "quantal_response", step=None, n_instances=4,
               policy_params={"lam": 2.0, "grid_size": 2})
    assert set(rec["action"].to_list()) <= {0.0, 10.0}


def test_quantal_response_with_huge_lambda_best_responds() -> None:
    rec = _run("dictator", "quantal_response", n_instances=5, policy_params={"lam": 1e308})
    assert rec["action"].to_list() == [0.0] * 5


@pytest.mark.parametrize(("kind", "params", "hook"), [
    ("level_k", {"k": 1}, "level_k_action"),
    ("cognitive_hierarchy", {}, "ch_actions"),
    ("quantal_response", {"lam": 1.0}, "action_utilities"),
])
@pytest.mark.parametrize("game", ["negotiation", "bargaining", "item_division", "tax_planner"])
def test_unsupported_scripted_policy_names_the_missing_hook(
        game: str, kind: str, params: dict[str, Any], hook: str) -> None:
    with pytest.raises(TypeError, match=rf"needs the game's theory\.{hook}, which game "
                                        rf"'{game}' does not define") as info:
        _run(game, kind, policy_params=params)
    assert "\n" not in str(info.value)


def test_cognitive_hierarchy_plays_on_the_grid() -> None:
    rec = _run("dictator", "cognitive_hierarchy", endowment=1.0, step=0.1, n_instances=30,
               policy_params={"tau": 3.0})
    spec = ActionSpec(name="x", description="", low=0.0, high=1.0, step=0.1)
    assert spec.legal_mask(rec["action"].to_numpy()).all()


# ------------------------------------------------------------------ size limits (14.6)
@pytest.mark.parametrize(("game", "fields", "message"), [
    ("p_beauty", {"n_players": 10**12}, "n_players must be an integer >= 2 and <= 1,000,000"),
    ("p_beauty", {"rounds": 10**12}, "rounds must be an integer >= 1 and <= 1,000,000"),
    ("p_beauty", {"n_players": 100_000, "rounds": 10_000}, "n_players × rounds is"),
    ("dictator", {"rounds": 10**12}, "rounds must be an integer >= 1 and <= 1,000,000"),
    ("bargaining", {"horizon": 10**12}, "horizon"),
    ("negotiation", {"horizon": 10**12}, "horizon must be an integer >= 1 and <= 1,000,000"),
    ("item_division", {"horizon": 10**12}, "horizon must be an integer >= 1 and <= 1,000,000"),
    ("tax_planner", {"n_workers": 10**12}, "n_workers must be an integer >= 1 and <= 1,000,000"),
    ("tax_planner", {"n_workers": 10_000, "tax_years": 100, "steps_per_year": 1000},
     "n_workers × tax_years × steps_per_year is"),
])
def test_config_sizes_have_a_maximum(game: str, fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_config(game, **fields)


def test_run_size_checked_before_allocating() -> None:
    with pytest.raises(ValueError, match=f"n_instances must be an integer >= 1 and <= "
                                         f"{MAX_INSTANCES:,}"):
        _run("p_beauty", "random", n_instances=10**12)
    with pytest.raises(ValueError, match=r"seats .* above the maximum"):
        _run("p_beauty", "random", n_instances=MAX_INSTANCES, n_players=10)
    with pytest.raises(ValueError, match=rf"agent-steps .* above the maximum {MAX_CELLS:,}"):
        _run("dictator", "random", n_instances=1_000_000, rounds=1_000)
