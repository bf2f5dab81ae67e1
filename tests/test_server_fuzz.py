"""A live ``agora serve`` (embedded llama.cpp, loopback) against bad and fuzzed requests.

Regression tests for the reproductions of issue 14 (an ``allOf`` schema that aborted the
process, a request overflowing the context inside a batch, ``max_tokens=0``, a 900-deep
schema), then a bounded hypothesis fuzz: every response must be 200 or a 4xx with a JSON error
naming why, a served JSON-schema answer must validate under its schema (checked with
``jsonschema``, independently of agora), and the process must still answer ``/health`` at the end.
"""

from __future__ import annotations

import asyncio
import collections
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from server_fuzz_strategies import chat_body, oneof_as_anyof

pytestmark = pytest.mark.llm
ROOT = Path(__file__).resolve().parents[1]
N_CTX = 1024
GUESS = {"type": "object", "properties": {"guess": {"type": "integer", "minimum": 0,
                                                    "maximum": 100}}, "required": ["guess"]}
HI = [{"role": "user", "content": "hi"}]


class LiveServer:
    """``python -m agora.server`` on 127.0.0.1 with a small context, as a child process."""

    def __init__(self, tmp: Path) -> None:
        ready = tmp / "ready"
        self.log = (tmp / "serve.log").open("w")
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "agora.server", "--threads", "2", "--n-ctx", str(N_CTX),
             "--n-parallel", "8", "--ready-file", str(ready)],
            stdout=subprocess.DEVNULL, stderr=self.log, env=env)
        deadline = time.monotonic() + 120
        while not ready.exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"server did not start; see {self.log.name}")
            time.sleep(0.05)
        self.url = ready.read_text().strip()
        self.base = self.url.removesuffix("/v1")

    def alive(self) -> bool:
        return self.proc.poll() is None and httpx.get(f"{self.base}/health",
                                                      timeout=30).status_code == 200

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(30)
        self.log.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    s = LiveServer(tmp_path_factory.mktemp("fuzz"))
    yield s
    s.stop()


def _post_all(url: str, bodies: list[Any], path: str = "/chat/completions"
              ) -> list[httpx.Response]:
    """Send ``bodies`` concurrently (so they share backend batches)."""
    async def run() -> list[httpx.Response]:
        async with httpx.AsyncClient(timeout=300) as client:
            return await asyncio.gather(*(
                client.post(url + path, content=b if isinstance(b, bytes) else json.dumps(b),
                            headers={"content-type": "application/json"}) for b in bodies))
    return asyncio.run(run())


def _error(r: httpx.Response) -> str:
    assert r.headers["content-type"].startswith("application/json"), r.text
    message = r.json()["error"]["message"]
    assert isinstance(message, str) and message.strip(), r.text
    return message


def test_allof_with_properties_is_refused_and_the_server_survives(server: LiveServer) -> None:
    schema = {"allOf": [{"type": "integer"}], "type": "object",
              "properties": {"a": {"type": "integer"}}, "required": ["a"]}
    r, = _post_all(server.url, [{"messages": HI, "response_format": {
        "type": "json_schema", "json_schema": {"name": "a", "schema": schema}}}])
    assert r.status_code == 400 and "allOf" in _error(r) and "'type'" in _error(r)
    merged = {"allOf": [{"type": "object", "properties": {"a": GUESS["properties"]["guess"]}},
                        {"required": ["a"]}]}
    r, = _post_all(server.url, [{"messages": HI, "max_tokens": 8, "temperature": 0,
                                 "response_format": {"type": "json_schema", "json_schema": {
                                     "name": "a", "schema": merged}}}])
    assert r.status_code == 200, r.text
    assert 0 <= json.loads(r.json()["choices"][0]["message"]["content"])["a"] <= 100
    assert server.alive()


def test_context_overflow_fails_alone_in_its_batch(server: LiveServer) -> None:
    probe, = _post_all(server.url, [{"messages": HI, "max_tokens": 1}])
    n_prompt = probe.json()["usage"]["prompt_tokens"]
    exact = N_CTX - n_prompt  # prompt + max_tokens == n_ctx: the forced '{"guess": ' overflows
    good = {"messages": HI, "max_tokens": 4, "temperature": 0}
    fits = {"messages": HI, "max_tokens": exact, "structured_outputs": {"choice": ["yes", "no"]}}
    forced = {"messages": HI, "max_tokens": exact, "response_format": {
        "type": "json_schema", "json_schema": {"name": "g", "schema": GUESS}}}
    over = {"messages": HI, "max_tokens": exact + 1}
    got = _post_all(server.url, [good, forced, fits, over, good])
    assert [r.status_code for r in got] == [200, 400, 200, 400, 200], [r.text for r in got]
    assert all(str(N_CTX) in _error(r) for r in (got[1], got[3]))
    assert got[2].json()["choices"][0]["message"]["content"] in ("yes", "no")


