"""Analysis hooks of the trust game (see :class:`agora.engine.contract.GameHooks`).

The benchmark is the subgame-perfect one (send 0, return 0) with the efficient amount and the
level-1 sender in its notes; payoffs are those of a round's (sent, returned) profile. Human data
(Berg, Dickhaut & McCabe 1995, all 60 pairs: ``games/trust/data``) give the default baseline
(amounts sent as shares of the endowment, in the run's treatment) and the human-likeness table
(senders' shares and receivers' return ratios); the report adds the reciprocity slope of
returned on sent, which stands in for the one-shot NashConv and regret (moves are sequential).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from agora.engine.contract import AnalysisSpec, Benchmark, GameHooks
from games.trust.config import TrustConfig

DATA_PACKAGE = "games.trust.data"


def berg_baseline(what: str, social_history: bool) -> str:
    """Name of the packaged Berg et al. baseline of ``what`` (``"sent"`` or ``"returned"``)."""
    return f"berg1995_trust_{what}_{'social_history' if social_history else 'no_history'}"


class TrustHooks(GameHooks):
    """Benchmark, payoffs, baselines and report analyses of the trust game."""

    baseline_package = DATA_PACKAGE

    def benchmark(self, game: str, config: TrustConfig, *, tau: float = 1.5,
                  k_max: int = 6) -> Benchmark:
        """The SPE move (0 for sender and receiver) with the efficient and level-k senders."""
        t = self.theory
        level = ", ".join(f"L{k} {t.sender_level_k(config, k):g}" for k in (1, 2, 3))
        return Benchmark(
            game=game, equilibrium_action=t.equilibrium_action(config),
            notes=(f"subgame perfect: send 0, return 0 (selfish players); efficient: send "
                   f"everything ({t.efficient_sent(config):g}); senders against uniformly "
                   f"random receivers: {level}"))

    def payoffs(self, config: TrustConfig, profile: np.ndarray) -> np.ndarray:
        """(sender, receiver) payoffs of ``profile[..., :2]`` = (sent, returned)."""
        p = np.asarray(profile, dtype=np.float64)
        return np.stack(self.theory.payoffs(config, p[..., 0], p[..., 1]), axis=-1)

    def agent_payoffs(self, records: pl.DataFrame) -> pl.DataFrame:
        """Each player's round payoffs summed over rounds: the receiver's rows carry both
        (``sender_payoff``, ``receiver_payoff``), since the sender is paid what comes back
        only when the receiver moves."""
        done = records.filter(pl.col("receiver_payoff").is_not_nan())
        names = (records.select("instance", pl.col("agent").cast(pl.String), "role")
                 .unique().with_columns(pl.col("role").cast(pl.String)))
        totals = done.group_by("instance").agg(pl.col("sender_payoff").sum().alias("sender"),
                                               pl.col("receiver_payoff").sum().alias("receiver"))
        long = totals.unpivot(index="instance", variable_name="role", value_name="payoff")
        return (long.join(names, on=["instance", "role"])
                .select("instance", "agent", "payoff").sort("instance", "agent"))

    def default_baseline(self, config: TrustConfig) -> str | None:
        """Berg et al.'s senders in the run's treatment (with or without social history)."""
        return berg_baseline("sent", config.social_history)

    def analyses(self, config: TrustConfig) -> tuple[AnalysisSpec, ...]:
        """Reciprocity of receivers, and human-likeness of senders and receivers against Berg
        et al.'s pairs of the same treatment."""
        h = config.social_history
        return (AnalysisSpec("reciprocity", {"x": "sent", "y": "returned", "role": "receiver",
                                             "multiplier": config.multiplier}),
                AnalysisSpec("human_likeness", {"baselines": (berg_baseline("sent", h),
                                                              berg_baseline("returned", h))}))
