"""Human-likeness of prisoner's dilemma agents against Dal Bó & Fréchette's (2011) subjects.

The per-subject baselines hold each subject's cooperation rate (round 1 of its supergames, or
all rounds) computed from the packaged decisions; agents are scored by their per-agent rates.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

import agora
from agora.analysis import baselines as bl
from agora.analysis import fidelity as fid
from agora.cli.main import main
from games.prisoners_dilemma import PDConfig, StrategyPolicy
from games.prisoners_dilemma.hooks import PDHooks, df2011_treatment
from games.prisoners_dilemma.human import df2011_decisions

TREATMENTS = ("D5R32", "D5R40", "D5R48", "D75R32", "D75R40", "D75R48")


def _name(code: str, measure: str) -> str:
    return f"dalbo_frechette2011_{code.lower()}_subject_{measure}"


@pytest.mark.parametrize("measure", ["round1", "all"])
def test_baseline_values_are_subject_rates_from_the_csv(measure: str) -> None:
    d = df2011_decisions()
    if measure == "round1":
        d = d.filter(pl.col("round") == 0)
    rates = d.group_by("treatment", "id").agg(pl.col("cooperate").mean())
    for code in TREATMENTS:
        b = bl.load_baseline(_name(code, measure))
        mine = rates.filter(pl.col("treatment") == code)["cooperate"].to_numpy()
        assert b.measure == "rate" and b.n_unit == "subjects" and b.values is not None
        assert b.n == mine.size == np.unique(b.subjects).size
        np.testing.assert_allclose(np.sort(b.values), np.sort(mine))
        assert b.mean == pytest.approx(mine.mean())
    # the pooled round-1 rate of D75R40 (0.6591, weighing decisions) differs from the mean of
    # subjects' rates: subjects with more supergames defected more
    pooled = bl.load_baseline("dalbo_frechette2011_d75r40")
    assert pooled.values is None and pooled.mean == pytest.approx(0.694)


def test_humans_resampled_against_themselves_score_half() -> None:
    b = bl.load_baseline(_name("D75R40", "round1"))
    rng = np.random.default_rng(0)
    draw = rng.choice(b.values, size=20_000, replace=True)
    s = fid.fidelity_score(draw, b, n_boot=50, rng=1)
    assert s.turing.value == pytest.approx(0.5, abs=0.02)
    assert s.ks.value < 0.03 and s.wasserstein.value < 0.02


def test_turing_of_always_cooperators_matches_the_closed_form() -> None:
    for code in ("D5R32", "D75R48"):
        b = bl.load_baseline(_name(code, "all"))
        f = np.bincount(np.minimum((b.values * 10).astype(int), 9), minlength=10) / b.n
        fh = f[np.minimum((b.values * 10).astype(int), 9)]  # f_H of each human's bin
        closed = np.mean(f[9] > fh) + 0.5 * np.mean(f[9] == fh)
        s = fid.fidelity_score(np.ones(40), b, n_boot=0)
        assert s.turing.value == pytest.approx(closed)
    # AllC looks inhuman where humans defect and "more human than human" where they cooperate
    assert fid.fidelity_score(np.ones(40), _name("D5R32", "all"), n_boot=0).turing.value < 0.1
    assert fid.fidelity_score(np.ones(40), _name("D75R48", "all"), n_boot=0).turing.value > 0.5


def test_agent_rates_are_per_agent_means() -> None:
    rec = pl.DataFrame({
        "instance": [0, 0, 0, 0, 0, 0, 1, 1], "agent": ["a", "b", "a", "b", "a", "b", "a", "a"],
        "role": ["player"] * 8, "policy": ["p"] * 8,
        "supergame_round": [0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 1.0],
        "action": [1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0]})
    r1, every = (bl.load_baseline(_name("D75R40", m)) for m in ("round1", "all"))
    assert bl.agent_values(rec, r1).tolist() == [1.0, 0.5, 0.0]
    assert bl.agent_values(rec, every).tolist() == [2 / 3, 1 / 3, 0.5]
    with pytest.raises(ValueError, match="supergame_round"):
        bl.agent_values(rec.drop("supergame_round"), r1)


def test_planted_strategies_are_recovered_from_a_run() -> None:
    res = agora.run("prisoners_dilemma", policy=[(StrategyPolicy("allc"), 0.5),
                                                 (StrategyPolicy("alld"), 0.5)],
                    n_instances=3, seed=2, delta=0.75, reward=40.0, supergames=3,
                    group_size=4, progress=False)
    b = bl.load_baseline(_name("D75R40", "all"))
    frame = bl.agent_frame(res.records, b)
    assert frame.height == 12
    by_policy = dict(frame.group_by("policy").agg(pl.col("value").mean()).iter_rows())
    assert by_policy == {"AllC": 1.0, "AllD": 0.0}
    table = fid.fidelity(res.records, b, n_boot=20, rng=0)
    assert [s.group for s in table.scores] == ["all", "policy=AllC", "policy=AllD"]


def test_hooks_pick_the_matching_treatment() -> None:
    hooks = PDHooks()
    cfg = PDConfig(delta=0.75, reward=40.0)
    assert df2011_treatment(cfg) == "D75R40"
    assert hooks.default_baseline(cfg) == _name("D75R40", "round1")
    kinds = [(a.kind, a.params.get("baselines")) for a in hooks.analyses(cfg)]
    assert ("human_likeness", (_name("D75R40", "round1"), _name("D75R40", "all"))) in kinds
    for other in (PDConfig(delta=0.6, reward=40.0), PDConfig(delta=0.75, reward=44.0),
                  PDConfig(delta=0.75, reward=40.0, sucker=10.0),
                  PDConfig(delta=0.75, reward=40.0, noise=0.1), PDConfig()):
        assert hooks.default_baseline(other) is None
        assert all(a.kind != "human_likeness" for a in hooks.analyses(other))


def test_report_prints_the_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "pd.toml"
    spec.write_text('game = "prisoners_dilemma"\nn_instances = 2\nseed = 5\n[config]\n'
                    'delta = 0.75\nreward = 40\nsupergames = 2\ngroup_size = 4\n'
                    '[[policies]]\nkind = "random"\n')
    out = tmp_path / "run"
    assert main(["run", str(spec), "--out", str(out), "--quiet"]) == 0
    assert main(["report", str(out), "--n-boot", "10"]) == 0
    capsys.readouterr()
    md = (out / "report.md").read_text()
    assert "Human-likeness against individual human data" in md
    for m in ("round1", "all"):
        assert f"| {_name('D75R40', m)} | all | 8 | 38 |" in md
