"""The trust (investment) game: send money that is multiplied, trusting it comes back."""

from __future__ import annotations

from games.trust.config import TrustConfig
from games.trust.env import TrustKernel, TrustObservation, TrustView
from games.trust.policies import Reciprocator

POLICIES = {"trust_reciprocator": Reciprocator}
"""Scripted players this game ships: policy kinds of run specs and ``agora run``."""

KERNELS = (TrustKernel,)

__all__ = ["KERNELS", "POLICIES", "Reciprocator", "TrustConfig", "TrustKernel",
           "TrustObservation", "TrustView"]
