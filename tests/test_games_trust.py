"""The trust game (games/trust): conformance, config errors, theory against brute force, the
kernel against hand-worked rounds, Berg et al.'s (1995) packaged pairs and the reciprocity
analysis against closed forms, a published number and planted slopes."""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from scipy.stats import spearmanr

import agora
from agora.analysis import baselines as bl
from agora.analysis.reciprocity import reciprocity, reciprocity_from_records
from agora.engine.registry import make_config, make_kernel
from agora.testing import check_game, conformance_configs
from games.trust import Reciprocator, theory
from games.trust.config import TrustConfig, berg_no_history_pairs
from games.trust.prompts import PROMPTS

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "human"
DATA = resources.files("games.trust.data")


def _pairs() -> pl.DataFrame:
    with resources.as_file(DATA.joinpath("berg1995_trust_pairs.csv")) as p:
        return pl.read_csv(p)


@pytest.mark.parametrize("config", conformance_configs("trust"), ids=str)
def test_conforms(config: dict[str, object]) -> None:
    assert "trust" in agora.list_games()
    check_game("trust", **config)


@pytest.mark.parametrize(("config", "message"), [
    ({"multiplier": 0.5}, "multiplier must be >= 1"),
    ({"endowment": 10.0, "step": 3.0}, "must be a multiple of step"),
    ({"endowment": 0.0}, "endowment must be a number > 0"),
    ({"receiver_endowment": -1.0}, "receiver_endowment must be >= 0"),
    ({"social_history": True, "endowment": 20.0}, "give history_pairs"),
    ({"history_pairs": [[1.0, 2.0]]}, "need social_history"),
    ({"social_history": True, "history_pairs": [[2.0, 7.0]]}, "history pair"),
    ({"history_to": "receiver"}, "history_to must be"),
    ({"rounds": 0}, "rounds"),
])
def test_bad_configs_fail_in_one_line(config: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message) as err:
        make_config("trust", **config)
    assert "\n" not in str(err.value)


def test_default_social_history_is_bergs_no_history_pairs() -> None:
    cfg = TrustConfig(social_history=True)
    pairs = _pairs().filter(pl.col("treatment").str.starts_with("no_history"))
    assert cfg.history_pairs == berg_no_history_pairs()
    assert len(cfg.history_pairs) == 32 == pairs.height
    assert [p[0] for p in cfg.history_pairs] == pairs["amount_sent"].to_list()


# ------------------------------------------------------------------ theory
def test_spe_and_efficiency_against_brute_force() -> None:
    rng = np.random.default_rng(0)
    for _ in range(20):
        e = float(rng.integers(1, 30))
        cfg = TrustConfig(endowment=e, multiplier=float(rng.uniform(1.01, 5)),
                          receiver_endowment=float(rng.integers(0, 20)))
        sent = np.arange(0.0, e + 1)
        # receiver: for every amount sent, the best return is the smallest (0)
        for s in sent:
            r = np.arange(0.0, cfg.max_return(s) + 1)
            assert r[np.argmax(theory.payoffs(cfg, s, r)[1])] == 0.0
        # sender, anticipating r = 0: its payoff is highest at s = 0
        assert sent[np.argmax(theory.payoffs(cfg, sent, 0 * sent)[0])] == 0.0
        assert theory.equilibrium_action(cfg) == 0.0
        total = sum(theory.payoffs(cfg, sent, 0.4 * cfg.multiplier * sent))
        assert sent[np.argmax(total)] == theory.efficient_sent(cfg) == e
        np.testing.assert_allclose(total, theory.total_payoff(cfg, sent))
        assert theory.efficiency(cfg, np.float64(e)) == pytest.approx(1.0)


def test_level_one_sender_against_uniform_receivers() -> None:
    for m in (1.5, 2.5, 3.0, 4.0):
        cfg = TrustConfig(multiplier=m)
        sent = np.arange(0.0, 11)
        expected = cfg.endowment - sent + m * sent / 2  # uniform return on [0, m s]
        assert theory.sender_level_k(cfg, 1) == sent[np.argmax(expected)]
        assert theory.sender_level_k(cfg, 2) == theory.sender_level_k(cfg, 3) == 0.0
    with pytest.raises(ValueError, match="k >= 1"):
        theory.sender_level_k(TrustConfig(), 0)


