"""QRE, level-k and CH of the p-beauty contest use the game's own payoff rule (issue 16).

Winner-takes-the-prize expected shares, level-k and CH best responses are checked against
enumeration of every guess profile with the kernel's payoff hook; λ is recovered from logit
choices simulated with the game's utilities.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from agora.analysis import rationality as ra
from games.p_beauty import PBeautyConfig, PBeautyKernel, theory
from games.p_beauty import expected as ex

PAYOFFS = PBeautyKernel.hooks.payoffs  # the kernel's own rule, ties split
SMALL = [
    {"n_players": 3, "upper": 8},
    {"n_players": 4, "upper": 6, "p": 0.5},
    {"n_players": 3, "lower": 1, "upper": 7, "p": 4 / 3},
    {"n_players": 2, "upper": 9},
    {"n_players": 4, "upper": 5, "p": 1.0},  # every common guess ties
    {"n_players": 3, "upper": 10, "p": 1.5, "prize": 3.0},
]


def brute_expected(cfg: PBeautyConfig, grid: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Expected payoff of each guess, enumerating every profile of the others (pmf ``q``)."""
    vals = np.arange(cfg.lower, cfg.upper + 1)
    out = np.zeros(grid.size)
    for prof in itertools.product(range(vals.size), repeat=cfg.n_players - 1):
        prob = float(np.prod(q[list(prof)]))
        if prob == 0:
            continue
        profiles = np.column_stack([grid, np.tile(vals[list(prof)], (grid.size, 1))])
        out += prob * PAYOFFS(cfg, profiles)[:, 0]
    return out


def brute_best(cfg: PBeautyConfig, q: np.ndarray, mean: float) -> float:
    """Best response by enumeration; ties to the guess nearest its own target, then lowest."""
    grid = np.arange(cfg.lower, cfg.upper + 1)
    u = brute_expected(cfg, grid, q)
    best = np.flatnonzero(u >= u.max() - 1e-12)
    n, p = cfg.n_players, cfg.p
    off = np.abs(grid[best] - p * (grid[best] + (n - 1) * mean) / n)
    return float(grid[best][np.argmin(off)])


def point_pmf(cfg: PBeautyConfig, x: float) -> np.ndarray:
    q = np.zeros(int(cfg.upper - cfg.lower) + 1)
    q[int(x - cfg.lower)] = 1.0
    return q


# ------------------------------------------------------------------ expected shares
@pytest.mark.parametrize("kwargs", SMALL)
def test_level0_utilities_equal_enumeration(kwargs: dict[str, float]) -> None:
    cfg = PBeautyConfig(**kwargs)
    grid = np.arange(cfg.lower, cfg.upper + 1)
    uniform = np.full(grid.size, 1 / grid.size)
    np.testing.assert_allclose(theory.action_utilities(cfg, grid), brute_expected(
        cfg, grid, uniform), atol=1e-10)
    mix = ex.Belief(0.3, (cfg.lower + 2, cfg.lower + 4), (0.5, 0.2))
    np.testing.assert_allclose(ex.expected_shares(cfg, grid, mix), brute_expected(
        cfg, grid, mix.lattice_pmf(cfg)), atol=1e-10)


def test_shares_of_all_guesses_sum_to_the_prize_on_average() -> None:
    # with everyone uniform, player 0's expected share is prize / n by symmetry
    cfg = PBeautyConfig(n_players=7, upper=30, prize=2.0)
    u = theory.action_utilities(cfg, np.arange(31.0))
    assert u.mean() == pytest.approx(2.0 / 7, abs=1e-12)


def test_monte_carlo_matches_exact_within_its_error() -> None:
    cfg = PBeautyConfig(n_players=6, upper=40)
    grid = np.arange(41.0)
    exact = theory.action_utilities(cfg, grid)
    mc = ex._monte_carlo(cfg, grid, ex.LEVEL0)
    assert np.abs(mc - exact).max() < 4 * 0.5 / np.sqrt(ex.MC_MAX_DRAWS)


def test_monte_carlo_is_the_kernel_rule_on_its_draws() -> None:
    cfg = PBeautyConfig(n_players=5, integer=False, p=0.8, prize=2.0)
    grid = np.linspace(0, 100, 21)
    mc = ex._monte_carlo(cfg, grid, ex.LEVEL0, max_draws=ex.MC_MIN_DRAWS)
    others = ex.LEVEL0.sample(cfg, (ex.MC_MIN_DRAWS, 4), np.random.default_rng(ex.MC_SEED))
    direct = [PAYOFFS(cfg, np.column_stack([np.full(ex.MC_MIN_DRAWS, g), others]))[:, 0].mean()
              for g in grid]
    np.testing.assert_allclose(mc, direct, atol=1e-12)


