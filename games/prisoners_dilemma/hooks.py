"""Analysis hooks of the prisoner's dilemma (see :class:`agora.engine.contract.GameHooks`).

The benchmark is the default one built from :mod:`games.prisoners_dilemma.theory` (defect),
with notes on δ* and SizeBAD for indefinitely repeated games; payoffs of one-round profiles of a
pair (for regret and NashConv); the packaged human data (``games/prisoners_dilemma/data``:
Shafir & Tversky 1992, Mengel 2018 as transcribed, Dal Bó & Fréchette 2011 decisions) and the
report's cooperation-by-round table with bootstrap CIs over instances. A run in one of DF2011's
treatments (R and δ as theirs, T, P, S = 50, 25, 12) is compared with that treatment's subjects:
default baseline and human-likeness table of each agent's cooperation rate, in round 1 of its
supergames and over all rounds, against each subject's.
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

    def default_baseline(self, config: PDConfig) -> str | None:
        """DF2011's subjects' round-1 cooperation rates in the run's treatment, or ``None``."""
        code = df2011_treatment(config)
        return None if code is None else f"dalbo_frechette2011_{code.lower()}_subject_round1"

    def analyses(self, config: PDConfig) -> tuple[AnalysisSpec, ...]:
        """Cooperation (intended and executed moves) by round of the supergame, with bootstrap
        CIs over instances; human-likeness of per-agent cooperation rates against DF2011's
        subjects when the run is one of their treatments."""
        specs = [AnalysisSpec("cooperation_by_round", {
            "columns": {"intended": "action", "executed": "executed"},
            "round_column": "supergame_round", "cluster": "instance",
            "title": "Cooperation by round of the supergame"})]
        code = df2011_treatment(config)
        if code is not None:
            specs.append(AnalysisSpec("human_likeness", {"baselines": tuple(
                f"dalbo_frechette2011_{code.lower()}_subject_{m}" for m in ("round1", "all"))}))
        return tuple(specs)


DF2011_STAGE = {"temptation": 50.0, "punishment": 25.0, "sucker": 12.0}
"""DF2011's stage payoffs other than R (all six treatments)."""


def df2011_treatment(config: PDConfig) -> str | None:
    """DF2011's treatment code (``D75R40``) of a config that plays one of their treatments
    (δ ∈ {1/2, 3/4}, R ∈ {32, 40, 48}, T, P, S = 50, 25, 12, no execution noise), else
    ``None``; matching groups of any size (pairs rematched between supergames) qualify."""
    if (config.delta not in (0.5, 0.75) or config.reward not in (32.0, 40.0, 48.0)
            or config.noise != 0
            or any(getattr(config, k) != v for k, v in DF2011_STAGE.items())):
        return None
    return f"D{str(config.delta).split('.')[1]}R{config.reward:g}"
