"""Regular expressions (a documented subset of Python's syntax) as GBNF expressions.

Supported: literals and escaped punctuation, ``.``, ``\\d \\w \\s \\D \\W \\S`` (ASCII, as
with ``re.ASCII``), ``\\n \\t \\r \\f \\v \\xHH \\uHHHH``, character classes with ranges and
negation, groups ``(...)``, ``(?:...)``, ``(?P<name>...)``, alternation, and the quantifiers
``* + ? {m} {m,} {m,n}`` (lazy forms accepted; laziness does not change the language). ``^``
at the start and ``$`` at the end are accepted since the whole output must match. Anything
else (lookarounds, backreferences, ``\\b``, inline flags, anchors elsewhere) raises
:class:`NotImplementedError`; groups may nest at most ``MAX_GBNF_NESTING`` deep.
"""

from __future__ import annotations

from agora.llm.gbnf import char_class, literal
from agora.llm.gbnf_check import MAX_GBNF_NESTING

MAX_CP = 0x10FFFF
_DIGIT = [(0x30, 0x39)]
_WORD = [(0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)]
_SPACE = [(0x09, 0x0D), (0x20, 0x20)]
_SHORTHAND = {"d": _DIGIT, "w": _WORD, "s": _SPACE}
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "f": "\f", "v": "\v", "0": "\0"}


def regex_to_gbnf(pattern: str) -> str:
    """A GBNF expression accepting exactly the strings that fully match ``pattern``."""
    return _Parser(pattern).parse()


def _complement(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out, nxt = [], 0
    for lo, hi in sorted(ranges):
        if lo > nxt:
            out.append((nxt, lo - 1))
        nxt = max(nxt, hi + 1)
    if nxt <= MAX_CP:
        out.append((nxt, MAX_CP))
    return out


class _Parser:
    def __init__(self, pattern: str) -> None:
        self.p = pattern
        self.i = 0
        self.depth = 0

    def error(self, what: str) -> NotImplementedError:
        return NotImplementedError(
            f"regex feature not supported for constrained decoding: {what} "
            f"(at offset {self.i} of {self.p!r})")

    def peek(self, k: int = 0) -> str:
        j = self.i + k
        return self.p[j] if j < len(self.p) else ""

    def parse(self) -> str:
        if self.peek() == "^":
            self.i += 1
        expr = self.alternation()
        if self.i != len(self.p):
            raise self.error(f"unexpected {self.peek()!r}")
        return expr

    def alternation(self) -> str:
        alts = [self.sequence()]
        while self.peek() == "|":
            self.i += 1
            alts.append(self.sequence())
        return alts[0] if len(alts) == 1 else "(" + " | ".join(alts) + ")"

    def sequence(self) -> str:
        items: list[str] = []
        while self.i < len(self.p) and self.peek() not in "|)":
            if self.peek() == "$" and self.i == len(self.p) - 1:
                self.i += 1
                break
            atom = self.atom()
            items.append(self.quantified(atom))
        return " ".join(items) if items else '""'

    def quantified(self, atom: str) -> str:
        c = self.peek()
        if c in ("*", "+", "?"):
            self.i += 1
            q = c
        elif c == "{" and self._looks_like_count():
            end = self.p.index("}", self.i)
            body = self.p[self.i + 1:end]
            self.i = end + 1
            lo, _, hi = body.partition(",")
            if "," in body:
                q = f"{{{int(lo or 0)},{hi.strip()}}}" if hi.strip() else f"{{{int(lo or 0)},}}"
            else:
                q = f"{{{int(lo)}}}"
        else:
            return atom
        if self.peek() == "?":  # lazy: same language
            self.i += 1
        elif self.peek() == "+":
            raise self.error("possessive quantifier")
        if self.peek() in ("*", "+", "?") or (self.peek() == "{" and self._looks_like_count()):
            raise self.error("stacked quantifiers")
        return f"({atom}){q}"

    def _looks_like_count(self) -> bool:
        end = self.p.find("}", self.i)
        if end < 0:
            return False
        body = self.p[self.i + 1:end]
        lo, comma, hi = body.partition(",")
        return bool(body) and (lo.strip().isdigit() or (comma and not lo)) and (
            not comma or not hi.strip() or hi.strip().isdigit())

    def atom(self) -> str:
        c = self.peek()
        if c == "(":
            return self.group()
        if c == "[":
            return self.char_class()
        if c == ".":
            self.i += 1
            return char_class([(0x0A, 0x0A)], negate=True)
        if c == "\\":
            return self.escape(in_class=False)
        if c in ("^", "$"):
            raise self.error(f"anchor {c!r} inside the pattern")
        if c in ("*", "+", "?", "{") and not (c == "{" and not self._looks_like_count()):
            raise self.error(f"nothing to repeat before {c!r}")
        self.i += 1
        return literal(c)

    def group(self) -> str:
        self.i += 1
        self.depth += 1
        if self.depth > MAX_GBNF_NESTING:
            raise ValueError(f"regex nests groups deeper than {MAX_GBNF_NESTING} levels")
        if self.peek() == "?":
            if self.p.startswith("?:", self.i):
                self.i += 2
            elif self.p.startswith("?P<", self.i) or (
                    self.p.startswith("?<", self.i) and self.peek(2) not in ("=", "!")):
                self.i = self.p.index(">", self.i) + 1
            else:
                raise self.error("lookaround, inline flag or special group '(?'")
        inner = self.alternation()
        if self.peek() != ")":
            raise self.error("unbalanced parenthesis")
        self.i += 1
        self.depth -= 1
        return f"({inner})"

    def escape(self, *, in_class: bool) -> str | list[tuple[int, int]]:
        self.i += 1
        c = self.peek()
        self.i += 1
        if c.lower() in _SHORTHAND:
            ranges = _SHORTHAND[c.lower()]
            ranges = _complement(ranges) if c.isupper() else ranges
            return ranges if in_class else char_class(ranges)
        if c in _ESCAPES:
            ch = _ESCAPES[c]
        elif c in ("x", "u"):
            width = 2 if c == "x" else 4
            ch = chr(int(self.p[self.i:self.i + width], 16))
            self.i += width
        elif c.isalnum() or c == "":
            raise self.error(f"escape \\{c}")
        else:
            ch = c
        return [(ord(ch), ord(ch))] if in_class else literal(ch)

    def char_class(self) -> str:
        self.i += 1
        negate = self.peek() == "^"
        if negate:
            self.i += 1
        ranges: list[tuple[int, int]] = []
        first = True
        while True:
            c = self.peek()
            if c == "":
                raise self.error("unterminated character class")
            if c == "]" and not first:
                self.i += 1
                break
            first = False
            lo = self._class_item()
            if isinstance(lo, list):
                ranges += lo
                continue
            if self.peek() == "-" and self.peek(1) not in ("]", ""):
                self.i += 1
                hi = self._class_item()
                if isinstance(hi, list):
                    raise self.error("shorthand class as a range bound")
                if hi < lo:
                    raise ValueError(f"bad character range in {self.p!r}")
                ranges.append((lo, hi))
            else:
                ranges.append((lo, lo))
        return char_class(ranges, negate=negate)

    def _class_item(self) -> int | list[tuple[int, int]]:
        if self.peek() == "\\":
            got = self.escape(in_class=True)
            assert isinstance(got, list)
            return got if len(got) != 1 or got[0][0] != got[0][1] else got[0][0]
        if self.p.startswith("[:", self.i):
            raise self.error("POSIX character class")
        c = self.peek()
        self.i += 1
        return ord(c)
