"""Theory and GLEE metrics of buyer-seller negotiation.

Trade at price p pays the seller ``p − F_a`` and the buyer ``F_b − p``; without trade each gets
its outside option. Trade is efficient iff the surplus ``F_b − F_a`` exceeds the outside options'
sum (with zero options: iff F_b > F_a). Without discounting, the SPE of alternating offers with a
last offer gives the last proposer the whole surplus: the opening offer is that price and it is
accepted at once. GLEE metrics (Shapira et al. 2024), prices in units of M = F_a: fairness
``1 − 4(p − p_f)²`` with ``p_f = (F_a + F_b)/2`` on trade, else 1; efficiency 1 iff trade
happens exactly when F_b > F_a. ``equilibrium_actions`` and ``offer_actions`` take the kernel's
decision view (an :class:`~agora.engine.views.OfferView` in each side's own surplus, plus the price
on the table), what the scripted players ask a :class:`~agora.engine.contract.OfferTheory`
for.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from agora.engine.alternating_offers import PROPOSE
from games.negotiation.config import NegotiationConfig

if TYPE_CHECKING:
    from games.negotiation.env import NegotiationView

SELLER, BUYER = 0, 1


def efficient_trade(config: NegotiationConfig) -> bool:
    """Whether trading beats both outside options together (the efficient-trade condition)."""
    return config.buyer_value - config.seller_value > config.outside_seller + config.outside_buyer


def fair_price(config: NegotiationConfig) -> float:
    """GLEE's fair price, the midpoint of the two values."""
    return (config.seller_value + config.buyer_value) / 2


def fairness(config: NegotiationConfig, price: np.ndarray) -> np.ndarray:
    """``1 − 4(p − p_f)²`` in units of F_a where trade happened (price finite), else 1."""
    p = np.asarray(price, dtype=np.float64)
    m = config.seller_value
    return np.where(np.isfinite(p), 1 - 4 * ((p - fair_price(config)) / m) ** 2, 1.0)


def efficiency(config: NegotiationConfig, traded: np.ndarray) -> np.ndarray:
    """GLEE efficiency: 1 iff trade happened exactly when F_b > F_a."""
    should = config.buyer_value > config.seller_value
    return (np.asarray(traded, dtype=bool) == should).astype(np.float64)


def spe_price(config: NegotiationConfig, seller_opens: bool) -> float:
    """SPE price: the last proposer leaves the other exactly its outside option."""
    last_is_seller = seller_opens == (config.horizon % 2 == 1)
    p = (config.buyer_value - config.outside_buyer if last_is_seller
         else config.seller_value + config.outside_seller)
    if config.step is not None:
        q = p / config.step
        p = config.step * (math.floor(q + 1e-9) if last_is_seller else math.ceil(q - 1e-9))
    return float(min(max(p, 0.0), config.price_max))


def equilibrium_actions(view: NegotiationView) -> np.ndarray:
    """SPE play: open at the SPE price, accept any price no worse than it, else counter it."""
    cfg: NegotiationConfig = view.config
    actions: list[dict[str, Any]] = []
    for first, j, code, p in zip(view.first, view.players, view.codes, view.price, strict=True):
        p_star = spe_price(cfg, bool(first == SELLER))
        if code == PROPOSE:
            actions.append({"price": p_star})
        else:
            p = float(p)
            ok = p >= p_star - 1e-9 if j == SELLER else p <= p_star + 1e-9
            actions.append({"decision": "accept" if ok else "counter", "price": p_star})
    return view.validated(actions)  # snaps the price to the grid value the spec accepts


def price_for(config: NegotiationConfig, seller: np.ndarray, demand: np.ndarray) -> np.ndarray:
    """Price giving the seller (or buyer) surplus at least ``demand`` (rounded its way)."""
    d = np.asarray(demand, dtype=np.float64)
    p = np.where(seller, config.seller_value + d, config.buyer_value - d)
    if config.step is not None:
        q = p / config.step
        p = np.round(config.step * np.where(seller, np.ceil(q - 1e-9), np.floor(q + 1e-9)), 10)
    return np.clip(p, 0.0, config.price_max)


def offer_actions(view: NegotiationView, demand: np.ndarray, accept: np.ndarray) -> np.ndarray:
    """Opening prices and accept / counter responses realising ``demand`` (own surplus).

    A response that neither accepts nor may counter (no offers left) walks away.
    """
    cfg: NegotiationConfig = view.config
    prices = price_for(cfg, view.players == SELLER, demand)
    actions: list[dict[str, Any]] = []
    for i, (code, turn) in enumerate(zip(view.codes, view.rounds, strict=True)):
        if code == PROPOSE:
            actions.append({"price": float(prices[i])})
        elif accept[i]:
            actions.append({"decision": "accept", "price": float(view.price[i])})
        else:
            actions.append({"decision": "counter" if turn < cfg.horizon else "walk_away",
                            "price": float(prices[i])})
    return view.validated(actions)
