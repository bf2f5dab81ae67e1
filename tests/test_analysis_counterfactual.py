"""Counterfactual payoffs, regret and NashConv from record tables, against brute force."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from agora.analysis.counterfactual import (
    counterfactual_payoffs,
    nash_conv_table,
    regret_table,
)
from games.p_beauty import theory
from games.p_beauty.config import PBeautyConfig


def _records(guesses: np.ndarray, cfg: PBeautyConfig) -> pl.DataFrame:
    m, r, n = guesses.shape
    rows = []
    for i in range(m):
        for t in range(r):
            pay = theory.payoffs(cfg, guesses[i, t])
            for j in range(n):
                rows.append({"instance": i, "round": t, "agent": f"player_{j}",
                             "action": float(guesses[i, t, j]), "reward": float(pay[j])})
    return pl.DataFrame(rows)


def test_p_beauty_regret_and_nash_conv_match_brute_force() -> None:
    cfg = PBeautyConfig(n_players=3, rounds=2, upper=10.0)
    rng = np.random.default_rng(0)
    guesses = rng.integers(0, 11, size=(4, 2, 3)).astype(float)
    records = _records(guesses, cfg)
    cf = counterfactual_payoffs(records, "p_beauty", cfg)
    assert cf.grid.tolist() == list(range(11))
    regret = regret_table(cf)
    nc = nash_conv_table(cf)
    for i in range(4):
        gains_round = np.zeros(2)
        for j in range(3):
            totals = np.zeros(11)
            got = 0.0
            for t in range(2):
                row = np.zeros(11)
                for a in range(11):
                    prof = guesses[i, t].copy()
                    prof[j] = a
                    row[a] = theory.payoffs(cfg, prof)[j]
                realised = theory.payoffs(cfg, guesses[i, t])[j]
                totals += row
                got += realised
                gains_round[t] += row.max() - realised
            expected = totals.max() - got
            value = regret.filter((pl.col("instance") == i)
                                  & (pl.col("agent") == f"player_{j}"))["regret"].item()
            assert value == pytest.approx(expected)
        got_nc = nc.filter(pl.col("instance") == i).sort("round")["nash_conv"].to_numpy()
        assert got_nc == pytest.approx(gains_round)


def test_equilibrium_profile_has_zero_nash_conv() -> None:
    cfg = PBeautyConfig(n_players=4, rounds=1)
    records = _records(np.zeros((2, 1, 4)), cfg)
    nc = nash_conv_table(counterfactual_payoffs(records, "p_beauty", cfg))
    assert nc["nash_conv"].to_list() == [0.0, 0.0]


def test_dictator_regret_is_amount_given() -> None:
    records = pl.DataFrame({"instance": [0, 0, 1], "round": [0, 1, 0],
                            "agent": ["player_0"] * 3, "action": [3.0, 5.0, 0.0],
                            "reward": [7.0, 5.0, 10.0]})
    cf = counterfactual_payoffs(records, "dictator", {"endowment": 10.0, "rounds": 2})
    regret = regret_table(cf)
    assert regret["regret"].to_list() == [8.0, 0.0]
    assert regret["avg_regret"].to_list() == [4.0, 0.0]


def test_unsupported_game() -> None:
    with pytest.raises((ValueError, KeyError)):
        counterfactual_payoffs(pl.DataFrame({"action": [1.0]}), "no_such_game", {})


def test_game_without_payoffs_is_refused() -> None:
    records = pl.DataFrame({"instance": [0], "round": [0], "agent": ["player_0"],
                            "action": [1.0], "reward": [0.0]})
    with pytest.raises(ValueError, match="gives no payoffs of action profiles"):
        counterfactual_payoffs(records, "negotiation", {})
