"""Scripted bidders of the sealed-bid auction, shipped with it as policy kinds ``auction_*``:
they read the decision view (own value, last round's outcome), never the kernel. Every bid is
snapped to the bid grid and capped at the largest legal bid."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from agora.engine.batch import DecisionBatch, Decisions
from agora.engine.policy import Policy
from agora.engine.streams import Streams
from games.sealed_bid_auction import theory


def _snap(view: Any, bids: np.ndarray) -> np.ndarray:
    spec = view.specs[0]
    step = 1.0 if spec.integer else float(spec.step)
    snapped = np.round(np.asarray(bids, dtype=np.float64) / step) * step
    return np.clip(np.round(snapped, 10), spec.low, spec.high)


def _fraction(kind: str, name: str, value: Any, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) \
            or not (math.isfinite(value) and 0 <= value <= high):
        raise ValueError(f"{kind}: {name} must be a number in [0, {high:g}], got {value!r}")
    return float(value)


class _Bidder(Policy):
    kind = ""

    def bids(self, view: Any, rng: Streams) -> np.ndarray:
        raise NotImplementedError

    def act(self, batch: DecisionBatch, rng: Streams) -> Decisions:
        view = batch.view()
        return Decisions(actions=_snap(view, self.bids(view, rng)))

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind}


class Truthful(_Bidder):
    """Bids its value (weakly dominant in the second-price auction)."""

    kind = name = "auction_truthful"

    def bids(self, view: Any, rng: Streams) -> np.ndarray:
        return view.values


class RiskNeutral(_Bidder):
    """Bids the risk-neutral Nash equilibrium bid of its value (first price:
    (n − 1)/n · v without a reserve; second price: its value)."""

    kind = name = "auction_rnne"

    def bids(self, view: Any, rng: Streams) -> np.ndarray:
        return theory.rnne_bid(view.config, view.values)


class CRRA(_Bidder):
    """Bids the symmetric equilibrium bid of a CRRA bidder ``u(x) = x^r`` (first price:
    (n − 1)/(n − 1 + r) · v without a reserve; second price: its value). The default
    r = 0.5 is an illustrative risk-averse bidder, not an estimate of anyone's r."""

    kind = "auction_crra"

    def __init__(self, r: float = 0.5) -> None:
        self.r = theory.check_r(r)
        self.name = f"auction_crra(r={self.r:g})"

    def bids(self, view: Any, rng: Streams) -> np.ndarray:
        return theory.equilibrium_bid(view.config, view.values, self.r)

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "r": self.r}


class Shade(_Bidder):
    """Bids ``(1 − fraction)`` of its value (shading)."""

    kind = "auction_shade"

    def __init__(self, fraction: float = 0.2) -> None:
        self.fraction = _fraction(self.kind, "fraction", fraction, 1.0)
        self.name = f"auction_shade({self.fraction:g})"

    def bids(self, view: Any, rng: Streams) -> np.ndarray:
        return (1 - self.fraction) * view.values

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "fraction": self.fraction}


class Overbid(_Bidder):
    """Bids ``(1 + fraction)`` of its value (overbidding)."""

    kind = "auction_overbid"

    def __init__(self, fraction: float = 0.1) -> None:
        self.fraction = _fraction(self.kind, "fraction", fraction, 10.0)
        self.name = f"auction_overbid({self.fraction:g})"

    def bids(self, view: Any, rng: Streams) -> np.ndarray:
        return (1 + self.fraction) * view.values

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "fraction": self.fraction}


class RandomBid(_Bidder):
    """Bids uniformly at random on ``[0, upper · value]`` (``upper = 1``: never above value)."""

    kind = "auction_random"

    def __init__(self, upper: float = 1.0) -> None:
        self.upper = _fraction(self.kind, "upper", upper, 10.0)
        self.name = f"auction_random({self.upper:g})"

    def bids(self, view: Any, rng: Streams) -> np.ndarray:
        return Streams.coerce(rng, len(view)).random() * self.upper * view.values

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "upper": self.upper}


POLICIES = {p.kind: p for p in (Truthful, RiskNeutral, CRRA, Shade, Overbid, RandomBid)}
"""Scripted bidders: policy kinds of run specs and ``agora run``."""
