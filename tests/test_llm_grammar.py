"""GBNF generation: exact integer/decimal ranges, JSON schemas, choices and regexes.

Grammars are checked with an independent matcher: non-recursive GBNF is translated to a Python
regular expression here (not with agora code) and strings are tested against it. The llama.cpp
grammar engine itself is exercised in ``test_llm_llamacpp.py``.
"""

from __future__ import annotations

import json
import re
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agora.llm.gbnf import RuleSet, decimal_range, integer_range
from agora.llm.grammar import choices_to_gbnf, constraint_to_gbnf, json_schema_to_gbnf
from agora.llm.llamacpp.fast_forward import forced_prefix, is_final
from agora.llm.regex_gbnf import regex_to_gbnf
from agora.llm.types import Constraint

# ---------------------------------------------------------------- independent GBNF matcher
_TOKEN = re.compile(r'\s*(?:("(?:[^"\\]|\\.)*")|(\[(?:[^\]\\]|\\.)*\])|([A-Za-z0-9-]+)|'
                    r"(\{\d*,?\d*\})|([()|?*+]))")


def _decode_literal(lit: str) -> str:
    simple = {"n": "\n", "t": "\t", "r": "\r"}

    def unescape(m: re.Match[str]) -> str:
        esc = m.group(1)
        if esc in simple:
            return simple[esc]
        if esc[0] in "xuU" and len(esc) > 1:
            return chr(int(esc[1:], 16))
        return esc

    return re.sub(r"\\(x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)", unescape, lit[1:-1])


def gbnf_to_regex(grammar: str) -> re.Pattern[str]:
    """Compile a non-recursive GBNF grammar into an equivalent Python regex."""
    rules = {}
    for line in grammar.strip().split("\n"):
        name, _, body = line.partition("::=")
        rules[name.strip()] = body.strip()

    def expand(name: str, stack: tuple[str, ...]) -> str:
        if name in stack:
            raise ValueError(f"recursive rule {name}")
        out, body, pos = [], rules[name], 0
        while pos < len(body.rstrip()):
            m = _TOKEN.match(body, pos)
            assert m, f"cannot parse {body[pos:]!r}"
            pos = m.end()
            lit, cls, ref, rep, op = m.groups()
            if lit is not None:
                out.append(re.escape(_decode_literal(lit)))
            elif cls is not None:
                out.append(cls)
            elif ref is not None:
                out.append("(?:" + expand(ref, (*stack, name)) + ")")
            elif rep is not None:
                out.append(rep)
            elif op == "(":
                out.append("(?:")
            else:
                out.append(op)
        return "".join(out)

    return re.compile(expand("root", ()), re.DOTALL)


def _accepts(grammar: str, text: str) -> bool:
    return gbnf_to_regex(grammar).fullmatch(text) is not None


# ---------------------------------------------------------------- integer ranges
@settings(max_examples=150, deadline=None)
@given(lo=st.integers(-1500, 1500), width=st.integers(0, 1300),
       probes=st.lists(st.integers(-10**6, 10**6), max_size=20))
def test_integer_range_accepts_exactly_the_range(lo: int, width: int, probes: list[int]) -> None:
    hi = lo + width
    pattern = gbnf_to_regex(RuleSet().render(integer_range(lo, hi)))
    for x in [*range(lo - 25, lo + 25), *range(hi - 25, hi + 25), *probes]:
        assert (pattern.fullmatch(str(x)) is not None) == (lo <= x <= hi), (lo, hi, x)
    for bad in ("-0", "00", "01", "+1", "1.0", " 1", "1e2", ""):
        assert pattern.fullmatch(bad) is None or bad.lstrip("+") == str(int(bad or 1))


def test_integer_range_small_cases_and_errors() -> None:
    g = RuleSet().render(integer_range(0, 100))
    assert [x for x in range(-5, 120) if _accepts(g, str(x))] == list(range(101))
    assert not _accepts(g, "007") and not _accepts(g, "-0")
    with pytest.raises(ValueError, match="empty"):
        integer_range(3, 2)


@settings(max_examples=80, deadline=None)
@given(lo=st.integers(-3000, 3000), width=st.integers(0, 4000),
       x=st.integers(-8000, 8000), digits=st.integers(0, 3))
