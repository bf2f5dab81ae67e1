"""Strategy-frequency estimation (SFEM): Dal Bó & Fréchette (2011) Table 7 and planted shares.

Table 7 (strategy shares per treatment, columns AllD / AllC / Grim / TFT / WSLS / T2) as
replicated by the stratEst vignette ("The estimated shares are the strategy shares reported in
Table 7 on page 424 of Dal Bó and Fréchette (2011)"), transcribed in
../shared/reference/classic_games.md §1c and the data's PROVENANCE entry. The data are the
stratEst ``data.DF2011`` decisions the game packages in
``games/prisoners_dilemma/data/dalbo_frechette2011_repeated_pd.csv`` (CC BY 4.0, Dal Bó &
Fréchette 2011 AER, via stratEst; licence and provenance in that folder).

Prescriptions come from the game's strategy functions (``games/prisoners_dilemma/strategies.py``);
the recovery test plays supergames between finite automata (state tables written here, not the
functions the fit uses) with execution trembles, from its own generator.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from importlib.resources import files
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from agora.analysis.strategy_frequency import (
    em_fit,
    fit_strategy_frequencies,
    prescription_matrix,
    sufficient_statistics,
)
from games.prisoners_dilemma import strategies as pd_strategies
from games.prisoners_dilemma.human import DF2011_TABLE7, DF2011_TABLE7_STRATEGIES

DATA = Path(str(files("games.prisoners_dilemma.data") / "dalbo_frechette2011_repeated_pd.csv"))
NAMES = DF2011_TABLE7_STRATEGIES
TABLE7 = DF2011_TABLE7  # treatment: AllD, AllC, Grim, TFT, WSLS, T2


STRATEGIES = {name: pd_strategies.STRATEGIES[key] for name, key in zip(
    NAMES, ("alld", "allc", "grim", "tft", "wsls", "t2"), strict=True)}
"""The game's strategy functions (games/prisoners_dilemma/strategies.py), Table 7's order."""


def _load() -> pl.DataFrame:
    return pl.read_csv(DATA, comment_prefix="#")


def _treatment_fit(df: pl.DataFrame, treatment: str, **kw):
    g = df.filter(pl.col("treatment") == treatment)
    own = (g["choice"] == "c").cast(pl.Int64).to_numpy()
    other = (g["other.choice"] == "c").cast(pl.Int64).to_numpy()
    x = prescription_matrix(g["id"].to_numpy(), g["game"].to_numpy(), g["period"].to_numpy(),
                            own, other, STRATEGIES)
    return fit_strategy_frequencies(g["id"].to_numpy(), own, x, NAMES, **kw)


def test_reproduces_dal_bo_frechette_table7() -> None:
    df = _load()
    assert df.height == 7358 and df["id"].n_unique() == 266
    errors = {}
    for treatment, published in TABLE7.items():
        fit = _treatment_fit(df, treatment, n_boot=0)
        got = np.array([fit.shares[k].value for k in NAMES])
        assert math.isclose(got.sum(), 1.0, abs_tol=1e-9)
        errors[treatment] = float(np.abs(got - np.array(published)).max())
    assert max(errors.values()) <= 0.05, errors


def test_bootstrap_intervals_and_bounds_on_human_data() -> None:
    fit = _treatment_fit(_load(), "D75R40", n_boot=60, rng=3)
    assert fit.n_subjects == 38 and 0.0 < fit.tremble.value < 0.5
    for name in ("AllD", "AllC", "Grim", "TFT"):  # interior shares
        e = fit.shares[name]
        assert not e.at_bound and e.ci_low <= e.value <= e.ci_high and e.n_boot == 60
    for name in ("WSLS", "T2"):  # estimated at 0 in Table 7: flagged, interval opened at 0
        e = fit.shares[name]
        assert e.at_bound and e.ci_low == 0.0 and math.isnan(e.se)
    post = fit.posteriors
    assert post.shape == (38, 6) and np.allclose(post.sum(axis=1), 1.0)


# --- planted shares ---------------------------------------------------------------------------
# Automata: per state, the move and the next state after (own, other) = CC, CD, DC, DD.
AUTOMATA: dict[str, list[tuple[int, tuple[int, int, int, int]]]] = {
    "AllD": [(0, (0, 0, 0, 0))],
    "AllC": [(1, (0, 0, 0, 0))],
    "Grim": [(1, (0, 1, 1, 1)), (0, (1, 1, 1, 1))],
    "TFT": [(1, (0, 1, 0, 1)), (0, (0, 1, 0, 1))],
    "WSLS": [(1, (0, 1, 1, 0)), (0, (0, 1, 1, 0))],
    "T2": [(1, (0, 1, 1, 1)), (0, (2, 2, 2, 2)), (0, (0, 0, 0, 0))],
}


def _simulate(shares: Sequence[float], n_subjects: int, supergames: int, delta: float,
              tremble: float, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Random-matching supergames between automata; the planted composition is exact."""
    gen = np.random.Generator(np.random.PCG64(seed))
    counts = np.round(np.asarray(shares) * n_subjects).astype(int)
    types = gen.permutation(np.repeat(np.arange(len(NAMES)), counts))
    subj, sgs, per, own, oth = [], [], [], [], []
    for game in range(supergames):
        order = gen.permutation(n_subjects)
        length = int(gen.geometric(1.0 - delta))
        for i, j in zip(order[::2], order[1::2], strict=True):
            st = {i: 0, j: 0}
            for t in range(length):
                mv = {}
                for p in (i, j):
                    move = AUTOMATA[NAMES[types[p]]][st[p]][0]
                    mv[p] = 1 - move if gen.random() < tremble else move
                for p, q in ((i, j), (j, i)):
                    col = 2 * (1 - mv[p]) + (1 - mv[q])
                    subj.append(p)
                    sgs.append(game)
                    per.append(t + 1)
                    own.append(mv[p])
                    oth.append(mv[q])
                    st[p] = AUTOMATA[NAMES[types[p]]][st[p]][1][col]
    return (np.array(subj), np.array(sgs), np.array(per)), np.array(own), np.array(oth)


