"""p-beauty contest: theory against closed forms, payoff invariants, config errors, kernel."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import agora
from games.p_beauty import PBeautyConfig, PBeautyKernel, theory
from games.p_beauty.config import PayoffRule

TWO_THIRDS_INT = PBeautyConfig(p=2 / 3)
TWO_THIRDS_REAL = PBeautyConfig(p=2 / 3, integer=False)
# Nagel's level-k and CHC's CH closed forms are those of the distance payoff (winner-takes-prize
# best responses are tested against brute force in tests/test_qre_payoff_rule.py)
NAGEL_INT = PBeautyConfig(p=2 / 3, payoff="distance")
NAGEL_REAL = PBeautyConfig(p=2 / 3, integer=False, payoff="distance")


# ------------------------------------------------------------------ level-k and equilibrium
def test_level_k_real_guesses_are_50_times_p_to_the_k() -> None:
    assert theory.level_k_action(NAGEL_REAL, 1) == pytest.approx(100 / 3)
    assert theory.level_k_action(NAGEL_REAL, 2) == pytest.approx(200 / 9)
    assert theory.level_k_action(NAGEL_REAL, 3) == pytest.approx(400 / 27)
    assert round(theory.level_k_action(NAGEL_REAL, 1), 2) == 33.33
    assert round(theory.level_k_action(NAGEL_REAL, 2), 2) == 22.22


def test_level_k_integer_guesses_are_rounded() -> None:
    assert [theory.level_k_action(NAGEL_INT, k) for k in (1, 2, 3, 4)] == [33, 22, 15, 10]


def test_level_k_clipped_to_bounds_when_p_above_one() -> None:
    cfg = PBeautyConfig(p=4 / 3, integer=False, payoff="distance")
    assert theory.level_k_action(cfg, 1) == pytest.approx(200 / 3)
    assert theory.level_k_action(cfg, 2) == pytest.approx(800 / 9)
    assert theory.level_k_action(cfg, 3) == 100.0  # 118.5 clipped


def test_level_zero_is_not_a_point_prediction() -> None:
    with pytest.raises(ValueError, match="k >= 1"):
        theory.level_k_action(NAGEL_INT, 0)


def test_equilibrium_two_thirds() -> None:
    assert theory.equilibrium_action(TWO_THIRDS_INT) == 0.0
    assert theory.equilibrium_action(TWO_THIRDS_REAL) == 0.0
    assert theory.symmetric_equilibria(TWO_THIRDS_REAL) == [0.0]
    assert theory.is_symmetric_equilibrium(TWO_THIRDS_REAL, 0.0)
    assert not theory.is_symmetric_equilibrium(TWO_THIRDS_REAL, 1.0)


def test_integer_two_thirds_has_equilibria_zero_and_one() -> None:
    assert theory.symmetric_equilibria(TWO_THIRDS_INT) == [0.0, 1.0]
    found = [g for g in range(101) if theory.is_symmetric_equilibrium(TWO_THIRDS_INT, g)]
    assert found == [0, 1]


def test_p_four_thirds_equilibria_at_both_bounds() -> None:
    real = PBeautyConfig(p=4 / 3, integer=False)
    assert theory.symmetric_equilibria(real) == [0.0, 100.0]
    assert theory.equilibrium_action(real) == 100.0
    assert theory.is_symmetric_equilibrium(real, 0.0)
    assert theory.is_symmetric_equilibrium(real, 100.0)
    assert not theory.is_symmetric_equilibrium(real, 50.0)
    assert not theory.is_symmetric_equilibrium(real, 1.0)  # 1.1 would be closer to 1.35


def test_p_four_thirds_integer_also_all_one() -> None:
    # all-1: target 4/3 and everyone ties at 0.1. Deviating to 0 (target 1.2) or 2 (target
    # 1.47) leaves the deviator farther from the target than the nine players at 1.
    cfg = PBeautyConfig(p=4 / 3)
    assert theory.symmetric_equilibria(cfg) == [0.0, 1.0, 100.0]
    found = [g for g in range(101) if theory.is_symmetric_equilibrium(cfg, g)]
    assert found == [0, 1, 100]
    assert not theory.is_symmetric_equilibrium(cfg, 50.0)
    # two players: p > n/2, so a lone deviator from all-0 (or all-1) to x is closer to the
    # target p(x + 0)/2 than the other player: only all-100 survives
    assert theory.symmetric_equilibria(PBeautyConfig(p=4 / 3, n_players=2)) == [100.0]


@pytest.mark.parametrize("n", [2, 3, 4, 5, 10])
@pytest.mark.parametrize("p", [0.5, 0.9, 1.5, 2.0, 2.5, 3.0])
@pytest.mark.parametrize("payoff", list(PayoffRule))
def test_real_closed_forms_match_brute_force(n: int, p: float, payoff: PayoffRule) -> None:
    cfg = PBeautyConfig(n_players=n, p=p, integer=False, payoff=payoff, upper=40)
    try:
        closed = theory.symmetric_equilibria(cfg)
    except ValueError:  # a continuum of equilibria
        assert payoff is PayoffRule.DISTANCE and p == n
        assert all(theory.is_symmetric_equilibrium(cfg, g) for g in (0.0, 13.0, 40.0))
        return
    candidates = np.linspace(0, 40, 81)
    brute = [float(g) for g in candidates if theory.is_symmetric_equilibrium(cfg, g)]
    assert brute == closed
    assert theory.equilibrium_action(cfg) in closed


def test_all_zero_breaks_when_p_exceeds_half_the_group() -> None:
    # winner-takes-prize, all at 0, one deviates to x: target p x / n; the deviator is
    # x (1 - p/n) away, the others p x / n, so the deviator wins iff p > n / 2
    assert theory.is_symmetric_equilibrium(PBeautyConfig(n_players=4, p=2.0, integer=False), 0)
    assert not theory.is_symmetric_equilibrium(PBeautyConfig(n_players=4, p=2.1, integer=False),
                                               0)


def test_p_above_one_with_positive_lower_bound_only_upper() -> None:
    cfg = PBeautyConfig(p=1.5, lower=10, upper=50)
    assert theory.symmetric_equilibria(cfg) == [50.0]
    assert not theory.is_symmetric_equilibrium(cfg, 10.0)


def test_p_one_integer_every_common_guess_is_an_equilibrium() -> None:
    cfg = PBeautyConfig(p=1.0)
    assert theory.symmetric_equilibria(cfg) == [float(g) for g in range(101)]
    assert all(theory.is_symmetric_equilibrium(cfg, g) for g in range(101))
    with pytest.raises(ValueError, match="every common guess"):
        theory.symmetric_equilibria(PBeautyConfig(p=1.0, integer=False))


@pytest.mark.parametrize("p", [0.5, 2 / 3, 0.9])
def test_iterated_dominance_upper_end_is_100_p_to_the_k(p: float) -> None:
    steps = theory.iterated_dominance(PBeautyConfig(p=p), 6)
    assert steps.shape == (7, 2)
    np.testing.assert_allclose(steps[:, 1], [100 * p ** k for k in range(7)])
    np.testing.assert_array_equal(steps[:, 0], 0.0)


def test_iterated_dominance_p_above_one_keeps_interval() -> None:
    steps = theory.iterated_dominance(PBeautyConfig(p=4 / 3), 3)
    np.testing.assert_array_equal(steps, [[0, 100]] * 4)


# ------------------------------------------------------------------ cognitive hierarchy
def _poisson(k: int, tau: float) -> float:
    return math.exp(-tau) * tau ** k / math.factorial(k)


def test_ch_steps_tau_1_5_hand_computed() -> None:
    f = [_poisson(k, 1.5) for k in range(4)]
    x0 = 50.0
    x1 = 2 / 3 * x0
    x2 = 2 / 3 * (f[0] * x0 + f[1] * x1) / (f[0] + f[1])
    x3 = 2 / 3 * (f[0] * x0 + f[1] * x1 + f[2] * x2) / (f[0] + f[1] + f[2])
    # f1 = 1.5 f0 and f2 = 1.125 f0, so the mixes are exact fractions:
    assert x2 == pytest.approx(80 / 3)
    assert x3 == pytest.approx(2 / 3 * 130 / 3.625)
    real = theory.ch_actions(NAGEL_REAL, 1.5, 3)
    np.testing.assert_allclose(real, [x0, x1, x2, x3])
    np.testing.assert_array_equal(theory.ch_actions(NAGEL_INT, 1.5, 3), [50, 33, 27, 24])


def test_ch_steps_decrease_to_a_positive_limit() -> None:
    # higher steps believe in ever more low-step players, so guesses fall but converge
    # (Poisson weights vanish) to p times the limit mix mean, well above the equilibrium 0
    steps = theory.ch_actions(NAGEL_REAL, 1.5, 30)
    assert np.all(np.diff(steps[:8]) < 0) and np.all(np.diff(steps) <= 0)
    assert steps[-1] == pytest.approx(steps[-2]) and 20 < steps[-1] < steps[3]
    with pytest.raises(ValueError, match="tau must be > 0"):
        theory.ch_actions(NAGEL_REAL, 0.0, 3)


def test_action_utilities_peak_at_best_response() -> None:
    # best response to others' mean b: g = p (n-1) b / (n - p) = 300 / 9.33 = 32.14
    grid = np.arange(101.0)
    u = theory.action_utilities(NAGEL_INT, grid)
    assert int(grid[np.argmax(u)]) == 32
    u60 = theory.action_utilities(NAGEL_INT, grid, belief_mean=60.0)
    assert int(grid[np.argmax(u60)]) == round(2 / 3 * 9 * 60 / (10 - 2 / 3))


# ------------------------------------------------------------------ payoffs
def test_ties_split_the_prize() -> None:
    cfg = PBeautyConfig(n_players=3, prize=6.0)
    # mean 20, target 13.3: both 10s are closest
    np.testing.assert_allclose(theory.payoffs(cfg, np.array([10, 10, 40])), [3, 3, 0])
    np.testing.assert_allclose(theory.payoffs(cfg, np.array([7, 7, 7])), [2, 2, 2])


def test_distance_payoff_formula_and_floor() -> None:
    cfg = PBeautyConfig(n_players=2, payoff="distance", prize=10.0)
    # mean 50, target 33.3; distances 33.3 and 46.7 on a range of 100
    np.testing.assert_allclose(theory.payoffs(cfg, np.array([0, 100])),
                               [10 * (1 - 100 / 300), 10 * (1 - 200 / 300)])
    hot = PBeautyConfig(n_players=10, p=4 / 3, payoff="distance")
    # the target reaches 133.3, so distances are scaled by 133.3, not by the range 100: the
    # guess of 0 is 120 from the target 120 and still earns 1 - 120/133.3 = 0.1, not -0.2
    assert theory.max_distance(hot) == pytest.approx(400 / 3)
    pay = theory.payoffs(hot, np.array([0] + [100] * 9))
    np.testing.assert_allclose(pay, [0.1] + [1 - 20 / (400 / 3)] * 9)


@pytest.mark.parametrize(("kwargs", "expected"), [
    ({}, 100.0),  # L = 0, p <= 1: the range
    ({"p": 4 / 3}, 400 / 3),  # p U - L
    ({"p": 0.5, "lower": 20, "upper": 60}, 50.0),  # U - p L
    ({"p": 2.0, "lower": 10, "upper": 20}, 30.0),  # p U - L
])
def test_max_distance(kwargs: dict[str, float], expected: float) -> None:
    assert theory.max_distance(PBeautyConfig(**kwargs)) == pytest.approx(expected)


guess_profiles = st.integers(2, 8).flatmap(
    lambda n: st.lists(st.floats(0, 100, allow_nan=False), min_size=n, max_size=n))
p_values = st.floats(0.1, 2.0)


@settings(max_examples=150, deadline=None)
@given(guess_profiles, p_values, st.floats(0.5, 50))
def test_winner_takes_prize_invariants(guesses: list[float], p: float, prize: float) -> None:
    cfg = PBeautyConfig(n_players=len(guesses), p=p, integer=False, prize=prize)
    g = np.array(guesses)
    pay = theory.payoffs(cfg, g)
    assert pay.sum() == pytest.approx(prize)
    assert np.all(pay >= 0) and np.all(pay <= prize + 1e-12)
    winners = pay > 0
    assert np.allclose(pay[winners], prize / winners.sum())
    dist = np.abs(g - p * g.mean())
    assert dist[winners].max() <= dist.min() + 1e-9


@settings(max_examples=150, deadline=None)
@given(guess_profiles, p_values, st.sampled_from(list(PayoffRule)), st.randoms())
def test_payoffs_symmetric_under_permutation(guesses: list[float], p: float, rule: PayoffRule,
                                             rnd: object) -> None:
    cfg = PBeautyConfig(n_players=len(guesses), p=p, integer=False, payoff=rule)
    g = np.array(guesses)
    perm = np.arange(g.size)
    rnd.shuffle(perm)  # type: ignore[attr-defined]
    np.testing.assert_allclose(theory.payoffs(cfg, g[perm]), theory.payoffs(cfg, g)[perm])


@settings(max_examples=150, deadline=None)
@given(guess_profiles, p_values, st.floats(0.5, 50))
def test_distance_payoff_decreasing_in_distance(guesses: list[float], p: float,
                                                prize: float) -> None:
    cfg = PBeautyConfig(n_players=len(guesses), p=p, integer=False, payoff="distance",
                        prize=prize)
    g = np.array(guesses)
    pay = theory.payoffs(cfg, g)
    dist = np.abs(g - p * g.mean())
    assert np.all(pay >= 0) and np.all(pay <= prize + 1e-12)
    order = np.argsort(dist, kind="stable")
    assert np.all(np.diff(pay[order]) <= 1e-12)
    closer = dist[:, None] < dist[None, :] - 1e-9
    strictly = closer & (pay[None, :] > 0)
    assert np.all((pay[:, None] > pay[None, :])[strictly])


# ------------------------------------------------------------------ config validation
@pytest.mark.parametrize(("kwargs", "field"), [
    ({"p": 0}, "p must be > 0"),
    ({"p": -0.5}, "p must be > 0"),
    ({"p": float("nan")}, "p must be > 0"),
    ({"lower": 100, "upper": 100}, r"lower \(100\) must be < upper \(100\)"),
    ({"lower": 60, "upper": 10}, r"lower \(60\) must be < upper \(10\)"),
    ({"lower": -10}, "lower must be >= 0"),
    ({"upper": float("inf")}, "lower and upper must be finite"),
    ({"upper": 99.5}, "integer guesses need integer lower and upper"),
    ({"n_players": 1}, "n_players must be an integer >= 2"),
    ({"rounds": 0}, "rounds must be an integer >= 1"),
    ({"payoff": "closest"}, "payoff must be one of winner_takes_prize, distance"),
    ({"prize": 0}, "prize must be > 0"),
])
def test_config_errors_name_the_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(ValueError, match=f"p_beauty: {field}"):
        agora.make("p_beauty", **kwargs)


def test_payoff_rule_given_as_string_becomes_enum() -> None:
    assert PBeautyConfig(payoff="distance").payoff is PayoffRule.DISTANCE


# ------------------------------------------------------------------ kernel
def test_kernel_records_round_feedback() -> None:
    cfg = PBeautyConfig(n_players=3, rounds=2, p=0.5)
    k = PBeautyKernel(cfg, 2, np.random.default_rng(0))
    inst, players = k.pending()
    np.testing.assert_array_equal(inst, [0, 0, 0, 1, 1, 1])
    np.testing.assert_array_equal(players, [0, 1, 2, 0, 1, 2])
    out = k.step(inst, players, np.array([10, 20, 30, 90, 60, 60.0]))
    # instance 0: mean 20, target 10 -> player 0 wins; instance 1: mean 70, target 35 -> tie
    np.testing.assert_allclose(out.columns["target"], [10, 10, 10, 35, 35, 35])
    np.testing.assert_allclose(out.rewards, [1, 0, 0, 0, 0.5, 0.5])
    np.testing.assert_array_equal(out.columns["n_winners"], [1, 1, 1, 2, 2, 2])
    np.testing.assert_array_equal(out.columns["won"], [True, False, False, False, True, True])
    obs = k.observe(1, 1)
    assert obs.round == 1 and len(obs.history) == 1
    fb = obs.history[0]
    assert (fb.mean, fb.target, fb.n_winners, fb.own_guess, fb.own_payoff, fb.won) == \
        (70.0, 35.0, 2, 60.0, 0.5, True)
    k.step(inst, players, np.zeros(6))
    assert k.done.all()
    assert k.pending()[0].size == 0


def test_kernel_rejects_partial_round() -> None:
    k = PBeautyKernel(PBeautyConfig(n_players=3), 1, np.random.default_rng(0))
    with pytest.raises(ValueError, match="every player"):
        k.step(np.array([0, 0]), np.array([0, 1]), np.array([1.0, 2.0]))


def test_rules_prompt_mentions_parameters() -> None:
    text = PBeautyKernel.prompts.rules(PBeautyConfig(n_players=7, p=0.5, rounds=3), "player")
    assert "7 players" in text and "0.5 times the average" in text and "3 rounds" in text
