"""The ring-network game: matrices against brute force, the kernel's matching and payoffs, the
scripted orders R0-R4 in the three belief modes, hooks and prompts."""

from __future__ import annotations

import itertools

import numpy as np
import polars as pl
import pytest

import agora
from agora.policies.scripted import EquilibriumPolicy
from agora.testing import check_game
from games.ring_network import POLICIES, RingConfig, RingKernel, analysis_params
from games.ring_network import theory as th
from games.ring_network.games import GAME_LABELS, MATRICES, PAIRS
from games.ring_network.hooks import kneeland_reference


def _payoff(u: np.ndarray, profile: tuple[int, ...], p: int) -> float:
    return float(u[p, profile[p], profile[(p + 1) % 4]])


def _iterated_elimination(u: np.ndarray) -> list[list[int]]:
    """Iterated elimination of strictly dominated pure actions on the full 4-player game
    (domination by pure actions and by 1/100-grid mixtures of two actions)."""
    alive = [[0, 1, 2] for _ in range(4)]
    changed = True
    while changed:
        changed = False
        for p in range(4):
            others = [alive[q] if q != p else [0] for q in range(4)]
            profiles = list(itertools.product(*others))

            def pay(a: int, profs: list[tuple[int, ...]] = profiles, p: int = p) -> np.ndarray:
                return np.array([_payoff(u, (*pr[:p], a, *pr[p + 1:]), p) for pr in profs])

            for a in list(alive[p]):
                rest = [b for b in alive[p] if b != a]
                mixes = [pay(b) for b in rest]
                mixes += [w * pay(b) + (1 - w) * pay(c) for b, c in
                          itertools.combinations(rest, 2) for w in np.linspace(0, 1, 101)]
                if any((m > pay(a)).all() for m in mixes):
                    alive[p].remove(a)
                    changed = True
    return alive


@pytest.mark.parametrize("label", GAME_LABELS)
def test_structure_and_unique_iterated_dominance_profile(label: str) -> None:
    u = MATRICES[label]
    assert u.shape == (4, 3, 3)
    assert th.strictly_dominant(u[3]) is not None
    for p in range(3):  # players 1-3: every action is the unique best response to a column
        assert th.strictly_dominant(u[p]) is None
        assert sorted(th.best_response(u[p], c) for c in range(3)) == [0, 1, 2]
    survivors = _iterated_elimination(u)
    assert all(len(s) == 1 for s in survivors)
    ne = th.nash_profile(u)
    assert [s[0] for s in survivors] == ne.tolist()
    pure_ne = [pr for pr in itertools.product(range(3), repeat=4)
               if all(_payoff(u, pr, p) >= max(_payoff(u, (*pr[:p], b, *pr[p + 1:]), p)
                                               for b in range(3)) for p in range(4))]
    assert pure_ne == [tuple(ne.tolist())]


@pytest.mark.parametrize(("base", "transformed"), PAIRS)
def test_transformation_changes_one_matrix_and_exactly_the_intended_orders(
        base: str, transformed: str) -> None:
    g, t = MATRICES[base], MATRICES[transformed]
    changed = [p for p in range(4) if not np.array_equal(g[p], t[p])]
    assert changed == [3]
    pg, pt = th.predictions(g), th.predictions(t)
    assert (pg[0] == -1).all() and (pt[0] == -1).all()
    for p in range(4):
        moved = {k for k in range(1, 5) if pg[k, p] != pt[k, p]}
        assert moved == set(range(th.depth(p), 5)), (p, moved)
        for k in range(1, th.depth(p)):  # beyond depth: differs from both equilibria
            assert pg[k, p] not in (pg[4, p], pt[4, p])


def test_order_actions_by_brute_force_belief_chains() -> None:
    for label in GAME_LABELS:
        u = MATRICES[label]
        for p, k in itertools.product(range(4), range(1, 5)):
            # brute force: the chain's last believed-rational player faces a uniform next
            # player, unless the chain reaches player 4 (dominant action, whatever the belief)
            steps = min(k, 4 - p)
            q = p + steps - 1
            exp = [np.mean([u[q, a, b] for b in range(3)]) for a in range(3)]
            act = int(np.argmax(exp)) if q < 3 else int(np.argmax(u[3].min(axis=1)))
            for r in range(q - 1, p - 1, -1):
                act = int(np.argmax([u[r, a, act] for a in range(3)]))
            assert th.order_action(u, k, p) == act


def test_payoffs_hook_and_theory() -> None:
    u = MATRICES["G3"]
    prof = np.array([[0, 1, 2, 0], [2, 2, 2, 2]])
    expect = [[u[0, 0, 1], u[1, 1, 2], u[2, 2, 0], u[3, 0, 0]], [u[p, 2, 2] for p in range(4)]]
    assert np.array_equal(th.payoffs(u, prof), expect)
    hooks = RingKernel.hooks
    assert hooks.payoffs(RingConfig(), prof + 1) is None
    one = RingConfig(games=("G3",), rotate=False)
    assert np.array_equal(hooks.payoffs(one, prof + 1), expect)


