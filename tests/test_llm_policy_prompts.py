"""What every LLM agent saw is auditable: ``prompt_sha`` per decision, prompts drained once."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

import numpy as np

import agora
from agora.llm.base import Backend
from agora.llm.types import Completion, GenerationRequest
from agora.policies import LLMPolicy


class Scripted(Backend):
    """Answers ``{"guess": 7}``, except the first answer of every call, which is unusable."""

    name = "scripted"

    @property
    def model_name(self) -> str:
        return "scripted-model"

    def _generate(self, requests: Sequence[GenerationRequest]) -> list[Completion]:
        first_attempt = len(requests[0].messages) == 2
        return [Completion(text="no idea" if first_attempt and i == 0 else '{"guess": 7}',
                           tokens_in=1, tokens_out=1, latency_s=0.0, finish_reason="stop",
                           model=self.model_name) for i in range(len(requests))]

    def _score(self, prompts: Sequence[GenerationRequest], candidates: Sequence[Sequence[str]],
               terminate: bool) -> list[np.ndarray]:
        raise NotImplementedError


class Collecting(LLMPolicy):
    """Keeps what every drain handed out (whoever drains: the runner or the test)."""

    def __init__(self) -> None:
        super().__init__(Scripted())
        self.drained: list[dict[str, str]] = []

    def drain_prompts(self) -> dict[str, str]:
        got = super().drain_prompts()
        self.drained.append(got)
        return got


def test_each_decision_records_the_sha_of_the_exact_prompt_and_prompts_drain_once() -> None:
    policy = Collecting()
    rec = agora.run("p_beauty", policy=policy, n_instances=2, seed=3, progress=False,
                    n_players=3, rounds=2).records
    policy.drain_prompts()
    assert policy.drain_prompts() == {}  # handed out once, then forgotten
    prompts: dict[str, str] = {}
    for got in policy.drained:
        assert not set(got) & set(prompts)  # no prompt handed out twice
        prompts.update(got)
    assert set(prompts) == set(rec["prompt_sha"])
    for sha, text in prompts.items():
        assert hashlib.sha256(text.encode()).hexdigest() == sha
        messages = json.loads(text)
        assert messages[0]["role"] == "system" and all(set(m) == {"role", "content"}
                                                       for m in messages)
    # the re-asked decision points at the repair prompt: the unusable answer and the re-ask
    repaired = rec.filter(rec["parse_status"] == "ok").height < rec.height
    assert repaired
    for status, sha in zip(rec["parse_status"], rec["prompt_sha"], strict=True):
        roles = [m["role"] for m in json.loads(prompts[sha])]
        if status == "ok":
            assert roles == ["system", "user"]
        else:
            assert roles == ["system", "user", "assistant", "user"]
            assert json.loads(prompts[sha])[2]["content"] == "no idea"


def test_describe_names_the_concrete_backend_and_model() -> None:
    got = LLMPolicy(Scripted(), temperature=0.5).describe()
    assert got["backend"] == "scripted" and got["model"] == "scripted-model"
    assert got["temperature"] == 0.5
