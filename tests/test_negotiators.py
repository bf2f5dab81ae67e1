"""Scripted negotiators: hand-computed concession paths, timing, SPE play and invariants."""

from __future__ import annotations

import itertools
import math

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agora.engine.batch import DecisionBatch, Decisions
from agora.engine.runner import Runner
from agora.engine.streams import Streams
from agora.policies import (
    AlwaysAcceptPolicy,
    AlwaysRejectPolicy,
    BoulwarePolicy,
    ConcederPolicy,
    EquilibriumPolicy,
    RandomPolicy,
    TimeDependentPolicy,
    TitForTatPolicy,
    make_policy,
)
from agora.policies.base import Policy
from agora.policies.registry import POLICY_KINDS
from games.bargaining import theory as bargaining_theory
from games.negotiation import theory as negotiation_theory


class Seats(Policy):
    """One policy per player slot (slot 0 is A / the seller)."""

    def __init__(self, *policies: Policy) -> None:
        self.policies = policies
        self.name = "+".join(p.name for p in policies)

    def act(self, batch: DecisionBatch, rng: Streams) -> Decisions:
        actions = np.empty(len(batch), dtype=object)
        for j, policy in enumerate(self.policies):
            idx = np.flatnonzero(batch.players == j)
            if idx.size:
                actions[idx] = policy.act(batch.subset(idx), rng.subset(idx)).actions
        return Decisions(actions=actions)


def play(game: str, config: dict, a: Policy, b: Policy, n: int = 1,
         seed: int = 0) -> pl.DataFrame:
    return Runner(game, config, policy=Seats(a, b), n_instances=n, seed=seed,
                  progress=False).run().records


def seat(j: int) -> pl.Expr:
    return pl.col("agent") == f"player_{j}"


def finals(records: pl.DataFrame) -> pl.DataFrame:
    return records.filter(pl.col("agreed").is_not_null()).sort("instance")


def proposals(records: pl.DataFrame, player: int, column: str = "offer") -> list[float]:
    rows = records.filter(seat(player) & (pl.col("role") == "proposer"))
    return rows.sort("step")[column].to_list()


BARGAIN = {"pie": 100.0, "horizon": 10, "step": 1.0}


# ---------------------------------------------------------------- registry and errors
def test_kinds_are_registered_and_validated() -> None:
    kinds = {"boulware": BoulwarePolicy, "conceder": ConcederPolicy,
             "time_dependent": TimeDependentPolicy, "tit_for_tat": TitForTatPolicy,
             "always_accept": AlwaysAcceptPolicy, "always_reject": AlwaysRejectPolicy}
    for kind, cls in kinds.items():
        assert POLICY_KINDS[kind] is cls
        policy = make_policy(kind)
        assert isinstance(policy, cls) and policy.describe()["kind"] == kind
    assert make_policy("time_dependent", beta=3.0, deadline=5).describe() == {
        "kind": "time_dependent", "beta": 3.0, "deadline": 5}
    for kind, params, match in [("boulware", {"beta": 1.5}, "beta must be < 1"),
                                ("conceder", {"beta": 0.5}, "beta must be > 1"),
                                ("time_dependent", {"beta": 0.0}, "beta"),
                                ("time_dependent", {"beta": math.inf}, "beta"),
                                ("time_dependent", {"deadline": 0}, "deadline"),
                                ("always_accept", {"demand": 1.5}, "demand"),
                                ("tit_for_tat", {"beta": 1.0}, "bad parameters")]:
        with pytest.raises(ValueError, match=match):
            make_policy(kind, **params)


@pytest.mark.parametrize("game", ["dictator", "p_beauty"])
def test_games_without_offers_give_a_clear_error(game: str) -> None:
    with pytest.raises(TypeError, match="no offers to concede on"):
        Runner(game, {}, policy=ConcederPolicy(), n_instances=2, progress=False).run()


# ---------------------------------------------------------------- hand-computed paths
@pytest.mark.parametrize(("beta", "offers"), [
    (1.0, [0.0, 20.0, 40.0, 60.0, 80.0]),   # demand 100·(1 − t/10)
    (0.5, [0.0, 4.0, 16.0, 36.0, 64.0]),    # demand 100·(1 − (t/10)²)
    (2.0, [0.0, 44.0, 63.0, 77.0, 89.0]),   # offer ⌊100·√(t/10)⌋ (the proposer rounds its way)
])
def test_time_dependent_bargaining_path(beta: float, offers: list[float]) -> None:
    rec = play("bargaining", BARGAIN, TimeDependentPolicy(beta), AlwaysRejectPolicy())
    assert proposals(rec, 0) == offers
    assert proposals(rec, 1) == [0.0] * 5  # always-reject demands the whole pie
    a_responses = rec.filter(seat(0) & (pl.col("role") == "responder"))
    # rejects 0 while it can still propose; in the last round nothing is worse than no deal
    assert a_responses["action"].to_list() == [1.0] * 4 + [0.0]
    final = finals(rec)
    assert final["agreement_round"].to_list() == [10.0] and final["share_a"].to_list() == [0.0]


