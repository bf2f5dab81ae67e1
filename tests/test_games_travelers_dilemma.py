"""The traveler's dilemma: conformance, config errors, theory against brute force, the kernel
by hand, the logit QRE through the payoff hook, and the published statements it ships."""

from __future__ import annotations

import numpy as np
import pytest

import agora
from agora.analysis.symmetric_qre import fit_pooled_qre, pair_matrix, qre_mean_action, qre_path
from agora.engine.contract import theory_kind
from agora.engine.registry import REGISTRY
from agora.testing import check_game, conformance_configs
from games.travelers_dilemma import theory
from games.travelers_dilemma.config import Matching, TravelersConfig
from games.travelers_dilemma.findings import FINDINGS, findings_for
from games.travelers_dilemma.hooks import HOOKS

GAME = "travelers_dilemma"
CAPRA = {"low": 80, "high": 200}


def _matrix(cfg: TravelersConfig) -> tuple[np.ndarray, np.ndarray]:
    """Claims and the row player's payoff of every pair of claims, from the payoff hook."""
    g = theory.claims(cfg)
    pair = np.stack(np.broadcast_arrays(g[:, None], g[None, :]), axis=-1)
    return g, HOOKS.payoffs(cfg, pair)[..., 0]


def _random_configs(n: int, seed: int, *, reward_low: float = 1.0) -> list[TravelersConfig]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        low = int(rng.integers(0, 6))
        high = low + int(rng.integers(1, 9))
        reward = float(rng.choice([rng.uniform(reward_low + 1e-6, 12.0), rng.integers(2, 9)]))
        out.append(TravelersConfig(low=low, high=high, reward=reward))
    return out


# --------------------------------------------------------------------------- registration
def test_registered_and_conforms() -> None:
    assert GAME in agora.list_games()
    assert theory_kind(REGISTRY.get(GAME).kernel_cls.theory) == "simultaneous"
    configs = conformance_configs(GAME)
    assert len(configs) >= 4
    for config in configs:
        check_game(GAME, **config)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"reward": 0.0}, "reward must be a number > 0"),
    ({"reward": -2.0}, "reward must be a number > 0"),
    ({"reward": float("nan")}, "reward must be a number > 0"),
    ({"low": 5, "high": 5}, "high must be an integer >= 6"),
    ({"low": 10, "high": 3}, "high must be an integer >= 11"),
    ({"low": 1.5}, "low must be an integer"),
    ({"travelers": 3}, "travelers must be even"),
    ({"travelers": 0}, "travelers must be an integer >= 2"),
    ({"rounds": 0}, "rounds must be an integer >= 1"),
    ({"matching": "sometimes"}, "matching must be one of random, fixed"),
])
def test_config_errors_are_one_line(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match) as err:
        TravelersConfig(**kwargs)  # type: ignore[arg-type]
    assert "\n" not in str(err.value)
    assert str(err.value).startswith("travelers_dilemma: ")


# --------------------------------------------------------------------------- theory
def test_payoff_rule_of_the_reference() -> None:
    cfg = TravelersConfig(low=80, high=200, reward=10)
    got = HOOKS.payoffs(cfg, np.array([[150, 150], [120, 180], [180, 120]]))
    # equal claims are paid; the low claimant gets x_i + R, the high one x_j − R
    np.testing.assert_allclose(got, [[150, 150], [130, 110], [110, 130]])


