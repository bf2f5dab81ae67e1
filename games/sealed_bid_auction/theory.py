"""Theory of sealed-bid auctions with independent private values (IPV), values uniform on
``[0, v̄]``, ``n`` bidders, reserve price ``ρ`` (Vickrey 1961; Riley & Samuelson 1981; Cox,
Smith & Walker 1988).

* **Second price**: bidding one's value is weakly dominant, whatever the risk attitude and the
  number of rivals (a bid only decides *whether* one wins; the price is set by others).
* **First price, risk neutral (RNNE)**: ``b(v) = v − ∫_ρ^v F(x)^{n−1} dx / F(v)^{n−1}`` for
  ``v >= ρ``, i.e. ``b(v) = (n − 1)/n · v + ρ^n / (n · v^{n−1})``; ``(n − 1)/n · v`` without a
  reserve. Bidders valuing below ``ρ`` cannot profitably win (their bid is recorded as their
  value).
* **First price, CRRA** ``u(x) = x^r`` (0 < r; r = 1 risk neutral, r < 1 risk averse): the
  first-order condition ``b'(v) = (n − 1)(v − b)/(r v)`` with ``b(ρ) = ρ`` gives
  ``b(v) = (n − 1)/(n − 1 + r) · v + r/(n − 1 + r) · ρ^{(n−1+r)/r} · v^{−(n−1)/r}``:
  ``(n − 1)/(n − 1 + r) · v`` without a reserve (Cox, Smith & Walker 1988). Risk aversion raises
  bids above the RNNE.
* **Revenue** (risk neutral, both formats, Myerson 1981 / Riley & Samuelson 1981): with
  ``a = ρ/v̄`` the seller's expected revenue is ``n ∫_ρ^v̄ (2v − v̄) F(v)^{n−1} f(v) dv =
  v̄ · (2n(1 − a^{n+1})/(n + 1) − (1 − a^n))``, which is ``(n − 1)/(n + 1) · v̄`` without a reserve.

The equilibrium bid depends on the private value, so the theory is given per decision
(:func:`equilibrium_actions` of the game's decision view); :func:`equilibrium_action` of the
config is the *expected* equilibrium bid ``E_v[b(v)]``, the number a mean bid compares with.
The game's values are drawn on a ``value_step`` grid (whole units by default); the formulas are
those of the continuous model.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from games.sealed_bid_auction.config import AuctionConfig

_QUAD = 4001
"""Quadrature points of the numerical integrals over values."""


def check_r(r: float) -> float:
    """A CRRA exponent: a finite number > 0."""
    if isinstance(r, bool) or not isinstance(r, int | float | np.floating) \
            or not (math.isfinite(r) and r > 0):
        raise ValueError(f"sealed_bid_auction: the CRRA exponent r must be a number > 0, got "
                         f"{r!r}")
    return float(r)


def crra_first_price_bid(config: AuctionConfig, values: Any, r: float = 1.0) -> np.ndarray:
    """Symmetric equilibrium bid of the first-price auction when every bidder has CRRA utility
    ``x^r`` (``r = 1``: the RNNE), for values at or above the reserve; values below the reserve
    bid their value (they cannot win at a profit)."""
    r = check_r(r)
    v = np.asarray(values, dtype=np.float64)
    n, rho = config.bidders, config.reserve
    k = (n - 1) / (n - 1 + r)
    if rho <= 0:
        return k * v
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        tail = (r / (n - 1 + r)) * np.exp((n - 1 + r) / r * math.log(rho)
                                          - (n - 1) / r * np.log(np.maximum(v, rho)))
    return np.where(v >= rho, k * v + tail, v)


def equilibrium_bid(config: AuctionConfig, values: Any, r: float = 1.0) -> np.ndarray:
    """Equilibrium bid of each value: the value itself (second price, weakly dominant for
    every r) or the CRRA first-price bid (``r = 1``: the RNNE)."""
    v = np.asarray(values, dtype=np.float64)
    return crra_first_price_bid(config, v, r) if config.first_price else v.copy()


def rnne_bid(config: AuctionConfig, values: Any) -> np.ndarray:
    """The risk-neutral Nash equilibrium bid of each value (see the module)."""
    return equilibrium_bid(config, values, 1.0)


def rnne_slope(config: AuctionConfig) -> float:
    """Slope of the RNNE bid on the value without a reserve: (n − 1)/n, or 1 (second price)."""
    return (config.bidders - 1) / config.bidders if config.first_price else 1.0


def expected_revenue(config: AuctionConfig) -> float:
    """Seller's expected revenue in the risk-neutral equilibrium (both formats; see the
    module): ``(n − 1)/(n + 1) · v̄`` without a reserve."""
    n, vbar = config.bidders, config.max_value
    a = config.reserve / vbar
    return vbar * (2 * n * (1 - a ** (n + 1)) / (n + 1) - (1 - a ** n))


def optimal_reserve(config: AuctionConfig) -> float:
    """Revenue-maximising reserve with uniform values: ``v̄/2`` for every n (Myerson 1981)."""
    return config.max_value / 2


def _grid(config: AuctionConfig) -> np.ndarray:
    return np.linspace(0.0, config.max_value, _QUAD)


def expected_equilibrium_bid(config: AuctionConfig, r: float = 1.0) -> float:
    """``E_v[b(v)]`` over uniform values (the mean bid of equilibrium bidders)."""
    v = _grid(config)
    return float(np.trapezoid(equilibrium_bid(config, v, r), v) / config.max_value)


def snap_bid(config: AuctionConfig, bid: Any) -> np.ndarray:
    """Bids rounded to the nearest point of the bid grid, within ``[0, bid_cap]``."""
    grid = np.round(np.asarray(bid, dtype=np.float64) / config.bid_step) * config.bid_step
    return np.clip(np.round(grid, 10), 0.0, config.cap)


def equilibrium_action(config: AuctionConfig) -> float:
    """The expected RNNE bid ``E_v[b(v)]`` on the bid grid: what the ``equilibrium`` policy
    plays when it cannot see values (use ``auction_rnne`` for value-contingent equilibrium
    bidding)."""
    return float(snap_bid(config, expected_equilibrium_bid(config)))


def equilibrium_actions(view: Any) -> np.ndarray:
    """RNNE bid of every decision of a :class:`~games.sealed_bid_auction.env.AuctionView`,
    snapped to the bid grid."""
    bids = rnne_bid(view.config, view.values)
    return np.array([view.spec_at(i).validate(float(b)) for i, b in enumerate(bids)],
                    dtype=np.float64)


# ---------------------------------------------------------------- allocation and payoffs
def allocate(config: AuctionConfig, bids: Any,
             tiebreak: Any) -> tuple[np.ndarray, np.ndarray]:
    """Winner and price of auctions ``bids`` (shape ``(..., n)``): the highest bid at or above
    the reserve wins, ties going to the tied bidder with the largest ``tiebreak`` draw (uniform
    draws of the same shape: a uniformly random tied bidder). Returns the winner's index (−1:
    no bid reaches the reserve, no sale) and the price (NaN without a sale)."""
    b = np.asarray(bids, dtype=np.float64)
    u = np.asarray(tiebreak, dtype=np.float64)
    top = b.max(axis=-1, keepdims=True)
    tied = (b == top) & (b >= config.reserve)
    winner = np.where(tied.any(axis=-1), np.argmax(np.where(tied, u, -np.inf), axis=-1), -1)
    if config.first_price:
        price = top[..., 0]
    else:
        second = np.sort(b, axis=-1)[..., -2]
        price = np.maximum(second, config.reserve)
    return winner, np.where(winner >= 0, price, np.nan)


def payoffs(config: AuctionConfig, bids: Any, values: Any,
            tiebreak: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each bidder's payoff (winner: value − price; others 0), the winner and the price."""
    v = np.asarray(values, dtype=np.float64)
    winner, price = allocate(config, bids, tiebreak)
    won = np.arange(v.shape[-1]) == winner[..., None]
    return np.where(won, v - np.nan_to_num(price)[..., None], 0.0), winner, price


