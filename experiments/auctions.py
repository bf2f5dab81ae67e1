"""Sealed-bid auctions: first- against second-price at n = 2, 4 and 8 bidders.

Groups of agents bid for several rounds in the game ``sealed_bid_auction`` (independent private
values uniform on [0, 100] in whole units, fresh every round; no reserve), one treatment per
format and group size. The first table sets the agents' bid function (OLS slope and intercept
of bid on value), their overbidding (shares of bids above the risk-neutral Nash equilibrium bid
and above value, share of bidders whose mean bid exceeds their mean value) and, in first-price
auctions, the CRRA exponent r fitted by maximum likelihood (``agora.analysis.bidding``) beside
the theory from the game's theory module (RNNE slope (n − 1)/n or 1) and the human results as
read in their sources: in second-price laboratory auctions "roughly two-thirds of the subjects
overbid" (Garratt, Walker & Wooders), first-price bids above the RNNE (Kagel; Kagel & Levin),
qualitative. The second table sets revenue against the risk-neutral (n − 1)/(n + 1) · 100 of
both formats (revenue equivalence).

    python -m experiments.auctions --n 6          # 6 groups per format and n
    python -m experiments.auctions --smoke
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import polars as pl

from experiments._common import (
    Agents,
    ExperimentArgs,
    Summary,
    experiment_main,
    fmt,
    fmt_est,
    fmt_share,
)

NAME = "auctions"
GAME = "sealed_bid_auction"
FORMATS = ("first_price", "second_price")


@dataclass(frozen=True, kw_only=True)
class AuctionsConfig:
    """Settings of the auction experiment.

    Attributes:
        bidders: Group sizes n.
        groups: Groups (game instances) per format and n (``--n``).
        rounds: Auctions per group, each with fresh values.
        max_value: Upper end of the values.
        stand_in_r: CRRA r of the scripted stand-in (``--agents scripted``).
        temperature, max_tokens: LLM sampling settings.
        n_boot: Bootstrap replicates.
    """

    bidders: tuple[int, ...] = (2, 4, 8)
    groups: int = 6
    rounds: int = 10
    max_value: float = 100.0
    stand_in_r: float = 0.5
    temperature: float = 0.7
    max_tokens: int = 16
    n_boot: int = 200

    def __post_init__(self) -> None:
        if not self.bidders or any(not isinstance(n, int) or n < 2 for n in self.bidders):
            raise ValueError(f"bidders must be integers >= 2, got {self.bidders!r}")
        if not isinstance(self.groups, int) or self.groups < 1:
            raise ValueError(f"groups must be an integer >= 1, got {self.groups!r}")
        if not isinstance(self.rounds, int) or self.rounds < 1:
            raise ValueError(f"rounds must be an integer >= 1, got {self.rounds!r}")
        if not (math.isfinite(self.temperature) and self.temperature >= 0):
            raise ValueError(f"temperature must be >= 0, got {self.temperature}")

    def game(self, fmt_: str, n: int) -> dict[str, Any]:
        """Game config of one treatment."""
        return {"format": fmt_, "bidders": n, "rounds": self.rounds,
                "max_value": self.max_value}


SMOKE = AuctionsConfig(groups=2, rounds=2, n_boot=20)


def config_for(args: ExperimentArgs) -> AuctionsConfig:
    """The config the flags select."""
    cfg = SMOKE if args.smoke else AuctionsConfig()
    return replace(cfg, groups=args.n) if args.n is not None else cfg


def main(argv: Sequence[str] | None = None) -> int:
    """Run the experiment; returns the exit status."""
    return experiment_main(NAME, __doc__.splitlines()[0], argv=argv, run=run,
                           n_help="groups per format and group size (default 6)")


# --------------------------------------------------------------------- the experiment
@dataclass(frozen=True)
class Treatment:
    """What one (format, n) run gave."""

    records: pl.DataFrame
    slope: Any
    intercept: Any
    over: Any
    bidders_over_value: float
    crra: Any
    revenue: Any
    revenue_theory: float


def _analyse(records: pl.DataFrame, fmt_: str, n: int, max_value: float, step: float,
             n_boot: int, rng: np.random.Generator) -> Treatment:
    from agora.analysis import bidding

    v = records["value"].to_numpy().astype(np.float64)
    b = records["action"].to_numpy().astype(np.float64)
    clusters = bidding.bidder_clusters(records)
    try:
        reg = bidding.bid_regression(v, b, clusters=clusters, n_boot=n_boot, rng=rng)
        slope, intercept = reg.slope, reg.intercept
    except ValueError:  # too few bids, or values without variation
        slope = intercept = None
    over = bidding.overbidding(v, b, records["rnne_bid"].to_numpy(), tol=step / 2,
                               clusters=clusters, n_boot=n_boot, rng=rng)
    per_bidder = (records.group_by(["instance", "agent"])
                  .agg((pl.col("action") - pl.col("value")).mean().alias("excess")))
    share = float((per_bidder["excess"] > step / 2).mean())
    crra = None
    if fmt_ == "first_price":
        try:
            crra = bidding.fit_crra(v, b, n)
        except ValueError:
            crra = None
    revenue, theory = bidding.revenue_vs_theory(
        bidding.auctions(records)["price"].to_numpy(), bidders=n, max_value=max_value,
        n_boot=n_boot, rng=rng)
    return Treatment(records=records, slope=slope, intercept=intercept, over=over,
                     bidders_over_value=share, crra=crra, revenue=revenue,
                     revenue_theory=theory)


COLUMN_OF = {"overbid_subjects": 6, "overbid_value": 5, "overbid_rnne": 4, "crra_r": 7}
"""Which cell of a bid-function row (after format, n and who) a human statement fills."""


def _human_rows(table: Any, fmt_: str) -> None:
    """One row per human statement of ``fmt_``, its quote in the column it is about."""
    from games.sealed_bid_auction.findings import findings_for

    for f in findings_for(fmt_):
        if f.measure not in COLUMN_OF:
            continue
        cells = [""] * 8
        number = f"{fmt_share(f.value)} of subjects: " if f.value is not None else ""
        cells[COLUMN_OF[f.measure]] = f"{number}\"{f.quote}\""
        table.add(fmt_.replace("_", "-"), "", f"humans: {f.source}", *cells[2:])


def run(args: ExperimentArgs, cfg: AuctionsConfig | None = None) -> int:
    """Play every (format, n) and print the agents beside theory and the human statements."""
    import agora
    from games.sealed_bid_auction import POLICIES, theory
    from games.sealed_bid_auction.config import AuctionConfig
    from games.sealed_bid_auction.findings import findings_for

    cfg = cfg or config_for(args)
    agents = Agents(args)
    summary = Summary(name=NAME, args=args)
    rng = np.random.default_rng(args.seed)
    results: dict[tuple[str, int], Treatment] = {}
    try:
        for i, (fmt_, n) in enumerate((f, n) for f in FORMATS for n in cfg.bidders):
            policy = agents.llm(temperature=cfg.temperature, max_tokens=cfg.max_tokens,
                                stand_in=POLICIES["auction_crra"](r=cfg.stand_in_r))
            label = f"{fmt_} n={n}"
            res = agora.run(GAME, policy=policy, n_instances=cfg.groups, seed=args.seed + i,
                            out=args.out / f"{fmt_}_n{n}", resume=args.resume,
                            progress=not args.quiet, **cfg.game(fmt_, n))
            summary.record_run(label, res)
            summary.add_report(label, res, n_boot=cfg.n_boot)
            step = AuctionConfig(**cfg.game(fmt_, n)).bid_step
            results[(fmt_, n)] = _analyse(res.records, fmt_, n, cfg.max_value, step,
                                          cfg.n_boot, rng)
    finally:
        agents.close()
    who = f"agents ({agents.label()})"
    t = summary.table(
        f"Bid functions: {cfg.groups} group(s) per format and n, {cfg.rounds} round(s), values "
        f"U[0, {cfg.max_value:g}] in whole units",
        ["format", "n", "who", "slope [95% CI]", "intercept [95% CI]", "bids > RNNE bid",
         "bids > value", "bidders with mean bid > value", "CRRA r [95% CI]"])
    for fmt_ in FORMATS:
        for n in cfg.bidders:
            res = results[(fmt_, n)]
            game = AuctionConfig(**cfg.game(fmt_, n))
            name = fmt_.replace("_", "-")
            crra = (fmt_est(res.crra) if res.crra is not None else
                    "n/a" if fmt_ == "first_price" else "n/a (any r bids the value)")
            t.add(name, n, who, fmt_est(res.slope) if res.slope else "n/a",
                  fmt_est(res.intercept) if res.intercept else "n/a",
                  fmt_est(res.over.above_rnne), fmt_est(res.over.above_value),
                  fmt_share(res.bidders_over_value), crra)
            t.add(name, n, "theory: risk-neutral equilibrium", fmt(theory.rnne_slope(game)),
                  "0", "0", "0", "0", "1 (r < 1: risk averse, bids above the RNNE)"
                  if fmt_ == "first_price" else "any r: bid = value")
        _human_rows(t, fmt_)
    t.notes += [
        "Slope and intercept: OLS of bid on value; shares: bids above the RNNE bid or the "
        "value by more than half a bid step. 95% CIs: percentile bootstrap over bidders.",
        "CRRA r: u(x) = x^r, bid = (n − 1)/(n − 1 + r)·v + N(0, σ²), maximum likelihood with a "
        "profile-likelihood interval (agora.analysis.bidding); r = 1 is risk neutral, r < 1 "
        "risk averse (bids above the RNNE).",
        "Humans: Garratt, Walker & Wooders' two-thirds is a share of subjects (compare the "
        "'bidders with mean bid > value' column), read in their 2009 working paper's "
        "introduction; the first-price statements are qualitative (no magnitudes were "
        "readable; Cox, Smith & Walker's estimates are not transcribed).",
    ]
    rev = summary.table(
        "Revenue per auction against risk-neutral theory (revenue equivalence)",
        ["n", f"{who}: first price [95% CI]", "agents: second price [95% CI]",
         "agents: first − second", "theory: both formats (n − 1)/(n + 1)·v̄",
         "humans (as read)"])
    ret = findings_for("first_price", "revenue")
    for n in cfg.bidders:
        first, second = results[("first_price", n)], results[("second_price", n)]
        rev.add(n, fmt_est(first.revenue), fmt_est(second.revenue),
                fmt(first.revenue.value - second.revenue.value), fmt(first.revenue_theory),
                "; ".join(f"{f.source}: \"{f.quote}\"" for f in ret))
    rev.notes.append("Revenue: the price paid per auction (the winner's bid, or the second "
                     "bid), mean over auctions with a percentile bootstrap interval.")
    summary.notes.append(agents.caveat(temperature=cfg.temperature))
    summary.write()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
