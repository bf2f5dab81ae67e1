"""agora's own overhead on LLM runs: the runner with ``LLMPolicy`` vs the bare backend.

Runs N p-beauty decisions through ``agora.run`` with an ``LLMPolicy`` on the embedded model,
records the exact generation requests the policy sent, then sends those same requests straight to
a backend in the same process and compares wall times. Each side runs ``--repeats`` times
alternately and the best time of each is compared, so warm-up and cache effects do not favour
either. Target: agora adds <= 3 % wall time. Also prints decisions/s (target >= 20 on 2 cores)
and the parse-status counts (target: no unparsed action).

    python bench/llm_overhead.py [--decisions 200] [--group 10] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Sequence
from typing import Any

import agora
from agora.llm import LlamaCppBackend
from agora.llm.base import Backend
from agora.llm.types import Completion, GenerationRequest
from agora.policies import LLMPolicy

OVERHEAD_TARGET = 0.03
RATE_TARGET = 20.0


class Recording(Backend):
    """Passes calls through to a backend and remembers every generate batch."""

    name = "recording"

    def __init__(self, inner: Backend) -> None:
        super().__init__()
        self.inner = inner
        self.batches: list[list[GenerationRequest]] = []
        self.inner_s = 0.0  # wall time spent inside the wrapped backend

    @property
    def model_name(self) -> str:
        return self.inner.model_name

    def _generate(self, requests: Sequence[GenerationRequest]) -> list[Completion]:
        self.batches.append(list(requests))
        t0 = time.perf_counter()
        try:
            return self.inner.generate(requests)
        finally:
            self.inner_s += time.perf_counter() - t0

    def _score(self, prompts: Sequence[GenerationRequest], candidates: Sequence[Sequence[str]],
               terminate: bool) -> list[Any]:
        return self.inner.score(prompts, candidates, terminate=terminate)


def main(argv: list[str] | None = None) -> int:
    """Run both sides and print the overhead ratio."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--decisions", type=int, default=200)
    ap.add_argument("--group", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    backend = LlamaCppBackend()
    n_instances = max(1, args.decisions // args.group)
    runner_walls, direct_walls, own_shares = [], [], []
    result = None
    for _ in range(args.repeats):
        recorder = Recording(backend)
        t0 = time.perf_counter()
        result = agora.run("p_beauty", policy=LLMPolicy(recorder), n_instances=n_instances,
                           seed=0, progress=False, n_players=args.group, rounds=1)
        runner_walls.append(time.perf_counter() - t0)
        own_shares.append((runner_walls[-1] - recorder.inner_s) / runner_walls[-1])
        t0 = time.perf_counter()
        for batch in recorder.batches:
            backend.generate(batch)
        direct_walls.append(time.perf_counter() - t0)
    assert result is not None
    n = result.records.height
    runner, direct = min(runner_walls), min(direct_walls)
    overhead = (runner - direct) / direct
    status = result.records["parse_status"].value_counts().sort("parse_status")
    print(f"LLM p-beauty: {n} decisions, model {backend.model_name}, "
          f"cores available: {len(os.sched_getaffinity(0))}")
    print(f"runner + LLMPolicy: {runner:.2f} s  ({n / runner:.1f} decisions/s; target >= "
          f"{RATE_TARGET:.0f}: {'met' if n / runner >= RATE_TARGET else 'NOT met'})")
    print(f"same requests straight to the backend: {direct:.2f} s  ({n / direct:.1f} requests/s)")
    print(f"agora overhead: {overhead:+.2%} of backend wall time (target <= "
          f"{OVERHEAD_TARGET:.0%}: {'met' if overhead <= OVERHEAD_TARGET else 'NOT met'})")
    own = min(own_shares)
    print(f"agora's own share of the runner's wall time (runner wall minus time inside the "
          f"backend, same run): {own:.2%} (target <= {OVERHEAD_TARGET:.0%}: "
          f"{'met' if own <= OVERHEAD_TARGET else 'NOT met'})")
    print("parse status: " + ", ".join(f"{r['parse_status']}={r['count']}"
                                       for r in status.iter_rows(named=True)))
    backend.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
