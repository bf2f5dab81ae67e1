"""Checks on JSON-schema constraints before they become grammars.

The grammar converter (:mod:`agora.llm.grammar`) reads only the keywords listed here; this
module checks that their values have the types the converter expects, that keywords are only
combined in ways the converter honours exactly (``allOf`` parts merge only when no keyword is
given twice; ``enum``/``const`` accept only ``type`` beside them; ``anyOf``/``oneOf``/``$ref``
accept only annotations beside them), so a schema the converter accepts is one whose every
grammar sentence is valid under it. Each failure is one line naming the keyword and place.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

ANNOTATIONS = frozenset({
    "title", "description", "default", "examples", "$schema", "$id", "$comment", "deprecated",
    "readOnly", "writeOnly", "$defs", "definitions",
})
"""Keywords that do not restrict a document (ignored by the converter)."""
STRUCTURAL = frozenset({
    "type", "enum", "const", "oneOf", "anyOf", "allOf", "$ref", "minimum", "maximum",
    "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength", "properties", "required",
    "additionalProperties", "items", "prefixItems", "minItems", "maxItems",
})
"""Keywords the converter enforces."""
TYPES = frozenset({"integer", "number", "string", "boolean", "null", "object", "array"})
_COUNTS = ("minLength", "maxLength", "minItems", "maxItems")
_BOUNDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
_LISTS = ("oneOf", "anyOf", "allOf", "prefixItems")
_TOGETHER = (("properties", "additionalProperties"), ("items", "prefixItems"))
"""Keywords whose meaning depends on each other: allOf may not split them between parts."""


class SchemaError(ValueError):
    """A JSON schema is malformed or combines keywords the converter cannot honour."""


def json_depth(value: Any) -> int:
    """Nesting depth of a JSON value (a scalar is 0, ``[]`` and ``{}`` are 1); no recursion."""
    depth, todo = 0, [(value, 1)]
    while todo:
        node, d = todo.pop()
        if isinstance(node, dict):
            items = node.values()
        elif isinstance(node, list | tuple):
            items = node
        else:
            continue
        depth = max(depth, d)
        todo.extend((v, d + 1) for v in items)
    return depth


def check_keywords(s: dict[str, Any], hint: str, max_length: int) -> None:
    """Raise :class:`SchemaError` if a keyword the converter reads has a value of the wrong type."""
    for key in _COUNTS:
        if key in s:
            v = s[key]
            if isinstance(v, float) and v.is_integer():
                v = int(v)
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise SchemaError(f"{key} at {hint!r} must be a non-negative integer, got {v!r}")
            if v > max_length:
                raise SchemaError(f"{key} at {hint!r} is {v}; at most {max_length} is supported")
    for key in _BOUNDS:
        v = s.get(key)
        if v is None or (key.startswith("exclusive") and isinstance(v, bool)):
            continue
        if isinstance(v, bool) or not isinstance(v, int | float) or not _finite(v):
            raise SchemaError(f"{key} at {hint!r} must be a finite number, got {v!r}")
    for key in _LISTS:
        if key in s and (not isinstance(s[key], list) or not s[key]):
            raise SchemaError(f"{key} at {hint!r} must be a non-empty list of schemas")
    if "enum" in s and (not isinstance(s["enum"], list) or not s["enum"]):
        raise SchemaError(f"enum at {hint!r} must be a non-empty list")
    if "properties" in s and not (isinstance(s["properties"], dict)
                                  and all(isinstance(k, str) for k in s["properties"])):
        raise SchemaError(f"properties at {hint!r} must be an object of schemas")
    req = s.get("required", [])
    if not (isinstance(req, list) and all(isinstance(k, str) for k in req)):
        raise SchemaError(f"required at {hint!r} must be a list of strings")
    if len(set(req)) != len(req):
        raise SchemaError(f"required at {hint!r} lists a key twice: {req}")
    typ = s.get("type")
    types = typ if isinstance(typ, list) else [typ] if typ is not None else []
    if (not types and typ is not None) or not all(isinstance(t, str) for t in types) or (
            len(set(types)) != len(types)):
        raise SchemaError(f"type at {hint!r} must be a type name or a list of distinct ones")
    for key in ("items", "additionalProperties"):
        if key in s and not isinstance(s[key], dict | bool):
            raise SchemaError(f"{key} at {hint!r} must be a schema (an object or a boolean)")
    if "$ref" in s and not isinstance(s["$ref"], str):
        raise SchemaError(f"$ref at {hint!r} must be a string")
    for key in ("$defs", "definitions"):
        if key in s and not isinstance(s[key], dict):
            raise SchemaError(f"{key} at {hint!r} must be an object of schemas")


def _finite(v: float) -> bool:
    try:
        return math.isfinite(v)
    except OverflowError:  # an int too large for a float
        return False


def check_combination(s: dict[str, Any], hint: str) -> None:
    """Refuse keywords beside ``$ref``/``anyOf``/``oneOf``/``enum``/``const`` that would be
    ignored (``allOf`` is merged before this check)."""
    given = [k for k in ("$ref", "const", "enum", "oneOf", "anyOf") if k in s]
    if not given:
        return
    if len(given) > 1:
        raise SchemaError(f"keywords {given} at {hint!r} cannot be combined; nest one inside "
                          "the other with allOf or anyOf alternatives")
    allowed = {given[0], "type"} if given[0] in ("const", "enum") else {given[0]}
    extra = sorted(set(s) & STRUCTURAL - allowed)
    if extra:
        raise SchemaError(f"{given[0]} at {hint!r} cannot be combined with {extra}; move them "
                          f"into the {given[0]} alternatives")


def merge_all_of(s: dict[str, Any], resolve: Callable[[Any], Any], hint: str) -> dict[str, Any]:
    """One schema equivalent to ``s`` with its ``allOf`` parts merged in.

    Exact when no structural keyword appears in two parts with different values (the merged
    schema then asserts each keyword of each part), which is the only case accepted.
    """
    parts = [resolve(p) for p in s["allOf"]]
    parts.append({k: v for k, v in s.items() if k != "allOf"})
    merged: dict[str, Any] = {}
    origin: dict[str, set[int]] = {}
    for n, part in enumerate(parts):
        if part is True:
            continue
        if not isinstance(part, dict):
            raise SchemaError(f"allOf part {n} at {hint!r} must be a schema object")
        for key, value in part.items():
            if key in ANNOTATIONS:
                merged.setdefault(key, value)
            elif key == "required" and isinstance(value, list) and key in merged:
                merged[key] = list(dict.fromkeys([*merged[key], *value]))  # all are required
            elif (key == "properties" and key in merged and isinstance(value, dict)
                  and all(merged[key].get(k, v) == v for k, v in value.items())):
                merged[key] = {**merged[key], **value}  # each part's keys keep their schema
            elif key in merged and merged[key] != value:
                raise SchemaError(f"allOf at {hint!r} gives {key!r} twice with different values;"
                                  " combining them is not supported")
            else:
                merged.setdefault(key, value)
            origin.setdefault(key, set()).add(n)
    for a, b in _TOGETHER:
        if a in origin and b in origin and len(origin[a] | origin[b]) > 1:
            raise SchemaError(f"allOf at {hint!r} splits {a!r} and {b!r} between parts; "
                              "give them in the same schema")
    return merged


def matches_type(value: Any, typ: str) -> bool:
    """Whether the JSON value ``value`` has JSON-schema type ``typ``."""
    if typ == "integer":
        return (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, float) and value.is_integer())
    if typ == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    kinds = {"string": str, "boolean": bool, "null": type(None), "object": dict, "array": list}
    return isinstance(value, kinds[typ])


def typed_values(values: list[Any], typ: Any, hint: str) -> list[Any]:
    """The enum/const ``values`` that also satisfy a sibling ``type`` keyword."""
    if typ is None:
        return values
    types = typ if isinstance(typ, list) else [typ]
    unknown = [t for t in types if t not in TYPES]
    if unknown:
        raise SchemaError(f"JSON schema type {unknown[0]!r} at {hint!r} is not supported")
    kept = [v for v in values if any(matches_type(v, t) for t in types)]
    if not kept:
        raise SchemaError(f"schema at {hint!r} admits no value: no enum/const value has "
                          f"type {typ}")
    return kept
