"""Orders of rationality: the classifier recovers planted types and shares from simulated play
it did not generate, its tremble rate, the records pivot and the report section."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

import agora
from agora.analysis.rationality_order import (
    classify_orders,
    order_shares,
    orders_from_records,
)
from games.ring_network import POLICIES, RingConfig, analysis_params
from games.ring_network.games import GAME_LABELS, MATRICES

TREMBLE = 0.15
"""Planted error rate: with this probability a decision is a uniformly random action."""


def _planted_action(u: np.ndarray, k: int, p: int) -> int:
    """The simulator's own Rk rule (independent of the classifier and of the game's theory
    module): reason min(k, 4 - p) players down the ring; player 4 plays its dominant action;
    a chain that stops short of player 4 faces a uniformly random next player."""
    reach = min(k, 4 - p)
    last = p + reach - 1
    if last == 3:
        act = int(np.argmax([min(u[3, a]) - max(u[3, b].max() for b in range(3) if b != a)
                             for a in range(3)]))
    else:
        act = int(np.argmax(u[last].sum(axis=1)))
    for q in range(last - 1, p - 1, -1):
        act = int(np.argmax(u[q][:, act]))
    return act + 1


def _simulate(types: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``(subjects, 32)`` actions (1-3) of planted types in every (game, position)."""
    n = types.size
    out = np.empty((n, len(GAME_LABELS) * 4))
    for s in range(n):
        for j, (label, p) in enumerate((g, p) for g in GAME_LABELS for p in range(4)):
            k = int(types[s])
            a = int(rng.integers(1, 4)) if k == 0 else _planted_action(MATRICES[label], k, p)
            out[s, j] = int(rng.integers(1, 4)) if rng.random() < TREMBLE else a
    return out


def _predictions() -> list[list[int | None]]:
    return analysis_params(RingConfig())["predictions"]


def test_simulator_matches_the_games_predictions_without_trembles() -> None:
    preds = _predictions()
    for k in range(1, 5):
        acts = [_planted_action(MATRICES[g], k, p) for g in GAME_LABELS for p in range(4)]
        assert acts == preds[k]


def test_classifier_recovers_planted_types() -> None:
    rng = np.random.default_rng(7)
    types = np.repeat(np.arange(5), 100)
    fit = classify_orders(_simulate(types, rng), _predictions())
    accuracy = float((fit.classified == types).mean())
    assert accuracy >= 0.90, accuracy
    for k in range(5):  # every type, not just on average
        assert (fit.classified[types == k] == k).mean() >= 0.85
    assert abs(fit.epsilon - TREMBLE) < 0.03


def test_random_players_alone_are_r0_at_few_items() -> None:
    """A population of uniformly random players, 16 decisions each (four games), comes out R0:
    the fitted tremble rate stays at or below max_epsilon, so trembling R1 players cannot
    stand in for random ones."""
    rng = np.random.default_rng(3)
    preds = np.asarray(_predictions(), dtype=np.float64)[:, :16]
    actions = rng.integers(1, 4, size=(40, 16)).astype(np.float64)
    fit = classify_orders(actions, preds)
    assert fit.epsilon <= 0.5 + 1e-12
    assert (fit.classified == 0).mean() >= 0.9, fit.classified
    _, est = order_shares(actions, preds, n_boot=20)
    assert est["epsilon"].at_bound and est["R>=1"].value < 0.1
    with pytest.raises(ValueError, match="max_epsilon"):
        classify_orders(actions, preds, max_epsilon=1.0)