def rival_bid_cdf(config: AuctionConfig, bid: Any) -> np.ndarray:
    """P(one rival bidding the RNNE bids below ``bid``), values uniform and continuous."""
    b = np.asarray(bid, dtype=np.float64)
    v = _grid(config)
    eq = rnne_bid(config, v)
    above = v >= config.reserve
    # the RNNE is increasing above the reserve: invert it there; rivals below bid their value
    inv = np.interp(b, eq[above], v[above], left=config.reserve, right=config.max_value)
    out = np.where(b > config.reserve, inv, np.minimum(b, config.reserve)) / config.max_value
    return np.clip(out, 0.0, 1.0)


def expected_payoff(config: AuctionConfig, bid: Any, value: float) -> np.ndarray:
    """Expected payoff of bidding ``bid`` with value ``value`` when the n − 1 rivals play the
    risk-neutral equilibrium (first price: ``(v − b) · G(b)^{n−1}``; second price: the expected
    surplus over the highest rival value, at least the reserve, when it is below ``b``)."""
    b = np.asarray(bid, dtype=np.float64)
    n, rho, vbar = config.bidders, config.reserve, config.max_value
    if config.first_price:
        return np.where(b >= rho, (value - b) * rival_bid_cdf(config, b) ** (n - 1), 0.0)
    y = _grid(config)  # highest rival value Y has density (n − 1) y^{n−2} / v̄^{n−1}
    dens = (n - 1) * (y / vbar) ** (n - 2) / vbar
    gain = (value - np.maximum(y, rho)) * dens
    cum = np.concatenate([[0.0], np.cumsum((gain[1:] + gain[:-1]) / 2 * np.diff(y))])
    return np.where(b >= rho, np.interp(np.minimum(b, vbar), y, cum), 0.0)
