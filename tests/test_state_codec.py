"""The checkpoint state encoding: exactly the supported types round trip, nothing else does."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import agora
from agora.engine.kernel import GameKernel
from agora.engine.registry import make_config, make_kernel
from agora.engine.state_codec import StateEncodingError, decode_state, encode_state
from agora.engine.streams import Streams
from agora.testing import _random_actions, conformance_configs


def _roundtrip(state: Any) -> Any:
    tree, arrays = encode_state(state)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    buf.seek(0)
    with np.load(buf, allow_pickle=False) as npz:
        stored = {k: npz[k] for k in npz.files}
    return decode_state(json.loads(json.dumps(tree, allow_nan=False)), stored)


def _same(a: Any, b: Any) -> None:
    assert type(a) is type(b), (a, b)
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape
        if a.dtype == object:
            for x, y in zip(a.reshape(-1), b.reshape(-1), strict=True):
                _same(x, y)
        else:
            np.testing.assert_array_equal(a, b)
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            _same(a[k], b[k])
    elif isinstance(a, list | tuple):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            _same(x, y)
    elif isinstance(a, float) and math.isnan(a):
        assert math.isnan(b)
    elif isinstance(a, Streams):
        np.testing.assert_array_equal(a.random(), b.random())
    else:
        assert a == b and (not isinstance(a, float) or math.copysign(1, a) == math.copysign(1, b))


def test_supported_types_round_trip_with_their_types() -> None:
    obj = np.full((2, 3), "", dtype=object)
    obj[0, 1], obj[1, 0], obj[1, 2] = None, {"price": 0.5, "n": 3}, np.float64(2.5)
    state = {
        "none": None, "flag": True, "n": 2**70, "x": -0.0, "nan": float("nan"),
        "inf": float("inf"), "ninf": -float("inf"), "s": "héllo <|im_end|>",
        "list": [1, 2.0, "3"], "tuple": (1, (2, "x")), 7: "int key",
        "f64": np.arange(6.0).reshape(2, 3), "i64": np.arange(4), "u64": np.arange(3, dtype="u8"),
        "bool": np.array([True, False]), "f32": np.float32(1.5), "i8": np.int8(-3),
        "bool_scalar": np.bool_(True), "str_arr": np.array(["a", "bc"]), "obj": obj,
        "empty": np.zeros((0, 4)), "periods": {"wage": np.full((2, 1, 3), np.nan)},
    }
    _same(_roundtrip(state), state)


def test_streams_keep_their_counters_and_subsets() -> None:
    s = Streams(2**64 - 5, np.arange(5))
    s.random()
    copy = _roundtrip(s)
    np.testing.assert_array_equal(copy.normal(), s.normal())
    sub = s.subset([1, 3])
    sub.random()
    copy_sub = _roundtrip(sub)  # a subset keeps its parent's counters and its positions
    np.testing.assert_array_equal(copy_sub.random(), sub.random())


@pytest.mark.parametrize(("value", "where"), [
    ({1, 2}, "state['a']"),
    (object(), "state['a']"),
    ({(1, 2): 3}, "state['a']: key (1, 2)"),
    (np.array([object()], dtype=object), "state['a'][0]"),
    (np.zeros(2, dtype="datetime64[s]"), "numpy dtype datetime64"),
    (np.zeros(2, dtype=[("a", "f8")]), "numpy dtype"),
    ([np.float64, 1], "state['a'][0]"),
])
def test_unsupported_values_are_refused_in_one_line(value: Any, where: str) -> None:
    with pytest.raises(StateEncodingError, match="cannot checkpoint") as info:
        encode_state({"a": value})
    assert where in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize(("tree", "arrays", "match"), [
    ({"t": "pickle", "v": "x"}, {}, "unknown tag 'pickle'"),
    ({"t": "ndarray", "ref": "a0", "dtype": "<f8", "shape": [2]}, {}, "missing"),
    ({"t": "ndarray", "ref": "a0", "dtype": "<i8", "shape": [2]}, {"a0": np.zeros(2)},
     "dtype"),
    ({"t": "ndarray", "ref": "a0", "dtype": "<f8", "shape": [3]}, {"a0": np.zeros(2)},
     "shape"),
    ({"t": "objarray", "shape": [3], "items": [1]}, {}, "1 items"),
    ({"t": "dict", "keys": [[1]], "values": [1]}, {}, "keys"),
    ({"t": "float", "v": "1e999"}, {}, "bad float"),
    ({"t": "streams", "key": "-1", "rows": None, "counts": None, "pos": None}, {}, "key"),
    ({"a": 1}, {}, "unexpected dict"),
])
def test_malformed_trees_raise_value_error(tree: Any, arrays: dict[str, np.ndarray],
                                           match: str) -> None:
    with pytest.raises(ValueError, match=match):
        decode_state(tree, arrays)


def _kernel(game: str, config: dict[str, Any], seed: int) -> GameKernel:
    return make_kernel(game, make_config(game, **config), 3, np.random.default_rng(seed))


GAMES = [(g, c) for g in agora.list_games() for c in conformance_configs(g)]


@pytest.mark.parametrize(("game", "config"), GAMES)
def test_every_game_state_encodes_mid_game(game: str, config: dict[str, Any]) -> None:
    kernel, fresh = _kernel(game, config, 1), _kernel(game, config, 2)
    rng = np.random.default_rng(0)
    for _ in range(2):
        if kernel.done.all():
            break
        inst, players = kernel.pending()
        kernel.step(inst, players, _random_actions(kernel, inst, players, rng))
    fresh.load_state_dict(_roundtrip(kernel.state_dict()))
    _same(fresh.state_dict(), kernel.state_dict())


def test_kernel_refuses_foreign_state() -> None:
    kernel = _kernel("p_beauty", {}, 0)
    state = kernel.state_dict()
    with pytest.raises(ValueError, match="keys"):
        kernel.load_state_dict({**state, "act": "x"})
    with pytest.raises(ValueError, match="'guesses' has dtype int64"):
        kernel.load_state_dict({**state, "guesses": np.zeros((2, 1, 10), dtype=np.int64)})
    with pytest.raises(ValueError, match="'rng' is a list"):
        kernel.load_state_dict({**state, "rng": []})


def test_deeply_nested_checkpoint_is_corrupt_not_a_crash(tmp_path: Path) -> None:
    import hashlib
    import sys

    from agora.engine.checkpoint import load_checkpoint
    from agora.engine.rundir import CorruptRunError, compact_checked_json

    tree: Any = 1
    for _ in range(5000):
        tree = {"t": "tuple", "items": [tree]}
    (tmp_path / "manifest.json").write_text("{}")
    np.savez(tmp_path / "checkpoint-0.npz")
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(100_000)
    try:
        data = compact_checked_json({
            "format_version": 2, "state_format": 1, "fingerprint": "x", "completed_steps": 0,
            "elapsed_s": 0.0, "state": tree, "parts": {}, "prompts": None,
            "arrays": {"file": "checkpoint-0.npz", "sha256": hashlib.sha256(
                (tmp_path / "checkpoint-0.npz").read_bytes()).hexdigest()},
            "manifest_sha256": hashlib.sha256(b"{}").hexdigest()})
    finally:
        sys.setrecursionlimit(limit)
    (tmp_path / "checkpoint.json").write_bytes(data)
    with pytest.raises(CorruptRunError, match=r"checkpoint\.json"):
        load_checkpoint(tmp_path)
