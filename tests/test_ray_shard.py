"""Sharded populations on Ray actors: 2 actors give the records of the unsharded run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from polars.testing import assert_frame_equal

import agora
from agora.cli.show import render
from agora.scale import RunConfig, ShardPool, run_sharded
from agora.scale.shard import run_shards_locally

ray = pytest.importorskip("ray")

BASE: dict[str, Any] = {
    "game": "p_beauty", "n_instances": 40, "seed": 11, "config": {"n_players": 5, "rounds": 3},
    "policies": [{"kind": "cognitive_hierarchy", "tau": 1.5, "share": 0.8},
                 {"kind": "equilibrium", "share": 0.2}],
}


@pytest.fixture(scope="module")
def local_ray() -> Iterator[Any]:
    """One local Ray session on loopback for the whole module (3 logical CPUs: the 2-actor
    pool stays up while a 1-actor pool runs beside it; the machine's 2 cores are shared)."""
    ray.init(address="local", num_cpus=3, _node_ip_address="127.0.0.1",
             include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def two_actors(local_ray: Any) -> Iterator[ShardPool]:
    """A pool of 2 actors, each holding its own policies."""
    with ShardPool(BASE, n_actors=2) as pool:
        yield pool


def test_two_actors_equal_the_unsharded_run(two_actors: ShardPool, tmp_path: Path) -> None:
    assert len(set(two_actors.pids)) == 2  # two actor processes, each with its own policies
    reference = agora.run("p_beauty", policy=RunConfig.coerce(BASE).build_policies(),
                          n_instances=40, seed=11, n_players=5, rounds=3, progress=False)
    two = two_actors.run(progress=False, out=tmp_path / "run")
    assert_frame_equal(two.records, reference.records)  # one agora.run over all 40 instances
    assert two.manifest["fingerprint"] == reference.manifest["fingerprint"]
    assert two.records.select("instance", "step", "agent").is_unique().all()
    assert sorted(two.records["instance"].unique().to_list()) == list(range(40))
    assert two.records["step"].is_sorted()  # one runner's order: step, then instance
    shards = two.manifest["sharding"]["shards"]
    assert len({s["pid"] for s in shards}) == 2  # the shards ran on both actors
    four = two_actors.run(n_shards=4, progress=False)
    assert_frame_equal(four.records, reference.records)
    assert_frame_equal(four.records, run_shards_locally(BASE, n_shards=3).records)
    loaded = agora.load_run(tmp_path / "run")
    assert_frame_equal(loaded.records, two.records)
    assert "instances 40" in render(loaded)


def test_actor_count_does_not_change_records(two_actors: ShardPool) -> None:
    two = two_actors.run(n_shards=2, progress=False)
    with ShardPool(BASE, n_actors=1) as pool:
        one = pool.run(n_shards=2, progress=False)
        single = pool.run(progress=False)  # one shard: exactly agora.run
    assert_frame_equal(one.records, two.records)
    assert_frame_equal(single.records, RunConfig.coerce(BASE).run().records)
    assert_frame_equal(run_sharded(BASE, n_actors=1, n_shards=2, progress=False).records,
                       two.records)


def test_cli_run_with_ray_actors_equals_the_plain_run(local_ray: Any, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    from agora.cli.main import main

    spec = tmp_path / "spec.toml"
    spec.write_text('game = "p_beauty"\nn_instances = 30\nseed = 4\n'
                    '[config]\nn_players = 4\nrounds = 2\n'
                    '[[policies]]\nkind = "cognitive_hierarchy"\ntau = 1.5\nshare = 0.7\n'
                    '[[policies]]\nkind = "random"\nshare = 0.3\n')
    assert main(["run", str(spec), "--out", str(tmp_path / "plain"), "--quiet"]) == 0
    # one actor: the module's 2-actor pool holds 2 of the session's 3 CPUs
    assert main(["run", str(spec), "--out", str(tmp_path / "ray"), "--quiet",
                 "--ray-actors", "1", "--shards", "3", "--seed", "4"]) == 0
    assert "records:" in capsys.readouterr().out
    assert_frame_equal(agora.load_run(tmp_path / "ray").records,
                       agora.load_run(tmp_path / "plain").records)
    assert main(["run", str(spec), "--out", str(tmp_path / "ray"), "--ray-actors", "1"]) == 2
    assert "already holds a run" in capsys.readouterr().err
    assert main(["run", str(spec), "--shards", "2"]) == 2
    assert "need --ray-actors" in capsys.readouterr().err
