"""Packaged human baselines and agent-versus-human comparisons."""

from __future__ import annotations

import hashlib
import importlib
import json
from importlib import resources
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from agora.analysis import baselines as bl

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "human"
GAME_DATA = {"bargaining": "ultimatum", "dictator": "dictator", "p_beauty": None}
"""Games shipping human data -> the rows of the shared Forsythe table they hold (None: the
game's files are verbatim copies)."""


def test_packaged_baselines_listed() -> None:
    names = bl.list_baselines()
    for name in ("nagel1995_p2_3", "engel2011_dictator", "forsythe1994_dictator_5_pay",
                 "forsythe1994_ultimatum_5_pay", "oosterbeek2004_ultimatum"):
        assert name in names


def test_nagel_numbers_from_the_paper() -> None:
    for name, mean, median, n in (("nagel1995_p1_2", 27.05, 17, 48),
                                  ("nagel1995_p2_3", 36.73, 33, 67),
                                  ("nagel1995_p4_3", 60.12, 66, 51)):
        b = bl.load_baseline(name)
        assert (b.mean, b.median, b.n) == (mean, median, n)
        assert b.values is None and b.status == "checked"
    rounds = bl.load_baseline("nagel1995_p2_3").by_round
    assert rounds is not None and rounds["round"].to_list() == [0, 1, 2, 3]
    # unweighted mean of the four p = 2/3 sessions' first-period means (Table 1)
    assert rounds["mean"][0] == pytest.approx((39.7 + 37.7 + 32.9 + 36.4) / 4)
    assert rounds["mean"].to_numpy()[-1] < rounds["mean"].to_numpy()[0]


def test_forsythe_offers_and_reported_statistics() -> None:
    b = bl.load_baseline("forsythe1994_dictator_5_pay")
    assert b.n == 45 and b.values is not None and b.values.size == 45
    assert b.mean == pytest.approx(1.09 / 5)
    assert b.values.mean() == pytest.approx(1.11 / 5, abs=0.005)
    u = bl.load_baseline("forsythe1994_ultimatum_5_pay")
    assert u.mean == pytest.approx(2.33 / 5) and u.values is not None and u.values.size == 43
    assert bl.load_baseline("forsythe1994_ultimatum_10_pay").values.size == 24
    total = sum(bl.load_baseline(n).values.size for n in bl.list_baselines()
                if n.startswith("forsythe"))
    assert total == 230


def test_meta_analyses() -> None:
    e = bl.load_baseline("engel2011_dictator")
    assert e.mean == pytest.approx(0.2835) and e.status == "cited"
    assert e.point_masses == {0.0: 0.36, 0.5: 0.17, 1.0: 0.05}
    o = bl.load_baseline("oosterbeek2004_ultimatum")
    assert o.mean == pytest.approx(0.40) and o.extra["rejection_rate"] == pytest.approx(0.16)


def test_unknown_baseline() -> None:
    with pytest.raises(KeyError, match="unknown baseline"):
        bl.load_baseline("nope")


def test_default_baseline_by_game() -> None:
    assert bl.default_baseline("p_beauty", {"p": 0.5}) == "nagel1995_p1_2"
    assert bl.default_baseline("p_beauty", {"p": 0.7}) == "nagel1995_p2_3"
    assert bl.default_baseline("p_beauty", {"p": 1.3}) == "nagel1995_p4_3"
    assert bl.default_baseline("dictator") == "engel2011_dictator"
    assert bl.default_baseline("something_else") is None


def test_provenance_shipped() -> None:
    packages = bl.data_packages()
    assert {f"games.{g}.data" for g in GAME_DATA} <= set(packages)
    for package in packages:  # every game that ships human data says where it comes from
        assert resources.files(package).joinpath("PROVENANCE.md").read_text().strip(), package
    text = "".join(resources.files(f"games.{g}.data").joinpath("PROVENANCE.md").read_text()
                   for g in GAME_DATA)
    for source in ("Nagel", "Forsythe", "Engel", "Oosterbeek", "Mei", "MobLab"):
        assert source in text
    for game in ("dictator", "bargaining"):  # the MIT notice travels with the MobLab rows
        notice = resources.files(f"games.{game}.data").joinpath("moblab_mei2024_LICENSE.txt")
        assert "Copyright (c) 2023 Yutong Xie" in notice.read_text()


