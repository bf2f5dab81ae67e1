"""Analysis hooks of alternating-offers bargaining and the ultimatum game.

Both are turn-based, so there is no single equilibrium action to benchmark against: the report
compares each finished game with the subgame-perfect equilibrium instead (``spe_outcomes``:
agreement at once on the SPE split, deviations in shares of the pie). The ultimatum game's
human data (Oosterbeek et al. 2004, Forsythe et al. 1994) ship in ``games/bargaining/data``.
"""

from __future__ import annotations

from typing import Any

from agora.engine.contract import AnalysisSpec, GameHooks

DATA_PACKAGE = "games.bargaining.data"


class BargainingHooks(GameHooks):
    """Report analyses of alternating-offers bargaining."""

    baseline_package = DATA_PACKAGE

    def analyses(self, config: Any) -> tuple[AnalysisSpec, ...]:
        """Outcomes against the subgame-perfect equilibrium."""
        return (AnalysisSpec("spe_outcomes", {"deviation_unit": "shares of the pie"}),)


class UltimatumHooks(BargainingHooks):
    """Bargaining's analyses plus the ultimatum game's default human baseline."""

    def default_baseline(self, config: Any) -> str | None:
        """Oosterbeek, Sloof & van de Kuilen's (2004) meta-analysis."""
        return "oosterbeek2004_ultimatum"
