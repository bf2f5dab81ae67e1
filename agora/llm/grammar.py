"""Exact GBNF grammars for constraints: JSON schemas, choice lists, regexes.

``llama_cpp.LlamaGrammar.from_json_schema`` ignores ``minimum``/``maximum``; this converter
enforces numeric bounds, enums, string lengths and array sizes exactly. Output JSON has one
canonical spelling, ``json.dumps`` style (``{"a": 1, "b": [2, 3]}``): the model cannot wander
into whitespace and the text before the first value is forced. Required properties come first
(in ``required`` order), then optional ones in ``properties`` order. Unsupported keywords raise
:class:`NotImplementedError` rather than being silently dropped.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from fractions import Fraction
from string import Template
from typing import Any

from agora.llm.gbnf import RuleSet, alternation, decimal_range, integer_range, literal
from agora.llm.regex_gbnf import regex_to_gbnf
from agora.llm.types import Constraint

INT_DIGITS = 15
"""Integers without a bound are limited to this many digits."""

_ANNOTATIONS = frozenset({
    "title", "description", "default", "examples", "$schema", "$id", "$comment", "deprecated",
    "readOnly", "writeOnly", "$defs", "definitions", "additionalProperties",
})
_STRUCTURAL = frozenset({
    "type", "enum", "const", "oneOf", "anyOf", "allOf", "$ref", "minimum", "maximum",
    "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength", "properties", "required",
    "items", "prefixItems", "minItems", "maxItems",
})

_SEP = '", "'
_STRING_CHAR = r'([^"\\\x00-\x1F] | "\\" (["\\/bfnrt] | "u" [0-9a-fA-F]{4}))'
_ANY_JSON = {  # generic JSON value, for schemas that do not restrict it ($name = rule names)
    "value": "$object | $array | $string | $number | $boolean | $null",
    "object": f'"{{" ( $string ": " $value ( {_SEP} $string ": " $value )* )? "}}"',
    "array": f'"[" ( $value ( {_SEP} $value )* )? "]"',
    "string": f'"\\"" {_STRING_CHAR}* "\\""',
    "number": '"-"? ("0" | [1-9] [0-9]{0,14}) ("." [0-9]{1,6})?',
    "boolean": '"true" | "false"',
    "null": '"null"',
}


def json_schema_to_gbnf(schema: dict[str, Any], *, frac_digits: int = 3) -> str:
    """GBNF accepting JSON documents valid under ``schema`` (compact spelling)."""
    return _SchemaConverter(schema, frac_digits).convert()


def choices_to_gbnf(choices: Sequence[str]) -> str:
    """GBNF accepting exactly one of ``choices``."""
    if not choices:
        raise ValueError("choices is empty")
    return RuleSet().render(" | ".join(literal(c) for c in choices))


def constraint_to_gbnf(constraint: Constraint, *, frac_digits: int = 3) -> str:
    """GBNF text enforcing ``constraint`` (a grammar constraint is returned as given)."""
    if constraint.json_schema is not None:
        return json_schema_to_gbnf(constraint.json_schema, frac_digits=frac_digits)
    if constraint.choices is not None:
        return choices_to_gbnf(constraint.choices)
    if constraint.regex is not None:
        return RuleSet().render(regex_to_gbnf(constraint.regex))
    assert constraint.grammar is not None
    return constraint.grammar


class _SchemaConverter:
    def __init__(self, schema: dict[str, Any], frac_digits: int) -> None:
        if not isinstance(schema, dict):
            raise TypeError(f"JSON schema must be a dict, got {type(schema)}")
        self.root_schema = schema
        self.frac_digits = frac_digits
        self.rules = RuleSet()
        self.refs: dict[str, str] = {}
        self.any_json: dict[str, str] = {}

    def convert(self) -> str:
        return self.rules.render(self.visit(self.root_schema, "value"))

    # ------------------------------------------------------------------ dispatch
    def visit(self, s: dict[str, Any] | bool, hint: str) -> str:
        if s is True or s == {}:
            return self.any_value()
        if not isinstance(s, dict):
            raise NotImplementedError(f"JSON schema {s!r} at {hint!r} is not supported")
        unknown = set(s) - _ANNOTATIONS - _STRUCTURAL
        if unknown:
            raise NotImplementedError(
                f"JSON schema keyword(s) {sorted(unknown)} at {hint!r} are not supported")
        if "$ref" in s:
            return self.ref(s["$ref"])
        if "const" in s:
            return literal(dump_json(s["const"]))
        if "enum" in s:
            return alternation([literal(dump_json(v)) for v in s["enum"]])
        for key in ("oneOf", "anyOf"):
            if key in s:
                return alternation([self.visit(sub, f"{hint}-{i}")
                                    for i, sub in enumerate(s[key])])
        if "allOf" in s:
            if len(s["allOf"]) != 1:
                raise NotImplementedError("allOf with more than one schema is not supported")
            return self.visit(s["allOf"][0], hint)
        typ = s.get("type")
        if typ is None:
            if "properties" in s:
                typ = "object"
            else:
                raise NotImplementedError(f"JSON schema at {hint!r} has no type: {s}")
        if isinstance(typ, list):
            return alternation([self.visit({**s, "type": t}, hint) for t in typ])
        handler = {"integer": self.integer, "number": self.number, "string": self.string,
                   "boolean": lambda _s, _h: '("true" | "false")',
                   "null": lambda _s, _h: '"null"', "object": self.object,
                   "array": self.array}.get(typ)
        if handler is None:
            raise NotImplementedError(f"JSON schema type {typ!r} is not supported")
        return self.rules.add(hint, handler(s, hint))

    def ref(self, ref: str) -> str:
        if ref in self.refs:
            return self.refs[ref]
        prefix = next((p for p in ("#/$defs/", "#/definitions/") if ref.startswith(p)), None)
        if prefix is None or ref == "#":
            raise NotImplementedError(f"only local #/$defs/ refs are supported, got {ref!r}")
        name = ref[len(prefix):]
        defs = self.root_schema.get(prefix[2:-1], {})
        if name not in defs:
            raise ValueError(f"unresolved $ref {ref!r}")
        rule = self.refs[ref] = self.rules.reserve(name)
        self.rules.define(rule, self.visit(defs[name], name))
        return rule

    def any_value(self, key: str = "value") -> str:
        if not self.any_json:
            names = {k: self.rules.reserve(f"json-{k}") for k in _ANY_JSON}
            for k, body in _ANY_JSON.items():
                self.rules.define(names[k], Template(body).substitute(names))
            self.any_json = names
        return self.any_json[key]

    # ------------------------------------------------------------------ scalars
    def integer(self, s: dict[str, Any], hint: str) -> str:
        lo, lo_x, hi, hi_x = _bounds(s)
        if lo is None and hi is None:
            return f'("0" | "-"? [1-9] [0-9]{{0,{INT_DIGITS - 1}}})'
        ilo = -(10**INT_DIGITS - 1) if lo is None else math.ceil(lo) + (lo_x and lo.is_integer())
        ihi = 10**INT_DIGITS - 1 if hi is None else math.floor(hi) - (hi_x and hi.is_integer())
        if ilo > ihi:
            raise ValueError(f"integer schema at {hint!r} admits no value: {s}")
        return integer_range(ilo, ihi)

    def number(self, s: dict[str, Any], hint: str) -> str:
        lo, lo_x, hi, hi_x = _bounds(s)
        big = Fraction(10**INT_DIGITS - 1)
        return decimal_range(Fraction(-big) if lo is None else Fraction(str(lo)),
                             big if hi is None else Fraction(str(hi)), lo_exclusive=lo_x,
                             hi_exclusive=hi_x, frac_digits=self.frac_digits)

    def string(self, s: dict[str, Any], hint: str) -> str:
        lo, hi = int(s.get("minLength", 0)), s.get("maxLength")
        if hi is not None and int(hi) < lo:
            raise ValueError(f"string schema at {hint!r} has maxLength < minLength")
        char = self.rules.add("char", _STRING_CHAR)
        reps = ("*" if lo == 0 else f"{{{lo},}}") if hi is None else f"{{{lo},{int(hi)}}}"
        body = "" if hi == 0 else f" {char}{reps}"
        return f'"\\""{body} "\\""'

    # ------------------------------------------------------------------ containers
    def object(self, s: dict[str, Any], hint: str) -> str:
        props: dict[str, Any] = s.get("properties", {})
        required = list(s.get("required", []))
        missing = [r for r in required if r not in props]
        if missing:
            raise NotImplementedError(f"required keys without properties: {missing}")
        if not props:
            if s.get("additionalProperties", True) is False:
                return '"{}"'
            return self.any_value("object")
        kv = {k: f"{literal(dump_json(k) + ': ')} {self.visit(v, f'{hint}-{k}')}"
              for k, v in props.items()}
        sep = _SEP
        req = f" {sep} ".join(kv[k] for k in required)
        optional = [k for k in props if k not in required]
        rest = self._optional_chain([kv[k] for k in optional], sep, hint)
        if req and rest:
            body = f"{req} ({sep} {rest})?"
        elif req:
            body = req
        else:
            body = f"{rest}?" if rest else ""
        return f'"{{" {body} "}}"' if body else '"{}"'

    def _optional_chain(self, kvs: list[str], sep: str, hint: str) -> str:
        """A rule matching any non-empty in-order subset of ``kvs``, comma separated."""
        nxt = ""
        for kv in reversed(kvs):
            body = kv if not nxt else f"{kv} ({sep} {nxt})? | {nxt}"
            nxt = self.rules.add(f"{hint}-opt", body)
        return nxt

    def array(self, s: dict[str, Any], hint: str) -> str:
        if s.get("prefixItems"):
            return self.tuple_array(s, hint)
        item = self.visit(s.get("items", True), f"{hint}-item")
        lo, hi = int(s.get("minItems", 0)), s.get("maxItems")
        if hi is not None and int(hi) < lo:
            raise ValueError(f"array schema at {hint!r} has maxItems < minItems")
        sep = _SEP
        tail = f"({sep} {item})"
        if hi == 0:
            inner = ""
        elif lo == 0:
            more = "*" if hi is None else f"{{0,{int(hi) - 1}}}"
            inner = f"({item} {tail}{more})?"
        else:
            more = f"{{{lo - 1},}}" if hi is None else f"{{{lo - 1},{int(hi) - 1}}}"
            inner = f"{item} {tail}{more}"
        return f'"[" {inner} "]"'

    def tuple_array(self, s: dict[str, Any], hint: str) -> str:
        """An array whose i-th item follows ``prefixItems[i]`` and later ones ``items``."""
        prefix = [self.visit(p, f"{hint}-{i}") for i, p in enumerate(s["prefixItems"])]
        lo, hi = int(s.get("minItems", 0)), s.get("maxItems")
        if hi is not None and int(hi) < lo:
            raise ValueError(f"array schema at {hint!r} has maxItems < minItems")
        n = len(prefix)
        extra = s.get("items", True) is not False and (hi is None or int(hi) > n)
        if not extra and lo > n:
            raise ValueError(f"array schema at {hint!r} admits no value: minItems {lo} with "
                             f"{n} prefixItems and no further items")
        sep = _SEP
        tail = ""  # what may follow the prefix: further items, each after a separator
        if extra:
            item = self.visit(s.get("items", True), f"{hint}-item")
            more = max(lo - n, 0)
            tail = f"({sep} {item})" + (f"{{{more},}}" if hi is None
                                        else f"{{{more},{int(hi) - n}}}")
        for i in reversed(range(n if hi is None else min(n, int(hi)))):
            chunk = f"{'' if i == 0 else sep + ' '}{prefix[i]} {tail}".rstrip()
            tail = f"({chunk})?" if i >= lo else chunk  # the array may end before item i
        return f'"[" {tail} "]"' if tail else '"[]"'


def _bounds(s: dict[str, Any]) -> tuple[float | None, bool, float | None, bool]:
    """(low, low exclusive, high, high exclusive) from draft-4 or draft-6+ keywords."""
    lo, hi = s.get("minimum"), s.get("maximum")
    lo_x = hi_x = False
    xlo, xhi = s.get("exclusiveMinimum"), s.get("exclusiveMaximum")
    if isinstance(xlo, bool):
        lo_x = xlo
    elif xlo is not None and (lo is None or xlo >= lo):
        lo, lo_x = xlo, True
    if isinstance(xhi, bool):
        hi_x = xhi
    elif xhi is not None and (hi is None or xhi <= hi):
        hi, hi_x = xhi, True
    for v in (lo, hi):
        if v is not None and (isinstance(v, bool) or not isinstance(v, int | float)
                              or not math.isfinite(v)):
            raise ValueError(f"numeric bound must be a finite number, got {v!r}")
    return (None if lo is None else float(lo), lo_x, None if hi is None else float(hi), hi_x)


def dump_json(value: Any) -> str:
    """JSON text of ``value`` as the grammars spell it."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ": "))