def test_package_data_covers_shipped_files() -> None:
    import fnmatch
    import tomllib

    root = Path(__file__).resolve().parents[1]
    globs = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"]["games"]
    for game in sorted(p.parent.name for p in (root / "games").glob("*/data")):
        for path in (root / "games" / game / "data").iterdir():
            if path.suffix != ".py" and path.is_file():
                rel = f"{game}/data/{path.name}"
                assert any(fnmatch.fnmatch(rel, g) for g in globs), rel


@pytest.mark.skipif(not SHARED.is_dir(), reason="shared data folder not present")
def test_packaged_files_match_shared_sources() -> None:
    for game, rows_of in GAME_DATA.items():
        data = resources.files(f"games.{game}.data")
        manifest = json.loads(data.joinpath("baselines.json").read_text())
        for name, digest in manifest["sources"].items():
            assert hashlib.sha256((SHARED / name).read_bytes()).hexdigest() == digest, name
        copies = getattr(importlib.import_module(f"games.{game}.data.build"), "COPIES", {})
        for packaged, shared in copies.items():  # verbatim copies under a flat name
            assert data.joinpath(packaged).read_bytes() == (SHARED / shared).read_bytes()
        for name in (n for n in manifest["sources"] if n.endswith(".csv")
                     and n not in copies.values()):
            lines = (SHARED / name).read_text().splitlines(keepends=True)
            if rows_of is not None:  # the game ships its own rows of a shared table
                lines = lines[:1] + [r for r in lines[1:] if r.split(",")[2] == rows_of]
            assert data.joinpath(name).read_text() == "".join(lines), name


def test_build_script_regenerates_identical_manifest(tmp_path: Path) -> None:
    if not SHARED.is_dir():
        pytest.skip("shared data folder not present")
    for game in GAME_DATA:
        build = importlib.import_module(f"games.{game}.data.build")
        (tmp_path / game).mkdir()
        manifest = build.build(SHARED, tmp_path / game)
        packaged = json.loads(resources.files(f"games.{game}.data").joinpath(
            "baselines.json").read_text())
        assert manifest == packaged


def test_compare_identical_sample_has_zero_distance() -> None:
    b = bl.load_baseline("forsythe1994_dictator_5_pay")
    assert b.values is not None
    c = bl.compare(b.values, b)
    assert c.wasserstein == pytest.approx(0.0)
    assert c.ks_statistic == pytest.approx(0.0)
    assert c.ks_p_value == pytest.approx(1.0)
    assert c.p_value > 0.9


def test_compare_shifted_sample() -> None:
    b = bl.load_baseline("forsythe1994_dictator_5_pay")
    assert b.values is not None
    x = np.clip(b.values + 0.3, 0, 1.5)
    c = bl.compare(x, b)
    assert c.wasserstein == pytest.approx(0.3, abs=0.02)
    assert c.ks_p_value < 0.01 and c.p_value < 0.01
    # one human sample for every statistic: the Appendix B rows, not the printed mean
    assert c.human_sample == "individual" and c.n_human == 45
    assert c.human_mean == pytest.approx(b.values.mean())
    assert c.mean_diff == pytest.approx(x.mean() - b.values.mean())
    assert c.human_median == pytest.approx(np.median(b.values))
    assert c.published_mean == pytest.approx(1.09 / 5)
    rows = dict(c.as_rows())
    assert rows["published human mean (paper; not used above)"] == "0.218"
    assert rows["agent mean / human mean"].endswith(f"{b.values.mean():.4g}")


