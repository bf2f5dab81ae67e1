"""Run directories: records and manifest on disk, checkpoints, interrupt and resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from polars.testing import assert_frame_equal

import agora
from agora.engine.batch import DecisionBatch, Decisions
from agora.engine.checkpoint import load_checkpoint
from agora.engine.rundir import PartialRunError
from agora.engine.runner import Runner
from agora.engine.streams import Streams
from agora.policies import CognitiveHierarchyPolicy, Policy, RandomPolicy

CONFIG = {"n_players": 3, "rounds": 6, "integer": False}


class Interrupting(Policy):
    """Random play that raises KeyboardInterrupt when asked to act at ``stop_at``."""

    name = "interrupting"

    def __init__(self, stop_at: int | None = None) -> None:
        self.stop_at = stop_at
        self.steps: list[int] = []

    def act(self, batch: DecisionBatch, rng: Streams) -> Decisions:
        if batch.step == self.stop_at:
            raise KeyboardInterrupt
        self.steps.append(batch.step)
        return RandomPolicy().act(batch, rng)

    def describe(self) -> dict[str, Any]:
        return {"kind": "interrupting"}  # the stop point does not change the records


def _runner(out: Path | None, policy: Interrupting, resume: bool = False,
            **config: Any) -> Runner:
    return Runner("p_beauty", {**CONFIG, **config},
                  policy=[(policy, 0.5), (CognitiveHierarchyPolicy(), 0.5)], n_instances=4,
                  seed=5, out=out, resume=resume, progress=False)


def test_out_dir_holds_records_and_manifest(tmp_path: Path) -> None:
    result = _runner(tmp_path / "run", Interrupting()).run()
    files = sorted(p.name for p in (tmp_path / "run").iterdir())
    assert files == ["manifest.json", "records.parquet"]
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    assert manifest["config"] == {**result.manifest["config"]}
    assert manifest["config"]["rounds"] == 6 and manifest["seed"] == 5
    assert {"versions", "git_commit", "fingerprint", "telemetry", "policies"} <= set(manifest)
    assert manifest["versions"]["numpy"] == np.__version__
    loaded = agora.load_run(tmp_path / "run")
    assert_frame_equal(loaded.records, result.records)
    assert loaded.manifest["run_id"] == result.manifest["run_id"]
    assert_frame_equal(result.records, _runner(None, Interrupting()).run().records)


def test_complete_run_is_not_redone(tmp_path: Path) -> None:
    first = _runner(tmp_path, Interrupting()).run()
    with pytest.raises(FileExistsError, match="pass --resume"):
        _runner(tmp_path, Interrupting()).run()
    again_policy = Interrupting()
    again = _runner(tmp_path, again_policy, resume=True).run()
    assert again_policy.steps == []
    assert_frame_equal(again.records, first.records)


def test_different_run_in_same_dir_is_refused(tmp_path: Path) -> None:
    _runner(tmp_path, Interrupting()).run()
    with pytest.raises(ValueError, match="holds a different run"):
        _runner(tmp_path, Interrupting(), resume=True, p=0.5).run()
    with pytest.raises(ValueError, match="holds a different run"):
        Runner("p_beauty", CONFIG, policy=RandomPolicy(), seed=5, out=tmp_path,
               progress=False).run()


def test_interrupted_run_resumes_to_identical_records(tmp_path: Path) -> None:
    reference = _runner(None, Interrupting()).run().records
    out = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        _runner(out, Interrupting(stop_at=3)).run()
    ckpt = load_checkpoint(out)
    assert ckpt is not None and ckpt.completed_steps == 3
    assert sorted(p.name for p in (out / "parts").iterdir()) == [
        "step-000000.parquet", "step-000001.parquet", "step-000002.parquet"]
    assert json.loads((out / "manifest.json").read_text())["status"] == "running"
    with pytest.raises(PartialRunError, match=r"partial run \(status: running, 3 steps "
                       r"completed\).*--resume"):
        agora.load_run(out)
    with pytest.raises(FileExistsError, match="pass --resume"):
        _runner(out, Interrupting()).run()
    # a part written after the last checkpoint (killed before the checkpoint) is redone
    (out / "parts" / "step-000003.parquet").write_bytes(b"half written")
    resumed_policy = Interrupting()
    resumed = _runner(out, resumed_policy, resume=True).run()
    assert resumed_policy.steps == [3, 4, 5]
    assert_frame_equal(resumed.records, reference)
    assert_frame_equal(agora.load_run(out).records, reference)
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "records.parquet"]


def test_load_run_of_a_non_run_dir(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="not an agora run directory"):
        agora.load_run(tmp_path)


def test_sigint_then_resume_matches_uninterrupted_run(tmp_path: Path, repo_root: Path) -> None:
    script = str(repo_root / "tests" / "fixtures" / "slow_experiment.py")
    out, ref = tmp_path / "interrupted", tmp_path / "reference"
    env = {**os.environ, "AGORA_TEST_ACT_LOG": str(tmp_path / "first.log")}
    # A shell without job control starts background jobs with SIGINT ignored, and Python keeps
    # an ignored SIGINT ignored: give the child the default disposition (KeyboardInterrupt).
    proc = subprocess.Popen([sys.executable, "-m", "agora.cli", "run", script, "--out", str(out),
                             "--quiet"], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + 90
        while len(list((out / "parts").glob("step-*.parquet"))) < 3:
            assert proc.poll() is None, f"run ended before the interrupt: {proc.communicate()}"
            assert time.monotonic() < deadline, "no checkpointed steps within 90 s"
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("agora: interrupted"), stderr
    assert "--resume" in lines[0]
    ckpt = load_checkpoint(out)
    assert ckpt is not None and 2 <= ckpt.completed_steps < 15
    assert not (out / "records.parquet").exists()

    fast = {**os.environ, "AGORA_TEST_STEP_DELAY": "0"}
    resumed = subprocess.run(
        [sys.executable, "-m", "agora.cli", "run", script, "--out", str(out), "--resume",
         "--quiet"], cwd=tmp_path, env={**fast, "AGORA_TEST_ACT_LOG": str(tmp_path / "2.log")},
        capture_output=True, text=True, timeout=120, check=False)
    assert resumed.returncode == 0, resumed.stderr
    steps = [int(s) for s in (tmp_path / "2.log").read_text().split()]
    assert steps == list(range(ckpt.completed_steps, 15))  # resumed, not restarted

    reference = subprocess.run(
        [sys.executable, "-m", "agora.cli", "run", script, "--out", str(ref), "--quiet"],
        cwd=tmp_path, env=fast, capture_output=True, text=True, timeout=120, check=False)
    assert reference.returncode == 0, reference.stderr
    a, b = agora.load_run(out), agora.load_run(ref)
    assert a.records.height == 3 * 4 * 15
    assert_frame_equal(a.records, b.records)
    assert a.manifest["fingerprint"] == b.manifest["fingerprint"]


def _kill_points_module(repo_root: Path) -> Any:
    import importlib.util

    path = repo_root / "tests" / "fixtures" / "kill_points.py"
    spec = importlib.util.spec_from_file_location("kill_points", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("point", ["part", "prompts", "arrays", "json", "finish"])
def test_sigkill_at_any_write_then_resume_matches(tmp_path: Path, repo_root: Path,
                                                  point: str) -> None:
    """kill -9 while a step (or the final table) is half written: resume equals a clean run."""
    kp = _kill_points_module(repo_root)
    out, ref = tmp_path / "killed", tmp_path / "reference"
    child = subprocess.run([sys.executable, str(repo_root / "tests" / "fixtures" /
                                                "kill_points.py"), str(out), point],
                           capture_output=True, text=True, timeout=120, check=False)
    assert child.returncode == -signal.SIGKILL, child.stderr
    assert not (out / "records.parquet").exists()
    ckpt = load_checkpoint(out)
    assert ckpt is not None and ckpt.completed_steps == (6 if point == "finish" else kp.STEP)
    reference = kp.make_runner(ref).run()
    resumed = kp.make_runner(out, resume=True).run()
    assert_frame_equal(resumed.records, reference.records)
    assert (out / "prompts.jsonl").read_bytes() == (ref / "prompts.jsonl").read_bytes()
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "prompts.jsonl",
                                                     "records.parquet"]
