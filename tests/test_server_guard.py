"""Policy-server hardening without a model: Host check, body limits, batch isolation, CLI errors.

The app runs in-process over a scripted backend (Starlette's TestClient drives its lifespan);
``agora serve`` argument errors run the real command in a subprocess.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest
from starlette.testclient import TestClient

from agora.llm.base import Backend
from agora.llm.types import Completion, GenerationRequest
from agora.server.app import create_app
from agora.server.guard import MAX_BODY_BYTES, MAX_JSON_DEPTH, is_loopback_host, json_nesting

ROOT = Path(__file__).resolve().parents[1]
MSGS = [{"role": "user", "content": "hi"}]


class ScriptedBackend(Backend):
    """Echoes the prompt; a batch holding a message "poison" fails as a whole (as llama.cpp
    does when one request of a batch cannot be planned), validation passes everything."""

    name = "scripted"

    def __init__(self) -> None:
        super().__init__()
        self.batch_sizes: list[int] = []
        self.gate = threading.Event()
        self.gate.set()

    @property
    def model_name(self) -> str:
        return "scripted"

    def _generate(self, requests: Sequence[GenerationRequest]) -> list[Completion]:
        self.gate.wait(10)
        self.batch_sizes.append(len(requests))
        if any(r.messages[-1]["content"] == "poison" for r in requests):
            raise ValueError("request needs 9000 tokens, more than n_ctx=8192")
        return [Completion(text=r.messages[-1]["content"], tokens_in=1, tokens_out=1,
                           latency_s=0.0, finish_reason="stop", model="scripted",
                           request_id=r.request_id) for r in requests]

    def _score(self, prompts: Sequence[GenerationRequest], candidates: Sequence[Sequence[str]],
               terminate: bool) -> list[np.ndarray]:
        return [np.zeros(len(c)) for c in candidates]


@pytest.fixture
def backend() -> ScriptedBackend:
    return ScriptedBackend()


@pytest.fixture
def client(backend: ScriptedBackend) -> Iterator[TestClient]:
    app = create_app(backend, batch_window_s=0.2)
    with TestClient(app, base_url="http://127.0.0.1:8000") as c:
        yield c


def _chat(client: TestClient, **body: object) -> tuple[int, dict]:
    r = client.post("/v1/chat/completions", json={"messages": MSGS, **body})
    return r.status_code, r.json()


@pytest.mark.parametrize("host, ok", [
    ("127.0.0.1:8000", True), ("localhost", True), ("LOCALHOST:1", True), ("[::1]:80", True),
    ("127.8.9.10", True), ("localhost.", True), ("evil.com", False), ("evil.com:8000", False),
    ("127.0.0.1.evil.com", False), ("10.0.0.1:80", False), ("", False), ("[::1", False),
    ("localhost:80:80", False), ("0.0.0.0", False),
])
def test_loopback_host_names(host: str, ok: bool) -> None:
    assert is_loopback_host(host) is ok


def test_non_loopback_host_header_is_refused_unless_host_was_given(
        backend: ScriptedBackend) -> None:
    for check, status in ((True, 421), (False, 200)):
        with TestClient(create_app(backend, check_host=check), base_url="http://evil.com") as c:
            r = c.post("/v1/chat/completions", json={"messages": MSGS})
            assert r.status_code == status, r.text
            if status == 421:
                assert "loopback" in r.json()["error"]["message"]
            assert c.get("/health").status_code == status


def test_json_nesting_ignores_brackets_in_strings() -> None:
    assert json_nesting(b'{"a": [1, {"b": "[[[{{{"}], "c": "\\"]]]"}') == 3
    assert json_nesting(b"[]") == 1 and json_nesting(b"1") == 0


def test_body_size_and_depth_limits(client: TestClient) -> None:
    big = {"messages": [{"role": "user", "content": "x" * MAX_BODY_BYTES}]}
    r = client.post("/v1/chat/completions", json=big)
    assert r.status_code == 413 and str(MAX_BODY_BYTES) in r.json()["error"]["message"]
    deep: dict = {"type": "integer"}
    for _ in range(900):
        deep = {"type": "array", "items": deep}
    status, body = _chat(client, response_format={"type": "json_schema",
                                                  "json_schema": {"name": "d", "schema": deep}})
    assert status == 400 and str(MAX_JSON_DEPTH) in body["error"]["message"]
    assert client.get("/health").json()["status"] == "ok"


@pytest.mark.parametrize("body, match", [
    ({"max_tokens": 0}, "max_tokens must be >= 1"),
    ({"max_completion_tokens": 0, "max_tokens": 5}, "max_tokens must be >= 1"),
    ({"temperature": 1e-310}, "temperature"),
    ({"stop": ["x"] * 17}, "stop strings"),
    ({"structured_outputs": {"choice": "ab"}}, "list of strings"),
    ({"structured_outputs": {"regex": ["a"]}}, "must be a string"),
    ({"structured_outputs": {"regex": "(" * 5000 + ")" * 5000}}, "nest"),
    ({"response_format": {"type": "json_schema", "json_schema": [1]}}, "must be an object"),
    ({"messages": [{"role": "user", "content": [{"type": "text", "text": 5}]}]}, "text content"),
    ({"messages": "hi"}, "invalid request"),
])
def test_bad_requests_get_400_naming_why(client: TestClient, body: dict, match: str) -> None:
    status, got = _chat(client, **body)
    assert status == 400, got
    assert match in got["error"]["message"]


def test_max_tokens_is_honoured_not_replaced_by_the_default(
        client: TestClient, backend: ScriptedBackend) -> None:
    seen: list[int] = []
    original = backend._generate
    backend._generate = lambda reqs: (seen.extend(r.sampling.max_tokens for r in reqs),  # type: ignore[method-assign]
                                      original(reqs))[1]
    assert _chat(client, max_tokens=1)[0] == 200
    assert _chat(client)[0] == 200
    assert seen == [1, 256]


def test_one_failing_request_does_not_fail_its_batch(
        client: TestClient, backend: ScriptedBackend) -> None:
    results: dict[str, tuple[int, dict]] = {}
    backend.gate.clear()  # hold the worker so all three requests join one batch

    def send(text: str) -> None:
        results[text] = _chat(client, messages=[{"role": "user", "content": text}])

    threads = [threading.Thread(target=send, args=(t,)) for t in ("good", "poison", "fine")]
    for t in threads:
        t.start()
    threading.Timer(0.5, backend.gate.set).start()
    for t in threads:
        t.join(30)
    assert results["good"][0] == 200 and results["good"][1]["choices"][0]["message"][
        "content"] == "good"
    assert results["fine"][0] == 200
    assert results["poison"][0] == 400
    assert "n_ctx" in results["poison"][1]["error"]["message"]
    assert max(backend.batch_sizes) > 1  # they were batched, then isolated


def _serve(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "agora.server", *args], capture_output=True,
                          text=True, timeout=60, env=env, check=False)


@pytest.mark.parametrize("args, match", [
    (("--port", "99999"), "--port must be in [0, 65535]"),
    (("--port", "-1"), "--port must be in [0, 65535]"),
    (("--host", "203.0.113.7"), "cannot listen on 203.0.113.7"),
    (("--host", "no-such-host.invalid"), "cannot listen on --host"),
])
def test_serve_bad_address_is_one_line_exit_2(args: tuple[str, ...], match: str) -> None:
    got = _serve(*args)
    assert got.returncode == 2, got.stderr
    lines = got.stderr.strip().splitlines()
    assert len(lines) == 1 and match in lines[0], got.stderr
    assert "Traceback" not in got.stderr and got.stdout == ""