def test_compare_summary_statistics_use_the_reported_sample() -> None:
    c = bl.compare(np.array([0.3, 0.5, 0.4]), "oosterbeek2004_ultimatum")
    assert c.human_sample == "reported" and c.human_mean == pytest.approx(0.40)
    assert np.isnan(c.published_mean) and c.n_human == 75
    # the Welch test from the reported summary equals the textbook formula
    x = np.array([0.1, 0.2, 0.3, 0.25])
    c2 = bl.compare(x, "forsythe1994_dictator_5_nopay")
    assert c2.human_sample == "individual"
    summary = bl.Baseline(name="s", game="dictator", measure="share", description="",
                          citation="", status="checked", mean=0.382, sd=0.178, n=46)
    c3 = bl.compare(x, summary)
    se = np.sqrt(x.var(ddof=1) / 4 + 0.178**2 / 46)
    assert c3.statistic == pytest.approx((x.mean() - 0.382) / se)
    assert c3.mean_diff == pytest.approx(x.mean() - 0.382)


def test_compare_summary_only_baselines() -> None:
    rng = np.random.default_rng(0)
    guesses = rng.normal(36.73, 20, size=400).clip(0, 100)
    c = bl.compare(guesses, "nagel1995_p2_3")
    assert c.wasserstein is None and c.ks_statistic is None
    assert "one-sample" in c.test and c.p_value > 0.01
    shares = np.array([0.0] * 36 + [0.5] * 17 + [1.0] * 5 + [0.2] * 42)
    e = bl.compare(shares, "engel2011_dictator")
    assert e.point_masses[0.0][:2] == (0.36, 0.36)
    assert e.point_masses[0.0][2] == pytest.approx(1.0)
    assert any("share choosing" in r[0] for r in e.as_rows())


def test_compare_record_tables() -> None:
    records = pl.DataFrame({"instance": [0, 0, 1, 1], "round": [0, 1, 0, 1],
                            "action": [10.0, 0.0, 50.0, 60.0]})
    c = bl.compare(records, "nagel1995_p2_3", {"p": 2 / 3, "lower": 0, "upper": 100})
    assert c.n_agents == 2 and c.agent_mean == pytest.approx(30.0)
    scaled = records.with_columns(pl.col("action") / 10)
    c2 = bl.compare(scaled, "nagel1995_p2_3", {"p": 0.5, "lower": 0, "upper": 10})
    assert c2.agent_mean == pytest.approx(30.0)
    assert "differs" in c2.notes
    dictator = pl.DataFrame({"round": [0, 0], "action": [5.0, 0.0], "share_given": [0.5, 0.0]})
    assert bl.compare(dictator, "engel2011_dictator").agent_mean == pytest.approx(0.25)
    with pytest.raises(ValueError):
        bl.compare(np.array([1.0]), "engel2011_dictator")


def test_game_hooks_choose_and_match_baselines() -> None:
    from games.p_beauty.config import PBeautyConfig
    from games.p_beauty.hooks import PBeautyHooks

    assert PBeautyHooks().default_baseline(PBeautyConfig(p=1.2)) == "nagel1995_p4_3"
    assert bl.default_baseline("ultimatum") == "oosterbeek2004_ultimatum"
    assert bl.default_baseline("bargaining") is None
    nagel = bl.load_baseline("nagel1995_p2_3")
    assert nagel.match_params == ("p",) and nagel.package == "games.p_beauty.data"
    assert "differs from the baseline's p" in bl.compare(
        np.array([30.0, 40.0, 50.0]), nagel, {"p": 0.5}).notes
    assert bl.load_baseline("forsythe1994_ultimatum_5_pay").roles == ("proposer",)


