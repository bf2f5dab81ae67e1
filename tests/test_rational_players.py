"""Scoring functions of experiments/rational_players against hand-worked cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from experiments.rational_players_scoring import (
    PREFERENCES,
    acts_on_belief,
    belief_accuracy,
    best_responses,
    block_means,
    consistent_with,
    implied_transfers,
    transfer_grid,
)


def test_implied_transfers_by_hand() -> None:
    # endowment 12, nothing for the recipient: keep all, split 6/6, give all, give 8 (4 vs 8)
    assert implied_transfers("self-interest", 12.0).tolist() == [0.0]
    assert implied_transfers("equality", 12.0).tolist() == [6.0]
    assert implied_transfers("altruism", 12.0).tolist() == [12.0]
    assert implied_transfers("two-to-one for the other", 12.0).tolist() == [8.0]
    # recipient holds 4: equality needs (12 - 4) / 2 = 4; two-to-one: 12 - x = (4 + x) / 2 -> 20/3
    # is off the grid; |4 + x - 2 (12 - x)| = |3x - 20| is smallest at x = 7 (1) not 6 (2)
    assert implied_transfers("equality", 12.0, recipient_endowment=4.0).tolist() == [4.0]
    assert implied_transfers("two-to-one for the other", 12.0,
                             recipient_endowment=4.0).tolist() == [7.0]
    # odd endowment on a unit grid: equality ties between 2 and 3 of 5
    assert implied_transfers("equality", 5.0).tolist() == [2.0, 3.0]


def test_consistency_of_allocations() -> None:
    x = np.array([0.0, 6.0, 8.0, 12.0, np.nan])
    assert consistent_with("self-interest", x, endowment=12.0)[:4].tolist() == [1, 0, 0, 0]
    assert consistent_with("equality", x, endowment=12.0)[:4].tolist() == [0, 1, 0, 0]
    assert consistent_with("two-to-one for the other", x, endowment=12.0)[:4].tolist() == [
        0, 0, 1, 0]
    assert consistent_with("altruism", x, endowment=12.0)[:4].tolist() == [0, 0, 0, 1]
    assert math.isnan(consistent_with("altruism", x, endowment=12.0)[4])
    # ties: both 2 and 3 are equal-enough splits of 5, 2.5 is off the unit grid
    assert consistent_with("equality", [2.0, 3.0, 2.5], endowment=5.0).tolist() == [1, 1, 0]
    # half steps: 2.5 is the equal split
    assert consistent_with("equality", [2.5, 2.0], endowment=5.0, step=0.5).tolist() == [1, 0]
    with pytest.raises(KeyError):
        consistent_with("spite", [0.0], endowment=10.0)


def test_preferences_differ_and_grid_is_checked() -> None:
    implied = {n: tuple(implied_transfers(n, 12.0)) for n in PREFERENCES}
    assert len(set(implied.values())) == len(PREFERENCES)
    assert [p.common for p in PREFERENCES.values()] == [True, True, True, False]
    assert transfer_grid(3.0, min_transfer=-2.0).tolist() == [-2, -1, 0, 1, 2, 3]
    with pytest.raises(ValueError):
        transfer_grid(0.0)


def test_block_means() -> None:
    scores = np.array([0, 0, 1, 0, 1, 1, 1, 1, 1, 1], dtype=float)
    assert block_means(scores, np.arange(1, 11), 5) == {1: 0.4, 6: 1.0}
    assert block_means(scores, np.arange(1, 11), 4) == {1: 0.25, 5: 1.0, 9: 1.0}
    # rounds 7..9 in blocks of 2: blocks start at 7 and 9
    assert block_means(np.array([1.0, 0.0, 0.5]), np.array([7, 8, 9]), 2) == {7: 0.5, 9: 0.5}
    with pytest.raises(ValueError):
        block_means(scores, np.arange(0, 10), 5)


def test_belief_accuracy_and_best_response_to_a_stated_belief() -> None:
    assert belief_accuracy(np.array([0, 1, 2, np.nan]),
                           np.array([0, 2, 2, 1])).tolist()[:3] == [1, 0, 1]
    assert math.isnan(belief_accuracy(np.array([np.nan]), np.array([1]))[0])
    # own x other payoffs: against 0 the best is own 2, against 1 own 0 or 1 tie, against 2 own 1
    m = np.array([[1, 5, 0],
                  [2, 5, 9],
                  [7, 3, 4]], dtype=float)
    assert best_responses(m, 0).tolist() == [2]
    assert best_responses(m, 1).tolist() == [0, 1]
    assert best_responses(m, 2).tolist() == [1]
    got = acts_on_belief([m, m, m, m], np.array([0, 1, 2, np.nan]), np.array([2, 1, 0, 1]))
    assert got[:3].tolist() == [1, 1, 0] and math.isnan(got[3])
    with pytest.raises(ValueError):
        best_responses(m, 3)


def test_match_scores_of_planted_players() -> None:
    import agora
    from agora.engine.by_role import ByRolePolicy
    from experiments.rational_players_beliefs import PatternBlocks, _matrix, match_scores
    from games.rock_paper_scissors import POLICIES

    # paper against always-rock wins every round: score 1; the uniform player expects
    # (a + 1)/3 = 1 of the best 2 -> 0.5
    res = agora.run("rock_paper_scissors", policy=ByRolePolicy(
        agent=POLICIES["rps_constant_paper"](), opponent=POLICIES["rps_constant_rock"]()),
        n_instances=3, rounds=6, progress=False, win=2.0)
    scored = match_scores(res.records, win=2.0)
    assert scored.height == 18 and np.all(scored["score"].to_numpy() == 1.0)
    assert np.allclose(scored["uniform"].to_numpy(), 0.5)
    # pattern blocks: instances 0-1 meet always-rock (paper wins: 1), 2-3 always-paper (paper
    # ties: 1/2 of the best 2), 4-5 always-scissors (paper loses: 0)
    opp = PatternBlocks(("rps_constant_rock", "rps_constant_paper", "rps_constant_scissors"), 2)
    res = agora.run("rock_paper_scissors", policy=ByRolePolicy(
        agent=POLICIES["rps_constant_paper"](), opponent=opp), n_instances=6, rounds=4,
        progress=False, win=2.0)
    scored = match_scores(res.records, win=2.0)
    for j, want in enumerate((1.0, 0.5, 0.0)):
        m = _matrix(scored, "score", j, 2)
        assert m.shape == (2, 4) and np.all(m == want), (j, m)


@pytest.mark.parametrize("k", [1, 3, 4])
def test_ring_scoring_recovers_planted_orders(k: int) -> None:
    import agora
    from experiments.rational_players_ring import decision_table, nash_by_position
    from games.ring_network import POLICIES

    res = agora.run("ring_network", policy=POLICIES[f"ring_r{k}"](), n_instances=1,
                    progress=False, beliefs="explicit")
    d = decision_table(res.records)
    by_pos = nash_by_position(d)
    # an Rk player plays the iterated-dominance action exactly in positions 5 - k .. 4
    for p in range(1, 5):
        assert np.all(by_pos[p] == (1.0 if p >= 5 - k else 0.0)), (k, p, by_pos[p])
    # where its reasoning reaches the next player (k >= 2, positions 5 - k .. 3) its stated
    # belief is the next player's iterated-dominance action and it best-responds to it
    reach = (d["position"] >= 5 - k) & (d["position"] <= 3)
    assert np.all(belief_accuracy(d["belief"], d["next_nash"])[reach] == 1.0)
    if k >= 2:
        assert np.all(acts_on_belief(d["payoff"], d["belief"], d["action"]) == 1.0)
