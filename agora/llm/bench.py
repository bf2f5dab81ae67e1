"""Throughput benchmark of a backend on beauty-contest decisions.

``python -m agora.llm.bench --threads 2`` times batched constrained generation of
``{"guess": int 0..100}`` answers to ~150-token prompts whose rules (system message) are shared
and whose situation (user message) differs per agent, and prints decisions per second.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence

from agora.llm.base import Backend
from agora.llm.types import Constraint, GenerationRequest, SamplingParams

RULES = (
    "You are one of many players in a number guessing game (the Keynesian beauty contest). "
    "Every player privately picks a whole number from 0 to 100. When all players have chosen, "
    "the average of all numbers is computed and multiplied by two thirds; this is the target. "
    "The player whose number is closest to the target wins a prize of 10 dollars, and players "
    "who tie split the prize equally. All other players get nothing. Everybody knows these "
    "rules and knows that everybody else knows them. Think about what the other players "
    "will choose before you pick your own number."
)
SCHEMA = {
    "type": "object",
    "properties": {"guess": {"type": "integer", "minimum": 0, "maximum": 100}},
    "required": ["guess"],
    "additionalProperties": False,
}


def requests(n: int, round_no: int, temperature: float) -> list[GenerationRequest]:
    """One decision per agent: shared rules, a short agent-specific situation."""
    return [
        GenerationRequest.chat(
            f"Round {round_no}. Last round the target was {(7 * i + round_no) % 67} and you "
            f"guessed {(13 * i + 3 * round_no) % 101}. Reply with your guess as JSON.",
            system=RULES, constraint=Constraint(json_schema=SCHEMA),
            sampling=SamplingParams(temperature=temperature, max_tokens=12),
            request_id=f"agent-{i}")
        for i in range(n)
    ]


def run(backend: Backend, *, n: int, rounds: int, temperature: float) -> dict[str, float]:
    """Time ``rounds`` batches of ``n`` decisions after one warm-up batch."""
    backend.generate(requests(min(n, 8), 0, temperature))
    wall = cpu = 0.0
    for r in range(1, rounds + 1):
        batch = requests(n, r, temperature)
        t0, c0 = time.perf_counter(), time.process_time()
        out = backend.generate(batch)
        wall += time.perf_counter() - t0
        cpu += time.process_time() - c0
        for c in out:
            value = json.loads(c.text)["guess"]
            if not (isinstance(value, int) and 0 <= value <= 100):
                raise AssertionError(f"constraint violated: {c.text!r}")
    total = n * rounds
    return {"decisions": total, "wall_s": wall, "decisions_per_s": total / wall,
            "cpu_s": cpu, "decisions_per_cpu_s": total / cpu}


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--n", type=int, default=64, help="decisions per batch")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--parallel", type=int, default=32)
    ap.add_argument("--temperature", type=float, default=0.7)
    ap.add_argument("--model", default=None, help="GGUF path (default: bundled SmolLM2)")
    ap.add_argument("--requantize", default="auto",
                    help="q8_0, q4_0, f16 or none (see LlamaCppBackend; auto: q8_0 when bundled)")
    args = ap.parse_args(argv)
    from agora.llm.llamacpp import LlamaCppBackend

    with LlamaCppBackend(args.model, n_threads=args.threads, n_parallel=args.parallel,
                         requantize=args.requantize) as backend:
        n_prompt = len(backend.prompt_tokens(requests(1, 1, 0.0)[0]))
        res = run(backend, n=args.n, rounds=args.rounds, temperature=args.temperature)
        print(json.dumps({"model": backend.model_name, "threads": args.threads,
                          "prompt_tokens": n_prompt, **{k: round(v, 3) for k, v in res.items()}}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
