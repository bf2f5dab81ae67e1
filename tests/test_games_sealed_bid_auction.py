"""The sealed-bid auction: config, kernel, scripted bidders and theory against closed forms,
brute force and Monte Carlo."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

import agora
from agora.engine.streams import Streams
from agora.testing import conformance_configs
from games.sealed_bid_auction import POLICIES, theory
from games.sealed_bid_auction.config import AuctionConfig
from games.sealed_bid_auction.env import AuctionKernel
from games.sealed_bid_auction.prompts import PROMPTS

GAME = "sealed_bid_auction"


def cfg(**kw: object) -> AuctionConfig:
    return AuctionConfig(**kw)  # type: ignore[arg-type]


def _simulate(c: AuctionConfig, bid_fn: object, m: int, seed: int) -> tuple[np.ndarray, ...]:
    """``m`` auctions of ``c`` with continuous values from a generator of the test's own."""
    gen = np.random.default_rng(seed)
    values = gen.uniform(0, c.max_value, size=(m, c.bidders))
    bids = bid_fn(values)  # type: ignore[operator]
    pay, winner, price = theory.payoffs(c, bids, values, gen.random(size=(m, c.bidders)))
    return pay, winner, np.nan_to_num(price)


# ------------------------------------------------------------------ registration
def test_registered_with_several_conformance_configs() -> None:
    assert GAME in agora.list_games()
    assert len(conformance_configs(GAME)) >= 3
    from tests.test_engine_conformance import CASES

    assert sum(g == GAME for g, _ in CASES) >= 3


@pytest.mark.parametrize(("kw", "match"), [
    ({"format": "english"}, "format must be one of first_price, second_price"),
    ({"bidders": 1}, "bidders"),
    ({"max_value": 0.0}, "max_value"),
    ({"reserve": 100.0}, "reserve must be below"),
    ({"bid_cap": 50.0}, "bid_cap"),
    ({"bid_step": 0.0}, "bid_step"),
    ({"rounds": 0}, "rounds"),
])
def test_bad_configs_fail_in_one_line(kw: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match) as err:
        cfg(**kw)
    assert "\n" not in str(err.value)


# ------------------------------------------------------------------ theory: closed forms
@pytest.mark.parametrize("n", [2, 4, 8])
def test_rnne_and_crra_bids_are_the_closed_forms(n: int) -> None:
    c = cfg(bidders=n)
    v = np.linspace(0, 100, 11)
    assert np.allclose(theory.rnne_bid(c, v), (n - 1) / n * v)
    for r in (0.3, 0.5, 1.0, 2.0):
        assert np.allclose(theory.equilibrium_bid(c, v, r), (n - 1) / (n - 1 + r) * v)
    assert np.allclose(theory.rnne_bid(cfg(bidders=n, format="second_price"), v), v)
    assert theory.expected_revenue(c) == pytest.approx((n - 1) / (n + 1) * 100)
    assert theory.expected_equilibrium_bid(c) == pytest.approx((n - 1) / n * 50, rel=1e-6)
    assert theory.equilibrium_action(c) == round((n - 1) / n * 50)  # on the whole-unit grid


@pytest.mark.parametrize("r", [0.4, 1.0])
def test_reserve_bid_solves_the_first_order_condition(r: float) -> None:
    c = cfg(bidders=3, reserve=30.0, value_step=0.0)
    v = np.linspace(30, 100, 2001)
    b = theory.equilibrium_bid(c, v, r)
    assert b[0] == pytest.approx(30.0)  # the bidder at the reserve bids the reserve
    slope = np.gradient(b, v)
    foc = (c.bidders - 1) * (v - b) / (r * v)  # b' = (n − 1)(v − b)/(r v)
    assert np.allclose(slope[5:-5], foc[5:-5], rtol=1e-3)


def test_crra_bid_maximises_expected_crra_utility_against_crra_rivals() -> None:
    n, r, vbar = 3, 0.5, 100.0
    k = (n - 1) / (n - 1 + r)
    grid = np.linspace(0, 100, 100_001)
    for v in (20.0, 55.0, 90.0):
        g = np.clip(grid / (k * vbar), 0, 1)  # P(rival bid below b), rivals bid k·v
        eu = np.where(grid < v, (np.maximum(v - grid, 0)) ** r * g ** (n - 1), 0.0)
        assert grid[np.argmax(eu)] == pytest.approx(k * v, abs=0.01)


@pytest.mark.parametrize(("n", "reserve"), [(2, 0.0), (4, 0.0), (3, 40.0)])
def test_rnne_is_a_best_response_to_equilibrium_rivals(n: int, reserve: float) -> None:
    c = cfg(bidders=n, reserve=reserve, value_step=0.0)
    bids = np.linspace(0, 100, 20_001)
    for v in (45.0, 70.0, 95.0):
        pay = theory.expected_payoff(c, bids, v)
        eq = float(theory.rnne_bid(c, v))
        assert bids[np.argmax(pay)] == pytest.approx(eq, abs=0.05)
        best = float(theory.expected_payoff(c, eq, v))
        for dev in (0.8, 0.9, 1.1, 1.2):
            assert float(theory.expected_payoff(c, dev * eq, v)) < best