def test_max_tokens_zero_deep_schema_and_special_token_keys(server: LiveServer) -> None:
    deep: dict[str, Any] = {"type": "integer"}
    for _ in range(900):
        deep = {"type": "array", "items": deep}
    odd = {"type": "object", "properties": {"<|im_end|>": {"type": "integer"}},
           "required": ["<|im_end|>"]}
    got = _post_all(server.url, [
        {"messages": HI, "max_tokens": 0},
        {"messages": HI, "response_format": {"type": "json_schema",
                                             "json_schema": {"name": "d", "schema": deep}}},
        {"messages": HI, "max_tokens": 6, "response_format": {
            "type": "json_schema", "json_schema": {"name": "o", "schema": odd}}}])
    assert got[0].status_code == 400 and "max_tokens" in _error(got[0])
    assert got[1].status_code == 400 and "deeper than" in _error(got[1])
    assert got[2].status_code == 200, got[2].text
    assert got[2].json()["choices"][0]["message"]["content"].startswith('{"<|im_end|>": ')
    assert server.alive()


RAW = st.sampled_from([b"{", b"[]", b"null", b'{"messages": [}', b"\xff\xfe", b"",
                       b'{"messages": "' + b"a" * 100 + b'"}', b'{"messages": [], "n": 1e999}'])
BATCH = 10


def _check(body: Any, r: httpx.Response, stats: collections.Counter[str]) -> None:
    stats[str(r.status_code)] += 1
    assert r.status_code == 200 or 400 <= r.status_code < 500, (body, r.status_code, r.text)
    if r.status_code != 200:
        stats["why: " + re.sub(r"\d+|'[^']*'", "_", _error(r))[:60]] += 1
        return
    if "candidates" in body:
        assert len(r.json()["logprobs"]) == len(body["candidates"])
        return
    choice = r.json()["choices"][0]
    assert isinstance(choice["message"]["content"], str)
    rf = body.get("response_format") if isinstance(body, dict) else None
    if not (isinstance(rf, dict) and rf.get("type") == "json_schema"
            and choice["finish_reason"] == "stop" and "stop" not in body):
        return
    schema = oneof_as_anyof(rf["json_schema"]["schema"])
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError:
        return  # agora read it leniently; no independent verdict to compare with
    doc = json.loads(choice["message"]["content"])
    jsonschema.Draft202012Validator(schema).validate(doc)
    stats["validated"] += 1


def _fuzz(server: LiveServer, examples: int) -> None:
    stats: collections.Counter[str] = collections.Counter()
    t0 = time.monotonic()

    @settings(max_examples=examples, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(st.lists(st.one_of(*[chat_body()] * 7, RAW),
                    min_size=BATCH, max_size=BATCH))
    def run(bodies: list[Any]) -> None:
        for body, r in zip(bodies, _post_all(server.url, bodies), strict=True):
            _check(body, r, stats)

    run()
    scores = [{"messages": HI, "candidates": c} for c in
              (["yes", "no"], [], ["a"] * 3, ["<|im_end|>"], ["x" * 5000], [""])]
    for body, r in zip(scores, _post_all(server.url, scores, "/agora/score"), strict=True):
        _check(body, r, stats)
    statuses = {k: v for k, v in stats.items() if k.isdigit()}
    total = sum(statuses.values())
    reasons = [(v, k[5:]) for k, v in stats.most_common() if k.startswith("why: ")]
    print(f"\nfuzz: {total} requests in {time.monotonic() - t0:.0f} s, statuses "
          f"{dict(sorted(statuses.items()))}, {stats['validated']} answers validated; "
          f"top refusals {reasons[:8]}")
    assert total >= examples * BATCH
    assert stats["200"] > 0 and stats["400"] > 0
    assert server.alive()


def test_fuzz_short(server: LiveServer) -> None:
    _fuzz(server, examples=20)


@pytest.mark.slow
def test_fuzz_2000_requests(server: LiveServer) -> None:
    _fuzz(server, examples=200)
