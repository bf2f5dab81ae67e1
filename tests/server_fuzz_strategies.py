"""Hypothesis strategies for fuzzing the policy server: JSON schemas and chat request bodies.

Schemas mix what the grammar converter supports (so many requests are served and their answers
can be checked) with what it must refuse (unknown keywords, wrong value types, conflicting
combinations, huge sizes, deep nesting). Bodies mix valid and invalid values of every field.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

SMALL_INT = st.integers(-5, 5)
TEXT = st.text(max_size=12)
JSON_SCALAR = st.one_of(st.none(), st.booleans(), st.integers(-100, 100),
                        st.floats(-1e3, 1e3, allow_nan=False), TEXT)
JSON_VALUE = st.recursive(JSON_SCALAR, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(TEXT, inner, max_size=3)), max_leaves=8)
WEIRD = st.one_of(st.just(None), st.just(-1), st.just(10**9), st.just("x"), st.just([]),
                  st.just({}), st.just(1.5), st.just(True), st.just(float("inf")))


def _bounded(draw: st.DrawFn, keys: tuple[str, ...], values: st.SearchStrategy[Any]) -> dict:
    out = {}
    for k in keys:
        if draw(st.integers(0, 3)) == 0:
            out[k] = draw(values)
    return out


@st.composite
def leaf_schema(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["integer", "number", "string", "boolean", "null", "enum",
                                 "const", "any", "typelist"]))
    if kind == "integer":
        return {"type": "integer", **_bounded(draw, ("minimum", "maximum", "exclusiveMinimum",
                                                     "exclusiveMaximum"), st.integers(-50, 50))}
    if kind == "number":
        return {"type": "number", **_bounded(draw, ("minimum", "maximum", "exclusiveMaximum"),
                                             st.floats(-50, 50, allow_nan=False))}
    if kind == "string":
        return {"type": "string", **_bounded(draw, ("minLength", "maxLength"),
                                             st.integers(0, 6))}
    if kind == "enum":
        s: dict[str, Any] = {"enum": draw(st.lists(JSON_SCALAR, min_size=1, max_size=4))}
        if draw(st.booleans()):
            s["type"] = draw(st.sampled_from(["string", "integer", "number", "boolean"]))
        return s
    if kind == "const":
        return {"const": draw(JSON_VALUE)}
    if kind == "any":
        return draw(st.sampled_from([{}, {"description": "anything"}]))
    if kind == "typelist":
        return {"type": draw(st.lists(st.sampled_from(["string", "integer", "null", "boolean"]),
                                      min_size=1, max_size=3, unique=True))}
    return {"type": kind}


def _combine(inner: st.SearchStrategy[dict]) -> st.SearchStrategy[dict]:
    names = st.text(alphabet="abcxyz_<|>", min_size=1, max_size=4)

    @st.composite
    def obj(draw: st.DrawFn) -> dict[str, Any]:
        props = draw(st.dictionaries(names, inner, max_size=3))
        s: dict[str, Any] = {"type": "object", "properties": props}
        if props:
            s["required"] = draw(st.lists(st.sampled_from(sorted(props)), unique=True))
        if draw(st.integers(0, 3)) == 0:
            s["additionalProperties"] = draw(st.one_of(st.booleans(), inner))
        if not props and draw(st.booleans()):
            del s["properties"]
        return s

    @st.composite
    def arr(draw: st.DrawFn) -> dict[str, Any]:
        s: dict[str, Any] = {"type": "array", "items": draw(inner)}
        s.update(_bounded(draw, ("minItems", "maxItems"), st.integers(0, 3)))
        if draw(st.integers(0, 3)) == 0:
            s["prefixItems"] = draw(st.lists(inner, min_size=1, max_size=2))
        return s

    @st.composite
    def composed(draw: st.DrawFn) -> dict[str, Any]:
        key = draw(st.sampled_from(["anyOf", "oneOf", "allOf"]))
        s: dict[str, Any] = {key: draw(st.lists(inner, min_size=1, max_size=3))}
        if draw(st.integers(0, 3)) == 0:  # siblings: merged (allOf) or refused (anyOf, oneOf)
            s.update(draw(inner))
        return s

    @st.composite
    def ref(draw: st.DrawFn) -> dict[str, Any]:
        return {"$defs": {"d": draw(inner)}, "$ref": draw(st.sampled_from(
            ["#/$defs/d"] * 6 + ["#/$defs/zz", "#", "http://x/y"]))}

    return st.one_of(obj(), arr(), composed(), ref())


SUPPORTED_SCHEMA = st.recursive(leaf_schema(), _combine, max_leaves=6)


@st.composite
def mutated_schema(draw: st.DrawFn) -> Any:
    """A schema, often broken: unknown keywords, wrong value types, odd shapes."""
    s = draw(SUPPORTED_SCHEMA)
    how = draw(st.integers(0, 14))
    if how == 0:
        s[draw(st.sampled_from(["pattern", "format", "multipleOf", "not", "if", "foo"]))] = "x"
    elif how == 1:
        s[draw(st.sampled_from(["minLength", "maxLength", "minItems", "maxItems", "minimum",
                                "required", "properties", "items", "type", "enum", "$ref",
                                "allOf", "anyOf", "additionalProperties"]))] = draw(WEIRD)
    elif how == 2:
        return draw(JSON_VALUE)
    elif how == 3:
        deep: dict[str, Any] = s
        for _ in range(draw(st.integers(20, 45))):
            deep = {"type": "array", "items": deep}
        return deep
    return s


@st.composite
def chat_body(draw: st.DrawFn) -> dict[str, Any]:
    """A ``/v1/chat/completions`` body: mostly valid, any field may be off."""
    role = st.sampled_from(["user", "user", "system", "assistant", "developer", "tool", 7])
    content = st.one_of(st.text(max_size=40), st.just([{"type": "text", "text": "hi"}]),
                        st.just([{"type": "image_url"}]), st.none(), st.integers())
    msgs = draw(st.lists(st.fixed_dictionaries({"role": role, "content": content}),
                         min_size=0, max_size=3))
    hostile = draw(st.integers(0, 2)) == 1  # else every field is valid (many get served)
    if not hostile:
        msgs = [{"role": "user", "content": draw(st.text(max_size=40))}]
    max_tokens = st.integers(1, 6)
    if hostile and draw(st.booleans()):
        max_tokens = st.sampled_from([0, -3, 10**9, 10**30])
    body: dict[str, Any] = {"messages": msgs, "max_tokens": draw(max_tokens)}
    optional = {  # mostly valid values
        "temperature": st.one_of(st.just(0), st.floats(0.001, 2)),
        "top_p": st.floats(0.01, 1),
        "seed": st.integers(-(2**40), 2**40),
        "stop": st.one_of(st.text(min_size=1, max_size=3),
                          st.lists(st.text(min_size=1, max_size=3), max_size=3)),
        "logprobs": st.booleans(),
        "top_logprobs": st.integers(0, 5),
        "model": TEXT,
    }
    for key, strategy in optional.items():
        if draw(st.integers(0, 4)) == 0:
            body[key] = draw(strategy)
    invalid = {  # out of range or unsupported
        "temperature": st.sampled_from([1e-300, -1.0, float("nan"), float("inf")]),
        "top_p": st.sampled_from([0.0, 1.5, -1]), "top_logprobs": st.integers(-3, 40),
        "stop": st.sampled_from(["", [""], ["a"] * 20, [1]]), "n": st.integers(0, 3),
        "stream": st.booleans(), "presence_penalty": st.floats(-1, 1), "tools": st.just([]),
        "seed": st.sampled_from(["x", 1.5, 10**40]),
    }
    if hostile and draw(st.booleans()):
        key = draw(st.sampled_from(sorted(invalid)))
        body[key] = draw(invalid[key])
    kind = draw(st.integers(0, 9))
    if not hostile:
        if kind <= 5:
            body["response_format"] = {"type": "json_schema", "json_schema": {
                "name": "s", "schema": draw(SUPPORTED_SCHEMA)}}
        elif kind == 6:
            body["structured_outputs"] = {"choice": draw(st.lists(
                st.text(min_size=1, max_size=5), min_size=1, max_size=4, unique=True))}
        elif kind == 7:
            body["structured_outputs"] = {"regex": draw(st.sampled_from(
                [r"[0-9]{1,3}", r"(yes|no)", r"\d+\.\d", r"(((a)))b?", r"[A-Z]{2}-\w"]))}
        elif kind == 8:
            body["response_format"] = {"type": "json_object"}
        return body
    if kind <= 4:
        schema = draw(mutated_schema())
        body["response_format"] = {"type": "json_schema",
                                   "json_schema": {"name": "s", "schema": schema}}
    elif kind == 5:
        body["structured_outputs"] = {"choice": draw(st.one_of(
            st.lists(st.text(min_size=0, max_size=5), max_size=4), st.just("ab")))}
    elif kind == 6:
        body["structured_outputs"] = {"regex": draw(st.one_of(
            st.sampled_from([r"[0-9]{1,3}", r"(yes|no)", r"a{2000}", r"(?=a)", r"\d+\.\d",
                             r"[", r"(((a)))", "x" * 50]), st.text(max_size=8)))}
    elif kind == 7:
        body["structured_outputs"] = {"grammar": draw(st.one_of(
            st.sampled_from(['root ::= "a" | "b"', "root ::= [0-9]+", "root ::= x",
                             'root ::= ("a")' + "{5000}", "x ::= 1", 'root ::= "<|im_end|>"',
                             "root ::= " + "(" * 40 + '"a"' + ")" * 40, "root ::= root",
                             "root ::= [^\\x00-\\U0010FFFF]"]), st.text(max_size=12)))}
    elif kind == 8:
        body["response_format"] = draw(st.one_of(
            st.just({"type": "json_object"}), st.just({"type": "text"}),
            st.just({"type": "xml"}), st.just({"type": "json_schema", "json_schema": 3})))
    return body


def oneof_as_anyof(schema: Any) -> Any:
    """``schema`` with ``oneOf`` read as ``anyOf``, as agora enforces it (documented)."""
    if isinstance(schema, dict):
        return {("anyOf" if k == "oneOf" else k): oneof_as_anyof(v) for k, v in schema.items()}
    if isinstance(schema, list):
        return [oneof_as_anyof(v) for v in schema]
    return schema
