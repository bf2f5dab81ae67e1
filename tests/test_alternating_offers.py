"""The shared alternating-offers base and the offer games' decision views."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from agora.engine.alternating_offers import (
    PROPOSE,
    RESPOND,
    AlternatingOffersKernel,
    ProposeRespondKernel,
)
from agora.engine.batch import DecisionBatch
from agora.engine.registry import make_config, make_kernel
from agora.engine.streams import Streams
from agora.engine.views import DecisionView, OfferView
from agora.policies import ConcederPolicy, RandomPolicy
from games.bargaining import BargainingConfig, BargainingKernel
from games.item_division import ItemDivisionConfig, ItemDivisionKernel
from games.negotiation import NegotiationConfig, NegotiationKernel

GAMES = ("bargaining", "ultimatum", "negotiation", "item_division")


def batch_of(kernel: Any) -> DecisionBatch:
    inst, players = kernel.pending()
    return DecisionBatch(kernel=kernel, instances=inst, players=players,
                         rounds=kernel.round[inst].copy(),
                         roles=kernel.role_index(inst, players),
                         persona_ids=np.full(inst.size, -1),
                         spec_codes=kernel.spec_codes(inst, players))


def walk(game: str, config: dict[str, Any], n: int = 6, seed: int = 0,
         check: Callable[[DecisionBatch, Any], None] | None = None) -> list[tuple[Any, Any]]:
    """(batch, view) at every step of random play until every instance is done; ``check``
    sees each before the kernel steps on."""
    kernel = make_kernel(game, make_config(game, **config), n, np.random.default_rng(seed))
    rng = Streams.from_seed(seed, n)
    out = []
    while not kernel.done.all():
        batch = batch_of(kernel)
        out.append((batch, batch.view()))
        if check is not None:
            check(*out[-1])
        actions = RandomPolicy().act(batch, rng.subset(batch.instances)).actions
        kernel.step(batch.instances, batch.players, actions)
    return out


@pytest.mark.parametrize("game", GAMES)
@pytest.mark.parametrize("messages", [False, True])
def test_views_describe_each_decision(game: str, messages: bool) -> None:
    steps = walk(game, {"messages": messages})
    assert len(steps) >= 2
    for batch, view in steps:
        k = batch.kernel
        assert isinstance(k, AlternatingOffersKernel) and isinstance(view, OfferView)
        assert len(view) == len(batch)
        np.testing.assert_array_equal(view.players, batch.players)
        np.testing.assert_array_equal(view.rounds, batch.rounds)
        np.testing.assert_array_equal(view.codes, batch.codes)
        for i in range(len(view)):
            assert view.spec_at(i) is batch.spec_at(i)
        np.testing.assert_array_equal(view.first, k.first_slot(batch.instances))
        np.testing.assert_array_equal(view.proposing, view.codes == PROPOSE)
        assert np.isnan(view.pending[view.proposing]).all()
        assert np.isfinite(view.pending[~view.proposing]).all()
        assert (view.low <= view.high).all()
        assert view.offers.shape == view.mine.shape == (len(view), view.offers.shape[1])
        realised = view.realise(view.high)
        assert realised.shape == (len(view),) and (realised <= view.high + 1e-9).all()


def test_view_is_a_copy_of_the_state() -> None:
    (batch, view), *_ = walk("bargaining", {}, n=3)
    k = batch.kernel
    before = view.offers.copy()
    k.offers[:] = 42.0
    np.testing.assert_array_equal(view.offers, before)


def test_turn_logic_of_the_proposal_rounds() -> None:
    k = BargainingKernel(BargainingConfig(first_mover="b", horizon=3), 2,
                         np.random.default_rng(0))
    assert isinstance(k, ProposeRespondKernel) and k.max_steps() == 6
    inst, players = k.pending()
    assert players.tolist() == [1, 1] and k.spec_codes(inst, players).tolist() == [PROPOSE] * 2
    assert k.role_index(inst, np.array([1, 0])).tolist() == [0, 1]
    assert k.proposals_made(0) == []
    k.step(inst, players, np.array([{"offer": 10.0}, {"offer": 90.0}], dtype=object))
    assert k.proposals_made(0) == k.proposals_made(1) == [(0, False)]
    inst, players = k.pending()
    assert players.tolist() == [0, 0] and k.spec_codes(inst, players).tolist() == [RESPOND] * 2
    k.step(inst, players, np.array([{"decision": "accept"}, {"decision": "reject"}],
                                   dtype=object))
    assert k.done.tolist() == [True, False] and k.round.tolist() == [0, 1]
    assert k.proposals_made(0) == k.proposals_made(1) == [(0, True)]
    inst, players = k.pending()
    assert inst.tolist() == [1] and players.tolist() == [0]  # A proposes in round 2
    k.step(inst, players, np.array([{"offer": 50.0}], dtype=object))
    k.step(*k.pending(), np.array([{"decision": "reject"}], dtype=object))
    assert k.proposals_made(1) == [(0, True), (1, True)]
    k.step(*k.pending(), np.array([{"offer": 40.0}], dtype=object))
    assert k.proposals_made(1) == [(0, True), (1, True), (2, False)]
    k.step(*k.pending(), np.array([{"decision": "reject"}], dtype=object))
    assert k.done.all() and k.proposals_made(1) == [(0, True), (1, True), (2, True)]


@pytest.mark.parametrize("game", GAMES)
def test_steps_out_of_turn_are_refused(game: str) -> None:
    k = make_kernel(game, make_config(game), 2, np.random.default_rng(0))
    inst, players = k.pending()
    action = RandomPolicy().act(batch_of(k), Streams.from_seed(0, 2)).actions
    for bad_inst, bad_players in ((inst, 1 - players), (np.array([0, 0]), players)):
        with pytest.raises(ValueError, match="one decision per instance, by the agent whose "
                                             "turn it is") as info:
            k.step(bad_inst, bad_players, action)
        assert "\n" not in str(info.value)


@pytest.mark.parametrize("kernel_cls", [BargainingKernel, NegotiationKernel,
                                        ItemDivisionKernel])
def test_merged_action_space_covers_both_specs(kernel_cls: type) -> None:
    cfg = {BargainingKernel: BargainingConfig, NegotiationKernel: NegotiationConfig,
           ItemDivisionKernel: ItemDivisionConfig}[kernel_cls](messages=True)
    k = kernel_cls(cfg, 1, np.random.default_rng(0))
    space = k.action_space(0)
    keys = set(space.spaces)
    for code in (PROPOSE, RESPOND):
        assert set(k.spec_for_code(code).space().spaces) <= keys
    assert "message" in keys and k.message_max == cfg.message_max


def test_negotiation_view_carries_the_price_on_the_table() -> None:
    def check(batch: DecisionBatch, view: Any) -> None:
        k = batch.kernel
        np.testing.assert_array_equal(view.price, k.price[batch.instances])
        seller = view.players == 0
        expected = np.where(seller, view.price - k.config.seller_value,
                            k.config.buyer_value - view.price)
        np.testing.assert_array_equal(view.pending[~view.proposing], expected[~view.proposing])
        assert np.isnan(view.price[view.proposing]).all()

    walk("negotiation", {"horizon": 4}, n=4, check=check)


def test_item_division_view_carries_the_allocation_on_the_table() -> None:
    def check(batch: DecisionBatch, view: Any) -> None:
        k = batch.kernel
        for i, m in enumerate(batch.instances):
            if view.proposing[i]:
                assert not view.table[i].any()
            else:
                np.testing.assert_array_equal(view.table[i], k.keep_a[m, k.round[m]])

    walk("item_division", {}, n=4, check=check)


class NoOfferKernel(BargainingKernel):
    """A bargaining kernel whose decision view is not an offer view."""

    name = "no_offer_view_test"

    def decision_view(self, instances: np.ndarray, players: np.ndarray) -> DecisionView:
        return DecisionView(**{k: v for k, v in self.view_fields(instances, players).items()
                               if k != "first"})


def test_negotiators_need_an_offer_view() -> None:
    k = NoOfferKernel(BargainingConfig(), 2, np.random.default_rng(0))
    with pytest.raises(TypeError, match="its decision view is a DecisionView, not an "
                                        "OfferView") as info:
        ConcederPolicy().act(batch_of(k), Streams.from_seed(0, 2))
    assert "\n" not in str(info.value)


def test_equilibrium_reads_the_view_not_the_kernel() -> None:
    """SPE moves depend on the view only: wiping the kernel's state afterwards changes nothing."""
    k = BargainingKernel(BargainingConfig(horizon=3), 1, np.random.default_rng(0))
    k.step(*k.pending(), np.array([{"offer": 1.0}], dtype=object))
    view = batch_of(k).view()
    expected = BargainingKernel.theory.equilibrium_actions(view).tolist()
    assert expected == [{"decision": "reject"}]  # 1 is far below B's continuation value
    k.offers[:] = 99.0
    k.round[:] = 2
    k.phase[:] = PROPOSE
    assert BargainingKernel.theory.equilibrium_actions(view).tolist() == expected
