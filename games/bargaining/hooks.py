"""Analysis hooks of alternating-offers bargaining and the ultimatum game.

Both are turn-based, so there is no single equilibrium action to benchmark against: the report
compares each finished game with the subgame-perfect equilibrium instead (``spe_outcomes``:
agreement at once on the SPE split, deviations in shares of the pie). The ultimatum game's
human data (Oosterbeek et al. 2004, Forsythe et al. 1994, the MobLab strategy-method
decisions of Mei et al. 2024) ship in ``games/bargaining/data``; the ultimatum game's report
adds a human-likeness table against the MobLab offers and minimum acceptable offers.
"""

from __future__ import annotations

from typing import Any

from agora.engine.contract import AnalysisSpec, GameHooks

DATA_PACKAGE = "games.bargaining.data"
MOBLAB_OFFERS = "moblab2024_ultimatum_proposer"
MOBLAB_THRESHOLDS = "moblab2024_ultimatum_responder"
"""Packaged ultimatum baselines with individual human decisions (Mei et al. 2024): offers and
minimum acceptable offers."""


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

    def analyses(self, config: Any) -> tuple[AnalysisSpec, ...]:
        """Bargaining's analyses plus human-likeness against the MobLab ultimatum decisions:
        proposers' offers, and responders against the humans' minimum acceptable offers."""
        return (*super().analyses(config),
                AnalysisSpec("human_likeness", {"baselines": (MOBLAB_OFFERS,),
                                                "thresholds": (MOBLAB_THRESHOLDS,)}))
