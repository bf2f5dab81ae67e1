"""Conformance checks every agora game must pass; a registered game is tested by registering it.

``check_game(name, **config)`` runs PettingZoo's own API tests on the game's ``ParallelEnv`` and
on its AEC conversion, then agora's checks of the kernel contract: seed determinism of runner
records, rewards within the game's :meth:`~agora.engine.kernel.GameKernel.payoff_bounds`,
well-formed action specs (valid JSON schema, ``validate`` agreeing with the schema and the
regex), observations inside the observation space, checkpoint round trips and a smoke run to
completion. ``conformance_configs(name)`` lists the representative configs a game declares as
the ``conformance_configs`` class attribute of its kernel (its default config otherwise).

Use from a test suite::

    @pytest.mark.parametrize(("game", "config"), [(g, c) for g in agora.list_games()
                                                  for c in conformance_configs(g)])
    def test_conformance(game, config):
        check_game(game, **config)

Every check raises ``AssertionError`` with a message naming the game, config and failure.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import re
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from agora.engine.action_spec import ActionSpec, InvalidActionError
from agora.engine.kernel import GameKernel
from agora.engine.registry import REGISTRY, make, make_config, make_kernel
from agora.engine.state_codec import StateEncodingError, decode_state, encode_state
from agora.engine.structured import Spec, StructuredSpec

__all__ = [
    "check_action_specs", "check_checkpoint_roundtrip", "check_game", "check_kernel_contract",
    "check_payoff_bounds", "check_pettingzoo_api", "check_seed_determinism", "check_smoke_run",
    "conformance_configs",
]

_N_INSTANCES = 64
_TOL = 1e-9


def _check(ok: Any, message: str) -> None:
    """``assert`` that survives ``python -O``: raise AssertionError with ``message``."""
    if not ok:
        raise AssertionError(message)


def conformance_configs(name: str) -> list[dict[str, Any]]:
    """Representative configs of game ``name`` (config keyword dicts for ``agora.make``).

    A game declares them as its kernel's ``conformance_configs`` class attribute; a game that
    declares none is checked with its default config.
    """
    own = getattr(REGISTRY.get(name).kernel_cls, "conformance_configs", None)
    return [dict(c) for c in own] if own else [{}]


def check_game(name: str, **config: Any) -> None:
    """Run every conformance check on game ``name`` with ``config``."""
    check_pettingzoo_api(name, **config)
    check_kernel_contract(name, **config)
    check_action_specs(name, **config)
    check_payoff_bounds(name, **config)
    check_checkpoint_roundtrip(name, **config)
    check_seed_determinism(name, **config)
    check_smoke_run(name, **config)


# ---------------------------------------------------------------------------- PettingZoo
def check_pettingzoo_api(name: str, **config: Any) -> None:
    """PettingZoo's ``parallel_api_test``, ``parallel_seed_test`` and AEC ``api_test``."""
    from pettingzoo.test import api_test, parallel_api_test, parallel_seed_test
    from pettingzoo.utils.conversions import parallel_to_aec

    def env_fn() -> Any:
        return make(name, **config)

    # The PettingZoo tests print progress lines; an all-zero first observation (e.g. a
    # dictator game's recipient before any round) is legitimate, not worth a warning.
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Observation numpy array is all zeros")
        parallel_api_test(env_fn(), num_cycles=200)
        parallel_seed_test(env_fn, num_cycles=200)
        api_test(parallel_to_aec(env_fn()), num_cycles=200)


# ---------------------------------------------------------------------------- kernel play
def _kernel(name: str, config: dict[str, Any], seed: int,
            n_instances: int = _N_INSTANCES) -> GameKernel:
    return make_kernel(name, make_config(name, **config), n_instances,
                       np.random.default_rng(seed))


def _random_actions(kernel: GameKernel, inst: np.ndarray, players: np.ndarray,
                    rng: np.random.Generator) -> np.ndarray:
    out = np.empty(players.size, dtype=kernel.action_dtype)
    codes = kernel.spec_codes(inst, players)
    for c in np.unique(codes):
        sel = codes == c
        out[sel] = kernel.spec_for_code(int(c)).sample(rng, int(sel.sum()))
    return out


def _extreme_actions(kernel: GameKernel, inst: np.ndarray, players: np.ndarray,
                     rng: np.random.Generator) -> np.ndarray:
    """Each decision at the low or the high end of its spec: the corners where bounds break."""
    out = np.empty(players.size, dtype=kernel.action_dtype)
    codes = kernel.spec_codes(inst, players)
    for c in np.unique(codes):
        sel = codes == c
        spec = kernel.spec_for_code(int(c))
        n = int(sel.sum())
        if isinstance(spec, StructuredSpec):
            out[sel] = spec.sample(rng, n, extreme=True)
        else:
            out[sel] = np.where(rng.random(n) < 0.5, spec.low, spec.high)
    return out


