"""Response patterns of cyclic 3-action games: closed forms, and planted parameters recovered
from play simulated here with numpy (not by the analysis or the game)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from agora.analysis.response_patterns import (
    conditional_responses,
    cyclic_outcome,
    cyclic_payoffs,
    exploitation_by_round,
    exploitation_scores,
    rounds_to_beat,
    transition_counts,
)


def test_outcomes_and_payoffs_closed_form() -> None:
    own = np.array([1, 2, 0, 0, 1, 2, 0])
    other = np.array([0, 1, 2, 0, 2, 0, 1])
    assert cyclic_outcome(own, other).tolist() == [1, 1, 1, 0, -1, -1, -1]
    assert np.array_equal(cyclic_payoffs(3.0, 1.0, 0.0),
                          [[1, 0, 3], [3, 1, 0], [0, 3, 1]])


def _frame(own: np.ndarray, other: np.ndarray) -> pl.DataFrame:
    """Records of ``(subjects, rounds)`` moves, one instance per subject."""
    s, t = own.shape
    return pl.DataFrame({"instance": np.repeat(np.arange(s), t), "agent": "player_0",
                         "round": np.tile(np.arange(t), s), "action": own.reshape(-1) * 1.0,
                         "other_move": other.reshape(-1) * 1.0})


def test_transition_counts_by_hand() -> None:
    own = np.array([[0, 0, 1, 0]])    # W stay, T up, L down
    other = np.array([[2, 0, 2, 1]])  # rock v scissors: win; rock v rock: tie; paper v S: loss
    c = transition_counts(_frame(own, other))
    expected = np.zeros((1, 3, 3))
    expected[0, 0, 0] = expected[0, 1, 1] = expected[0, 2, 2] = 1
    assert np.array_equal(c, expected)
    r = conditional_responses(_frame(own, other), n_boot=0)
    assert np.allclose(r.pooled, np.eye(3)) and r.subjects == 1
    assert r.win_stay_above == 1.0  # win-stay 1 > lose-stay 0


def _simulate(probs: np.ndarray, subjects: int, rounds: int, seed: int) -> pl.DataFrame:
    """Players whose next move stays / shifts up / shifts down with ``probs[s, outcome]``
    after a win, tie, loss, against uniformly random partners."""
    rng = np.random.default_rng(seed)
    other = rng.integers(0, 3, size=(subjects, rounds))
    own = np.empty_like(other)
    own[:, 0] = rng.integers(0, 3, size=subjects)
    rows = np.arange(subjects)
    for t in range(1, rounds):
        d = (own[:, t - 1] - other[:, t - 1]) % 3  # 1 win, 0 tie, 2 loss
        o = np.select([d == 1, d == 0], [0, 1], 2)
        p = probs[rows, o]
        u = rng.random(subjects)[:, None]
        shift = (u > p.cumsum(axis=1)).sum(axis=1)
        own[:, t] = (own[:, t - 1] + shift) % 3
    return _frame(own, other)


def test_recovers_planted_conditional_responses() -> None:
    planted = np.array([[0.36, 0.365, 0.275], [0.433, 0.233, 0.334], [0.527, 0.248, 0.225]])
    probs = np.broadcast_to(planted, (60, 3, 3))
    r = conditional_responses(_simulate(probs, 60, 300, seed=1), n_boot=200,
                              rng=np.random.default_rng(2))
    assert np.abs(r.pooled - planted).max() < 0.02
    assert np.abs(r.subject_mean - planted).max() < 0.02
    assert ((r.pooled_low <= planted) & (planted <= r.pooled_high)).mean() >= 7 / 9
    assert (r.pooled_high - r.pooled_low).max() < 0.06
    assert r.transitions.sum() == 60 * 299


def test_recovers_share_of_win_stay_above_lose_stay() -> None:
    ws = np.array([[0.8, 0.1, 0.1], [1 / 3, 1 / 3, 1 / 3], [0.2, 0.4, 0.4]])
    ls = np.array([[0.2, 0.4, 0.4], [1 / 3, 1 / 3, 1 / 3], [0.8, 0.1, 0.1]])
    kinds = np.array([ws] * 12 + [ls] * 28)  # planted share 12 / 40 = 0.3
    r = conditional_responses(_simulate(kinds, 40, 200, seed=3), n_boot=300,
                              rng=np.random.default_rng(4))
    assert r.win_stay_above == pytest.approx(0.3)
    lo, hi = r.win_stay_above_ci
    assert lo < 0.3 < hi
    assert r.subject_mean[0, 0] == pytest.approx(0.3 * 0.8 + 0.7 * 0.2, abs=0.03)


def _exploit_frame(own: np.ndarray, mixes: np.ndarray) -> pl.DataFrame:
    """``(subjects, rounds)`` agent moves against partners with move distributions
    ``mixes`` ``(subjects, rounds, 3)``; one pair per instance, agent in seat 0."""
    s, t = own.shape
    inst, rnd = np.repeat(np.arange(s), t), np.tile(np.arange(t), s)
    agent = pl.DataFrame({"instance": inst, "round": rnd, "seat": 0.0, "partner": 1.0,
                          "action": own.reshape(-1) * 1.0, "mixed_0": None, "mixed_1": None,
                          "mixed_2": None}, schema_overrides={f"mixed_{m}": pl.Float64
                                                              for m in range(3)})
    q = mixes.reshape(-1, 3)
    partner = pl.DataFrame({"instance": inst, "round": rnd, "seat": 1.0, "partner": 0.0,
                            "action": q.argmax(1) * 1.0, "mixed_0": q[:, 0],
                            "mixed_1": q[:, 1], "mixed_2": q[:, 2]})
    return pl.concat([agent, partner])


def test_exploitation_scores_closed_form() -> None:
    a = 2.0
    mixes = np.array([[[1, 0, 0], [1, 0, 0], [1, 0, 0], [0.5, 0.25, 0.25]]], dtype=float)
    own = np.array([[1, 0, 2, 0]])  # win, tie, loss against rock; rock against the mixture
    s = exploitation_scores(_exploit_frame(own, mixes), win=a).filter(pl.col("seat") == 0)
    s = s.sort("round")
    best_mix = a * 0.5 + 0.25  # paper against (1/2, 1/4, 1/4)
    rock_mix = a * 0.25 + 0.5
    assert np.allclose(s["score"].to_numpy(), [1.0, 1 / a, 0.0, rock_mix / best_mix])
    assert np.allclose(s["best"].to_numpy(), [a, a, a, best_mix])
    with pytest.raises(ValueError, match="no partner recorded"):
        exploitation_scores(_exploit_frame(own, mixes).filter(pl.col("seat") == 0), win=a)


def test_recovers_planted_learning_rounds() -> None:
    """Subjects play a non-best response until their planted round k, the best response from
    then on: rounds_to_beat recovers k exactly and the by-round curve steps up."""
    rng = np.random.default_rng(7)
    s, t = 30, 40
    k = rng.integers(0, 25, size=s)
    pattern = rng.integers(0, 3, size=(s, t))  # a deterministic partner's moves
    mixes = np.eye(3)[pattern]
    best = (pattern + 1) % 3
    wrong = (pattern + 2 * rng.integers(0, 2, size=(s, t))) % 3  # tie or loss
    own = np.where(np.arange(t)[None, :] >= k[:, None], best, wrong)
    scores = exploitation_scores(_exploit_frame(own, mixes), win=3.0)
    agent = scores.filter(pl.col("seat") == 0)
    b = rounds_to_beat(agent, threshold=1.0).sort("instance")
    assert b["rounds_needed"].to_list() == k.tolist()
    curve = exploitation_by_round(agent, n_boot=50, rng=np.random.default_rng(0))
    learnt = np.array([(k <= r).mean() for r in range(t)])
    assert np.all(curve.mean >= learnt - 1e-12)  # wrong moves score 0 or 1/3, never more
    assert curve.mean[-1] == pytest.approx(1.0)


def test_rounds_to_beat_never_and_immediately() -> None:
    f = pl.DataFrame({"instance": [0, 0, 0, 1, 1, 1], "seat": 0.0, "round": [0, 1, 2] * 2,
                      "score": [1.0, 0.2, 0.5, 1.0, 1.0, 1.0]})
    b = rounds_to_beat(f, threshold=0.95).sort("instance")
    assert b["rounds_needed"].to_list() == [None, 0]
    assert b["rounds"].to_list() == [3, 3]


def test_rounds_to_beat_min_rounds_discounts_a_lucky_last_round() -> None:
    f = pl.DataFrame({"instance": [0] * 5 + [1] * 5, "seat": 0.0, "round": list(range(5)) * 2,
                      "score": [0.2, 0.3, 0.1, 0.4, 1.0, 0.2, 1.0, 1.0, 1.0, 1.0]})
    assert rounds_to_beat(f, threshold=0.95).sort("instance")["rounds_needed"].to_list() \
        == [4, 1]
    strict = rounds_to_beat(f, threshold=0.95, min_rounds=3).sort("instance")
    assert strict["rounds_needed"].to_list() == [None, 1]
    with pytest.raises(ValueError, match="min_rounds"):
        rounds_to_beat(f, min_rounds=0)
