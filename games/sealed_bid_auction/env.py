"""The sealed-bid auction kernel, vectorised over auctions.

Header: one instance is a group of ``bidders`` bidders (one role) who bid once a round, all at
once, for one object; ``rounds`` rounds with the same group. Each round every bidder's private
value is drawn uniformly on ``[0, max_value]`` (on the ``value_step`` grid) from the instance's
keyed stream, never from global randomness; ties for the highest bid are broken at random from
the same stream. Action: a bid on the ``bid_step`` grid in ``[0, bid_cap]`` (bids above one's
value are legal). Feedback after each round, as in the uproot/oTree first-price auction sample
(mrpg/uproot-examples ``first_price_auction``: "Your value", "Your bid", "Highest bid in your
group", whether you won and paid, "Your payoff"): own value, own bid, the winning bid and the
price paid, whether one won, own payoff. Payoff: the winner earns value − price, the others 0;
per round in ``[−bid_cap, max_value]``. Defaults: first price, 2 bidders, values 0..100 in whole
units, no reserve, bids 0..200, 10 rounds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np

from agora.engine.action_spec import ActionSpec
from agora.engine.kernel import GameKernel, StepOutcome
from agora.engine.streams import Streams
from agora.engine.views import DecisionView
from games.sealed_bid_auction import prompts, theory
from games.sealed_bid_auction.config import AuctionConfig
from games.sealed_bid_auction.hooks import HOOKS


@dataclass(frozen=True, kw_only=True)
class PastRound:
    """One finished auction as a bidder remembers it."""

    round: int
    value: float
    bid: float
    won: bool
    sold: bool
    winning_bid: float
    """The highest bid (NaN when no bid reached the reserve)."""
    price: float
    """What the winner paid (NaN without a sale)."""
    payoff: float


@dataclass(frozen=True, kw_only=True)
class AuctionObservation:
    """One bidder's view before bidding (what the prompts render)."""

    round: int
    value: float
    history: tuple[PastRound, ...]


@dataclass(frozen=True, kw_only=True)
class AuctionView(DecisionView):
    """What a batch of deciding bidders know, as columns (what scripted players read)."""

    values: np.ndarray
    """Each decider's private value this round."""
    last_won: np.ndarray
    """Whether the decider won last round (NaN in the first round)."""
    last_price: np.ndarray
    """Last round's price (NaN in the first round or without a sale)."""


