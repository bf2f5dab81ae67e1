"""Hashes of the records of every game's scripted runs and every experiment's ``--smoke`` run.

A refactor that must keep behaviour and records unchanged (the game-contract issue) records
these before it starts and checks them at the end:

    python bench/record_hashes.py --out bench/record_hashes.json            # before
    python bench/record_hashes.py --check bench/record_hashes.json          # after

Each run is hashed per column (SHA-256 of the column's values as canonical JSON, rows in record
order), so a difference names the columns that changed. Latency and wall-clock columns are left
out: they are the only columns that differ between two runs of the same seed. LLM experiments
run on the embedded model with one thread, so their hashes hold on the machine and build that
wrote them (another llama.cpp build may round logits differently).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import importlib
import io
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import polars as pl

import agora
from agora.engine.registry import REGISTRY
from agora.policies import make_policy

VOLATILE = ("latency_s",)
"""Columns that measure time, not behaviour."""

SCRIPTED_KINDS = ("random", "equilibrium", "level_k", "cognitive_hierarchy", "quantal_response")
PARAMS: dict[str, dict[str, Any]] = {"level_k": {"k": 2}, "cognitive_hierarchy": {"tau": 1.5},
                                     "quantal_response": {"lam": 0.5}}
EXPERIMENTS = ("p_beauty_nagel", "dictator_engel", "bargaining_spe", "negotiation_glee",
               "prompt_robustness", "census_tournament", "tax_planner_saez", "pd_one_shot",
               "pd_repeated", "td_penalty", "trust_berg", "public_goods_fg", "rational_players",
               "auctions")
OWN_FLAGS = ("tax_planner_saez",)
"""Experiments without the shared ``--quiet``/``--threads`` flags."""
SEED, N_INSTANCES = 7, 4


def column_hashes(records: pl.DataFrame) -> dict[str, str]:
    """SHA-256 of every non-volatile column's values, in record order."""
    out = {}
    for name in records.columns:
        if name in VOLATILE:
            continue
        values = records[name].to_list()
        blob = json.dumps(values, sort_keys=True, default=str, allow_nan=True)
        out[name] = hashlib.sha256(blob.encode()).hexdigest()[:16]
    return out


def scripted_runs() -> dict[str, dict[str, str]]:
    """Each built-in game with each scripted policy it supports, at a fixed seed."""
    hashes = {}
    for game in REGISTRY.names():
        if "__" in game:  # variants registered by experiments
            continue
        for kind in SCRIPTED_KINDS:
            try:
                result = agora.run(game, policy=make_policy(kind, **PARAMS.get(kind, {})),
                                   n_instances=N_INSTANCES, seed=SEED, progress=False)
            except (TypeError, ValueError) as exc:  # the game lacks this policy's theory
                if "does not define" in str(exc) or "needs" in str(exc):
                    continue
                raise
            hashes[f"{game}/{kind}"] = column_hashes(result.records)
    return hashes


def experiment_runs() -> dict[str, dict[str, str]]:
    """Every experiment's ``--smoke`` run: each records.parquet it writes."""
    hashes = {}
    for name in EXPERIMENTS:
        module = importlib.import_module(f"experiments.{name}")
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / name
            flags = [] if name in OWN_FLAGS else ["--quiet", "--threads", "1"]
            with contextlib.redirect_stdout(io.StringIO()):
                code = module.main(["--smoke", *flags, "--out", str(out)])
            if code != 0:
                raise RuntimeError(f"experiments.{name} --smoke exited {code}")
            for path in sorted(out.rglob("records.parquet")):
                key = f"experiments.{name}/{path.parent.relative_to(out)}"
                hashes[key] = column_hashes(pl.read_parquet(path))
    return hashes


def compare(old: dict[str, dict[str, str]], new: dict[str, dict[str, str]]) -> list[str]:
    """One line per run or column that differs."""
    lines = []
    for key in sorted(set(old) | set(new)):
        if key not in new or key not in old:
            lines.append(f"{key}: only in {'the baseline' if key in old else 'this run'}")
            continue
        cols = sorted(c for c in set(old[key]) | set(new[key])
                      if old[key].get(c) != new[key].get(c))
        if cols:
            lines.append(f"{key}: columns differ: {', '.join(cols)}")
    return lines


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, help="write the hashes to this JSON file")
    p.add_argument("--check", type=Path, help="compare with hashes written earlier")
    p.add_argument("--no-experiments", action="store_true", help="scripted game runs only")
    args = p.parse_args(argv)
    hashes = scripted_runs()
    if not args.no_experiments:
        hashes.update(experiment_runs())
    print(f"{len(hashes)} runs hashed")
    if args.out:
        args.out.write_text(json.dumps(hashes, indent=1, sort_keys=True) + "\n")
    if args.check:
        baseline = json.loads(args.check.read_text())
        if args.no_experiments:
            baseline = {k: v for k, v in baseline.items() if not k.startswith("experiments.")}
        diff = compare(baseline, hashes)
        print("\n".join(diff) if diff else "records unchanged")
        return 1 if diff else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
