"""The linear public goods game (contribute to a group project, punish, or free ride)."""

from __future__ import annotations

from games.public_goods.config import PublicGoodsConfig
from games.public_goods.env import PublicGoodsKernel, PublicGoodsObservation, PublicGoodsView
from games.public_goods.policies import POLICIES

KERNELS = (PublicGoodsKernel,)

__all__ = ["KERNELS", "POLICIES", "PublicGoodsConfig", "PublicGoodsKernel",
           "PublicGoodsObservation", "PublicGoodsView"]
