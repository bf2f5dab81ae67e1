"""Bidding in sealed-bid auctions with independent private values uniform on ``[0, v̄]``.

* **Bid function**: least-squares line ``bid = a + b·value`` with percentile bootstrap
  intervals over bidders (clusters) or bids. Risk-neutral theory: ``b = (n − 1)/n``, ``a = 0``
  in the first-price auction without a reserve; ``b = 1``, ``a = 0`` in the second-price one
  (:func:`bid_functions`: one line per group, e.g. per format and number of bidders).
* **Overbidding**: shares of bids above the risk-neutral Nash equilibrium (RNNE) bid and above
  the value (each beyond a tolerance, e.g. half a bid step), and the mean excess over the RNNE.
* **CRRA r** (Cox, Smith & Walker 1988), first price: bidders with ``u(x) = x^r`` bid
  ``β_r(v) = (n − 1)/(n − 1 + r)·v`` (plus a reserve term, see :func:`crra_bid`). Noise model:
  ``bid_i = β_r(v_i) + ε_i`` with ``ε_i`` i.i.d. ``N(0, σ²)``, additive, on bids of values at
  or above the reserve. Maximum likelihood with σ profiled out
  (``σ̂²(r) = mean squared residual``, ``ℓ(r) = −m/2·(log 2πσ̂²(r) + 1)``); the interval is the
  profile-likelihood one, ``{r : 2(ℓ(r̂) − ℓ(r)) <= χ²₁(level)}``. Without a reserve the
  model is linear through the origin, so ``r̂ = (n − 1)(1/k̂ − 1)`` with
  ``k̂ = Σ v·bid / Σ v²`` (pooled over n, each bid with its own n, the fit is numerical).
* **Revenue against theory**: mean price per auction (0 without a sale) against
  ``v̄·(2n(1 − a^{n+1})/(n + 1) − (1 − a^n))``, ``a = ρ/v̄``: ``(n − 1)/(n + 1)·v̄`` without a
  reserve, in both formats (revenue equivalence; Riley & Samuelson 1981).

Every fitted number is an :class:`~agora.analysis.estimate.Estimate`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import polars as pl
from scipy.optimize import brentq, minimize_scalar
from scipy.stats import chi2

from agora.analysis.estimate import DEFAULT_BOOT, Estimate, estimate_from, make_rng

FORMATS = ("first_price", "second_price")
R_BOUNDS = (0.02, 5.0)
"""Search range of the CRRA exponent r (r = 1 risk neutral, r < 1 risk averse)."""


def _check_format(fmt: str) -> bool:
    if fmt not in FORMATS:
        raise ValueError(f"auction format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    return fmt == "first_price"


# ---------------------------------------------------------------- theory (closed forms)
def crra_bid(fmt: str, n: np.ndarray | int, values: np.ndarray, r: float = 1.0,
             reserve: float = 0.0) -> np.ndarray:
    """Symmetric equilibrium bid of CRRA bidders ``x^r`` (``r = 1``: the RNNE) with ``n``
    bidders: the value in the second-price auction; in the first-price one
    ``(n−1)/(n−1+r)·v + r/(n−1+r)·ρ^{(n−1+r)/r}·v^{−(n−1)/r}`` for ``v >= ρ`` (values below the
    reserve: the value itself)."""
    v = np.asarray(values, dtype=np.float64)
    if not _check_format(fmt):
        return v.copy()
    nn = np.asarray(n, dtype=np.float64)
    k = (nn - 1) / (nn - 1 + r)
    if reserve <= 0:
        return k * v
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        tail = r / (nn - 1 + r) * np.exp((nn - 1 + r) / r * math.log(reserve)
                                         - (nn - 1) / r * np.log(np.maximum(v, reserve)))
    return np.where(v >= reserve, k * v + tail, v)


def rnne_bid(fmt: str, n: np.ndarray | int, values: np.ndarray,
             reserve: float = 0.0) -> np.ndarray:
    """The risk-neutral Nash equilibrium bid (see :func:`crra_bid` with ``r = 1``)."""
    return crra_bid(fmt, n, values, 1.0, reserve)


def rnne_slope(fmt: str, n: int) -> float:
    """Slope of the RNNE bid function without a reserve: (n − 1)/n, or 1 (second price)."""
    return (n - 1) / n if _check_format(fmt) else 1.0


def expected_revenue(n: int, max_value: float, reserve: float = 0.0) -> float:
    """Expected revenue of the risk-neutral equilibrium, either format (see the module)."""
    a = reserve / max_value
    return max_value * (2 * n * (1 - a ** (n + 1)) / (n + 1) - (1 - a ** n))


# ---------------------------------------------------------------- bid-on-value regression
@dataclass(frozen=True, kw_only=True)
class BidRegression:
    """OLS of bids on values with bootstrap intervals."""

    slope: Estimate
    intercept: Estimate
    n: int


def _units(n: int, clusters: np.ndarray | None) -> list[np.ndarray]:
    if clusters is None:
        return [np.array([i]) for i in range(n)]
    _, inverse = np.unique(np.asarray(clusters), return_inverse=True)
    order = np.argsort(inverse, kind="stable")
    bounds = np.flatnonzero(np.diff(inverse[order])) + 1
    return np.split(order, bounds)


def _resampled(units: list[np.ndarray], idx: np.ndarray) -> np.ndarray:
    return np.concatenate([units[i] for i in idx])


def _clean(*arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    arr = [np.asarray(a, dtype=np.float64) for a in arrays]
    if len({a.shape for a in arr}) != 1:
        sizes = ", ".join(str(a.size) for a in arr)
        raise ValueError(f"bidding: arrays differ in length ({sizes})")
    keep = np.logical_and.reduce([np.isfinite(a) for a in arr])
    return (*(a[keep] for a in arr), keep)


def _ols(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    dx = x - x.mean()
    var = float(dx @ dx)
    if var <= 0:
        raise ValueError("bidding: the values do not vary, so no bid function")
    b = float(dx @ (y - y.mean())) / var
    return b, float(y.mean() - b * x.mean())


def bid_regression(values: np.ndarray, bids: np.ndarray, *,
                   clusters: np.ndarray | None = None, n_boot: int = DEFAULT_BOOT,
                   rng: np.random.Generator | int | None = None,
                   level: float = 0.95) -> BidRegression:
    """Least-squares ``bid = a + b·value``; intervals by percentile bootstrap over
    ``clusters`` (e.g. bidders) or over bids.

    Raises:
        ValueError: fewer than three finite pairs, or values without variation.
    """
    v, b, keep = _clean(values, bids)
    if v.size < 3:
        raise ValueError(f"bidding: need at least three bids, got {v.size}")
    units = _units(v.size, None if clusters is None else np.asarray(clusters)[keep])
    slope, intercept = _ols(v, b)
    gen = make_rng(rng)
    draws = np.full((n_boot, 2), np.nan)
    for i in range(n_boot):
        rows = _resampled(units, gen.integers(0, len(units), size=len(units)))
        try:
            draws[i] = _ols(v[rows], b[rows])
        except ValueError:
            continue
    method = f"OLS, percentile bootstrap over {'clusters' if clusters is not None else 'bids'}"
    return BidRegression(
        slope=estimate_from(slope, draws[:, 0], v.size, name="slope", level=level,
                            method=method),
        intercept=estimate_from(intercept, draws[:, 1], v.size, name="intercept", level=level,
                                method=method),
        n=int(v.size))


def bid_functions(records: pl.DataFrame, *, by: list[str], value: str = "value",
                  bid: str = "action", n_boot: int = DEFAULT_BOOT,
                  rng: np.random.Generator | int | None = None) -> pl.DataFrame:
    """:func:`bid_regression` per group of ``by`` columns (e.g. format and number of
    bidders of pooled runs), bootstrapped over bidders (instance and agent, plus the group):
    one row per group with ``n``, ``slope``, ``slope_ci_low``, ``slope_ci_high``,
    ``intercept``, ``intercept_ci_low``, ``intercept_ci_high``."""
    gen = make_rng(rng)
    rows = []
    for key, g in records.sort(by).group_by(by, maintain_order=True):
        fit = bid_regression(g[value].to_numpy(), g[bid].to_numpy(),
                             clusters=bidder_clusters(g), n_boot=n_boot, rng=gen)
        row = dict(zip(by, key, strict=True))
        for name, e in (("slope", fit.slope), ("intercept", fit.intercept)):
            row |= {name: e.value, f"{name}_ci_low": e.ci_low, f"{name}_ci_high": e.ci_high}
        rows.append({**row, "n": fit.n})
    return pl.DataFrame(rows)


# ---------------------------------------------------------------- overbidding
@dataclass(frozen=True, kw_only=True)
class Overbidding:
    """Overbidding relative to the RNNE and to the value."""

    above_rnne: Estimate
    above_value: Estimate
    excess_over_rnne: Estimate
    n: int


def overbidding(values: np.ndarray, bids: np.ndarray, rnne: np.ndarray, *, tol: float = 0.0,
                clusters: np.ndarray | None = None, n_boot: int = DEFAULT_BOOT,
                rng: np.random.Generator | int | None = None,
                level: float = 0.95) -> Overbidding:
    """Shares of bids above the RNNE bid and above the value (by more than ``tol``) and the
    mean of ``bid − rnne``, with percentile bootstrap intervals over ``clusters`` or bids."""
    v, b, e, keep = _clean(values, bids, rnne)
    if v.size == 0:
        raise ValueError("bidding: no bids")
    units = _units(v.size, None if clusters is None else np.asarray(clusters)[keep])
    stats = np.stack([(b > e + tol), (b > v + tol), b - e], axis=1).astype(np.float64)
    point = stats.mean(axis=0)
    gen = make_rng(rng)
    draws = np.array([stats[_resampled(units, gen.integers(0, len(units), size=len(units)))]
                      .mean(axis=0) for _ in range(n_boot)]).reshape(n_boot, 3)
    method = f"share, percentile bootstrap over {'clusters' if clusters is not None else 'bids'}"
    names = ("share above the RNNE bid", "share above value", "mean bid minus RNNE bid")
    est = [estimate_from(point[j], draws[:, j], v.size, name=names[j], level=level,
                         method=method if j < 2 else method.replace("share", "mean"))
           for j in range(3)]
    return Overbidding(above_rnne=est[0], above_value=est[1], excess_over_rnne=est[2],
                       n=int(v.size))


# ---------------------------------------------------------------- CRRA r by maximum likelihood
def _profile_loglik(r: float, v: np.ndarray, b: np.ndarray, n: np.ndarray,
                    reserve: float) -> float:
    resid = b - crra_bid("first_price", n, v, r, reserve)
    s2 = max(float(resid @ resid) / v.size, 1e-300)
    return -0.5 * v.size * (math.log(2 * math.pi * s2) + 1)


def fit_crra(values: np.ndarray, bids: np.ndarray, bidders: np.ndarray | int, *,
             reserve: float = 0.0, bounds: tuple[float, float] = R_BOUNDS,
             level: float = 0.95) -> Estimate:
    """CRRA exponent r of first-price bids by maximum likelihood (Gaussian additive noise,
    σ profiled out) with a profile-likelihood interval (see the module). ``bidders``: the
    number of bidders of each bid's auction (or one number). Bids of values below the reserve
    are left out. An estimate at an end of ``bounds`` is flagged ``at_bound`` and its interval
    opened on that side.

    Raises:
        ValueError: fewer than three usable bids.
    """
    n_arr = np.broadcast_to(np.asarray(bidders, dtype=np.float64), np.shape(values))
    v, b, n, _ = _clean(values, bids, n_arr)
    use = v >= max(reserve, 1e-12)
    v, b, n = v[use], b[use], n[use]
    if v.size < 3:
        raise ValueError(f"CRRA fit: need at least three bids of positive values, got {v.size}")
    lo, hi = bounds

    def nll(r: float) -> float:
        return -_profile_loglik(r, v, b, n, reserve)

    grid = np.geomspace(lo, hi, 60)  # a coarse scan first: the profile need not be unimodal
    j = int(np.argmin([nll(r) for r in grid]))
    a, c = grid[max(j - 1, 0)], grid[min(j + 1, grid.size - 1)]
    res = minimize_scalar(nll, bounds=(a, c), method="bounded",
                          options={"xatol": 1e-7 * max(1.0, c)})
    r_hat = float(res.x) if res.fun <= nll(grid[j]) else float(grid[j])
    best = -nll(r_hat)
    cut = chi2.ppf(level, 1) / 2

    def gap(r: float) -> float:
        return best - (-nll(r)) - cut

    # the interval's ends: where the profile drops by the χ² cut; an end that the search range
    # cuts off (or an estimate at a bound) is opened to the parameter's support
    ci_lo = brentq(gap, lo, r_hat) if r_hat > lo and gap(lo) > 0 else 0.0
    ci_hi = brentq(gap, r_hat, hi) if r_hat < hi and gap(hi) > 0 else math.inf
    resid = b - crra_bid("first_price", n, v, r_hat, reserve)
    sigma = float(np.sqrt(resid @ resid / v.size))
    base = estimate_from(r_hat, np.array([]), v.size, name="crra_r", level=level,
                         method=("maximum likelihood, bid = CRRA equilibrium bid + N(0, σ²); "
                                 "profile-likelihood interval"),
                         extra={"sigma": sigma, "loglik": best}, bounds=bounds,
                         support=(0.0, math.inf), bound_tol=1e-4)
    return replace(base, ci_low=float(ci_lo), ci_high=float(ci_hi))


# ---------------------------------------------------------------- revenue
def revenue_vs_theory(prices: np.ndarray, *, bidders: int, max_value: float,
                      reserve: float = 0.0, n_boot: int = DEFAULT_BOOT,
                      rng: np.random.Generator | int | None = None,
                      level: float = 0.95) -> tuple[Estimate, float]:
    """Mean revenue per auction (a NaN price, no sale, counts 0) with a bootstrap interval over
    auctions, and the risk-neutral expected revenue of the same auction."""
    from agora.analysis.estimate import mean_estimate

    rev = np.nan_to_num(np.asarray(prices, dtype=np.float64), nan=0.0)
    if rev.size == 0:
        raise ValueError("bidding: no auctions")
    e = mean_estimate(rev, name="revenue", n_boot=n_boot, rng=rng, level=level)
    return e, expected_revenue(bidders, max_value, reserve)


# ---------------------------------------------------------------- from run records
def auctions(records: pl.DataFrame, *, price: str = "price") -> pl.DataFrame:
    """One row per auction (instance and round) with its price (NaN: no sale)."""
    keys = [k for k in ("population_round", "instance", "round") if k in records.columns]
    return (records.group_by(keys).agg(pl.col(price).first().alias("price")).sort(keys))


def bidder_clusters(records: pl.DataFrame) -> np.ndarray:
    """One cluster id per record: the bidder (instance and agent)."""
    return (records["instance"].cast(pl.String) + ":" + records["agent"].cast(pl.String)
            ).to_numpy()


# ---------------------------------------------------------------- report catalogue kinds
def _records(ctx: Any, params: Mapping[str, Any]) -> tuple[pl.DataFrame, np.ndarray,
                                                             np.ndarray, np.ndarray]:
    r = ctx.records
    value, bid, rnne = (str(params.get(k, d)) for k, d in
                        (("value", "value"), ("bid", "action"), ("rnne", "rnne_bid")))
    r = r.filter(pl.col(value).is_not_null() & pl.col(value).is_not_nan()
                 & pl.col(bid).is_not_null() & pl.col(bid).is_not_nan())
    if r.height == 0:
        raise ValueError("no bids with values in the records")
    return (r, r[value].to_numpy().astype(np.float64), r[bid].to_numpy().astype(np.float64),
            r[rnne].to_numpy().astype(np.float64))


def report_bid_function(ctx: Any, params: Mapping[str, Any]) -> None:
    """Catalogue kind ``bid_function`` (rationality section): the bid-on-value OLS against the
    RNNE slope, overbidding relative to the RNNE and to value and, in first-price auctions, the
    CRRA r by maximum likelihood. ``params``: ``format``, ``bidders``, ``max_value``,
    ``reserve``, optional columns ``value``, ``bid``, ``rnne`` and ``tol`` (default: none)."""
    from agora.analysis.report.context import EST_HEADER, est_row

    fmt, n = str(params["format"]), int(params["bidders"])
    first = _check_format(fmt)
    reserve = float(params.get("reserve", 0.0))
    r, v, b, e = _records(ctx, params)
    clusters = bidder_clusters(r)
    reg = bid_regression(v, b, clusters=clusters, n_boot=ctx.n_boot, rng=ctx.rng)
    over = overbidding(v, b, e, tol=float(params.get("tol", 0.0)), clusters=clusters,
                       n_boot=ctx.n_boot, rng=ctx.rng)
    slope_theory = rnne_slope(fmt, n)
    res = "" if reserve <= 0 else f" (the RNNE is not linear with the reserve {reserve:g})"
    rows = [est_row(f"bid-function slope (RNNE: {slope_theory:.4g}{res})",
                    ctx.keep("bidding.slope", reg.slope)),
            est_row("bid-function intercept (RNNE: 0)", ctx.keep("bidding.intercept",
                                                                 reg.intercept)),
            est_row("share of bids above the RNNE bid", ctx.keep("bidding.above_rnne",
                                                                 over.above_rnne)),
            est_row("share of bids above value (second price: the dominant bid is the value)",
                    ctx.keep("bidding.above_value", over.above_value)),
            est_row("mean bid minus RNNE bid", ctx.keep("bidding.excess_over_rnne",
                                                        over.excess_over_rnne))]
    if first:
        crra = ctx.keep("bidding.crra_r", fit_crra(v, b, np.full(v.size, n), reserve=reserve))
        rows.append(est_row("CRRA r, u(x) = x^r (1: risk neutral; < 1: risk averse)", crra))
        rows.append(["CRRA noise sigma", crra.extra["sigma"], math.nan, math.nan, crra.n,
                     "jointly with r"])
    s = ctx.report.sections["rationality"]
    s.table(f"Bid function, {fmt.replace('_', '-')} auction, {n} bidders (intervals over "
            "bidders)", EST_HEADER, rows)
    theory = (f"RNNE bid ({n}−1)/{n}·v; CRRA bid ({n}−1)/({n}−1+r)·v (Cox, Smith & Walker "
              "1988)" if first else "bidding one's value is weakly dominant (Vickrey 1961)")
    s.text(f"Theory: {theory}. Bidders see their own value, so one-shot NashConv and regret "
           "of bid profiles do not apply; the bid function measures the distance from "
           "equilibrium bidding.")


def report_revenue(ctx: Any, params: Mapping[str, Any]) -> None:
    """Catalogue kind ``auction_revenue`` (welfare section): mean revenue per auction against
    the risk-neutral expected revenue. ``params``: ``bidders``, ``max_value``, ``reserve``,
    optional column ``price``."""
    from agora.analysis.report.context import EST_HEADER, est_row

    per = auctions(ctx.records, price=str(params.get("price", "price")))
    n, vbar = int(params["bidders"]), float(params["max_value"])
    reserve = float(params.get("reserve", 0.0))
    e, theory = revenue_vs_theory(per["price"].to_numpy(), bidders=n, max_value=vbar,
                                  reserve=reserve, n_boot=ctx.n_boot, rng=ctx.rng)
    ctx.keep("bidding.revenue", e)
    ctx.report.estimates["bidding.revenue_theory"] = {"value": theory}
    ctx.report.sections["welfare"].table(
        "Seller revenue per auction against theory", [*EST_HEADER, "theory (RNNE)"],
        [[*est_row("mean revenue (no sale: 0)", e), theory]])