def test_time_dependent_negotiation_path() -> None:
    rec = play("negotiation", {"horizon": 10}, TimeDependentPolicy(1.0), AlwaysRejectPolicy())
    seller = rec.filter(seat(0)).sort("step")
    # price F_a + (1 − t/10)·(price_max − F_a) at turns 0, 2, ..., 8; walks away at turn 10
    assert seller["action"].to_list()[:5] == [200.0, 180.0, 160.0, 140.0, 120.0]
    assert "walk_away" in seller["action_json"][5]
    buyer = rec.filter(seat(1))["action_json"].to_list()
    assert all('"counter"' in a and '"price": 0' in a for a in buyer)
    assert finals(rec)["agreed"].to_list() == [0.0]


def test_time_dependent_buyer_and_seller_converge() -> None:
    # linear tactics, T = 8 offers, prices capped at 120: the seller (value 100) asks
    # 100 + 20·(1 − t/8) rounded up, the buyer (value 120) bids 120·t/8 rounded down
    rec = play("negotiation", {"horizon": 8, "opener": "buyer", "price_max": 120.0},
               TimeDependentPolicy(1.0), TimeDependentPolicy(1.0))
    prices = rec.sort("step")["price"].to_list()
    assert prices == [0.0, 118.0, 30.0, 113.0, 60.0, 108.0, 90.0, 103.0, 103.0]
    # at turn 8 the buyer can offer no more, so any price below its value beats no trade
    final = finals(rec)
    assert final["agreed"].to_list() == [1.0] and final["agreement_round"].to_list() == [8.0]
    assert final["seller_gain"].to_list() == [3.0] and final["buyer_gain"].to_list() == [17.0]


def test_time_dependent_item_division_path() -> None:
    # A values (books, hats, balls) = (1, 3, 1), counts (1, 2, 3): pool worth 10 to A.
    rec = play("item_division", {"horizon": 4}, TimeDependentPolicy(1.0), AlwaysRejectPolicy())
    steps = rec.sort("step")
    # round 1: A keeps everything (demand 10); B rejects
    assert steps["action_json"][0] == '{"keep": [1, 2, 3]}'
    # round 2: B (values 4, 0, 2) keeps what it values, giving both hats (worth 6 to A);
    # A's next demand is 10·(1 − 2/4) = 5 <= 6, so A accepts
    assert steps["action_json"][2] == '{"keep": [1, 0, 3]}'
    final = finals(rec)
    assert final["agreement_round"].to_list() == [2.0]
    assert final["gain_a"].to_list() == [6.0] and final["gain_b"].to_list() == [10.0]


def test_item_division_proposal_is_least_demanding_bundle() -> None:
    # B (values 4, 2, 2) keeps everything, so A (values 1, 3, 1) sees 0 and proposes again
    rec = play("item_division", {"horizon": 4, "values_b": (4.0, 2.0, 2.0)},
               TimeDependentPolicy(1.0), AlwaysRejectPolicy())
    props = rec.filter(seat(0) & (pl.col("role") == "proposer")).sort("step")
    # demands 10 then 5: at 5 A keeps the cheapest bundle worth 5 that gives most items away
    assert props["action_json"].to_list() == ['{"keep": [1, 2, 3]}', '{"keep": [0, 1, 2]}']
    assert props["value_a"].to_list() == [10.0, 5.0]


def test_tit_for_tat_path() -> None:
    # A mirrors B's concessions; B concedes linearly (demands 90, 70, 50 at t = 1, 3, 5)
    rec = play("bargaining", BARGAIN, TitForTatPolicy(), TimeDependentPolicy(1.0))
    # A opens at 0 and repeats it after B's first offer (10: nothing to mirror yet); B then
    # gives 30 (+20) and 50 (+20), so A's demand drops 100 -> 80 -> 60: offers 0, 0, 20, 40
    assert proposals(rec, 0) == [0.0, 0.0, 20.0, 40.0]
    assert proposals(rec, 1) == [10.0, 30.0, 50.0]
    final = finals(rec)  # B keeps 60 >= its next demand 30, so B accepts in round 7
    assert final["agreement_round"].to_list() == [7.0] and final["share_a"].to_list() == [0.6]


