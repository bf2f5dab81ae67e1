"""GPU throughput of agora's LLM path on the LLM-Economist-comparable workload.

N census-persona agents in p-beauty contests (groups of ``--group``), each step one
single-number decision per agent (``{"guess": 0..100}``, constrained to the game's JSON
schema), played by agora's Runner with an ``LLMPolicy``: one batched backend call per step for
every agent. At each size of ``--agents`` it prints requests/s, decisions/s, prompt and
generated tokens/s, p50/p95 latency (backend telemetry), peak GPU memory (nvidia-smi) and
agora's share of the wall time (the Runner's wall time minus the time inside the backend),
beside LLM Economist's 92 requests/s (Gemma-3-4B, one RTX 5090; the figure agora issue 19
states) and agora's target of ten times that per GPU.

Modes: ``inprocess`` (``agora.llm.vllm_backend.VLLMBackend``) and ``serve`` (``agora serve
--backend vllm`` started as a subprocess, reached through ``OpenAIBackend``); each mode runs
in a child process of its own so the GPU is free for the next one. A model with random weights
(``--random-weights``: vLLM's ``load_format="dummy"``) is enough for throughput.

    python bench/gpu_throughput.py [--agents 1000,10000,100000] [--steps 2] [--mode inprocess,serve]
        [--model HuggingFaceTB/SmolLM2-135M-Instruct] [--random-weights] [--out results.json]
    python bench/gpu_throughput.py --dry-run --agents 1000   # the workload only, on any CPU

Without a CUDA GPU (or without torch/vllm) it prints one line saying so and exits 0.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _gpu_workload import (  # this folder is on sys.path now
    GpuMemory,
    engine_kwargs,
    gpu_names,
    gpu_problem,
    gpus_used,
    resolve_model,
    serve_vllm_args,
    start_server,
    stop_server,
)

LE_REQUESTS_PER_S = 92.0
LE_SOURCE = ("LLM Economist: 92 requests/s, Gemma-3-4B on one RTX 5090 (the figure as stated "
             "in agora issue 19)")
TARGET_FACTOR = 10
DEFAULT_MODEL = "HuggingFaceTB/SmolLM2-135M-Instruct"
MODES = ("inprocess", "serve")
CHILD_ENV = "AGORA_GPU_BENCH_CHILD"
"""Set in the child process of one mode: it writes its figures and prints no table."""
RUN_HINT = ("on a machine with an NVIDIA GPU: pip install 'agora-sim[vllm]' && python "
            "bench/gpu_throughput.py (runbook: docs/gpu.md; --dry-run builds the workload here)")


def _csv_ints(text: str) -> list[int]:
    try:
        values = [int(v.replace("_", "")) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") \
            from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected integers >= 1, got {text!r}")
    return values


def _modes(text: str) -> list[str]:
    modes = [m.strip() for m in text.split(",") if m.strip()]
    bad = [m for m in modes if m not in MODES]
    if bad or not modes:
        raise argparse.ArgumentTypeError(f"--mode takes {','.join(MODES)} (comma-separated), "
                                         f"got {text!r}")
    return modes


def parser() -> argparse.ArgumentParser:
    """The bench's command line."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=DEFAULT_MODEL,
                    help=f"Hugging Face id, local path, smollm2-135m or gemma3-270m "
                         f"(default {DEFAULT_MODEL})")
    ap.add_argument("--random-weights", action="store_true",
                    help="random weights from the model's config (vLLM load_format='dummy'): "
                         "enough for throughput, the answers are noise")
    ap.add_argument("--agents", type=_csv_ints, default=[1000, 10000, 100000],
                    help="agent counts, comma-separated (default 1000,10000,100000)")
    ap.add_argument("--steps", type=int, default=2, help="p-beauty rounds, one decision each")
    ap.add_argument("--group", type=int, default=10, help="agents per game instance")
    ap.add_argument("--mode", type=_modes, default=list(MODES),
                    help="inprocess, serve or both (default inprocess,serve)")
    ap.add_argument("--out", type=Path, default=None, help="write every figure here as JSON")
    ap.add_argument("--dry-run", action="store_true",
                    help="build the workload without an engine and print what it would send")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--temperature", type=float, default=0.7)
    ap.add_argument("--max-tokens", type=int, default=16, help="LLMPolicy answer budget")
    ap.add_argument("--tensor-parallel-size", type=int, default=1)
    ap.add_argument("--data-parallel-size", type=int, default=1,
                    help="engine replicas behind vllm serve (serve mode only)")
    ap.add_argument("--max-num-seqs", type=int, default=1024,
                    help="sequences vLLM batches at once")
    ap.add_argument("--gpu-memory-utilization", type=float, default=0.9)
    ap.add_argument("--concurrency", type=int, default=2048,
                    help="serve mode: HTTP requests in flight (OpenAIBackend max_concurrency)")
    ap.add_argument("--compact-json", action=argparse.BooleanOptionalAction, default=True,
                    help="vLLM's xgrammar without optional JSON whitespace (default on)")
    ap.add_argument("--engine-arg", action="append", default=[], metavar="KEY=VALUE",
                    help="inprocess: extra vllm.LLM keyword (VALUE read as JSON when it parses)")
    ap.add_argument("--vllm-arg", action="append", default=[], metavar="ARG",
                    help="serve: one extra vllm serve argument, passed verbatim, e.g. "
                         "--vllm-arg=--max-model-len=2048")
    ap.add_argument("--startup-timeout", type=float, default=900.0)
    return ap


