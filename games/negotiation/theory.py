"""Theory and GLEE metrics of buyer-seller negotiation.

Trade at price p pays the seller ``p − F_a`` and the buyer ``F_b − p``; without trade each gets
its outside option. Trade is efficient iff the surplus ``F_b − F_a`` exceeds the outside options'
sum (with zero options: iff F_b > F_a). Without discounting, the SPE of alternating offers with a
last offer gives the last proposer the whole surplus: the opening offer is that price and it is
accepted at once. GLEE metrics (Shapira et al. 2024), prices in units of M = F_a: fairness
``1 − 4(p − p_f)²`` with ``p_f = (F_a + F_b)/2`` on trade, else 1; efficiency 1 iff trade
happens exactly when F_b > F_a. ``offer_view`` / ``offer_actions`` express decisions in each
side's own surplus for the scripted negotiators of :mod:`agora.policies.negotiators`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from games.negotiation.config import NegotiationConfig

if TYPE_CHECKING:
    from agora.engine.batch import DecisionBatch
    from agora.policies.negotiators import OfferView

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


def equilibrium_actions(batch: DecisionBatch) -> np.ndarray:
    """SPE play: open at the SPE price, accept any price no worse than it, else counter it."""
    k: Any = batch.kernel
    cfg: NegotiationConfig = k.config
    out = np.empty(len(batch), dtype=object)
    for i, (m, j, code) in enumerate(zip(batch.instances, batch.players, batch.codes,
                                         strict=True)):
        p_star = spe_price(cfg, bool(k.opener[m] == SELLER))
        spec = batch.spec_of_code(int(code))
        if code == 0:
            a: dict[str, Any] = {"price": p_star}
        else:
            p = float(k.price[m])
            ok = p >= p_star - 1e-9 if j == SELLER else p <= p_star + 1e-9
            a = {"decision": "accept" if ok else "counter", "price": p_star}
        out[i] = spec.validate(a)  # snaps the price to the grid value the spec accepts
    return out


def _price(config: NegotiationConfig, seller: np.ndarray, demand: np.ndarray) -> np.ndarray:
    """Price giving the seller (or buyer) surplus at least ``demand`` (rounded its way)."""
    d = np.asarray(demand, dtype=np.float64)
    p = np.where(seller, config.seller_value + d, config.buyer_value - d)
    if config.step is not None:
        q = p / config.step
        p = np.round(config.step * np.where(seller, np.ceil(q - 1e-9), np.floor(q + 1e-9)), 10)
    return np.clip(p, 0.0, config.price_max)


def offer_view(batch: DecisionBatch) -> OfferView:
    """Every decision of a batch in the decider's own surplus (scripted negotiators).

    A response is itself a counter-offer, so the time of the next own proposal is the current
    turn; the horizon is the number of offers.
    """
    from agora.policies.negotiators import OfferView

    k: Any = batch.kernel
    cfg: NegotiationConfig = k.config
    inst, players = batch.instances, batch.players
    n = inst.size
    seller = players == SELLER
    turn = k.turn[inst]
    mover = k.opener[inst][:, None] ^ (np.arange(cfg.horizon + 1)[None, :] % 2)
    prices = k.prices[inst]
    offers = np.where(seller[:, None], prices - cfg.seller_value, cfg.buyer_value - prices)
    price = k.price[inst]
    pending = np.where(seller, price - cfg.seller_value, cfg.buyer_value - price)
    low = np.where(seller, cfg.outside_seller, cfg.outside_buyer)
    high = np.where(seller, cfg.price_max - cfg.seller_value, cfg.buyer_value)

    def realise(demand: np.ndarray) -> np.ndarray:
        p = _price(cfg, seller, demand)
        return np.where(seller, p - cfg.seller_value, cfg.buyer_value - p)

    return OfferView(proposing=turn == 0, pending=np.where(turn > 0, pending, np.nan), t=turn,
                     end=np.full(n, cfg.horizon), low=low, high=high, offers=offers,
                     mine=mover == players[:, None], realise=realise)


def offer_actions(batch: DecisionBatch, demand: np.ndarray, accept: np.ndarray) -> np.ndarray:
    """Opening prices and accept / counter responses realising ``demand`` (own surplus).

    A response that neither accepts nor may counter (no offers left) walks away.
    """
    k: Any = batch.kernel
    cfg: NegotiationConfig = k.config
    prices = _price(cfg, batch.players == SELLER, demand)
    out = np.empty(len(batch), dtype=object)
    for i, (m, code) in enumerate(zip(batch.instances, batch.codes, strict=True)):
        spec = batch.spec_of_code(int(code))
        if code == 0:
            a: dict[str, Any] = {"price": float(prices[i])}
        elif accept[i]:
            a = {"decision": "accept", "price": float(k.price[m])}
        else:
            a = {"decision": "counter" if k.turn[m] < cfg.horizon else "walk_away",
                 "price": float(prices[i])}
        out[i] = spec.validate(a)
    return out