def test_deviating_bids_do_worse_by_simulation() -> None:
    """Monte Carlo: bidder 0 shades or inflates the RNNE bid against RNNE rivals."""
    c = cfg(bidders=4, value_step=0.0)

    def mean_payoff(scale: float) -> float:
        def bid(values: np.ndarray) -> np.ndarray:
            b = theory.rnne_bid(c, values)
            b[:, 0] *= scale
            return b
        pay, _, _ = _simulate(c, bid, 200_000, seed=4)
        return float(pay[:, 0].mean())

    eq = mean_payoff(1.0)
    assert eq == pytest.approx(100 / (4 * 5), rel=0.03)  # v̄/(n(n+1)) per bidder
    for scale in (0.7, 0.85, 1.15, 1.3):
        assert mean_payoff(scale) < eq


def test_truthful_bidding_is_weakly_dominant_in_the_second_price_auction() -> None:
    c = cfg(bidders=3, format="second_price", reserve=10.0)
    gen = np.random.default_rng(1)
    m = 20_000
    values = gen.uniform(0, 100, size=m)
    rivals = gen.uniform(0, 150, size=(m, 2))  # any rival bids at all
    tb = gen.random(size=(m, 3))
    truthful, _, _ = theory.payoffs(c, np.column_stack([values, rivals]),
                                    np.column_stack([values, values, values]), tb)
    for dev in (0.0, 0.5, 0.9, 1.1, 1.5, 2.0):
        other, _, _ = theory.payoffs(c, np.column_stack([values * dev, rivals]),
                                     np.column_stack([values, values, values]), tb)
        assert np.all(truthful[:, 0] >= other[:, 0] - 1e-12)
        if dev != 1.0:
            assert np.any(truthful[:, 0] > other[:, 0])


@pytest.mark.parametrize("n", [2, 4, 8])
@pytest.mark.parametrize("reserve", [0.0, 30.0])
def test_revenue_equivalence_by_simulation(n: int, reserve: float) -> None:
    m = 200_000
    for fmt in ("first_price", "second_price"):
        c = cfg(bidders=n, format=fmt, reserve=reserve, value_step=0.0)
        _, _, price = _simulate(c, lambda v, c=c: theory.rnne_bid(c, v), m, seed=n)
        se = price.std() / np.sqrt(m)
        assert abs(price.mean() - theory.expected_revenue(c)) < 4 * se, (fmt, n, reserve)


def test_reserve_revenue_peaks_at_half_the_top_value() -> None:
    revenue = [theory.expected_revenue(cfg(bidders=2, reserve=x, value_step=0.0))
               for x in np.linspace(0, 99, 199)]
    assert np.linspace(0, 99, 199)[int(np.argmax(revenue))] == pytest.approx(
        theory.optimal_reserve(cfg()), abs=0.5)


def test_allocation_breaks_ties_at_random_and_respects_the_reserve() -> None:
    c = cfg(bidders=2, format="second_price", reserve=20.0)
    bids = np.tile([50.0, 50.0], (10_000, 1))
    winner, price = theory.allocate(c, bids, np.random.default_rng(2).random((10_000, 2)))
    assert 0.47 < winner.mean() < 0.53 and np.all(price == 50.0)
    winner, price = theory.allocate(c, np.array([[10.0, 30.0], [10.0, 15.0]]), np.zeros((2, 2)))
    assert winner.tolist() == [1, -1] and price[0] == 20.0 and np.isnan(price[1])


# ------------------------------------------------------------------ the kernel
def test_values_come_from_the_keyed_instance_streams() -> None:
    c = cfg(bidders=3, rounds=4)
    a = AuctionKernel(c, 6, Streams.from_seed(3, 6))
    b = AuctionKernel(c, 6, Streams.from_seed(3, 6))
    shard = AuctionKernel(c, 3, Streams(a.rng.key, np.arange(3, 6)))
    assert np.array_equal(a.values[:, 0], b.values[:, 0])
    assert np.array_equal(a.values[3:, 0], shard.values[:, 0])  # same stream, any shard
    assert np.all((a.values[:, 0] >= 0) & (a.values[:, 0] <= 100))
    assert np.all(a.values[:, 0] == np.round(a.values[:, 0]))  # whole units by default
    inst, players = a.pending()
    a.step(inst, players, np.full(inst.size, 10.0))
    assert not np.array_equal(a.values[:, 0], a.values[:, 1])  # fresh values each round


