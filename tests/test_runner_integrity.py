"""Run directories never execute code, and every damaged file is named in one line."""

from __future__ import annotations

import json
import os
import pickle
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from polars.testing import assert_frame_equal

import agora
from agora.engine import records as records_module
from agora.engine.batch import DecisionBatch, Decisions
from agora.engine.checkpoint import CHECKPOINT_FILE, load_checkpoint
from agora.engine.rundir import CorruptRunError, PartialRunError
from agora.engine.runner import Runner
from agora.engine.streams import Streams
from agora.policies import Policy, RandomPolicy

REPO = Path(__file__).resolve().parents[1]
CONFIG = {"n_players": 3, "rounds": 6, "integer": False}


class Stopping(Policy):
    """Random play that raises KeyboardInterrupt when asked to act at ``stop_at``."""

    name = "stopping"

    def __init__(self, stop_at: int | None = None) -> None:
        self.stop_at = stop_at

    def act(self, batch: DecisionBatch, rng: Streams) -> Decisions:
        if batch.step == self.stop_at:
            raise KeyboardInterrupt
        return RandomPolicy().act(batch, rng)

    def describe(self) -> dict[str, Any]:
        return {"kind": "stopping"}


def _runner(out: Path | None, policy: Policy, resume: bool = False) -> Runner:
    return Runner("p_beauty", CONFIG, policy=policy, n_instances=4, seed=3, out=out,
                  resume=resume, progress=False)


def _interrupted(out: Path, at: int = 3, policy: Policy | None = None) -> None:
    with pytest.raises(KeyboardInterrupt):
        _runner(out, policy or Stopping(at)).run()


class _Evil:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Callable[..., Any], tuple[str]]:
        return (os.mkdir, (str(self.marker),))


# ---------------------------------------------------------------------------- no code runs
@pytest.mark.parametrize("with_manifest", [False, True])
@pytest.mark.parametrize("resume", [False, True])
def test_crafted_pickle_checkpoint_is_refused_never_loaded(tmp_path: Path, with_manifest: bool,
                                                           resume: bool) -> None:
    out, marker = tmp_path / "evil", tmp_path / "PWNED"
    if with_manifest:
        _interrupted(out)
    else:
        out.mkdir()
    (out / "checkpoint.pkl").write_bytes(pickle.dumps(_Evil(marker)))
    with pytest.raises(ValueError, match=r"holds checkpoint\.pkl, a pickled checkpoint .* "
                       "never loaded") as info:
        _runner(out, Stopping(), resume=resume).run()
    assert "\n" not in str(info.value)
    assert not marker.exists()


def test_issue_reproduction_does_not_print_pwned(
        tmp_path: Path, agora_cli: Callable[..., Any]) -> None:
    evil = tmp_path / "runs" / "evil"
    evil.mkdir(parents=True)
    (evil / "checkpoint.pkl").write_bytes(pickle.dumps(
        type("E", (), {"__reduce__": lambda s: (os.system, ("echo PWNED",))})()))
    res = agora_cli("run", str(REPO / "experiments" / "p_beauty_scripted.toml"), "--out",
                    str(evil), "--quiet")
    assert "PWNED" not in res.stdout + res.stderr
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "checkpoint.pkl" in lines[0], res.stderr


UNPICKLING = re.compile(r"^\s*(import|from)\s+(pickle|cloudpickle|dill|marshal|shelve|joblib)\b"
                        r"|allow_pickle\s*=\s*True|read_pickle|pickle\.loads?\(", re.M)


def test_no_unpickling_anywhere_a_run_directory_is_read() -> None:
    files = [f for f in sorted((REPO / "agora").rglob("*.py"))
             if "scale" not in f.parts]  # agora.scale ships policies to Ray workers, no run dirs
    offenders = [str(f.relative_to(REPO)) for f in files if UNPICKLING.search(f.read_text())]
    assert offenders == []
    assert UNPICKLING.search("import pickle\n")  # the pattern catches what it is for
    assert UNPICKLING.search("np.load(p, allow_pickle=True)")


