"""vLLM on Ray (needs CUDA, vLLM and Ray; skipped otherwise): one engine per GPU actor (data
parallel) and one model split over GPUs by vLLM's Ray executor (tensor parallel)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from agora.scale import ShardPool

pytestmark = pytest.mark.gpu
MODEL = os.environ.get("AGORA_VLLM_TEST_MODEL", "HuggingFaceTB/SmolLM2-135M-Instruct")


@pytest.fixture(scope="module")
def gpus() -> Iterator[int]:
    torch = pytest.importorskip("torch")
    pytest.importorskip("vllm")
    ray = pytest.importorskip("ray")
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    n = torch.cuda.device_count()
    ray.init(address="local", num_gpus=n, include_dashboard=False, log_to_driver=False)
    yield n
    ray.shutdown()


def _config(**backend: Any) -> dict[str, Any]:
    return {"game": "p_beauty", "n_instances": 8, "seed": 0,
            "config": {"n_players": 3, "rounds": 1},
            "policies": [{"kind": "llm", "backend": "vllm", "max_tokens": 16, "backend_options": {
                "model": MODEL, "gpu_memory_utilization": 0.3, "max_model_len": 2048,
                **backend}}]}


def test_data_parallel_one_engine_per_gpu_actor(gpus: int) -> None:
    with ShardPool(_config(), n_actors=gpus, num_cpus=1, num_gpus=1) as pool:
        result = pool.run(n_shards=gpus, progress=False)
    assert result.records.height == 8 * 3
    assert result.records["parse_status"].is_in(["ok", "repaired", "fallback"]).all()


def test_tensor_parallel_through_rays_executor(gpus: int) -> None:
    if gpus < 2:
        pytest.skip("tensor parallelism needs 2 GPUs")
    config = _config(tensor_parallel_size=2, distributed_executor_backend="ray")
    with ShardPool(config, n_actors=1, num_cpus=1, num_gpus=0) as pool:
        result = pool.run(n_shards=1, progress=False)
    assert result.records.height == 8 * 3
