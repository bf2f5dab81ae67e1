"""Contribution analysis: by-round means against closed forms and planted values, the FGF
type rules on planted tables, and the catalogue kinds."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from agora.analysis.contributions import (
    classify_profile,
    classify_profiles,
    contribution_by_round,
    profile_summary,
    profiles_from_records,
    spearman_one_sided,
)
from agora.analysis.report.catalogue import CATALOGUE


def _records(means: list[float], clusters: int, per: int, rng: np.random.Generator,
             noise: float = 3.0) -> pl.DataFrame:
    rows = []
    for r, mu in enumerate(means):
        for m in range(clusters):
            shift = rng.normal(0, 1)
            for a in range(per):
                rows.append({"instance": m, "round": r, "agent": a, "stage": 0.0,
                             "action": mu + shift + rng.normal(0, noise)})
                rows.append({"instance": m, "round": r, "agent": a, "stage": 1.0,
                             "action": 99.0})
    return pl.DataFrame(rows)


def test_closed_form_means_and_shares() -> None:
    rec = pl.DataFrame({"instance": [0, 0, 1, 1, 0, 1], "round": [0, 0, 0, 0, 1, 1],
                        "action": [10.0, 20.0, 0.0, 30.0, 5.0, 15.0],
                        "arm": ["a", "a", "a", "a", "b", "b"]})
    out = contribution_by_round(rec, endowment=20, n_boot=200)
    assert out["mean"].to_list() == pytest.approx([60 / 4 / 20, 10 / 20])
    assert out["clusters"].to_list() == [2, 2]
    for row in out.iter_rows(named=True):
        assert row["ci_low"] <= row["mean"] <= row["ci_high"]
    # one cluster per cell: the bootstrap has nothing to vary
    one = contribution_by_round(rec.filter(pl.col("instance") == 0), n_boot=50)
    assert one["ci_low"].to_list() == one["ci_high"].to_list() == [15.0, 5.0]
    by_arm = contribution_by_round(rec, treatment="arm", n_boot=50)
    assert by_arm["treatment"].to_list() == ["a", "b"]


def test_recovers_planted_decay() -> None:
    rng = np.random.default_rng(3)
    planted = [12.0 * 0.75 ** r for r in range(6)]
    rec = _records(planted, clusters=60, per=4, rng=rng)
    out = contribution_by_round(rec, where={"stage": 0.0}, n_boot=400,
                                rng=np.random.default_rng(1))
    got = np.array(out["mean"].to_list())
    assert np.all(np.abs(got - planted) < 0.6)
    covered = [lo <= mu <= hi for lo, mu, hi in zip(out["ci_low"], planted, out["ci_high"],
                                                       strict=True)]
    assert sum(covered) >= 5


def test_errors_are_one_line() -> None:
    rec = pl.DataFrame({"instance": [0], "round": [0], "action": [1.0]})
    for kwargs, match in [({"where": {"stage": 0}}, "no column 'stage'"),
                          ({"endowment": 0}, "endowment must be"),
                          ({"treatment": "arm"}, "no column 'arm'")]:
        with pytest.raises(ValueError, match=match):
            contribution_by_round(rec, **kwargs)
    with pytest.raises(ValueError, match="finite table"):
        classify_profile([1.0])


def test_spearman_closed_form() -> None:
    t = np.array([0, 2, 1, 4, 3, 6, 5, 8, 7, 9], dtype=float)  # no ties
    d = np.arange(10) - np.argsort(np.argsort(t))
    rho, p = spearman_one_sided(t)
    assert rho == pytest.approx(1 - 6 * (d ** 2).sum() / (10 * (100 - 1)))
    assert p < 0.01
    assert spearman_one_sided(np.full(5, 3.0)) == (pytest.approx(np.nan, nan_ok=True), 1.0)


def test_fgf_rules_on_planted_tables() -> None:
    e = 20
    k = np.arange(e + 1, dtype=float)
    rng = np.random.default_rng(9)
    planted: list[tuple[np.ndarray, str]] = []
    for _ in range(30):
        slope = rng.uniform(0.3, 1.0)
        noisy = np.clip(np.round(slope * k + rng.normal(0, 1.5, k.size)), 0, e)
        planted.append((noisy, "conditional cooperator"))
        planted.append((np.zeros(e + 1), "free rider"))
        peak = int(rng.integers(5, 16))
        planted.append((np.minimum(k, 2 * peak - k).clip(0), "hump-shaped"))
        planted.append((np.full(e + 1, float(rng.integers(1, e + 1))), "other"))
        planted.append((np.clip(e - k + 0.0, 0, e), "other"))  # decreasing
    tables = np.array([t for t, _ in planted])
    assert classify_profiles(tables) == [name for _, name in planted]
    summary = profile_summary(tables)
    shares = dict(zip(summary["type"], summary["share"], strict=True))
    assert shares == pytest.approx({"conditional cooperator": 0.2, "free rider": 0.2,
                                    "hump-shaped": 0.2, "other": 0.4})
    # a monotone table that only the correlation rule admits is not needed: a weakly
    # increasing table with a flat start is a conditional cooperator by the first rule
    assert classify_profile(np.r_[np.zeros(10), np.arange(11.0)]) == "conditional cooperator"


def test_profiles_from_records() -> None:
    rec = pl.DataFrame({"action": [1.0, 2.0, 3.0], "table_0": [0.0, 0.0, float("nan")],
                        "table_1": [1.0, 0.0, 1.0], "table_10": [2.0, 0.0, 1.0]})
    out = profiles_from_records(rec)
    assert out.tolist() == [[0, 1, 2], [0, 0, 0]]
    with pytest.raises(ValueError, match="no table_k"):
        profiles_from_records(rec.select("action"))


def test_catalogue_kinds() -> None:
    assert CATALOGUE["contribution_by_round"].section == "welfare"
    assert CATALOGUE["contribution_types"].section == "rationality"
