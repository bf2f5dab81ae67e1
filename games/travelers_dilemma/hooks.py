"""Analysis hooks of the traveler's dilemma (see :class:`agora.engine.contract.GameHooks`).

Payoffs of a round's profile of claims, in traveler order: with fixed pairs (or two travelers)
traveler ``j`` is paired with ``j xor 1`` and gets the pair's payoff; under random rematching of
more than two travelers the pairing is drawn after the claims, independently of them, so a
claim's payoff against the round's profile is its expected payoff over a uniformly random
partner among the others. That is the payoff of the matching game itself: a traveler's realised
payoff is an unbiased draw of it, so regret summed over rounds is unbiased (a single round's
best-response gain against the realised payoff is only so in expectation).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from agora.engine.contract import Benchmark, GameHooks
from games.travelers_dilemma import theory
from games.travelers_dilemma.config import Matching, TravelersConfig


class TravelersHooks(GameHooks):
    """Benchmark notes, payoffs of claim profiles and the dominated top claim."""

    benchmark_notes = ("unique Nash equilibrium for R > 1: every traveler claims the minimum "
                       "(Basu 1994); average claims fall as R rises (Capra et al. 1999)")

    def benchmark(self, game: str, config: TravelersConfig, *, tau: float = 1.5,
                  k_max: int = 6) -> Benchmark | None:
        """The default benchmark; with ``R <= 1`` every common claim is an equilibrium."""
        b = super().benchmark(game, config, tau=tau, k_max=k_max)
        if b is None or config.reward > 1:
            return b
        return replace(b, equilibria=(), notes=(
            f"R = {config.reward:g} <= 1: undercutting does not pay, so every common claim "
            f"{config.low}..{config.high} is a Nash equilibrium (the minimum is listed)"))

    def payoffs(self, config: TravelersConfig, profile: np.ndarray) -> np.ndarray:
        """Each traveler's payoff of a round's claims ``(..., travelers)`` (see the module)."""
        x = np.asarray(profile, dtype=np.float64)
        n = x.shape[-1]
        if n < 2 or n % 2:
            raise ValueError(f"travelers_dilemma: a profile holds an even number of claims, "
                             f"got {n}")
        if n == 2 or config.matching is Matching.FIXED:
            return theory.payoffs(config, x, x[..., np.arange(n) ^ 1])
        total = np.zeros(np.shape(x))
        for j in range(n):  # one partner at a time: memory linear in n
            total += theory.payoffs(config, x, x[..., j:j + 1])
        return (total - x) / (n - 1)  # less the payoff against oneself (the claim itself)

    def dominance_bounds(self, config: TravelersConfig) -> tuple[float | None, float | None]:
        """With ``R >= 1`` the top claim is weakly dominated by one unit less."""
        return (float(config.high - 1), None) if config.reward >= 1 else (None, None)


HOOKS = TravelersHooks(theory)