@pytest.mark.parametrize("seed", range(4))
def test_minimum_is_the_unique_equilibrium_for_r_above_one(seed: int) -> None:
    for cfg in _random_configs(10, seed):
        g, m = _matrix(cfg)
        best_vs = m.max(axis=0)  # best payoff against each partner claim
        is_br = m >= best_vs[None, :] - 1e-9  # is_br[a, b]: a best-responds to b
        pure = [(g[a], g[b]) for a in range(g.size) for b in range(g.size)
                if is_br[a, b] and is_br[b, a]]
        assert pure == [(cfg.low, cfg.low)], cfg
        assert theory.equilibrium_action(cfg) == cfg.low
        np.testing.assert_array_equal(theory.pure_equilibria(cfg), [cfg.low])
        # iterated deletion of weakly dominated claims leaves the minimum alone
        alive = np.ones(g.size, dtype=bool)
        while True:
            sub = m[np.ix_(alive, alive)]
            idx = np.flatnonzero(alive)
            dominated = [i for i in range(idx.size) if any(
                np.all(sub[j] >= sub[i]) and np.any(sub[j] > sub[i])
                for j in range(idx.size) if j != i)]
            if not dominated:
                break
            alive[idx[dominated]] = False
        np.testing.assert_array_equal(g[alive], [cfg.low])
        # in the full game only the top claim is weakly dominated
        dominated_full = [g[i] for i in range(g.size) if any(
            np.all(m[j] >= m[i]) and np.any(m[j] > m[i]) for j in range(g.size) if j != i)]
        assert dominated_full == [cfg.high]
        assert HOOKS.dominance_bounds(cfg) == (cfg.high - 1, None)


def test_every_common_claim_is_an_equilibrium_for_small_rewards() -> None:
    for reward in (0.3, 0.99):
        cfg = TravelersConfig(low=3, high=9, reward=reward)
        g, m = _matrix(cfg)
        is_br = m >= m.max(axis=0)[None, :] - 1e-9
        pure = [g[a] for a in range(g.size) if is_br[a, a]]
        np.testing.assert_array_equal(pure, theory.pure_equilibria(cfg))
        np.testing.assert_array_equal(pure, g)
        assert HOOKS.dominance_bounds(cfg) == (None, None)
        bench = HOOKS.benchmark(GAME, cfg)
        assert bench is not None and bench.equilibria == () and "<= 1" in bench.notes


