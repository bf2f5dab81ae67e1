"""A sweep's on-disk layout: one Parquet dataset partitioned by configuration, plus manifest.

::

    OUT/_sweep.json                       sweep manifest (base config, grid, every point)
    OUT/config_id=<id>/part-0.parquet     records of one configuration, as agora.run returns
                                          them (Enum columns stored as Categorical)
    OUT/config_id=<id>/_summary.json      that configuration's summary row
    OUT/_staging/                         partitions being written (renamed into place)

Categorical rather than Enum columns let readers stack partitions whose policy or agent names
differ, e.g. ``pl.scan_parquet("OUT/config_id=*/*.parquet", hive_partitioning=True)``.
Configuration ids start with the game name, so hive readers never take them for numbers.
A partition appears by one atomic directory rename once its records are complete, so a
partition that exists is finished, a killed sweep leaves no half partition and resuming skips
exactly the finished ones. Names starting with ``_`` are ignored by Arrow dataset readers, so
``pyarrow.dataset.dataset(OUT, partitioning="hive")`` sees only records.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import polars as pl

from agora.engine.records import write_json_atomic

SWEEP_MANIFEST = "_sweep.json"
SUMMARY_FILE = "_summary.json"
PART_FILE = "part-0.parquet"
STAGING_DIR = "_staging"
PARTITION_KEY = "config_id"


def partition_dir(out: Path, config_id: str) -> Path:
    """Directory of one configuration's records."""
    return out / f"{PARTITION_KEY}={config_id}"


def is_complete(out: Path, config_id: str) -> bool:
    """Whether the configuration's partition was written completely."""
    d = partition_dir(out, config_id)
    return (d / SUMMARY_FILE).is_file() and (d / PART_FILE).is_file()


def read_summary(out: Path, config_id: str) -> dict[str, Any]:
    """The summary row stored beside a finished partition."""
    return json.loads((partition_dir(out, config_id) / SUMMARY_FILE).read_text())


def write_partition(out: Path, config_id: str, records: pl.DataFrame,
                    summary: dict[str, Any]) -> bool:
    """Write a configuration's records and summary atomically; ``False`` if already there.

    Only the sweep's driver writes, one result per configuration, so no row is written twice
    even when Ray re-ran the task after a worker died.
    """
    if is_complete(out, config_id):
        return False
    staging = out / STAGING_DIR / config_id
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    records.with_columns(pl.col(pl.Enum).cast(pl.Categorical)).write_parquet(
        staging / PART_FILE)
    write_json_atomic(staging / SUMMARY_FILE, summary)
    os.replace(staging, partition_dir(out, config_id))
    return True


def clear_staging(out: Path) -> None:
    """Remove partitions a killed driver left half-written."""
    shutil.rmtree(out / STAGING_DIR, ignore_errors=True)


def read_manifest(out: Path) -> dict[str, Any] | None:
    """The sweep manifest, or ``None`` when ``out`` holds none."""
    path = out / SWEEP_MANIFEST
    return json.loads(path.read_text()) if path.is_file() else None


def write_manifest(out: Path, manifest: dict[str, Any]) -> None:
    """Write the sweep manifest atomically."""
    out.mkdir(parents=True, exist_ok=True)
    write_json_atomic(out / SWEEP_MANIFEST, manifest)


def load_sweep_config(out: str | Path, config_id: str) -> pl.DataFrame:
    """One configuration's records as its run produced them (Enum columns as Categorical)."""
    d = Path(out)
    if not is_complete(d, config_id):
        raise FileNotFoundError(f"{d}: configuration {config_id} has no finished partition")
    return pl.read_parquet(partition_dir(d, config_id) / PART_FILE)


def load_sweep(out: str | Path) -> pl.DataFrame:
    """Every finished configuration's records with a ``config_id`` column, in grid order.

    Configurations of different games stack with missing columns as nulls.
    """
    d = Path(out)
    manifest = read_manifest(d)
    if manifest is None:
        raise FileNotFoundError(f"{d} is not an agora sweep directory (no {SWEEP_MANIFEST})")
    frames = []
    for point in manifest["points"]:
        cid = point["config_id"]
        if not is_complete(d, cid):
            continue
        frame = load_sweep_config(d, cid)
        frames.append(frame.select(pl.lit(cid).alias(PARTITION_KEY), pl.all()))
    if not frames:
        return pl.DataFrame({PARTITION_KEY: []}, schema={PARTITION_KEY: pl.String})
    return pl.concat(frames, how="diagonal_relaxed")
