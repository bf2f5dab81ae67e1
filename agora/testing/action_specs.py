"""Action-spec checks: JSON schema, ``validate``, regex, legality mask and space agree."""

from __future__ import annotations

import json
import math
import re
from typing import Any

import numpy as np

from agora.engine.action_spec import ActionSpec, InvalidActionError
from agora.engine.kernel import GameKernel
from agora.engine.structured import Spec, StructuredSpec
from agora.testing._play import _check, _kernel, _play, _random_actions


def _specs(name: str, config: dict[str, Any]) -> list[Spec]:
    """Every distinct action spec met over a random play."""
    kernel = _kernel(name, config, seed=3, n_instances=4)
    specs: dict[Spec, None] = {}

    def choose(k: GameKernel, inst: np.ndarray, players: np.ndarray,
               rng: np.random.Generator) -> np.ndarray:
        for c in np.unique(k.spec_codes(inst, players)):
            specs.setdefault(k.spec_for_code(int(c)))
        return _random_actions(k, inst, players, rng)

    _play(kernel, choose, np.random.default_rng(4), f"{name} {config}")
    return list(specs)


def _json_value(spec: ActionSpec, v: float) -> int | float:
    return int(v) if float(v).is_integer() else float(v)


def _outside(spec: ActionSpec) -> list[float]:
    """Values any legal set must reject: beyond both bounds and, if discrete, off the grid."""
    gap = spec.step if spec.step is not None else 1.0
    bad = [spec.low - gap, spec.high + gap]
    if spec.is_discrete and spec.high > spec.low:
        bad.append(spec.low + gap / 2)
    return bad


def check_action_specs(name: str, **config: Any) -> None:
    """Each spec's JSON schema is valid and agrees with ``validate``, the regex and the space."""
    import jsonschema

    label = f"{name} {config}"
    rng = np.random.default_rng(5)
    for spec in _specs(name, config):
        if isinstance(spec, StructuredSpec):
            _check_structured_spec(spec, label, rng)
            continue
        schema = spec.json_schema()
        validator_cls = jsonschema.validators.validator_for(schema)
        try:
            validator_cls.check_schema(schema)
        except jsonschema.SchemaError as exc:
            raise AssertionError(f"{label}: invalid JSON schema for {spec.name}: {exc}") from None
        validator = validator_cls(schema)
        json.dumps(schema)  # must be plain JSON
        pattern = re.compile(spec.regex())
        samples = spec.sample(rng, 50)
        space = spec.space()
        space.seed(6)
        samples = np.concatenate([samples, [spec.low, spec.high],
                                  [spec.from_space(space.sample()) for _ in range(20)]])
        for v in samples:
            answer = {spec.name: _json_value(spec, float(v))}
            try:
                got = spec.validate(answer)
            except InvalidActionError as exc:
                raise AssertionError(f"{label}: validate rejects its own sample {v}: {exc}") \
                    from None
            _check(math.isclose(got, float(v), abs_tol=1e-9),
                   f"{label}: validate({v}) returned {got}")
            _check(spec.legal_mask(np.array([v]))[0], f"{label}: legal_mask rejects sample {v}")
            _check(validator.is_valid(answer), f"{label}: schema rejects sample {answer}")
            text = json.dumps(answer) if spec.is_discrete else \
                f'{{"{spec.name}": {float(v):.4f}}}'
            _check(pattern.fullmatch(text), f"{label}: regex rejects sample {text}")
        for v in _outside(spec):
            answer = {spec.name: _json_value(spec, v)}
            try:
                spec.validate(answer)
            except InvalidActionError:
                pass
            else:
                raise AssertionError(f"{label}: validate accepts illegal {spec.name}={v}")
            _check(not spec.legal_mask(np.array([v]))[0], f"{label}: legal_mask accepts {v}")
            _check(not validator.is_valid(answer), f"{label}: schema accepts illegal {answer}")
            if spec.is_discrete:
                _check(not pattern.fullmatch(json.dumps(answer)),
                       f"{label}: regex accepts illegal {answer}")
        for junk in (None, True, "abc", float("nan"), {"other": 1}):
            try:
                spec.validate(junk)
            except InvalidActionError:
                continue
            raise AssertionError(f"{label}: validate accepts {junk!r}")


def _check_structured_spec(spec: StructuredSpec, label: str, rng: np.random.Generator) -> None:
    """A structured spec's schema, samples, space, legality mask and rejections agree."""
    import jsonschema

    schema = spec.json_schema()
    validator_cls = jsonschema.validators.validator_for(schema)
    try:
        validator_cls.check_schema(schema)
    except jsonschema.SchemaError as exc:
        raise AssertionError(f"{label}: invalid JSON schema for {spec.name}: {exc}") from None
    validator = validator_cls(schema)
    json.dumps(schema)
    space = spec.space()
    space.seed(6)
    samples = [*spec.sample(rng, 30), *spec.sample(rng, 10, extreme=True),
               *(spec.from_space(space.sample()) for _ in range(20))]
    for a in samples:
        answer = json.loads(json.dumps(a))
        try:
            got = spec.validate(answer)
        except InvalidActionError as exc:
            raise AssertionError(f"{label}: validate rejects its own sample {a}: {exc}") from None
        _check(got == a, f"{label}: validate({a}) returned {got}")
        _check(spec.legal_mask(np.array([a, a], dtype=object)).all(),
               f"{label}: legal_mask rejects sample {a}")
        _check(validator.is_valid(answer), f"{label}: schema rejects sample {answer}")
    filler = {"message": ""} if spec.has_message else {}
    for bad in spec.illegal_examples():
        answer = {**filler, **bad}
        try:
            spec.validate(answer)
        except InvalidActionError:
            pass
        else:
            raise AssertionError(f"{label}: validate accepts illegal {answer}")
        _check(not spec.legal_mask(np.array([answer], dtype=object))[0],
               f"{label}: legal_mask accepts {answer}")
        _check(not validator.is_valid(answer), f"{label}: schema accepts illegal {answer}")
    for junk in (None, True, "abc", float("nan"), {"other": 1}):
        try:
            spec.validate(junk)
        except InvalidActionError:
            continue
        raise AssertionError(f"{label}: validate accepts {junk!r}")
