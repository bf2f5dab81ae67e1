"""OpenAI chat-completions wire format <-> agora request and completion types."""

from __future__ import annotations

import json
import math
import time
import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from agora.llm.types import Completion, Constraint, GenerationRequest, SamplingParams

HARMLESS_EXTRAS = frozenset({"user", "metadata", "store", "service_tier"})
"""Accepted and ignored OpenAI parameters that do not change the completion."""
DEFAULT_MAX_TOKENS = 256
"""Tokens generated when a request gives neither ``max_tokens`` nor ``max_completion_tokens``."""
MIN_TEMPERATURE = 1e-3
"""Smallest non-zero temperature (0 is greedy); tinier ones overflow the softmax."""
MAX_STOP = 16
"""Most stop strings one request may give."""
MAX_CANDIDATES = 1024
"""Most candidate answers one ``/v1/agora/score`` request may give."""


class ProtocolError(ValueError):
    """The request is invalid or asks for something this server does not do (HTTP 400)."""


class ChatRequest(BaseModel):
    """The subset of ``POST /v1/chat/completions`` this server implements."""

    model_config = ConfigDict(extra="allow")

    model: str | None = None
    messages: list[dict[str, Any]]
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    max_completion_tokens: int | None = None
    seed: int | None = None
    stop: str | list[str] | None = None
    n: int = 1
    stream: bool = False
    logprobs: bool = False
    top_logprobs: int | None = None
    frequency_penalty: float = 0.0
    presence_penalty: float = 0.0
    response_format: dict[str, Any] | None = None
    structured_outputs: dict[str, Any] | None = None


class ScoreRequest(BaseModel):
    """``POST /v1/agora/score``: log-probabilities of candidate answers."""

    model: str | None = None
    messages: list[dict[str, Any]]
    candidates: list[str] = Field(min_length=1, max_length=MAX_CANDIDATES)
    terminate: bool = True


def messages_of(raw: list[dict[str, Any]]) -> tuple[dict[str, str], ...]:
    """Chat turns with plain-string content (text content parts are joined)."""
    out = []
    for i, m in enumerate(raw):
        role, content = m.get("role"), m.get("content")
        if isinstance(content, list):
            parts = []
            for part in content:
                if not (isinstance(part, dict) and part.get("type") == "text"
                        and isinstance(part.get("text", ""), str)):
                    raise ProtocolError(f"message {i}: only text content parts are supported")
                parts.append(part.get("text", ""))
            content = "".join(parts)
        if role not in ("system", "user", "assistant", "developer"):
            raise ProtocolError(f"message {i}: unsupported role {role!r}")
        if not isinstance(content, str):
            raise ProtocolError(f"message {i}: content must be a string")
        out.append({"role": "system" if role == "developer" else role, "content": content})
    return tuple(out)


def constraint_of(req: ChatRequest) -> Constraint | None:
    """The constraint asked for by ``response_format`` or vLLM's ``structured_outputs``."""
    rf = req.response_format
    if rf is not None and rf.get("type") == "text":
        rf = None
    if rf is not None and req.structured_outputs is not None:
        raise ProtocolError("give either response_format or structured_outputs, not both")
    if rf is not None:
        kind = rf.get("type")
        if kind == "json_object":
            return Constraint(json_schema={"type": "object"})
        if kind == "json_schema":
            spec = rf.get("json_schema")
            if not isinstance(spec, dict):
                raise ProtocolError("response_format.json_schema must be an object")
            schema = spec.get("schema")
            if not isinstance(schema, dict):
                raise ProtocolError("response_format.json_schema.schema must be an object")
            return Constraint(json_schema=schema)
        raise ProtocolError(f"unsupported response_format type {kind!r}")
    so = req.structured_outputs
    if so is None:
        return None
    so = {k: v for k, v in so.items() if v is not None and k != "disable_any_whitespace"}
    if len(so) != 1:
        raise ProtocolError(f"structured_outputs needs exactly one of json, regex, choice, "
                            f"grammar, json_object; got {sorted(so)}")
    (key, value), = so.items()
    if key == "choice":
        if not (isinstance(value, list) and all(isinstance(c, str) for c in value)):
            raise ProtocolError("structured_outputs.choice must be a list of strings")
        return Constraint(choices=tuple(value))
    if key in ("regex", "grammar"):
        if not isinstance(value, str):
            raise ProtocolError(f"structured_outputs.{key} must be a string")
        return Constraint(**{key: value})
    if key == "json":
        schema = json.loads(value) if isinstance(value, str) else value
        if not isinstance(schema, dict):
            raise ProtocolError("structured_outputs.json must be a JSON schema object")
        return Constraint(json_schema=schema)
    if key == "json_object" and value:
        return Constraint(json_schema={"type": "object"})
    raise ProtocolError(f"unsupported structured_outputs field {key!r}")


