"""The prisoner's dilemma: one-shot, finitely or indefinitely repeated, noisy, with rematching."""

from __future__ import annotations

from games.prisoners_dilemma.config import PDConfig
from games.prisoners_dilemma.env import PDKernel, PDObservation, PDView
from games.prisoners_dilemma.policies import POLICIES, StrategyPolicy
from games.prisoners_dilemma.strategies import STRATEGIES

KERNELS = (PDKernel,)

__all__ = ["KERNELS", "POLICIES", "STRATEGIES", "PDConfig", "PDKernel", "PDObservation",
           "PDView", "StrategyPolicy"]
