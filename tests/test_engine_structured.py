"""Structured action specs, message cleaning, parsing and the runner's object-action path."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agora.engine.action_spec import InvalidActionError
from agora.engine.batch import DecisionBatch, Decisions
from agora.engine.runner import IllegalActionError, Runner
from agora.engine.streams import Streams
from agora.engine.structured import AllocationSpec, ChoiceSpec, OfferSpec, clean_message
from agora.policies.base import Policy
from agora.policies.parsing import ParseKind, parse_answer

OFFER = OfferSpec(low=0.0, high=10.0, step=0.5, message_max=20)
CHOICE = ChoiceSpec(choices=("accept", "counter"), offer=OfferSpec(name="price", high=5.0),
                    offer_with=("counter",))


def test_offer_spec_validates_and_cleans() -> None:
    assert OFFER.validate({"offer": 2.5, "message": " hi\n\tthere "}) == {
        "offer": 2.5, "message": "hi there"}
    assert OFFER.validate({"offer": 3}) == {"offer": 3.0, "message": ""}
    for bad in ({"offer": 2.25}, {"offer": 11}, {"offer": 1, "message": 5},
                {"offer": 1, "extra": 1}, 3.0, None):
        with pytest.raises(InvalidActionError):
            OFFER.validate(bad)
    assert OFFER.numeric({"offer": 2.5, "message": ""}) == 2.5
    mask = OFFER.legal_mask(np.array([{"offer": 1.0, "message": ""}, {"offer": 1.0}],
                                     dtype=object))
    assert mask.tolist() == [True, False]  # only canonical actions are legal


def test_choice_spec_numeric_and_schema() -> None:
    schema = CHOICE.json_schema()
    assert schema["required"] == ["decision", "price"]
    assert CHOICE.numeric({"decision": "counter", "price": 2.0}) == 2.0
    assert math.isnan(CHOICE.numeric({"decision": "accept", "price": 2.0}))
    assert ChoiceSpec().numeric({"decision": "reject"}) == 1.0


def test_allocation_spec() -> None:
    spec = AllocationSpec(counts=(1, 2), items=("a", "b"))
    assert spec.validate({"keep": [1.0, 2]}) == {"keep": [1, 2]}
    for bad in ({"keep": [2, 0]}, {"keep": [0]}, {"keep": [True, 0]}, {"keep": "1,2"}):
        with pytest.raises(InvalidActionError):
            spec.validate(bad)
    s = spec.sample(np.random.default_rng(0), 50)
    assert spec.legal_mask(s).all()


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400), st.integers(1, 80))
def test_clean_message_is_one_safe_line(text: str, n: int) -> None:
    out = clean_message(text, n)
    assert len(out) <= n
    assert "<<" not in out and ">>" not in out and "\n" not in out
    assert all(ch.isprintable() for ch in out)


def test_parse_answer_handles_structured_specs() -> None:
    ok = parse_answer('{"offer": 4, "message": "deal?"}', OFFER)
    assert ok.kind is ParseKind.JSON and ok.value == {"offer": 4.0, "message": "deal?"}
    lenient = parse_answer('Sure: {"offer": 4.5, "message": ""} thanks', OFFER)
    assert lenient.kind is ParseKind.LENIENT and lenient.value == {"offer": 4.5, "message": ""}
    for junk in ("4", '{"offer": 40}', "", None, "{" * 10_000):
        assert parse_answer(junk, OFFER).value is None


class _Bad(Policy):
    def act(self, batch: DecisionBatch, rng: Streams) -> Decisions:
        acts = np.empty(len(batch), dtype=object)
        acts[:] = [{"offer": 1000.0}] * len(batch)
        return Decisions(actions=acts)


def test_runner_rejects_illegal_structured_actions() -> None:
    with pytest.raises(IllegalActionError, match="offer"):
        Runner("bargaining", {}, policy=_Bad(), n_instances=2, progress=False).run()


def test_records_keep_numeric_action_and_json() -> None:
    from agora.policies import RandomPolicy

    rec = Runner("negotiation", {"messages": True}, policy=RandomPolicy(), n_instances=8,
                 seed=1, progress=False).run().records
    assert rec["action"].dtype.is_float()
    for text, action in zip(rec["action_json"], rec["action"], strict=True):
        a = json.loads(text)
        if "decision" not in a or a["decision"] == "counter":
            assert a["price"] == action
        else:
            assert math.isnan(action)
