"""Runner throughput: p-beauty, 100,000 agents in groups of 10, 10 rounds, Poisson CH players.

Prints agent-decisions per second (best of ``--repeats`` runs) and where the wall time went
(policy vs engine vs building records). Target: >= 1,000,000 decisions/s on 2 cores.

    python bench/runner_throughput.py [--agents 100000] [--rounds 10] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import time

import agora
from agora.policies import CognitiveHierarchyPolicy

TARGET = 1_000_000


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--agents", type=int, default=100_000)
    ap.add_argument("--group", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    best = None
    for rep in range(args.repeats):
        t0 = time.perf_counter()
        result = agora.run("p_beauty", policy=CognitiveHierarchyPolicy(tau=1.5),
                           n_instances=args.agents // args.group, seed=rep, progress=False,
                           n_players=args.group, rounds=args.rounds)
        wall = time.perf_counter() - t0
        if best is None or wall < best[0]:
            best = (wall, result)
    assert best is not None
    wall, result = best
    tel = result.telemetry
    n = result.records.height
    rate = n / wall
    print(f"p_beauty runner: {args.agents:,} agents (groups of {args.group}), {args.rounds} rounds,"
          f" CH(tau=1.5); cores available: {len(os.sched_getaffinity(0))}")
    print(f"decisions: {n:,}  wall: {wall:.3f} s (best of {args.repeats})")
    print(f"throughput: {rate:,.0f} agent-decisions/s  (target >= {TARGET:,}: "
          f"{'met' if rate >= TARGET else 'NOT met'})")
    for key in ("policy_s", "engine_s", "records_s"):
        print(f"  {key[:-2]:8s} {tel[key]:.3f} s  ({tel[key] / wall:.1%} of wall)")
    other = wall - sum(tel[k] for k in ("policy_s", "engine_s", "records_s"))
    print(f"  {'other':8s} {other:.3f} s  ({other / wall:.1%} of wall: setup, final table)")
    return 0 if rate >= TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
