"""Sealed-bid auctions, first or second price, with independent private values."""

from __future__ import annotations

from games.sealed_bid_auction.config import AuctionConfig, Format
from games.sealed_bid_auction.env import AuctionKernel, AuctionObservation, AuctionView
from games.sealed_bid_auction.policies import POLICIES

KERNELS = (AuctionKernel,)

__all__ = ["KERNELS", "POLICIES", "AuctionConfig", "AuctionKernel", "AuctionObservation",
           "AuctionView", "Format"]