@pytest.mark.parametrize("seed", range(3))
def test_level_k_and_ch_are_lowest_best_responses(seed: int) -> None:
    configs = [*_random_configs(6, seed), *_random_configs(3, seed + 10, reward_low=0.1),
               TravelersConfig(low=80, high=200, reward=float(seed * 20 + 5))]
    for cfg in configs:
        g, m = _matrix(cfg)

        def lowest_br(belief: np.ndarray, g: np.ndarray = g, m: np.ndarray = m) -> float:
            v = m @ belief
            return float(g[np.flatnonzero(v >= v.max() - 1e-9)[0]])

        uniform = np.full(g.size, 1 / g.size)
        claim = lowest_br(uniform)
        for k in range(1, 6):
            assert theory.level_k_action(cfg, k) == claim, (cfg, k)
            claim = lowest_br((g == claim).astype(float))
        tau = float(np.random.default_rng(seed).uniform(0.5, 3.0))
        ch = theory.ch_actions(cfg, tau, 5)
        assert ch[0] == pytest.approx((cfg.low + cfg.high) / 2)
        weights = [tau**k / np.prod(np.arange(1, k + 1)) for k in range(6)]
        mix = [uniform]
        for k in range(1, 6):
            belief = sum(w * p for w, p in zip(weights[:k], mix, strict=True)) / sum(weights[:k])
            assert ch[k] == lowest_br(belief), (cfg, k)
            mix.append((g == ch[k]).astype(float))
        # action utilities: expected payoffs under the game's own rule
        np.testing.assert_allclose(theory.action_utilities(cfg, g), m @ uniform)
        b = float(g[len(g) // 2])
        np.testing.assert_allclose(theory.action_utilities(cfg, g, b), m[:, len(g) // 2])
        belief = np.random.default_rng(seed).dirichlet(np.ones(g.size))
        np.testing.assert_allclose(theory.expected_payoffs(cfg, g, belief), m @ belief)


def test_level_k_of_the_capra_design() -> None:
    cfg = TravelersConfig(**CAPRA, reward=5)
    first = theory.level_k_action(cfg, 1)
    assert cfg.low < first < cfg.high
    assert theory.level_k_action(cfg, 3) == first - 2
    assert theory.level_k_action(cfg, 10_000) == cfg.low
    with pytest.raises(ValueError, match="k >= 1"):
        theory.level_k_action(cfg, 0)


# --------------------------------------------------------------------------- kernel
def _play(cfg: TravelersConfig, claims: np.ndarray, seed: int = 0) -> object:
    kernel = REGISTRY.get(GAME).kernel_cls(cfg, claims.shape[0], np.random.default_rng(seed))
    for r in range(cfg.rounds):
        inst, pl = kernel.pending()
        kernel.step(inst, pl, claims[inst, r, pl].astype(np.float64))
    assert kernel.done.all()
    return kernel


def test_a_pair_by_hand() -> None:
    cfg = TravelersConfig(low=2, high=100, reward=2, rounds=2)
    k = _play(cfg, np.array([[[100, 98], [97, 97]]]))
    np.testing.assert_allclose(k.payoffs[0], [[96, 100], [97, 97]])  # type: ignore[attr-defined]
    obs = k.observe(0, 0)  # type: ignore[attr-defined]
    assert [(p.own_claim, p.other_claim, p.own_payoff) for p in obs.history] == [
        (100, 98, 96), (97, 97, 97)]


def test_random_rematching_pairs_everyone_and_varies() -> None:
    cfg = TravelersConfig(**CAPRA, reward=10, travelers=8, rounds=6)
    rng = np.random.default_rng(1)
    claims = rng.integers(80, 201, size=(5, 6, 8))
    k = _play(cfg, claims)
    partner = k.partner  # type: ignore[attr-defined]
    n = np.arange(8)
    for m in range(5):
        for r in range(6):
            p = partner[m, r]
            assert np.all(p[p] == n) and np.all(p != n)  # a perfect matching
            mine = claims[m, r]
            np.testing.assert_allclose(k.payoffs[m, r],  # type: ignore[attr-defined]
                                       theory.payoffs(cfg, mine, mine[p]))
    assert len({tuple(p) for p in partner.reshape(-1, 8)}) > 10
    # what scripted players see: the last partner's claim (NaN before any round)
    fresh = REGISTRY.get(GAME).kernel_cls(cfg, 5, np.random.default_rng(0))
    inst, pl = fresh.pending()
    assert np.isnan(fresh.decision_view(inst, pl).last_other_claim).all()
    fresh.step(inst, pl, claims[inst, 0, pl].astype(np.float64))
    view = fresh.decision_view(inst, pl)
    np.testing.assert_array_equal(
        view.last_other_claim, claims[inst, 0, fresh.partner[inst, 0, pl]])
    assert view.rounds.tolist() == [1] * inst.size
    fixed = _play(TravelersConfig(**CAPRA, reward=10, travelers=8, rounds=3,
                                  matching=Matching.FIXED), claims[:, :3])
    assert np.all(fixed.partner == n ^ 1)  # type: ignore[attr-defined]


def test_payoff_hook_of_a_session_is_the_random_partner_expectation() -> None:
    cfg = TravelersConfig(**CAPRA, reward=20, travelers=6)
    x = np.array([90.0, 200, 150, 150, 81, 120])
    got = HOOKS.payoffs(cfg, x)
    want = [np.mean([theory.payoffs(cfg, x[i], x[j]) for j in range(6) if j != i])
            for i in range(6)]
    np.testing.assert_allclose(got, want)
    # realised payoffs over many random pairings average to it
    k = _play(TravelersConfig(**CAPRA, reward=20, travelers=6),
              np.broadcast_to(x[None, None], (20_000, 1, 6)).copy(), seed=4)
    np.testing.assert_allclose(k.payoffs[:, 0].mean(axis=0), want, atol=0.6)  # type: ignore[attr-defined]
    fixed = TravelersConfig(**CAPRA, reward=20, travelers=6, matching="fixed")
    np.testing.assert_allclose(HOOKS.payoffs(fixed, x),
                               theory.payoffs(fixed, x, x[np.arange(6) ^ 1]))
    with pytest.raises(ValueError, match="even number"):
        HOOKS.payoffs(cfg, x[:5])


# --------------------------------------------------------------------------- logit QRE
def test_qre_is_a_fixed_point_of_the_hook_utilities() -> None:
    cfg = {**CAPRA, "reward": 25.0}
    lams = (0.05, 0.2, 0.22, 1.0)  # 0.2 and 0.22: where plain iteration cycles
    grid, path = qre_path(GAME, cfg, np.array([0.0, *lams]))
    _, matrix = pair_matrix(GAME, cfg)
    np.testing.assert_allclose(path[0], 1 / grid.size)
    for lam, sigma in zip(lams, path[1:], strict=True):
        z = lam * matrix @ sigma
        np.testing.assert_allclose(sigma, np.exp(z - z.max()) / np.exp(z - z.max()).sum(),
                                   atol=1e-8)


@pytest.mark.parametrize("lam", [0.02, 0.05, 0.1])
def test_qre_mean_claim_falls_as_r_rises(lam: float) -> None:
    rewards = sorted(np.random.default_rng(int(lam * 100)).uniform(2, 90, size=4))
    means = [qre_mean_action(GAME, {**CAPRA, "reward": float(r)}, lam)
             for r in [5.0, *rewards, 95.0]]
    assert np.all(np.diff(means) < 0), means
    assert 80 < means[-1] < means[0] < 200


def test_qre_converges_to_the_minimum_as_lambda_grows() -> None:
    for reward in (5.0, 25.0, 80.0):
        cfg = {**CAPRA, "reward": reward}
        gaps = [qre_mean_action(GAME, cfg, lam) - 80 for lam in (3.0, 10.0, 30.0)]
        assert gaps[-1] < 0.05 and gaps[-1] <= gaps[0] + 1e-9, (reward, gaps)
    small = {"low": 2, "high": 30, "reward": 2.0}
    assert qre_mean_action(GAME, small, 0.0) == pytest.approx(16.0)
    assert qre_mean_action(GAME, small, 100.0) == pytest.approx(2.0, abs=0.05)


def test_pooled_qre_fit_recovers_a_planted_lambda() -> None:
    planted = 0.06
    rng = np.random.default_rng(0)
    configs = {r: {**CAPRA, "reward": r} for r in (10.0, 25.0, 50.0)}
    claims = {}
    for r, cfg in configs.items():
        grid, path = qre_path(GAME, cfg, np.linspace(0, planted, 20))
        claims[r] = rng.choice(grid, size=1500, p=path[-1] / path[-1].sum())
    est = fit_pooled_qre(GAME, claims, configs, lam_max=1.0, n_boot=30, rng=2)
    assert est.value == pytest.approx(planted, rel=0.1)
    assert est.ci_low <= planted <= est.ci_high
    assert np.isfinite(est.extra["loglik"]) and est.extra["loglik"] < 0


# --------------------------------------------------------------------------- human statements
def test_findings_ship_only_read_statements() -> None:
    numbers = {f.name: f.value for f in FINDINGS if f.value is not None}
    assert numbers == {"capra1999_r10_start": 180.0, "capra1999_r10_final": 186.0}
    for f in FINDINGS:
        assert f.quote and f.citation and f.where
    r50 = findings_for(50.0, 80, 200)
    assert {f.name for f in r50} == {"capra1999_direction", "capra1999_r50"}
    assert all(f.value is None for f in r50)
    assert "PMC33741" in next(f for f in FINDINGS if f.name == "capra1999_r50").where


def test_symmetric_qre_refuses_bad_input() -> None:
    with pytest.raises(ValueError, match="ascending"):
        qre_path(GAME, CAPRA | {"reward": 5.0}, np.array([0.1, 0.0]))
    with pytest.raises(ValueError, match="lambda must be >= 0"):
        qre_mean_action(GAME, CAPRA | {"reward": 5.0}, -1.0)
    with pytest.raises(ValueError, match="a config for every treatment"):
        fit_pooled_qre(GAME, {5.0: np.array([100.0])}, {}, lam_max=1.0)
