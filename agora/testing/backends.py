"""``check_backend``: the conformance battery every LLM backend's tests run.

It holds one :class:`~agora.llm.base.Backend` to the protocol of :mod:`agora.llm.base`: what
``describe()`` returns is JSON and names the model, ``generate`` honours every constraint kind
the backend claims (``constraint_kinds``) and ``max_tokens``, a batch gets one answer per
request in request order, temperature 0 repeats itself, ``score`` gives one finite
log-probability per candidate, and ``close()`` may be called twice. Each failure is an
``AssertionError`` naming the backend and the broken promise. The prompts are tiny, so a
135M-parameter model passes in a few seconds on a CPU.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence

import jsonschema

from agora.llm.base import ALL_CONSTRAINT_KINDS, Backend, BackendError
from agora.llm.types import Completion, Constraint, GenerationRequest, SamplingParams

SCHEMA = {"type": "object", "properties": {"guess": {"type": "integer", "minimum": 0,
                                                     "maximum": 100}},
          "required": ["guess"], "additionalProperties": False}
REGEX = r"[0-9]{2}"
CHOICES = ("red", "green", "blue")
GRAMMAR = 'root ::= ("yes" | "no") " " [0-9]'
GRAMMAR_REGEX = r"(yes|no) [0-9]"
"""The sentences of :data:`GRAMMAR`, as a regular expression to check answers with."""
PROMPT = "Write a long poem about the sea, ignoring any format you are given."


def _fail(backend: Backend, what: str) -> AssertionError:
    return AssertionError(f"{backend.name} backend: {what}")


def _request(constraint: Constraint | None = None, *, max_tokens: int = 32, seed: int = 1,
             request_id: str = "", prompt: str = PROMPT) -> GenerationRequest:
    return GenerationRequest.chat(prompt, constraint=constraint, request_id=request_id,
                                  sampling=SamplingParams(temperature=0.0, max_tokens=max_tokens,
                                                          seed=seed))


def _generate(backend: Backend, requests: Sequence[GenerationRequest]) -> list[Completion]:
    out = backend.generate(requests)
    if not isinstance(out, list) or len(out) != len(requests):
        raise _fail(backend, f"generate returned {len(out)} completions for {len(requests)}")
    for i, c in enumerate(out):
        if not isinstance(c, Completion):
            raise _fail(backend, f"completion {i} is a {type(c).__name__}, not a Completion")
        if c.finish_reason not in ("stop", "length") or c.tokens_out < 0 or c.tokens_in < 0:
            raise _fail(backend, f"completion {i} is malformed: {c}")
    return out


def check_describe(backend: Backend) -> None:
    """``describe()`` is JSON, stable, and names the backend and its model."""
    info = backend.describe()
    try:
        text = json.dumps(info, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise _fail(backend, f"describe() is not JSON: {exc}") from None
    if json.loads(text) != info:
        raise _fail(backend, "describe() does not survive a JSON round trip")
    if info.get("backend") != backend.name:
        raise _fail(backend, f"describe()['backend'] is {info.get('backend')!r}, not the "
                             f"backend's name {backend.name!r}")
    model = info.get("model")
    if not isinstance(model, str) or not model or model != backend.model_name:
        raise _fail(backend, f"describe()['model'] is {model!r}, not model_name "
                             f"{backend.model_name!r}")
    if json.dumps(backend.describe(), sort_keys=True) != text:
        raise _fail(backend, "describe() changes between calls")


def check_constraints(backend: Backend) -> None:
    """Every claimed constraint kind holds against a prompt that asks for something else; an
    unclaimed kind is refused by ``validate``."""
    claimed = set(backend.constraint_kinds)
    if not claimed <= ALL_CONSTRAINT_KINDS:
        unknown = sorted(claimed - ALL_CONSTRAINT_KINDS)
        raise _fail(backend, f"claims unknown constraint kinds {unknown}")
    made = {"json_schema": Constraint(json_schema=SCHEMA), "regex": Constraint(regex=REGEX),
            "choices": Constraint(choices=CHOICES), "grammar": Constraint(grammar=GRAMMAR)}
    for kind in sorted(ALL_CONSTRAINT_KINDS - claimed):
        try:
            backend.validate(_request(made[kind]))
        except (ValueError, NotImplementedError):
            continue
        raise _fail(backend, f"validate() accepts a {kind} constraint it does not claim")
    kinds = sorted(claimed)
    requests = [_request(made[k], seed=3 + i) for i, k in enumerate(kinds)]
    for r in requests:
        backend.validate(r)
    for kind, c in zip(kinds, _generate(backend, requests), strict=True):
        if not _satisfies(kind, c.text):
            raise _fail(backend, f"a {kind} constraint was not honoured: {c.text!r}")


def _satisfies(kind: str, text: str) -> bool:
    if kind == "json_schema":
        try:
            jsonschema.validate(json.loads(text), SCHEMA)
        except (ValueError, jsonschema.ValidationError):
            return False
        return True
    if kind == "regex":
        return re.fullmatch(REGEX, text) is not None
    if kind == "choices":
        return text in CHOICES
    return re.fullmatch(GRAMMAR_REGEX, text) is not None


def check_max_tokens(backend: Backend) -> None:
    """No answer is longer than its ``max_tokens``; a cut answer says ``length``."""
    for limit in (1, 3):
        c = _generate(backend, [_request(max_tokens=limit)])[0]
        if c.tokens_out > limit:
            raise _fail(backend, f"max_tokens={limit} gave {c.tokens_out} tokens: {c.text!r}")
        if c.finish_reason == "length" and c.tokens_out != limit:
            raise _fail(backend, f"finish_reason 'length' after {c.tokens_out} of {limit} "
                                 "tokens")


def check_batch_order(backend: Backend, n: int = 5) -> None:
    """A batch gets one answer per request, in request order, echoing request ids."""
    requests = [_request(_own_constraint(backend, i), max_tokens=8, request_id=f"r{i}",
                         prompt=f"Request {i}. Say something.") for i in range(n)]
    out = _generate(backend, requests)
    for i, (r, c) in enumerate(zip(requests, out, strict=True)):
        if c.request_id != r.request_id:
            raise _fail(backend, f"answer {i} carries request_id {c.request_id!r}, not "
                                 f"{r.request_id!r}")
        if r.constraint is not None and not _answers(r.constraint, c.text):
            raise _fail(backend, f"answer {i} ({c.text!r}) fits another request's constraint:"
                                 " answers are out of order")
    if backend.generate([]) != []:
        raise _fail(backend, "generate([]) is not []")


def _own_constraint(backend: Backend, i: int) -> Constraint | None:
    """A constraint only request ``i`` of a batch can satisfy (to see the order)."""
    if "choices" in backend.constraint_kinds:
        return Constraint(choices=(f"a{i}", f"b{i}"))
    if "regex" in backend.constraint_kinds:
        return Constraint(regex=f"(a|b){i}")
    return None


def _answers(constraint: Constraint, text: str) -> bool:
    if constraint.choices is not None:
        return text in constraint.choices
    return re.fullmatch(constraint.regex or "", text) is not None


def check_determinism(backend: Backend) -> None:
    """The same batch at temperature 0 gives the same texts twice."""
    requests = [_request(max_tokens=8, seed=11), _request(max_tokens=8, seed=12,
                                                          prompt="Name a colour.")]
    first = [c.text for c in _generate(backend, requests)]
    second = [c.text for c in _generate(backend, requests)]
    if first != second:
        raise _fail(backend, f"temperature 0 is not deterministic: {first} then {second}")


def check_score(backend: Backend) -> None:
    """``score`` gives one finite log-probability (<= 0) per candidate, per prompt."""
    prompts = [_request(prompt="Yes or no?"), _request(prompt="Pick a colour.")]
    cands = [["yes", "no"], list(CHOICES)]
    out = backend.score(prompts, cands)
    if len(out) != len(prompts):
        raise _fail(backend, f"score returned {len(out)} arrays for {len(prompts)} prompts")
    for i, (row, c) in enumerate(zip(out, cands, strict=True)):
        values = [float(v) for v in row]
        if len(values) != len(c) or not all(math.isfinite(v) and v <= 1e-6 for v in values):
            raise _fail(backend, f"score of prompt {i} is {values} for {len(c)} candidates")


def check_close(backend: Backend) -> None:
    """``close()`` twice is fine; a closed backend refuses work."""
    backend.close()
    backend.close()
    if not backend.closed:
        raise _fail(backend, "closed is False after close()")
    try:
        backend.generate([_request(max_tokens=1)])
    except BackendError:
        return
    raise _fail(backend, "a closed backend still generates")


def check_backend(backend: Backend, *, score: bool = True, close: bool = True) -> None:
    """Every check of this module on ``backend`` (``close``: finally close it, twice).

    ``score=False`` skips :func:`check_score` for backends whose server has no scoring
    endpoint. Raises ``AssertionError`` naming the first broken promise.
    """
    if not isinstance(backend, Backend):
        raise TypeError(f"check_backend takes a Backend, got {type(backend).__name__}")
    check_describe(backend)
    check_constraints(backend)
    check_max_tokens(backend)
    check_batch_order(backend)
    check_determinism(backend)
    if score:
        check_score(backend)
    if close:
        check_close(backend)