def _check(args: argparse.Namespace) -> str | None:
    """One-line message for a bad combination of flags."""
    if args.steps < 1 or args.group < 1:
        return "--steps and --group must be >= 1"
    bad = [n for n in args.agents if n % args.group]
    if bad:
        return f"--agents must be multiples of --group {args.group}; got {bad}"
    if args.tensor_parallel_size < 1 or args.data_parallel_size < 1:
        return "--tensor-parallel-size and --data-parallel-size must be >= 1"
    if args.data_parallel_size > 1 and "inprocess" in args.mode:
        return ("--data-parallel-size > 1 needs --mode serve (vllm.LLM refuses data "
                "parallelism in one process; see docs/gpu.md)")
    if not 0 < args.gpu_memory_utilization <= 1:
        return "--gpu-memory-utilization must be in (0, 1]"
    if not (args.temperature == 0 or 0.01 <= args.temperature <= 2):
        return f"--temperature must be 0 or in [0.01, 2] (what vLLM takes), got {args.temperature}"
    if args.max_tokens < 4 or args.max_num_seqs < 1 or args.concurrency < 1:
        return "--max-tokens must be >= 4, --max-num-seqs and --concurrency >= 1"
    try:
        engine_kwargs(args)
    except ValueError as exc:
        return str(exc)
    return None


# ---------------------------------------------------------------------- dry run
def dry(args: argparse.Namespace) -> int:
    """Build every workload size against a stand-in backend and print what it would send."""
    from _gpu_workload import dry_run, token_counter

    count, how = token_counter()
    print(f"dry run: p_beauty, groups of {args.group}, {args.steps} step(s), max_tokens "
          f"{args.max_tokens}; no engine; prompt tokens: {how}")
    print(f"{'agents':>9} {'calls':>5} {'requests/step':>13} {'prompt tok/step':>15} "
          f"{'tok/request':>11} {'shared prefix':>13} {'build s':>8} {'agora us/dec':>12}")
    dry_run(count, agents=args.group, steps=1, group=args.group, seed=args.seed,
            temperature=args.temperature, max_tokens=args.max_tokens)  # warm-up: imports
    rows = []
    for n in args.agents:
        r = dry_run(count, agents=n, steps=args.steps, group=args.group, seed=args.seed,
                    temperature=args.temperature, max_tokens=args.max_tokens)
        rows.append(r)
        per_step = max(r["prompt_tokens_per_call"])
        print(f"{n:>9,} {r['backend_calls']:>5} {max(r['requests_per_call']):>13,} "
              f"{per_step:>15,} {per_step / max(r['requests_per_call']):>11.0f} "
              f"{r['shared_prefix_tokens']:>13} {r['build_s']:>8.2f} "
              f"{r['agora_us_per_decision']:>12.0f}")
    print(f"constraint: {', '.join(rows[0]['constraint_kinds'])} {rows[0]['schemas'][0]}")
    print("agora us/dec: the Runner's and LLMPolicy's own time per decision (wall time outside "
          "the backend call), on this CPU")
    _write(args.out, {"dry_run": True, "token_count": how, "runs": rows})
    return 0


# ---------------------------------------------------------------------- measured runs
def measure(args: argparse.Namespace, mode: str) -> dict[str, Any]:
    """Start one engine, warm it up, run every size; figures as a dict."""
    from _gpu_workload import run_workload

    from agora.llm.base import Backend

    memory = GpuMemory()
    t0 = time.perf_counter()
    server = None
    backend: Backend
    if mode == "inprocess":
        from agora.llm.vllm_backend import VLLMBackend

        backend = VLLMBackend(args.model, seed=args.seed,
                              tensor_parallel_size=args.tensor_parallel_size,
                              **engine_kwargs(args))
    else:
        from agora.llm.openai_backend import OpenAIBackend

        server, url = start_server(args.model, serve_vllm_args(args), args.startup_timeout)
        backend = OpenAIBackend(url, model=args.model, max_concurrency=args.concurrency,
                                timeout_s=600.0, seed=args.seed)
    startup = time.perf_counter() - t0
    runs = []
    try:
        run_workload(backend, agents=args.group, steps=1, group=args.group, seed=args.seed,
                     temperature=args.temperature, max_tokens=args.max_tokens)  # warm-up
        for n in args.agents:
            memory.start()
            r = run_workload(backend, agents=n, steps=args.steps, group=args.group,
                             seed=args.seed, temperature=args.temperature,
                             max_tokens=args.max_tokens)
            r["peak_gpu_memory_gib"] = memory.stop()
            print(f"{mode} {n:,} agents: {r['wall_s']:.1f} s, {r['requests_per_s']:.0f} "
                  f"requests/s", file=sys.stderr, flush=True)
            runs.append(r)
    finally:
        backend.close()
        if server is not None:
            stop_server(server)
    return {"mode": mode, "startup_s": startup, "gpus": gpus_used(args, mode), "runs": runs}


