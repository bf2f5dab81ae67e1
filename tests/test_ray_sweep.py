"""``agora.sweep`` on a local Ray cluster on loopback: records equal serial runs, resume does no
work, a killed worker is retried by Ray with no row lost or duplicated, failures are reported."""

from __future__ import annotations

import importlib
import json
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import agora
from agora.cli.main import main
from agora.engine.batch import DecisionBatch, Decisions
from agora.engine.streams import Streams
from agora.policies import Policy, RandomPolicy, make_policy
from agora.scale import SweepError, load_sweep, load_sweep_config

ray = pytest.importorskip("ray")

BASE: dict[str, Any] = {
    "game": "p_beauty", "n_instances": 5, "seed": 0, "config": {"n_players": 4, "rounds": 3},
    "policies": [{"kind": "cognitive_hierarchy", "tau": 1.5, "share": 0.5},
                 {"kind": "random", "share": 0.5}],
}
GRID: dict[str, Any] = {"seed": [0, 1, 2], "config": {"p": [0.5, 2 / 3]},
                        "policies": {"0": {"tau": [1.0, 2.0]}}}


@pytest.fixture(scope="module")
def local_ray() -> Iterator[Any]:
    """One local Ray session on loopback (2 CPUs, no dashboard) for the whole module."""
    ray.init(address="local", num_cpus=2, _node_ip_address="127.0.0.1",
             include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield ray
    ray.shutdown()


def _serial(config: dict[str, Any], policies: list[tuple[Policy, float]] | None = None
            ) -> pl.DataFrame:
    """The configuration played by ``agora.run`` in this process."""
    if policies is None:
        policies = [(make_policy(p["kind"], **{k: v for k, v in p.items()
                                                if k not in ("kind", "share")}), p["share"])
                    for p in config["policies"]]
    return agora.run(config["game"], policy=policies, n_instances=config["n_instances"],
                     seed=config["seed"], progress=False, **config["config"]).records


def _stored(records: pl.DataFrame) -> pl.DataFrame:
    """Records as a sweep partition stores them: Enum columns as Categorical."""
    return records.with_columns(pl.col(pl.Enum).cast(pl.Categorical))


def _point_config(point: dict[str, Any]) -> dict[str, Any]:
    tau = point["policies.0.tau"]
    return {**BASE, "seed": point["seed"], "config": {**BASE["config"], "p": point["config.p"]},
            "policies": [{**BASE["policies"][0], "tau": tau}, BASE["policies"][1]]}


def test_sweep_records_equal_serial_runs_and_rerun_does_no_work(
        local_ray: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "sweep"
    frame = agora.sweep(BASE, GRID, out=out, progress=False)
    assert frame.height == 12 and frame["status"].to_list() == ["ran"] * 12
    assert frame.columns[:4] == ["config_id", "seed", "config.p", "policies.0.tau"]
    points = json.loads((out / "_sweep.json").read_text())["points"]
    assert [p["status"] for p in points] == ["complete"] * 12
    total = 0
    for row in frame.iter_rows(named=True):
        serial = _serial(_point_config(row))
        assert_frame_equal(load_sweep_config(out, row["config_id"]), _stored(serial))
        assert row["decisions"] == serial.height
        assert row["mean_reward"] == pytest.approx(serial["reward"].mean())
        total += serial.height
    stacked = load_sweep(out)
    assert stacked.height == total and stacked["config_id"].n_unique() == 12
    import pyarrow.dataset as ds

    arrow = ds.dataset(out, format="parquet", partitioning="hive").to_table()
    assert arrow.num_rows == total  # _sweep.json, _summary.json and _staging are ignored
    scanned = pl.scan_parquet(out / "config_id=*" / "*.parquet", hive_partitioning=True)
    assert scanned.select(pl.len()).collect().item() == total  # policy names differ: Categorical

    # A finished sweep re-run does no work: Ray is not even joined, nothing is rewritten.
    mtimes = {p: p.stat().st_mtime_ns for p in out.rglob("*.parquet")}

    def no_ray(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a finished sweep must not start tasks")

    monkeypatch.setattr(importlib.import_module("agora.scale.sweep"), "ray_session", no_ray)
    again = agora.sweep(BASE, GRID, out=out, progress=False)
    assert again["status"].to_list() == ["cached"] * 12
    assert_frame_equal(again.drop("status"), frame.drop("status"))
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*.parquet")} == mtimes
    monkeypatch.undo()

    # A lost partition is the only one run again.
    victim = frame["config_id"][5]
    import shutil

    shutil.rmtree(out / f"config_id={victim}")
    partial = agora.sweep(BASE, GRID, out=out, progress=False)
    assert partial.filter(pl.col("status") == "ran")["config_id"].to_list() == [victim]
    assert load_sweep(out).height == total
    with pytest.raises(FileExistsError, match="already holds a sweep"):
        agora.sweep(BASE, GRID, out=out, progress=False, resume=False)


class KillFirstAttempt(Policy):
    """Random play; the first worker to act SIGKILLs its own process (once, via a marker)."""

    name = "kill_first"

    def __init__(self, marker: Path) -> None:
        self.marker = marker
        self.home_pid = os.getpid()

    def act(self, batch: DecisionBatch, rng: Streams) -> Decisions:
        if os.getpid() != self.home_pid:  # only inside a Ray worker
            try:
                fd = os.open(self.marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                pass
            else:
                os.write(fd, str(os.getpid()).encode())
                os.close(fd)
                os.kill(os.getpid(), signal.SIGKILL)
        return RandomPolicy().act(batch, rng)

    def describe(self) -> dict[str, Any]:
        return {"kind": "kill_first"}


def test_killed_worker_is_retried_without_lost_or_duplicate_rows(local_ray: Any,
                                                                 tmp_path: Path) -> None:
    from ray import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # workers cannot import tests
    marker = tmp_path / "killed.pid"
    base = {**BASE, "policies": [(KillFirstAttempt(marker), 0.5),
                                 {"kind": "cognitive_hierarchy", "tau": 1.5, "share": 0.5}]}
    grid = {"seed": [0, 1, 2, 3]}
    out = tmp_path / "sweep"
    frame = agora.sweep(base, grid, out=out, progress=False, max_retries=2)
    assert marker.is_file(), "no worker was killed"
    killed = int(marker.read_text())
    assert frame["status"].to_list() == ["ran"] * 4
    assert killed not in frame["pid"].to_list()  # the killed attempt's result never arrived
    for row in frame.iter_rows(named=True):
        records = load_sweep_config(out, row["config_id"])
        assert records.select("instance", "step", "agent").is_unique().all()
        policies = [(KillFirstAttempt(marker), 0.5),
                    (make_policy("cognitive_hierarchy", tau=1.5), 0.5)]
        assert_frame_equal(records, _stored(_serial({**BASE, "seed": row["seed"]}, policies)))
    assert load_sweep(out).height == 4 * BASE["n_instances"] * 4 * 3


def test_failing_configuration_is_reported_and_others_written(local_ray: Any,
                                                              tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    with pytest.raises(SweepError, match="1 of 2 configurations failed") as info:
        agora.sweep(BASE, {"policies": {"0": {"tau": [1.0, -1.0]}}}, out=out, progress=False)
    assert info.value.summaries["status"].to_list() == ["ran", "failed"]
    assert "tau must be > 0" in next(iter(info.value.failures.values()))
    manifest = json.loads((out / "_sweep.json").read_text())
    assert manifest["status"] == "failed" and manifest["points"][1]["error"]
    assert load_sweep(out)["config_id"].n_unique() == 1


def test_cli_sweep_runs_then_resumes(local_ray: Any, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "run.toml"
    spec.write_text('game = "p_beauty"\nn_instances = 3\n[config]\nn_players = 3\nrounds = 2\n'
                    '[[policies]]\nkind = "cognitive_hierarchy"\ntau = 1.5\n')
    grid = tmp_path / "grid.toml"
    grid.write_text("seed = [0, 1]\n[policies.0]\ntau = [1.0, 2.0]\n")
    out = tmp_path / "out"
    args = ["sweep", str(spec), "--grid", str(grid), "--out", str(out), "--quiet"]
    assert main(args) == 0
    assert "4 configurations (4 run, 0 already done)" in capsys.readouterr().out
    assert main(args) == 0
    assert "4 configurations (0 run, 4 already done)" in capsys.readouterr().out
    assert len(list(out.glob("config_id=*/part-0.parquet"))) == 4
