"""Scripted reference policies: level-k, equilibrium, cognitive hierarchy, QRE, fixed, random."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from scipy.stats import chisquare

from agora.engine.action_spec import InvalidActionError
from agora.engine.batch import DecisionBatch
from agora.engine.registry import make_config, make_kernel
from agora.policies import (
    CognitiveHierarchyPolicy,
    EquilibriumPolicy,
    FixedPolicy,
    LevelKPolicy,
    QuantalResponsePolicy,
    RandomPolicy,
    make_policy,
)

TAKE = {"variant": "take", "take_bound": 5, "recipient_endowment": 5}


def batch_for(game: str, n_instances: int = 3, **config: Any) -> DecisionBatch:
    """Every decision due at the first step of ``n_instances`` fresh games."""
    k = make_kernel(game, make_config(game, **config), n_instances, np.random.default_rng(0))
    inst, players = k.pending()
    return DecisionBatch(kernel=k, instances=inst, players=players, rounds=k.round[inst].copy(),
                         roles=k.role_index(inst, players),
                         persona_ids=np.full(inst.size, -1, dtype=np.int64))


def act(policy: Any, batch: DecisionBatch, seed: int = 0) -> np.ndarray:
    return policy.act(batch, np.random.default_rng(seed)).actions


# ------------------------------------------------------------------ point predictions
@pytest.mark.parametrize(("k", "integer", "expected"), [
    (1, True, 33.0), (2, True, 22.0), (3, True, 15.0),
    (1, False, 100 / 3), (2, False, 200 / 9),
])
def test_level_k_guesses(k: int, integer: bool, expected: float) -> None:
    # Nagel's p^k·50 is the distance rule's level k (winner-takes-prize: tests/test_qre_payoff_rule)
    actions = act(LevelKPolicy(k), batch_for("p_beauty", integer=integer, payoff="distance"))
    assert actions.shape == (30,)
    np.testing.assert_allclose(actions, expected)


def test_level_zero_is_uniform_random() -> None:
    actions = act(LevelKPolicy(0), batch_for("p_beauty", n_instances=50))
    assert np.unique(actions).size > 50
    assert np.all(actions == np.round(actions)) and actions.min() >= 0 and actions.max() <= 100


@pytest.mark.parametrize(("game", "config", "expected"), [
    ("p_beauty", {}, 0.0),
    ("p_beauty", {"p": 4 / 3}, 100.0),
    ("dictator", {}, 0.0),
    ("dictator", TAKE, -5.0),
])
def test_equilibrium_and_level_k_values(game: str, config: dict[str, Any],
                                        expected: float) -> None:
    batch = batch_for(game, **config)
    np.testing.assert_array_equal(act(EquilibriumPolicy(), batch), expected)
    if game == "dictator":
        np.testing.assert_array_equal(act(LevelKPolicy(3), batch), expected)


# ------------------------------------------------------------------ cognitive hierarchy
def _truncated_poisson(tau: float, k_max: int) -> np.ndarray:
    pmf = np.array([math.exp(-tau) * tau ** k / math.factorial(k) for k in range(k_max + 1)])
    return pmf / pmf.sum()


@pytest.mark.parametrize(("tau", "k_max"), [(1.5, 10), (0.5, 2), (3.0, 4)])
def test_ch_steps_follow_truncated_poisson(tau: float, k_max: int) -> None:
    batch = batch_for("p_beauty", n_instances=3000, integer=False)  # 30,000 decisions
    decisions = CognitiveHierarchyPolicy(tau=tau, k_max=k_max).act(batch,
                                                                   np.random.default_rng(7))
    steps = np.asarray(decisions.columns["ch_step"])
    counts = np.bincount(steps, minlength=k_max + 1)
    assert counts.size == k_max + 1  # never above k_max
    expected = _truncated_poisson(tau, k_max) * steps.size
    # pool the sparse tail so every bin expects at least 5
    keep = int(np.max(np.flatnonzero(expected >= 5))) if np.any(expected < 5) else k_max
    obs = np.append(counts[:keep], counts[keep:].sum())
    exp = np.append(expected[:keep], expected[keep:].sum())
    assert chisquare(obs, exp).pvalue > 1e-3
    # step k >= 1 plays the theory's step-k guess; step 0 plays uniformly
    from games.p_beauty import theory

    table = theory.ch_actions(batch.config, tau, k_max)
    high = steps >= 1
    np.testing.assert_allclose(decisions.actions[high], table[steps[high]])
    zero = decisions.actions[steps == 0]
    assert abs(zero.mean() - 50) < 4 * 100 / math.sqrt(12 * zero.size)  # 4 sigma


def test_ch_in_dictator_is_selfish_above_step_zero() -> None:
    decisions = CognitiveHierarchyPolicy(tau=2.0).act(batch_for("dictator", 500, **TAKE),
                                                      np.random.default_rng(1))
    steps = np.asarray(decisions.columns["ch_step"])
    assert np.all(decisions.actions[steps >= 1] == -5.0)
    assert np.any(decisions.actions[steps == 0] != -5.0)


# ------------------------------------------------------------------ quantal response
def test_qre_lambda_zero_is_uniform() -> None:
    actions = act(QuantalResponsePolicy(lam=0.0), batch_for("p_beauty", n_instances=2020))
    counts = np.bincount(actions.astype(int), minlength=101)
    assert counts.size == 101
    assert chisquare(counts).pvalue > 1e-3


@pytest.mark.parametrize(("config", "best"), [
    # distance payoff: best response to level-0's mean: 2/3 * 9 * 50 / (10 - 2/3) = 32.14
    ({"payoff": "distance"}, 32.0),
    ({"integer": False, "payoff": "distance"}, 32.0),  # the 201-point grid has 32.0 and 32.5
    ({"p": 0.5, "n_players": 2, "payoff": "distance"}, 50 * 0.5 / 1.5),  # g = p b / (2 - p)
    ({}, 32.0),  # winner takes the prize: most likely closest against 9 uniform guesses
    ({"p": 0.5, "n_players": 2}, 0.0),  # n = 2, p < 1: the lower guess always wins
])
def test_qre_large_lambda_plays_best_response(config: dict[str, Any], best: float) -> None:
    batch = batch_for("p_beauty", n_instances=100, **config)
    actions = act(QuantalResponsePolicy(lam=1e8), batch)  # level-0 expectations: gaps ~1e-5
    grid = batch.spec(0).choices() if batch.spec(0).is_discrete else np.linspace(0, 100, 201)
    nearest = grid[np.argmin(np.abs(grid - best))]
    np.testing.assert_array_equal(actions, nearest)


def test_qre_concentrates_as_lambda_grows() -> None:
    batch = batch_for("p_beauty", n_instances=500)
    spread = [np.abs(act(QuantalResponsePolicy(lam=lam), batch) - 32).mean()
              for lam in (0.0, 20.0, 200.0, 2000.0)]
    assert spread[0] > spread[1] > spread[2] > spread[3]


def test_qre_dictator_concentrates_on_selfish_transfer() -> None:
    np.testing.assert_array_equal(
        act(QuantalResponsePolicy(lam=50.0), batch_for("dictator", 1000, **TAKE)), -5.0)


# ------------------------------------------------------------------ fixed and random
def test_fixed_policy_plays_and_validates() -> None:
    np.testing.assert_array_equal(act(FixedPolicy(40), batch_for("p_beauty")), 40.0)
    np.testing.assert_array_equal(act(FixedPolicy(-2), batch_for("dictator", **TAKE)), -2.0)
    with pytest.raises(InvalidActionError, match="guess must be a whole number"):
        act(FixedPolicy(33.5), batch_for("p_beauty"))
    with pytest.raises(InvalidActionError, match=r"guess=150 is outside \[0, 100\]"):
        act(FixedPolicy(150), batch_for("p_beauty"))
    with pytest.raises(InvalidActionError, match="amount"):
        act(FixedPolicy(-1), batch_for("dictator"))
    assert FixedPolicy(40).describe() == {"kind": "fixed", "value": 40.0}


def test_random_policy_legal_and_seeded() -> None:
    batch = batch_for("dictator", n_instances=400, variant="take", take_bound=2.5,
                      recipient_endowment=3, step=0.5)
    a, b = act(RandomPolicy(), batch, seed=4), act(RandomPolicy(), batch, seed=4)
    np.testing.assert_array_equal(a, b)
    assert batch.spec(0).legal_mask(a).all()
    assert set(np.unique(a)) == set(batch.spec(0).choices())


# ------------------------------------------------------------------ construction
@pytest.mark.parametrize(("factory", "message"), [
    (lambda: LevelKPolicy(-1), "k must be an integer >= 0"),
    (lambda: LevelKPolicy(1.5), "k must be an integer >= 0"),  # type: ignore[arg-type]
    (lambda: CognitiveHierarchyPolicy(tau=0), "tau must be > 0"),
    (lambda: CognitiveHierarchyPolicy(k_max=0), "k_max must be >= 1"),
    (lambda: QuantalResponsePolicy(lam=-1), "lam must be >= 0"),
    (lambda: QuantalResponsePolicy(lam=float("nan")), "lam must be >= 0"),
])
def test_bad_parameters_rejected(factory: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        factory()


def test_make_policy_by_kind() -> None:
    policy = make_policy("level_k", k=2)
    assert isinstance(policy, LevelKPolicy) and policy.k == 2 and policy.name == "level_2"
    ch = make_policy("cognitive_hierarchy", tau=1.5)
    assert ch.describe() == {"kind": "cognitive_hierarchy", "tau": 1.5, "k_max": 10}
    with pytest.raises(ValueError, match="unknown policy kind 'genius'; known: "):
        make_policy("genius")
    with pytest.raises(ValueError, match="policy 'level_k': bad parameters"):
        make_policy("level_k", depth=2)


def test_equilibrium_policy_draws_a_mixed_equilibrium() -> None:
    """A game whose only equilibrium mixes (rock-paper-scissors) gives equilibrium_mixture; the
    equilibrium policy draws each move from it (uniform here), reproducibly from the streams."""
    batch = batch_for("rock_paper_scissors", n_instances=3000)
    moves = act(EquilibriumPolicy(), batch, seed=4)
    counts = np.bincount(moves.astype(int), minlength=3)
    assert counts.sum() == moves.size and set(np.unique(moves)) <= {0.0, 1.0, 2.0}
    assert chisquare(counts).pvalue > 1e-3, counts
    assert np.array_equal(moves, act(EquilibriumPolicy(), batch, seed=4))
    assert not np.array_equal(moves, act(EquilibriumPolicy(), batch, seed=5))