def test_decimal_range_is_exact_on_its_grid(lo: int, width: int, x: int, digits: int) -> None:
    flo, fhi = Fraction(lo, 100), Fraction(lo + width, 100)
    pattern = gbnf_to_regex(RuleSet().render(decimal_range(flo, fhi, frac_digits=3)))
    value = Fraction(x, 100)
    text = f"{float(value):.{digits}f}" if digits else str(x // 100)
    parsed = Fraction(text)
    if text.startswith("-") and parsed == 0:
        assert pattern.fullmatch(text) is None  # "-0", "-0.00" are never produced
        return
    assert (pattern.fullmatch(text) is not None) == (flo <= parsed <= fhi), (flo, fhi, text)


def test_decimal_range_exclusive_bounds() -> None:
    g = RuleSet().render(decimal_range(Fraction(0), Fraction(1), lo_exclusive=True,
                                       hi_exclusive=True, frac_digits=1))
    assert not _accepts(g, "0") and not _accepts(g, "0.0") and not _accepts(g, "1")
    assert _accepts(g, "0.1") and _accepts(g, "0.9") and not _accepts(g, "1.0")


# ---------------------------------------------------------------- JSON schemas
GUESS = {"type": "object", "properties": {"guess": {"type": "integer", "minimum": 0,
                                                    "maximum": 100}},
         "required": ["guess"], "additionalProperties": False}


def test_guess_schema_accepts_exactly_canonical_in_range_objects() -> None:
    g = json_schema_to_gbnf(GUESS)
    ok = [x for x in range(-20, 130) if _accepts(g, json.dumps({"guess": x}))]
    assert ok == list(range(101))
    for bad in ('{"guess":5}', '{ "guess": 5 }', '{"guess": 5, "x": 1}', '{"guess": "5"}',
                '{"guess": 5.0}', '{}', '{"guess": 5}\n'):
        assert not _accepts(g, bad), bad


def test_schema_with_optional_enum_string_bool_and_number() -> None:
    schema = {"type": "object", "properties": {
        "price": {"type": "number", "minimum": 0.5, "exclusiveMaximum": 10},
        "note": {"type": "string", "maxLength": 5},
        "ok": {"type": "boolean"},
        "side": {"enum": ["buy", "sell", 3]}},
        "required": ["price"]}
    g = json_schema_to_gbnf(schema)
    good = [{"price": 0.5}, {"price": 9.999, "ok": True}, {"price": 3, "note": "hi\"", "side": 3},
            {"price": 1.25, "note": "abcde", "ok": False, "side": "sell"}]
    for doc in good:
        assert _accepts(g, json.dumps(doc)), doc
    bad = [{"price": 0.4}, {"price": 10}, {"price": 1, "note": "abcdef"}, {"ok": True},
           {"price": 1, "side": "hold"}, {"ok": True, "price": 1}]
    for doc in bad:
        assert not _accepts(g, json.dumps(doc)), doc


def test_one_of_objects_refs_and_arrays() -> None:
    schema = {"$defs": {"Offer": {"type": "object", "properties": {
        "offer": {"type": "integer", "minimum": 0, "maximum": 10}}, "required": ["offer"]}},
        "oneOf": [{"$ref": "#/$defs/Offer"},
                  {"type": "object", "properties": {"accept": {"type": "boolean"}},
                   "required": ["accept"]},
                  {"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": 3},
                   "minItems": 1, "maxItems": 2}]}
    g = json_schema_to_gbnf(schema)
    for doc in ({"offer": 10}, {"accept": False}, [1], [3, 2]):
        assert _accepts(g, json.dumps(doc)), doc
    for doc in ({"offer": 11}, {"accept": 1}, [], [1, 2, 3], [0]):
        assert not _accepts(g, json.dumps(doc)), doc


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(-1, 4), max_size=5), st.integers(0, 3),
       st.one_of(st.none(), st.integers(0, 4)), st.sampled_from(["int", "none"]))
