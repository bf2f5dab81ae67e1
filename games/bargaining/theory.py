"""Theory of alternating-offers bargaining: Rubinstein SPE, backward induction, Nash solution.

Rubinstein (1982): with a pie of 1, proposer discount δp and responder discount δr, the unique
subgame-perfect equilibrium of the infinite game gives the first proposer
``x* = (1 − δr) / (1 − δp·δr)`` and agreement in round 1. With a finite horizon T the last
proposer takes everything and backward induction gives, with k rounds left,
``s_k = 1 − δ_resp(k)·s_{k−1}``, ``s_1 = 1``; ``s_T`` tends to ``x*`` as T grows. The ultimatum
game is T = 1: the proposer offers the smallest amount (0) and the responder accepts. The Nash
bargaining solution maximises ``(u_a − d_a)(u_b − d_b)`` over ``u_a + u_b = M``: each gets its
disagreement payoff plus half the surplus. GLEE metrics (Shapira et al. 2024): with A's share p
agreed in round t (1-based), gains ``p·δA^(t−1)``, ``(1 − p)·δB^(t−1)``, efficiency their sum and
fairness ``1 − 4(p − 1/2)²``. ``equilibrium_actions`` and ``offer_actions`` take the kernel's
decision view (an :class:`~agora.engine.views.OfferView` in each player's own share of the pie),
what the scripted players ask a :class:`~agora.engine.contract.OfferTheory` for.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from agora.engine.alternating_offers import PROPOSE
from agora.engine.views import OfferView
from games.bargaining.config import BargainingConfig


def rubinstein_share(delta_proposer: float, delta_responder: float,
                     horizon: int | None = None) -> float:
    """First proposer's SPE share of a pie of 1 (``horizon`` None: the infinite game).

    Without discounting on either side (both deltas 1) the infinite game has a continuum of
    equilibria; the share returned is 1/2, the stationary split ``x = 1 − x`` and the limit of
    ``1/(1 + δ)`` as a common δ → 1 (it is also the Nash bargaining solution, to which the
    Rubinstein outcome converges as discounting vanishes; Binmore, Rubinstein & Wolinsky 1986).
    """
    for name, d in (("delta_proposer", delta_proposer), ("delta_responder", delta_responder)):
        if not (math.isfinite(d) and 0 <= d <= 1):
            raise ValueError(f"{name} must be in [0, 1], got {d}")
    if horizon is None:
        denom = 1.0 - delta_proposer * delta_responder
        if denom <= 0:  # both deltas are 1
            return 0.5
        return (1.0 - delta_responder) / denom
    if not isinstance(horizon, int) or horizon < 1:
        raise ValueError(f"horizon must be an integer >= 1 or None, got {horizon!r}")
    share = 1.0  # the last proposer takes the pie
    for k in range(2, horizon + 1):
        # with k rounds left the proposer is the first mover iff T - k is even
        first_proposes = (horizon - k) % 2 == 0
        share = 1.0 - (delta_proposer if not first_proposes else delta_responder) * share
    return share


def ultimatum_share() -> float:
    """Proposer's SPE share of the ultimatum game (the responder accepts any offer)."""
    return rubinstein_share(1.0, 1.0, horizon=1)


def nash_bargaining_payoffs(pie: float, d_a: float = 0.0, d_b: float = 0.0,
                            weight: float = 0.5) -> tuple[float, float]:
    """Payoffs ``(u_a, u_b)`` of the (generalised, weight ``w``) Nash bargaining solution
    ``argmax (u_a − d_a)^w (u_b − d_b)^(1−w)`` s.t. ``u_a + u_b = pie``: each gets its
    disagreement payoff plus its weight's part of the surplus."""
    if not 0 <= weight <= 1:
        raise ValueError(f"weight must lie in [0, 1], got {weight}")
    surplus = pie - d_a - d_b
    if surplus < 0:
        raise ValueError(f"no agreement beats the disagreement point ({d_a}, {d_b}) "
                         f"with a pie of {pie}")
    return d_a + surplus * weight, d_b + surplus * (1 - weight)


def spe_share_a(config: BargainingConfig, a_first: bool) -> float:
    """A's SPE share of the pie for the config's horizon when A (or B) proposes first."""
    if a_first:
        return rubinstein_share(config.delta_a, config.delta_b, config.horizon)
    return 1.0 - rubinstein_share(config.delta_b, config.delta_a, config.horizon)