def test_tit_for_tat_hardens_when_the_opponent_retracts() -> None:
    class Retract(Policy):
        """Offers 30, then 10 (a retraction), then 10."""

        def act(self, batch: DecisionBatch, rng: Streams) -> Decisions:
            k = batch.kernel
            out = np.empty(len(batch), dtype=object)
            for i, m in enumerate(batch.instances):
                out[i] = ({"offer": 30.0 if k.round[m] == 1 else 10.0} if batch.codes[i] == 0
                          else {"decision": "reject"})
            return Decisions(actions=out)

    rec = play("bargaining", {**BARGAIN, "horizon": 6}, TitForTatPolicy(), Retract())
    # demands 100, 100 (one offer seen), then 100 + 20 clipped to the pie
    assert proposals(rec, 0) == [0.0, 0.0, 0.0]


def test_ultimatum_time_dependent_play() -> None:
    # one round: the proposer demands everything at t = 0; the responder cannot counter, so it
    # accepts anything (the SPE outcome)
    rec = play("ultimatum", {}, ConcederPolicy(), BoulwarePolicy())
    assert proposals(rec, 0) == [0.0]
    assert finals(rec)["agreed"].to_list() == [1.0]
    no = play("ultimatum", {}, ConcederPolicy(), AlwaysRejectPolicy())
    assert finals(no)["agreed"].to_list() == [0.0]


# ---------------------------------------------------------------- Boulware vs Conceder
def test_boulware_holds_out_and_conceder_agrees_early() -> None:
    boulware, conceder = BoulwarePolicy(0.2), ConcederPolicy(2.0)
    runs = {name: finals(play("bargaining", BARGAIN, a, b)) for name, a, b in [
        ("CC", conceder, conceder), ("BC", boulware, conceder), ("BB", boulware, boulware)]}
    # Hand-computed (demands rounded the proposer's way to $1):
    # CC: A asks 100, 56; B asks 69, 46 and offers A 31, 54; A's next ask (37) <= 54.
    # BC: B concedes 69, 46, 30, 17 (offers 31, 54, 70, 83); A's ask at t=8 is 68 <= 83.
    # BB: both ask ~100 until t=8 (A 68, offering 32); B's ask at t=9 is 41 > 32, so B
    #     rejects and offers 59 in the last round, which A accepts.
    assert runs["CC"]["agreement_round"].to_list() == [4.0]
    assert runs["CC"]["share_a"].to_list() == [0.54]
    assert runs["BC"]["agreement_round"].to_list() == [8.0]
    assert runs["BC"]["share_a"].to_list() == [0.83]
    assert runs["BB"]["agreement_round"].to_list() == [10.0]
    assert runs["BB"]["share_a"].to_list() == [0.59]


@pytest.mark.parametrize("game", ["bargaining", "negotiation", "item_division"])
def test_conceders_agree_no_later_than_boulwares(game: str) -> None:
    config = {"horizon": 8}
    rounds = {}
    for name, policy in (("boulware", BoulwarePolicy()), ("conceder", ConcederPolicy())):
        final = finals(play(game, config, policy, policy))
        rounds[name] = final["agreement_round"][0] if final["agreed"][0] else math.inf
    assert rounds["conceder"] < rounds["boulware"]


# ---------------------------------------------------------------- against the SPE player
@pytest.mark.parametrize("config", [
    {}, {"horizon": None, "delta_a": 0.9, "delta_b": 0.6},
    {"horizon": 3, "step": None, "pie": 1.0, "delta_a": 0.8, "delta_b": 0.7},
])
def test_always_accept_against_spe_proposer(config: dict) -> None:
    rec = play("bargaining", config, EquilibriumPolicy(), AlwaysAcceptPolicy(), n=3)
    final = finals(rec)
    assert final["agreed"].to_list() == [1.0] * 3
    assert final["agreement_round"].to_list() == [1.0] * 3
    cfg = bargaining_theory.BargainingConfig(**config)
    tol = (cfg.step or 0.0) / cfg.pie + 1e-9
    assert final["spe_deviation"].abs().max() <= tol
    # proposing first, always-accept asks for everything; the SPE responder rejects
    # (unless nothing follows) and its SPE counter-offer is accepted
    rec = play("bargaining", config, AlwaysAcceptPolicy(), EquilibriumPolicy())
    assert finals(rec)["agreement_round"].to_list() == [2.0]


def test_always_accept_against_spe_in_negotiation_and_item_division() -> None:
    neg = finals(play("negotiation", {"horizon": 3}, EquilibriumPolicy(), AlwaysAcceptPolicy()))
    spe = negotiation_theory.spe_price(negotiation_theory.NegotiationConfig(horizon=3), True)
    assert spe == 120.0  # the seller makes the last offer: the buyer's value
    assert neg["agreed"].to_list() == [1.0] and neg["agreement_round"].to_list() == [1.0]
    assert neg["price"].to_list() == [spe]
    items = finals(play("item_division", {}, EquilibriumPolicy(), AlwaysAcceptPolicy()))
    assert items["agreement_round"].to_list() == [1.0]
    assert items["pareto_optimal"].to_list() == [1.0]


