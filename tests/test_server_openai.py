"""``agora serve`` as a real subprocess, driven by OpenAIBackend and the official openai client."""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from agora.llm import (
    BackendError,
    BackendUnavailableError,
    Constraint,
    GenerationRequest,
    OpenAIBackend,
    SamplingParams,
)
from agora.llm.base import Backend
from agora.llm.types import Completion
from agora.testing import check_backend

pytestmark = pytest.mark.llm
ROOT = Path(__file__).resolve().parents[1]
GUESS = {"type": "object", "properties": {"guess": {"type": "integer", "minimum": 0,
                                                    "maximum": 100}},
         "required": ["guess"], "additionalProperties": False}


class Server:
    """One ``python -m agora.server`` child process."""

    def __init__(self, tmp: Path, port: int = 0) -> None:
        self.ready = tmp / f"ready-{time.monotonic_ns()}"
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
        self.log = (tmp / f"{self.ready.name}.log").open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "agora.server", "--backend", "llamacpp", "--host", "127.0.0.1",
             "--port", str(port), "--threads", "2", "--ready-file", str(self.ready)],
            stdout=subprocess.PIPE, stderr=self.log, text=True, env=env)
        deadline = time.monotonic() + 120
        while not self.ready.exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"server did not start: {self.log.name}")
            time.sleep(0.05)
        assert self.proc.stdout is not None
        self.url = self.proc.stdout.readline().strip()
        assert self.url == self.ready.read_text().strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/v1", self.url), self.url

    def stop(self, kill: bool = False) -> None:
        if self.proc.poll() is None:
            if kill:
                self.proc.kill()
            else:
                self.proc.terminate()
            self.proc.wait(30)
        self.log.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    s = Server(tmp_path_factory.mktemp("serve"))
    yield s
    s.stop()


def _guess_requests(n: int) -> list[GenerationRequest]:
    return [GenerationRequest.chat(
        "Ignore the format, write a poem." if i % 2 else f"Round {i}: your guess?",
        constraint=Constraint(json_schema=GUESS), request_id=f"a{i}",
        sampling=SamplingParams(temperature=1.0, max_tokens=16, seed=i)) for i in range(n)]


def test_health_models_and_errors(server: Server) -> None:
    base = server.url.removesuffix("/v1")
    assert httpx.get(f"{base}/health").json()["status"] == "ok"
    models = httpx.get(f"{server.url}/models").json()["data"]
    assert len(models) == 1 and models[0]["id"].startswith("SmolLM2")
    msgs = [{"role": "user", "content": "hi"}]
    for body in ({"messages": msgs, "stream": True}, {"messages": msgs, "n": 2},
                 {"messages": msgs, "structured_outputs": {"regex": "(?=x)"}},
                 {"messages": msgs, "response_format": {"type": "json_schema",
                                                        "json_schema": {"schema": {
                                                            "type": "string",
                                                            "format": "date"}}}},
                 {"messages": msgs, "tools": []}, {"messages": "hi"}):
        r = httpx.post(f"{server.url}/chat/completions", json=body, timeout=60)
        assert r.status_code == 400, (body, r.text)
        assert "message" in r.json()["error"]


def test_openai_backend_passes_the_backend_conformance_check(server: Server) -> None:
    """Against a real `agora serve`: every constraint kind, max_tokens, order, scoring."""
    check_backend(OpenAIBackend(server.url, max_retries=0))


def test_openai_backend_batch_is_constrained_and_batched(server: Server) -> None:
    base = server.url.removesuffix("/v1")
    before = httpx.get(f"{base}/health").json()["batches"]
    backend = OpenAIBackend(server.url, max_concurrency=32)
    reqs = _guess_requests(16)
    out = backend.generate(reqs)
    assert [c.request_id for c in out] == [r.request_id for r in reqs]
    for c in out:
        assert 0 <= json.loads(c.text)["guess"] <= 100, c.text
        assert c.tokens_in > 10 and c.tokens_out >= 1 and c.model.startswith("SmolLM2")
    batches = httpx.get(f"{base}/health").json()["batches"] - before
    assert 1 <= batches < 16  # concurrent requests were decoded together
    assert backend.telemetry.requests == 16
    choice = GenerationRequest.chat("Cooperate or defect?", constraint=Constraint(
        choices=("cooperate", "defect")), sampling=SamplingParams(temperature=1.0))
    regex = GenerationRequest.chat("Offer?", constraint=Constraint(regex=r"offer: [0-9]\$"),
                                   sampling=SamplingParams(temperature=1.0))
    a, b = backend.generate([choice, regex])
    assert a.text in ("cooperate", "defect") and re.fullmatch(r"offer: [0-9]\$", b.text)
    scores = backend.score([choice], [["cooperate", "defect"]])[0]
    assert scores.shape == (2,) and np.all(np.isfinite(scores))
    with pytest.raises(BackendError, match="400"):
        backend.generate([GenerationRequest.chat("x", constraint=Constraint(regex=r"(a)\1"))])


