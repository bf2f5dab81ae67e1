"""Parsing GBNF text in Python before llama.cpp sees it: size limits and forced prefixes.

llama.cpp's grammar parser and engine are recursive C++ that expand ``{m,n}`` repetitions into
copies: a grammar nesting thousands of parentheses overflows the C stack, and one with huge
repetition counts exhausts memory. :func:`parse_gbnf` reads llama.cpp's GBNF dialect (rules,
literals, character classes, ``.``, groups, alternation, ``* + ? {m} {m,} {m,n}``, ``#``
comments) and refuses grammars beyond the documented limits below, with one line naming the
limit. :func:`gbnf_forced_prefix` derives from the same parse the text every sentence of a
grammar starts with, so a forced answer prefix can never disagree with the grammar enforcing it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_GBNF_RULES = 2048
"""Most rules a grammar may define."""
MAX_GBNF_NESTING = 32
"""Deepest nesting of parentheses inside one rule."""
MAX_GBNF_REPEAT = 1000
"""Largest count in a ``{m}``, ``{m,}`` or ``{m,n}`` repetition."""
MAX_GBNF_SYMBOLS = 200_000
"""Most grammar symbols after llama.cpp expands repetitions into copies."""

_NAME = re.compile(r"[A-Za-z0-9-]+")
_COUNT = re.compile(r"\{\s*(\d+)\s*(?:(,)\s*(\d*)\s*)?\}")
_SIMPLE_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "\\": "\\", '"': '"', "[": "[", "]": "]"}


class GrammarLimitError(ValueError):
    """A grammar is malformed or exceeds one of the documented size limits."""


@dataclass(frozen=True)
class Atom:
    """One element of a sequence: ``kind`` is lit, class, any, ref or group."""

    kind: str
    value: object  # lit: str; class: symbol count; ref: name; group: alternatives
    lo: int = 1
    hi: int | None = 1  # None: unbounded


Alternatives = tuple[tuple[Atom, ...], ...]


class _Parser:
    def __init__(self, text: str) -> None:
        self.s, self.i = text, 0
        self.symbols = 0

    def fail(self, what: str) -> GrammarLimitError:
        return GrammarLimitError(f"grammar: {what} at offset {self.i}")

    def space(self, newline_ok: bool) -> None:
        s = self.s
        while self.i < len(s):
            c = s[self.i]
            if c in " \t" or (newline_ok and c in "\r\n"):
                self.i += 1
            elif c == "#":
                while self.i < len(s) and s[self.i] not in "\r\n":
                    self.i += 1
            else:
                return

    def rules(self) -> dict[str, Alternatives]:
        out: dict[str, Alternatives] = {}
        self.space(True)
        while self.i < len(self.s):
            m = _NAME.match(self.s, self.i)
            if m is None:
                raise self.fail("expected a rule name")
            self.i = m.end()
            self.space(False)
            if not self.s.startswith("::=", self.i):
                raise self.fail("expected '::='")
            self.i += 3
            self.space(True)
            out[m.group()] = self.alternatives(nested=False, depth=0)
            if len(out) > MAX_GBNF_RULES:
                raise GrammarLimitError(f"grammar defines more than {MAX_GBNF_RULES} rules")
            if self.i < len(self.s) and self.s[self.i] not in "\r\n":
                raise self.fail("expected the end of the rule")
            self.space(True)
        return out

    def alternatives(self, *, nested: bool, depth: int) -> Alternatives:
        alts = [self.sequence(nested=nested, depth=depth)]
        while self.i < len(self.s) and self.s[self.i] == "|":
            self.i += 1
            self.space(True)
            alts.append(self.sequence(nested=nested, depth=depth))
        return tuple(alts)

    def sequence(self, *, nested: bool, depth: int) -> tuple[Atom, ...]:
        items: list[Atom] = []
        s = self.s
        while self.i < len(s):
            c = s[self.i]
            if c == '"':
                self.i += 1
                chars = []
                while self.i < len(s) and s[self.i] != '"':
                    chars.append(self.char())
                if self.i >= len(s):
                    raise self.fail("unterminated literal")
                self.i += 1
                items.append(Atom("lit", "".join(chars)))
            elif c == "[":
                self.i += 1
                if s.startswith("^", self.i):
                    self.i += 1
                n = 0
                while self.i < len(s) and s[self.i] != "]":
                    self.char()
                    if s.startswith("-", self.i) and not s.startswith("-]", self.i):
                        self.i += 1
                        self.char()
                    n += 1
                if self.i >= len(s):
                    raise self.fail("unterminated character class")
                self.i += 1
                items.append(Atom("class", max(n, 1)))
            elif c == ".":
                self.i += 1
                items.append(Atom("any", 1))
            elif c == "(":
                if depth >= MAX_GBNF_NESTING:
                    raise GrammarLimitError(
                        f"grammar nests parentheses deeper than {MAX_GBNF_NESTING} levels")
                self.i += 1
                self.space(True)
                inner = self.alternatives(nested=True, depth=depth + 1)
                if not s.startswith(")", self.i):
                    raise self.fail("expected ')'")
                self.i += 1
                items.append(Atom("group", inner))
            elif c in "*+?{":
                if not items:
                    raise self.fail(f"nothing to repeat before {c!r}")
                items[-1] = self.repeat(items[-1])
            elif (m := _NAME.match(s, self.i)) is not None:
                self.i = m.end()
                items.append(Atom("ref", m.group()))
            else:
                break
            self.space(nested)
        for a in items:
            self.symbols += _size(a)
        if self.symbols > MAX_GBNF_SYMBOLS:
            raise GrammarLimitError(
                f"grammar expands to more than {MAX_GBNF_SYMBOLS} symbols (lower repetition "
                "counts, string lengths or array sizes)")
        return tuple(items)

    def repeat(self, atom: Atom) -> Atom:
        if (atom.lo, atom.hi) != (1, 1):
            raise self.fail("stacked repetition operators")
        c = self.s[self.i]
        if c in "*+?":
            self.i += 1
            lo, hi = {"*": (0, None), "+": (1, None), "?": (0, 1)}[c]
            return Atom(atom.kind, atom.value, lo, hi)
        m = _COUNT.match(self.s, self.i)
        if m is None:
            raise self.fail("malformed repetition count")
        self.i = m.end()
        lo = int(m.group(1))
        hi = lo if m.group(2) is None else (int(m.group(3)) if m.group(3) else None)
        if max(lo, hi or 0) > MAX_GBNF_REPEAT:
            raise GrammarLimitError(
                f"grammar repetition count exceeds {MAX_GBNF_REPEAT}: {m.group()}")
        if hi is not None and hi < lo:
            raise self.fail(f"repetition {m.group()} has max < min")
        return Atom(atom.kind, atom.value, lo, hi)

    def char(self) -> str:
        s = self.s
        if s[self.i] != "\\":
            self.i += 1
            return self.checked(s[self.i - 1])
        esc = s[self.i + 1:self.i + 2]
        if esc in _SIMPLE_ESCAPES:
            self.i += 2
            return _SIMPLE_ESCAPES[esc]
        width = {"x": 2, "u": 4, "U": 8}.get(esc)
        digits = s[self.i + 2:self.i + 2 + (width or 0)]
        if width is None or len(digits) != width or not re.fullmatch(r"[0-9A-Fa-f]+", digits):
            raise self.fail(f"unsupported escape '\\{esc}'")
        self.i += 2 + width
        cp = int(digits, 16)
        if cp > 0x10FFFF:
            raise self.fail(f"code point {digits} out of range")
        return self.checked(chr(cp))

    def checked(self, ch: str) -> str:
        if 0xD800 <= ord(ch) <= 0xDFFF:  # no UTF-8 text contains one: a dead grammar path
            raise self.fail(f"surrogate code point U+{ord(ch):04X}")
        return ch


def _size(a: Atom) -> int:
    """Symbols llama.cpp allocates for ``a`` (a group is a rule: its copies are references)."""
    own = len(a.value) if a.kind == "lit" else a.value if a.kind == "class" else 1
    copies = a.lo + (1 if a.hi is None else a.hi - a.lo)
    return max(copies, 1) * max(int(own), 1)  # type: ignore[call-overload]


def parse_gbnf(text: str) -> dict[str, Alternatives]:
    """Rules of a GBNF grammar; raises :class:`GrammarLimitError` naming what is wrong.

    Besides syntax it checks that ``root`` and every referenced rule are defined and that the
    grammar stays within :data:`MAX_GBNF_RULES`, :data:`MAX_GBNF_NESTING`,
    :data:`MAX_GBNF_REPEAT` and :data:`MAX_GBNF_SYMBOLS`.
    """
    rules = _Parser(text).rules()
    if "root" not in rules:
        raise GrammarLimitError("grammar has no 'root' rule")
    for alts in rules.values():
        for name in _refs(alts):
            if name not in rules:
                raise GrammarLimitError(f"grammar references undefined rule {name!r}")
    return rules


def _refs(alts: Alternatives) -> list[str]:
    out, todo = [], [alts]
    while todo:
        for seq in todo.pop():
            for a in seq:
                if a.kind == "ref":
                    out.append(str(a.value))
                elif a.kind == "group":
                    todo.append(a.value)  # type: ignore[arg-type]
    return out


def gbnf_forced_prefix(text: str) -> str:
    """The text every sentence of the grammar starts with ("" when it may start differently)."""
    rules = parse_gbnf(text)
    return _alts_prefix(rules["root"], rules, frozenset({"root"}))[0]


def _alts_prefix(alts: Alternatives, rules: dict[str, Alternatives],
                 seen: frozenset[str]) -> tuple[str, bool]:
    """(forced prefix, whether the language is exactly that one string)."""
    got = [_seq_prefix(seq, rules, seen) for seq in alts]
    texts = [t for t, _ in got]
    if all(done for _, done in got) and len(set(texts)) == 1:
        return texts[0], True
    return _common_prefix(texts), False


def _seq_prefix(seq: tuple[Atom, ...], rules: dict[str, Alternatives],
                seen: frozenset[str]) -> tuple[str, bool]:
    out = ""
    for a in seq:
        text, done = _atom_prefix(a, rules, seen)
        out += text
        if not done:
            return out, False
    return out, True


def _atom_prefix(a: Atom, rules: dict[str, Alternatives],
                 seen: frozenset[str]) -> tuple[str, bool]:
    if a.lo == 0:
        return "", a.hi == 0
    if a.kind == "lit":
        text, done = str(a.value), True
    elif a.kind == "ref" and a.value not in seen:
        text, done = _alts_prefix(rules[str(a.value)], rules, seen | {str(a.value)})
    elif a.kind == "group":
        text, done = _alts_prefix(a.value, rules, seen)  # type: ignore[arg-type]
    else:
        return "", False
    if not done:
        return text, False
    return text * a.lo, a.hi == a.lo


def _common_prefix(texts: list[str]) -> str:
    if not texts:
        return ""
    first, n = texts[0], min(len(t) for t in texts)
    for k in range(n):
        if any(t[k] != first[k] for t in texts):
            return first[:k]
    return first[:n]