def test_always_reject_never_accepts() -> None:
    for game in ("bargaining", "negotiation", "item_division"):
        rec = play(game, {"horizon": 4}, AlwaysRejectPolicy(), ConcederPolicy(), n=2)
        own = rec.filter(seat(0)
                         & pl.col("action_json").str.contains('"decision"'))
        assert own.height > 0 and not own["action_json"].str.contains('"accept"').any()


# ---------------------------------------------------------------- invariants
configs = st.fixed_dictionaries({
    "pie": st.sampled_from([1.0, 10.0, 100.0]), "horizon": st.integers(1, 12),
    "first_mover": st.sampled_from(["a", "b", "random"]),
    "step_share": st.sampled_from([None, 0.01, 0.1]),
    "beta": st.floats(0.05, 20.0), "seed": st.integers(0, 2**16)})


@settings(max_examples=40, deadline=None)
@given(configs)
def test_time_dependent_offers_are_bounded_monotone_and_follow_the_formula(c: dict) -> None:
    step = None if c["step_share"] is None else c["step_share"] * c["pie"]
    cfg = {"pie": c["pie"], "horizon": c["horizon"], "first_mover": c["first_mover"],
           "step": step}
    policy = TimeDependentPolicy(c["beta"])
    rec = play("bargaining", cfg, policy, RandomPolicy(), n=8, seed=c["seed"])
    props = rec.filter(seat(0) & (pl.col("role") == "proposer"))
    for _, rows in props.group_by("instance"):
        rows = rows.sort("round")
        kept = c["pie"] - np.array(rows["offer"].to_list())
        assert np.all((kept >= -1e-9) & (kept <= c["pie"] + 1e-9))
        assert all(b <= a + 1e-9 for a, b in itertools.pairwise(kept))  # monotone concession
        t = np.array(rows["round"].to_list(), dtype=np.float64)
        target = c["pie"] * (1 - (t / c["horizon"]) ** (1 / c["beta"]))
        assert np.all(kept >= target - 1e-6)  # never demands less than the tactic says
        assert np.all(kept <= target + (step or 0.0) + 1e-6)  # within one grid step


def own_proposals(game: str, records: pl.DataFrame) -> dict[int, list[float]]:
    """Utility to player 0 of each of its proposals, per instance, in time order."""
    own = records.filter(seat(0)).sort("step")
    if game == "negotiation":  # the seller's asks (opening or counter), surplus over F_a = 100
        own = own.filter(pl.col("action").is_not_nan())
        utility = own["action"] - 100.0
    elif game == "item_division":
        own = own.filter(pl.col("role") == "proposer")
        utility = own["value_a"]
    else:
        own = own.filter(pl.col("role") == "proposer")
        utility = 100.0 - own["offer"]
    out: dict[int, list[float]] = {}
    for m, u in zip(own["instance"], utility, strict=True):
        out.setdefault(int(m), []).append(float(u))
    return out


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(["negotiation", "item_division", "bargaining"]),
       st.sampled_from(["tit_for_tat", "boulware", "conceder", "time_dependent",
                        "always_accept"]),
       st.integers(1, 9), st.integers(0, 2**16))
def test_negotiators_stay_within_their_range(game: str, kind: str, horizon: int,
                                             seed: int) -> None:
    config: dict = {"horizon": horizon}
    if game == "negotiation":
        config["opener"] = "random"
    elif game == "bargaining":
        config["first_mover"] = "random"
    rec = play(game, config, make_policy(kind), RandomPolicy(), n=8, seed=seed)
    high = 10.0 if game == "item_division" else 100.0  # A's pool value / pie / price_max − F_a
    for utilities in own_proposals(game, rec).values():
        assert all(-1e-9 <= u <= high + 1e-9 for u in utilities)  # reservation 0 .. best
        if kind != "tit_for_tat":  # tit-for-tat hardens when a random opponent retracts
            assert all(b <= a + 1e-9 for a, b in itertools.pairwise(utilities))


def test_vectorised_batch_matches_single_instances() -> None:
    cfg = {**BARGAIN, "first_mover": "random"}
    many = finals(play("bargaining", cfg, TitForTatPolicy(), ConcederPolicy(3.0), n=40, seed=5))
    k_first = Runner("bargaining", cfg, policy=RandomPolicy(), n_instances=40, seed=5,
                     progress=False).kernel.first
    by_first = {}
    for first in (0, 1):
        one = finals(play("bargaining", {**BARGAIN, "first_mover": "ab"[first]},
                          TitForTatPolicy(), ConcederPolicy(3.0)))
        by_first[first] = (one["agreement_round"][0], one["share_a"][0])
    got = list(zip(many["agreement_round"], many["share_a"], strict=True))
    assert got == [by_first[int(f)] for f in k_first]
    assert len(set(got)) == 2