# ------------------------------------------------------------------ MobLab (Mei et al. 2024)
def test_moblab_dictator_one_decision_per_subject() -> None:
    b = bl.load_baseline("moblab2024_dictator")
    assert b.values is not None and b.subjects is not None
    assert b.values.size == b.n == 10335 and np.unique(b.subjects).size == 10335
    assert b.summary_from_values and b.n_unit == "subjects" and b.roles == ("dictator",)
    assert b.mean == pytest.approx(b.values.mean()) and b.mean == pytest.approx(0.257, abs=5e-4)
    assert b.point_masses[0.0] == pytest.approx(0.260, abs=5e-4)
    assert b.point_masses[0.5] == pytest.approx(0.187, abs=5e-4)
    assert b.point_masses[1.0] == 0 and b.values.max() == pytest.approx(0.99)
    assert "Mei" in b.citation and "10,335" in b.description
    every = bl.load_baseline("moblab2024_dictator", all_rows=True)
    assert every.values is not None and every.values.size == every.n == 13232
    assert every.all_rows and every.n_unit == "decisions"
    assert every.mean == pytest.approx(every.values.mean())


def test_moblab_ultimatum_offers_and_minimum_acceptable_offers() -> None:
    rows = pl.read_csv(resources.files("games.bargaining.data").joinpath(
        "moblab_mei2024_ultimatum_strategy_round1.csv").read_bytes())
    assert rows.height == 6296 and rows["pie"].unique().to_list() == [100]
    first = rows.filter(pl.col("first_row_of_user"))
    for name, column, role in (("moblab2024_ultimatum_proposer", "offer", "proposer"),
                               ("moblab2024_ultimatum_responder", "min_acceptable",
                                "responder")):
        b = bl.load_baseline(name)
        valid = first.filter(pl.col(column) != -1)[column].to_numpy() / 100
        assert b.values is not None and b.roles == (role,)
        np.testing.assert_allclose(np.sort(b.values), np.sort(valid))
        assert b.values.min() >= 0 and b.n == valid.size < first.height
        every = bl.load_baseline(name, all_rows=True)
        assert every.n == int((rows[column] != -1).sum())
    assert bl.load_baseline("moblab2024_ultimatum_proposer").mean == pytest.approx(0.442,
                                                                                  abs=5e-4)
    r = bl.load_baseline("moblab2024_ultimatum_responder")
    assert r.mean == pytest.approx(0.350, abs=5e-4) and r.median == pytest.approx(0.40)
    assert r.agent_column == "min_acceptable"


def test_moblab_compare_with_scripted_records() -> None:
    import agora
    from agora.policies import RandomPolicy

    run = agora.run("ultimatum", policy=RandomPolicy(), n_instances=200, seed=0,
                    progress=False)
    c = bl.compare(run.records, "moblab2024_ultimatum_proposer", run.manifest["config"])
    offers = run.records.filter(pl.col("role") == "proposer")["action"].to_numpy() / 100
    assert c.n_agents == 200 and c.agent_mean == pytest.approx(offers.mean())
    assert c.human_sample == "individual" and np.isnan(c.published_mean)
    assert c.n_human == bl.load_baseline("moblab2024_ultimatum_proposer").n
    with pytest.raises(ValueError, match="min_acceptable"):
        bl.compare(run.records, "moblab2024_ultimatum_responder", run.manifest["config"])
    with_mao = run.records.with_columns(
        (pl.col("instance") % 2 * 10 + 25.0).alias("min_acceptable"))
    m = bl.compare(with_mao, "moblab2024_ultimatum_responder", run.manifest["config"])
    assert m.agent_mean == pytest.approx(0.30) and m.n_agents == 200


def test_nagel_half_mean_sources() -> None:
    """27.05 is Figure 1's first-period mean; CHC (2004) Table II prints 26.7 for the same
    48 subjects; the unweighted mean of the three sessions of Table 1 is 27.03."""
    b = bl.load_baseline("nagel1995_p1_2")
    assert b.mean == 27.05 and b.n == 48
    assert b.by_round is not None
    assert b.by_round["mean"][0] == pytest.approx((23.7 + 33.2 + 24.2) / 3)
    text = resources.files("games.p_beauty.data").joinpath("PROVENANCE.md").read_text()
    assert "26.7" in text and "Figure 1" in text and "Table II" in text
