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

from agora.llm.fast_forward import forced_prefix, is_final
from agora.llm.gbnf import RuleSet, decimal_range, integer_range
from agora.llm.grammar import choices_to_gbnf, constraint_to_gbnf, json_schema_to_gbnf
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
    ({"allOf": [{"type": "integer"}, {"minimum": 1}]}, "allOf"),
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
    assert forced_prefix(Constraint(json_schema={"oneOf": [GUESS]})) == ""
    assert forced_prefix(Constraint(regex="abc")) == ""
