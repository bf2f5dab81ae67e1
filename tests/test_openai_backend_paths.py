"""OpenAIBackend's wire paths without vLLM installed: request fields, logprobs round trip
through agora serve, temperature limits, scoring against a vLLM-protocol server, and
``agora serve``'s ``--vllm-arg`` forms. (The same bodies meet vLLM's own request models in
``test_openai_vllm_real.py``.)"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import pytest
import vllm_standin as toy
from vllm_standin import LoopbackServer

from agora.llm import Constraint, GenerationRequest, OpenAIBackend, SamplingParams
from agora.llm.base import Backend, BackendError
from agora.llm.candidate_trie import trie_nodes
from agora.llm.openai_scoring import (
    MAX_LOGPROB_TOKEN_IDS,
    node_body,
    node_logprobs,
    turn_end_token,
)
from agora.llm.types import Completion, TokenLogprob
from agora.server.app import create_app
from agora.server.cli import parse_serve_args, serve_main

MESSAGES = ({"role": "system", "content": "Pick a number."},
            {"role": "user", "content": "Round 3: your guess?"})


def test_body_sends_max_completion_tokens_and_logprobs_only_when_asked() -> None:
    client = OpenAIBackend("http://127.0.0.1:9/v1", model="m")
    plain = client._body(GenerationRequest(messages=MESSAGES,
                                           sampling=SamplingParams(max_tokens=7)), "m")
    assert plain["max_completion_tokens"] == 7 and "max_tokens" not in plain
    assert "logprobs" not in plain and "top_logprobs" not in plain
    asked = client._body(GenerationRequest(messages=MESSAGES,
                                           sampling=SamplingParams(logprobs=3)), "m")
    assert asked["logprobs"] is True and asked["top_logprobs"] == 3


@pytest.mark.parametrize(("temperature", "ok"), [
    (0.0, True), (0.005, False), (0.01, True), (1.0, True), (2.0, True), (2.5, False)])
def test_temperatures_vllm_would_reject_or_alter_are_refused_up_front(
        temperature: float, ok: bool) -> None:
    client = OpenAIBackend("http://127.0.0.1:9/v1", model="m", max_retries=0)
    req = GenerationRequest(messages=MESSAGES, sampling=SamplingParams(temperature=temperature))
    if ok:
        client.check_sampling(req.sampling)
        return
    with pytest.raises(ValueError, match="openai backend takes temperature"):
        client.generate([req])  # refused before any request is sent (port 9 is closed)


class LogprobBackend(Backend):
    """Answers "ok" with fixed log-probabilities (and ``k`` alternatives) when asked."""

    name = "logprob-fake"

    @property
    def model_name(self) -> str:
        return "fake"

    def _generate(self, requests: Sequence[GenerationRequest]) -> list[Completion]:
        return [Completion(text="ok", tokens_in=3, tokens_out=2, latency_s=0.0,
                           finish_reason="stop", model="fake", request_id=r.request_id,
                           logprobs=None if r.sampling.logprobs is None else tuple(
                               TokenLogprob(token=t, logprob=-0.5 * (i + 1), top_logprobs=tuple(
                                   (f"{t}{j}", -1.0 - j) for j in range(r.sampling.logprobs)))
                               for i, t in enumerate("ok")))
                for r in requests]

    def _score(self, prompts: Sequence[GenerationRequest], candidates: Sequence[Sequence[str]],
               terminate: bool) -> list[np.ndarray]:
        return [np.zeros(len(c)) for c in candidates]


def test_logprobs_round_trip_through_agora_serve() -> None:
    server = LoopbackServer(create_app(LogprobBackend(), batch_window_s=0.0))
    try:
        client = OpenAIBackend(server.url, max_retries=0)
        out = client.generate([GenerationRequest(messages=MESSAGES,
                                                 sampling=SamplingParams(logprobs=2)),
                               GenerationRequest(messages=MESSAGES)])
    finally:
        server.close()
    assert out[0].logprobs == LogprobBackend()._generate(
        [GenerationRequest(messages=MESSAGES, sampling=SamplingParams(logprobs=2))])[0].logprobs
    assert out[1].logprobs is None


@pytest.fixture(scope="module")
def standin() -> Iterator[tuple[LoopbackServer, list]]:
    app, seen = toy.create_app()
    server = LoopbackServer(app)
    yield server, seen
    server.close()


CANDIDATES = [str(n) for n in range(0, 101)]


@pytest.mark.parametrize("terminate", [True, False])
def test_scores_against_a_vllm_protocol_server_are_the_closed_form(
        standin: tuple[LoopbackServer, list], terminate: bool) -> None:
    server, seen = standin
    client = OpenAIBackend(server.url, max_concurrency=8, max_retries=0)
    prompts = [GenerationRequest(messages=MESSAGES),
               GenerationRequest.chat("Again: your guess?")]
    seen.clear()
    got = client.score(prompts, [CANDIDATES, ["7", "70", "x"]], terminate=terminate)
    tok = toy.ToyTokenizer()
    want = [[toy.closed_form(tok, list(p.messages), c, terminate) for c in cands]
            for p, cands in [(prompts[0], CANDIDATES), (prompts[1], ["7", "70", "x"])]]
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w, rtol=0, atol=1e-9)
    # the protocol was found once, and the first node of each prompt is the bare prompt
    paths = [e for e, _ in seen]
    assert "completions" in paths and "chat" not in paths
    walks = [b["prompt"] for e, b in seen if e == "completions"]
    prompt0 = tok.chat(list(MESSAGES), True)
    assert walks[0] == prompt0
    n_nodes = len(trie_nodes([tok.encode(c) + ([tok.turn_end] if terminate else [])
                              for c in CANDIDATES], MAX_LOGPROB_TOKEN_IDS))
    assert sum(w[:len(prompt0)] == prompt0 and len(w) >= len(prompt0) for w in walks) == n_nodes
    seen.clear()
    again = client.score(prompts[:1], [CANDIDATES], terminate=terminate)
    np.testing.assert_allclose(again[0], got[0])
    assert [e for e, _ in seen].count("tokenize") == 1  # candidates and turn end are cached


def test_a_server_with_neither_scoring_protocol_says_so() -> None:
    from fastapi import FastAPI

    bare = FastAPI()

    @bare.get("/v1/models")
    async def models() -> dict:
        return {"data": [{"id": "m"}]}

    server = LoopbackServer(bare)
    try:
        with pytest.raises(NotImplementedError, match="neither /agora/score"):
            OpenAIBackend(server.url, max_retries=0).score(
                [GenerationRequest(messages=MESSAGES)], [["1", "2"]])
    finally:
        server.close()


def test_wide_nodes_are_split_to_vllms_limit_root_first() -> None:
    seqs = [[t, 1] for t in range(300)] + [[5, 2]]
    nodes = trie_nodes(seqs, MAX_LOGPROB_TOKEN_IDS)
    assert nodes[0] == ((), tuple(range(MAX_LOGPROB_TOKEN_IDS)))
    assert [len(k) for p, k in nodes if p == ()] == [128, 128, 44]
    assert ((5,), (1, 2)) in nodes
    assert node_body("m", [7, 8], nodes[0][1])["logprob_token_ids"] == list(range(128))
    with pytest.raises(ValueError, match="1 to 128"):
        node_body("m", [7], list(range(129)))


def test_node_logprobs_and_turn_end_reject_what_they_cannot_read() -> None:
    data = {"choices": [{"logprobs": {"top_logprobs": [{"token_id:5": -1.5, "token_id:9": -2.0}]}}]}
    assert node_logprobs(data, [9, 5]) == {9: -2.0, 5: -1.5}
    with pytest.raises(BackendError, match="no log-probability for token"):
        node_logprobs(data, [7])
    with pytest.raises(BackendError, match="malformed completion logprobs"):
        node_logprobs({"choices": []}, [5])
    prompt = [0, 2, 9, 4, 3]
    turn = [0, 2, 9, 4, 3, 11, 12, 13, 77, 4]
    assert turn_end_token(prompt, turn, [11, 12, 13]) == 77
    assert turn_end_token(prompt, turn, [10, 12, 13]) == 77  # first piece merged differently
    with pytest.raises(BackendError, match="end-of-turn"):
        turn_end_token(prompt, turn, [20, 21])


@pytest.mark.parametrize("argv", [
    ["--vllm-arg", "--max-model-len", "--vllm-arg", "4096"],
    ["--vllm-arg=--max-model-len=4096"],
    ["--vllm-arg", "--max-model-len 4096"],
    ["--vllm-arg=--max-model-len 4096"],
    ["--", "--max-model-len", "4096"],
])
def test_vllm_arg_forms(argv: list[str]) -> None:
    args = parse_serve_args(["--backend", "vllm", "--model", "m", *argv])
    assert args.vllm_args in (["--max-model-len", "4096"], ["--max-model-len=4096"])


def test_vllm_args_keep_quoting_order_and_verbatim_tail() -> None:
    args = parse_serve_args(["--backend", "vllm", "--vllm-arg", "--served-model-name 'a b'",
                             "--model", "m", "--vllm-arg", "-tp", "--vllm-arg", "2", "--",
                             "--override-generation-config", '{"temperature": 0.5}'])
    assert args.model == "m"
    assert args.vllm_args == ["--served-model-name", "a b", "-tp", "2",
                              "--override-generation-config", '{"temperature": 0.5}']


@pytest.mark.parametrize(("argv", "message"), [
    (["--backend", "vllm", "--vllm-arg", "--max-model-len", "--vllm-arg", "4096"],
     "needs --model"),
    (["--backend", "llamacpp", "--vllm-arg", "--max-model-len=4096"], "apply to --backend vllm"),
    (["--backend", "vllm", "--model", "m", "--vllm-arg", "--x 'unclosed"], "--vllm-arg"),
    (["--backend", "vllm", "--model", "m", "--", "--port=8000"], "give --port to agora serve"),
])
def test_serve_reports_vllm_arg_problems_in_one_line(
        argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert serve_main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1, err


def test_choice_constraint_body_is_vllm_structured_outputs() -> None:
    body = OpenAIBackend("http://127.0.0.1:9/v1", model="m")._body(GenerationRequest(
        messages=MESSAGES, constraint=Constraint(choices=("a", "b"))), "m")
    assert body["structured_outputs"] == {"choice": ["a", "b"]}