def test_hooks_benchmark_payoffs_and_views() -> None:
    from agora.engine.registry import REGISTRY

    kernel_cls = REGISTRY.get("trust").kernel_cls
    cfg = TrustConfig(multiplier=2.5, receiver_endowment=4.0)
    hooks = kernel_cls.hooks
    bench = hooks.benchmark("trust", cfg)
    assert bench.equilibrium_action == 0.0 and "L1 10, L2 0, L3 0" in bench.notes
    prof = np.array([[4.0, 5.0], [10.0, 0.0], [0.0, 0.0]])
    np.testing.assert_allclose(hooks.payoffs(cfg, prof),
                               [[11.0, 9.0], [0.0, 29.0], [10.0, 4.0]])
    k = make_kernel("trust", cfg, 3, np.random.default_rng(0))
    k.step(*k.pending(), np.array([2.0, 0.0, 4.0]))
    view = k.decision_view(*k.pending())
    assert view.sent.tolist() == [2.0, 0.0, 4.0] and view.arrived.tolist() == [5.0, 0.0, 10.0]
    assert [view.spec_at(i).high for i in range(3)] == [5.0, 0.0, 10.0]
    assert theory.equilibrium_actions(view).tolist() == [0.0] * 3


# ------------------------------------------------------------------ kernel
def test_a_hand_worked_repeated_game() -> None:
    cfg = TrustConfig(rounds=2)
    k = make_kernel("trust", cfg, 1, np.random.default_rng(0))
    inst, players = k.pending()
    assert players.tolist() == [0]
    out = k.step(inst, players, np.array([4.0]))
    assert out.rewards.tolist() == [6.0] and out.all_rewards.tolist() == [[6.0, 0.0]]
    inst, players = k.pending()
    assert players.tolist() == [1]
    spec = k.spec_for_code(int(k.spec_codes(inst, players)[0]))
    assert (spec.low, spec.high) == (0.0, 12.0)
    obs = k.observe(0, 1)
    assert (obs.sent, obs.arrived, obs.role) == (4.0, 12.0, "receiver")
    out = k.step(inst, players, np.array([5.0]))
    assert out.all_rewards.tolist() == [[5.0, 17.0]]  # sender 10 - 4 + 5, receiver 10 + 12 - 5
    assert out.columns["sender_payoff"].tolist() == [11.0]
    assert out.columns["return_ratio"].tolist() == [pytest.approx(5 / 12)]
    assert not k.done[0] and k.round[0] == 1
    assert PROMPTS.situation(cfg, k.observe(0, 0)).count("sent $4") == 1
    k.step(*k.pending(), np.array([0.0]))
    inst, players = k.pending()
    assert k.spec_for_code(int(k.spec_codes(inst, players)[0])).high == 0.0
    k.step(inst, players, np.array([0.0]))
    assert k.done[0]


def test_random_receivers_return_at_most_what_arrived() -> None:
    # the receiver's spec depends on the amount sent: the runner must use its spec codes
    from agora.policies import RandomPolicy

    r = agora.run("trust", policy=RandomPolicy(), n_instances=200, seed=4, progress=False,
                  rounds=2).records.filter(pl.col("role") == "receiver")
    assert (r["returned"] <= r["arrived"]).all() and r["returned"].max() > 0
    assert (r["return_ratio"].drop_nans() <= 1).all()


def test_social_history_reaches_the_roles_it_is_shown_to() -> None:
    both = TrustConfig(social_history=True)
    sender_only = TrustConfig(social_history=True, history_to="sender")
    assert "previous session of this game (32 pairs)" in PROMPTS.rules(both, "sender")
    assert "previous session" in PROMPTS.rules(both, "receiver")
    assert "previous session" not in PROMPTS.rules(sender_only, "receiver")
    assert "previous session" not in PROMPTS.rules(TrustConfig(), "sender")
    k = make_kernel("trust", sender_only, 1, np.random.default_rng(0))
    assert len(k.observe(0, 0).social_history) == 32 and k.observe(0, 1).social_history == ()


