"""What the public goods game tells agora's analysis (see :class:`GameHooks`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from agora.engine.contract import AnalysisSpec, Benchmark, GameHooks
from games.public_goods import theory
from games.public_goods.config import PublicGoodsConfig


class PublicGoodsHooks(GameHooks):
    """Selfish benchmark, stage payoffs of fixed groups and the contribution analyses."""

    def benchmark(self, game: str, config: Any, *, tau: float = 1.5,
                  k_max: int = 6) -> Benchmark | None:
        eq = theory.equilibrium_contribution(config)
        notes = (f"selfish Nash contribution {eq:g} (MPCR {config.mpcr:g} "
                 f"{'<' if config.mpcr < 1 else '>='} 1); efficient contribution "
                 f"{theory.efficient_contribution(config):g} (n MPCR = "
                 f"{config.group_size * config.mpcr:g}); no punishment in subgame-perfect play. "
                 "People contribute more with a higher MPCR and in partner matching "
                 "(Zelmer 2003) and contributions decay with repetition (Ledyard 1995).")
        return Benchmark(game=game, equilibrium_action=eq, equilibria=(eq,), notes=notes)

    def payoffs(self, config: PublicGoodsConfig, profile: np.ndarray) -> np.ndarray | None:
        """Stage-1 payoffs of one instance-round's contributions in agent order; ``None``
        with punishment, the strategy method or stranger matching (where a profile in agent
        order does not show the groups or the final payoff)."""
        if config.punishment or config.strategy_method or config.matching != "partner":
            return None
        x = np.asarray(profile, dtype=np.float64)
        grouped = x.reshape(*x.shape[:-1], config.groups, config.group_size)
        return theory.stage1_payoffs(config, grouped).reshape(x.shape)

    def dominance_bounds(self, config: PublicGoodsConfig) -> tuple[float | None, float | None]:
        if config.punishment or config.strategy_method:
            return None, None
        if config.mpcr < 1:
            return 0.0, None
        return (None, float(config.endowment)) if config.mpcr > 1 else (None, None)

    def analyses(self, config: PublicGoodsConfig) -> tuple[AnalysisSpec, ...]:
        """Contribution by round (stage 0 decisions) with bootstrap CIs; conditional
        contribution types with the strategy method."""
        if config.strategy_method:
            return (AnalysisSpec("contribution_types", {
                "prefix": "table_", "endowment": config.endowment}),)
        return (AnalysisSpec("contribution_by_round", {
            "where": {"stage": 0.0}, "endowment": config.endowment,
            "title": "Contribution by round (share of the endowment)"}),)


HOOKS = PublicGoodsHooks(theory)
