"""Analysis hooks of the prisoner's dilemma (see :class:`agora.engine.contract.GameHooks`).

The benchmark is the default one built from :mod:`games.prisoners_dilemma.theory` (defect),
with notes on δ* and SizeBAD for indefinitely repeated games; payoffs of one-round profiles of a
pair (for regret and NashConv); the packaged human data (``games/prisoners_dilemma/data``:
Shafir & Tversky 1992, Mengel 2018 as transcribed, Dal Bó & Fréchette 2011 decisions) and the
report's cooperation-by-round table with bootstrap CIs over instances.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from agora.engine.contract import AnalysisSpec, Benchmark, GameHooks
from games.prisoners_dilemma.config import PDConfig


class PDHooks(GameHooks):
    """Benchmarks, payoffs, baselines and report analyses of the prisoner's dilemma."""

    baseline_package = "games.prisoners_dilemma.data"

    def benchmark(self, game: str, config: Any, *, tau: float = 1.5,
                  k_max: int = 6) -> Benchmark | None:
        """The default benchmark (defect) with δ* and SizeBAD in its notes."""
        b = super().benchmark(game, config, tau=tau, k_max=k_max)
        return None if b is None else replace(b, notes=self.theory.benchmark_notes(config))

    def payoffs(self, config: PDConfig, profile: np.ndarray) -> np.ndarray | None:
        """Stage payoffs of a pair's profile ``(..., 2)`` (1 = C); ``None`` for groups of more
        than two, whose pairing a profile in agent order does not show."""
        if config.group_size != 2:
            return None
        x = np.asarray(profile, dtype=np.float64)
        return np.stack([self.theory.payoffs(config, x[..., 0], x[..., 1]),
                         self.theory.payoffs(config, x[..., 1], x[..., 0])], axis=-1)

    def analyses(self, config: PDConfig) -> tuple[AnalysisSpec, ...]:
        """Cooperation (intended and executed moves) by round of the supergame, with bootstrap
        CIs over instances."""
        return (AnalysisSpec("cooperation_by_round", {
            "columns": {"intended": "action", "executed": "executed"},
            "round_column": "supergame_round", "cluster": "instance",
            "title": "Cooperation by round of the supergame"}),)