def test_reciprocator_and_equilibrium_players() -> None:
    from agora.policies import EquilibriumPolicy

    res = agora.run("trust", policy=Reciprocator(send=0.7, back=0.5), n_instances=4, seed=1,
                    progress=False)
    r = res.records
    assert r.filter(pl.col("role") == "sender")["action"].to_list() == [7.0] * 4
    assert r.filter(pl.col("role") == "receiver")["action"].to_list() == [10.0] * 4  # 0.5 * 21
    eq = agora.run("trust", policy=EquilibriumPolicy(), n_instances=3, seed=1,
                   progress=False, rounds=2)
    assert eq.records["action"].to_list() == [0.0] * 12
    with pytest.raises(ValueError, match="send must be a share"):
        Reciprocator(send=1.5)


# ------------------------------------------------------------------ human data
def test_packaged_pairs_reproduce_bergs_means() -> None:
    pairs = _pairs()
    means = {t: (g["amount_sent"].mean(), g["amount_returned"].mean(), g.height)
             for (t,), g in pairs.group_by(["treatment"])}
    assert round(means["no_history_investment_game"][0], 2) == 5.16
    assert round(means["no_history_investment_game"][1], 2) == 4.66
    assert round(means["social_history_investment_game"][0], 2) == 5.36
    assert round(means["social_history_investment_game"][1], 2) == 6.46
    assert means["no_history_investment_game"][2] == 32
    assert means["social_history_investment_game"][2] == 28


def test_packaged_files_match_the_manifest_and_the_source() -> None:
    manifest = json.loads(DATA.joinpath("baselines.json").read_text())
    data = DATA.joinpath("berg1995_trust_pairs.csv").read_bytes()
    assert hashlib.sha256(data).hexdigest() == manifest["sources"]["berg1995_trust_pairs.csv"]
    if (SHARED / "berg1995_trust_pairs.csv").is_file():
        assert data == (SHARED / "berg1995_trust_pairs.csv").read_bytes()


def test_baselines_load_with_computed_summaries() -> None:
    sent = bl.load_baseline("berg1995_trust_sent_no_history")
    assert sent.n == 32 and sent.mean == pytest.approx(5.15625 / 10)
    assert sent.roles == ("sender",) and sent.extra["reported_mean_usd"] == 5.16
    back = bl.load_baseline("berg1995_trust_returned_social_history")
    assert back.n == 25 and back.roles == ("receiver",)
    assert back.mean == pytest.approx(0.371, abs=5e-4)  # [computed] in classic_games.md
    assert bl.load_baseline("berg1995_trust_returned_no_history").mean == \
        pytest.approx(0.298, abs=5e-4)
    hooks = agora.engine.registry.REGISTRY.get("trust").kernel_cls.hooks
    assert hooks.default_baseline(TrustConfig(social_history=True)) == \
        "berg1995_trust_sent_social_history"


def test_agents_share_columns_fit_the_baselines() -> None:
    res = agora.run("trust", policy=Reciprocator(send=0.5, back=0.25), n_instances=5, seed=2,
                    progress=False)
    cfg = {"endowment": 10.0, "multiplier": 3.0}
    sent = bl.agent_values(res.records, bl.load_baseline("berg1995_trust_sent_no_history"), cfg)
    back = bl.agent_values(res.records,
                           bl.load_baseline("berg1995_trust_returned_no_history"), cfg)
    assert sent.tolist() == [0.5] * 5
    assert back == pytest.approx([3 / 15] * 5)  # floor(0.25 * 15) of 15


# ------------------------------------------------------------------ reciprocity analysis
def test_reciprocity_closed_form() -> None:
    x, y = np.array([0.0, 1.0, 2.0, 3.0]), np.array([1.0, 1.0, 3.0, 5.0])
    fit = reciprocity(x, y, multiplier=2.0, n_boot=50, rng=0)
    # b = cov/var = (sum dx dy) / (sum dx^2) = 5 / 5 (dx = -1.5..1.5, dy = -1.5,-1.5,.5,2.5)
    assert fit.slope.value == pytest.approx(1.4)
    assert fit.intercept.value == pytest.approx(2.5 - 1.4 * 1.5)
    assert fit.spearman.value == pytest.approx(np.corrcoef([1, 2, 3, 4], [1.5, 1.5, 3, 4])[0, 1])
    assert fit.return_ratio is not None
    assert fit.return_ratio.value == pytest.approx(np.mean([1 / 2, 3 / 4, 5 / 6]))
    with pytest.raises(ValueError, match="do not vary"):
        reciprocity(np.ones(5), np.arange(5.0), n_boot=0)


