"""Scale-out on Ray: parameter sweeps and sharded populations, on a laptop or a cluster.

Ray is an optional extra (``pip install 'agora-sim[ray]'``): importing this package never
imports Ray; calling a Ray feature without it raises :class:`RayMissingError` naming the extra.
"""

from __future__ import annotations

from agora.scale.config import PolicyEntry, RunConfig
from agora.scale.dataset import load_sweep, load_sweep_config
from agora.scale.grid import Grid
from agora.scale.ray_session import RAY_EXTRA, RayMissingError, require_ray
from agora.scale.shard import ShardPlan, ShardPool, run_sharded, run_shards_locally
from agora.scale.sweep import SweepError, TaskOptions, sweep

__all__ = ["RAY_EXTRA", "Grid", "PolicyEntry", "RayMissingError", "RunConfig", "ShardPlan",
           "ShardPool", "SweepError", "TaskOptions", "load_sweep", "load_sweep_config",
           "require_ray", "run_sharded", "run_shards_locally", "sweep"]