@pytest.mark.parametrize(("shares", "seed"), [
    ((0.30, 0.10, 0.15, 0.25, 0.10, 0.10), 11),
    ((0.50, 0.00, 0.20, 0.30, 0.00, 0.00), 12),
])
def test_recovers_planted_shares_at_200_subjects(shares: tuple[float, ...], seed: int) -> None:
    (subj, sgs, per), own, oth = _simulate(shares, 200, supergames=20, delta=0.75,
                                           tremble=0.08, seed=seed)
    x = prescription_matrix(subj, sgs, per, own, oth, STRATEGIES)
    fit = fit_strategy_frequencies(subj, own, x, NAMES, n_boot=20, rng=seed)
    got = np.array([fit.shares[k].value for k in NAMES])
    assert np.abs(got - np.array(shares)).max() <= 0.05, dict(zip(NAMES, got.round(3), strict=True))
    assert abs(fit.tremble.value - 0.08) <= 0.02
    for k, s in zip(NAMES, shares, strict=True):
        if s == 0.0:
            assert fit.shares[k].value < 0.03


# --- closed forms and hand-worked histories --------------------------------------------------
def test_single_strategy_tremble_is_the_mismatch_rate() -> None:
    gen = np.random.default_rng(5)
    subj = np.repeat(np.arange(30), 12)
    x = gen.integers(0, 2, size=(subj.size, 1))
    flip = gen.random(subj.size) < 0.2
    y = np.where(flip, 1 - x[:, 0], x[:, 0])
    fit = fit_strategy_frequencies(subj, y, x, ["only"], n_boot=0)
    assert fit.shares["only"].value == pytest.approx(1.0)
    assert fit.tremble.value == pytest.approx(flip.mean(), abs=1e-9)