Chooser = Callable[[GameKernel, np.ndarray, np.ndarray, np.random.Generator], np.ndarray]


def _play(kernel: GameKernel, choose: Chooser, rng: np.random.Generator, label: str,
          on_step: Callable[[np.ndarray, np.ndarray, Any], None] | None = None,
          max_steps: int | None = None) -> int:
    """Step ``kernel`` to the end (or ``max_steps``) checking the kernel contract each step."""
    limit = kernel.max_steps()
    steps = 0
    n = kernel.n_players
    while not kernel.done.all() and (max_steps is None or steps < max_steps):
        _check(steps < limit, f"{label}: not done after max_steps() = {limit} steps")
        inst, players = kernel.pending()
        _check(inst.shape == players.shape and inst.ndim == 1,
               f"{label}: pending() must return two 1-d arrays of equal length")
        _check(inst.size > 0, f"{label}: live instances but nobody pending at step {steps}")
        _check(not kernel.done[inst].any(), f"{label}: a finished instance is pending")
        _check(((players >= 0) & (players < n)).all(), f"{label}: pending player out of range")
        _check(len(set(zip(inst.tolist(), players.tolist(), strict=True))) == inst.size,
               f"{label}: an agent is pending twice in one step")
        roles = kernel.role_index(inst, players)
        _check(((roles >= 0) & (roles < len(kernel.roles))).all(), f"{label}: bad role index")
        actions = choose(kernel, inst, players, rng)
        outcome = kernel.step(inst, players, actions)
        _check(np.shape(outcome.rewards) == (inst.size,),
               f"{label}: StepOutcome.rewards must have one entry per decision")
        _check(np.shape(outcome.all_rewards) == (kernel.n_instances, n),
               f"{label}: StepOutcome.all_rewards must have shape (n_instances, n_players)")
        _check(np.isfinite(outcome.rewards).all(), f"{label}: non-finite reward")
        np.testing.assert_allclose(
            outcome.rewards, outcome.all_rewards[inst, players], atol=_TOL,
            err_msg=f"{label}: rewards differ from all_rewards of the deciding agents")
        for col, values in outcome.columns.items():
            _check(len(values) == inst.size,
                   f"{label}: record column {col!r} has {len(values)} values for "
                   f"{inst.size} decisions")
        if on_step is not None:
            on_step(inst, players, outcome)
        steps += 1
    return steps


def check_kernel_contract(name: str, **config: Any) -> None:
    """Random play to the end: the pending/step/done contract and in-space observations."""
    label = f"{name} {config}"
    kernel = _kernel(name, config, seed=1, n_instances=8)
    space = kernel.observation_space()
    names = kernel.agent_names()
    _check(len(names) == kernel.n_players == len(set(names)), f"{label}: bad agent names")

    def observe_all() -> None:
        for m in range(kernel.n_instances):
            for j in range(kernel.n_players):
                obs = np.asarray(kernel.observation_array(m, j))
                _check(space.contains(obs),
                       f"{label}: observation {obs} of instance {m} player {j} outside {space}")
                kernel.observe(m, j)  # the typed view the prompts render must build too

    observe_all()
    steps = _play(kernel, _random_actions, np.random.default_rng(2), label,
                  on_step=lambda *_: observe_all())
    _check(kernel.done.all(), f"{label}: random play did not finish")
    _check(steps >= 1, f"{label}: game finished without a decision")
    inst, _ = kernel.pending()
    _check(inst.size == 0, f"{label}: agents pending after every instance is done")


# ---------------------------------------------------------------------------- action specs
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


# ---------------------------------------------------------------------------- payoffs
def check_payoff_bounds(name: str, **config: Any) -> None:
    """Every reward of random and corner-action play lies within ``payoff_bounds()``."""
    label = f"{name} {config}"
    probe = _kernel(name, config, seed=0, n_instances=1)
    bounds = probe.payoff_bounds()
    if bounds is None:
        return
    low, high = bounds
    _check(low <= high, f"{label}: payoff_bounds() low {low} > high {high}")

    def within(inst: np.ndarray, players: np.ndarray, outcome: Any) -> None:
        r = np.asarray(outcome.all_rewards)
        _check(r.min() >= low - _TOL and r.max() <= high + _TOL,
               f"{label}: rewards in [{r.min()}, {r.max()}] outside payoff_bounds() {bounds}")

    for seed, choose in ((7, _random_actions), (8, _extreme_actions)):
        kernel = _kernel(name, config, seed=seed, n_instances=256)
        _play(kernel, choose, np.random.default_rng(seed), label, on_step=within)


