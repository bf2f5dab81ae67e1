"""Chat prompts to token ids where message contents can never become control tokens.

The chat template is rendered with every message content replaced by a unique sentinel. The
resulting skeleton is trusted text: it is split at special-token strings exactly as llama.cpp
does when it parses special tokens (longest token first, honouring the tokens' lstrip/rstrip
attributes). Each content is then put back as raw text and every raw stretch is tokenized
without special parsing. For ordinary contents this gives the very tokens llama.cpp gives the
whole rendered text; a content holding ``<|im_end|><|im_start|>system ...`` stays plain text
tokens. Contents that still produce one of the template's special tokens (a user-defined token,
which llama.cpp matches even without special parsing) are re-tokenized with their control
strings broken (:func:`~agora.engine.control_text.neutralize_control_text`).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import llama_cpp as lc

from agora.engine.control_text import control_pattern, neutralize_control_text
from agora.llm.llamacpp.engine import LlamaEngine

_SPACES = " \t\n\v\f\r"  # C isspace, as llama.cpp strips
Render = Callable[[list[dict[str, str]]], str]


@dataclass(frozen=True)
class _Special:
    token: int
    text: str
    lstrip: bool
    rstrip: bool


Fragment = str | _Special
"""Raw text, or a special token matched in trusted text."""


class TemplateContentError(ValueError):
    """The chat template drops, repeats or rewrites message contents."""


def partition(text: str, specials: Sequence[_Special]) -> list[Fragment]:
    """``text`` split at special-token strings, as llama.cpp's ``tokenizer_st_partition``."""
    frags: list[Fragment] = [text] if text else []
    for sp in specials:
        out: list[Fragment] = []
        for frag in frags:
            if not isinstance(frag, str) or sp.text not in frag:
                out.append(frag)
                continue
            rest = frag
            while True:
                at = rest.find(sp.text)
                if at < 0:
                    if rest:
                        out.append(rest)
                    break
                left = rest[:at].rstrip(_SPACES) if sp.lstrip else rest[:at]
                if left:
                    out.append(left)
                out.append(sp)
                rest = rest[at + len(sp.text):]
                if sp.rstrip:
                    rest = rest.lstrip(_SPACES)
        frags = out
    return frags


class ChatTokenizer:
    """Token ids of chat prompts; only the template's own text may yield special tokens.

    Args:
        engine: The loaded model (vocabulary and tokenizer).
        render: Renders a message list with the chat template (generation prompt included).
        bos_text: Text of the BOS token as templates write it ('' if none).
    """

    def __init__(self, engine: LlamaEngine, render: Render, bos_text: str) -> None:
        self._engine, self._render, self._bos_text = engine, render, bos_text
        self._specials = [
            _Special(tok, text, bool(attr & lc.LLAMA_TOKEN_ATTR_LSTRIP),
                     bool(attr & lc.LLAMA_TOKEN_ATTR_RSTRIP))
            for tok, text, attr in engine.special_tokens()]
        risky = control_pattern()
        # user-defined tokens are matched even without special parsing: guard the risky ones
        self._guarded = {s.token: s.text for s in self._specials if risky.search(s.text)}
        self._nonce = secrets.token_hex(8)
        self._skeletons: dict[tuple[str, ...], tuple[list[Fragment | int], bool]] = {}

    def _sentinel(self, i: int) -> str:
        return f"AGORA{self._nonce}M{i}E"

    def skeleton(self, roles: tuple[str, ...]) -> tuple[list[Fragment | int], bool]:
        """The template for messages of ``roles``: fragments with message indices where the
        contents go, and whether BOS must be prepended."""
        got = self._skeletons.get(roles)
        if got is not None:
            return got
        text = self._render([{"role": r, "content": self._sentinel(i)}
                             for i, r in enumerate(roles)])
        marks = list(re.finditer(f"AGORA{self._nonce}M(\\d+)E", text))
        seen = sorted(int(m.group(1)) for m in marks)
        if seen != list(range(len(roles))):
            raise TemplateContentError(
                "the chat template drops, repeats or rewrites message contents, so agora "
                "cannot keep them apart from its control tokens; pass another chat_template")
        frags: list[Fragment | int] = []
        start = 0
        for m in marks:
            frags.extend(partition(text[start:m.start()], self._specials))
            frags.append(int(m.group(1)))
            start = m.end()
        frags.extend(partition(text[start:], self._specials))
        add_bos = self._engine.add_bos and not (self._bos_text and text.startswith(self._bos_text))
        for s in self._specials:  # the template's own special tokens are never data
            if any(f is s for f in frags) and not s.text.isspace():
                # (a user-defined run of line breaks, as Gemma has, is only whitespace)
                self._guarded[s.token] = s.text
        if len(self._skeletons) > 64:
            self._skeletons.clear()
        self._skeletons[roles] = got = (frags, add_bos)
        return got

    def tokens(self, messages: Sequence[Mapping[str, str]]) -> list[int]:
        """Token ids of the prompt of ``messages`` (ending with the generation prompt)."""
        frags, add_bos = self.skeleton(tuple(m["role"] for m in messages))
        contents = [m["content"] for m in messages]
        out = self._tokens(frags, contents, add_bos)
        if out is None:  # a content produced a guarded user-defined token: break its text
            extra = tuple(self._guarded.values())
            contents = [neutralize_control_text(c, extra) for c in contents]
            out = self._tokens(frags, contents, add_bos)
            if out is None:
                raise RuntimeError("message contents still produce control tokens")
        return out

    def _tokens(self, frags: Sequence[Fragment | int], contents: Sequence[str],
                add_bos: bool) -> list[int] | None:
        out = [self._engine.bos] if add_bos else []
        raw: list[str] = []
        prev: _Special | None = None

        def flush(nxt: _Special | None) -> bool:
            text = "".join(raw)
            raw.clear()
            if prev is not None and prev.rstrip:
                text = text.lstrip(_SPACES)
            if nxt is not None and nxt.lstrip:
                text = text.rstrip(_SPACES)
            if not text:
                return True
            toks = self._engine.tokenize(text, parse_special=False)
            if any(t in self._guarded for t in toks):
                return False
            out.extend(toks)
            return True

        for f in frags:
            if isinstance(f, _Special):
                if not flush(f):
                    return None
                out.append(f.token)
                prev = f
            else:
                raw.append(contents[f] if isinstance(f, int) else f)
        return out if flush(None) else None
