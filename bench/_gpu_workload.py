"""Workload and GPU plumbing of ``bench/gpu_throughput.py``: personas guessing in p-beauty.

N agents (adult census personas, drawn as the experiments draw them) sit in groups of
``group`` and play ``steps`` rounds of the p-beauty contest through agora's own path: the
:class:`~agora.engine.runner.Runner` with an :class:`~agora.policies.LLMPolicy`, which sends
one batched, schema-constrained backend call per step for every agent (``{"guess": 0..100}``).
:class:`Metered` wraps the backend to time what happens inside it; :class:`DryBackend` stands
in for an engine in ``--dry-run``: it counts what would be sent and answers within the schema.
The rest builds vLLM's settings (engine keywords, ``vllm serve`` flags), starts and stops
``agora serve --backend vllm`` and samples GPU memory with nvidia-smi.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from agora.engine.runner import Personas, Runner
from agora.llm.base import Backend
from agora.llm.registry import option_item
from agora.llm.types import Completion, GenerationRequest
from agora.llm.vllm_backend import STRUCTURED_OUTPUTS_CONFIG
from agora.policies import LLMPolicy

GAME = "p_beauty"
"""A one-number simultaneous game: every agent's action is one integer guess."""

TokenCounter = Callable[[GenerationRequest], list[int]]


def resolve_model(name: str) -> str:
    """The Hugging Face id of a catalogue name (``smollm2-135m``, ``gemma3-270m``); any other
    id or path as given."""
    try:
        from agora.llm.models import hf_id
    except ImportError:  # an agora without the model catalogue
        return name
    return hf_id(name)


