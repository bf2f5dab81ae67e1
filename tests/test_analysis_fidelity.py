"""Human-likeness scores (agora.analysis.fidelity) against closed forms, scipy and MobLab data."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import polars as pl
import pytest
from scipy import stats

import agora
from agora.analysis import baselines as bl
from agora.analysis import fidelity as fd
from agora.policies import RandomPolicy


def _baseline(values: np.ndarray, measure: str = "share") -> bl.Baseline:
    """A baseline made of the given individual values (not packaged data)."""
    v = np.asarray(values, dtype=np.float64)
    return bl.Baseline(name="planted", game="g", measure=measure, description="", citation="",
                       status="checked", mean=float(v.mean()), n=v.size, values=v,
                       summary_from_values=True)


def test_two_point_masses_closed_form() -> None:
    s = fd.fidelity_score(np.full(50, 0.2), _baseline(np.full(80, 0.7)), n_boot=50, rng=0)
    assert s.wasserstein.value == pytest.approx(0.5)
    assert s.ks.value == pytest.approx(1.0) and s.total_variation.value == pytest.approx(1.0)
    # the agent's bin has f_H = 0 < f_H(0.7) = 1 for every human: the judge always wins
    assert s.turing.value == pytest.approx(0.0) and s.turing_tie == pytest.approx(0.0)
    assert s.wasserstein.ci_low == pytest.approx(0.5) == s.wasserstein.ci_high
    same = fd.fidelity_score(np.full(5, 0.7), _baseline(np.full(80, 0.7)), n_boot=0)
    assert same.wasserstein.value == 0 and same.turing.value == pytest.approx(0.5)


def test_turing_closed_form_two_bins() -> None:
    humans = np.array([0.05] * 70 + [0.95] * 30)  # f_H: 0.7 in bin 0, 0.3 in bin 9
    # agents all in the minority bin: tie with the 30 % of humans there, lose otherwise
    assert fd.turing_statistic(np.full(10, 0.95), humans) == pytest.approx(0.5 * 0.3)
    # agents all in the modal bin: beat the minority humans, tie with the rest
    assert fd.turing_statistic(np.full(10, 0.05), humans) == pytest.approx(0.3 + 0.5 * 0.7)
    # half and half: agents in the two human bins and one empty bin
    agents = np.array([0.05, 0.95, 0.5, 0.5])
    want = 0.25 * (0.3 + 0.35) + 0.25 * 0.15 + 0.5 * 0.0
    assert fd.turing_statistic(agents, humans) == pytest.approx(want)


def test_total_variation_and_grid() -> None:
    s = fd.fidelity_score(np.array([0.0, 1.0] * 20), _baseline(np.zeros(30)), n_boot=0)
    assert s.total_variation.value == pytest.approx(0.5)
    # on a grid of tenths, 0.26 and 0.31 both round to 0.3: no difference on the grid
    g = fd.fidelity_score(np.full(10, 0.31), _baseline(np.full(10, 0.26)), n_boot=0,
                          grid=np.linspace(0, 1, 11))
    assert g.total_variation.value == 0 and g.turing.value == pytest.approx(0.5)
    assert g.wasserstein.value == pytest.approx(0.05)
    with pytest.raises(ValueError, match="n_bins"):
        fd.fidelity_score(np.ones(3), _baseline(np.ones(3)), n_bins=0)


def test_distances_match_scipy_and_recover_a_planted_shift() -> None:
    rng = np.random.default_rng(3)
    y = rng.beta(2, 5, 3000)
    x = rng.beta(3, 3, 400)
    s = fd.fidelity_score(x, _baseline(y), n_boot=0)
    assert s.wasserstein.value == pytest.approx(stats.wasserstein_distance(x, y), abs=1e-12)
    assert s.ks.value == pytest.approx(stats.ks_2samp(x, y).statistic, abs=1e-12)
    shift = 0.137  # planted: agents are the humans moved by a constant
    z = rng.choice(y, 2000) * 0.5
    sh = fd.fidelity_score(z + shift, _baseline(z), n_boot=100, rng=1)
    assert sh.wasserstein.value == pytest.approx(shift, abs=1e-12)
    assert sh.wasserstein.contains(shift)


def test_turing_is_one_half_for_a_resample_of_the_humans() -> None:
    b = bl.load_baseline("moblab2024_dictator")
    assert b.values is not None
    rng = np.random.default_rng(11)
    for _ in range(3):
        s = fd.fidelity_score(rng.choice(b.values, 5000), b, n_boot=100, rng=rng)
        assert abs(s.turing.value - 0.5) <= 0.02
        assert s.turing.contains(0.5) or abs(s.turing.value - 0.5) < 0.01
        assert s.ks.value < 0.05 and s.total_variation.value < 0.05
    # the exact identity: the human sample against itself scores exactly one half
    assert fd.turing_statistic(b.values, b.values) == pytest.approx(0.5, abs=1e-12)


def test_random_dictators_against_moblab() -> None:
    run = agora.run("dictator", policy=RandomPolicy(), n_instances=400, seed=0, progress=False)
    table = fd.fidelity(run.records, "moblab2024_dictator", run.manifest["config"], n_boot=100,
                        rng=0)
    s = table.scores[0]
    assert s.group == "all" and s.n_agents == 400 and s.n_human == 10335
    # uniform giving on {0, 0.1, ..., 1}: mean 0.5 against humans' 0.257, far from human
    assert 0.15 < s.wasserstein.value < 0.35 and s.wasserstein.ci_low < s.wasserstein.value
    assert s.turing.ci_high < 0.4
    assert len(table.as_rows()[0]) == len(fd.FIDELITY_HEADER)
    assert table.to_frame().height == 1


def test_subgroups_and_policy_mixture() -> None:
    mix = [(RandomPolicy(), 0.5), (agora.policies.EquilibriumPolicy(), 0.5)]
    run = agora.run("dictator", policy=mix, n_instances=200, seed=1, progress=False)
    table = fd.fidelity(run.records, "moblab2024_dictator", run.manifest["config"], n_boot=50,
                        rng=0)
    groups = [s.group for s in table.scores]
    assert groups[0] == "all" and any(g.startswith("policy=") for g in groups[1:])
    by = {s.group: s for s in table.scores}
    eq = next(s for g, s in by.items() if "equilibrium" in g)
    # the selfish equilibrium gives 0: the humans' modal bin [0, 0.1) -> judged very human
    assert eq.wasserstein.value == pytest.approx(bl.load_baseline(
        "moblab2024_dictator").values.mean())
    assert eq.turing.value > 0.5
    with pytest.raises(KeyError):
        fd.fidelity(run.records, "moblab2024_dictator", run.manifest["config"],
                    by=["nope"], n_boot=0)


def test_bad_inputs() -> None:
    with pytest.raises(ValueError, match="no individual human data"):
        fd.fidelity_score(np.ones(3), "engel2011_dictator")
    with pytest.raises(ValueError, match="at least two"):
        fd.fidelity_score(np.ones(1), "moblab2024_dictator")
    records = pl.DataFrame({"round": [0, 0], "role": ["responder", "responder"],
                            "action": [1.0, 0.0]})
    with pytest.raises(ValueError, match="min_acceptable"):
        fd.fidelity(records, "moblab2024_ultimatum_responder", {"pie": 100})


def _human_tables(report: object) -> list[tuple[str, list[str], list[list[object]]]]:
    section = report.sections["human-comparison"]  # type: ignore[attr-defined]
    return [b for kind, b in section.blocks if kind == "table"
            and b[0] == "Human-likeness against individual human data"]


def test_report_has_one_human_likeness_table_chosen_by_the_hooks() -> None:
    from agora.analysis.report import analyse

    mix = [(RandomPolicy(), 0.5), (agora.policies.EquilibriumPolicy(), 0.5)]
    run = agora.run("dictator", policy=mix, n_instances=60, seed=2, progress=False)
    report = analyse(run, n_boot=30)
    (table,) = _human_tables(report)
    assert table[1] == fd.FIDELITY_HEADER
    assert table[2][0][1] == "all" and len(table[2]) == 3  # all + 2 policies
    assert "fidelity.moblab2024_dictator.all" in report.estimates
    # an explicitly chosen baseline with individual rows joins the table
    chosen = analyse(run, n_boot=30, baseline="forsythe1994_dictator_5_pay")
    (t2,) = _human_tables(chosen)
    assert {r[0] for r in t2[2]} == {"moblab2024_dictator", "forsythe1994_dictator_5_pay"}
    assert not _human_tables(analyse(run, n_boot=30, baseline="none"))
    ult = agora.run("ultimatum", policy=RandomPolicy(), n_instances=40, seed=0, progress=False)
    rep = analyse(ult, n_boot=30)
    (t3,) = _human_tables(rep)
    assert {r[0] for r in t3[2]} == {"moblab2024_ultimatum_proposer"}
    captions = [b[0] for kind, b in rep.sections["human-comparison"].blocks if kind == "table"]
    assert any("moblab2024_ultimatum_responder" in c for c in captions)
    assert "acceptance.moblab2024_ultimatum_responder" in rep.estimates
    stated = ult.records.with_columns((pl.col("instance") % 3 * 10.0).alias("min_acceptable"))
    (t4,) = _human_tables(analyse(dataclasses.replace(ult, records=stated), n_boot=30))
    assert {r[0] for r in t4[2]} == {"moblab2024_ultimatum_proposer",
                                     "moblab2024_ultimatum_responder"}
    beauty = agora.run("p_beauty", policy=RandomPolicy(), n_instances=5, seed=0,
                       progress=False)
    with warnings.catch_warnings():  # a CH fit of 5 random guesses may sit at a bound
        warnings.simplefilter("ignore")
        assert not _human_tables(analyse(beauty, n_boot=10))  # Nagel: summaries only


# ------------------------------------------------------------------ responders
def test_acceptance_closed_forms() -> None:
    from agora.analysis.fidelity_responder import acceptance, human_acceptance

    m = np.array([0.1, 0.2, 0.3, 0.4])
    np.testing.assert_allclose(human_acceptance([0.0, 0.2, 0.35, 1.0], m), [0, 0.5, 0.75, 1])
    b = _baseline(np.full(20, 0.3))
    offers = np.array([0.1, 0.2, 0.3, 0.5, 0.6])
    same = acceptance((offers, (offers >= 0.3).astype(float)), b, n_boot=50, rng=0)
    assert same.difference.value == 0 and same.agent_rate.value == pytest.approx(0.6)
    always = acceptance((offers, np.ones(5)), b, n_boot=50, rng=0)
    assert always.difference.value == pytest.approx(0.4)
    assert sum(r[1] for r in always.bin_rows()) == 5


def test_acceptance_recovers_human_like_responders() -> None:
    from agora.analysis.fidelity_responder import acceptance, human_acceptance

    b = bl.load_baseline("moblab2024_ultimatum_responder")
    assert b.values is not None
    rng = np.random.default_rng(0)  # checked: 95 % intervals covered 0 for 39 of 40 seeds
    offers = rng.integers(0, 101, 3000) / 100
    # planted: each simulated responder is a random MobLab subject applying their threshold
    accepted = (offers >= rng.choice(b.values, offers.size)).astype(float)
    a = acceptance((offers, accepted), b, n_boot=100, rng=1)
    assert a.difference.contains(0.0) and abs(a.difference.value) < 0.03
    assert a.human_rate.value == pytest.approx(human_acceptance(offers, b.values).mean())


def test_acceptance_from_ultimatum_records() -> None:
    from agora.analysis.fidelity_responder import acceptance

    run = agora.run("ultimatum", policy=agora.policies.AlwaysAcceptPolicy(), n_instances=50,
                    seed=0, progress=False)
    a = acceptance(run.records, "moblab2024_ultimatum_responder", run.manifest["config"],
                   n_boot=30, rng=0)
    assert a.n_decisions == 50 and a.agent_rate.value == 1.0
    assert a.human_rate.value < 1.0 and a.difference.ci_low > 0
    with pytest.raises(ValueError, match="offer"):
        acceptance(run.records.drop("offer"), "moblab2024_ultimatum_responder",
                   run.manifest["config"])


def test_persona_subgroups() -> None:
    import populations

    run = agora.run("dictator", policy=RandomPolicy(), personas=populations.synthesize(
        120, seed=3), seed=0, progress=False)
    table = fd.fidelity(run.records, "moblab2024_dictator", run.manifest["config"], n_boot=20,
                        rng=0, by=["sex"])
    groups = {s.group: s for s in table.scores}
    sexes = [g for g in groups if g.startswith("sex=")]
    assert len(sexes) == 2 and sum(groups[g].n_agents for g in sexes) == groups["all"].n_agents
    # a group's score is the score of its own agents' choices
    frame = bl.agent_frame(run.records, bl.load_baseline("moblab2024_dictator"),
                           run.manifest["config"])
    g = sexes[0]
    x = frame.filter(pl.col("sex").cast(pl.String) == g.split("=", 1)[1])["value"].to_numpy()
    assert groups[g].wasserstein.value == pytest.approx(
        stats.wasserstein_distance(x, bl.load_baseline("moblab2024_dictator").values))