def test_real_guesses_use_monte_carlo_and_point_beliefs_are_exact() -> None:
    cfg = PBeautyConfig(n_players=4, integer=False)
    grid = np.linspace(0, 100, 51)
    u = theory.action_utilities(cfg, grid)
    assert u.mean() == pytest.approx(0.25, abs=0.02) and grid[np.argmax(u)] < 40
    u30 = theory.action_utilities(cfg, grid, belief_mean=30.0)
    # others all at 30: target p(g + 90)/4; guesses from 20 to 28 win alone
    prof = np.column_stack([grid, np.full((grid.size, 3), 30.0)])
    np.testing.assert_array_equal(u30, PAYOFFS(cfg, prof)[:, 0])
    assert set(u30[(grid > 19) & (grid < 29)]) == {1.0}


@pytest.mark.parametrize("kwargs", SMALL)
def test_distance_level0_utilities_equal_enumeration(kwargs: dict[str, float]) -> None:
    cfg = PBeautyConfig(**kwargs, payoff="distance")
    grid = np.arange(cfg.lower, cfg.upper + 1)
    np.testing.assert_allclose(theory.action_utilities(cfg, grid), brute_expected(
        cfg, grid, np.full(grid.size, 1 / grid.size)), atol=1e-12)


def test_distance_real_guesses_within_the_midpoint_rule_bound() -> None:
    from scipy import integrate

    cfg = PBeautyConfig(n_players=2, p=0.8, lower=10, upper=60, integer=False,
                        payoff="distance", prize=5.0)
    grid = np.array([10.0, 17.5, 23.0, 40.0, 60.0])
    # E over the other's uniform guess x on [10, 60] (density 1/50); the kink t = g sits at
    # x = g (2 - p) / p = 1.5 g
    exact = [integrate.quad(lambda x, g=g: PAYOFFS(cfg, np.array([g, x]))[0] / 50, 10, 60,
                            points=[1.5 * g], limit=200)[0] for g in grid]
    np.testing.assert_allclose(theory.action_utilities(cfg, grid), exact, atol=5.0 / 2000)