def seat_personas(agents: int, group: int, seed: int) -> Personas:
    """``agents`` adult census personas seated in groups of ``group`` (as the experiments do)."""
    from experiments._personas import PersonaPool

    return PersonaPool.adults(agents, seed=seed).seat(agents // group, group)


class Metered(Backend):
    """Passes ``generate`` through to a backend; its own telemetry covers this run only."""

    name = "metered"

    def __init__(self, inner: Backend) -> None:
        super().__init__()
        self.inner = inner
        self.batch_sizes: list[int] = []

    @property
    def model_name(self) -> str:
        return self.inner.model_name

    def describe(self) -> dict[str, Any]:
        return self.inner.describe()

    def check_sampling(self, sampling: Any) -> None:
        self.inner.check_sampling(sampling)

    def _generate(self, requests: Sequence[GenerationRequest]) -> list[Completion]:
        self.batch_sizes.append(len(requests))
        return self.inner.generate(requests)

    def _score(self, prompts: Sequence[GenerationRequest], candidates: Sequence[Sequence[str]],
               terminate: bool) -> list[np.ndarray]:
        return self.inner.score(prompts, candidates, terminate=terminate)


def schema_answer(schema: dict[str, Any], rng: np.random.Generator) -> str:
    """A JSON answer inside a flat object schema of numbers (what a constrained engine returns)."""
    out: dict[str, int | float] = {}
    for name, field in schema.get("properties", {}).items():
        kind = field.get("type")
        if kind not in ("integer", "number"):
            raise ValueError(f"the dry run answers numeric fields only; {name!r} is {kind!r}")
        lo, hi = float(field.get("minimum", 0)), float(field.get("maximum", 100))
        value = float(rng.uniform(lo, hi))
        out[name] = round(value) if kind == "integer" else round(value, 3)
    return json.dumps(out)


class DryBackend(Backend):
    """No engine: records each batch (requests, prompt tokens, shared prefix, constraints) and
    answers every request with a random value inside its JSON schema."""

    name = "dry"

    def __init__(self, count_tokens: TokenCounter, *, seed: int = 0) -> None:
        super().__init__()
        self.count_tokens = count_tokens
        self.rng = np.random.default_rng(seed)
        self.batches: list[dict[str, Any]] = []
        self.examples: list[GenerationRequest] = []  # the first request of every batch

    @property
    def model_name(self) -> str:
        return "dry-run"

    def _generate(self, requests: Sequence[GenerationRequest]) -> list[Completion]:
        token_lists = [self.count_tokens(r) for r in requests]
        self.examples.append(requests[0])
        distinct = {id(r.constraint): r.constraint for r in requests}  # one per action spec
        schemas = {json.dumps(c.json_schema, sort_keys=True) for c in distinct.values()
                   if c is not None and c.json_schema is not None}
        self.batches.append({
            "requests": len(requests),
            "prompt_tokens": sum(len(t) for t in token_lists),
            "shared_prefix_tokens": shared_prefix(token_lists),
            "constraint_kinds": sorted({c.kind if c else "none" for c in distinct.values()}),
            "schemas": sorted(schemas),
            "max_tokens": max(r.sampling.max_tokens for r in requests),
        })
        out = []
        for r, toks in zip(requests, token_lists, strict=True):
            if r.constraint is None or r.constraint.json_schema is None:
                raise ValueError("the dry run expects JSON-schema constrained requests")
            text = schema_answer(r.constraint.json_schema, self.rng)
            out.append(Completion(text=text, tokens_in=len(toks), tokens_out=len(text) // 2,
                                  latency_s=0.0, finish_reason="stop", model=self.model_name,
                                  request_id=r.request_id))
        return out

    def _score(self, prompts: Sequence[GenerationRequest], candidates: Sequence[Sequence[str]],
               terminate: bool) -> list[np.ndarray]:
        raise NotImplementedError("the dry run covers generate mode only")


def shared_prefix(token_lists: Sequence[Sequence[int]]) -> int:
    """Length of the token prefix every list shares (what prefix caching reads once)."""
    if not token_lists:
        return 0
    first = np.asarray(token_lists[0])
    n = first.size
    for toks in token_lists[1:]:
        m = min(n, len(toks))
        diff = np.flatnonzero(first[:m] != np.asarray(toks[:m]))
        n = int(diff[0]) if diff.size else m
        if n == 0:
            break
    return n


def token_counter() -> tuple[TokenCounter, str]:
    """Exact prompt tokens from the embedded SmolLM2-135M-Instruct (the default ``--model``'s
    tokenizer and chat template); without it, characters / 4 as an estimate."""
    try:
        from agora.llm.llamacpp import LlamaCppBackend
        from agora.llm.llamacpp.model_files import embedded_model_available

        if embedded_model_available():
            tok = LlamaCppBackend(n_ctx=256, n_threads=1, n_parallel=1, requantize="none")
            return tok.prompt_tokens, "SmolLM2-135M-Instruct tokenizer + chat template"
    except (ImportError, OSError, ValueError):
        pass

    def estimate(request: GenerationRequest) -> list[int]:
        return [0] * (sum(len(m["content"]) for m in request.messages) // 4)

    return estimate, "estimated as characters / 4 (no embedded tokenizer)"


def run_workload(backend: Backend, *, agents: int, steps: int, group: int, seed: int,
                 temperature: float, max_tokens: int) -> dict[str, Any]:
    """Play the workload once through the Runner; figures of this run only."""
    t0 = time.perf_counter()
    personas = seat_personas(agents, group, seed)
    metered = Metered(backend)
    policy = LLMPolicy(metered, temperature=temperature, max_tokens=max_tokens)
    setup_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    result = Runner(GAME, {"n_players": group, "rounds": steps}, policy=policy,
                    n_instances=agents // group, seed=seed, personas=personas,
                    progress=False).run()
    wall = time.perf_counter() - t0
    tel = metered.telemetry
    records = result.records
    status = {k: int((records["parse_status"] == k).sum()) for k in ("ok", "repaired", "fallback")}
    run_tel = result.telemetry
    return {
        "agents": agents, "steps": steps, "group": group, "decisions": records.height,
        "requests": tel.requests, "backend_calls": tel.batches,
        "largest_call": max(metered.batch_sizes, default=0),
        "setup_s": setup_s, "wall_s": wall, "backend_s": tel.busy_s,
        "agora_share": (wall - tel.busy_s) / wall if wall > 0 else 0.0,
        "requests_per_s": tel.requests / wall, "decisions_per_s": records.height / wall,
        "tokens_in": tel.tokens_in, "tokens_out": tel.tokens_out,
        "tokens_in_per_s": tel.tokens_in / wall, "tokens_out_per_s": tel.tokens_out / wall,
        "latency_p50_s": tel.latency_p50_s, "latency_p95_s": tel.latency_p95_s,
        "parse_status": status,
        "runner_s": {k: float(run_tel[k]) for k in ("policy_s", "engine_s", "records_s")
                     if k in run_tel},
    }


def dry_run(count_tokens: TokenCounter, *, agents: int, steps: int, group: int, seed: int,
            temperature: float, max_tokens: int) -> dict[str, Any]:
    """Build and send the whole workload to a :class:`DryBackend`; what each step would send."""
    backend = DryBackend(count_tokens, seed=seed)
    t0 = time.perf_counter()
    figures = run_workload(backend, agents=agents, steps=steps, group=group, seed=seed,
                           temperature=temperature, max_tokens=max_tokens)
    build_s = time.perf_counter() - t0
    batches = backend.batches
    return {
        "agents": agents, "steps": steps, "group": group, "build_s": build_s,
        "decisions": figures["decisions"], "backend_calls": len(batches),
        "agora_us_per_decision": 1e6 * (figures["wall_s"] - figures["backend_s"])
        / figures["decisions"],
        "requests_per_call": [b["requests"] for b in batches],
        "prompt_tokens_per_call": [b["prompt_tokens"] for b in batches],
        "shared_prefix_tokens": min(b["shared_prefix_tokens"] for b in batches),
        "constraint_kinds": sorted({k for b in batches for k in b["constraint_kinds"]}),
        "schemas": sorted({s for b in batches for s in b["schemas"]}),
        "max_tokens": max(b["max_tokens"] for b in batches),
        "parse_status": figures["parse_status"],
    }


# ---------------------------------------------------------------------- vLLM settings
COMPACT_JSON = STRUCTURED_OUTPUTS_CONFIG
"""vLLM structured-outputs config without optional JSON whitespace (random weights would
otherwise spend the token budget on blanks): ``VLLMBackend``'s default, and what
``agora serve --backend vllm`` passes to ``vllm serve``."""


def engine_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """Keywords for ``VLLMBackend`` (passed on to ``vllm.LLM``) in in-process mode."""
    kw: dict[str, Any] = {"enable_prefix_caching": True, "max_num_seqs": args.max_num_seqs,
                          "gpu_memory_utilization": args.gpu_memory_utilization}
    if args.random_weights:
        kw["load_format"] = "dummy"
    # {}: vLLM's own defaults (xgrammar or another backend, optional whitespace allowed)
    kw["structured_outputs_config"] = dict(COMPACT_JSON) if args.compact_json else {}
    for item in args.engine_arg:
        key, value = option_item(item, "--engine-arg")
        kw[key] = value
    return kw


def serve_vllm_args(args: argparse.Namespace) -> list[str]:
    """Arguments for ``vllm serve`` (passed verbatim after ``--`` to ``agora serve``)."""
    out = [f"--max-num-seqs={args.max_num_seqs}",
           f"--gpu-memory-utilization={args.gpu_memory_utilization}",
           f"--tensor-parallel-size={args.tensor_parallel_size}",
           f"--data-parallel-size={args.data_parallel_size}"]
    if args.random_weights:
        out.append("--load-format=dummy")
    if not args.compact_json:  # agora serve passes COMPACT_JSON itself; {}: vLLM's defaults
        out.append("--structured-outputs-config={}")
    return [*out, *args.vllm_arg]


def serve_command(model: str, vllm_args: Sequence[str], ready_file: Path,
                  startup_timeout: float) -> list[str]:
    """``agora serve --backend vllm`` with the bench's ``vllm serve`` arguments (after ``--``,
    so JSON values such as ``--structured-outputs-config={...}`` pass unchanged)."""
    return [sys.executable, "-m", "agora.server", "--backend", "vllm", "--model", model,
            "--ready-file", str(ready_file), "--startup-timeout", str(startup_timeout),
            "--", *vllm_args]


def start_server(model: str, vllm_args: Sequence[str],
                 startup_timeout: float) -> tuple[subprocess.Popen[bytes], str]:
    """Start ``agora serve --backend vllm``; its process and OpenAI base URL once healthy."""
    tmp = Path(tempfile.mkdtemp(prefix="agora-gpu-bench-"))
    ready, log = tmp / "url", tmp / "serve.log"
    with log.open("wb") as sink:
        proc = subprocess.Popen(serve_command(model, vllm_args, ready, startup_timeout),
                                stdout=sink, stderr=sink)
    deadline = time.monotonic() + startup_timeout + 30
    while not ready.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            stop_server(proc)
            raise RuntimeError(f"agora serve --backend vllm did not start (log: {log})")
        time.sleep(0.5)
    print(f"vllm serve log: {log}", file=sys.stderr)
    return proc, ready.read_text().strip()


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    """Stop ``agora serve`` (it forwards the signal to ``vllm serve``) and wait for it."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(120)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def gpus_used(args: argparse.Namespace, mode: str) -> int:
    """GPUs one mode occupies: tensor parallel times (serve only) data parallel."""
    return args.tensor_parallel_size * (args.data_parallel_size if mode == "serve" else 1)


# ---------------------------------------------------------------------- the GPU
def gpu_problem() -> str | None:
    """Why no GPU run can happen here (``None`` when torch sees a CUDA GPU and vllm exists)."""
    for module in ("torch", "vllm"):
        if importlib.util.find_spec(module) is None:
            return f"{module} is not installed"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import torch

        if not torch.cuda.is_available():
            return "torch sees no CUDA GPU"
    return None


def _smi(query: str) -> list[str]:
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return []
    try:
        out = subprocess.run([exe, f"--query-gpu={query}", "--format=csv,noheader,nounits"],
                             capture_output=True, text=True, timeout=10, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [line.strip() for line in out.splitlines() if line.strip()]


def gpu_names() -> str:
    """The visible GPUs, e.g. ``1x NVIDIA H100 80GB HBM3`` (``unknown`` without nvidia-smi)."""
    names = _smi("name")
    if not names:
        return "unknown"
    return ", ".join(f"{names.count(n)}x {n}" for n in dict.fromkeys(names))


class GpuMemory:
    """Peak memory used on all visible GPUs together, sampled with nvidia-smi every 0.5 s.

    Covers every process (vLLM's engine runs in processes of its own); vLLM reserves
    ``gpu_memory_utilization`` of each GPU at start-up, so the peak mostly reflects that.
    """

    def __init__(self, interval_s: float = 0.5) -> None:
        self.interval_s = interval_s
        self._peak: float | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _sample(self) -> None:
        used = _smi("memory.used")
        if used:
            mib = sum(float(u) for u in used)
            self._peak = mib if self._peak is None else max(self._peak, mib)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            self._sample()

    def start(self) -> None:
        """Reset the peak and start sampling."""
        self._peak = None
        self._stop.clear()
        self._sample()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def stop(self) -> float | None:
        """Stop sampling; the peak in GiB (``None`` without nvidia-smi)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._sample()
        return None if self._peak is None else self._peak / 1024