# ---------------------------------------------------------------------------- checkpoints
def check_checkpoint_roundtrip(name: str, **config: Any) -> None:
    """A kernel restored mid-game from its encoded ``state_dict`` continues identically.

    The state goes through the checkpoint encoding (:mod:`agora.engine.state_codec`: JSON plus
    ``.npz`` arrays, never pickles), so a kernel keeping a value checkpoints cannot store, or
    state outside its public attributes, fails here.
    """
    label = f"{name} {config}"
    a = _kernel(name, config, seed=9, n_instances=8)
    half = a.max_steps() // 2
    _play(a, _random_actions, np.random.default_rng(10), label, max_steps=half)
    b = _kernel(name, config, seed=11, n_instances=8)
    try:
        tree, arrays = encode_state(a.state_dict(), "kernel state")
    except StateEncodingError as exc:
        raise AssertionError(f"{label}: {exc}") from None
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    buf.seek(0)
    with np.load(buf, allow_pickle=False) as npz:
        stored = {k: npz[k] for k in npz.files}
    b.load_state_dict(decode_state(json.loads(json.dumps(tree)), stored))
    ra, rb = np.random.default_rng(12), np.random.default_rng(12)
    while not a.done.all():
        ia, pa = a.pending()
        ib, pb = b.pending()
        _check(np.array_equal(ia, ib) and np.array_equal(pa, pb),
               f"{label}: restored kernel has different pending agents")
        acts = _random_actions(a, ia, pa, ra)
        _check(np.array_equal(acts, _random_actions(b, ib, pb, rb)),
               f"{label}: restored kernel has different action specs")
        oa, ob = a.step(ia, pa, acts), b.step(ib, pb, acts)
        np.testing.assert_array_equal(oa.all_rewards, ob.all_rewards,
                                      err_msg=f"{label}: restored kernel pays differently")
        _check(set(oa.columns) == set(ob.columns),
               f"{label}: restored kernel records other columns")
        for col in oa.columns:
            np.testing.assert_array_equal(np.asarray(oa.columns[col]),
                                          np.asarray(ob.columns[col]),
                                          err_msg=f"{label}: column {col} differs after restore")
    _check(b.done.all(), f"{label}: restored kernel did not finish with the original")


# ---------------------------------------------------------------------------- runner
def _records(name: str, config: dict[str, Any], seed: int) -> Any:
    from agora.engine.runner import Runner
    from agora.policies.scripted import RandomPolicy

    return Runner(name, dict(config), policy=RandomPolicy(), n_instances=16, seed=seed,
                  progress=False).run().records


def check_seed_determinism(name: str, **config: Any) -> None:
    """Same seed, identical records; another seed, different records."""
    from polars.testing import assert_frame_equal

    label = f"{name} {config}"
    first, again, other = (_records(name, config, s) for s in (21, 21, 22))
    try:
        assert_frame_equal(first, again)
    except AssertionError as exc:
        raise AssertionError(f"{label}: same seed gave different records: {exc}") from None
    _check(not first.select("action").equals(other.select("action")),
           f"{label}: seeds 21 and 22 gave identical actions")


BASE_COLUMNS = ("run_id", "game", "instance", "round", "step", "agent", "role", "policy",
                "persona_id", "action", "reward")


def check_smoke_run(name: str, **config: Any) -> None:
    """A runner smoke run finishes with well-formed records."""
    from agora.engine.runner import Runner
    from agora.policies.scripted import RandomPolicy

    label = f"{name} {config}"
    runner = Runner(name, dict(config), policy=RandomPolicy(), n_instances=8, seed=0,
                    progress=False)
    result = runner.run()
    rec = result.records
    _check(runner.kernel.done.all(), f"{label}: runner stopped before the games ended")
    _check(rec.height > 0, f"{label}: no records")
    _check(tuple(rec.columns[:len(BASE_COLUMNS)]) == BASE_COLUMNS,
           f"{label}: records start with {rec.columns[:len(BASE_COLUMNS)]}, not {BASE_COLUMNS}")
    for col in BASE_COLUMNS:
        if col != "persona_id":
            _check(rec[col].null_count() == 0, f"{label}: nulls in record column {col}")
    _check(rec["game"].unique().to_list() == [name], f"{label}: wrong game column")
    _check(rec.select("instance", "step", "agent").is_unique().all(),
           f"{label}: an agent decided twice in one step")
    _check(set(rec["instance"].unique().to_list()) == set(range(8)),
           f"{label}: some instance never decided")
    steps = result.telemetry["steps"]
    _check(steps == rec["step"].max() + 1, f"{label}: {steps} steps but records end earlier")
    _check(steps <= runner.kernel.max_steps(), f"{label}: more steps than max_steps()")
