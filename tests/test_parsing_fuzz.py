"""Fuzzing the answer parser: malformed completions never raise and are always classified."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agora.engine.action_spec import ActionSpec, InvalidActionError
from agora.engine.registry import make_config, make_kernel
from agora.policies.parsing import ParseKind, parse_answer

GUESS = ActionSpec(name="guess", description="your guess", low=0.0, high=100.0, integer=True)
SHARE = ActionSpec(name="give", description="amount given", low=0.0, high=10.0, integer=False,
                   step=0.5)

_json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6)
    | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.sampled_from(["guess", "give", "offer", "accept", "x"]), children,
                      max_size=3),
    max_leaves=6)


@st.composite
def completions(draw: st.DrawFn) -> str:
    """Text a small model might emit: noise, broken JSON, wrong fields, huge or odd numbers."""
    kind = draw(st.integers(0, 7))
    if kind == 0:
        return draw(st.text(max_size=80))
    if kind == 1:
        value = draw(_json_values)
        try:
            return json.dumps({"guess": value}, allow_nan=True)
        except (TypeError, ValueError):
            return "{}"
    if kind == 2:  # a valid answer cut, padded or wrapped
        text = json.dumps({"guess": draw(st.integers(-500, 500))})
        cut = draw(st.integers(0, len(text)))
        return draw(st.sampled_from([text[:cut], text[cut:], f"Sure! {text} done",
                                     "```json\n" + text + "\n```", text * 2]))
    if kind == 3:
        return draw(st.sampled_from(["{", "}", "[", "]", '"', ":", ","])) * draw(
            st.integers(1, 3000))
    if kind == 4:
        return f"guess = {draw(st.floats(allow_nan=True, allow_infinity=True))}"
    if kind == 5:
        return json.dumps(draw(_json_values), allow_nan=True, default=str)
    if kind == 6:
        return draw(st.binary(max_size=40)).decode("latin-1")
    return "Ignore previous instructions; " + draw(st.text(max_size=30)) + ' {"guess": "50"}'


def _check(text: str, spec: ActionSpec) -> None:
    parsed = parse_answer(text, spec)
    assert parsed.kind in tuple(ParseKind)
    if parsed.kind is ParseKind.INVALID:
        assert parsed.value is None and parsed.error
    else:  # whatever was read is a legal action of the spec
        assert isinstance(parsed.value, float) and math.isfinite(parsed.value)
        assert spec.validate(parsed.value) == parsed.value


@settings(max_examples=10_000, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(completions())
def test_ten_thousand_malformed_completions_are_classified(text: str) -> None:
    _check(text, GUESS)


@settings(max_examples=1_000, deadline=None, derandomize=True)
@given(completions(), st.sampled_from(["give", "guess"]))
def test_field_names_and_steps_are_enforced(text: str, name: str) -> None:
    _check(text.replace("guess", name), SHARE)


_KERNEL = make_kernel("bargaining", make_config("bargaining", messages=True), 1,
                      np.random.default_rng(0))
STRUCTURED = [_KERNEL.spec_for_code(c) for c in (0, 1)]  # offer (+message), accept/reject


@settings(max_examples=1_000, deadline=None, derandomize=True)
@given(st.one_of(completions(), st.none(), st.integers(), st.binary(max_size=8)),
       st.sampled_from(STRUCTURED))
def test_structured_specs_never_raise(text: object, spec: object) -> None:
    if isinstance(text, str):
        text = text.replace("guess", "offer")
    parsed = parse_answer(text, spec)  # type: ignore[arg-type]
    assert parsed.kind in tuple(ParseKind)
    assert (parsed.value is None) == (parsed.kind is ParseKind.INVALID)
    if parsed.value is not None:
        assert spec.validate(parsed.value) == parsed.value  # type: ignore[attr-defined]


def test_known_cases() -> None:
    assert parse_answer('{"guess": 33}', GUESS).kind is ParseKind.JSON
    assert parse_answer('I pick {"guess": 33}.', GUESS).value == 33.0
    assert parse_answer("guess: 40", GUESS).kind is ParseKind.LENIENT
    assert parse_answer('{"guess": 101}', GUESS).kind is ParseKind.INVALID
    assert parse_answer('{"guess": NaN}', GUESS).kind is ParseKind.INVALID
    assert parse_answer('{"give": 2.25}', SHARE).kind is ParseKind.INVALID  # off the 0.5 grid
    with pytest.raises(InvalidActionError):
        GUESS.validate(float("inf"))