class AuctionKernel(GameKernel):
    """M independent sealed-bid auctions (groups of bidders) stepped together."""

    name: ClassVar[str] = "sealed_bid_auction"
    roles: ClassVar[tuple[str, ...]] = ("bidder",)
    config_cls: ClassVar[type[AuctionConfig]] = AuctionConfig
    conformance_configs: ClassVar[tuple[dict[str, Any], ...]] = (
        {},  # first price, 2 bidders, values 0..100, 10 rounds (the oTree/uproot sample)
        {"format": "second_price", "bidders": 4, "rounds": 3},
        {"format": "first_price", "bidders": 3, "reserve": 25.0, "rounds": 2,
         "value_step": 0.0, "bid_step": 0.5, "bid_cap": 150.0},
        {"format": "second_price", "bidders": 2, "max_value": 10.0, "reserve": 5.0,
         "rounds": 4, "bid_step": 0.25},
    )
    """Representative configs checked by :mod:`agora.testing`."""
    prompts = prompts.PROMPTS
    theory = theory
    hooks = HOOKS
    config: AuctionConfig

    def __init__(self, config: AuctionConfig, n_instances: int,
                 rng: Streams | np.random.Generator) -> None:
        super().__init__(config, n_instances, rng)
        whole = config.bid_step == 1.0
        self._spec = ActionSpec(name="bid", description="your bid", low=0.0, high=config.cap,
                                integer=whole, step=None if whole else config.bid_step,
                                unit=config.unit)
        self.reset()

    @property
    def n_players(self) -> int:
        return self.config.bidders

    def max_steps(self) -> int:
        return self.config.rounds

    def action_spec(self, player: int) -> ActionSpec:
        return self._spec

    def spec_codes(self, instances: np.ndarray, players: np.ndarray) -> np.ndarray:
        return np.zeros(np.shape(players), dtype=np.int64)  # one spec for every bidder

    def spec_for_code(self, code: int) -> ActionSpec:
        return self._spec

    def payoff_bounds(self) -> tuple[float, float]:
        return -self.config.cap, self.config.max_value

    # ------------------------------------------------------------------ dynamics
    def reset(self) -> None:
        m, r, n = self.n_instances, self.config.rounds, self.config.bidders
        self.done = np.zeros(m, dtype=bool)
        self.round = np.zeros(m, dtype=np.int64)
        self.values = np.full((m, r, n), np.nan)
        self.bids = np.full((m, r, n), np.nan)
        self.winner = np.full((m, r), -1, dtype=np.int64)
        self.price = np.full((m, r), np.nan)
        self.payoffs = np.zeros((m, r, n))
        self._draw_values(np.arange(m))

    def _draw_values(self, instances: np.ndarray) -> None:
        """Fresh private values of the current round of ``instances`` (their keyed streams)."""
        if instances.size == 0:
            return
        c = self.config
        u = self.rng.subset(instances).random(size=(instances.size, c.bidders))
        if c.value_step > 0:
            points = math.floor(c.max_value / c.value_step + 1e-9) + 1
            v = np.round(np.floor(u * points) * c.value_step, 10)
        else:
            v = u * c.max_value
        self.values[instances, self.round[instances]] = np.minimum(v, c.max_value)

    def pending(self) -> tuple[np.ndarray, np.ndarray]:
        live = np.flatnonzero(~self.done)
        n = self.config.bidders
        return np.repeat(live, n), np.tile(np.arange(n), live.size)

    def step(self, instances: np.ndarray, players: np.ndarray,
             actions: np.ndarray) -> StepOutcome:
        c = self.config
        self.bids[instances, self.round[instances], players] = actions
        live = np.unique(instances)
        r = self.round[live]
        bids = self.bids[live, r]
        if np.isnan(bids).any():
            raise ValueError("sealed_bid_auction: every bidder of a live auction must bid")
        values = self.values[live, r]
        tiebreak = self.rng.subset(live).random(size=(live.size, c.bidders))
        pay, winner, price = theory.payoffs(c, bids, values, tiebreak)
        self.winner[live, r], self.price[live, r], self.payoffs[live, r] = winner, price, pay
        all_rewards = np.zeros((self.n_instances, c.bidders))
        all_rewards[live] = pay
        pos = np.searchsorted(live, instances)
        sold = winner >= 0
        top = np.where(sold, bids.max(axis=1), np.nan)
        own_value = values[pos, players]
        columns = {
            "value": own_value,
            "won": (winner[pos] == players).astype(np.float64),
            "sold": sold[pos].astype(np.float64),
            "price": price[pos],
            "winning_bid": top[pos],
            "rnne_bid": theory.rnne_bid(c, own_value),
            "bidders": np.full(pos.size, c.bidders, dtype=np.int64),
        }
        self.round[live] += 1
        self.done[live] = self.round[live] >= c.rounds
        self._draw_values(live[~self.done[live]])
        return StepOutcome(rewards=pay[pos, players], all_rewards=all_rewards, columns=columns)

    # ------------------------------------------------------------------ observations
    def observation_space(self) -> gym.Space[Any]:
        # [round, value now, and last round's value, bid, price, won, payoff] (zeros before)
        c = self.config
        return gym.spaces.Box(low=-c.cap, high=max(float(c.rounds), c.cap, c.max_value),
                              shape=(7,), dtype=np.float64)

    def observation_array(self, instance: int, player: int) -> np.ndarray:
        r = int(self.round[instance])
        now = 0.0 if r >= self.config.rounds else float(self.values[instance, r, player])
        if r == 0:
            return np.array([0.0, now, 0.0, 0.0, 0.0, 0.0, 0.0])
        p = self._past(instance, player, r - 1)
        return np.array([r, now, p.value, p.bid, 0.0 if math.isnan(p.price) else p.price,
                         float(p.won), p.payoff])

    def _past(self, instance: int, player: int, t: int) -> PastRound:
        w = int(self.winner[instance, t])
        bids = self.bids[instance, t]
        return PastRound(round=t, value=float(self.values[instance, t, player]),
                         bid=float(bids[player]), won=w == player, sold=w >= 0,
                         winning_bid=float(bids.max()) if w >= 0 else math.nan,
                         price=float(self.price[instance, t]),
                         payoff=float(self.payoffs[instance, t, player]))

    def observe(self, instance: int, player: int) -> AuctionObservation:
        r = int(self.round[instance])
        value = math.nan if r >= self.config.rounds else float(self.values[instance, r, player])
        return AuctionObservation(
            round=r, value=value,
            history=tuple(self._past(instance, player, t) for t in range(r)))

    def decision_view(self, instances: np.ndarray, players: np.ndarray) -> AuctionView:
        inst, p = np.asarray(instances), np.asarray(players)
        r = self.round[inst]
        now = np.minimum(r, self.config.rounds - 1)
        last_won = np.full(r.shape, np.nan)
        last_price = np.full(r.shape, np.nan)
        seen = r > 0
        i, t = inst[seen], r[seen] - 1
        last_won[seen] = (self.winner[i, t] == p[seen]).astype(np.float64)
        last_price[seen] = self.price[i, t]
        return AuctionView(config=self.config, players=p, rounds=r,
                           codes=self.spec_codes(inst, p), specs=(self._spec,),
                           values=self.values[inst, now, p], last_won=last_won,
                           last_price=last_price)
