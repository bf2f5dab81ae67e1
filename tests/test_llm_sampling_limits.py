"""Per-backend sampling limits: a temperature the engine would reject or silently change is
refused up front, on every request and before an LLM policy's first step."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pytest

from agora.llm import Completion, GenerationRequest, SamplingParams
from agora.llm.base import Backend
from agora.policies.llm_policy import LLMPolicy


class _Limited(Backend):
    """Answers '1'; accepts temperature 0 or [0.01, 2] like vLLM."""

    name = "limited"
    max_temperature = 2.0
    min_positive_temperature = 0.01

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    @property
    def model_name(self) -> str:
        return "limited-model"

    def _generate(self, requests: Sequence[GenerationRequest]) -> list[Completion]:
        self.calls += 1
        return [Completion(text="1", tokens_in=1, tokens_out=1, latency_s=0.0,
                           finish_reason="stop", model="limited-model") for _ in requests]

    def _score(self, prompts: Sequence[GenerationRequest], candidates: Sequence[Sequence[str]],
               terminate: bool) -> list[np.ndarray]:
        return [np.zeros(len(c)) for c in candidates]


@pytest.mark.parametrize("t", [0.0, 0.01, 0.7, 2.0])
def test_temperatures_inside_the_range_pass(t: float) -> None:
    b = _Limited()
    b.generate([GenerationRequest.chat("q", sampling=SamplingParams(temperature=t))])
    assert b.calls == 1


@pytest.mark.parametrize(("t", "message"), [(2.5, "temperature <= 2, got 2.5"),
                                            (0.005, "temperature 0 (greedy) or >= 0.01")])
def test_temperatures_outside_the_range_fail_before_the_engine_runs(t: float,
                                                                    message: str) -> None:
    b = _Limited()
    req = GenerationRequest.chat("q", sampling=SamplingParams(temperature=t))
    with pytest.raises(ValueError, match=re.escape(message)):
        b.generate([req])
    with pytest.raises(ValueError, match=re.escape(message)):
        b.validate(req)
    assert b.calls == 0


def test_the_default_backend_limits_accept_any_temperature() -> None:
    class Open(_Limited):
        max_temperature = None
        min_positive_temperature = 0.0

    Open().check_sampling(SamplingParams(temperature=50.0))
    Open().check_sampling(SamplingParams(temperature=1e-6))


def test_an_llm_policy_refuses_its_temperature_before_the_first_step() -> None:
    policy = LLMPolicy(backend=_Limited(), temperature=3.0)
    with pytest.raises(ValueError, match="the limited backend takes temperature <= 2, got 3"):
        policy.describe()  # what a run asks first, before any step
    assert LLMPolicy(backend=_Limited(), temperature=1.5).describe()["temperature"] == 1.5


def test_backend_options_without_a_backend_reach_the_default_backend() -> None:
    from agora.policies.registry import llm_preset
    from agora.spec.overrides import backend_choice, choose_backend

    for policy in (LLMPolicy.from_config(backend_options={"n_threads": 1, "seed": 5}),
                   llm_preset({})(backend_options={"n_threads": 1, "seed": 5})):
        assert policy._backend_choice == ("llamacpp", {"n_threads": 1, "seed": 5})
        kind, options = backend_choice(None, None, "gemma3-270m")  # agora run --model
        choose_backend([policy], kind, options)  # the flag adds to the table's options
        assert policy._backend_choice == ("llamacpp", {"n_threads": 1, "seed": 5,
                                                       "model_path": "gemma3-270m"})
    with pytest.raises(ValueError, match="has no option 'n_thread'"):
        LLMPolicy.from_config(backend_options={"n_thread": 1})
