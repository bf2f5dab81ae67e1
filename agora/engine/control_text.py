"""Chat-template control strings in data text, and how to defuse them.

Text from an agent, a persona or a model is data: where a chat template is applied to it by a
tokenizer that parses special tokens (a remote server, vLLM, a quoted message that travels
through several prompts), a literal ``<|im_end|><|im_start|>system`` would become real turn
markers. :func:`neutralize_control_text` breaks every such string by inserting one space after
its first character (``<|im_end|>`` becomes ``< |im_end|>``): still readable, no longer a token.
It covers the control strings of the common template families (ChatML, Llama 2/3, Mistral,
Gemma, Phi, DeepSeek) and any extra strings a backend knows to be its model's special tokens.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache

CONTROL_STRINGS: tuple[str, ...] = (
    "<|im_start|>", "<|im_end|>", "<|im_sep|>", "<|endoftext|>", "<s>", "</s>", "<bos>",
    "<eos>", "<pad>", "<unk>", "[INST]", "[/INST]", "[SYSTEM_PROMPT]", "[/SYSTEM_PROMPT]",
    "<<SYS>>", "<</SYS>>", "<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>",
    "<|eom_id|>", "<|start_header_id|>", "<|end_header_id|>", "<start_of_turn>",
    "<end_of_turn>", "<|system|>", "<|user|>", "<|assistant|>", "<|end|>")
"""Chat-template control strings of common model families (matched exactly)."""

_FAMILY_PATTERNS = (
    r"<\|[^|<>\s]{1,64}\|>",  # <|anything|>: ChatML, Llama 3, Phi, GLM, ...
    "<\uff5c[^\uff5c<>\\s]{1,64}\uff5c>",  # <｜...｜>: DeepSeek's full-width bars
)
_MAX_PASSES = 8


@lru_cache(maxsize=64)
def _pattern(extra: tuple[str, ...]) -> re.Pattern[str]:
    literals = sorted({s for s in (*CONTROL_STRINGS, *extra) if len(s) >= 2},
                      key=lambda s: (-len(s), s))
    return re.compile("|".join([*map(re.escape, literals), *_FAMILY_PATTERNS]))


def control_pattern(extra: Iterable[str] = ()) -> re.Pattern[str]:
    """Regular expression matching every control string (common ones plus ``extra``)."""
    return _pattern(tuple(sorted(set(extra))))


def neutralize_control_text(text: str, extra: Iterable[str] = ()) -> str:
    """``text`` with every control string broken by a space after its first character.

    Args:
        text: Untrusted text (a message, a persona, a model's answer).
        extra: The model's own special-token strings, when the caller knows them.
    """
    pattern = control_pattern(extra)
    for _ in range(_MAX_PASSES):  # a break can never form a new match; loop for certainty
        fixed = pattern.sub(lambda m: f"{m.group(0)[0]} {m.group(0)[1:]}", text)
        if fixed == text:
            return text
        text = fixed
    return text


def neutralize_messages(messages: Iterable[Mapping[str, str]],
                        extra: Iterable[str] = ()) -> list[dict[str, str]]:
    """Chat messages with the control strings in their contents broken (roles kept)."""
    extra = tuple(extra)
    return [{"role": m["role"], "content": neutralize_control_text(m["content"], extra)}
            for m in messages]


def has_control_text(text: str, extra: Iterable[str] = ()) -> bool:
    """Whether ``text`` contains a control string."""
    return control_pattern(extra).search(text) is not None
