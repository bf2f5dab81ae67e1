"""A stand-in for ``vllm serve``'s engine: a deterministic toy model behind vLLM's wire format.

Only the engine's behaviour is stood in for (what the model answers); the request bodies it
receives can be handed to a ``check`` hook, which the real-vLLM tests point at vLLM's own
request models. It serves ``/tokenize``, ``/v1/completions`` (token-id prompts with
``logprob_token_ids``) and ``/v1/chat/completions``; like vLLM it has no ``/v1/agora/score``.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

ROLE_IDS = {"system": 1, "user": 2, "assistant": 3}
BOS, END = 0, 4
CHAR0 = 5
MODEL = "toy/char-model"
ANSWER = "42"
"""What the stand-in's chat completions always say."""


class ToyTokenizer:
    """One token per (ASCII) character; the chat template is BOS, then per turn its role
    token, its text and END (the end-of-turn token)."""

    vocab_size = CHAR0 + 128
    turn_end = END

    def encode(self, text: str, add_special_tokens: bool = False) -> list[int]:
        return ([BOS] if add_special_tokens else []) + [CHAR0 + min(ord(c), 127) for c in text]

    def decode(self, tok: int) -> str:
        return chr(tok - CHAR0) if tok >= CHAR0 else f"<{tok}>"

    def chat(self, messages: Sequence[dict[str, Any]], add_generation_prompt: bool) -> list[int]:
        ids = [BOS]
        for m in messages:
            ids += [ROLE_IDS[m["role"]], *self.encode(m["content"]), END]
        return [*ids, ROLE_IDS["assistant"]] if add_generation_prompt else ids


class HFTokenizer:
    """A Hugging Face tokenizer used as ``vllm serve``'s ``/tokenize`` uses it: the chat
    template rendered to text, then encoded without added special tokens."""

    def __init__(self, tokenizer: Any, turn_end: str) -> None:
        self._tok = tokenizer
        self.vocab_size = len(tokenizer)
        self.turn_end = int(tokenizer.convert_tokens_to_ids(turn_end))

    def encode(self, text: str, add_special_tokens: bool = False) -> list[int]:
        return list(self._tok.encode(text, add_special_tokens=add_special_tokens))

    def decode(self, tok: int) -> str:
        return str(self._tok.decode([tok]))

    def chat(self, messages: Sequence[dict[str, Any]], add_generation_prompt: bool) -> list[int]:
        text = self._tok.apply_chat_template(list(messages), tokenize=False,
                                             add_generation_prompt=add_generation_prompt)
        return self.encode(text)


def logprobs(context: Sequence[int], vocab_size: int) -> np.ndarray:
    """The stand-in model's next-token log-probabilities after ``context``."""
    h = sum((i + 1) * t for i, t in enumerate(context)) % 1009
    logits = ((h + 7 * np.arange(vocab_size)) % 13) / 3.0
    return logits - np.log(np.exp(logits).sum())


def closed_form(tok: ToyTokenizer | HFTokenizer, messages: Sequence[dict[str, Any]],
                candidate: str, terminate: bool) -> float:
    """``log p(candidate | messages)`` under the stand-in model, token by token."""
    ctx = tok.chat(messages, True)
    total = 0.0
    for t in tok.encode(candidate) + ([tok.turn_end] if terminate else []):
        total += float(logprobs(ctx, tok.vocab_size)[t])
        ctx = [*ctx, t]
    return total


Check = Callable[[str, dict[str, Any], dict[str, Any]], None]
"""``check(endpoint, request_body, response_body)``: raises if either is not vLLM's."""