def to_generation_request(req: ChatRequest, *, default_max_tokens: int) -> GenerationRequest:
    """Validate an HTTP request and convert it; raises :class:`ProtocolError`."""
    extras = set(req.model_extra or {}) - HARMLESS_EXTRAS
    if extras:
        raise ProtocolError(f"unsupported parameter(s): {sorted(extras)}")
    if req.n != 1:
        raise ProtocolError("only n=1 is supported")
    if req.stream:
        raise ProtocolError("streaming is not supported")
    if req.frequency_penalty or req.presence_penalty:
        raise ProtocolError("frequency/presence penalties are not supported")
    max_tokens = next((m for m in (req.max_completion_tokens, req.max_tokens) if m is not None),
                      default_max_tokens)
    if req.temperature is not None and 0 < req.temperature < MIN_TEMPERATURE:
        raise ProtocolError(f"temperature must be 0 (greedy) or >= {MIN_TEMPERATURE}, "
                            f"got {req.temperature}")
    if isinstance(req.stop, list) and len(req.stop) > MAX_STOP:
        raise ProtocolError(f"at most {MAX_STOP} stop strings are supported, got {len(req.stop)}")
    try:
        sampling = SamplingParams(
            temperature=1.0 if req.temperature is None else req.temperature,
            top_p=1.0 if req.top_p is None else req.top_p, max_tokens=max_tokens,
            seed=None if req.seed is None else req.seed % 2**32,
            stop=() if req.stop is None else req.stop,
            logprobs=(req.top_logprobs or 0) if req.logprobs else None)
        return GenerationRequest(messages=messages_of(req.messages),
                                 constraint=constraint_of(req), sampling=sampling,
                                 request_id=f"chatcmpl-{uuid.uuid4().hex}")
    except (ValueError, TypeError) as exc:
        raise ProtocolError(str(exc)) from None
    except RecursionError:
        raise ProtocolError("the request's constraint nests too deeply") from None


def completion_response(c: Completion, want_logprobs: bool) -> dict[str, Any]:
    """An OpenAI ``chat.completion`` object."""
    logprobs = None
    if want_logprobs and c.logprobs is not None:
        logprobs = {"content": [
            {"token": t.token, "logprob": _json_logprob(t.logprob),
             "bytes": list(t.token.encode("utf-8")),
             "top_logprobs": [{"token": s, "logprob": _json_logprob(lp),
                               "bytes": list(s.encode("utf-8"))} for s, lp in t.top_logprobs]}
            for t in c.logprobs]}
    return {
        "id": c.request_id, "object": "chat.completion", "created": int(time.time()),
        "model": c.model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": c.text},
                     "finish_reason": c.finish_reason, "logprobs": logprobs}],
        "usage": {"prompt_tokens": c.tokens_in, "completion_tokens": c.tokens_out,
                  "total_tokens": c.tokens_in + c.tokens_out},
    }


def _json_logprob(lp: float) -> float:
    """A log-probability JSON can carry (OpenAI writes -9999.0 for an impossible token)."""
    return lp if math.isfinite(lp) else -9999.0


def error_body(message: str, *, kind: str = "invalid_request_error", code: int = 400) -> dict:
    """An OpenAI-style error object."""
    return {"error": {"message": message, "type": kind, "code": code}}