def test_reciprocity_line_of_bergs_pairs_passes_through_the_published_means() -> None:
    # the OLS line passes through (mean sent, mean returned): Berg et al.'s printed means
    # $5.16 / $4.66 (no history) and $5.36 / $6.46 (social history) [read: HSB ground truth]
    for treatment, sent, back in (("no_history", 5.16, 4.66), ("social_history", 5.36, 6.46)):
        p = _pairs().filter(pl.col("treatment").str.starts_with(treatment))
        x, y = p["amount_sent"].to_numpy(), p["amount_returned"].to_numpy()
        fit = reciprocity(x, y, multiplier=3.0, n_boot=0)
        assert fit.intercept.value + fit.slope.value * sent == pytest.approx(back, abs=0.01)
        assert fit.spearman.value == pytest.approx(spearmanr(x, y).statistic)
        assert fit.slope.value > 0  # returns rise with the amount sent in both treatments


def test_reciprocity_recovers_planted_slopes() -> None:
    rng = np.random.default_rng(4)
    for slope in (0.0, 0.6, 1.3):
        x = rng.integers(0, 11, size=400).astype(float)
        y = 0.5 + slope * x + rng.normal(0, 1.0, size=x.size)
        fit = reciprocity(x, y, n_boot=200, rng=rng)
        assert fit.slope.contains(slope) and abs(fit.slope.value - slope) < 0.05
    for back in (0.2, 0.5):  # a reciprocator's slope is back * multiplier exactly
        res = agora.run("trust", policy=[(Reciprocator(send=0.3, back=back), 0.5),
                                         (Reciprocator(send=0.9, back=back), 0.5)],
                        n_instances=20, seed=3, progress=False, step=0.1)
        fit = reciprocity_from_records(res.records, x="sent", y="returned", role="receiver",
                                       multiplier=3.0, n_boot=20, rng=0)
        assert fit.slope.value == pytest.approx(3 * back, abs=0.02)
        assert fit.return_ratio is not None
        assert fit.return_ratio.value == pytest.approx(back, abs=0.02)


def test_report_runs_reciprocity_and_human_likeness(tmp_path: Path) -> None:
    from agora.analysis.report import analyse

    res = agora.run("trust", policy=[(Reciprocator(send=0.6, back=0.4), 0.5),
                                     (Reciprocator(send=0.2, back=0.1), 0.5)],
                    n_instances=12, seed=3, progress=False, out=tmp_path / "run",
                    social_history=True)
    report = analyse(res, n_boot=10)
    assert report.estimates["reciprocity.slope"]["value"] > 0
    assert "fidelity.berg1995_trust_sent_social_history.all" in report.estimates
    assert "fidelity.berg1995_trust_returned_social_history.all" in report.estimates
    assert "nash_conv" not in report.estimates and "avg_regret" not in report.estimates


def test_welfare_counts_what_comes_back_to_the_sender() -> None:
    """A record row holds the mover's own step reward only; the game's agent_payoffs hook adds
    the returned amount to the sender, so welfare is the sum of both round payoffs."""
    from agora.analysis import welfare
    from agora.engine.registry import REGISTRY
    from agora.policies import RandomPolicy

    res = agora.run("trust", policy=RandomPolicy(), n_instances=6, seed=4,
                    progress=False, rounds=2)
    rec = res.records
    pay = REGISTRY.get("trust").kernel_cls.hooks.agent_payoffs(rec)
    done = rec.filter(pl.col("receiver_payoff").is_not_nan())
    per_instance = done.group_by("instance").agg(
        (pl.col("sender_payoff") + pl.col("receiver_payoff")).sum().alias("total")).sort(
        "instance")
    hook_total = pay.group_by("instance").agg(pl.col("payoff").sum()).sort("instance")
    assert np.allclose(hook_total["payoff"].to_numpy(), per_instance["total"].to_numpy())
    reward_total = rec.group_by("instance").agg(pl.col("reward").sum()).sort("instance")
    returned = done.group_by("instance").agg(pl.col("returned").sum()).sort("instance")
    assert np.allclose(hook_total["payoff"].to_numpy(),  # rewards miss exactly the returns
                       reward_total["reward"].to_numpy() + returned["returned"].to_numpy())
    est = welfare.welfare_summary(rec, n_boot=5, rng=0, payoffs=pay)
    assert est["utilitarian"].value == pytest.approx(per_instance["total"].mean())
