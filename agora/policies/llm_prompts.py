"""Chat prompts for LLM agents: what every agent shares first, what is its own last.

The system message holds only the game rules for the agent's role, identical for every agent of
that role in a run. The user message starts with the answer instruction matching the constraint
the backend enforces (one per action spec, so shared too), then the persona and the situation
rendered by the game's ``prompts`` module. Batched engines evaluate a shared prefix once for the
whole batch (llama.cpp prefix tree, vLLM prefix cache), so only the agent's own text at the end
costs prefill per decision: with round-by-round feedback this order needs 2.5 times fewer
prompt tokens evaluated than an instruction at the end.
"""

from __future__ import annotations

import hashlib
import json

from agora.engine.batch import DecisionRequest
from agora.engine.kernel import GameKernel

REASONING_INSTRUCTION = ("Before answering, think briefly about what the others are likely to do"
                         " and what is best for you. Write at most three sentences and no final"
                         " answer yet.")
REPAIR_TEMPLATE = ("Your previous answer could not be used ({error}). {instruction}")


def build_messages(kernel: GameKernel, request: DecisionRequest,
                   system_prefix: str | None = None) -> list[dict[str, str]]:
    """Chat messages for one decision (rules; answer format, persona and situation)."""
    prompts = kernel.prompts
    rules = prompts.rules(kernel.config, request.role)
    system = f"{system_prefix}\n\n{rules}" if system_prefix else rules
    instruction = prompts.answer_instruction(request.spec)
    if "\n\n" in instruction:
        raise ValueError(f"{kernel.name}: the answer instruction must be one paragraph")
    parts = [instruction]
    if request.persona_text:
        parts.append(request.persona_text)
    parts.append(prompts.situation(kernel.config, request.observation))
    return [{"role": "system", "content": system}, {"role": "user", "content": "\n\n".join(parts)}]


def _split(messages: list[dict[str, str]]) -> tuple[str, str]:
    """``(answer instruction, persona and situation)`` of a :func:`build_messages` prompt."""
    instruction, _, rest = messages[-1]["content"].partition("\n\n")
    return instruction, rest


def with_reasoning(messages: list[dict[str, str]]) -> list[dict[str, str]]:
    """The same prompt asking for brief free-text reasoning instead of the answer."""
    user = _split(messages)[1]
    return [*messages[:-1], {"role": "user", "content": f"{user}\n\n{REASONING_INSTRUCTION}"}]


def after_reasoning(messages: list[dict[str, str]], reasoning: str) -> list[dict[str, str]]:
    """Continue a reasoning exchange with the request for the constrained answer."""
    return [*with_reasoning(messages), {"role": "assistant", "content": reasoning},
            {"role": "user", "content": _split(messages)[0]}]


def repair(messages: list[dict[str, str]], answer: str, error: str) -> list[dict[str, str]]:
    """Re-ask once after an unusable answer, quoting the error (the answer itself is data)."""
    instruction = _split(messages)[0]
    return [*messages, {"role": "assistant", "content": answer[:500]},
            {"role": "user", "content": REPAIR_TEMPLATE.format(error=error,
                                                               instruction=instruction)}]


def prompt_json(messages: list[dict[str, str]]) -> str:
    """The prompt as canonical JSON text (ASCII, sorted keys, no spaces): what is stored."""
    return json.dumps(messages, sort_keys=True, separators=(",", ":"))


def prompt_sha(text: str) -> str:
    """SHA-256 (hex) of a :func:`prompt_json` text: the key a decision records."""
    return hashlib.sha256(text.encode("ascii")).hexdigest()
