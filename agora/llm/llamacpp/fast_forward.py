"""Skipping decode steps a constraint makes pointless.

``forced_prefix`` is text every valid answer starts with (``{"guess": `` for an object schema
with a required first key): it is appended to the prompt and evaluated in the batched prompt
pass instead of being decoded token by token. ``is_final`` says when a partial answer cannot
be extended, so the end-of-turn token need not be decoded either. Both are exact for the
grammars of :mod:`agora.llm.grammar`, from which the prefix is derived.
"""

from __future__ import annotations

import json

from agora.llm.grammar import compile_constraint
from agora.llm.types import Constraint


def forced_prefix(constraint: Constraint | None, *, frac_digits: int = 3) -> str:
    """Text every answer satisfying ``constraint`` starts with ("" if none is known).

    Derived from the very grammar that enforces the constraint
    (:func:`agora.llm.grammar.compile_constraint`), so the two cannot disagree. Regex and
    user-grammar constraints are decoded token by token (no prefix is forced).
    """
    if constraint is None or (constraint.json_schema is None and constraint.choices is None):
        return ""
    return compile_constraint(constraint, frac_digits=frac_digits).forced_prefix


def is_final(text: str, constraint: Constraint | None) -> bool:
    """Whether ``text`` satisfies ``constraint`` and no longer text does."""
    if constraint is None or not text:
        return False
    if constraint.choices is not None:
        return text in constraint.choices and not any(
            c != text and c.startswith(text) for c in constraint.choices)
    if constraint.json_schema is not None and text[-1] in '}]"':
        # A complete JSON object, array or string admits no continuation (no trailing spaces).
        try:
            json.loads(text)
        except ValueError:
            return False
        return True
    return False
