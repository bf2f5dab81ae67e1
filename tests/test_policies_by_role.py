"""ByRolePolicy and owner dispatch (the engine's shared seating) and the policy-kind registry."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from polars.testing import assert_frame_equal

import games.tax_planner as tax
from agora.engine.batch import DecisionBatch, Decisions
from agora.engine.by_role import ByRolePolicy, act_by_owner
from agora.engine.policy import Policy
from agora.engine.runner import Runner
from agora.engine.streams import Streams
from agora.policies import make_policy
from agora.policies.llm_policy import LLMPolicy
from agora.policies.registry import BUILTIN_KINDS, LLM_KINDS, POLICY_KINDS
from agora.policies.scripted import FixedPolicy, RandomPolicy


class Tagged(Policy):
    """Plays a fixed value and tags each decision with its name and batch size."""

    def __init__(self, value: float, name: str) -> None:
        self.value, self.name, self.calls = value, name, 0

    def act(self, batch: DecisionBatch, rng: Streams) -> Decisions:
        self.calls += 1
        n = len(batch)
        return Decisions(actions=np.full(n, self.value),
                         columns={"who": [self.name] * n, "size": np.full(n, n)})


def _batch(n_instances: int = 3) -> DecisionBatch:
    runner = Runner("dictator", {"rounds": 1}, policy=RandomPolicy(), n_instances=n_instances,
                    progress=False)
    k = runner.kernel
    inst, players = k.pending()
    return DecisionBatch(kernel=k, instances=inst, players=players,
                         rounds=k.round[inst].copy(), roles=k.role_index(inst, players),
                         persona_ids=np.full(inst.size, -1))


def test_act_by_owner_calls_each_owner_once_on_its_decisions() -> None:
    batch = _batch()
    a, b = Tagged(1.0, "a"), Tagged(2.0, "b")
    owner = np.arange(len(batch)) % 2
    out = act_by_owner(batch, Streams.from_seed(0, len(batch)), owner, [a, b],
                       names=["a", "b"])
    assert (a.calls, b.calls) == (1, 1)
    np.testing.assert_array_equal(out.actions, np.where(owner == 0, 1.0, 2.0))
    assert out.columns["who"].tolist() == ["a" if o == 0 else "b" for o in owner]
    whole = act_by_owner(batch, Streams.from_seed(0, len(batch)), np.zeros(len(batch), int),
                         [a], names=["a"])
    assert whole.columns["size"].dtype == np.int64  # one owner: columns kept as returned
    widened = act_by_owner(batch, Streams.from_seed(0, len(batch)),
                           np.zeros(len(batch), int), [a], names=["a"], object_columns=True)
    assert widened.columns["size"].dtype == object


def test_act_by_owner_refuses_a_short_answer() -> None:
    class Short(Tagged):
        def act(self, batch: DecisionBatch, rng: Streams) -> Decisions:
            return Decisions(actions=np.zeros(len(batch) - 1))

    batch = _batch()
    with pytest.raises(TypeError, match="'short' must return Decisions with 3 actions"):
        act_by_owner(batch, Streams.from_seed(0, len(batch)), np.zeros(len(batch), int),
                     [Short(0.0, "short")], names=["short"])


def test_by_role_policy_seats_one_policy_per_role() -> None:
    roles = ByRolePolicy(dictator=FixedPolicy(3.0), recipient=RandomPolicy())
    assert roles.name == "dictator:fixed(3)+recipient:random"
    assert roles.describe()["dictator"] == {"kind": "fixed", "value": 3.0}
    rec = Runner("dictator", {"rounds": 2}, policy=roles, n_instances=3, progress=False,
                 seed=1).run().records
    assert rec.filter(rec["role"] == "dictator")["action"].to_list() == [3.0] * 6
    batch = _batch()
    with pytest.raises(ValueError, match=r"no policy for role\(s\) \['dictator'\]"):
        ByRolePolicy(recipient=FixedPolicy(1.0)).act(batch, Streams.from_seed(0, len(batch)))
    with pytest.raises(ValueError, match="role=Policy"):
        ByRolePolicy(dictator="fixed")  # type: ignore[arg-type]


def test_runner_seats_a_role_mapping_through_by_role_policy() -> None:
    def run(policy: Any) -> Any:
        return Runner("tax_planner", {"n_workers": 3, "tax_years": 2, "steps_per_year": 1},
                      policy=policy, n_instances=2, progress=False, seed=4).run()

    mapped = run({"worker": tax.NoisyWorker(2.0), "planner": tax.SaezPlanner()})
    wrapped = run(ByRolePolicy(worker=tax.NoisyWorker(2.0), planner=tax.SaezPlanner()))
    assert_frame_equal(mapped.records.drop("run_id"), wrapped.records.drop("run_id"))
    assert mapped.manifest["policies"][0]["kind"] == "by_role"


def test_policy_kinds_come_from_agora_and_the_games() -> None:
    for kind, factory in tax.POLICIES.items():
        assert POLICY_KINDS[kind] is factory
    assert set(BUILTIN_KINDS) <= set(POLICY_KINDS)
    assert {"llm", *tax.LLM_PRESETS} <= set(LLM_KINDS)
    assert not set(tax.POLICIES) & set(LLM_KINDS)
    assert ["not", "hashable"] not in LLM_KINDS and ["x"] not in POLICY_KINDS
    with pytest.raises(ValueError, match=r"unknown policy kind 'nope'; known: .*tax_saez"):
        make_policy("nope")


def test_llm_presets_are_llm_policies_with_the_game_defaults() -> None:
    planner = make_policy("tax_llm_planner")
    assert isinstance(planner, LLMPolicy)
    assert (planner.name, planner.config.max_tokens) == ("llm_planner", 160)
    worker = make_policy("tax_llm_worker", max_tokens=40, temperature=0.5)
    assert (worker.name, worker.config.max_tokens, worker.config.temperature) == (
        "llm_worker", 40, 0.5)
    with pytest.raises(ValueError, match="tax_llm_worker"):
        make_policy("tax_llm_worker", no_such_setting=1)
