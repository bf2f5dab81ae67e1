"""Typed, versioned encoding of kernel and policy state: JSON plus plain numpy arrays.

Checkpoints must never execute code when read, so state is not pickled. :func:`encode_state`
turns a state tree into a JSON-able tree and a dict of numeric arrays (stored as ``.npz`` and
read back with ``allow_pickle=False``); :func:`decode_state` inverts it. Exactly these types are
supported, anything else is refused with one line naming where it sits in the tree:

* ``None``, ``bool``, ``int``, ``float`` (NaN and infinities included), ``str``;
* ``list``, ``tuple`` and ``dict`` with ``str`` or ``int`` keys, of supported values;
* numpy scalars and arrays of booleans, integers, floats, complex numbers or fixed-width
  strings (stored in the ``.npz``);
* numpy ``object`` arrays whose elements are supported values (stored in the JSON, each element
  with its type);
* :class:`~agora.engine.streams.Streams` (key, rows and draw counters).

Every non-scalar JSON node is an object tagged with ``"t"``, so a plain JSON dict never stands
for anything but itself, and decoding a tampered tree raises :class:`ValueError` (never builds
anything but the types above).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from agora.engine.streams import Streams

STATE_FORMAT_VERSION = 1
"""Version of the tagged tree below; a checkpoint with another version is refused."""

_ARRAY_KINDS = frozenset("biufcUS")
"""numpy dtype kinds an ``.npz`` holds without pickling."""

_SUPPORTED = ("None, bool, int, float, str, list, tuple, dict with str/int keys, numpy "
              "scalars and arrays (numeric, bool, str, or object arrays of these), agora Streams")


class StateEncodingError(TypeError):
    """A state holds a value the checkpoint format cannot store."""


def encode_state(state: Any, where: str = "state") -> tuple[Any, dict[str, np.ndarray]]:
    """``(tree, arrays)``: a JSON-able tree and the arrays it refers to by name."""
    arrays: dict[str, np.ndarray] = {}
    return _enc(state, where, arrays), arrays


def decode_state(tree: Any, arrays: dict[str, np.ndarray], where: str = "state") -> Any:
    """The state :func:`encode_state` encoded; :class:`ValueError` on a malformed tree."""
    return _dec(tree, where, arrays)


# ---------------------------------------------------------------------------- encoding
def _float(x: float) -> Any:
    if math.isfinite(x):
        return x
    return {"t": "float", "v": "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")}


def _array_ref(arr: np.ndarray, arrays: dict[str, np.ndarray]) -> str:
    name = f"a{len(arrays)}"
    arrays[name] = np.ascontiguousarray(arr)
    return name


def _enc(obj: Any, where: str, arrays: dict[str, np.ndarray]) -> Any:
    if obj is None or isinstance(obj, str) or type(obj) is bool:
        return obj
    if type(obj) is int:
        return obj
    if type(obj) is float:
        return _float(obj)
    if type(obj) is list:
        return [_enc(v, f"{where}[{i}]", arrays) for i, v in enumerate(obj)]
    if type(obj) is tuple:
        return {"t": "tuple", "items": [_enc(v, f"{where}[{i}]", arrays)
                                        for i, v in enumerate(obj)]}
    if type(obj) is dict:
        keys = []
        for k in obj:
            if not (type(k) is str or type(k) is int):
                raise StateEncodingError(f"cannot checkpoint {where}: key {k!r} of type "
                                         f"{type(k).__name__} (keys must be str or int)")
            keys.append(k)
        return {"t": "dict", "keys": keys,
                "values": [_enc(obj[k], f"{where}[{k!r}]", arrays) for k in keys]}
    if isinstance(obj, np.ndarray) and type(obj) is np.ndarray:
        if obj.dtype == object:
            return {"t": "objarray", "shape": list(obj.shape),
                    "items": [v if v is None or type(v) is str  # the common case, fast
                              else _enc(v, f"{where}[{i}]", arrays)
                              for i, v in enumerate(obj.reshape(-1).tolist())]}
        if obj.dtype.kind not in _ARRAY_KINDS or obj.dtype.fields is not None:
            raise StateEncodingError(f"cannot checkpoint {where}: numpy dtype {obj.dtype} "
                                     f"(supported: {_SUPPORTED})")
        return {"t": "ndarray", "ref": _array_ref(obj, arrays), "dtype": obj.dtype.str,
                "shape": list(obj.shape)}
    if isinstance(obj, np.generic) and obj.dtype.kind in _ARRAY_KINDS:
        return {"t": "scalar", "dtype": obj.dtype.str,
                "ref": _array_ref(np.asarray(obj).reshape(1), arrays)}
    if type(obj) is Streams:
        state = obj.__getstate__()
        return {"t": "streams", "key": str(state["key"]),
                "rows": _enc(state["rows"], f"{where}.rows", arrays),
                "counts": _enc(state["counts"], f"{where}.counts", arrays),
                "pos": _enc(state["pos"], f"{where}.pos", arrays)}
    raise StateEncodingError(f"cannot checkpoint {where}: type {type(obj).__module__}."
                             f"{type(obj).__qualname__} is not supported ({_SUPPORTED})")


# ---------------------------------------------------------------------------- decoding
def _fail(where: str, what: str) -> ValueError:
    return ValueError(f"malformed checkpoint state at {where}: {what}")


def _dec(node: Any, where: str, arrays: dict[str, np.ndarray]) -> Any:
    if node is None or isinstance(node, str | bool | int):
        return node
    if isinstance(node, float):
        return node
    if isinstance(node, list):
        return [_dec(v, f"{where}[{i}]", arrays) for i, v in enumerate(node)]
    if not isinstance(node, dict) or not isinstance(node.get("t"), str):
        raise _fail(where, f"unexpected {type(node).__name__}")
    tag = node["t"]
    handler = _DECODERS.get(tag)
    if handler is None:
        raise _fail(where, f"unknown tag {tag!r}")
    try:
        return handler(node, where, arrays)
    except (KeyError, TypeError) as exc:
        raise _fail(where, f"bad {tag} node ({exc})") from None


def _dec_float(node: dict[str, Any], where: str, arrays: dict[str, np.ndarray]) -> float:
    v = node["v"]
    if v not in ("nan", "inf", "-inf"):
        raise _fail(where, f"bad float {v!r}")
    return float(v)


def _dec_tuple(node: dict[str, Any], where: str, arrays: dict[str, np.ndarray]) -> tuple[Any, ...]:
    return tuple(_dec(v, f"{where}[{i}]", arrays) for i, v in enumerate(_list(node["items"])))


def _dec_dict(node: dict[str, Any], where: str, arrays: dict[str, np.ndarray]) -> dict[Any, Any]:
    keys, values = _list(node["keys"]), _list(node["values"])
    if len(keys) != len(values) or not all(isinstance(k, str | int) and not isinstance(k, bool)
                                           for k in keys):
        raise _fail(where, "dict keys must be str or int, one per value")
    return {k: _dec(v, f"{where}[{k!r}]", arrays) for k, v in zip(keys, values, strict=True)}


def _shape(node: dict[str, Any], where: str) -> tuple[int, ...]:
    shape = _list(node["shape"])
    if not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in shape):
        raise _fail(where, f"bad shape {shape!r}")
    return tuple(shape)


def _dec_objarray(node: dict[str, Any], where: str,
                  arrays: dict[str, np.ndarray]) -> np.ndarray:
    shape = _shape(node, where)
    items = _list(node["items"])
    if len(items) != math.prod(shape):
        raise _fail(where, f"{len(items)} items for shape {shape}")
    out = np.empty(len(items), dtype=object)
    for i, v in enumerate(items):
        out[i] = v if v is None or type(v) is str else _dec(v, f"{where}[{i}]", arrays)
    return out.reshape(shape)


def _ref(node: dict[str, Any], where: str, arrays: dict[str, np.ndarray]) -> np.ndarray:
    ref = node["ref"]
    if not isinstance(ref, str) or ref not in arrays:
        raise _fail(where, f"array {ref!r} is missing from the checkpoint arrays")
    arr = arrays[ref]
    if arr.dtype.str != node["dtype"]:
        raise _fail(where, f"array {ref} has dtype {arr.dtype.str}, expected {node['dtype']}")
    return arr


def _dec_ndarray(node: dict[str, Any], where: str, arrays: dict[str, np.ndarray]) -> np.ndarray:
    arr = _ref(node, where, arrays)
    if arr.shape != _shape(node, where):
        raise _fail(where, f"array {node['ref']} has shape {arr.shape}, expected {node['shape']}")
    return arr


def _dec_scalar(node: dict[str, Any], where: str, arrays: dict[str, np.ndarray]) -> np.generic:
    arr = _ref(node, where, arrays)
    if arr.shape != (1,):
        raise _fail(where, f"scalar {node['ref']} has shape {arr.shape}")
    return arr[0]


def _dec_streams(node: dict[str, Any], where: str, arrays: dict[str, np.ndarray]) -> Streams:
    key = node["key"]
    if not isinstance(key, str) or not key.isdigit() or int(key) >= 1 << 64:
        raise _fail(where, f"bad stream key {key!r}")
    rows = _dec(node["rows"], f"{where}.rows", arrays)
    counts = _dec(node["counts"], f"{where}.counts", arrays)
    pos = _dec(node["pos"], f"{where}.pos", arrays)
    for name, arr in (("rows", rows), ("counts", counts)):
        if not isinstance(arr, np.ndarray) or arr.dtype != np.uint64 or arr.ndim != 1:
            raise _fail(where, f"stream {name} must be a 1-d uint64 array")
    if pos is not None and (not isinstance(pos, np.ndarray) or pos.dtype.kind != "i"
                            or pos.shape != rows.shape or np.any(pos < 0)
                            or np.any(pos >= counts.size)):
        raise _fail(where, "stream positions must index the counters")
    if pos is None and counts.shape != rows.shape:
        raise _fail(where, "stream counters must match the rows")
    out = Streams.__new__(Streams)
    out.__setstate__({"key": int(key), "rows": rows, "counts": counts, "pos": pos})
    return out


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise TypeError(f"expected a list, got {type(value).__name__}")
    return value


_DECODERS = {"float": _dec_float, "tuple": _dec_tuple, "dict": _dec_dict,
             "objarray": _dec_objarray, "ndarray": _dec_ndarray, "scalar": _dec_scalar,
             "streams": _dec_streams}