def test_prefix_items_arrays_accept_exactly_valid_lists(doc: list[int], lo: int,
                                                        hi: int | None, rest: str) -> None:
    prefix = [{"type": "integer", "minimum": 0, "maximum": 1},
              {"type": "integer", "minimum": 0, "maximum": 2}]
    schema: dict = {"type": "array", "prefixItems": prefix, "minItems": lo}
    if hi is not None:
        if hi < lo:
            return
        schema["maxItems"] = hi
    if rest == "int":
        schema["items"] = {"type": "integer", "minimum": 3, "maximum": 4}
    elif rest == "none":
        schema["items"] = False
        if lo > 2:
            with pytest.raises(ValueError, match="admits no value"):
                json_schema_to_gbnf(schema)
            return
    bounds = [(0, 1), (0, 2)]
    valid = (lo <= len(doc) and (hi is None or len(doc) <= hi)
             and all(a <= x <= b for x, (a, b) in zip(doc, bounds, strict=False))
             and all(3 <= x <= 4 for x in doc[2:])
             and not (rest == "none" and len(doc) > 2))
    assert _accepts(json_schema_to_gbnf(schema), json.dumps(doc)) == valid, (schema, doc)


def test_allocation_spec_schema_compiles_to_an_exact_grammar() -> None:
    from agora.engine.structured import AllocationSpec

    spec = AllocationSpec(counts=(1, 2, 3), items=("books", "hats", "balls"), message_max=5)
    g = json_schema_to_gbnf(spec.json_schema())
    assert _accepts(g, json.dumps({"keep": [1, 0, 3], "message": "ok"}))
    for doc in ({"keep": [2, 0, 3], "message": ""}, {"keep": [1, 0], "message": ""},
                {"keep": [1, 0, 3, 0], "message": ""}, {"keep": [1, 0, 3]}):
        assert not _accepts(g, json.dumps(doc)), doc


@pytest.mark.parametrize("schema, keyword", [
    ({"type": "string", "pattern": "^a$"}, "pattern"),
    ({"type": "string", "format": "date"}, "format"),
    ({"type": "integer", "multipleOf": 5}, "multipleOf"),
])
def test_unsupported_schema_keywords_raise(schema: dict, keyword: str) -> None:
    with pytest.raises(NotImplementedError, match=keyword):
        json_schema_to_gbnf(schema)


# ---------------------------------------------------------------- choices and regexes
@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=6), min_size=1, max_size=6, unique=True),
       st.text(max_size=6))
def test_choices_grammar_accepts_exactly_the_choices(choices: list[str], probe: str) -> None:
    g = choices_to_gbnf(choices)
    for c in choices:
        assert _accepts(g, c)
    assert _accepts(g, probe) == (probe in choices)


REGEXES = [r"offer: (10|[0-9])\$", r"[A-Z]{2,3}-\d+", r"(yes|no)!?", r"a.c", r"[^a-c]+x?",
           r"\{\s*\"guess\"\s*:\s*(?:100|[1-9]?[0-9])\s*\}", r"(?:ab)*c{2}", r"[\w.-]{1,4}"]


@settings(max_examples=80, deadline=None)
@given(idx=st.integers(0, len(REGEXES) - 1), data=st.data())
def test_regex_grammar_matches_like_python(idx: int, data: st.DataObject) -> None:
    pattern = REGEXES[idx]
    g = RuleSet().render(regex_to_gbnf(pattern))
    compiled = re.compile(pattern, re.ASCII)  # shorthand classes are ASCII in agora
    matching = data.draw(st.from_regex(compiled, fullmatch=True).filter(lambda s: len(s) < 40))
    assert _accepts(g, matching), matching
    probe = data.draw(st.text(alphabet="abcxyzAB09-:.{}$! \"", max_size=12))
    assert _accepts(g, probe) == (compiled.fullmatch(probe) is not None), probe


@pytest.mark.parametrize("pattern", [r"(?=a)b", r"(a)\1", r"\bword", r"a^b", r"(?i)abc"])
def test_unsupported_regex_features_raise(pattern: str) -> None:
    with pytest.raises(NotImplementedError):
        regex_to_gbnf(pattern)


def test_constraint_dispatch_and_user_grammar_passthrough() -> None:
    assert constraint_to_gbnf(Constraint(grammar='root ::= "x"')) == 'root ::= "x"'
    assert _accepts(constraint_to_gbnf(Constraint(choices=("a", "bb"))), "bb")
    assert _accepts(constraint_to_gbnf(Constraint(regex="a+")), "aaa")


