"""``bench/gpu_throughput.py`` without a GPU: the one-line exit, the dry-run workload, and (with
the real vllm package) the engine keywords, sampling parameters and ``vllm serve`` flags it
builds, checked by vLLM's own classes and parser."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
SCRIPT = BENCH / "gpu_throughput.py"


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gpu_throughput", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # puts bench/ on sys.path for _gpu_workload
    return module


def _p_beauty_schema(n_players: int) -> dict:
    from agora.engine.registry import REGISTRY, make_config

    cfg = make_config("p_beauty", n_players=n_players)
    kernel = REGISTRY.get("p_beauty").kernel_cls(cfg, 1, np.random.default_rng(0))
    return kernel.action_spec(0).json_schema()


def _has_gpu() -> bool:
    return shutil.which("nvidia-smi") is not None


@pytest.mark.skipif(_has_gpu(), reason="a GPU is here: the script would start a real run")
def test_without_gpu_prints_one_line_and_exits_0() -> None:
    proc = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 0
    lines = proc.stdout.splitlines()
    assert len(lines) == 1, proc.stdout
    assert "no GPU run here" in lines[0] and "bench/gpu_throughput.py" in lines[0]
    assert proc.stderr == ""


def test_bad_sizes_are_one_line_errors() -> None:
    proc = subprocess.run([sys.executable, str(SCRIPT), "--dry-run", "--agents", "15",
                           "--group", "10"], capture_output=True, text=True, timeout=120,
                          check=False)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.splitlines() == [
        "gpu_throughput: --agents must be multiples of --group 10; got [15]"]


def test_dry_run_builds_one_constrained_call_per_step(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "dry.json"
    code = _bench().main(["--dry-run", "--agents", "20,30", "--steps", "2", "--group", "10",
                          "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "requests/step" in printed
    data = json.loads(out.read_text())
    assert [r["agents"] for r in data["runs"]] == [20, 30]
    schema = json.dumps(_p_beauty_schema(10), sort_keys=True)
    for run in data["runs"]:
        n = run["agents"]
        assert run["backend_calls"] == 2  # one batched call per step, every agent in it
        assert run["requests_per_call"] == [n, n]
        assert run["decisions"] == 2 * n
        assert run["constraint_kinds"] == ["json_schema"]
        assert run["schemas"] == [schema]
        assert run["parse_status"] == {"ok": 2 * n, "repaired": 0, "fallback": 0}
        assert all(t >= n * run["shared_prefix_tokens"] > 0
                   for t in run["prompt_tokens_per_call"])


def test_dry_run_seats_a_census_persona_per_agent() -> None:
    _bench()
    workload = sys.modules["_gpu_workload"]
    seen: list[str] = []
    backend = workload.DryBackend(lambda r: seen.append(r.messages[-1]["content"]) or [0])
    workload.run_workload(backend, agents=10, steps=1, group=10, seed=0, temperature=0.7,
                          max_tokens=16)
    assert len(seen) == 10 and len(set(seen)) == 10
    assert all("You are a" in text and "-year-old " in text for text in seen)


def test_measured_path_prints_the_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    """The GPU path end to end with a stand-in engine in VLLMBackend's place."""
    import agora.llm.vllm_backend as vllm_backend

    bench = _bench()
    workload = sys.modules["_gpu_workload"]
    made: list[dict] = []

    def engine(model: str, **kwargs: object) -> object:
        made.append({"model": model, **kwargs})
        return workload.DryBackend(lambda r: [0] * 100)

    monkeypatch.setattr(vllm_backend, "VLLMBackend", engine)
    monkeypatch.setattr(bench, "gpu_problem", lambda: None)
    out = tmp_path / "gpu.json"
    code = bench.main(["--mode", "inprocess", "--agents", "20,40", "--steps", "2",
                       "--random-weights", "--model", "smollm2-135m", "--out", str(out)])
    assert code == 0
    assert made == [{"model": "HuggingFaceTB/SmolLM2-135M-Instruct", "seed": 0,
                     "tensor_parallel_size": 1, **workload.engine_kwargs(
                         bench.parser().parse_args(["--random-weights"]))}]
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("agora GPU throughput: p_beauty, 2 step(s)")
    assert "req/s" in lines[1] and "x LE" in lines[1]
    assert [line.split()[:2] for line in lines[2:4]] == [["inprocess", "20"],
                                                         ["inprocess", "40"]]
    assert "92 requests/s" in lines[4] and "agora issue 19" in lines[4] and "920" in lines[4]
    assert lines[-1].startswith("engine start-up (not in the rates): inprocess ")
    data = json.loads(out.read_text())
    runs = data["modes"][0]["runs"]
    assert [(r["agents"], r["requests"], r["backend_calls"]) for r in runs] == [
        (20, 40, 2), (40, 80, 2)]
    assert all(r["tokens_in"] == 100 * r["requests"] and 0 <= r["agora_share"] <= 1
               for r in runs)


