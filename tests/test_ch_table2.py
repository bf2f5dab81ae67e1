"""Cognitive hierarchy against Camerer, Ho & Chong (2004, QJE 119(3)), Table II.

``tests/data/chc2004_table2.csv`` holds the rows a large-group p-beauty CH model can express
(read from ``../shared/reference/chc2004_table2.csv``). For each: the predicted mean at the
printed τ (whole-number best responses) is within 0.5 of the printed fitted mean, and CHC's own
estimator (``method="moment"``) on data with the printed mean and sd lands inside the printed
90 % interval. The data are the n quantiles ``(i + 1/2)/n`` of the beta distribution on the
row's range with the printed mean and sd (n = the printed sample size), scaled towards the
lower bound so that their mean is exactly the printed one.
"""

from __future__ import annotations

import csv
import math
import warnings
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from agora.analysis import rationality as ra
from agora.analysis.estimate import BoundWarning

TABLE = Path(__file__).parent / "data" / "chc2004_table2.csv"


def _rows() -> list[dict[str, str]]:
    with TABLE.open() as f:
        return list(csv.DictReader(line for line in f if not line.startswith("#")))


ROWS = _rows()


def _setting(row: dict[str, str]) -> dict[str, float]:
    return {"p": float(Fraction(row["p"])), "lower": float(row["lower"]),
            "upper": float(row["upper"])}


def beta_sample(mean: float, sd: float, n: int, lower: float, upper: float) -> np.ndarray:
    """n beta quantiles on [lower, upper] with the given mean and sd, mean made exact."""
    mu, var = (mean - lower) / (upper - lower), (sd / (upper - lower)) ** 2
    k = mu * (1 - mu) / var - 1
    q = stats.beta.ppf((np.arange(n) + 0.5) / n, mu * k, (1 - mu) * k)
    g = lower + (upper - lower) * q
    g = lower + (g - lower) * (mean - lower) / (g.mean() - lower)
    return np.clip(g, lower, upper)


def test_table_has_every_comparable_row() -> None:
    assert [int(r["row"]) for r in ROWS] == [1, 2, 9, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
                                             21, 24]
    assert all(r["comparable_with_agora"].startswith("yes") for r in ROWS)


@pytest.mark.parametrize("row", ROWS, ids=lambda r: f"row{r['row']}")
def test_predicted_mean_at_printed_tau(row: dict[str, str]) -> None:
    pred = ra.ch_predicted_mean(float(row["tau"]), **_setting(row))
    assert abs(pred - float(row["fit_mean"])) <= 0.5


def test_whole_numbers_are_what_reproduces_the_table() -> None:
    errs = {w: max(abs(ra.ch_predicted_mean(float(r["tau"]), whole_numbers=w, **_setting(r))
                       - float(r["fit_mean"])) for r in ROWS) for w in (True, False)}
    assert errs[True] < 0.5 < 1.0 < errs[False]
    assert ra.ch_predicted_mean(3.0, p=2 / 3) == pytest.approx(23.0, abs=0.01)


@pytest.mark.parametrize("row", ROWS, ids=lambda r: f"row{r['row']}")
def test_moment_tau_inside_printed_interval(row: dict[str, str]) -> None:
    s = _setting(row)
    g = beta_sample(float(row["data_mean"]), float(row["data_sd"]), int(row["sample_size"]),
                    s["lower"], s["upper"])
    assert g.mean() == pytest.approx(float(row["data_mean"]), abs=0.01)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est = ra.fit_cognitive_hierarchy(g, method="moment", whole_numbers=True, n_boot=100,
                                         rng=0, **s)
    assert float(row["ci90_low"]) <= est.value <= float(row["ci90_high"])
    assert est.level == 0.90 and est.n == int(row["sample_size"])
    # the bootstrap interval overlaps the printed one
    assert est.ci_low <= float(row["ci90_high"]) and est.ci_high >= float(row["ci90_low"])
    if est.value == 0.0:  # row 2: the data mean is the midpoint, tau at its lower bound 0
        assert est.at_bound and any(issubclass(w.category, BoundWarning) for w in caught)
    else:
        assert not est.at_bound and math.isfinite(est.se)