def test_fast_forward_prefix_and_final_detection() -> None:
    c = Constraint(json_schema=GUESS)
    assert forced_prefix(c) == '{"guess": '
    assert is_final('{"guess": 42}', c) and not is_final('{"guess": 4', c)
    choices = Constraint(choices=("1", "10", "12"))
    assert forced_prefix(choices) == "1"
    assert not is_final("1", choices) and is_final("10", choices)
    assert forced_prefix(Constraint(json_schema={"oneOf": [GUESS]})) == '{"guess": '
    assert forced_prefix(Constraint(json_schema={"oneOf": [GUESS, {"type": "integer"}]})) == ""
    assert forced_prefix(Constraint(regex="abc")) == ""


# ---------------------------------------------------------------- hardening (issue 14)
def test_allof_beside_conflicting_keywords_is_refused_everywhere() -> None:
    schema = {"allOf": [{"type": "integer"}], "type": "object",
              "properties": {"a": {"type": "integer"}}, "required": ["a"]}
    with pytest.raises(ValueError, match="allOf at 'value' gives 'type' twice"):
        json_schema_to_gbnf(schema)
    with pytest.raises(ValueError, match="allOf"):  # the forced prefix comes from the same parse
        forced_prefix(Constraint(json_schema=schema))
    for bad, match in [
        ({"allOf": [{"type": "object", "additionalProperties": False},
                    {"properties": {"a": {"type": "integer"}}}]}, "splits"),
        ({"anyOf": [{"type": "integer"}], "type": "object"}, "cannot be combined"),
        ({"$ref": "#/$defs/a", "minimum": 1, "$defs": {"a": {"type": "integer"}}}, "combined"),
        ({"enum": [1, 2], "minimum": 2}, "cannot be combined"),
        ({"const": "x", "type": "integer"}, "admits no value"),
    ]:
        with pytest.raises(ValueError, match=match):
            json_schema_to_gbnf(bad)


def test_allof_parts_merge_exactly() -> None:
    g = json_schema_to_gbnf({"allOf": [{"type": "integer"}, {"minimum": 1}, {"maximum": 3}]})
    assert [x for x in range(-3, 8) if _accepts(g, str(x))] == [1, 2, 3]
    schema = {"$defs": {"A": {"type": "object", "properties": {"a": {"type": "boolean"}}}},
              "allOf": [{"$ref": "#/$defs/A"}, {"required": ["a"]},
                        {"properties": {"b": {"const": 1}}}]}
    g = json_schema_to_gbnf(schema)
    assert _accepts(g, '{"a": true}') and _accepts(g, '{"a": false, "b": 1}')
    assert not _accepts(g, "{}") and not _accepts(g, '{"b": 1}')
    assert forced_prefix(Constraint(json_schema=schema)) == '{"a": '


def test_enum_and_const_honour_their_type() -> None:
    g = json_schema_to_gbnf({"type": "string", "enum": ["a", 1, None, "b"]})
    assert [t for t in ('"a"', "1", "null", '"b"') if _accepts(g, t)] == ['"a"', '"b"']
    with pytest.raises(ValueError, match="JSON compliant"):
        json_schema_to_gbnf({"enum": [float("nan")]})


def test_typed_additional_properties_constrain_values() -> None:
    g = json_schema_to_gbnf({"type": "object", "additionalProperties": {"type": "boolean"}})
    assert _accepts(g, '{"x": true, "y": false}') and _accepts(g, "{}")
    assert not _accepts(g, '{"x": 1}')


