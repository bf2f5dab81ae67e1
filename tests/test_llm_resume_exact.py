"""Embedded-LLM runs at temperature > 0 resume to exactly the uninterrupted records.

The backend's logits must not depend on what its KV cache held before a call (a resumed
process starts with an empty cache), and the run fingerprint must name the concrete backend,
model and model file, so a run is never resumed with another one.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import agora
from agora.engine.batch import DecisionBatch, Decisions
from agora.engine.rundir import PROMPTS_FILE
from agora.engine.runner import Runner
from agora.engine.streams import Streams
from agora.llm import GenerationRequest, LlamaCppBackend, SamplingParams
from agora.llm.llamacpp.model_files import file_sha256
from agora.policies import LLMPolicy

pytestmark = pytest.mark.llm

RULES = "You are a trader in a market game. " * 8


def _batch(n: int = 24) -> list[GenerationRequest]:
    return [GenerationRequest.chat(f"Round 2. Agent {i}: describe your plan in one sentence.",
                                   system=RULES, request_id=str(i),
                                   sampling=SamplingParams(temperature=0.9, max_tokens=24,
                                                           seed=1000 + i))
            for i in range(n)]


def test_logits_do_not_depend_on_what_earlier_calls_cached() -> None:
    with LlamaCppBackend(n_threads=2, seed=0) as warm:
        warm.generate([GenerationRequest.chat("Hi.", system=RULES[:60],
                                              sampling=SamplingParams(max_tokens=4))])
        after_other_call = [c.text for c in warm.generate(_batch())]
    with LlamaCppBackend(n_threads=1, seed=0) as fresh:  # thread count does not matter either
        first_call = [c.text for c in fresh.generate(_batch())]
    assert after_other_call == first_call


class StopAt(LLMPolicy):
    """``LLMPolicy`` interrupted when asked to act at step ``stop_at``."""

    def __init__(self, stop_at: int | None = None, **settings: Any) -> None:
        super().__init__(LlamaCppBackend(n_threads=2, seed=0), **settings)
        self.stop_at = stop_at

    def act(self, batch: DecisionBatch, rng: Streams) -> Decisions:
        if batch.step == self.stop_at:
            raise KeyboardInterrupt
        return super().act(batch, rng)


def _runner(out: Path | None, policy: LLMPolicy, resume: bool = False) -> Runner:
    return Runner("p_beauty", {"n_players": 3, "rounds": 2}, policy=policy, n_instances=2,
                  seed=4, out=out, resume=resume, progress=False)


def _without_latency(records: pl.DataFrame) -> pl.DataFrame:
    return records.drop([c for c in records.columns if "latency" in c])


def _prompts(run_dir: Path) -> dict[str, str]:
    lines = (run_dir / PROMPTS_FILE).read_text().splitlines()
    return {d["sha"]: d["prompt"] for d in map(json.loads, lines)}


def test_interrupted_run_at_temperature_resumes_to_identical_records(tmp_path: Path) -> None:
    reference = _runner(None, StopAt(temperature=0.9)).run().records
    out = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        _runner(out, StopAt(1, temperature=0.9)).run()
    resumed = _runner(out, StopAt(temperature=0.9), resume=True).run().records
    assert (resumed["parse_status"] != "fallback").all()
    assert_frame_equal(_without_latency(resumed), _without_latency(reference))
    assert set(_prompts(out)) == set(resumed["prompt_sha"])  # what every agent saw, once


def test_fingerprint_names_backend_model_and_model_file_hash() -> None:
    policy = LLMPolicy(None, temperature=0.9)  # the default backend, resolved to what it is
    try:
        got = policy.describe()
        backend = policy.backend
        assert isinstance(backend, LlamaCppBackend)
        assert got["backend"] == "llamacpp" and got["model"] == backend.model_name
        assert got["model_sha256"] == file_sha256(backend.source_path)
        assert len(got["model_sha256"]) == 64
        run = Runner("p_beauty", {"n_players": 2}, policy=policy, progress=False)
        assert run.describe()["policies"][0]["backend"] == "llamacpp"
    finally:
        policy.close()


def test_model_file_hash_is_cached_per_path_size_and_mtime(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    monkeypatch.setenv("AGORA_CACHE_DIR", str(tmp_path / "cache"))
    f = tmp_path / "m.gguf"
    f.write_bytes(b"abc")
    first = file_sha256(f)
    assert first == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert (tmp_path / "cache" / "model-sha256.json").is_file()
    f.write_bytes(b"abd")  # new content and size: hashed again
    assert file_sha256(f) != first


@pytest.mark.slow
def test_kill_9_at_three_points_then_resume_matches_uninterrupted(tmp_path: Path,
                                                                  repo_root: Path) -> None:
    script = str(repo_root / "tests" / "fixtures" / "llm_kill_run.py")

    def run(out: Path, kill_step: int) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, script, str(out), str(kill_step)], cwd=tmp_path,
                              capture_output=True, text=True, timeout=600, check=False)

    ref = tmp_path / "reference"
    assert run(ref, -1).returncode == 0
    reference = _without_latency(agora.load_run(ref).records)
    assert reference.height == 3 * 4 * 4
    for kill_step in (1, 2, 3):
        out = tmp_path / f"killed-{kill_step}"
        killed = run(out, kill_step)
        assert killed.returncode == -9, killed.stderr
        resumed = run(out, -1)
        assert resumed.returncode == 0, resumed.stderr
        assert_frame_equal(_without_latency(agora.load_run(out).records), reference)
        assert _prompts(out) == _prompts(ref)
