"""Analysis hooks of the dictator game (see :class:`agora.engine.contract.GameHooks`).

The benchmark is the default one built from :mod:`games.dictator.theory` (the selfish
transfer); this adds the dictator's own payoff of a transfer for regret and NashConv, the
packaged human data (Engel 2011, Forsythe et al. 1994, the MobLab decisions of Mei et al. 2024:
``games/dictator/data``) and the report's transfer analyses: GLEE-style efficiency and
fairness, the Fehr-Schmidt share of inequity-averse dictators, the distribution of shares given
and the human-likeness table against the MobLab individual decisions.
"""

from __future__ import annotations

import numpy as np

from agora.engine.contract import AnalysisSpec, GameHooks
from games.dictator.config import DictatorConfig

MOBLAB = "moblab2024_dictator"
"""The packaged baseline with individual human decisions (Mei et al. 2024)."""


class DictatorHooks(GameHooks):
    """Benchmarks, payoffs, baselines and report analyses of the dictator game."""

    baseline_package = "games.dictator.data"
    benchmark_notes = "selfish benchmark: give nothing (take the most allowed)"

    def payoffs(self, config: DictatorConfig, profile: np.ndarray) -> np.ndarray:
        """The dictator's payoff of each transfer (the only mover: ``profile[..., 0]``)."""
        return self.theory.payoffs(config, profile)[0]

    def default_baseline(self, config: DictatorConfig) -> str | None:
        """Engel's (2011) meta-analysis."""
        return "engel2011_dictator"

    def analyses(self, config: DictatorConfig) -> tuple[AnalysisSpec, ...]:
        """Transfer metrics, Fehr-Schmidt share, the giving distribution and human-likeness
        against the MobLab dictators (individual data, one decision per subject)."""
        money = {"endowment": config.endowment,
                 "recipient_endowment": config.recipient_endowment}
        return (AnalysisSpec("transfer_metrics", {**money, "label": "Dictator"}),
                AnalysisSpec("fehr_schmidt_share", money),
                AnalysisSpec("giving_distribution", money),
                AnalysisSpec("human_likeness", {"baselines": (MOBLAB,)}))
