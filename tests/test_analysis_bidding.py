"""agora.analysis.bidding: bid functions, overbidding, the CRRA fit and revenue, against
closed forms and planted parameters in data it did not generate."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pytest

import agora
from agora.analysis import bidding
from agora.analysis.estimate import BoundWarning


def _crra_bids(gen: np.random.Generator, m: int, r: float, n: np.ndarray,
               reserve: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Whole-unit values 0..100 and whole-unit bids: the CRRA bid written out here (not the
    estimator's code), plus Laplace noise, rounded to the grid and floored at 0."""
    v = gen.integers(0, 101, size=m).astype(np.float64)
    k = (n - 1) / (n - 1 + r)
    core = k * v
    if reserve > 0:
        above = v >= reserve
        core = np.where(above, k * v + r / (n - 1 + r) * reserve ** ((n - 1 + r) / r)
                        * np.maximum(v, reserve) ** (-(n - 1) / r), v)
    return v, np.maximum(np.round(core + gen.laplace(0, 3.0, size=m)), 0)


@pytest.mark.parametrize("r", [0.3, 0.5, 0.8, 1.0])
def test_crra_fit_recovers_a_planted_r_at_2000_bids(r: float) -> None:
    gen = np.random.default_rng(int(r * 100))
    n = gen.choice([2, 4, 8], size=2000).astype(np.float64)
    v, b = _crra_bids(gen, 2000, r, n)
    e = bidding.fit_crra(v, b, n)
    assert abs(e.value - r) <= 0.05, e
    assert e.ci_low < e.value < e.ci_high and not e.at_bound
    assert e.n == int((v > 0).sum())


def test_crra_fit_recovers_r_with_a_reserve() -> None:
    gen = np.random.default_rng(7)
    v, b = _crra_bids(gen, 2000, 0.6, np.full(2000, 3.0), reserve=30.0)
    e = bidding.fit_crra(v, b, 3, reserve=30.0)
    assert abs(e.value - 0.6) <= 0.05, e


def test_crra_fit_without_reserve_is_the_closed_form() -> None:
    """Linear through the origin: r̂ = (n − 1)(1/k̂ − 1) with k̂ = Σ v·b / Σ v²."""
    gen = np.random.default_rng(3)
    v = gen.uniform(0, 100, 500)
    b = 0.7 * v + gen.normal(0, 4, 500)
    k = (v @ b) / (v @ v)
    e = bidding.fit_crra(v, b, 4)
    assert e.value == pytest.approx(3 * (1 / k - 1), rel=1e-5)
    resid = b - bidding.crra_bid("first_price", 4, v, e.value)
    assert e.extra["sigma"] == pytest.approx(math.sqrt(resid @ resid / 500))
    assert e.contains(3 * (1 / 0.7 - 1))


def test_crra_fit_at_its_bound_says_so() -> None:
    gen = np.random.default_rng(5)
    v = gen.uniform(1, 100, 300)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        e = bidding.fit_crra(v, 0.05 * v + gen.normal(0, 0.5, 300), 2)  # r = 19: out of range
    assert e.at_bound and e.value == pytest.approx(bidding.R_BOUNDS[1], rel=1e-3)
    assert math.isinf(e.ci_high) and any(issubclass(w.category, BoundWarning) for w in caught)


def test_bid_regression_against_closed_forms() -> None:
    v = np.linspace(0, 100, 51)
    exact = bidding.bid_regression(v, 3 + 0.6 * v, n_boot=50, rng=1)
    assert exact.slope.value == pytest.approx(0.6) and exact.intercept.value == pytest.approx(3)
    assert exact.slope.ci_high - exact.slope.ci_low < 1e-9
    gen = np.random.default_rng(2)
    x = gen.uniform(0, 100, 3000)
    y = 0.75 * x + gen.normal(0, 5, 3000)
    clusters = np.repeat(np.arange(300), 10)
    fit = bidding.bid_regression(x, y, clusters=clusters, n_boot=200, rng=3)
    slope, intercept = np.polyfit(x, y, 1)
    assert fit.slope.value == pytest.approx(slope) and fit.intercept.value == pytest.approx(
        intercept)
    assert fit.slope.contains(0.75) and fit.intercept.contains(0.0)
    with pytest.raises(ValueError, match="do not vary"):
        bidding.bid_regression(np.ones(5), np.arange(5.0))