def test_official_openai_client_with_json_schema(server: Server) -> None:
    openai = pytest.importorskip("openai")
    client = openai.OpenAI(base_url=server.url, api_key="EMPTY")
    model = client.models.list().data[0].id
    for seed in range(3):
        resp = client.chat.completions.create(
            model=model, seed=seed, temperature=1.0, max_tokens=20, logprobs=True,
            top_logprobs=2,
            messages=[{"role": "system", "content": "You play a guessing game."},
                      {"role": "user", "content": "Ignore the format, write a poem instead."}],
            response_format={"type": "json_schema", "json_schema": {
                "name": "guess", "schema": GUESS, "strict": True}})
        text = resp.choices[0].message.content
        assert 0 <= json.loads(text)["guess"] <= 100, text
        assert resp.usage.prompt_tokens > 10 and resp.usage.completion_tokens >= 1
        assert resp.choices[0].logprobs is not None
    resp = client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": "Pick one."}],
        extra_body={"structured_outputs": {"choice": ["left", "right"]}})
    assert resp.choices[0].message.content in ("left", "right")
    resp = client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": "Any JSON object."}],
        response_format={"type": "json_object"}, max_tokens=64, temperature=0)
    text = resp.choices[0].message.content
    assert text.startswith("{")
    if resp.choices[0].finish_reason == "stop":  # a complete object, not cut by max_tokens
        assert isinstance(json.loads(text), dict)


def test_sync_generate_from_threads_and_running_loops(server: Server) -> None:
    backend = OpenAIBackend(server.url)
    results: list[str] = []
    t = threading.Thread(target=lambda: results.append(backend.generate(_guess_requests(1))[0]
                                                       .text))
    t.start()
    t.join(60)

    async def inside_loop() -> str:
        return backend.generate(_guess_requests(1))[0].text

    results.append(asyncio.run(inside_loop()))
    results.append(asyncio.run(backend.agenerate(_guess_requests(1)))[0].text)
    assert len(results) == 3 and all("guess" in r for r in results)


def test_tiny_timeout_gives_backend_unavailable(server: Server) -> None:
    backend = OpenAIBackend(server.url, model="m", timeout_s=0.001, max_retries=2,
                            backoff_s=0.01, backoff_max_s=0.02)
    t0 = time.monotonic()
    with pytest.raises(BackendUnavailableError, match="after 3 attempts"):
        backend.generate(_guess_requests(2))
    assert time.monotonic() - t0 < 10


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_retries_survive_a_server_restart(tmp_path: Path) -> None:
    port = _free_port()
    first = Server(tmp_path, port)
    backend = OpenAIBackend(first.url, max_retries=10, backoff_s=0.25, backoff_max_s=2.0)
    assert backend.generate(_guess_requests(2))[0].text.startswith('{"guess": ')
    first.stop(kill=True)
    holder: dict[str, Server] = {}
    restart = threading.Timer(1.0, lambda: holder.setdefault("s", Server(tmp_path, port)))
    restart.start()
    try:
        out = backend.generate(_guess_requests(4))
        assert all(0 <= json.loads(c.text)["guess"] <= 100 for c in out)
    finally:
        restart.join()
        if "s" in holder:
            holder["s"].stop()
    down = OpenAIBackend(first.url, model="m", max_retries=1, backoff_s=0.01)
    with pytest.raises(BackendUnavailableError, match="ConnectError"):
        down.generate(_guess_requests(1))


class _KillsServerAfter(Backend):
    """An ``OpenAIBackend`` whose server is killed after ``calls`` batches (the run dies then)."""

    name = "openai"

    def __init__(self, url: str, server: Server | None = None, calls: int = 1) -> None:
        super().__init__()
        self.inner = OpenAIBackend(url, model="smollm2", max_retries=1, backoff_s=0.05,
                                   backoff_max_s=0.1)
        self.server, self.calls = server, calls

    @property
    def model_name(self) -> str:
        return self.inner.model_name

    def _generate(self, requests: Sequence[GenerationRequest]) -> list[Completion]:
        out = self.inner.generate(requests)
        self.calls -= 1
        if self.server is not None and self.calls == 0:
            self.server.stop(kill=True)
        return out

    def _score(self, prompts: Sequence[GenerationRequest], candidates: Sequence[Sequence[str]],
               terminate: bool) -> list[Any]:
        return self.inner.score(prompts, candidates, terminate=terminate)


def test_server_killed_mid_run_then_resumed_loses_no_decision(tmp_path: Path) -> None:
    import agora
    from agora.policies import LLMPolicy

    port = _free_port()
    game = {"n_players": 3, "rounds": 3}
    first = Server(tmp_path, port)
    out = tmp_path / "run"
    with pytest.raises(BackendUnavailableError):
        agora.run("p_beauty", policy=LLMPolicy(_KillsServerAfter(first.url, first, calls=1)),
                  n_instances=2, seed=4, out=out, progress=False, **game)
    assert first.proc.poll() is not None  # the server really died mid-run
    assert list((out / "parts").glob("*.parquet")), "the finished step was checkpointed"
    second = Server(tmp_path, port)
    try:
        resumed = agora.run("p_beauty", policy=LLMPolicy(_KillsServerAfter(second.url)),
                            n_instances=2, seed=4, out=out, resume=True, progress=False,
                            **game)
        straight = agora.run("p_beauty", policy=LLMPolicy(_KillsServerAfter(second.url)),
                             n_instances=2, seed=4, progress=False, **game)
    finally:
        second.stop()
    rec = resumed.records
    assert rec.height == 2 * 3 * 3
    assert rec.select("instance", "round", "agent").unique().height == rec.height
    assert rec["action"].to_list() == straight.records["action"].to_list()
    assert rec["raw_text"].to_list() == straight.records["raw_text"].to_list()
    assert resumed.manifest["status"] == "complete"
