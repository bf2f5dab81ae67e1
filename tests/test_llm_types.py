"""Value types, telemetry, registry and lazy imports of agora.llm (no model needed)."""

from __future__ import annotations

import subprocess
import sys

import pytest

import agora.llm as llm
from agora.llm.llamacpp.model_files import resolve_model_path
from agora.llm.telemetry import Telemetry
from agora.llm.types import Completion, Constraint, GenerationRequest, SamplingParams


def test_constraint_needs_exactly_one_field() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        Constraint()
    with pytest.raises(ValueError, match="exactly one"):
        Constraint(regex="a", choices=("a",))
    with pytest.raises(ValueError, match="compile"):
        Constraint(regex="(")
    with pytest.raises(ValueError, match="distinct"):
        Constraint(choices=("a", "a"))
    c = Constraint(choices=["x", "y"])  # type: ignore[arg-type]
    assert c.choices == ("x", "y") and c.kind == "choices"
    schema = {"type": "object"}
    js = Constraint(json_schema=schema)
    schema["type"] = "array"  # the constraint keeps its own copy
    assert js.json_schema == {"type": "object"}
    assert hash(js) == hash(Constraint(json_schema={"type": "object"}))


@pytest.mark.parametrize("kwargs, match", [
    ({"temperature": -1}, "temperature"), ({"top_p": 0}, "top_p"), ({"max_tokens": 0}, "max"),
    ({"seed": -1}, "seed"), ({"stop": ("",)}, "stop"), ({"logprobs": 21}, "logprobs"),
])
def test_sampling_params_validation(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        SamplingParams(**kwargs)


def test_generation_request_validation() -> None:
    r = GenerationRequest.chat("hi", system="rules", request_id="a1")
    assert r.messages == ({"role": "system", "content": "rules"}, {"role": "user", "content": "hi"})
    with pytest.raises(ValueError, match="role"):
        GenerationRequest(messages=({"role": "robot", "content": "x"},))
    with pytest.raises(ValueError, match="empty"):
        GenerationRequest(messages=())
    with pytest.raises(TypeError):
        GenerationRequest(messages={"role": "user", "content": "x"})  # type: ignore[arg-type]


def test_telemetry_snapshot_is_frozen_and_accumulates() -> None:
    t = Telemetry()
    comps = [Completion(text="x", tokens_in=10, tokens_out=2, latency_s=s, finish_reason="stop",
                        model="m") for s in (0.1, 0.3)]
    t.record_generate(comps, busy_s=0.5)
    t.record_score(2, 20, busy_s=0.5)
    snap = t.snapshot()
    assert (snap.requests, snap.batches, snap.tokens_in, snap.tokens_out) == (2, 1, 20, 4)
    assert snap.busy_s == pytest.approx(1.0) and snap.requests_per_s == pytest.approx(2.0)
    assert snap.latency_max_s == pytest.approx(0.3) and snap.score_candidates == 20
    with pytest.raises(AttributeError):
        snap.requests = 5  # type: ignore[misc]


def test_registry_rejects_unknown_kinds_and_options_and_ignores_the_environment(
        monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="unknown backend 'gpt-in-a-box'; registered: "
                                         "llamacpp, openai, vllm"):
        llm.make_backend("gpt-in-a-box")
    with pytest.raises(ValueError, match="backend 'openai' needs option 'base_url'"):
        llm.make_backend("openai")
    with pytest.raises(ValueError, match="backend 'openai' has no option 'modle'"):
        llm.make_backend("openai", base_url="http://127.0.0.1:9/v1", modle="m")
    backend = llm.make_backend("openai", base_url="http://127.0.0.1:9/v1", model="m")
    assert isinstance(backend, llm.OpenAIBackend) and backend.base_url.endswith(":9/v1")
    with pytest.raises(ValueError, match="backend 'vllm' needs option 'model'"):
        llm.make_backend("vllm")
    for name in ("AGORA_BACKEND", "AGORA_POLICY_SERVER", "AGORA_MODEL"):  # once read; no more
        monkeypatch.setenv(name, "openai")
    assert llm.DEFAULT_BACKEND == "llamacpp"
    assert llm.backend_names()[:3] == ("llamacpp", "openai", "vllm")


def test_a_missing_backend_package_names_the_extra_to_install() -> None:
    spec = llm.BackendSpec(name="ghost", target="agora_no_such_module:Ghost", extra="ghost")
    with pytest.raises(ImportError, match=r"backend 'ghost' needs `pip install "
                                          r"agora-sim\[ghost\]`"):
        spec.create()
    spec = llm.BackendSpec(name="ghost", target="agora_no_such_module:Ghost",
                           install="agora-ghost")
    with pytest.raises(ImportError, match="needs `pip install agora-ghost`"):
        spec.create()


def test_model_path_resolution(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGORA_GGUF", str(tmp_path / "missing.gguf"))  # no longer read
    with pytest.raises(FileNotFoundError, match="model_path"):
        resolve_model_path(tmp_path / "missing.gguf")
    wrong = tmp_path / "model.bin"
    wrong.write_bytes(b"x")
    with pytest.raises(ValueError, match="gguf"):
        resolve_model_path(wrong)


def test_importing_agora_llm_does_not_import_engines() -> None:
    code = ("import sys, agora.llm, agora.server, agora.llm.llamacpp.model_files; "
            "agora.llm.backend_names(); "
            "bad = [m for m in ('vllm', 'llama_cpp', 'httpx', 'fastapi', 'torch') "
            "if m in sys.modules]; print(bad); assert not bad")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=False)
    assert res.returncode == 0, res.stdout + res.stderr


def test_vllm_backend_import_error_names_the_extra() -> None:
    pytest.importorskip("numpy")
    try:
        import vllm  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match=r"needs `pip install agora-sim\[vllm\]`"):
            llm.VLLMBackend("any/model")
    else:
        pytest.skip("vLLM is installed")