def test_records_carry_value_bid_price_payoff_and_rnne() -> None:
    res = agora.run(GAME, policy=POLICIES["auction_rnne"](), n_instances=30, seed=2,
                    progress=False, bidders=4, rounds=3)
    r = res.records
    for col in ("value", "action", "won", "price", "reward", "rnne_bid", "winning_bid"):
        assert col in r.columns
    v, bid = r["value"].to_numpy(), r["action"].to_numpy()
    assert np.all(np.abs(bid - 0.75 * v) <= 0.5 + 1e-9)  # RNNE on the whole-unit grid
    assert np.allclose(r["rnne_bid"].to_numpy(), 0.75 * v)
    won = r["won"].to_numpy() == 1
    assert np.allclose(r["reward"].to_numpy()[won], v[won] - r["price"].to_numpy()[won])
    assert np.all(r["reward"].to_numpy()[~won] == 0)
    per = r.group_by(["instance", "round"]).agg(pl.col("won").sum())
    assert per["won"].to_list() == [1.0] * per.height


def test_second_price_winner_pays_the_second_bid() -> None:
    res = agora.run(GAME, policy=POLICIES["auction_truthful"](), n_instances=20, seed=1,
                    progress=False, format="second_price", bidders=3, rounds=2)
    r = res.records
    for _, g in r.group_by(["instance", "round"]):
        bids = np.sort(g["action"].to_numpy())
        assert g["price"][0] == bids[-2]


@pytest.mark.parametrize(("kind", "kw", "expect"), [
    ("auction_truthful", {}, lambda v: v),
    ("auction_crra", {"r": 0.5}, lambda v: 0.8 * v),  # n = 3: 2/2.5
    ("auction_shade", {"fraction": 0.25}, lambda v: 0.75 * v),
    ("auction_overbid", {"fraction": 0.1}, lambda v: 1.1 * v),
])
def test_scripted_bidders(kind: str, kw: dict[str, float], expect: object) -> None:
    res = agora.run(GAME, policy=POLICIES[kind](**kw), n_instances=10, seed=3,
                    progress=False, bidders=3, rounds=2)
    v, b = res.records["value"].to_numpy(), res.records["action"].to_numpy()
    assert np.all(np.abs(b - expect(v)) <= 0.5 + 1e-9)  # type: ignore[operator]


def test_random_bidder_stays_below_its_bound_and_varies() -> None:
    res = agora.run(GAME, policy=POLICIES["auction_random"](), n_instances=20, seed=3,
                    progress=False, bidders=2, rounds=2)
    v, b = res.records["value"].to_numpy(), res.records["action"].to_numpy()
    assert np.all(b <= v + 0.5) and np.unique(np.round(b / np.maximum(v, 1), 2)).size > 10
    with pytest.raises(ValueError, match="auction_shade: fraction"):
        POLICIES["auction_shade"](fraction=2.0)
    with pytest.raises(ValueError, match="CRRA exponent"):
        POLICIES["auction_crra"](r=0.0)


def test_prompts_state_the_rules_and_the_feedback() -> None:
    c = cfg(bidders=3, rounds=2, reserve=10.0, format="second_price")
    rules = PROMPTS.rules(c, "bidder")
    assert "2 other bidders" in rules and "second-highest bid" in rules and "$10" in rules
    k = AuctionKernel(c, 1, Streams.from_seed(0, 1))
    k.step(*k.pending(), np.array([20.0, 40.0, 60.0]))
    text = PROMPTS.situation(c, k.observe(0, 2))
    assert "you bid $60" in text and "You won and paid $40" in text and "Round 2 of 2" in text
    assert "Your value for the item is $" in text
    k.values[0, 1] = [0.0, 0.0, 4.0]
    k.step(*k.pending(), np.array([0.0, 0.0, 100.0]))  # pays the reserve 10 for a value of 4
    lines = PROMPTS.situation(c, k.observe(0, 2)).splitlines()
    assert len(lines) == 2 and "You won and paid $10. You got -$6." in lines[1]


def test_no_sale_below_the_reserve() -> None:
    res = agora.run(GAME, policy=POLICIES["auction_shade"](fraction=1.0), n_instances=5,
                    seed=1, progress=False, reserve=10.0, rounds=2)
    r = res.records
    assert r["sold"].sum() == 0 and r["won"].sum() == 0 and r["price"].is_nan().all()
    assert (r["reward"] == 0).all()


def test_only_read_numbers_ship() -> None:
    from games.sealed_bid_auction.findings import FINDINGS, findings_for

    numbers = {f.name: f.value for f in FINDINGS if f.value is not None}
    assert numbers == {"gww2012_two_thirds": pytest.approx(2 / 3)}
    assert all(f.quote and f.where and f.citation for f in FINDINGS)
    assert {f.format for f in findings_for("first_price")} == {"first_price", "both"}
