"""Counterfactual payoffs of recorded decisions, for regret and NashConv.

For a decision of agent i in round t, ``U[t, a] = u_i(a, a₋ᵢᵗ)`` is the payoff action a would
have earned against the others' actual actions. External regret sums these over rounds; the
best-response gain of a round is ``max_a U[t, a] − u_i(aᵗ)`` and NashConv of the observed
profile is the sum over agents (Lanctot et al. 2017). The payoffs come from the game's hooks
(:meth:`agora.engine.contract.GameHooks.payoffs`): the records of one instance-round, in agent
order, form a profile of shape ``(n_movers,)``, and every unilateral deviation of every mover is
evaluated in one vectorised call per chunk. Games whose hooks give no payoffs are refused with a
clear error. Continuous actions use a 201-point grid.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from agora.analysis.equilibria import game_config, game_hooks
from agora.engine.contract import GameHooks


@dataclass(frozen=True, kw_only=True)
class Counterfactual:
    """Counterfactual payoffs of every decision.

    Attributes:
        keys: ``instance, round, agent`` of each decision (row order of ``payoffs``).
        grid: Actions compared.
        payoffs: ``(N, G)`` counterfactual payoff of each grid action.
        realised: ``(N,)`` payoff actually earned.
    """

    keys: pl.DataFrame
    grid: np.ndarray
    payoffs: np.ndarray
    realised: np.ndarray

    @property
    def gains(self) -> np.ndarray:
        """Best-response gain of every decision (>= 0 up to grid resolution)."""
        return np.maximum(self.payoffs.max(axis=1) - self.realised, 0.0)


def action_grid(game: str, config: Any, player: int = 0, size: int = 201) -> np.ndarray:
    """Legal actions of ``player`` (a ``size``-point grid for continuous actions)."""
    from agora.engine.registry import make_kernel

    kernel = make_kernel(game, game_config(game, config), 1, np.random.default_rng(0))
    spec = kernel.action_spec(player)
    if spec.is_discrete:
        return spec.choices()
    low, high = getattr(spec, "low", None), getattr(spec, "high", None)
    if low is None or high is None:
        raise ValueError(f"{game}: player {player}'s actions are not one number "
                         f"({type(spec).__name__}), so there is no action grid")
    return np.linspace(low, high, size)


def counterfactual_payoffs(records: pl.DataFrame, game: str, config: Any, *,
                           chunk: int = 256) -> Counterfactual:
    """Counterfactual payoffs of the recorded decisions of a game whose hooks give payoffs.

    Raises:
        KeyError: ``game`` is not registered.
        ValueError: the game gives no payoffs of profiles, or its instance-rounds have
            different numbers of movers.
    """
    cfg = game_config(game, config)
    hooks = game_hooks(game)
    if type(hooks).payoffs is GameHooks.payoffs:
        raise ValueError(f"game {game!r} gives no payoffs of action profiles "
                         "(GameHooks.payoffs), so no counterfactuals")
    frame = records.with_columns(pl.col("agent").cast(pl.String)).sort(
        ["instance", "round", "agent"])
    keys = frame.select("instance", "round", "agent")
    sizes = frame.group_by(["instance", "round"]).len()["len"]
    if sizes.len() == 0:
        raise ValueError("counterfactual payoffs: no decisions in the records")
    n = int(sizes.max())
    if int(sizes.min()) != n:
        raise ValueError("counterfactual payoffs: instance-rounds have different numbers of "
                         "movers")
    grid = action_grid(game, cfg)
    realised = frame["reward"].to_numpy().astype(np.float64)
    g = frame["action"].to_numpy().astype(np.float64).reshape(-1, n)
    out = np.empty((g.shape[0], n, grid.size))
    eye = np.eye(n, dtype=bool)[:, None, :]  # (n, 1, n): which seat deviates
    for s in range(0, g.shape[0], chunk):
        base = g[s:s + chunk][:, None, None, :]  # (c, 1, 1, n)
        prof = np.where(eye[None], grid[None, None, :, None], base)  # (c, n, G, n)
        pay = hooks.payoffs(cfg, prof)  # (c, n, G, n)
        if pay is None:
            raise ValueError(f"game {game!r} gives no payoffs of action profiles "
                             "(GameHooks.payoffs), so no counterfactuals")
        out[s:s + chunk] = np.asarray(pay)[:, np.arange(n), :, np.arange(n)].transpose(1, 0, 2)
    return Counterfactual(keys=keys, grid=grid, payoffs=out.reshape(-1, grid.size),
                          realised=realised)


def regret_table(cf: Counterfactual) -> pl.DataFrame:
    """External regret of every agent in every instance (over its rounds)."""
    gid = (cf.keys.select(pl.struct("instance", "agent").rank("dense").alias("g"))["g"]
           .to_numpy().astype(np.int64) - 1)
    n_groups = int(gid.max()) + 1 if gid.size else 0
    total = np.zeros((n_groups, cf.grid.size))
    np.add.at(total, gid, cf.payoffs)
    got = np.bincount(gid, weights=cf.realised, minlength=n_groups)
    rounds = np.bincount(gid, minlength=n_groups)
    regret = total.max(axis=1) - got
    first = np.unique(gid, return_index=True)[1]
    return (cf.keys[first].select("instance", "agent")
            .with_columns(pl.Series("rounds", rounds), pl.Series("regret", regret),
                          pl.Series("avg_regret", regret / rounds))
            .sort(["instance", "agent"]))


def nash_conv_table(cf: Counterfactual) -> pl.DataFrame:
    """NashConv (sum of gains) and ε (largest gain) of every observed round profile."""
    return (cf.keys.with_columns(pl.Series("gain", cf.gains))
            .group_by(["instance", "round"]).agg(pl.col("gain").sum().alias("nash_conv"),
                                                   pl.col("gain").max().alias("epsilon"))
            .sort(["instance", "round"]))
