"""``agora sweep CONFIG --grid GRID.toml [--address ADDR] [--out DIR]``."""

from __future__ import annotations

import argparse
from pathlib import Path

import polars as pl


def build_parser() -> argparse.ArgumentParser:
    """Parser of ``agora sweep``."""
    ap = argparse.ArgumentParser(
        prog="agora sweep",
        description="Run every configuration of a parameter grid as a Ray task (local Ray, or "
                    "a cluster with --address) and write one Parquet dataset partitioned by "
                    "configuration, plus a sweep manifest. Re-running skips finished "
                    "configurations.")
    ap.add_argument("config", help="base run spec: config.toml or experiment.py")
    ap.add_argument("--grid", required=True,
                    help="grid TOML: every leaf is a list of values (seed = [0, 1]; [config] "
                         "p = [0.5, 0.67]; [policies.0] tau = [1.0, 1.5])")
    ap.add_argument("--address", help="Ray cluster address (auto, host:6379, ray://host:10001);"
                                      " default: local Ray")
    ap.add_argument("--out", help="sweep directory (default: runs/<config name>-sweep)")
    ap.add_argument("--no-resume", action="store_true",
                    help="refuse an --out that already holds a sweep")
    ap.add_argument("--num-cpus", type=float, default=1.0, help="CPUs per task (default 1)")
    ap.add_argument("--num-gpus", type=float, default=0.0, help="GPUs per task (default 0)")
    ap.add_argument("--max-retries", type=int, default=3,
                    help="Ray retries of a task whose worker died (default 3)")
    ap.add_argument("--quiet", action="store_true", help="no progress bar")
    return ap


def sweep_main(argv: list[str]) -> int:
    """Entry point of ``agora sweep`` (delegated to by :mod:`agora.cli.main`)."""
    from agora.scale.sweep import sweep

    args = build_parser().parse_args(argv)
    out = Path(args.out) if args.out else Path("runs") / f"{Path(args.config).stem}-sweep"
    frame = sweep(args.config, args.grid, address=args.address, out=out,
                  resume=not args.no_resume, progress=not args.quiet, num_cpus=args.num_cpus,
                  num_gpus=args.num_gpus, max_retries=args.max_retries)
    ran = int((frame["status"] == "ran").sum())
    with pl.Config(tbl_rows=100, tbl_cols=16, tbl_width_chars=160, fmt_str_lengths=40,
                   tbl_hide_dataframe_shape=True, float_precision=3):
        print(frame.drop("decisions_per_s", "node", "pid"))
    print(f"{frame.height} configurations ({ran} run, {frame.height - ran} already done); "
          f"dataset: {out} (partitioned by config_id), manifest: {out / '_sweep.json'}")
    return 0
