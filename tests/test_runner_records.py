"""Runner: determinism, policy mixtures, one act per policy per step, legality, record columns."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

import agora
from agora.engine.batch import DecisionBatch, Decisions
from agora.engine.runner import IllegalActionError, Runner, assign_exact
from agora.engine.streams import Streams
from agora.policies import (
    CognitiveHierarchyPolicy,
    EquilibriumPolicy,
    FixedPolicy,
    LevelKPolicy,
    Policy,
    RandomPolicy,
)

BASE = ["run_id", "game", "instance", "round", "step", "agent", "role", "policy", "persona_id",
        "action", "reward"]


class Counting(Policy):
    """Wraps a policy and records every batch it is asked to act on."""

    def __init__(self, inner: Policy, name: str) -> None:
        self.inner, self.name = inner, name
        self.calls: list[tuple[int, int]] = []  # (runner step, batch size)

    def act(self, batch: DecisionBatch, rng: Streams) -> Decisions:
        self.calls.append((batch.step, len(batch)))
        return self.inner.act(batch, rng)

    def describe(self) -> dict[str, Any]:
        return {"kind": "counting", "inner": self.inner.describe()}


class Constant(Policy):
    """Returns a raw value without validating it."""

    def __init__(self, value: float, n: int | None = None) -> None:
        self.value, self.n, self.name = value, n, f"constant({value})"

    def act(self, batch: DecisionBatch, rng: Streams) -> Decisions:
        return Decisions(actions=np.full(len(batch) if self.n is None else self.n, self.value))


def _run(game: str = "p_beauty", seed: int = 0, **kw: Any) -> pl.DataFrame:
    kw.setdefault("policy", RandomPolicy())
    kw.setdefault("n_instances", 6)
    return agora.run(game, seed=seed, progress=False, **kw).records


# ------------------------------------------------------------------ determinism
@pytest.mark.parametrize("game", ["p_beauty", "dictator"])
def test_same_seed_identical_records_other_seed_different(game: str) -> None:
    policy = [(RandomPolicy(), 0.5), (CognitiveHierarchyPolicy(tau=1.5), 0.5)]
    first = _run(game, seed=3, policy=policy, rounds=3)
    assert_frame_equal(first, _run(game, seed=3, policy=policy, rounds=3))
    other = _run(game, seed=4, policy=policy, rounds=3)
    assert first.shape == other.shape
    assert not first["action"].equals(other["action"])


def test_seed_and_size_validated() -> None:
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        Runner("p_beauty", policy=RandomPolicy(), seed=-1)
    with pytest.raises(ValueError, match="n_instances must be an integer >= 1"):
        Runner("p_beauty", policy=RandomPolicy(), n_instances=0)
    with pytest.raises(ValueError, match="shares must be non-negative"):
        Runner("p_beauty", policy=[(RandomPolicy(), -1.0), (RandomPolicy(), 2.0)])
    with pytest.raises(TypeError, match="sequence of"):
        Runner("p_beauty", policy=[RandomPolicy()])  # type: ignore[list-item]


def test_run_rejects_config_and_fields_together() -> None:
    from games.p_beauty import PBeautyConfig

    with pytest.raises(ValueError, match="either config= or game config fields"):
        agora.run("p_beauty", policy=RandomPolicy(), config=PBeautyConfig(), p=0.5)
    rec = agora.run("p_beauty", policy=EquilibriumPolicy(), config=PBeautyConfig(n_players=3),
                    progress=False).records
    assert rec.height == 3


# ------------------------------------------------------------------ mixtures and act calls
@pytest.mark.parametrize(("shares", "seats", "expected"), [
    ((0.8, 0.2), 200, (160, 40)),
    ((1 / 3, 1 / 3, 1 / 3), 10, (4, 3, 3)),  # largest remainder: the first gets the spare
    ((0.25, 0.75), 12, (3, 9)),
])
def test_policy_mixture_gets_exact_shares(shares: tuple[float, ...], seats: int,
                                          expected: tuple[int, ...]) -> None:
    n_players = 2
    policies = [(Counting(RandomPolicy(), f"p{i}"), s) for i, s in enumerate(shares)]
    rec = _run(policy=policies, n_instances=seats // n_players, n_players=n_players, rounds=2)
    first_round = rec.filter(pl.col("round") == 0)
    counts = first_round.group_by("policy").len().sort("policy")
    assert counts["len"].to_list() == list(expected)
    # a seat keeps its policy in every round
    per_seat = rec.group_by("instance", "agent").agg(pl.col("policy").n_unique())
    assert per_seat["policy"].max() == 1


def test_assign_exact_counts_and_shuffles() -> None:
    a = assign_exact(np.array([0.5, 0.3, 0.2]), (10, 10), np.random.default_rng(0))
    assert np.bincount(a.ravel()).tolist() == [50, 30, 20]
    b = assign_exact(np.array([0.5, 0.3, 0.2]), (10, 10), np.random.default_rng(1))
    assert not np.array_equal(a, b)


def test_act_called_once_per_policy_per_step() -> None:
    a, b = Counting(RandomPolicy(), "a"), Counting(LevelKPolicy(2), "b")
    rounds, n_instances, n_players = 4, 7, 5
    _run(policy=[(a, 0.4), (b, 0.6)], n_instances=n_instances, n_players=n_players,
         rounds=rounds)
    assert [s for s, _ in a.calls] == list(range(rounds))
    assert [s for s, _ in b.calls] == list(range(rounds))
    assert {n for _, n in a.calls} == {14} and {n for _, n in b.calls} == {21}


def test_dictator_policies_see_only_dictators() -> None:
    pol = Counting(RandomPolicy(), "c")
    rec = _run("dictator", policy=pol, n_instances=9, rounds=3, rotate_roles=True)
    assert pol.calls == [(0, 9), (1, 9), (2, 9)]
    assert rec["role"].unique().to_list() == ["dictator"]
    agents = rec.group_by("round").agg(pl.col("agent").unique()).sort("round")
    assert [a.to_list() for a in agents["agent"]] == [["player_0"], ["player_1"], ["player_0"]]


# ------------------------------------------------------------------ illegal actions
@pytest.mark.parametrize(("value", "game", "config"), [
    (150.0, "p_beauty", {}),
    (33.5, "p_beauty", {}),
    (float("nan"), "p_beauty", {"integer": False}),
    (-1.0, "dictator", {}),
    (0.25, "dictator", {"step": 0.5}),
])
def test_illegal_actions_raise(value: float, game: str, config: dict[str, Any]) -> None:
    with pytest.raises(IllegalActionError, match="outside the game's action spec"):
        _run(game, policy=Constant(value), **config)


def test_wrong_number_of_actions_raises() -> None:
    with pytest.raises(TypeError, match="must return Decisions with 60 actions"):
        _run(policy=Constant(1.0, n=3))


def test_fixed_policy_errors_before_the_runner_sees_the_action() -> None:
    from agora.engine.action_spec import InvalidActionError

    with pytest.raises(InvalidActionError, match="outside"):
        _run(policy=FixedPolicy(101))


# ------------------------------------------------------------------ record columns
def test_documented_columns_in_order() -> None:
    rec = _run(policy=[(RandomPolicy(), 0.5), (CognitiveHierarchyPolicy(), 0.5)], rounds=2)
    assert rec.columns[: len(BASE)] == BASE
    assert {"mean", "target", "won", "n_winners", "ch_step"} <= set(rec.columns)
    assert rec.height == 6 * 10 * 2
    assert rec["game"].unique().to_list() == ["p_beauty"]
    assert rec["run_id"].n_unique() == 1 and rec["run_id"][0].startswith("p_beauty-")
    assert rec["persona_id"].null_count() == rec.height
    assert rec["step"].to_list() == rec["round"].to_list()
    # ch_step is only filled for the CH seats
    ch = rec.filter(pl.col("policy") == "ch(tau=1.5)")
    assert ch["ch_step"].null_count() == 0
    assert rec.filter(pl.col("policy") == "random")["ch_step"].null_count() == rec.height // 2


def test_p_beauty_target_is_p_times_instance_mean() -> None:
    p = 0.7
    rec = _run(policy=RandomPolicy(), p=p, rounds=3, n_players=4, integer=False)
    check = (rec.group_by("instance", "round")
             .agg((pl.col("action").mean() * p).alias("expected"),
                  pl.col("target").unique().alias("targets")))
    assert check.height == 6 * 3
    for expected, targets in zip(check["expected"], check["targets"], strict=True):
        assert len(targets) == 1 and targets[0] == pytest.approx(expected)
    # winner-takes-prize: each instance-round pays out the prize exactly once
    paid = rec.group_by("instance", "round").agg(pl.col("reward").sum())
    np.testing.assert_allclose(paid["reward"].to_numpy(), 1.0)
    # the winners are the guesses closest to the target
    closest = rec.with_columns((pl.col("action") - pl.col("target")).abs().alias("d")).with_columns(
        (pl.col("d") <= pl.col("d").min().over("instance", "round") + 1e-9).alias("closest"))
    assert closest["closest"].to_list() == closest["won"].to_list()


def test_dictator_rewards_follow_endowments() -> None:
    rec = _run("dictator", policy=RandomPolicy(), n_instances=40, variant="take",
               take_bound=3, recipient_endowment=4, endowment=12, rounds=2)
    np.testing.assert_allclose(rec["reward"].to_numpy(), 12 - rec["action"].to_numpy())
    np.testing.assert_allclose(rec["recipient_payoff"].to_numpy(), 4 + rec["action"].to_numpy())
    np.testing.assert_allclose(rec["share_given"].to_numpy(), rec["action"].to_numpy() / 12)
    assert rec["action"].min() < 0  # some take


def test_personas_are_recorded_and_joined() -> None:
    ids = np.array([[0, 1, -1], [2, 0, 1]])
    table = pl.DataFrame({"persona_id": [0, 1, 2], "age": [30, 40, 50]})
    personas = agora.Personas(ids=ids, texts=["a", "b", "c"], table=table)
    rec = agora.run("p_beauty", policy=RandomPolicy(), n_instances=2, n_players=3,
                    personas=personas, progress=False).records.sort("instance", "agent")
    assert rec["persona_id"].to_list() == [0, 1, None, 2, 0, 1]
    assert rec["age"].to_list() == [30, 40, None, 50, 30, 40]
    with pytest.raises(ValueError, match=r"personas.ids must have shape \(2, 3\)"):
        Runner("p_beauty", {"n_players": 3}, policy=RandomPolicy(), n_instances=2,
               personas=agora.Personas(ids=np.zeros((3, 3)), texts=[]))


def test_policy_columns_and_telemetry() -> None:
    class Annotating(Policy):
        name = "annotating"

        def act(self, batch: DecisionBatch, rng: Streams) -> Decisions:
            return Decisions(actions=np.zeros(len(batch)),
                             columns={"note": [f"i{m}" for m in batch.instances]})

    result = agora.run("p_beauty", policy=[(Annotating(), 0.5), (RandomPolicy(), 0.5)],
                       n_instances=4, progress=False)
    rec = result.records
    notes = rec.filter(pl.col("policy") == "annotating")
    assert notes["note"].to_list() == [f"i{m}" for m in notes["instance"]]
    assert rec.filter(pl.col("policy") == "random")["note"].null_count() == 20
    tel = result.telemetry
    assert tel["decisions"] == 40 and tel["steps"] == 1
    assert tel["wall_s"] >= tel["policy_s"] >= 0
    assert result.manifest["status"] == "complete" and result.out is None


def test_duplicate_policy_names_are_made_unique() -> None:
    rec = _run(policy=[(LevelKPolicy(1), 0.5), (LevelKPolicy(1), 0.5)])
    assert sorted(rec["policy"].unique().to_list()) == ["level_1", "level_1#2"]