def _child(args: argparse.Namespace, mode: str, argv: Sequence[str]) -> dict[str, Any]:
    """Run one mode in a fresh process (the GPU is released when it exits)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "mode.json"
        cmd = [sys.executable, str(Path(__file__).resolve()), *_without(argv, ("--mode", "--out")),
               f"--mode={mode}", f"--out={out}"]
        proc = subprocess.run(cmd, check=False, env={**os.environ, CHILD_ENV: "1"})
        if proc.returncode != 0 or not out.exists():
            return {"mode": mode, "error": f"exit code {proc.returncode}", "runs": []}
        return json.loads(out.read_text())["modes"][0]


def _without(argv: Sequence[str], flags: tuple[str, ...]) -> list[str]:
    """``argv`` without the given flags (``--f v`` and ``--f=v`` forms)."""
    out, skip = [], False
    for a in argv:
        if skip:
            skip = False
        elif a in flags:
            skip = True
        elif not a.startswith(tuple(f + "=" for f in flags)):
            out.append(a)
    return out


def table(modes: Sequence[dict[str, Any]]) -> list[str]:
    """The printed figures, one line per mode and size, with the LLM Economist comparison."""
    target = TARGET_FACTOR * LE_REQUESTS_PER_S
    lines = [f"{'mode':<9} {'agents':>8} {'req/s':>8} {'dec/s':>8} {'tok/s in':>9} "
             f"{'tok/s out':>9} {'p50 s':>7} {'p95 s':>7} {'GPU GiB':>7} {'agora':>6} "
             f"{'req/s/GPU':>9} {'x LE':>5} {'ok/rep/fb':>14}"]
    for m in modes:
        if m.get("error"):
            lines.append(f"{m['mode']:<9} failed: {m['error']}")
            continue
        for r in m["runs"]:
            per_gpu = r["requests_per_s"] / m["gpus"]
            mem = r.get("peak_gpu_memory_gib")
            ps = r["parse_status"]
            status = f"{ps['ok']}/{ps['repaired']}/{ps['fallback']}"
            lines.append(
                f"{m['mode']:<9} {r['agents']:>8,} {r['requests_per_s']:>8.0f} "
                f"{r['decisions_per_s']:>8.0f} {r['tokens_in_per_s']:>9.0f} "
                f"{r['tokens_out_per_s']:>9.0f} {r['latency_p50_s']:>7.2f} "
                f"{r['latency_p95_s']:>7.2f} {'n/a' if mem is None else f'{mem:.1f}':>7} "
                f"{r['agora_share']:>6.1%} {per_gpu:>9.0f} {per_gpu / LE_REQUESTS_PER_S:>5.1f} "
                f"{status:>14}")
    starts = ", ".join(f"{m['mode']} {m['startup_s']:.0f} s" for m in modes if "startup_s" in m)
    lines += [
        f"reference: {LE_SOURCE}; agora's target: {target:.0f} requests/s per GPU "
        f"({TARGET_FACTOR}x) for single-number actions",
        "req/s: completions (re-asks included) per second of the Runner's wall time; dec/s: "
        "agent decisions; agora: share of that wall time spent outside the backend call; "
        "p50/p95: per-request latency as the backend reports it (in-process: the whole "
        "batched call); GPU GiB: peak used on all GPUs (nvidia-smi)",
        f"engine start-up (not in the rates): {starts or 'n/a'}"]
    return lines


def _write(path: Path | None, data: dict[str, Any]) -> None:
    if path is not None:
        path.write_text(json.dumps(data, indent=2) + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Parse flags; dry run, one-line exit without a GPU, or the measured table."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser().parse_args(argv)
    problem = _check(args)
    if problem:
        print(f"gpu_throughput: {problem}", file=sys.stderr)
        return 2
    args.model = resolve_model(args.model)
    if args.dry_run:
        return dry(args)
    missing = gpu_problem()
    if missing:
        print(f"gpu_throughput: no GPU run here ({missing}); nothing measured. Run it {RUN_HINT}")
        return 0
    if len(args.mode) > 1:
        modes = [_child(args, mode, argv) for mode in args.mode]
    else:
        modes = [measure(args, args.mode[0])]
    header = (f"agora GPU throughput: p_beauty, {args.steps} step(s), groups of {args.group}, "
              f"model {args.model}{' (random weights)' if args.random_weights else ''}, "
              f"GPU {gpu_names()}, tp={args.tensor_parallel_size} dp={args.data_parallel_size}")
    data = {"command": " ".join(["python", "bench/gpu_throughput.py", *argv]), "model": args.model,
            "random_weights": args.random_weights, "gpu": gpu_names(), "steps": args.steps,
            "group": args.group, "le_reference": LE_SOURCE, "modes": modes}
    if os.environ.get(CHILD_ENV) is None:
        print(header)
        print("\n".join(table(modes)))
    _write(args.out, data)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
