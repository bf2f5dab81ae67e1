"""Every figure function returns a Figure that renders headless to PNG."""

from __future__ import annotations

import base64

import numpy as np
import polars as pl
import pytest
from matplotlib.figure import Figure

from agora.analysis import plots
from agora.analysis.baselines import load_baseline
from agora.analysis.subgroups import available_subgroups, subgroup_table
from games.bargaining.theory import rubinstein_share
from games.tax_planner.theory import saez_top_rate

PNG = b"\x89PNG\r\n\x1a\n"


def _renders(fig: Figure) -> None:
    assert isinstance(fig, Figure)
    assert base64.b64decode(plots.figure_to_base64(fig, dpi=40))[:8] == PNG


def test_guess_histogram() -> None:
    g = np.random.default_rng(0).integers(0, 101, 300)
    fig = plots.guess_histogram(g, p=2 / 3, baseline=load_baseline("nagel1995_p2_3"),
                                equilibrium=0)
    labels = [t.get_text() for t in fig.axes[0].texts]
    assert labels == ["L1", "L2", "L3"]
    _renders(fig)


def test_convergence() -> None:
    by_round = pl.DataFrame({"round": [0, 1, 2], "mean": [35.0, 22, 15], "ci_low": [33.0, 20, 13],
                             "ci_high": [37.0, 24, 17], "median": [33.0, 20, 12]})
    _renders(plots.convergence(by_round, equilibrium=0,
                               human=load_baseline("nagel1995_p2_3").by_round))


def test_giving_distribution_with_each_baseline_kind() -> None:
    x = np.random.default_rng(1).choice([0, 0.2, 0.5], size=100)
    _renders(plots.giving_distribution(x, baseline=load_baseline("engel2011_dictator")))
    _renders(plots.giving_distribution(x, baseline=load_baseline("forsythe1994_dictator_5_pay")))


def test_bargaining_split() -> None:
    x = np.random.default_rng(2).uniform(0.4, 0.6, 50)
    _renders(plots.bargaining_split(x, spe_share=rubinstein_share(0.95, 0.95)))


def test_tax_schedule_and_welfare_over_time() -> None:
    rates = [0.10, 0.12, 0.22, 0.24, 0.32, 0.35, 0.37]
    thresholds = [11_600, 47_150, 100_525, 191_950, 243_725, 609_350, np.inf]
    fig = plots.tax_schedule(thresholds, rates, saez_rate=saez_top_rate(1.5, 0.25),
                             label="US 2024", others={"flat": ([np.inf], [0.3])})
    _renders(fig)
    _renders(plots.welfare_over_time({"planner": [1, 2, 3], "Saez": [1, 1.5, 1.7]}))


def test_lorenz_curves() -> None:
    fig = plots.lorenz_curves({"equal": np.ones(10), "skewed": np.arange(10.0)})
    assert any("Gini 0.000" in t.get_text() for t in fig.axes[0].get_legend().get_texts())
    _renders(fig)


def test_subgroup_breakdown() -> None:
    records = pl.DataFrame({"action": np.arange(30.0),
                            "age_band": np.array(["18-34", "35-54", "55+"])[np.arange(30) % 3],
                            "education": [None] * 30})
    assert available_subgroups(records) == ["age_band"]
    t = subgroup_table(records, "age_band", n_boot=50, rng=0)
    assert t["n"].to_list() == [10, 10, 10]
    assert t["mean"].to_list() == pytest.approx([13.5, 14.5, 15.5])
    assert (t["ci_low"] <= t["mean"]).all() and (t["mean"] <= t["ci_high"]).all()
    _renders(plots.subgroup_breakdown(t, "age_band", reference=14.5))
    with pytest.raises(KeyError):
        subgroup_table(records, "income_decile")
