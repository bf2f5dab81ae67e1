"""Exact GBNF grammars for constraints: JSON schemas, choice lists, regexes.

``llama_cpp.LlamaGrammar.from_json_schema`` ignores ``minimum``/``maximum``; this converter
enforces numeric bounds, enums, string lengths and array sizes exactly. Output JSON has one
canonical spelling, ``json.dumps`` style (``{"a": 1, "b": [2, 3]}``): the model cannot wander
into whitespace and the text before the first value is forced. Required properties come first
(in ``required`` order), then optional ones in ``properties`` order. Unsupported keywords raise
:class:`NotImplementedError` rather than being silently dropped; keyword values of the wrong
type, keywords combined in ways the converter cannot honour (see :mod:`agora.llm.schema_check`),
schemas nesting deeper than :data:`MAX_SCHEMA_DEPTH` and lengths above :data:`MAX_LENGTH` raise
``ValueError``. ``oneOf`` is enforced as ``anyOf`` (its alternatives should not overlap).
:func:`compile_constraint` is the one source of a constraint's grammar and forced prefix.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from string import Template
from typing import Any

from agora.llm.gbnf import RuleSet, alternation, decimal_range, integer_range, literal
from agora.llm.gbnf_check import gbnf_forced_prefix, parse_gbnf
from agora.llm.regex_gbnf import regex_to_gbnf
from agora.llm.schema_check import (
    ANNOTATIONS,
    STRUCTURAL,
    SchemaError,
    check_combination,
    check_keywords,
    merge_all_of,
    typed_values,
)
from agora.llm.types import Constraint

INT_DIGITS = 15
"""Integers and numbers are limited to this many digits before the decimal point."""
MAX_SCHEMA_DEPTH = 32
"""Deepest nesting of subschemas (properties, items, anyOf/oneOf/allOf, $ref) a schema may use."""
MAX_LENGTH = 1000
"""Largest minLength, maxLength, minItems and maxItems a schema may give."""

_SEP = '", "'
_STRING_CHAR = (r'([^"\\\x00-\x1F] | "\\" (["\\/bfnrt] | "u" ([0-9a-cA-Ce-fE-F] [0-9a-fA-F]{3}'
                r' | [dD] [0-7] [0-9a-fA-F]{2})))')  # \u escapes of surrogates are excluded
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


@dataclass(frozen=True)
class CompiledConstraint:
    """The grammar enforcing a constraint and the answer prefix it forces, from one parse.

    Attributes:
        gbnf: GBNF text (checked against the limits of :mod:`agora.llm.gbnf_check`).
        forced_prefix: Text every sentence of ``gbnf`` starts with.
    """

    gbnf: str
    forced_prefix: str


def constraint_to_gbnf(constraint: Constraint, *, frac_digits: int = 3) -> str:
    """GBNF text enforcing ``constraint`` (a grammar constraint is returned as given).

    Raises ``ValueError``/``NotImplementedError`` naming what cannot be enforced, including a
    grammar beyond the size limits of :mod:`agora.llm.gbnf_check`.
    """
    return compile_constraint(constraint, frac_digits=frac_digits).gbnf


@functools.lru_cache(maxsize=256)
def compile_constraint(constraint: Constraint, *, frac_digits: int = 3) -> CompiledConstraint:
    """Grammar and forced prefix of ``constraint`` (cached; both derive from one GBNF text)."""
    if constraint.json_schema is not None:
        gbnf = json_schema_to_gbnf(constraint.json_schema, frac_digits=frac_digits)
    elif constraint.choices is not None:
        gbnf = choices_to_gbnf(constraint.choices)
    elif constraint.regex is not None:
        gbnf = RuleSet().render(regex_to_gbnf(constraint.regex))
    else:
        assert constraint.grammar is not None
        gbnf = constraint.grammar
    parse_gbnf(gbnf)
    return CompiledConstraint(gbnf=gbnf, forced_prefix=gbnf_forced_prefix(gbnf))


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
        return self.rules.render(self.visit(self.root_schema, "value", 0))

    # ------------------------------------------------------------------ dispatch
    def visit(self, s: dict[str, Any] | bool, hint: str, depth: int) -> str:
        if depth > MAX_SCHEMA_DEPTH:
            raise SchemaError(f"JSON schema nests deeper than {MAX_SCHEMA_DEPTH} levels "
                              f"(at {hint!r})")
        if s is True:
            return self.any_value()
        if not isinstance(s, dict):
            raise NotImplementedError(f"JSON schema {s!r} at {hint!r} is not supported")
        unknown = set(s) - ANNOTATIONS - STRUCTURAL
        if unknown:
            raise NotImplementedError(
                f"JSON schema keyword(s) {sorted(unknown)} at {hint!r} are not supported")
        check_keywords(s, hint, MAX_LENGTH)
        if not set(s) & STRUCTURAL:
            return self.any_value()
        if "allOf" in s:
            return self.visit(merge_all_of(s, self.resolve, hint), hint, depth + 1)
        check_combination(s, hint)
        if "$ref" in s:
            return self.ref(s["$ref"], depth)
        if "const" in s or "enum" in s:
            values = typed_values([s["const"]] if "const" in s else s["enum"], s.get("type"), hint)
            return alternation([literal(dump_json(v)) for v in values])
        for key in ("oneOf", "anyOf"):
            if key in s:
                return alternation([self.visit(sub, f"{hint}-{i}", depth + 1)
                                    for i, sub in enumerate(s[key])])
        typ = s.get("type")
        if typ is None:
            if "properties" in s:
                typ = "object"
            else:
                raise NotImplementedError(f"JSON schema at {hint!r} has no type: {s}")
        if isinstance(typ, list):
            return alternation([self.visit({**s, "type": t}, hint, depth) for t in typ])
        handler = {"integer": self.integer, "number": self.number, "string": self.string,
                   "boolean": lambda _s, _h, _d: '("true" | "false")',
                   "null": lambda _s, _h, _d: '"null"', "object": self.object,
                   "array": self.array}.get(typ)
        if handler is None:
            raise NotImplementedError(f"JSON schema type {typ!r} is not supported")
        return self.rules.add(hint, handler(s, hint, depth))

    def definition(self, ref: str) -> tuple[str, Any]:
        """(rule-name hint, schema) of a local ``#/$defs/`` or ``#/definitions/`` ref."""
        prefix = next((p for p in ("#/$defs/", "#/definitions/") if ref.startswith(p)), None)
        if prefix is None or ref == "#":
            raise NotImplementedError(f"only local #/$defs/ refs are supported, got {ref!r}")
        name = ref[len(prefix):]
        defs = self.root_schema.get(prefix[2:-1], {})
        if not isinstance(defs, dict) or name not in defs:
            raise ValueError(f"unresolved $ref {ref!r}")
        return name, defs[name]

    def resolve(self, node: Any) -> Any:
        """``node`` with a bare ``{"$ref": ...}`` replaced by its definition (for allOf)."""
        for _ in range(MAX_SCHEMA_DEPTH):
            if not (isinstance(node, dict) and isinstance(node.get("$ref"), str)
                    and not set(node) & STRUCTURAL - {"$ref"}):
                return node
            node = self.definition(node["$ref"])[1]
        raise SchemaError(f"$ref chain longer than {MAX_SCHEMA_DEPTH}")

    def ref(self, ref: str, depth: int) -> str:
        if ref in self.refs:
            return self.refs[ref]
        name, schema = self.definition(ref)
        rule = self.refs[ref] = self.rules.reserve(name)
        self.rules.define(rule, self.visit(schema, name, depth + 1))
        return rule

    def any_value(self, key: str = "value") -> str:
        if not self.any_json:
            names = {k: self.rules.reserve(f"json-{k}") for k in _ANY_JSON}
            for k, body in _ANY_JSON.items():
                self.rules.define(names[k], Template(body).substitute(names))
            self.any_json = names
        return self.any_json[key]

    # ------------------------------------------------------------------ scalars
    def integer(self, s: dict[str, Any], hint: str, _depth: int) -> str:
        lo, lo_x, hi, hi_x = _bounds(s)
        if lo is None and hi is None:
            return f'("0" | "-"? [1-9] [0-9]{{0,{INT_DIGITS - 1}}})'
        big = 10**INT_DIGITS - 1  # bounds beyond INT_DIGITS digits are clamped (stricter)
        ilo = -big if lo is None else max(-big, math.ceil(lo) + (lo_x and lo.is_integer()))
        ihi = big if hi is None else min(big, math.floor(hi) - (hi_x and hi.is_integer()))
        if ilo > ihi:
            raise ValueError(f"integer schema at {hint!r} admits no value with at most "
                             f"{INT_DIGITS} digits: {s}")
        return integer_range(ilo, ihi)

    def number(self, s: dict[str, Any], hint: str, _depth: int) -> str:
        lo, lo_x, hi, hi_x = _bounds(s)
        big = Fraction(10**INT_DIGITS - 1)
        flo = None if lo is None else Fraction(str(lo))
        fhi = None if hi is None else Fraction(str(hi))
        if flo is None or flo < -big:
            flo, lo_x = -big, False
        if fhi is None or fhi > big:
            fhi, hi_x = big, False
        return decimal_range(flo, fhi, lo_exclusive=lo_x, hi_exclusive=hi_x,
                             frac_digits=self.frac_digits)

    def string(self, s: dict[str, Any], hint: str, _depth: int) -> str:
        lo, hi = int(s.get("minLength", 0)), s.get("maxLength")
        if hi is not None and int(hi) < lo:
            raise ValueError(f"string schema at {hint!r} has maxLength < minLength")
        char = self.rules.add("char", _STRING_CHAR)
        reps = ("*" if lo == 0 else f"{{{lo},}}") if hi is None else f"{{{lo},{int(hi)}}}"
        body = "" if hi == 0 else f" {char}{reps}"
        return f'"\\""{body} "\\""'

    # ------------------------------------------------------------------ containers
    def object(self, s: dict[str, Any], hint: str, depth: int) -> str:
        props: dict[str, Any] = s.get("properties", {})
        required = list(s.get("required", []))
        missing = [r for r in required if r not in props]
        if missing:
            raise NotImplementedError(f"required keys without properties: {missing}")
        if not props:
            extra = s.get("additionalProperties", True)
            if extra is False:
                return '"{}"'
            if extra is True or extra == {}:
                return self.any_value("object")
            value = self.visit(extra, f"{hint}-value", depth + 1)
            key = self.any_value("string")
            return (f'"{{" ( {key} ": " {value} ( {_SEP} {key} ": " {value} )* )? "}}"')
        kv = {k: f"{literal(dump_json(k) + ': ')} {self.visit(v, f'{hint}-{k}', depth + 1)}"
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

    def array(self, s: dict[str, Any], hint: str, depth: int) -> str:
        if s.get("prefixItems"):
            return self.tuple_array(s, hint, depth)
        lo, hi = int(s.get("minItems", 0)), s.get("maxItems")
        if hi is not None and int(hi) < lo:
            raise ValueError(f"array schema at {hint!r} has maxItems < minItems")
        if hi == 0:
            return '"[]"'
        item = self.visit(s.get("items", True), f"{hint}-item", depth + 1)
        sep = _SEP
        tail = f"({sep} {item})"
        if lo == 0:
            more = "*" if hi is None else f"{{0,{int(hi) - 1}}}"
            inner = f"({item} {tail}{more})?"
        else:
            more = f"{{{lo - 1},}}" if hi is None else f"{{{lo - 1},{int(hi) - 1}}}"
            inner = f"{item} {tail}{more}"
        return f'"[" {inner} "]"'

    def tuple_array(self, s: dict[str, Any], hint: str, depth: int) -> str:
        """An array whose i-th item follows ``prefixItems[i]`` and later ones ``items``."""
        prefix = [self.visit(p, f"{hint}-{i}", depth + 1) for i, p in enumerate(s["prefixItems"])]
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
            item = self.visit(s.get("items", True), f"{hint}-item", depth + 1)
            more = max(lo - n, 0)
            tail = f"({sep} {item})" + (f"{{{more},}}" if hi is None
                                        else f"{{{more},{int(hi) - n}}}")
        for i in reversed(range(n if hi is None else min(n, int(hi)))):
            chunk = f"{'' if i == 0 else sep + ' '}{prefix[i]} {tail}".rstrip()
            if i:  # one rule per position keeps parentheses shallow however many items
                chunk = self.rules.add(f"{hint}-from-{i}", chunk)
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
                              or not _finite(v)):
            raise ValueError(f"numeric bound must be a finite number, got {v!r}")
    return (None if lo is None else float(lo), lo_x, None if hi is None else float(hi), hi_x)


def _finite(v: float) -> bool:
    try:
        return math.isfinite(v)
    except OverflowError:  # an int too large for a float
        return False


def dump_json(value: Any) -> str:
    """JSON text of ``value`` as the grammars spell it (``ValueError`` for NaN/infinity)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ": "), allow_nan=False)
