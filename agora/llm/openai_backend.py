"""Client backend for any OpenAI-compatible server (``vllm serve``, ``agora serve``, ...).

A batch is sent as concurrent HTTP requests (at most ``max_concurrency`` in flight) so the
server's own batcher sees the whole step at once. Connection errors, timeouts, 429 and 5xx
answers are retried with exponential backoff and jitter; when retries run out the batch
fails with :class:`~agora.llm.base.BackendUnavailableError`, which the runner treats as
resumable. JSON-schema constraints use the standard ``response_format``; choice, regex and
grammar constraints use vLLM's ``structured_outputs`` request extra (also served by agora).
Every body is one that vLLM's own ``ChatCompletionRequest`` accepts and obeys (checked
against the installed vLLM by ``tests/test_openai_vllm_real.py``): ``max_completion_tokens``
rather than the deprecated ``max_tokens``, ``logprobs``/``top_logprobs`` when the sampling asks
for log-probabilities, and only temperatures vLLM honours as given (0, or 0.01 to 2).

``score`` uses agora serve's ``/v1/agora/score`` and, against a server without it (a
``vllm serve``: HTTP 404), vLLM's own endpoints instead (:mod:`agora.llm.openai_scoring`); the
choice is made on the first call and kept.

The server applies the chat template and may parse special tokens in the text, so message
contents are sent with their chat-template control strings broken (the common families' and
the model's own ``special_tokens``): data never becomes a chat turn.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import httpx
import numpy as np

from agora.engine.control_text import neutralize_messages
from agora.llm.base import Backend, BackendError, BackendUnavailableError
from agora.llm.openai_scoring import Post, VLLMScorer, server_root
from agora.llm.types import Completion, Constraint, GenerationRequest, TokenLogprob

T = TypeVar("T")
RETRY_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
SCORE_PATH = "/agora/score"
"""agora serve's scoring endpoint, relative to the ``/v1`` base URL."""


