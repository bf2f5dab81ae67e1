"""Analysis hooks of the p-beauty contest (see :class:`agora.engine.contract.GameHooks`).

The benchmark is the default one built from :mod:`games.p_beauty.theory`; this adds the
iterated-dominance bound (guesses above ``p·U`` can never be closest when ``p < 1``, below
``p·L`` when ``p > 1``), the payoffs of guess profiles for regret and NashConv, Nagel's (1995)
human data (``games/p_beauty/data``) and the beauty-contest analyses of the report: Poisson
cognitive hierarchy, Nagel's level-k classification, the level-k mixture and the guess
histogram.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import numpy as np

from agora.engine.contract import AnalysisSpec, GameHooks
from games.p_beauty.config import PBeautyConfig

DATA_PACKAGE = "games.p_beauty.data"


class PBeautyHooks(GameHooks):
    """Benchmarks, payoffs, baselines and report analyses of the p-beauty contest."""

    baseline_package = DATA_PACKAGE
    benchmark_notes = "guesses beyond p·upper (p<1) can never be closest to the target"

    def payoffs(self, config: PBeautyConfig, profile: np.ndarray) -> np.ndarray:
        """Round payoffs of guess profiles of shape ``(..., n_players)``."""
        return self.theory.payoffs(config, profile)

    def dominance_bounds(self, config: PBeautyConfig) -> tuple[float | None, float | None]:
        """Guesses above ``p·U`` (p < 1) or below ``p·L`` (p > 1) are weakly dominated."""
        if config.p < 1:
            return float(config.upper * config.p), None
        if config.p > 1:
            return None, float(config.lower * config.p)
        return None, None

    def default_baseline(self, config: PBeautyConfig) -> str | None:
        """Nagel's (1995) first-period data with the p closest to the run's."""
        manifest = json.loads(resources.files(DATA_PACKAGE).joinpath("baselines.json")
                              .read_text())
        options = [b for b in manifest["baselines"] if "p" in b.get("params", {})]
        if not options:
            return None
        return min(options, key=lambda b: abs(b["params"]["p"] - float(config.p)))["name"]

    def analyses(self, config: PBeautyConfig) -> tuple[AnalysisSpec, ...]:
        """Cognitive hierarchy, level-k classification and mixture, guess histogram."""
        bounds: dict[str, Any] = {"p": config.p, "lower": config.lower, "upper": config.upper}
        return tuple(AnalysisSpec(kind, bounds) for kind in (
            "cognitive_hierarchy", "level_k_classification", "level_k_mixture",
            "guess_histogram"))