def test_bootstrap_intervals_cover_planted_shares() -> None:
    rng = np.random.default_rng(11)
    planted = np.array([0.07, 0.22, 0.27, 0.22, 0.22])  # Kneeland's shares as a design
    types = rng.choice(5, size=300, p=planted)
    fit, est = order_shares(_simulate(types, rng), _predictions(), n_boot=200,
                            rng=np.random.default_rng(3))
    for k in range(5):
        assert est[f"R{k}"].contains(planted[k]), est[f"R{k}"]
    cum = np.cumsum(planted[::-1])[::-1][1:]
    for j in range(1, 5):
        assert est[f"R>={j}"].contains(cum[j - 1]), est[f"R>={j}"]
    assert np.isclose(fit.shares.sum(), 1.0) and np.allclose(fit.cumulative()[0],
                                                             1 - fit.shares[0])


def test_exact_play_is_classified_exactly_with_a_closed_form_likelihood() -> None:
    preds = [[None, None], [1, 2], [1, 3]]
    acts = np.array([[1, 2], [1, 3], [1, 3], [np.nan, 3]])
    fit = classify_orders(acts, preds, epsilon=0.3)
    assert fit.classified.tolist() == [1, 2, 2, 2]
    # subject 1: R1 matches one of two (ε = 0.3): (0.8) (0.1); R2 matches both: 0.8^2
    like = np.array([(1 / 3) ** 2, 0.8 * 0.1, 0.8 ** 2]) * fit.shares
    assert np.allclose(fit.posterior[1], like / like.sum())


def test_orders_from_records_pivots_by_subject_and_item() -> None:
    r = agora.run("ring_network", policy=POLICIES["ring_r2"](), config=RingConfig(),
                  n_instances=2, seed=1, progress=False).records
    params = analysis_params(RingConfig())
    subjects, acts = orders_from_records(r, item_columns=params["item_columns"],
                                         items=params["items"])
    assert subjects.height == 8 and acts.shape == (8, 32) and not np.isnan(acts).any()
    assert (acts == np.array(params["predictions"][2], dtype=float)).all()
    fit = classify_orders(acts, params["predictions"])
    assert (fit.classified == 2).all()


def test_bad_input_fails_in_one_line() -> None:
    with pytest.raises(ValueError, match="same items"):
        classify_orders(np.ones((2, 3)), [[1, 2]])
    with pytest.raises(ValueError, match="no subjects"):
        classify_orders(np.ones((0, 2)), [[1, 2]])
    with pytest.raises(ValueError, match="lack the column"):
        orders_from_records(pl.DataFrame({"action": [1.0]}), item_columns=("g",), items=[[0]])


def test_report_section_recovers_a_scripted_population() -> None:
    from agora.analysis.report import analyse

    mix = [(POLICIES[f"ring_r{k}"](), s) for k, s in enumerate((0.1, 0.2, 0.3, 0.2, 0.2))]
    result = agora.run("ring_network", policy=mix, config=RingConfig(beliefs="explicit"),
                       n_instances=10, seed=4, progress=False)
    report = analyse(result, n_boot=50)
    est = report.estimates
    assert est["rationality_orders.R0"]["value"] == pytest.approx(0.1, abs=0.03)
    for k, s in enumerate((0.2, 0.3, 0.2, 0.2), start=1):
        assert est[f"rationality_orders.R{k}"]["value"] == pytest.approx(s, abs=1e-6)
    assert est["rationality_orders.R>=1"]["value"] == pytest.approx(0.9, abs=0.03)
    tables = {b[1][0]: b[1] for b in report.sections["rationality"].blocks if b[0] == "table"}
    caption = "Orders of rationality (Kneeland-style exclusion restriction)"
    rows = {r[0]: r for r in tables[caption][2]}
    assert rows["R>=2"][-1] == "0.71" and rows["R>=4"][-1] == "0.22"
    by_pos = {b[1][0]: b[1] for b in report.sections["welfare"].blocks if b[0] == "table"}
    play = next(v for c, v in by_pos.items() if c.startswith("Play by position"))
    assert [r[0] for r in play[2]] == [1, 2, 3, 4] and len(play[1]) == 5
    assert "benchmark" not in {b[1][0] for b in report.sections["equilibrium"].blocks
                               if b[0] == "table"}