# ---------------------------------------------------------------------- the real vllm package
def _workload_requests() -> list:
    _bench()
    workload = sys.modules["_gpu_workload"]
    backend = workload.DryBackend(lambda r: [0])
    workload.run_workload(backend, agents=20, steps=2, group=10, seed=0, temperature=0.7,
                          max_tokens=16)
    return backend.examples


@pytest.mark.vllm_real
def test_engine_kwargs_accepted_by_vllm() -> None:
    pytest.importorskip("vllm")
    from vllm.config.structured_outputs import StructuredOutputsConfig
    from vllm.engine.arg_utils import EngineArgs
    from vllm.model_executor.model_loader import get_model_loader

    bench = _bench()
    workload = sys.modules["_gpu_workload"]
    args = bench.parser().parse_args(["--random-weights", "--engine-arg", "max_model_len=2048"])
    kw = workload.engine_kwargs(args)
    assert kw["load_format"] == "dummy" and kw["enable_prefix_caching"] is True
    so = StructuredOutputsConfig(**kw.pop("structured_outputs_config"))  # as vllm.LLM does
    assert so.disable_any_whitespace
    engine = EngineArgs(model=bench.DEFAULT_MODEL, seed=0, tensor_parallel_size=1,
                        structured_outputs_config=so, **kw)
    assert engine.max_num_seqs == 1024 and engine.max_model_len == 2048
    from vllm.config.load import LoadConfig

    assert type(get_model_loader(LoadConfig(load_format="dummy"))).__name__ == "DummyModelLoader"


@pytest.mark.vllm_real
def test_workload_sampling_params_accepted_by_vllm() -> None:
    pytest.importorskip("vllm")
    from vllm import SamplingParams

    from agora.llm.vllm_backend import structured_outputs

    requests = _workload_requests()
    assert len(requests) == 2
    for r in requests:
        sp = r.sampling
        params = SamplingParams(temperature=sp.temperature, top_p=sp.top_p,
                                max_tokens=sp.max_tokens, seed=sp.seed,
                                stop=list(sp.stop) or None,
                                structured_outputs=structured_outputs(r.constraint))
        assert params.structured_outputs.json == r.constraint.json_schema


SERVE_CHECK = textwrap.dedent("""
    import json, sys
    sys.path.insert(0, {bench!r})
    import gpu_throughput as bench, _gpu_workload as w
    from agora.server.cli import parse_serve_args, vllm_command
    from vllm.entrypoints.common.cli_args import make_arg_parser
    from vllm.utils.argparse_utils import FlexibleArgumentParser

    args = bench.parser().parse_args(["--random-weights", "--mode", "serve",
                                      "--data-parallel-size", "2",
                                      "--vllm-arg=--max-model-len=2048"])
    cmd = w.serve_command(bench.DEFAULT_MODEL, w.serve_vllm_args(args), "ready", 60)
    served = parse_serve_args(cmd[3:])  # what agora serve makes of its command line
    argv = vllm_command(served.model, "127.0.0.1", 8000, served.vllm_args)
    ns = make_arg_parser(FlexibleArgumentParser()).parse_args(argv[2:])
    so = ns.structured_outputs_config
    print(json.dumps({{"load_format": ns.load_format, "max_num_seqs": ns.max_num_seqs,
                      "dp": ns.data_parallel_size, "tp": ns.tensor_parallel_size,
                      "prefix": ns.enable_prefix_caching, "max_model_len": ns.max_model_len,
                      "compact": so.disable_any_whitespace, "so_backend": so.backend}}))
""")


@pytest.mark.vllm_real
def test_serve_flags_accepted_by_vllm_serve_parser() -> None:
    pytest.importorskip("vllm")
    if shutil.which("vllm", path=str(Path(sys.executable).parent)) is None \
            and shutil.which("vllm") is None:
        pytest.skip("the vllm executable is not installed")
    env = {**os.environ, "VLLM_TARGET_DEVICE": "cpu"}  # lets vLLM's parser start without a GPU
    proc = subprocess.run([sys.executable, "-c", SERVE_CHECK.format(bench=str(BENCH))],
                          capture_output=True, text=True, timeout=300, env=env, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got == {"load_format": "dummy", "max_num_seqs": 1024, "dp": 2, "tp": 1,
                   "prefix": True, "max_model_len": 2048, "compact": True,
                   "so_backend": "xgrammar"}