def _ceil_grid(x: float, step: float | None) -> float:
    if step is None:
        return x
    return float(np.round(math.ceil(x / step - 1e-9) * step, 10))


def spe_tables(config: BargainingConfig, a_first: bool) -> tuple[np.ndarray, np.ndarray]:
    """SPE offers and acceptance thresholds per round (0-based), in money.

    ``thresholds[t]`` is the responder's discounted value of proposing next round in the
    continuous game (0 in the last round); the responder accepts iff an offer reaches it (ties
    accepted). ``offers[t]`` is the threshold rounded up to the offer grid, so on a grid the
    split is within one step of the continuous SPE (rounding is not propagated backwards, where
    it would compound over long horizons).
    """
    m, t_max = config.pie, config.rounds
    thresholds = np.zeros(t_max)
    if config.horizon is None:  # stationary strategies of the infinite game
        for t in range(t_max):
            a_proposes = (t % 2 == 0) == a_first
            d_p, d_r = ((config.delta_a, config.delta_b) if a_proposes
                        else (config.delta_b, config.delta_a))
            thresholds[t] = m * (1.0 - rubinstein_share(d_p, d_r))
        return np.array([min(_ceil_grid(x, config.step), m) for x in thresholds]), thresholds
    keep_next = 0.0  # what the next round's proposer keeps (nothing after the last round)
    for t in range(t_max - 1, -1, -1):
        a_proposes = (t % 2 == 0) == a_first
        delta_resp = config.delta_b if a_proposes else config.delta_a
        thresholds[t] = delta_resp * keep_next
        keep_next = m - thresholds[t]
    offers = np.array([min(_ceil_grid(x, config.step), m) for x in thresholds])
    return offers, thresholds


def equilibrium_actions(view: OfferView) -> np.ndarray:
    """SPE play of every decision of a view (proposals and responses)."""
    cfg: BargainingConfig = view.config
    tables = {True: spe_tables(cfg, True), False: spe_tables(cfg, False)}
    actions: list[dict[str, Any]] = []
    for t, first, code, pending in zip(view.rounds, view.first, view.codes, view.pending,
                                       strict=True):
        offers, thresholds = tables[bool(first == 0)]
        if code == PROPOSE:
            actions.append({"offer": float(offers[t])})
        else:  # the pending offer is the amount offered to the responder
            accept = pending >= thresholds[t] - 1e-9
            actions.append({"decision": "accept" if accept else "reject"})
    return view.validated(actions)  # snaps the offer to the grid value the spec accepts


def gains(config: BargainingConfig, share_a: np.ndarray,
          agreement_round: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Discounted gains of A and B as shares of the pie (0 where ``share_a`` is NaN: no deal).

    ``agreement_round`` is 0-based (GLEE's t − 1).
    """
    p = np.asarray(share_a, dtype=np.float64)
    t = np.asarray(agreement_round, dtype=np.float64)
    deal = np.isfinite(p)
    ga = np.where(deal, np.nan_to_num(p) * config.delta_a ** np.nan_to_num(t), 0.0)
    gb = np.where(deal, (1 - np.nan_to_num(p)) * config.delta_b ** np.nan_to_num(t), 0.0)
    return ga, gb


def fairness(share_a: np.ndarray) -> np.ndarray:
    """GLEE fairness ``1 − 4(p − 1/2)²`` of A's share (NaN without a deal)."""
    p = np.asarray(share_a, dtype=np.float64)
    return 1.0 - 4.0 * (p - 0.5) ** 2


def proposal(config: BargainingConfig, demand: np.ndarray) -> np.ndarray:
    """Offer to the responder leaving the proposer at least ``demand`` (on the grid)."""
    offer = config.pie - np.asarray(demand, dtype=np.float64)
    if config.step is not None:
        offer = np.round(np.floor(offer / config.step + 1e-9) * config.step, 10)
    return np.clip(offer, 0.0, config.pie)


def offer_actions(view: OfferView, demand: np.ndarray, accept: np.ndarray) -> np.ndarray:
    """Proposals realising ``demand`` (own share) and accept / reject responses."""
    offers = proposal(view.config, demand)
    return view.validated(
        {"offer": float(offers[i])} if code == PROPOSE else
        {"decision": "accept" if accept[i] else "reject"} for i, code in enumerate(view.codes))