def _run(policy: str, n: int = 3, seed: int = 1, **cfg: object) -> pl.DataFrame:
    result = agora.run("ring_network", policy=POLICIES[policy](), config=RingConfig(**cfg),
                       n_instances=n, seed=seed, progress=False)
    return result.records


def test_every_seat_plays_every_position_of_every_game_and_is_paid_by_the_matrix() -> None:
    r = _run("ring_r0", n=4, order="random")
    assert r.height == 4 * 4 * 32
    per = r.group_by(["instance", "agent"]).agg(pl.struct("ring_game", "position").n_unique())
    assert per["ring_game"].to_list() == [32] * 16
    for row in r.iter_rows(named=True):
        u = MATRICES[GAME_LABELS[int(row["ring_game"])]]
        p = int(row["position"]) - 1
        assert row["reward"] == u[p, int(row["action"]) - 1, int(row["next_action"]) - 1]
    # the next player's action is what the seat in the next position chose that round
    key = ["instance", "round", "position"]
    nxt = r.select(*key, pl.col("action").alias("chosen")).with_columns(
        ((pl.col("position") - 2) % 4 + 1).alias("position"))
    joined = r.join(nxt, on=key)
    assert (joined["next_action"] == joined["chosen"]).all()
    orders = r.filter(pl.col("position") == 1).sort("round").group_by(
        "instance", maintain_order=True).agg(pl.col("ring_game").unique(maintain_order=True))
    seqs = {tuple(s) for s in orders["ring_game"].to_list()}
    assert all(sorted(s) == list(range(8)) for s in seqs) and len(seqs) > 1
    fixed = _run("ring_r0", n=2)
    first = fixed.filter(pl.col("position") == 1).sort("round")["ring_game"].unique(
        maintain_order=True).to_list()
    assert first == list(range(8))


@pytest.mark.parametrize("k", range(1, 5))
def test_scripted_orders_play_their_predictions(k: int) -> None:
    r = _run(f"ring_r{k}", beliefs="explicit")
    table = th.prediction_table(GAME_LABELS)
    for row in r.iter_rows(named=True):
        g, p = int(row["ring_game"]), int(row["position"]) - 1
        assert row["action"] == table[k, g, p] + 1
        u = MATRICES[GAME_LABELS[g]]
        b = th.order_belief(u, k, p)
        if b >= 0:
            assert row["belief"] == b + 1
        assert 1 <= row["belief"] <= 3 and np.isnan(row["given_belief"])
    assert (r["at_nash"] == (r["action"] == r["nash"]).cast(pl.Float64)).all()
    if k >= 2:  # acts on the belief it states
        assert (r["br_to_belief"] == 1).all()
    if k == 4:  # ... which is the next player's equilibrium action (but as player 4)
        assert (r.filter(pl.col("position") < 4)["belief_nash"] == 1).all()
    given = _run(f"ring_r{k}", beliefs="given")
    assert (given["action"] == given["nash"]).all() and (given["br_to_belief"] == 1).all()
    assert given["belief_nash"].is_nan().all()
    assert given["given_belief"].is_between(1, 3).all() and given["belief"].is_nan().all()


def test_r0_is_uniform_and_equilibrium_policy_plays_nash() -> None:
    r = _run("ring_r0", n=30)
    shares = r["action"].value_counts(normalize=True).sort("action")["proportion"].to_numpy()
    assert np.allclose(shares, 1 / 3, atol=0.03)
    eq = agora.run("ring_network", policy=EquilibriumPolicy(),
                   config=RingConfig(beliefs="explicit"), n_instances=2, seed=3,
                   progress=False).records
    assert (eq["action"] == eq["nash"]).all()


def test_conformance_configs_pass() -> None:
    for cfg in RingKernel.conformance_configs:
        check_game("ring_network", **cfg)


@pytest.mark.parametrize(("field", "value", "match"), [
    ("beliefs", "loud", "beliefs must be one of"), ("order", "shuffled", "order must be"),
    ("games", ("G9",), "unknown game"), ("games", (), "at least one"),
    ("games", ("G1", "G1"), "distinct")])
def test_config_errors(field: str, value: object, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        RingConfig(**{field: value})


def test_prompts_and_analysis_params() -> None:
    k = RingKernel(RingConfig(beliefs="given"), 1, np.random.default_rng(0))
    rules = {k.prompts.rules(k.config, "player") for _ in range(4)}
    assert len(rules) == 1
    obs = k.observe(0, 2)
    text = k.prompts.situation(k.config, obs)
    assert "You are player 3" in text and "player 4 chooses" in text
    assert f"Player 4 will choose action {int(th.nash_profile(MATRICES['G1'])[3]) + 1}" in text
    spec = k.action_spec(0)
    assert k.prompts.answer_instruction(spec).startswith('Answer with JSON only, in the form {"')
    ex = RingKernel(RingConfig(beliefs="explicit"), 1, np.random.default_rng(0))
    assert '"belief"' in ex.prompts.answer_instruction(ex.action_spec(0))
    params = analysis_params(RingConfig())
    assert len(params["items"]) == 32 and len(params["predictions"]) == 5
    assert params["predictions"][0] == [None] * 32
    ref = kneeland_reference()
    assert ref["cumulative"] == [0.93, 0.71, 0.44, 0.22] and "econometricsociety" in ref["source"]
