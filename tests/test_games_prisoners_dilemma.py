"""The prisoner's dilemma: config validation, theory against closed forms, scripted strategies
against hand-worked histories, the kernel's noise / termination / rematching, the packaged
human data and the cooperation-by-round analysis (planted rates, closed-form CIs)."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import agora
from agora.analysis import baselines as bl
from agora.analysis.cooperation import rate_by_round
from agora.policies.registry import make_policy
from games.prisoners_dilemma import POLICIES, PDConfig, PDKernel, StrategyPolicy
from games.prisoners_dilemma import theory as th
from games.prisoners_dilemma.human import (
    MENGEL_GAMES,
    df2011_cooperation,
    df2011_decisions,
    mengel_regression,
)
from games.prisoners_dilemma.strategies import STRATEGIES, play

DF = {"temptation": 50.0, "punishment": 25.0, "sucker": 12.0}


# ------------------------------------------------------------------ config
@pytest.mark.parametrize(("kw", "msg"), [
    ({"temptation": 40.0}, "T > R > P > S"),
    ({"punishment": 12.0}, "T > R > P > S"),
    ({"punishment": 12.0, "sucker": 12.0, "weak": True, "reward": 11.0}, "P >= S"),
    ({"sucker": 30.0}, "T > R > P > S"),
    ({"reward": float("nan")}, "finite"),
    ({"delta": 1.0}, "delta must be in"),
    ({"delta": 0.5, "rounds": 3}, "max_rounds"),
    ({"noise": 0.5}, "noise"),
    ({"group_size": 3}, "even"),
    ({"supergames": 0}, "supergames"),
])
def test_config_errors_are_one_clear_line(kw: dict[str, object], msg: str) -> None:
    with pytest.raises(ValueError, match=msg) as e:
        PDConfig(**kw)  # type: ignore[arg-type]
    assert "\n" not in str(e.value)


# ------------------------------------------------------------------ theory
def test_size_bad_of_the_six_df2011_treatments() -> None:
    want = {(0.5, 32): 1.0, (0.5, 40): 0.722, (0.5, 48): 0.382, (0.75, 32): 0.8125,
            (0.75, 40): 0.271, (0.75, 48): 0.1625}
    for (delta, r), v in want.items():
        assert th.size_bad(50, r, 25, 12, delta) == pytest.approx(v, abs=5e-4)
    assert not th.cooperation_is_spe(50, 32, 25, 0.5)
    assert th.cooperation_is_spe(50, 32, 25, 0.75)


payoff_sets = st.tuples(*(st.floats(0.1, 100) for _ in range(4))).map(
    lambda g: tuple(np.cumsum(g)[::-1]))  # T > R > P > S > 0


@settings(max_examples=200, deadline=None)
@given(payoff_sets, st.floats(0.0, 0.99))
def test_spe_threshold_and_size_bad_against_closed_forms(g: tuple[float, ...],
                                                         delta: float) -> None:
    t, r, p, s = g
    vgg, vgd = r / (1 - delta), s + delta * p / (1 - delta)
    vdg, vdd = t + delta * p / (1 - delta), p / (1 - delta)
    spe = vgg >= vdg - 1e-9 * abs(vdg)  # one-shot deviation from mutual Grim
    if abs(vgg - vdg) > 1e-7 * abs(vdg):
        assert th.cooperation_is_spe(t, r, p, delta) == spe
    sb = th.size_bad(t, r, p, s, delta)
    if not th.cooperation_is_spe(t, r, p, delta):
        assert sb == 1.0
    else:  # indifference between Grim and AllD at belief sb that the other plays Grim
        assert sb * vgg + (1 - sb) * vgd == pytest.approx(sb * vdg + (1 - sb) * vdd,
                                                          rel=1e-7, abs=1e-7)
        assert 0 <= sb <= 1 + 1e-9


@settings(max_examples=100, deadline=None)
@given(payoff_sets, st.floats(0, 1), st.floats(0, 1))
def test_mengel_indices_and_stage_utilities(g: tuple[float, ...], b: float, a: float) -> None:
    t, r, p, s = g
    idx = th.mengel_indices(t, r, p, s)
    assert idx == pytest.approx({"risk": (p - s) / p, "tempt": (t - r) / t, "eff": (r - p) / r})
    cfg = PDConfig(temptation=t, reward=r, punishment=p, sucker=s)
    u = th.action_utilities(cfg, np.array([0.0, a, 1.0]), belief_mean=b)
    assert u[0] > u[2]  # defection dominates against every belief
    assert u[1] == pytest.approx(a * (b * r + (1 - b) * s) + (1 - a) * (b * t + (1 - b) * p))
    assert th.equilibrium_action(cfg) == 0.0 and th.level_k_action(cfg, 2) == 0.0


def test_mengel_parameterisations() -> None:
    assert len(MENGEL_GAMES) == 22
    weak = [gm for gm in MENGEL_GAMES if gm[1] == gm[3]]
    assert len(weak) == 3
    for r, s, t, p in MENGEL_GAMES:
        assert th.mengel_indices(t, r, p, s)["risk"] >= 0
    reg = mengel_regression()
    assert reg["coefficients"] == {"risk": -0.269, "tempt": -0.055, "eff": 0.308,
                                   "constant": 0.455}
    assert reg["n"] == 45 and reg["r2"] == 0.484


# ------------------------------------------------------------------ strategies
def _h(*rounds: str) -> tuple[np.ndarray, np.ndarray]:
    """Histories from 'CD'-style rounds (own move, other's move)."""
    own = np.array([[1 if x[0] == "C" else 0 for x in rounds]], dtype=np.int8).reshape(1, -1)
    other = np.array([[1 if x[1] == "C" else 0 for x in rounds]], dtype=np.int8).reshape(1, -1)
    return own, other


HAND = [  # (strategy, history of (own, other) rounds, intended next move)
    ("allc", ("DD", "CD"), 1), ("alld", ("CC",), 0),
    ("tft", (), 1), ("tft", ("CD",), 0), ("tft", ("CD", "DC"), 1),
    ("dtft", (), 0), ("dtft", ("DC",), 1), ("dtft", ("DD",), 0),
    ("grim", (), 1), ("grim", ("CC", "CC"), 1), ("grim", ("CD", "DC", "CC"), 0),
    ("grim", ("DC",), 0),  # its own (e.g. noisy) defection triggers too
    ("wsls", (), 1), ("wsls", ("CC",), 1), ("wsls", ("CD",), 0), ("wsls", ("DD",), 1),
    ("wsls", ("DC",), 0),
    ("t2", (), 1), ("t2", ("CD",), 0), ("t2", ("CD", "DC"), 0), ("t2", ("CD", "DC", "DC"), 1),
    ("t2", ("CD", "DD", "DD", "CD"), 0), ("t2", ("CC", "CC"), 1),
    ("tf2t", ("CD",), 1), ("tf2t", ("CD", "CD"), 0), ("tf2t", ("CD", "CC", "CD"), 1),
    ("tf3t", ("CD", "CD"), 1), ("tf3t", ("CD", "CD", "CD"), 0),
    ("tf3t", ("CD", "CD", "CC"), 1),
    ("t2ft", ("CD",), 0), ("t2ft", ("CD", "DC"), 0), ("t2ft", ("CD", "DC", "DC"), 1),
    ("t2ft", (), 1),
    ("grim2", ("CD",), 1), ("grim2", ("CD", "CC", "DC"), 1), ("grim2", ("CD", "DC"), 0),
    ("grim2", ("CD", "DD", "CC", "CC"), 0),
    ("grim3", ("CD", "DC"), 1), ("grim3", ("CD", "DC", "DD"), 0),
    ("grim3", ("CD", "DC", "CC", "CD", "DD"), 1),
]


@pytest.mark.parametrize(("name", "rounds", "want"), HAND)
def test_strategies_against_hand_worked_histories(name: str, rounds: tuple[str, ...],
                                                  want: int) -> None:
    own, other = _h(*rounds)
    got = STRATEGIES[name](own, other)
    assert got.shape == (1,) and int(got[0]) == want


def test_strategies_are_vectorised_and_checked() -> None:
    rng = np.random.default_rng(3)
    own, other = rng.integers(0, 2, (50, 6)), rng.integers(0, 2, (50, 6))
    for name, f in STRATEGIES.items():
        batch = f(own, other)
        rows = np.array([f(own[i:i + 1], other[i:i + 1])[0] for i in range(50)])
        assert np.array_equal(batch, rows), name
    with pytest.raises(ValueError, match="0 \\(D\\) and 1 \\(C\\)"):
        STRATEGIES["tft"](np.array([[2]]), np.array([[1]]))
    assert play("tft", "alld", 3).tolist() == [[1, 0, 0], [0, 0, 0]]
    assert play("wsls", "alld", 4).tolist() == [[1, 0, 1, 0], [0, 0, 0, 0]]
    assert play("t2", "tft", 4).tolist() == [[1, 1, 1, 1], [1, 1, 1, 1]]


def test_policies_are_registered_kinds() -> None:
    assert set(POLICIES) == set(STRATEGIES)
    assert make_policy("grim2").describe() == {"kind": "grim2"}


# ------------------------------------------------------------------ kernel
def _run(policies: list[tuple[StrategyPolicy, float]] | StrategyPolicy, n: int = 200,
         **cfg: object) -> pl.DataFrame:
    return agora.run("prisoners_dilemma", policy=policies, n_instances=n, seed=4,
                     progress=False, **cfg).records


def test_one_shot_payoffs_and_paths() -> None:
    r = _run([(StrategyPolicy("allc"), 0.5), (StrategyPolicy("alld"), 0.5)], n=50)
    pay = {("AllC", 1.0): 40.0, ("AllC", 0.0): 12.0, ("AllD", 1.0): 50.0, ("AllD", 0.0): 25.0}
    for row in r.iter_rows(named=True):
        assert row["reward"] == pay[(row["policy"], row["other_executed"])]
    t = _run(StrategyPolicy("tft"), n=5, rounds=4)
    assert t["action"].to_list() == [1.0] * t.height and t.height == 40


def test_noise_flips_intended_moves_at_rate_epsilon() -> None:
    r = _run(StrategyPolicy("allc"), n=400, delta=0.8, max_rounds=30, noise=0.125)
    flipped = (r["action"] != r["executed"]).to_numpy()
    assert np.all(r["action"].to_numpy() == 1.0)
    se = math.sqrt(0.125 * 0.875 / flipped.size)
    assert abs(flipped.mean() - 0.125) < 4 * se
    # AllC's partner sees executed moves: TFT answers the executed move of the previous round
    t = _run(StrategyPolicy("tft"), n=200, rounds=5, noise=0.2).sort("instance", "agent",
                                                                    "round")
    prev_other = t.group_by("instance", "agent", maintain_order=True).agg(
        pl.col("other_executed").shift(1), pl.col("action")).explode("other_executed", "action")
    prev_other = prev_other.drop_nulls()
    assert (prev_other["other_executed"] == prev_other["action"]).all()


def test_termination_is_geometric_and_shared_by_the_group() -> None:
    r = _run(StrategyPolicy("alld"), n=2000, delta=0.75, max_rounds=200, supergames=2,
             group_size=4)
    lengths = r.group_by("instance", "supergame", "agent").agg(pl.len().alias("k"))
    per = lengths.group_by("instance", "supergame").agg(pl.col("k").n_unique().alias("u"),
                                                        pl.col("k").first())
    assert (per["u"] == 1).all()  # every player of a group plays the same rounds
    k = per["k"].to_numpy()
    se = math.sqrt(0.75) / 0.25 / math.sqrt(k.size)  # sd of a geometric(1/4) length
    assert abs(k.mean() - 4.0) < 4 * se
    assert abs(np.mean(k == 1) - 0.25) < 4 * math.sqrt(0.25 * 0.75 / k.size)


def test_rematching_pairs_each_group_anew() -> None:
    r = _run(StrategyPolicy("alld"), n=300, rounds=1, supergames=3, group_size=6)
    for _, part in r.group_by("instance", "supergame"):
        slot = part["agent"].cast(pl.String).str.extract(r"(\d+)$").cast(pl.Int64).to_numpy()
        mate = part["partner"].to_numpy().astype(int)
        m = dict(zip(slot, mate, strict=True))
        assert all(m[m[j]] == j and m[j] != j for j in m)  # a perfect matching
    first = r.filter(pl.col("supergame") == 0).sort("instance", "agent")["partner"]
    second = r.filter(pl.col("supergame") == 1).sort("instance", "agent")["partner"]
    changed = float((first != second).mean())
    assert 0.6 < changed < 0.95  # a given partner recurs with probability 1/5


def test_default_benchmark_and_payoff_hook() -> None:
    cfg = PDConfig(delta=0.75, reward=40.0, **DF)
    b = PDKernel.hooks.benchmark("prisoners_dilemma", cfg)
    assert b is not None and b.equilibrium_action == 0.0
    assert "SizeBAD = 0.271" in b.notes and "δ* = (T-R)/(T-P) = 0.4" in b.notes
    pay = PDKernel.hooks.payoffs(cfg, np.array([[1, 1], [1, 0], [0, 1], [0, 0]]))
    assert pay.tolist() == [[40, 40], [12, 50], [50, 12], [25, 25]]
    assert PDKernel.hooks.payoffs(PDConfig(group_size=4), np.zeros((1, 4))) is None


# ------------------------------------------------------------------ human data
def test_df2011_cooperation_computed_from_the_packaged_decisions() -> None:
    c = df2011_cooperation()
    want = [0.081, 0.211, 0.401, 0.243, 0.694, 0.941]  # classic_games.md §1c, stratEst subset
    assert np.allclose(c["cooperation"].to_numpy(), want, atol=5e-4)
    assert c["subjects"].sum() == 266 and df2011_decisions().height == 7358
    for row in c.iter_rows(named=True):
        b = bl.load_baseline(f"dalbo_frechette2011_{row['treatment'].lower()}")
        assert b.mean == pytest.approx(row["cooperation"], abs=1e-4)
        assert b.params["delta"] == row["delta"] and b.params["reward"] == row["reward"]


def test_shafir_tversky_baselines() -> None:
    got = {n: bl.load_baseline(n).mean for n in (
        "shafir_tversky1992_pd", "shafir_tversky1992_pd_told_defected",
        "shafir_tversky1992_pd_told_cooperated")}
    assert list(got.values()) == [0.37, 0.03, 0.16]


# ------------------------------------------------------------------ cooperation by round
def test_rate_by_round_recovers_planted_rates_with_closed_form_cis() -> None:
    rng = np.random.default_rng(11)
    n, p = 2000, np.array([0.9, 0.6, 0.3, 0.1])
    x = (rng.random((n, p.size)) < p).astype(float)
    frame = pl.DataFrame({"instance": np.repeat(np.arange(n), p.size),
                          "round": np.tile(np.arange(p.size), n), "c": x.ravel()})
    rr = rate_by_round(frame, "c", n_boot=400, rng=rng)
    se = np.sqrt(p * (1 - p) / n)
    assert np.all(np.abs(rr.mean - p) < 4 * se)
    width = rr.ci_high - rr.ci_low
    assert np.allclose(width, 2 * 1.96 * np.sqrt(rr.mean * (1 - rr.mean) / n), rtol=0.2)
    assert rr.clusters.tolist() == [n] * 4 and rr.decisions.tolist() == [n] * 4


def test_rate_by_round_clusters_and_errors() -> None:
    # two decisions per instance and round, perfectly correlated: the CI must reflect
    # n instances, not 2n decisions
    rng = np.random.default_rng(2)
    n = 1500
    c = (rng.random(n) < 0.5).astype(float)
    frame = pl.DataFrame({"instance": np.repeat(np.arange(n), 2), "round": 0,
                          "c": np.repeat(c, 2)})
    rr = rate_by_round(frame, "c", n_boot=400, rng=rng)
    assert rr.ci_high[0] - rr.ci_low[0] == pytest.approx(2 * 1.96 * 0.5 / math.sqrt(n),
                                                         rel=0.2)
    with pytest.raises(ValueError, match="no column 'x'"):
        rate_by_round(frame, "x")


# ------------------------------------------------------------------ experiment pieces
def test_experiment_ols_recovers_planted_coefficients() -> None:
    from experiments.pd_one_shot import ols

    rng = np.random.default_rng(5)
    x = rng.random((400, 3))
    beta = np.array([-0.269, -0.055, 0.308, 0.455])  # Mengel's, constant last
    y = x @ beta[:3] + beta[3] + rng.normal(0, 0.01, 400)
    b, se, r2 = ols(y, x)
    assert np.all(np.abs(b - beta) < 4 * se) and np.all(se < 0.01) and r2 > 0.9
    exact, _, r2 = ols(x @ beta[:3] + beta[3], x)
    assert np.allclose(exact, beta) and r2 == pytest.approx(1.0)
    with pytest.raises(ValueError, match="more observations"):
        ols(np.ones(3), np.ones((3, 3)))


# ------------------------------------------------------------------ prompts
def test_prompts_show_matrix_history_and_noise() -> None:
    from agora.engine.batch import DecisionBatch
    from agora.policies.llm_prompts import build_messages

    cfg = PDConfig(delta=0.75, max_rounds=5, noise=0.1, supergames=2, group_size=4)
    k = PDKernel(cfg, 1, np.random.default_rng(0))
    for _ in range(3):  # play until a round of the current supergame is on record
        inst, players = k.pending()
        k.step(inst, players, np.array([1.0, 0.0, 1.0, 0.0]))
        if k.sg_round[0] > 0:
            break
    inst, players = k.pending()
    batch = DecisionBatch(kernel=k, instances=inst, players=players, rounds=k.round[inst],
                          roles=k.role_index(inst, players),
                          persona_ids=np.full(inst.size, -1),
                          spec_codes=k.spec_codes(inst, players))
    system, user = (m["content"] for m in build_messages(k, batch.request(0)))
    assert "both C: 40 points each; both D: 25 points each" in system
    assert "probability 75%" in system and "probability 90%" in system
    assert "partner drawn at random from a group of 4" in system
    assert "cooperate" in user and "Match" in user
    obs = k.observe(0, 0)
    assert obs.history, "seed 0: the supergame should have gone on after a round"
    assert "Round 1: you played" in user
    view = k.decision_view(inst, players)
    assert view.length[0] == len(obs.history)
    assert view.own[0, 0] == obs.history[0].own_move
    assert view.other[0, 0] == obs.history[0].other_move
    p = int(k.partner[0, 0])
    assert obs.history[0].other_move == int(k.executed[0, k.sg_start[0], p])


def test_report_has_cooperation_by_round() -> None:
    from agora.analysis.report import analyse

    res = agora.run("prisoners_dilemma", policy=StrategyPolicy("allc"), n_instances=300,
                    seed=2, progress=False, rounds=3, noise=0.25)
    rep = analyse(res, n_boot=100)
    intended = rep.estimates["cooperation_by_round.intended"]
    executed = rep.estimates["cooperation_by_round.executed"]
    assert intended["round"] == [0, 1, 2] and intended["mean"] == [1.0, 1.0, 1.0]
    se = math.sqrt(0.25 * 0.75 / 600)  # two players per instance, flips independent
    assert all(abs(m - 0.75) < 4 * se for m in executed["mean"])
    assert all(lo < m < hi for lo, m, hi in zip(executed["ci_low"], executed["mean"],
                                               executed["ci_high"], strict=True))
    captions = [b[1][0] for b in rep.sections["welfare"].blocks if b[0] == "table"]
    assert "Cooperation by round of the supergame" in captions