class ServerRefusedError(BackendError):
    """The server answered with an HTTP error status that is not worth retrying."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def constraint_body(constraint: Constraint | None) -> dict[str, Any]:
    """Request-body fields that impose ``constraint`` on an OpenAI-compatible server."""
    if constraint is None:
        return {}
    if constraint.json_schema is not None:
        return {"response_format": {"type": "json_schema", "json_schema": {
            "name": "answer", "schema": constraint.json_schema, "strict": True}}}
    if constraint.choices is not None:
        return {"structured_outputs": {"choice": list(constraint.choices)}}
    if constraint.regex is not None:
        return {"structured_outputs": {"regex": constraint.regex}}
    return {"structured_outputs": {"grammar": constraint.grammar}}


class OpenAIBackend(Backend):
    """Async HTTP client of an OpenAI-compatible ``/v1/chat/completions`` endpoint.

    Args:
        base_url: Server base URL ending in ``/v1`` (e.g. ``http://127.0.0.1:8000/v1``).
        model: Model id; ``None`` asks ``GET /models`` and requires exactly one model.
        api_key: Bearer token (``"EMPTY"`` for local servers).
        max_concurrency: Requests in flight at once.
        timeout_s: Per-request timeout (connect, read and write).
        max_retries: Retries after the first attempt before giving up.
        backoff_s: First retry delay; doubles each retry, with jitter in [0.5, 1.5).
        backoff_max_s: Cap of the retry delay.
        seed: Seed of the jitter generator.
        special_tokens: The served model's special-token strings, broken in message contents
            besides the common control strings of chat templates.
    """

    name = "openai"
    max_temperature = 2.0
    """OpenAI's documented range is [0, 2]; vLLM answers a higher temperature with HTTP 400."""
    min_positive_temperature = 0.01
    """``vllm serve`` (the main server behind this client) silently raises a temperature in
    (0, 0.01) to 0.01, so such temperatures are refused up front."""

    def __init__(self, base_url: str, model: str | None = None, *, api_key: str = "EMPTY",
                 max_concurrency: int = 64, timeout_s: float = 60.0, max_retries: int = 5,
                 backoff_s: float = 0.5, backoff_max_s: float = 20.0, seed: int = 0,
                 special_tokens: Sequence[str] = ()) -> None:
        super().__init__()
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must be an http(s) URL, got {base_url!r}")
        if max_concurrency < 1:
            raise ValueError(f"max_concurrency must be >= 1, got {max_concurrency}")
        if not timeout_s > 0:
            raise ValueError(f"timeout_s must be > 0, got {timeout_s}")
        if max_retries < 0:
            raise ValueError(f"max_retries must be >= 0, got {max_retries}")
        if backoff_s < 0 or backoff_max_s < backoff_s:
            raise ValueError("need 0 <= backoff_s <= backoff_max_s")
        self.base_url = base_url.rstrip("/")
        self.max_concurrency, self.timeout_s = max_concurrency, timeout_s
        self.max_retries, self.backoff_s, self.backoff_max_s = max_retries, backoff_s, backoff_max_s
        self._headers = {"Authorization": f"Bearer {api_key}"}
        self._rng = np.random.default_rng(seed)
        self._rng_lock = threading.Lock()
        self._model = model
        if isinstance(special_tokens, str) or not all(isinstance(t, str)
                                                      for t in special_tokens):
            raise ValueError("special_tokens must be a list of strings")
        self.special_tokens = tuple(special_tokens)
        self._score_protocol: str | None = None  # "agora" or "vllm", found on the first score
        self._vllm_scorer: VLLMScorer | None = None

    def __repr__(self) -> str:
        return f"OpenAIBackend(base_url={self.base_url!r}, model={self._model!r})"

    # ------------------------------------------------------------------ plumbing
    @property
    def model_name(self) -> str:
        """The model id requests name (asked from the server once if not given)."""
        if self._model is None:
            self._model = self._run(self._discover_model)
        return self._model

    def _run(self, make: Callable[[], Awaitable[T]]) -> T:
        """Run a coroutine to completion from sync code, with or without a running loop."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(make())  # type: ignore[arg-type]
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(asyncio.run, make()).result()  # type: ignore[arg-type]

    def _client(self) -> httpx.AsyncClient:
        limits = httpx.Limits(max_connections=self.max_concurrency,
                              max_keepalive_connections=self.max_concurrency)
        return httpx.AsyncClient(base_url=self.base_url, headers=self._headers, limits=limits,
                                 timeout=httpx.Timeout(self.timeout_s))

    async def _discover_model(self) -> str:
        async with self._client() as client:
            data = await self._request(client, "GET", "/models", None)
        ids = [m["id"] for m in data.get("data", [])]
        if len(ids) != 1:
            raise BackendError(f"server at {self.base_url} serves models {ids}; pass model=")
        return str(ids[0])

    async def _request(self, client: httpx.AsyncClient, method: str, path: str,
                       body: dict[str, Any] | None) -> dict[str, Any]:
        """One call with retries; returns the decoded JSON body."""
        last = ""
        for attempt in range(self.max_retries + 1):
            if attempt:
                delay = min(self.backoff_max_s, self.backoff_s * 2 ** (attempt - 1))
                with self._rng_lock:
                    jitter = 0.5 + float(self._rng.random())
                await asyncio.sleep(delay * jitter)
            try:
                resp = await client.request(method, path, json=body)
            except (httpx.TransportError, httpx.TimeoutException) as exc:
                last = f"{type(exc).__name__}: {exc}"
                continue
            if resp.status_code in RETRY_STATUS:
                last = f"HTTP {resp.status_code}: {resp.text[:300]}"
                continue
            if resp.status_code >= 400:
                raise ServerRefusedError(f"{method} {resp.request.url} failed with HTTP "
                                         f"{resp.status_code}: {resp.text[:1000]}",
                                         resp.status_code)
            try:
                return resp.json()
            except ValueError:
                raise BackendError(f"{path} returned non-JSON: {resp.text[:300]!r}") from None
        raise BackendUnavailableError(
            f"{method} {self.base_url}{path} failed after {self.max_retries + 1} attempts "
            f"(timeout {self.timeout_s}s); last error: {last}")

    # ------------------------------------------------------------------ generate
    def _generate(self, requests: Sequence[GenerationRequest]) -> list[Completion]:
        model = self.model_name
        return self._run(lambda: self.agenerate_unrecorded(requests, model))

    async def agenerate(self, requests: Sequence[GenerationRequest]) -> list[Completion]:
        """Async ``generate`` for callers that already run an event loop."""
        self._check_open()
        for r in requests:
            self.check_sampling(r.sampling)
        model = self._model or await self._discover_model()
        self._model = model
        t0 = time.perf_counter()
        out = await self.agenerate_unrecorded(requests, model)
        self._telemetry.record_generate(out, time.perf_counter() - t0)
        return out

    async def agenerate_unrecorded(self, requests: Sequence[GenerationRequest],
                                   model: str) -> list[Completion]:
        """Send every request concurrently (bounded) and collect completions in order."""
        sem = asyncio.Semaphore(self.max_concurrency)
        t0 = time.perf_counter()
        async with self._client() as client:

            async def one(req: GenerationRequest) -> Completion:
                async with sem:
                    data = await self._request(client, "POST", "/chat/completions",
                                               self._body(req, model))
                return _completion(data, req, model, time.perf_counter() - t0)

            return list(await asyncio.gather(*(one(r) for r in requests)))

    def _body(self, req: GenerationRequest, model: str) -> dict[str, Any]:
        sp = req.sampling
        body: dict[str, Any] = {
            "model": model, "messages": self._messages(req), "temperature": sp.temperature,
            "top_p": sp.top_p, "max_completion_tokens": sp.max_tokens}
        if sp.seed is not None:
            body["seed"] = sp.seed
        if sp.stop:
            body["stop"] = list(sp.stop)
        if sp.logprobs is not None:
            body["logprobs"] = True
            body["top_logprobs"] = sp.logprobs
        body.update(constraint_body(req.constraint))
        return body

    def _messages(self, req: GenerationRequest) -> list[dict[str, str]]:
        """The request's messages with control strings in their contents broken."""
        return neutralize_messages(req.messages, self.special_tokens)

    # ------------------------------------------------------------------ score
    def _score(self, prompts: Sequence[GenerationRequest], candidates: Sequence[Sequence[str]],
               terminate: bool) -> list[np.ndarray]:
        model = self.model_name
        if self._vllm_scorer is None:
            self._vllm_scorer = VLLMScorer(server_root(self.base_url), model)
        scorer = self._vllm_scorer

        async def run() -> list[np.ndarray]:
            sem = asyncio.Semaphore(self.max_concurrency)
            async with self._client() as client:

                async def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
                    async with sem:
                        return await self._request(client, "POST", path, body)

                async def one(p: GenerationRequest, cands: Sequence[str]) -> np.ndarray:
                    messages = self._messages(p)
                    if self._score_protocol == "vllm":
                        return await scorer.score(post, messages, cands, terminate)
                    body = {"model": model, "messages": messages, "candidates": list(cands),
                            "terminate": terminate}
                    try:
                        data = await post(SCORE_PATH, body)
                    except ServerRefusedError as exc:
                        if exc.status != 404:
                            raise
                        self._score_protocol = "vllm"
                        return await self._score_vllm(scorer, post, messages, cands, terminate)
                    self._score_protocol = "agora"
                    return np.asarray(data["logprobs"], dtype=np.float64)

                pairs = list(zip(prompts, candidates, strict=True))
                first = [] if self._score_protocol else [await one(*pairs[0])]
                rest = pairs[len(first):]
                return first + list(await asyncio.gather(*(one(p, c) for p, c in rest)))

        return self._run(run)

    async def _score_vllm(self, scorer: VLLMScorer, post: Post, messages: list[dict[str, str]],
                          cands: Sequence[str], terminate: bool) -> np.ndarray:
        """The first vLLM-protocol score: a server with neither protocol cannot score."""
        try:
            return await scorer.score(post, messages, cands, terminate)
        except ServerRefusedError as exc:
            if exc.status != 404:
                raise
            self._score_protocol = None
            raise NotImplementedError(
                f"{self.base_url} serves neither {SCORE_PATH} (agora serve) nor /tokenize "
                "(vllm serve); scoring needs one of them or an in-process backend") from exc


def _completion(data: dict[str, Any], req: GenerationRequest, model: str,
                latency: float) -> Completion:
    try:
        choice = data["choices"][0]
        text = choice["message"]["content"]
        usage = data["usage"]
        reason = choice.get("finish_reason") or "stop"
    except (KeyError, IndexError, TypeError) as exc:
        raise BackendError(f"malformed chat completion ({exc!r}): {str(data)[:300]}") from None
    if reason not in ("stop", "length"):
        raise BackendError(f"unexpected finish_reason {reason!r}")
    logprobs = None
    if req.sampling.logprobs is not None:
        logprobs = chat_logprobs(choice.get("logprobs"), req.sampling.logprobs)
    return Completion(text=text or "", tokens_in=int(usage["prompt_tokens"]),
                      tokens_out=int(usage["completion_tokens"]), latency_s=latency,
                      finish_reason=reason, model=str(data.get("model") or model),
                      request_id=req.request_id, logprobs=logprobs)


def chat_logprobs(raw: Any, k: int) -> tuple[TokenLogprob, ...]:
    """A chat completion choice's ``logprobs`` (``{"content": [...]}``) as agora's type,
    keeping at most ``k`` alternatives per token."""
    try:
        return tuple(TokenLogprob(
            token=str(t["token"]), logprob=float(t["logprob"]),
            top_logprobs=tuple((str(a["token"]), float(a["logprob"]))
                               for a in (t.get("top_logprobs") or ())[:k]))
            for t in raw["content"] or ())
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise BackendError(f"the server sent no usable logprobs ({exc!r}): {str(raw)[:300]}") \
            from None