def test_distance_normal_approximation_for_huge_groups(monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = PBeautyConfig(n_players=300, payoff="distance")
    grid = np.arange(0.0, 101.0, 5.0)
    exact = theory.action_utilities(cfg, grid)
    monkeypatch.setattr(ex, "MAX_SUM_VALUES", 10)
    np.testing.assert_allclose(theory.action_utilities(cfg, grid), exact, atol=1e-4)


def test_distance_point_belief_unchanged() -> None:
    cfg = PBeautyConfig(payoff="distance")
    grid = np.arange(101.0)
    target = 2 / 3 * (grid + 9 * 50) / 10
    np.testing.assert_allclose(theory.action_utilities(cfg, grid, belief_mean=50.0),
                               1 - np.abs(grid - target) / 100)
    # the level-0 expectation smooths the kink but, the others' sum being symmetric, keeps the
    # best response at the median: 2/3 * 9 * 50 / (10 - 2/3) = 32.14
    assert np.argmax(theory.action_utilities(cfg, grid)) == 32


# ------------------------------------------------------------------ level-k and CH
@pytest.mark.parametrize("kwargs", SMALL)
def test_winner_level_k_is_the_best_response_by_enumeration(kwargs: dict[str, float]) -> None:
    cfg = PBeautyConfig(**kwargs)
    k = int(cfg.upper - cfg.lower) + 1
    x = brute_best(cfg, np.full(k, 1 / k), theory.midpoint(cfg))
    assert theory.level_k_action(cfg, 1) == x
    for level in (2, 3):
        x = brute_best(cfg, point_pmf(cfg, x), x)
        assert theory.level_k_action(cfg, level) == x


@pytest.mark.parametrize("kwargs", SMALL[:3])
def test_winner_ch_steps_best_respond_by_enumeration(kwargs: dict[str, float]) -> None:
    from scipy.stats import poisson

    cfg = PBeautyConfig(**kwargs)
    steps = theory.ch_actions(cfg, 1.5, 4)
    f = poisson.pmf(np.arange(5), 1.5)
    k = int(cfg.upper - cfg.lower) + 1
    for j in range(1, 5):
        q = f[0] * np.full(k, 1 / k)
        for i in range(1, j):
            q = q + f[i] * point_pmf(cfg, steps[i])
        mean = float(np.dot(f[:j], steps[:j]) / f[:j].sum())
        assert steps[j] == brute_best(cfg, q / q.sum(), mean)
    np.testing.assert_array_equal(theory.ch_actions(cfg, 1.5, 2), steps[:3])  # prefix


def test_high_levels_stop_at_a_self_best_response() -> None:
    # all-1 is an equilibrium of the integer 2/3 contest: 1 best responds to a crowd at 1
    cfg = PBeautyConfig()
    assert theory.level_k_action(cfg, 5000) == theory.level_k_action(cfg, 60) == 1.0
    assert theory.is_symmetric_equilibrium(cfg, 1.0)


def test_small_groups_differ_from_nagel() -> None:
    # two players, p < 1: the lower guess is always closer to the target, so 0 is dominant
    two = PBeautyConfig(n_players=2)
    assert [theory.level_k_action(two, k) for k in (1, 2)] == [0.0, 0.0]
    assert theory.level_k_action(PBeautyConfig(n_players=2, payoff="distance"), 1) == 33.0
    assert theory.ch_actions(two, 1.5, 2).tolist() == [50.0, 0.0, 0.0]


@pytest.mark.parametrize("p", [0.5, 2 / 3])
def test_large_groups_coincide_with_nagel(p: float) -> None:
    # 50 players: the own guess barely moves the target, so levels 1-3 are Nagel's rounded
    # p^k·50 under both rules (chained rounding separates them from level 5 on)
    win, dist = PBeautyConfig(n_players=50, p=p), PBeautyConfig(n_players=50, p=p,
                                                               payoff="distance")
    assert [theory.level_k_action(win, k) for k in (1, 2, 3)] == \
        [theory.level_k_action(dist, k) for k in (1, 2, 3)]


def test_winner_level_k_above_one_is_the_guess_at_its_own_target() -> None:
    # against a crowd at x every guess nearer the target wins outright; the tie-break picks
    # g = p(n-1)x/(n-p), rounded: 67 -> 89.33·49/48.67 = 89.9 -> 90 for p = 4/3, n = 50
    cfg = PBeautyConfig(n_players=50, p=4 / 3)
    x1 = theory.level_k_action(cfg, 1)
    assert x1 == 67.0
    assert theory.level_k_action(cfg, 2) == round(4 / 3 * 49 * x1 / (50 - 4 / 3)) == 90


# ------------------------------------------------------------------ λ recovery (acceptance)
@pytest.mark.parametrize(("payoff", "lam"), [("winner_takes_prize", 15.0),
                                             ("winner_takes_prize", 40.0),
                                             ("distance", 20.0)])
def test_fit_logit_qre_recovers_planted_lambda(payoff: str, lam: float) -> None:
    cfg = PBeautyConfig(payoff=payoff)
    grid = np.arange(101.0)
    u = theory.action_utilities(cfg, grid)
    prob = np.exp(lam * (u - u.max()))
    actions = np.random.default_rng(2024).choice(grid, size=3000, p=prob / prob.sum())
    est = ra.fit_logit_qre(actions, grid=grid, utilities=u, n_boot=20, rng=7)
    assert est.value == pytest.approx(lam, rel=0.15)
    assert est.extra["at_bound"] == 0.0


def test_quantal_response_policy_plays_the_winner_rule() -> None:
    import agora
    from agora.policies import QuantalResponsePolicy

    cfg = {"n_players": 10}
    res = agora.run("p_beauty", policy=QuantalResponsePolicy(30.0),
                    n_instances=300, seed=5, **cfg)
    guesses = res.records["action"].to_numpy()
    grid = np.arange(101.0)
    u = theory.action_utilities(PBeautyConfig(**cfg), grid)
    est = ra.fit_logit_qre(guesses, grid=grid, utilities=u, n_boot=0)
    assert est.value == pytest.approx(30.0, rel=0.15)


def test_fit_logit_qre_recovers_lambda_at_the_winner_rule_fixed_point() -> None:
    # symmetric logit QRE σ = softmax(λ·U(σ)) with U the exact expected shares against two
    # others playing σ; play simulated from σ with a generator the fit does not share
    cfg = PBeautyConfig(n_players=3, upper=10)
    grid = np.arange(11.0)

    def shares(sigma: np.ndarray) -> np.ndarray:
        return ex.expected_shares(cfg, grid, ex.Belief(0.0, tuple(grid),
                                                       tuple(np.maximum(sigma, 0.0))))

    sigma = ra.qre_fixed_point(shares, 8.0, grid.size)
    assert np.abs(sigma - ra.logit_probs(shares(sigma), 8.0)).max() < 1e-8
    actions = np.random.default_rng(99).choice(grid, size=3000, p=sigma / sigma.sum())
    est = ra.fit_logit_qre(actions, grid=grid, utilities=shares, n_boot=0)
    assert est.value == pytest.approx(8.0, rel=0.15)
