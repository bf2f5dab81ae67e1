"""Analysis hooks of buyer-seller negotiation: outcomes against the subgame-perfect price.

Turn-based, so no single equilibrium action: the report compares each finished game with the
SPE (agreement at once at the SPE price; deviations in price units).
"""

from __future__ import annotations

from typing import Any

from agora.engine.contract import AnalysisSpec, GameHooks


class NegotiationHooks(GameHooks):
    """Report analyses of the negotiation game."""

    def analyses(self, config: Any) -> tuple[AnalysisSpec, ...]:
        """Outcomes against the subgame-perfect equilibrium."""
        return (AnalysisSpec("spe_outcomes", {"deviation_unit": "price units"}),)
