"""Analysis hooks of the sealed-bid auction (see :class:`agora.engine.contract.GameHooks`).

The benchmark is the risk-neutral equilibrium: its expected bid, the RNNE bid function, the CRRA
bid function and the expected revenue (:mod:`games.sealed_bid_auction.theory`). The report asks
the catalogue for the bid function (bid-on-value regression, overbidding relative to the RNNE
and to value, a CRRA r fitted by maximum likelihood in first-price runs) and for revenue against
theory; they stand in for the one-shot NashConv and regret.

``payoffs`` keeps its default (none): a bidder's payoff depends on its private value, which a
profile of bids does not hold, so counterfactual payoffs of bid profiles alone are not defined.
The kernel and the analysis share :func:`games.sealed_bid_auction.theory.payoffs` (bids,
values and the tie-break draws) instead.
"""

from __future__ import annotations

from typing import Any

from agora.engine.contract import AnalysisSpec, Benchmark, GameHooks
from games.sealed_bid_auction import theory
from games.sealed_bid_auction.config import AuctionConfig


def auction_params(config: AuctionConfig) -> dict[str, Any]:
    """The parameters the catalogue's bidding analyses read off the config (a bid counts as
    above the RNNE bid or the value when it exceeds it by more than half a bid step, so the
    RNNE bid rounded to the grid is not an overbid)."""
    return {"format": config.format.value, "bidders": config.bidders,
            "max_value": config.max_value, "reserve": config.reserve,
            "value": "value", "bid": "action", "rnne": "rnne_bid", "price": "price",
            "sold": "sold", "tol": config.bid_step / 2}


class AuctionHooks(GameHooks):
    """Benchmark and report analyses of the sealed-bid auction."""

    def benchmark(self, game: str, config: AuctionConfig, *, tau: float = 1.5,
                  k_max: int = 6) -> Benchmark:
        """The expected RNNE bid, with the bid functions and revenue in the notes."""
        n = config.bidders
        slope = theory.rnne_slope(config)
        rho = f" + ρ^n/(n·v^(n−1)) above the reserve {config.reserve:g}" \
            if config.reserve > 0 and config.first_price else ""
        if config.first_price:
            bid = (f"RNNE bid ({n}−1)/{n}·v = {slope:.4g}·v{rho}; CRRA u=x^r: "
                   f"({n}−1)/({n}−1+r)·v (risk aversion r<1 bids more)")
        else:
            bid = "bidding one's value is weakly dominant (any risk attitude)"
        return Benchmark(
            game=game, equilibrium_action=theory.equilibrium_action(config),
            notes=(f"{config.format.value.replace('_', '-')}, {n} bidders, values U[0, "
                   f"{config.max_value:g}]: {bid}; expected revenue "
                   f"{theory.expected_revenue(config):.4g} in both formats (revenue "
                   f"equivalence); the equilibrium action above is the expected equilibrium "
                   f"bid E[b(v)]"))

    def analyses(self, config: AuctionConfig) -> tuple[AnalysisSpec, ...]:
        """The bid function (regression, overbidding, CRRA r) and revenue against theory."""
        params = auction_params(config)
        return (AnalysisSpec("bid_function", params), AnalysisSpec("auction_revenue", params))


HOOKS = AuctionHooks(theory)
