"""The traveler's dilemma (claim low, or trust the other to claim high)."""

from __future__ import annotations

from games.travelers_dilemma.config import Matching, TravelersConfig
from games.travelers_dilemma.env import TravelersKernel, TravelersObservation, TravelersView

KERNELS = (TravelersKernel,)

__all__ = ["KERNELS", "Matching", "TravelersConfig", "TravelersKernel", "TravelersObservation",
           "TravelersView"]