def test_two_separated_types_closed_form() -> None:
    # 7 subjects always defect, 3 always cooperate, no errors: shares 0.7 / 0.3, tremble at 0.
    subj = np.repeat(np.arange(10), 5)
    y = np.where(subj < 7, 0, 1)
    x = np.column_stack([np.zeros_like(y), np.ones_like(y)])
    fit = fit_strategy_frequencies(subj, y, x, ["D", "C"], n_boot=10, rng=0)
    assert fit.shares["D"].value == pytest.approx(0.7, abs=1e-6)
    assert fit.shares["C"].value == pytest.approx(0.3, abs=1e-6)
    assert fit.tremble.value < 1e-6 and fit.tremble.at_bound


def test_em_likelihood_never_decreases_and_matches_formula() -> None:
    ids, n, m = sufficient_statistics([1, 1, 1, 2, 2], [1, 0, 1, 0, 0],
                                      np.array([[1, 0], [1, 0], [1, 0], [1, 0], [1, 1]]))
    assert ids == [1, 2] and n.tolist() == [3, 2] and m.tolist() == [[1, 2], [2, 1]]
    p, g, ll, _ = em_fit(n, m, np.array([0.5, 0.5]), 0.2)
    direct = sum(math.log(sum(p[k] * g ** m[i, k] * (1 - g) ** (n[i] - m[i, k])
                              for k in range(2))) for i in range(2))
    assert ll == pytest.approx(direct, rel=1e-9)
    _, _, ll_short, _ = em_fit(n, m, np.array([0.5, 0.5]), 0.2, max_iter=1)
    assert ll >= ll_short - 1e-12


def test_prescriptions_on_a_hand_worked_history() -> None:
    # One supergame, rows deliberately out of period order: own C C D C C, other C D C C C.
    per = np.array([3, 1, 5, 2, 4])
    own = np.array([0, 1, 1, 1, 1])
    oth = np.array([1, 1, 1, 0, 1])
    x = prescription_matrix(np.zeros(5), np.zeros(5), per, own, oth, STRATEGIES)
    order = np.argsort(per)
    expected = {  # periods 1..5
        "AllD": [0, 0, 0, 0, 0], "AllC": [1, 1, 1, 1, 1], "Grim": [1, 1, 0, 0, 0],
        "TFT": [1, 1, 0, 1, 1], "WSLS": [1, 1, 0, 0, 1], "T2": [1, 1, 0, 0, 1],
    }
    for c, name in enumerate(NAMES):
        assert x[order, c].tolist() == expected[name], name


@pytest.mark.parametrize(("args", "match"), [
    (([1, 2], [0, 1], np.array([[0], [1], [1]])), "shape"),
    (([1, 2], [0, 2], np.array([[0], [1]])), "0/1"),
    (([], [], np.zeros((0, 1))), "no decisions"),
])
def test_bad_input_is_refused(args: tuple, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        fit_strategy_frequencies(*args, n_boot=0)


def test_bad_strategy_names_are_refused() -> None:
    with pytest.raises(ValueError, match="distinct"):
        fit_strategy_frequencies([1, 1], [0, 1], np.array([[0, 1], [0, 1]]), ["a", "a"])


def test_recovers_a_scripted_population_from_the_games_records() -> None:
    """End to end: the game's records of a planted mixture of its scripted strategies."""
    import agora
    from agora.policies.registry import make_policy
    from experiments.pd_repeated import PDRepeatedConfig, agent_decisions, strategy_shares

    cfg = PDRepeatedConfig(groups=3, group_size=8, supergames=10, max_rounds=20)
    planted = {"alld": 0.5, "allc": 0.25, "wsls": 0.25}
    res = agora.run("prisoners_dilemma", policy=[(make_policy(k), s) for k, s in planted.items()],
                    n_instances=cfg.groups, seed=4, progress=False, **cfg.game(0.75, 40.0))
    d = agent_decisions(res.records)
    assert d["subject"].n_unique() == 24
    fit = strategy_shares(d, n_boot=0, rng=np.random.default_rng(0))
    got = fit.share_values()
    want = {"AllD": 0.5, "AllC": 0.25, "WSLS": 0.25, "Grim": 0.0, "TFT": 0.0, "T2": 0.0}
    assert max(abs(got[k] - v) for k, v in want.items()) <= 0.05, got
    assert fit.tremble.value < 1e-6 and fit.tremble.at_bound  # scripted play has no errors
