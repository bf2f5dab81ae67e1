"""Equilibria: textbook games through the solvers, closed forms against FACTS.md numbers."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agora.analysis import equilibria as eq
from games.bargaining.theory import nash_bargaining_payoffs, rubinstein_share
from games.tax_planner.theory import pareto_tail_parameter, saez_top_rate

MATCHING_PENNIES = np.array([[[1, -1], [-1, 1]], [[-1, 1], [1, -1]]], dtype=float)
BATTLE_OF_SEXES = np.array([[[2, 0], [0, 1]], [[1, 0], [0, 2]]], dtype=float)
PRISONERS = np.array([[[3, 0], [5, 1]], [[3, 5], [0, 1]]], dtype=float)


def three_player_coordination() -> np.ndarray:
    """Each player earns one point per other player choosing the same action."""
    u = np.zeros((3, 2, 2, 2))
    for a in itertools.product(range(2), repeat=3):
        for i in range(3):
            u[(i, *a)] = sum(a[i] == a[j] for j in range(3) if j != i)
    return u


def jordan_game() -> np.ndarray:
    """Jordan (1993): 1 wants to match 2, 2 to match 3, 3 to mismatch 1; unique NE all 1/2."""
    u = np.zeros((3, 2, 2, 2))
    for a in itertools.product(range(2), repeat=3):
        u[(0, *a)] = float(a[0] == a[1])
        u[(1, *a)] = float(a[1] == a[2])
        u[(2, *a)] = float(a[2] != a[0])
    return u


def _as_sets(eqs: list[eq.Equilibrium]) -> list[list[list[float]]]:
    return sorted([[list(np.round(s, 6)) for s in e.strategies] for e in eqs])


def test_matching_pennies_unique_mixed_equilibrium() -> None:
    eqs = eq.nash_equilibria(MATCHING_PENNIES)
    assert len(eqs) == 1
    assert all(np.allclose(s, [0.5, 0.5]) for s in eqs[0].strategies)
    assert np.allclose(eqs[0].payoffs, [0, 0])
    assert not eqs[0].pure


def test_battle_of_the_sexes_three_equilibria() -> None:
    eqs = eq.nash_equilibria(BATTLE_OF_SEXES)
    assert _as_sets(eqs) == sorted([[[1.0, 0.0], [1.0, 0.0]], [[0.0, 1.0], [0.0, 1.0]],
                                    [[round(2 / 3, 6), round(1 / 3, 6)],
                                     [round(1 / 3, 6), round(2 / 3, 6)]]])
    mixed = next(e for e in eqs if not e.pure)
    assert np.allclose(mixed.payoffs, [2 / 3, 2 / 3])


def test_prisoners_dilemma_defect_defect() -> None:
    eqs = eq.nash_equilibria(PRISONERS)
    assert len(eqs) == 1 and eqs[0].pure
    assert eq.pure_equilibria(PRISONERS) == [(1, 1)]


def test_three_player_games_via_gambit() -> None:
    pytest.importorskip("pygambit")
    eqs = eq.nash_equilibria(three_player_coordination())
    got = _as_sets(eqs)
    assert [[1.0, 0.0]] * 3 in got and [[0.0, 1.0]] * 3 in got and [[0.5, 0.5]] * 3 in got
    assert len(eqs) == 3
    assert eq.pure_equilibria(three_player_coordination()) == [(0, 0, 0), (1, 1, 1)]
    jordan = eq.nash_equilibria(jordan_game())
    assert len(jordan) == 1
    assert all(np.allclose(s, 0.5, atol=1e-6) for s in jordan[0].strategies)
    gnm = eq.nash_equilibria(jordan_game(), solver="gambit-gnm")
    assert all(np.allclose(s, 0.5, atol=1e-5) for s in gnm[0].strategies)


def test_gambit_agrees_with_nashpy_on_two_players() -> None:
    pytest.importorskip("pygambit")
    assert _as_sets(eq.nash_equilibria(BATTLE_OF_SEXES, solver="gambit")) == \
        _as_sets(eq.nash_equilibria(BATTLE_OF_SEXES, solver="nashpy"))


def test_nashpy_refuses_three_players() -> None:
    with pytest.raises(ValueError, match="two-player"):
        eq.nash_equilibria(jordan_game(), solver="nashpy")


def test_best_response_gains_and_nash_conv() -> None:
    # matching pennies, both play heads: player 2 gains 2 by switching
    assert np.allclose(eq.best_response_gains(MATCHING_PENNIES, [0, 0]), [0, 2])
    assert eq.nash_conv(MATCHING_PENNIES, [0, 0]) == pytest.approx(2)
    assert eq.nash_conv(MATCHING_PENNIES, [[0.5, 0.5], [0.5, 0.5]]) == pytest.approx(0)
    assert eq.is_epsilon_nash(BATTLE_OF_SEXES, [[2 / 3, 1 / 3], [1 / 3, 2 / 3]])
    assert not eq.is_epsilon_nash(BATTLE_OF_SEXES, [0, 1])
    assert eq.is_epsilon_nash(BATTLE_OF_SEXES, [0, 1], epsilon=2)
    assert [list(b) for b in eq.best_responses(PRISONERS, [0, 0])] == [[1], [1]]
    # three players: everyone on 0 except player 3 -> player 3 gains 2
    assert np.allclose(eq.best_response_gains(three_player_coordination(), [0, 0, 1]),
                       [0, 0, 2])
    prof = eq.empirical_profile(np.array([[0, 1], [1, 1], [0, 0], [1, 0]]), [2, 2])
    assert all(np.allclose(s, 0.5) for s in prof)


@given(st.integers(0, 10_000))
@settings(max_examples=25, deadline=None)
def test_solver_equilibria_have_zero_nash_conv(seed: int) -> None:
    u = np.random.default_rng(seed).normal(size=(2, 3, 3))
    eqs = eq.nash_equilibria(u)
    assert eqs  # every finite game has an equilibrium (non-degenerate with probability 1)
    for e in eqs:
        assert eq.nash_conv(u, e.strategies) < 1e-6
    pure = {tuple(int(np.argmax(s)) for s in e.strategies) for e in eqs if e.pure}
    assert pure == set(eq.pure_equilibria(u))


@pytest.mark.parametrize(("d1", "d2", "expected"), [
    (0.95, 0.95, 1 / 1.95), (0.9, 0.8, 0.2 / 0.28), (0.0, 0.5, 0.5), (0.5, 0.0, 1.0)])
def test_rubinstein_share(d1: float, d2: float, expected: float) -> None:
    assert rubinstein_share(d1, d2) == pytest.approx(expected)


def test_rubinstein_equal_discount_and_finite_horizon() -> None:
    assert rubinstein_share(0.9, 0.9) == pytest.approx(1 / 1.9)
    assert rubinstein_share(0.9, 0.8, horizon=1) == 1.0
    assert rubinstein_share(0.9, 0.8, horizon=2) == pytest.approx(1 - 0.8)
    assert rubinstein_share(0.9, 0.8, horizon=3) == pytest.approx(1 - 0.8 * (1 - 0.9))
    # GLEE base configuration: T = 99, δ = 0.95: close to the infinite-horizon share
    assert rubinstein_share(0.95, 0.95, horizon=99) == pytest.approx(1 / 1.95, abs=1e-2)
    assert rubinstein_share(0.9, 0.8, horizon=401) == \
        pytest.approx(rubinstein_share(0.9, 0.8), abs=1e-12)
    # no discounting: a continuum of equilibria; the stationary split 1/2 is returned
    assert rubinstein_share(1.0, 1.0) == 0.5


def test_nash_bargaining() -> None:
    assert nash_bargaining_payoffs(1.0) == (0.5, 0.5)
    assert nash_bargaining_payoffs(10, 2, 4) == (4.0, 6.0)
    assert nash_bargaining_payoffs(1, weight=0.7)[0] == pytest.approx(0.7)
    x = np.linspace(0, 1, 101)
    assert x[eq.nash_bargaining_index(x, 1 - x)] == pytest.approx(0.5)
    assert x[eq.nash_bargaining_index(x, 1 - x, d=(0.2, 0.0))] == pytest.approx(0.6)


@pytest.mark.parametrize(("a", "e", "g", "expected"), [
    (1.5, 0.25, 0.0, 0.727), (2.0, 0.25, 0.0, 0.667), (1.5, 0.5, 0.0, 0.571),
    (1.5, 0.25, 1.0, 0.0)])
def test_saez_top_rate_facts(a: float, e: float, g: float, expected: float) -> None:
    assert saez_top_rate(a, e, g) == pytest.approx(expected, abs=5e-4)


def test_saez_welfare_weight_formula() -> None:
    assert saez_top_rate(1.5, 0.4, 0.2) == pytest.approx(0.8 / (0.8 + 0.6))


def test_pareto_tail_parameter_recovers_pareto_a() -> None:
    rng = np.random.default_rng(0)
    z = 100_000 * (1 + rng.pareto(2.0, size=400_000))  # Pareto with a = 2 above 100k
    assert pareto_tail_parameter(z, 200_000) == pytest.approx(2.0, rel=0.03)


def test_p_beauty_benchmark_from_theory() -> None:
    b = eq.benchmark("p_beauty", {"p": 2 / 3, "n_players": 10})
    assert b.equilibrium_action == 0 and b.equilibria == (0.0, 1.0)
    # winner takes the prize among 10: best responses in expected share (Nagel's 33/22/15 are
    # the distance rule's; tests/test_qre_payoff_rule.py checks both)
    assert b.level_k == {1: 32.0, 2: 21.0, 3: 13.0}
    assert b.dominated_above == pytest.approx(200 / 3)
    assert b.ch_actions[0] == 50
    d = eq.benchmark("dictator", {"endowment": 10.0})
    assert d.equilibrium_action == 0.0 and d.level_k[1] == 0.0
    assert any("equilibrium" in row[0] for row in d.as_rows())