def create_app(check: Check | None = None, tok: ToyTokenizer | HFTokenizer | None = None,
               ) -> tuple[FastAPI, list[tuple[str, dict[str, Any]]]]:
    """The stand-in app (``tok``: the toy tokenizer by default) and the log of
    ``(endpoint, body)`` it received, in order."""
    app = FastAPI()
    seen: list[tuple[str, dict[str, Any]]] = []
    tokenizer = tok or ToyTokenizer()
    vocab = tokenizer.vocab_size

    def answer(endpoint: str, body: dict[str, Any], out: dict[str, Any]) -> JSONResponse:
        if check is not None:
            try:
                check(endpoint, body, out)
            except Exception as exc:  # any rejection is the client's 400
                return JSONResponse({"error": f"{type(exc).__name__}: {exc}"}, status_code=400)
        return JSONResponse(out)

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/v1/models")
    async def models() -> dict[str, Any]:
        return {"object": "list", "data": [{"id": MODEL, "object": "model"}]}

    @app.post("/tokenize")
    async def tokenize(request: Request) -> JSONResponse:
        body = await request.json()
        seen.append(("tokenize", body))
        if "messages" in body:
            ids = tokenizer.chat(body["messages"], body.get("add_generation_prompt", True))
        else:
            ids = tokenizer.encode(body["prompt"], body.get("add_special_tokens", True))
        return answer("tokenize", body, {"count": len(ids), "max_model_len": 4096,
                                         "tokens": ids})

    @app.post("/v1/completions")
    async def completions(request: Request) -> JSONResponse:
        body = await request.json()
        seen.append(("completions", body))
        ctx = body["prompt"]
        lps = logprobs(ctx, vocab)
        best = int(np.argmax(lps))
        asked = body.get("logprob_token_ids") or []
        top = {f"token_id:{t}": max(float(lps[t]), -9999.0) for t in [best, *asked]}
        out = {"id": "cmpl-1", "object": "text_completion", "created": 0, "model": MODEL,
               "choices": [{"index": 0, "text": tokenizer.decode(best), "finish_reason": "length",
                            "logprobs": {"text_offset": [0], "token_logprobs": [float(lps[best])],
                                         "tokens": [f"token_id:{best}"],
                                         "top_logprobs": [top]}}],
               "usage": {"prompt_tokens": len(ctx), "completion_tokens": 1,
                         "total_tokens": len(ctx) + 1}}
        return answer("completions", body, out)

    @app.post("/v1/chat/completions")
    async def chat(request: Request) -> JSONResponse:
        body = await request.json()
        seen.append(("chat", body))
        ctx = tokenizer.chat(body["messages"], True)
        n_prompt = len(ctx)
        logprob_content = []
        for tok in tokenizer.encode(ANSWER):
            lps = logprobs(ctx, vocab)
            ranked = np.argsort(-lps, kind="stable")[:body.get("top_logprobs") or 0]
            piece = tokenizer.decode(tok)
            logprob_content.append({
                "token": piece, "logprob": float(lps[tok]), "bytes": list(piece.encode()),
                "top_logprobs": [{"token": tokenizer.decode(int(t)), "logprob": float(lps[t]),
                                  "bytes": list(tokenizer.decode(int(t)).encode())}
                                 for t in ranked]})
            ctx = [*ctx, tok]
        out = {"id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": MODEL,
               "choices": [{"index": 0, "message": {"role": "assistant", "content": ANSWER},
                            "finish_reason": "stop",
                            "logprobs": {"content": logprob_content} if body.get("logprobs")
                            else None}],
               "usage": {"prompt_tokens": n_prompt, "completion_tokens": len(logprob_content),
                         "total_tokens": n_prompt + len(logprob_content)}}
        return answer("chat", body, out)

    return app, seen


class LoopbackServer:
    """An ASGI app served by uvicorn on 127.0.0.1 in a background thread."""

    def __init__(self, app: Any) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}/v1"
        self._server = uvicorn.Server(uvicorn.Config(app, log_level="warning",
                                                     access_log=False))
        self._thread = threading.Thread(
            target=lambda: asyncio.run(self._server.serve(sockets=[self._sock])), daemon=True)
        self._thread.start()
        for _ in range(400):
            if self._server.started:
                break
            threading.Event().wait(0.025)
        else:
            raise RuntimeError("the loopback server did not start")

    def close(self) -> None:
        self._server.should_exit = True
        self._thread.join(10)
        self._sock.close()