@pytest.mark.parametrize("schema, match", [
    ({"type": "string", "maxLength": 10**9}, "at most 1000"),
    ({"type": "array", "minItems": 5000}, "at most 1000"),
    ({"type": "string", "minLength": None}, "non-negative integer"),
    ({"type": "string", "minLength": -1}, "non-negative integer"),
    ({"type": "integer", "minimum": "1"}, "finite number"),
    ({"type": "integer", "minimum": 10**400}, "finite number"),
    ({"type": "object", "properties": []}, "object of schemas"),
    ({"type": "object", "properties": {"a": {}}, "required": "a"}, "list of strings"),
    ({"type": "object", "properties": {"a": {}}, "required": ["a", "a"]}, "twice"),
    ({"anyOf": []}, "non-empty list"),
    ({"type": 3}, "type name"),
    ({"type": "array", "items": [{"type": "integer"}]}, "must be a schema"),
    ({"type": "integer", "minimum": 1e300}, "at most 15 digits"),
])
def test_malformed_or_oversized_schemas_name_the_keyword(schema: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        json_schema_to_gbnf(schema)


def test_schema_depth_limit_and_ref_loops() -> None:
    from agora.llm.grammar import MAX_SCHEMA_DEPTH

    def nested(n: int) -> dict:
        s: dict = {"type": "integer"}
        for _ in range(n):
            s = {"type": "array", "items": s}
        return s

    json_schema_to_gbnf(nested(MAX_SCHEMA_DEPTH))
    with pytest.raises(ValueError, match=f"deeper than {MAX_SCHEMA_DEPTH}"):
        json_schema_to_gbnf(nested(MAX_SCHEMA_DEPTH + 1))
    with pytest.raises(ValueError, match="deeper than"):  # allOf through a self-reference
        json_schema_to_gbnf({"$defs": {"a": {"allOf": [{"$ref": "#/$defs/a"}]}},
                             "$ref": "#/$defs/a"})


@pytest.mark.parametrize("grammar, match", [
    ("root ::= " + "(" * 40 + '"a"' + ")" * 40, "deeper than 32"),
    ('root ::= "a"{5000}', "exceeds 1000"),
    ("root ::= x\n" + "\n".join(f"x{i} ::= \"a\"" for i in range(3000)), "more than 2048"),
    ("x ::= \"a\"", "no 'root'"),
    ("root ::= y", "undefined rule 'y'"),
    ('root ::= "\\ud800"', "surrogate"),
    ('root ::= "\\q"', "unsupported escape"),
    ("root ::= (\"a\"", r"expected '\)'"),
    ('root ::= ("a"{1000}){1000} ("b"{1000}){1000}' + " [a-z]{1000}" * 201, "symbols"),
])
def test_gbnf_limits_are_checked_before_llama_cpp(grammar: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        constraint_to_gbnf(Constraint(grammar=grammar))


def test_regex_nesting_limit() -> None:
    assert constraint_to_gbnf(Constraint(regex="(" * 30 + "a" + ")" * 30))
    with pytest.raises(ValueError, match="deeper than 32"):
        constraint_to_gbnf(Constraint(regex="(" * 40 + "a" + ")" * 40))


_SIMPLE = st.recursive(
    st.one_of(st.just({"type": "boolean"}), st.just({"type": "null"}),
              st.builds(lambda lo, w: {"type": "integer", "minimum": lo, "maximum": lo + w},
                        st.integers(-20, 20), st.integers(0, 30)),
              st.builds(lambda n: {"type": "string", "maxLength": n}, st.integers(0, 3)),
              st.lists(st.sampled_from(["a", "b", 1, None]), min_size=1, max_size=3,
                       unique=True).map(lambda v: {"enum": v})),
    lambda inner: st.one_of(
        st.dictionaries(st.sampled_from("abc"), inner, min_size=1, max_size=2).flatmap(
            lambda p: st.lists(st.sampled_from(sorted(p)), unique=True).map(
                lambda r: {"type": "object", "properties": p, "required": r})),
        st.lists(inner, min_size=1, max_size=2).map(lambda a: {"anyOf": a}),
        st.lists(inner, min_size=1, max_size=2).map(lambda a: {"allOf": a}),
        inner.map(lambda i: {"type": "array", "items": i, "maxItems": 2})),
    max_leaves=5)


@settings(max_examples=120, deadline=None)
@given(schema=_SIMPLE, data=st.data())
def test_every_sentence_starts_with_the_forced_prefix(schema: dict, data: st.DataObject) -> None:
    try:
        g = json_schema_to_gbnf(schema)
    except ValueError:
        return  # refused (e.g. allOf of different types): refused for the prefix too
    prefix = forced_prefix(Constraint(json_schema=schema))
    sentence = data.draw(st.from_regex(gbnf_to_regex(g), fullmatch=True), label="sentence")
    assert sentence.startswith(prefix), (g, prefix, sentence)
