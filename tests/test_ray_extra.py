"""agora.scale without a Ray session: grids, run configs, shard plans, the missing-Ray error,
and the vLLM tensor-parallel wiring (against a stand-in ``vllm`` module, so it runs without
vLLM; tests/test_vllm_real.py checks the same settings against vLLM's own ``EngineArgs``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from polars.testing import assert_frame_equal

import agora
from agora.cli.main import main
from agora.policies import RandomPolicy
from agora.scale import Grid, PolicyEntry, RayMissingError, RunConfig, ShardPlan, TaskOptions
from agora.scale.shard import run_shards_locally

BASE: dict[str, Any] = {
    "game": "p_beauty", "n_instances": 4, "seed": 3, "config": {"n_players": 3, "rounds": 2},
    "policies": [{"kind": "cognitive_hierarchy", "tau": 1.5, "share": 0.5},
                 {"kind": "random", "share": 0.5}],
}


# ---------------------------------------------------------------------- grids and configs
def test_grid_from_nested_tables_expands_in_order() -> None:
    grid = Grid.from_mapping({"seed": [0, 1], "config": {"p": [0.5, 0.75]},
                              "policies": {"0": {"tau": [1.0, 2.0, 3.0]}}})
    assert grid.names == ["seed", "config.p", "policies.0.tau"] and len(grid) == 12
    points = grid.expand(RunConfig.from_mapping(BASE))
    assert len(points) == 12
    first, cfg = points[0]
    assert first == {"seed": 0, "config.p": 0.5, "policies.0.tau": 1.0}
    assert cfg.seed == 0 and cfg.config["p"] == 0.5 and cfg.policies[0].params["tau"] == 1.0
    assert points[1][0]["policies.0.tau"] == 2.0  # last axis fastest
    assert len({c.config_id() for _, c in points}) == 12
    assert RunConfig.from_mapping(BASE).policies[0].params["tau"] == 1.5  # base untouched


def test_grid_file_and_errors(tmp_path: Path) -> None:
    path = tmp_path / "grid.toml"
    path.write_text('seed = [1, 2]\n"config.p" = [0.5]\n[policies.1]\nshare = [0.25, 0.75]\n')
    grid = Grid.load(path)
    assert grid.names == ["seed", "config.p", "policies.1.share"] and len(grid) == 4
    with pytest.raises(ValueError, match="must be a list of values"):
        Grid.from_mapping({"seed": 3})
    with pytest.raises(ValueError, match="must start with one of"):
        Grid.from_mapping({"rounds": [1, 2]})
    with pytest.raises(ValueError, match="at least one value"):
        Grid.from_mapping({"seed": []})
    with pytest.raises(ValueError, match="not an index"):
        Grid.from_mapping({"policies": {"5": {"tau": [1.0]}}}).expand(
            RunConfig.from_mapping(BASE))
    with pytest.raises(ValueError, match="n_players"):  # game config validated per point
        Grid.from_mapping({"config": {"n_players": [1]}}).expand(RunConfig.from_mapping(BASE))


def test_run_config_validation_names_the_field(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="n_instances must be an integer >= 1"):
        RunConfig.from_mapping({**BASE, "n_instances": 0})
    with pytest.raises(ValueError, match="unknown field"):
        RunConfig.from_mapping({**BASE, "rounds": 2})
    with pytest.raises(ValueError, match="unknown policy kind"):
        RunConfig.from_mapping({**BASE, "policies": [{"kind": "psychic"}]})
    with pytest.raises(ValueError, match="share"):
        PolicyEntry(kind="random", share=-1.0)
    with pytest.raises(ValueError, match="exactly one"):
        PolicyEntry()
    toml = tmp_path / "run.toml"
    toml.write_text('game = "p_beauty"\nn_instances = 2\n[config]\nn_players = 3\n'
                    '[[policies]]\nkind = "random"\n')
    cfg = RunConfig.load(toml)
    assert cfg.n_instances == 2 and cfg.policies[0].kind == "random"
    assert RunConfig.coerce(str(toml)) == cfg
    mixed = RunConfig.from_mapping({**BASE, "policies": [(RandomPolicy(), 1.0)]})
    assert mixed.identity()["policies"][0]["object"].endswith("RandomPolicy")


def test_run_config_run_equals_agora_run() -> None:
    cfg = RunConfig.from_mapping(BASE)
    direct = agora.run("p_beauty", policy=cfg.build_policies(), n_instances=4, seed=3,
                       progress=False, n_players=3, rounds=2)
    assert_frame_equal(cfg.run().records, direct.records)


def test_task_options_validate() -> None:
    assert TaskOptions().ray_options()["max_retries"] == 3
    for bad in ({"num_cpus": -1}, {"max_retries": -2}, {"max_in_flight": 0},
                {"retry_exceptions": ("x",)}, {"num_cpus": 0, "num_gpus": 0}):
        with pytest.raises(ValueError):
            TaskOptions(**bad)


# ---------------------------------------------------------------------- shard plans
def test_shard_plan_covers_instances_once() -> None:
    shards = ShardPlan(n_instances=10, n_shards=3, seed=1).shards()
    assert [(s.offset, s.size) for s in shards] == [(0, 4), (4, 3), (7, 3)]
    assert {s.seed for s in shards} == {1}  # every shard is part of the same seeded run
    with pytest.raises(ValueError, match="n_shards must be <="):
        ShardPlan(n_instances=2, n_shards=3, seed=0)


SHARDED_GAMES: list[dict[str, Any]] = [
    BASE,
    {"game": "p_beauty", "n_instances": 9, "seed": 5, "config": {"n_players": 4, "rounds": 3},
     "policies": [{"kind": "cognitive_hierarchy", "tau": 1.5, "share": 0.5},
                  {"kind": "quantal_response", "lam": 0.2, "share": 0.3},
                  {"kind": "random", "share": 0.2}]},
    {"game": "bargaining", "n_instances": 12, "seed": 2,
     "config": {"horizon": 4, "first_mover": "random"},
     "policies": [{"kind": "random", "share": 0.6}, {"kind": "boulware", "share": 0.4}]},
    {"game": "negotiation", "n_instances": 7, "seed": 8, "config": {"opener": "random"},
     "policies": [{"kind": "random"}]},
    {"game": "tax_planner", "n_instances": 5, "seed": 4,
     "config": {"n_workers": 6, "tax_years": 2, "steps_per_year": 2},
     "policies": [{"kind": "by_role", "worker": {"kind": "tax_quantal", "lam": 0.05},
                   "planner": {"kind": "random"}}]},
]


@pytest.mark.parametrize("spec", SHARDED_GAMES, ids=lambda s: s["game"])
def test_local_shards_equal_the_whole_run(spec: dict[str, Any]) -> None:
    """Any shard plan, merged, is row for row the unsharded agora.run of the population."""
    cfg = RunConfig.from_mapping(spec)
    whole = cfg.run().records
    assert whole.height > 0
    for n_shards in (1, 2, 3):
        merged = run_shards_locally(cfg, n_shards=n_shards)
        assert_frame_equal(merged.records, whole)
        assert merged.manifest["fingerprint"] == cfg.run().manifest["fingerprint"]


# ---------------------------------------------------------------------- Ray absent
def test_import_agora_does_not_import_ray() -> None:
    code = ("import sys, agora, agora.scale; agora.sweep; from agora.scale import cli; "
            "assert 'ray' not in sys.modules, 'ray imported'")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=False)
    assert res.returncode == 0, res.stderr


def test_missing_ray_names_the_extra(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now raises ImportError
    with pytest.raises(RayMissingError, match=r"pip install 'agora-sim\[ray\]'"):
        agora.sweep(BASE, {"seed": [0, 1]}, out=tmp_path / "s", progress=False)
    from agora.scale import ShardPool

    with pytest.raises(RayMissingError, match=r"agora-sim\[ray\]"):
        ShardPool(BASE, n_actors=2)
    spec = tmp_path / "run.toml"
    spec.write_text('game = "p_beauty"\n[[policies]]\nkind = "random"\n')
    grid = tmp_path / "grid.toml"
    grid.write_text("seed = [0, 1]\n")
    assert main(["sweep", str(spec), "--grid", str(grid), "--out", str(tmp_path / "o")]) == 2
    assert "pip install 'agora-sim[ray]'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "sweep" in capsys.readouterr().out


# ---------------------------------------------------------------------- vLLM wiring
class _FakeTokenizer:
    eos_token_id = 0

    def apply_chat_template(self, messages: list[dict[str, str]], tokenize: bool,
                            add_generation_prompt: bool, chat_template: str | None = None) -> str:
        return "".join(m["content"] for m in messages) + "<end>"

    def encode(self, text: str, add_special_tokens: bool) -> list[int]:
        return [7]


def _fake_vllm(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    import types

    captured: dict[str, Any] = {}

    class FakeLLM:
        def __init__(self, **kwargs: Any) -> None:
            captured.update(kwargs)

        def get_tokenizer(self) -> _FakeTokenizer:
            return _FakeTokenizer()

    monkeypatch.setitem(sys.modules, "vllm", types.SimpleNamespace(LLM=FakeLLM))
    return captured


def test_vllm_tensor_parallel_settings_reach_the_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    captured = _fake_vllm(monkeypatch)
    from agora.policies import make_policy

    policy = make_policy("llm", backend="vllm", backend_options={
        "model": "m", "tensor_parallel_size": 4, "distributed_executor_backend": "mp"})
    assert policy.backend.tensor_parallel_size == 4  # type: ignore[attr-defined]
    assert captured["tensor_parallel_size"] == 4
    assert captured["distributed_executor_backend"] == "mp"
    assert captured["enable_prefix_caching"] is True
    from agora.llm.vllm_backend import VLLMBackend

    with pytest.raises(ValueError, match="tensor_parallel_size"):
        VLLMBackend("m", tensor_parallel_size=0)
    with pytest.raises(ValueError, match="distributed_executor_backend"):
        VLLMBackend("m", distributed_executor_backend="slurm")
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(ImportError, match=r"agora-sim\[ray\]"):
        VLLMBackend("m", tensor_parallel_size=2, distributed_executor_backend="ray")


def test_shards_without_a_policys_seats_still_merge_to_the_whole_run() -> None:
    """2 CH seats among 60: at least one of 3 shards has no ch_step column of its own."""
    cfg = RunConfig.from_mapping({
        "game": "p_beauty", "n_instances": 30, "seed": 6, "config": {"n_players": 2},
        "policies": [{"kind": "random", "share": 58 / 60},
                     {"kind": "cognitive_hierarchy", "share": 2 / 60}]})
    whole = cfg.run().records
    merged = run_shards_locally(cfg, n_shards=3)
    assert_frame_equal(merged.records, whole)
    sizes = [s["size"] for s in merged.manifest["sharding"]["shards"]]
    assert sizes == [10, 10, 10]
    assert whole["ch_step"].null_count() == 58


def test_shard_pool_capacity_check_names_what_is_missing() -> None:
    from agora.scale.shard import _check_capacity

    _check_capacity({"CPU": 2.0}, 2, 1.0, 0.0)
    with pytest.raises(ValueError, match="3 actors x 1 CPU need 3 CPUs but the Ray cluster has 2"):
        _check_capacity({"CPU": 2.0}, 3, 1.0, 0.0)
    with pytest.raises(ValueError, match="need 2 GPUs but the Ray cluster has 0"):
        _check_capacity({"CPU": 8.0}, 2, 1.0, 1.0)
