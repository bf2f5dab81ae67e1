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
    assert bl.data_packages() == [f"games.{g}.data" for g in GAME_DATA]
    text = "".join(resources.files(f"games.{g}.data").joinpath("PROVENANCE.md").read_text()
                   for g in GAME_DATA)
    for source in ("Nagel", "Forsythe", "Engel", "Oosterbeek"):
        assert source in text


@pytest.mark.skipif(not SHARED.is_dir(), reason="shared data folder not present")
def test_packaged_files_match_shared_sources() -> None:
    for game, rows_of in GAME_DATA.items():
        data = resources.files(f"games.{game}.data")
        manifest = json.loads(data.joinpath("baselines.json").read_text())
        for name, digest in manifest["sources"].items():
            assert hashlib.sha256((SHARED / name).read_bytes()).hexdigest() == digest, name
        for name in (n for n in manifest["sources"] if n.endswith(".csv")):
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
    assert c.mean_diff == pytest.approx(x.mean() - 1.09 / 5)


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
