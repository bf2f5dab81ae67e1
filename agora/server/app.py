"""The policy server: an OpenAI-compatible ASGI app over an in-process backend.

Whatever a client sends, the process keeps serving: a request agora cannot serve gets a 400
(413/421 from :mod:`agora.server.guard`) with a JSON error naming why, and a request that fails
inside a backend batch fails alone (see :class:`~agora.server.batcher.MicroBatcher`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from agora.llm.base import Backend
from agora.llm.types import GenerationRequest
from agora.server.batcher import MicroBatcher
from agora.server.guard import RequestGuard
from agora.server.protocol import (
    DEFAULT_MAX_TOKENS,
    ChatRequest,
    ProtocolError,
    ScoreRequest,
    completion_response,
    error_body,
    messages_of,
    to_generation_request,
)

REQUEST_ERRORS = (ValueError, TypeError, NotImplementedError, RecursionError)
"""Exceptions by which a backend says one request cannot be served (answered with 400)."""
log = logging.getLogger("agora.server")


def create_app(backend: Backend, *, batch_window_s: float = 0.005, max_batch: int = 256,
               default_max_tokens: int = DEFAULT_MAX_TOKENS,
               check_host: bool = True) -> RequestGuard:
    """ASGI app serving ``backend``: ``/health``, ``/v1/models``, ``/v1/chat/completions``.

    Also ``POST /v1/agora/score`` (``{messages, candidates, terminate}`` -> ``{logprobs}``).
    Requests arriving together are decoded as one backend batch. The FastAPI app is wrapped in
    :class:`~agora.server.guard.RequestGuard` (``Host`` check unless ``check_host`` is false,
    body size and nesting limits); it is reachable as ``.app``.
    """
    batcher = MicroBatcher(backend, window_s=batch_window_s, max_batch=max_batch)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        batcher.start()
        try:
            yield
        finally:
            await batcher.stop()

    app = FastAPI(title="agora policy server", lifespan=lifespan)
    app.state.batcher = batcher
    model = backend.model_name

    @app.exception_handler(ProtocolError)
    async def _bad_request(_: Request, exc: ProtocolError) -> JSONResponse:
        return JSONResponse(error_body(str(exc)), status_code=400)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(f"{'.'.join(map(str, e.get('loc', ())))}: {e.get('msg')}"
                             for e in exc.errors()[:5])
        return JSONResponse(error_body(f"invalid request: {problems[:1000]}"), status_code=400)

    @app.exception_handler(Exception)
    async def _internal(_: Request, exc: Exception) -> JSONResponse:
        log.error("internal error", exc_info=exc)
        return JSONResponse(error_body(f"internal error: {type(exc).__name__}",
                                       kind="server_error", code=500), status_code=500)

    @app.get("/health")
    async def health() -> dict[str, Any]:
        return {"status": "ok", "model": model, "batches": batcher.batches}

    @app.get("/v1/models")
    async def models() -> dict[str, Any]:
        return {"object": "list", "data": [
            {"id": model, "object": "model", "created": 0, "owned_by": "agora"}]}

    @app.post("/v1/chat/completions")
    async def chat(body: ChatRequest) -> JSONResponse:
        request = to_generation_request(body, default_max_tokens=default_max_tokens)
        try:  # off the event loop: compiling a large grammar takes a while
            await asyncio.to_thread(backend.validate, request)
            completion = await batcher.generate(request)
        except REQUEST_ERRORS as exc:
            raise ProtocolError(_why(exc)) from None
        return JSONResponse(completion_response(completion, body.logprobs))

    @app.post("/v1/agora/score")
    async def score(body: ScoreRequest) -> dict[str, Any]:
        try:
            prompt = GenerationRequest(messages=messages_of(body.messages))
            result = await batcher.call(
                lambda: backend.score([prompt], [body.candidates], terminate=body.terminate))
        except REQUEST_ERRORS as exc:
            raise ProtocolError(_why(exc)) from None
        return {"model": model, "logprobs": [_finite(float(x)) for x in result[0]]}

    return RequestGuard(app, check_host=check_host)


def _why(exc: BaseException) -> str:
    if isinstance(exc, RecursionError):
        return "the request nests too deeply"
    return str(exc) or type(exc).__name__


def _finite(x: float) -> float:
    return x if x == x and abs(x) != float("inf") else -9999.0
