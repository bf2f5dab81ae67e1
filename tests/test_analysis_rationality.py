"""Rationality fits: parameters recovered from data simulated by independent samplers."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agora.analysis import rationality as ra
from agora.analysis.estimate import BoundWarning, Estimate, bootstrap, mean_estimate


def sample_cognitive_hierarchy(rng: np.random.Generator, n: int, *, tau: float, p: float,
                               sigma: float, lower: float = 0.0,
                               upper: float = 100.0) -> np.ndarray:
    """Independent CH sampler: Poisson(τ) steps (untruncated), step 0 uniform, step k at p times
    the mean of the normalised Poisson mix of lower steps, plus N(0, σ²) noise (resampled until
    inside the bounds)."""
    top = 40
    pmf = np.array([math.exp(-tau) * tau ** k / math.factorial(k) for k in range(top + 1)])
    means = [(lower + upper) / 2]
    for k in range(1, top + 1):
        means.append(p * float(np.dot(pmf[:k], means[:k]) / pmf[:k].sum()))
    steps = np.minimum(rng.poisson(tau, size=n), top)
    out = np.empty(n)
    for i, k in enumerate(steps):
        if k == 0:
            out[i] = rng.uniform(lower, upper)
            continue
        while True:
            x = means[k] + sigma * rng.standard_normal()
            if lower <= x <= upper:
                out[i] = x
                break
    return out


def test_ch_tau_recovered_from_5000_choices() -> None:
    rng = np.random.default_rng(2024)
    g = sample_cognitive_hierarchy(rng, 5000, tau=1.5, p=2 / 3, sigma=4.0)
    est = ra.fit_cognitive_hierarchy(g, p=2 / 3, lower=0, upper=100, n_boot=20, rng=1,
                                     noise="constant")
    assert isinstance(est, Estimate)
    assert abs(est.value - 1.5) <= 0.15
    assert est.n == 5000
    assert est.ci_low <= est.value <= est.ci_high
    assert est.extra["sigma"] == pytest.approx(4.0, rel=0.15)
    assert est.extra["spike_share"] < 0.01 and not est.at_bound


def test_ch_tau_recovered_for_other_p() -> None:
    rng = np.random.default_rng(7)
    g = sample_cognitive_hierarchy(rng, 3000, tau=0.8, p=0.5, sigma=2.0)
    est = ra.fit_cognitive_hierarchy(g, p=0.5, n_boot=0, noise="constant")
    assert abs(est.value - 0.8) <= 0.15
    assert math.isnan(est.ci_low)


def sample_ch_spike(rng: np.random.Generator, n: int, *, tau: float, p: float, sigma: float,
                    spike: float) -> np.ndarray:
    """Independent sampler of the default likelihood's model on [0, 100], rounded to whole
    numbers: a share ``spike`` at the equilibrium 0 (|N(0, 1)|), the rest CH steps with exact
    best responses and noise ``sigma·x_k/x_1`` (at least 1), resampled until inside."""
    top = 60
    pmf = np.array([math.exp(-tau) * tau ** k / math.factorial(k) for k in range(top + 1)])
    means = [50.0]
    for k in range(1, top + 1):
        means.append(p * float(np.dot(pmf[:k], means[:k]) / pmf[:k].sum()))
    out = np.empty(n)
    for i in range(n):
        if rng.random() < spike:
            x = abs(rng.standard_normal())
            while x > 100:
                x = abs(rng.standard_normal())
            out[i] = x
            continue
        k = min(int(rng.poisson(tau)), top)
        if k == 0:
            out[i] = rng.uniform(0, 100)
            continue
        sd = max(sigma * means[k] / means[1], 1.0)
        while True:
            x = means[k] + sd * rng.standard_normal()
            if 0 <= x <= 100:
                out[i] = x
                break
    return np.round(out)


@pytest.mark.parametrize(("tau", "spike"), [(1.5, 0.0), (2.5, 0.15)])
def test_ch_default_likelihood_recovers_tau_spike_and_sigma(tau: float, spike: float) -> None:
    g = sample_ch_spike(np.random.default_rng(11), 4000, tau=tau, p=2 / 3, sigma=8.0,
                        spike=spike)
    est = ra.fit_cognitive_hierarchy(g, p=2 / 3, n_boot=10, rng=0)
    assert abs(est.value - tau) <= 0.15
    assert est.extra["spike_share"] == pytest.approx(spike, abs=0.02)
    assert est.extra["sigma"] == pytest.approx(8.0, rel=0.15)
    assert not est.at_bound and est.ci_low <= est.value <= est.ci_high


def test_ch_issue_item1_half_normal_is_interior_or_flagged() -> None:
    g = np.minimum(np.abs(np.random.default_rng(0).normal(0, 25, 2000)).round(), 100)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est = ra.fit_cognitive_hierarchy(g, p=2 / 3, n_boot=20, rng=0)
    if est.at_bound:
        assert any(issubclass(w.category, BoundWarning) for w in caught)
        assert math.isinf(est.ci_high)
    else:
        assert 0.5 < est.ci_low <= est.value <= est.ci_high < 25
    # the old model (one shared noise, no spike) runs off towards its bound here
    old = ra.fit_cognitive_hierarchy(g, p=2 / 3, n_boot=0, noise="constant", spike=False)
    assert old.value > 10


def test_ch_field_shaped_data_interior_and_moment_near_chc() -> None:
    rng = np.random.default_rng(3)
    g = np.concatenate([rng.integers(0, 2, 360), np.full(180, 33), np.full(180, 22),
                        np.full(90, 50), np.full(60, 100),
                        np.clip(np.round(rng.lognormal(math.log(18), 0.6, 2130)), 0, 100)])
    g = g.astype(np.float64)
    assert 21 < g.mean() < 25 and np.mean(g <= 1) > 0.1
    with warnings.catch_warnings():
        warnings.simplefilter("error", BoundWarning)
        est = ra.fit_cognitive_hierarchy(g, p=2 / 3, n_boot=20, rng=0)
    assert not est.at_bound and 1.0 < est.ci_low <= est.value <= est.ci_high < 6.0
    assert est.extra["spike_share"] == pytest.approx(0.12, abs=0.03)
    mom = ra.fit_cognitive_hierarchy(g, p=2 / 3, method="moment", n_boot=50, rng=0)
    assert "mean matching" in mom.method and mom.level == 0.90
    assert abs(mom.extra["predicted_mean"] - g.mean()) < 0.2


def test_ch_moment_tau_for_mean_23_is_chc_3() -> None:
    assert ra.ch_tau_for_mean(23.0, p=2 / 3) == pytest.approx(3.0, abs=0.25)
    g = np.clip(np.random.default_rng(1).normal(23.0, 11.1, 500), 0, 100)
    g = g - g.mean() + 23.0
    est = ra.fit_cognitive_hierarchy(g, p=2 / 3, method="moment", whole_numbers=True,
                                     n_boot=100, rng=0)
    assert abs(est.value - 3.0) <= 0.25 and est.ci_low < 3.0 < est.ci_high


def test_ch_all_equilibrium_play_is_flagged_at_bound() -> None:
    with pytest.warns(BoundWarning, match="tau = 30 sits at the upper bound 30"):
        est = ra.fit_cognitive_hierarchy(np.zeros(40), p=2 / 3, n_boot=5, rng=0)
    assert est.at_bound and est.ci_high == math.inf and math.isnan(est.se)
    assert est.as_dict()["at_bound"] is True and "at its bound" in str(est)
    with pytest.warns(BoundWarning, match="lower bound 0"):
        mom = ra.fit_cognitive_hierarchy(np.full(40, 60.0), p=2 / 3, method="moment", n_boot=5)
    assert mom.at_bound and mom.value == 0.0 and mom.ci_low == 0.0


def test_estimate_at_a_search_bound_is_flagged_and_one_sided() -> None:
    from agora.analysis.estimate import estimate_from

    draws = np.linspace(8.0, 30.0, 50)
    with pytest.warns(BoundWarning, match="tau = 30 sits at the upper bound 30"):
        e = estimate_from(30.0, draws, 100, name="tau", bounds=(0.001, 30.0),
                          support=(0.0, math.inf))
    assert e.at_bound and e.ci_high == math.inf and e.ci_low < 30 and math.isnan(e.se)
    with warnings.catch_warnings():
        warnings.simplefilter("error", BoundWarning)
        inner = estimate_from(3.0, draws, 100, name="tau", bounds=(0.001, 30.0))
    assert not inner.at_bound and inner.as_dict()["at_bound"] is False
    assert math.isfinite(inner.ci_high)


def test_ch_weights_are_a_poisson_at_any_tau() -> None:
    for tau in (0.5, 3.0, 20.0):
        f = ra.ch_weights(tau, 10)
        assert f.sum() == pytest.approx(1.0)
        assert float(np.arange(f.size) @ f) == pytest.approx(tau, rel=1e-6)


def test_ch_step_means_match_theory_module() -> None:
    from games.p_beauty import theory
    from games.p_beauty.config import PBeautyConfig

    cfg = PBeautyConfig(integer=False, payoff="distance")  # CHC's large-group model
    assert np.allclose(ra.ch_step_means(1.5, p=2 / 3, lower=0, upper=100, k_max=8,
                                        whole_numbers=False),
                       theory.ch_actions(cfg, 1.5, 8))
    whole = ra.ch_step_means(3.0, p=2 / 3, lower=0, upper=100, k_max=8)
    assert np.all(whole == np.floor(whole)) and whole[1] == 33


def test_ch_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="k_max"):
        ra.fit_cognitive_hierarchy([1.0, 2.0], p=0.5, k_max=3)
    with pytest.raises(ValueError, match="outside"):
        ra.fit_cognitive_hierarchy([1.0, 200.0], p=0.5)
    with pytest.raises(ValueError, match="p = 1"):
        ra.fit_cognitive_hierarchy([1.0, 2.0], p=1.0)
    with pytest.raises(ValueError, match="method"):
        ra.fit_cognitive_hierarchy([1.0, 2.0], p=0.5, method="mean")
    with pytest.raises(ValueError, match="noise"):
        ra.fit_cognitive_hierarchy([1.0, 2.0], p=0.5, noise="growing")


def test_nagel_intervals_and_classification() -> None:
    iv = ra.nagel_intervals(2 / 3, k_max=2)
    assert iv[0, 1] == 50
    assert iv[0, 0] == pytest.approx(50 * (2 / 3) ** 0.25)
    assert iv[1, 0] == pytest.approx(50 * (2 / 3) ** 1.25)
    assert iv[1, 1] == pytest.approx(50 * (2 / 3) ** 0.75)
    assert iv[2, 0] == pytest.approx(50 * (2 / 3) ** 2.25)
    steps = ra.classify_level_k([50, 46, 33, 22, 14.8, 90, 0], 2 / 3)
    assert steps.tolist() == [0, 0, 1, 2, 3, -1, -1]
    shares = ra.level_k_shares([33, 33, 22, 90], 2 / 3)
    assert shares["step_1"] == 0.5 and shares["other"] == 0.25
    up = ra.nagel_intervals(4 / 3, k_max=1)
    assert up[0, 0] == 50 and up[1, 1] == pytest.approx(50 * (4 / 3) ** 1.25)


def test_level_k_mixture_recovers_weights() -> None:
    rng = np.random.default_rng(3)
    n = 4000
    level = rng.choice(4, size=n, p=[0.2, 0.4, 0.3, 0.1])
    means = 50 * (2 / 3) ** np.arange(4)
    g = np.where(level == 0, rng.uniform(0, 100, n), means[level] + rng.normal(0, 2.0, n))
    g = np.clip(g, 0, 100)
    mx = ra.fit_level_k_mixture(g, p=2 / 3, k_max=6, n_boot=10, rng=0)
    w = [e.value for e in mx.weights]
    assert np.allclose(w[:4], [0.2, 0.4, 0.3, 0.1], atol=0.03)
    assert sum(w[4:]) < 0.03
    assert mx.sigma.value == pytest.approx(2.0, rel=0.1)
    assert len(mx.table()) == 7


def p_beauty_utilities(grid: np.ndarray) -> np.ndarray:
    target = 2 / 3 * (grid + 9 * 50) / 10
    return 1 - np.abs(grid - target) / 100


@pytest.mark.parametrize("lam", [5.0, 30.0])
def test_logit_lambda_recovered_from_quantal_choices(lam: float) -> None:
    rng = np.random.default_rng(11)
    grid = np.arange(101.0)
    u = p_beauty_utilities(grid)
    prob = np.exp(lam * (u - u.max()))
    prob /= prob.sum()
    actions = rng.choice(grid, size=5000, p=prob)
    est = ra.fit_logit_qre(actions, grid=grid, utilities=u, n_boot=30, rng=0)
    assert est.value == pytest.approx(lam, rel=0.1)
    assert est.ci_low < lam < est.ci_high or abs(est.value - lam) / lam < 0.05
    assert est.extra["at_bound"] == 0.0


def test_logit_lambda_per_observation_utilities() -> None:
    rng = np.random.default_rng(5)
    grid = np.arange(3.0)
    u = rng.normal(size=(4000, 3))
    lam = 2.0
    p = np.exp(lam * u)
    p /= p.sum(axis=1, keepdims=True)
    idx = (rng.random((4000, 1)) > np.cumsum(p, axis=1)).sum(axis=1)
    est = ra.fit_logit_qre(grid[idx], grid=grid, utilities=u, n_boot=10, rng=0)
    assert est.value == pytest.approx(lam, rel=0.1)


def test_logit_uniform_play_gives_zero_lambda() -> None:
    grid = np.arange(11.0)
    actions = np.repeat(grid, 50)
    est = ra.fit_logit_qre(actions, grid=grid, utilities=-grid, n_boot=0)
    assert est.value == pytest.approx(0.0, abs=1e-3)


def test_logit_from_recorded_distributions_is_exact() -> None:
    grid = np.arange(101.0)
    u = p_beauty_utilities(grid)
    q = ra.logit_probs(u, 12.5)
    est = ra.fit_logit_from_probs(np.tile(q, (50, 1)), utilities=u, n_boot=10, rng=0)
    assert est.value == pytest.approx(12.5, rel=1e-4)
    assert est.extra["kl"] == pytest.approx(0.0, abs=1e-8)


def test_logit_qre_fixed_point_fit() -> None:
    # symmetric 2x2 coordination-like game: U(a | σ) = A @ σ
    a_mat = np.array([[1.0, 0.0], [0.0, 2.0]])

    def utility(sigma: np.ndarray) -> np.ndarray:
        return a_mat @ sigma

    lam = 1.2
    sigma = ra.qre_fixed_point(utility, lam, 2)
    assert np.allclose(sigma, ra.logit_probs(utility(sigma), lam), atol=1e-8)
    rng = np.random.default_rng(0)
    actions = rng.choice(2, size=20_000, p=sigma).astype(float)
    est = ra.fit_logit_qre(actions, grid=np.array([0.0, 1.0]), utilities=utility,
                           lam_max=10, n_boot=10, rng=0)
    assert est.value == pytest.approx(lam, rel=0.15)


def test_external_regret_of_known_sequence() -> None:
    # rock-paper-scissors against the opponent sequence R, R, P, S; we played P, S, S, R.
    # payoff of (row, col): win 1, loss -1, draw 0; actions 0=R, 1=P, 2=S
    win = np.array([[0, -1, 1], [1, 0, -1], [-1, 1, 0]], dtype=float)
    opp = [0, 0, 1, 2]
    u = win[:, opp].T  # (T, A)
    mine = [1, 2, 2, 0]
    # realised: P vs R +1, S vs R -1, S vs P +1, R vs S +1 -> 2
    # fixed actions: R: 0+0-1+1 = 0, P: 1+1+0-1 = 1, S: -1-1+1+0 = -1 -> best 1
    assert ra.external_regret(u, mine) == pytest.approx(1 - 2)
    assert ra.external_regret(u, realised=[-1, -1, -1, -1]) == pytest.approx(1 + 4)
    path = ra.regret_path(u, [-1, -1, -1, -1])
    assert path.tolist() == [2.0, 4.0, 5.0, 5.0]
    with pytest.raises(ValueError):
        ra.external_regret(u)


def test_convergence_rate_of_geometric_distances() -> None:
    d = 40 * 0.6 ** np.arange(5)
    mat = np.vstack([d, d * 1.5, d * 0.5])
    est = ra.convergence_rate(mat, n_boot=20, rng=0)
    assert est.value == pytest.approx(0.6)
    assert est.extra["half_life_rounds"] == pytest.approx(math.log(2) / -math.log(0.6))
    flat = ra.convergence_rate(np.ones((4, 3)), n_boot=0)
    assert flat.value == pytest.approx(1.0) and flat.extra["half_life_rounds"] == math.inf


def test_equilibrium_and_dominated_shares() -> None:
    a = np.array([0, 1, 33, 70, 90, 0])
    assert ra.distance_to_equilibrium(a, [0, 1]).tolist() == [0, 0, 32, 69, 89, 0]
    assert ra.equilibrium_share(a, [0, 1], n_boot=20, rng=0).value == pytest.approx(0.5)
    dom = ra.dominated_share(a, above=200 / 3, n_boot=20, rng=0)
    assert dom.value == pytest.approx(2 / 6) and dom.n == 6


def test_fehr_schmidt_closed_forms() -> None:
    assert ra.fehr_schmidt_utility(4, 6, 0.5, 0.25) == pytest.approx(4 - 1)
    assert ra.fehr_schmidt_utility(6, 4, 0.5, 0.25) == pytest.approx(6 - 0.5)
    # threshold s* = α/(1+2α): α = 1 -> 1/3
    assert ra.fehr_schmidt_alpha_from_threshold(1 / 3) == pytest.approx(1.0)
    assert ra.fehr_schmidt_alpha_from_threshold(0.0) == 0.0
    share = ra.fehr_schmidt_beta_share(np.array([0, 0, 5, 6]), endowment=10, n_boot=10, rng=0)
    assert share.value == pytest.approx(0.5)


def test_fehr_schmidt_responder_alpha_recovered() -> None:
    rng = np.random.default_rng(8)
    alpha, lam = 0.8, 25.0
    s = rng.uniform(0, 0.6, size=4000)
    z = lam * (s - alpha * np.maximum(1 - 2 * s, 0))
    accepted = rng.random(4000) < 1 / (1 + np.exp(-z))
    est = ra.fit_fehr_schmidt_responder(s, accepted, n_boot=5, rng=0)
    assert est.value == pytest.approx(alpha, abs=0.1)
    assert est.extra["threshold_share"] == pytest.approx(alpha / (1 + 2 * alpha), abs=0.03)


def test_fehr_schmidt_dictator_beta_recovered() -> None:
    rng = np.random.default_rng(9)
    grid = np.arange(11.0)
    alpha, beta, lam = 0.5, 0.35, 8.0
    own, other = 10 - grid, grid
    u = own - alpha * np.maximum(other - own, 0) - beta * np.maximum(own - other, 0)
    p = np.exp(lam * (u - u.max()) / 10)
    p /= p.sum()
    x = rng.choice(grid, size=6000, p=p)
    est = ra.fit_fehr_schmidt_dictator(x, endowment=10, grid=grid, alpha=alpha, n_boot=4,
                                       rng=0)
    assert est.value == pytest.approx(beta, abs=0.05)
    assert est.extra["lambda"] == pytest.approx(lam, rel=0.2)


def test_bootstrap_is_reproducible_with_one_seeded_generator() -> None:
    x = np.random.default_rng(0).normal(size=200)
    a = mean_estimate(x, rng=5)
    b = mean_estimate(x, rng=np.random.default_rng(5))
    assert (a.ci_low, a.ci_high) == (b.ci_low, b.ci_high)
    draws = bootstrap(lambda idx: float(x[idx].mean()), x.size, n_boot=50, rng=1)
    assert draws.size == 50
    assert a.contains(a.value) and "mean" in str(a)


@given(st.lists(st.integers(0, 100), min_size=2, max_size=60))
@settings(max_examples=50, deadline=None)
def test_level_k_shares_sum_to_one(guesses: list[int]) -> None:
    shares = ra.level_k_shares(np.array(guesses, dtype=float), 2 / 3)
    assert sum(shares.values()) == pytest.approx(1.0)
    assert all(0 <= v <= 1 for v in shares.values())


@pytest.mark.slow
@pytest.mark.parametrize("tau", [0.5, 1.5, 3.0])
def test_ch_recovery_and_interval_with_default_bootstrap(tau: float) -> None:
    rng = np.random.default_rng(int(tau * 100))
    g = sample_cognitive_hierarchy(rng, 5000, tau=tau, p=2 / 3, sigma=3.0)
    est = ra.fit_cognitive_hierarchy(g, p=2 / 3, rng=0, noise="constant")
    assert abs(est.value - tau) <= 0.15
    assert est.n_boot >= 190
    assert est.ci_low - 0.05 <= tau <= est.ci_high + 0.05