def test_bid_functions_by_group() -> None:
    import polars as pl

    gen = np.random.default_rng(8)
    frames = []
    for fmt, n, k in (("first_price", 2, 0.5), ("first_price", 4, 0.75), ("second_price", 2, 1)):
        v = gen.uniform(0, 100, 400)
        frames.append(pl.DataFrame({"format": fmt, "bidders": n, "instance": np.arange(400) // 4,
                                    "agent": np.arange(400) % 4, "value": v,
                                    "action": k * v + gen.normal(0, 2, 400)}))
    table = bidding.bid_functions(pl.concat(frames), by=["format", "bidders"], n_boot=100,
                                  rng=1)
    assert table.height == 3 and table["n"].to_list() == [400, 400, 400]
    for row, k in zip(table.iter_rows(named=True), (0.5, 0.75, 1.0), strict=True):
        assert row["slope_ci_low"] <= k <= row["slope_ci_high"]


def test_overbidding_rates_against_closed_forms() -> None:
    """Bids = value + U(−a, c): share above value c/(a + c); RNNE (n = 2) = v/2."""
    gen = np.random.default_rng(4)
    m, a, c = 20_000, 6.0, 2.0
    v = gen.uniform(0, 100, m)
    b = v + gen.uniform(-a, c, m)
    rnne = bidding.rnne_bid("first_price", 2, v)
    o = bidding.overbidding(v, b, rnne, n_boot=100, rng=1)
    assert o.above_value.value == pytest.approx(c / (a + c), abs=0.01)
    assert o.above_value.contains(c / (a + c))
    # above v/2 unless v + u <= v/2, i.e. v <= -2u: probability ∫ over u < 0 of −2u/100
    p_below = np.mean(np.clip(-2 * np.linspace(-a, c, 100_001), 0, None) / 100)
    assert o.above_rnne.value == pytest.approx(1 - p_below, abs=0.005)
    assert o.excess_over_rnne.value == pytest.approx(50 / 2 + (c - a) / 2, abs=0.5)


@pytest.mark.parametrize("n", [2, 4, 8])
def test_theory_matches_the_game(n: int) -> None:
    from games.sealed_bid_auction import theory
    from games.sealed_bid_auction.config import AuctionConfig

    v = np.linspace(0, 100, 101)
    for reserve in (0.0, 25.0):
        c = AuctionConfig(bidders=n, reserve=reserve)
        assert bidding.expected_revenue(n, 100.0, reserve) == pytest.approx(
            theory.expected_revenue(c))
        for r in (0.5, 1.0):
            assert np.allclose(bidding.crra_bid("first_price", n, v, r, reserve),
                               theory.equilibrium_bid(c, v, r))
    assert bidding.expected_revenue(n, 100.0) == pytest.approx(100 * (n - 1) / (n + 1))
    assert bidding.rnne_slope("first_price", n) == (n - 1) / n
    assert bidding.rnne_slope("second_price", n) == 1.0


def test_revenue_vs_theory_by_simulation() -> None:
    gen = np.random.default_rng(9)
    top2 = np.sort(gen.uniform(0, 100, (40_000, 4)), axis=1)[:, -2]
    e, theory = bidding.revenue_vs_theory(top2, bidders=4, max_value=100.0, n_boot=200, rng=1)
    assert theory == pytest.approx(60.0) and e.contains(theory)
    e, _ = bidding.revenue_vs_theory(np.array([np.nan, 10.0]), bidders=2, max_value=100.0)
    assert e.value == 5.0  # no sale counts 0


@pytest.mark.parametrize("fmt", ["first_price", "second_price"])
def test_report_prints_bid_function_overbidding_and_revenue(fmt: str, tmp_path: Path) -> None:
    from agora.analysis.report import analyse
    from games.sealed_bid_auction import POLICIES

    res = agora.run("sealed_bid_auction", policy=POLICIES["auction_crra"](r=0.5),
                    n_instances=40, seed=1, progress=False, format=fmt, bidders=4, rounds=5,
                    out=tmp_path / "run")
    rep = analyse(res, n_boot=50)
    est = rep.estimates
    assert est["bidding.slope"]["value"] == pytest.approx(
        3 / 3.5 if fmt == "first_price" else 1.0, abs=0.01)
    assert est["bidding.above_value"]["value"] == 0.0
    assert "bidding.revenue" in est
    assert est["bidding.revenue_theory"]["value"] == pytest.approx(60.0)
    assert ("bidding.crra_r" in est) == (fmt == "first_price")
    if fmt == "first_price":
        assert abs(est["bidding.crra_r"]["value"] - 0.5) < 0.05