def test_checkpoint_is_json_and_npz_without_pickles(tmp_path: Path) -> None:
    out = tmp_path / "run"
    _interrupted(out)
    raw = json.loads((out / CHECKPOINT_FILE).read_text())
    assert raw["format_version"] == 2 and raw["completed_steps"] == 3
    assert raw["arrays"]["file"] == "checkpoint-1.npz"  # steps alternate two array files
    assert sorted(raw["parts"]) == [f"step-{s:06d}.parquet" for s in range(3)]
    with np.load(out / raw["arrays"]["file"], allow_pickle=False) as npz:
        assert all(npz[k].dtype != object for k in npz.files)
    assert sorted(p.name for p in out.glob("checkpoint*")) == [
        "checkpoint-0.npz", "checkpoint-1.npz", "checkpoint.json"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["format_version"] == 2 and manifest["status"] == "running"


# ---------------------------------------------------------------------------- damaged files
def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _flip(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x55
    path.write_bytes(bytes(data))


def _swap(a: Path, b: Path) -> None:
    tmp = a.with_suffix(".swap")
    a.rename(tmp)
    b.rename(a)
    tmp.rename(b)


def _edit_json(path: Path, key: str, value: Any) -> None:
    raw = json.loads(path.read_text())
    raw[key] = value
    path.write_text(json.dumps(raw))


DAMAGE: dict[str, tuple[Callable[[Path], None], str]] = {
    "truncated part": (lambda d: _truncate(d / "parts" / "step-000001.parquet"),
                       "parts/step-000001.parquet"),
    "corrupt part": (lambda d: _flip(d / "parts" / "step-000000.parquet"),
                     "parts/step-000000.parquet"),
    "swapped parts": (lambda d: _swap(d / "parts" / "step-000000.parquet",
                                      d / "parts" / "step-000002.parquet"),
                      "parts/step-000000.parquet"),
    "missing part": (lambda d: (d / "parts" / "step-000002.parquet").unlink(),
                     "parts/step-000002.parquet"),
    "corrupt arrays": (lambda d: _flip(d / "checkpoint-1.npz"), "checkpoint-1.npz"),
    "swapped arrays": (lambda d: _swap(d / "checkpoint-0.npz", d / "checkpoint-1.npz"),
                       "checkpoint-1.npz"),
    "truncated checkpoint": (lambda d: _truncate(d / CHECKPOINT_FILE), CHECKPOINT_FILE),
    "edited checkpoint": (lambda d: _edit_json(d / CHECKPOINT_FILE, "completed_steps", 2),
                          CHECKPOINT_FILE),
    "truncated manifest": (lambda d: _truncate(d / "manifest.json"), "manifest.json"),
    "edited manifest": (lambda d: _edit_json(d / "manifest.json", "git_commit", "x"),
                        "manifest.json"),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_damaged_run_directory_is_named_in_one_line(tmp_path: Path, damage: str) -> None:
    out = tmp_path / "run"
    _interrupted(out)
    mutate, name = DAMAGE[damage]
    mutate(out)
    with pytest.raises(CorruptRunError) as info:
        _runner(out, Stopping(), resume=True).run()
    message = str(info.value)
    assert str(out / name) in message and "\n" not in message, message


def test_damaged_finished_run_is_named_by_load_run(tmp_path: Path) -> None:
    out = tmp_path / "run"
    reference = _runner(out, Stopping()).run().records
    assert_frame_equal(agora.load_run(out).records, reference)
    records = out / "records.parquet"
    good = records.read_bytes()
    _flip(records)
    with pytest.raises(CorruptRunError, match=re.escape(str(records))):
        agora.load_run(out)
    with pytest.raises(CorruptRunError, match=re.escape(str(records))):
        _runner(out, Stopping(), resume=True).run()
    records.write_bytes(good)
    _edit_json(out / "manifest.json", "run_id", "renamed")
    with pytest.raises(CorruptRunError, match=re.escape(str(out / "manifest.json"))):
        agora.load_run(out)


def test_stray_run_files_without_manifest_are_refused(tmp_path: Path) -> None:
    out = tmp_path / "run"
    _interrupted(out)
    (out / "manifest.json").unlink()
    with pytest.raises(CorruptRunError, match=r"but no manifest\.json"):
        _runner(out, Stopping()).run()


# ---------------------------------------------------------------------------- atomic finish
def test_records_file_appears_only_complete(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "run"
    real = records_module.fsync_replace

    def killed(tmp: Path, path: Path) -> None:
        if path.name == "records.parquet":
            raise KeyboardInterrupt  # killed after the temp file was written, before rename
        real(tmp, path)

    monkeypatch.setattr(records_module, "fsync_replace", killed)
    with pytest.raises(KeyboardInterrupt):
        _runner(out, Stopping()).run()
    assert not (out / "records.parquet").exists()
    with pytest.raises(PartialRunError, match="6 steps completed"):
        agora.load_run(out)
    monkeypatch.setattr(records_module, "fsync_replace", real)
    resumed = _runner(out, Stopping(), resume=True).run()
    assert_frame_equal(resumed.records, _runner(None, Stopping()).run().records)
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "records.parquet"]


def test_show_on_a_partial_run_says_partial(tmp_path: Path,
                                            agora_cli: Callable[..., Any]) -> None:
    out = tmp_path / "run"
    _interrupted(out)
    res = agora_cli("show", str(out))
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "partial run" in lines[0] and "3 steps" in lines[0], res.stderr
    assert load_checkpoint(out) is not None  # reading it changed nothing


# ---------------------------------------------------------------------------- prompt log
class Prompting(Stopping):
    """Random play that reports one shared and one per-step prompt through drain_prompts."""

    name = "prompting"

    def __init__(self, stop_at: int | None = None) -> None:
        super().__init__(stop_at)
        self.pending: dict[str, str] = {}

    def act(self, batch: DecisionBatch, rng: Streams) -> Decisions:
        out = super().act(batch, rng)
        for text in ("You play a guessing game.", f"Round {batch.step}: guess.",
                     "You play a guessing game."):
            self.pending[f"sha-{text}"] = text
        return out

    def drain_prompts(self) -> dict[str, str]:
        out, self.pending = self.pending, {}
        return out

    def describe(self) -> dict[str, Any]:
        return {"kind": "prompting"}


def _prompt_lines(path: Path) -> list[dict[str, str]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_prompt_log_holds_each_prompt_once(tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = _runner(out, Prompting()).run()
    lines = _prompt_lines(out / "prompts.jsonl")
    assert [d["prompt"] for d in lines] == ["You play a guessing game."] + [
        f"Round {s}: guess." for s in range(6)]
    assert all(d["sha"] == f"sha-{d['prompt']}" for d in lines)
    assert "prompts.jsonl" in result.manifest["checksums"]
    agora.load_run(out)
    (out / "prompts.jsonl").write_text("")
    with pytest.raises(CorruptRunError, match=re.escape(str(out / "prompts.jsonl"))):
        agora.load_run(out)


def test_prompt_log_survives_interrupt_and_resume(tmp_path: Path) -> None:
    ref, out = tmp_path / "ref", tmp_path / "run"
    _runner(ref, Prompting()).run()
    _interrupted(out, policy=Prompting(stop_at=3))
    assert len(_prompt_lines(out / "prompts.jsonl")) == 4  # written with steps 0-2
    with (out / "prompts.jsonl").open("a") as fh:  # killed after a prompt line, before its
        fh.write('{"sha": "sha-Round 3: guess.", "prompt": "Round 3: guess."}\n{"sh')  # ckpt
    _runner(out, Prompting(), resume=True).run()
    assert (out / "prompts.jsonl").read_bytes() == (ref / "prompts.jsonl").read_bytes()


def test_damaged_prompt_log_is_named_on_resume(tmp_path: Path) -> None:
    out = tmp_path / "run"
    _interrupted(out, policy=Prompting(stop_at=3))
    path = out / "prompts.jsonl"
    path.write_text(path.read_text().replace("Round 1", "Round 9"))
    with pytest.raises(CorruptRunError, match=re.escape(str(path))):
        _runner(out, Prompting(), resume=True).run()
    _truncate(path)
    with pytest.raises(CorruptRunError, match=re.escape(str(path)) + ".*truncated"):
        _runner(out, Prompting(), resume=True).run()


def test_prompts_are_drained_without_a_run_directory() -> None:
    policy = Prompting()
    _runner(None, policy).run()
    assert policy.pending == {}


def test_bad_drain_prompts_is_named() -> None:
    class Bad(Prompting):
        def drain_prompts(self) -> dict[str, str]:
            return {"sha": 3}  # type: ignore[dict-item]

    with pytest.raises(TypeError, match=r"'prompting'.*drain_prompts"):
        _runner(None, Bad()).run()


def test_copy_of_a_finished_run_still_loads(tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = _runner(out, Prompting()).run()
    shutil.copytree(out, tmp_path / "copy")
    assert_frame_equal(agora.load_run(tmp_path / "copy").records, result.records)


# ---------------------------------------------------------------------------- other writers
def test_sharded_run_directory_is_checksummed(tmp_path: Path) -> None:
    from agora.scale.config import RunConfig
    from agora.scale.shard import run_shards_locally

    cfg = RunConfig.from_mapping({"game": "p_beauty", "n_instances": 5, "seed": 1,
                                  "policies": [{"kind": "random"}]})
    result = run_shards_locally(cfg, n_shards=2, out=tmp_path / "run")
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["format_version"] == 2 and "records.parquet" in manifest["checksums"]
    assert_frame_equal(agora.load_run(tmp_path / "run").records, result.records)
    _flip(tmp_path / "run" / "records.parquet")
    with pytest.raises(CorruptRunError, match=r"records\.parquet"):
        agora.load_run(tmp_path / "run")


def test_legacy_finished_run_still_loads(tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = _runner(out, Stopping()).run()
    raw = json.loads((out / "manifest.json").read_text())
    for key in ("format_version", "checksums", "content_sha256"):
        raw.pop(key)
    (out / "manifest.json").write_text(json.dumps(raw))  # as agora wrote it before format 2
    assert_frame_equal(agora.load_run(out).records, result.records)
    raw["status"] = "running"
    (out / "manifest.json").write_text(json.dumps(raw))
    with pytest.raises(ValueError, match="unfinished run of an older agora"):
        _runner(out, Stopping(), resume=True).run()


def test_prompts_of_role_policies_reach_the_log(tmp_path: Path) -> None:
    from agora.engine.by_role import ByRolePolicy

    out = tmp_path / "run"
    Runner("dictator", {"rounds": 2}, policy=ByRolePolicy(dictator=Prompting(),
                                                          recipient=RandomPolicy()),
           n_instances=2, out=out, progress=False).run()
    assert [d["prompt"] for d in _prompt_lines(out / "prompts.jsonl")] == [
        "You play a guessing game.", "Round 0: guess.", "Round 1: guess."]


def test_llm_policy_prompts_are_logged_once_and_match_the_records(tmp_path: Path) -> None:
    import hashlib
    from collections.abc import Sequence

    from agora.llm.base import Backend
    from agora.llm.types import Completion, GenerationRequest
    from agora.policies import LLMPolicy

    class Silent(Backend):
        name = "silent"

        @property
        def model_name(self) -> str:
            return "silent"

        def _generate(self, requests: Sequence[GenerationRequest]) -> list[Completion]:
            return [Completion(text="no", tokens_in=1, tokens_out=1, latency_s=0.0,
                               finish_reason="stop", model="silent") for _ in requests]

        def _score(self, prompts: Sequence[GenerationRequest],
                   candidates: Sequence[Sequence[str]], terminate: bool) -> list[np.ndarray]:
            raise NotImplementedError

    out = tmp_path / "run"
    result = Runner("negotiation", {"messages": True}, policy=LLMPolicy(Silent()),
                    n_instances=3, seed=0, out=out, progress=False).run()
    lines = _prompt_lines(out / "prompts.jsonl")
    shas = [d["sha"] for d in lines]
    assert len(shas) == len(set(shas))
    assert all(hashlib.sha256(d["prompt"].encode()).hexdigest() == d["sha"] for d in lines)
    assert set(result.records["prompt_sha"].drop_nulls().to_list()) == set(shas)
