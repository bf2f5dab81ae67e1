"""The public goods game: conformance, payoffs against hand-worked cases, the selfish theory on
random parameters, matching, the strategy method and the scripted players."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import polars as pl
import pytest

import agora
from agora.testing import check_game, conformance_configs
from games.public_goods import theory
from games.public_goods.config import FG_COSTS, PublicGoodsConfig
from games.public_goods.env import PublicGoodsKernel
from games.public_goods.policies import ConditionalCooperator, Cooperator, FreeRider, Hump, Punisher


def test_registered_and_conforms() -> None:
    assert "public_goods" in agora.list_games()
    configs = conformance_configs("public_goods")
    assert any(c.get("punishment") for c in configs)
    assert any(c.get("strategy_method") for c in configs)
    for config in configs:
        check_game("public_goods", **config)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"matching": "random"}, "matching must be one of"),
    ({"matching": "stranger"}, "stranger matching needs groups >= 2"),
    ({"mpcr": 0.0}, "mpcr must be in"),
    ({"punishment_costs": (0, 1)}, "needs max_points"),
    ({"max_points": 2, "punishment_costs": (0, 3, 1)}, "nondecreasing"),
    ({"punishment_cut": 1.5}, "punishment_cut"),
    ({"strategy_method": True, "rounds": 2}, "strategy_method needs"),
    ({"group_size": 1}, "group_size must be"),
])
def test_config_errors_are_one_line(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match) as err:
        PublicGoodsConfig(**kwargs)
    assert "\n" not in str(err.value)


def test_defaults_are_fehr_gaechter() -> None:
    c = PublicGoodsConfig()
    assert (c.group_size, c.endowment, c.mpcr) == (4, 20, 0.4)
    assert c.punishment_costs == tuple(float(x) for x in FG_COSTS)
    assert FG_COSTS == (0, 1, 2, 4, 6, 9, 12, 16, 20, 25, 30)


def test_hand_worked_payoffs() -> None:
    c = PublicGoodsConfig(punishment=True)
    income = theory.stage1_payoffs(c, np.array([20, 10, 0, 10]))
    np.testing.assert_allclose(income, [16, 26, 36, 26])  # 20 - c + 0.4 * 40
    points = np.zeros((4, 4), dtype=np.int64)
    points[0, 2] = 3  # costs player 0 four tokens, cuts player 2 by 30 %
    points[1, 2] = 10  # costs 30, with the 3 above cuts player 2 to max(0, 1 - 1.3) = 0
    final, received = theory.punishment_outcome(c, income, points)
    np.testing.assert_allclose(final, [12, -4, 0, 26])
    np.testing.assert_allclose(received, [0, 0, 13, 0])


def test_conditional_outcome_uses_rounded_unconditional_average() -> None:
    c = PublicGoodsConfig(strategy_method=True, rounds=1, endowment=4, group_size=3)
    u = np.array([[4.0, 1.0, 2.0]])
    tables = np.zeros((1, 3, 5))
    tables[0, 2] = [0, 1, 2, 3, 4]
    out = theory.conditional_outcome(c, u, tables, np.array([2]))
    np.testing.assert_allclose(out, [[4, 1, 3]])  # others average 2.5 rounds to 3


def test_selfish_theory_on_random_parameters() -> None:
    rng = np.random.default_rng(7)
    for _ in range(200):
        n, e = int(rng.integers(2, 8)), int(rng.integers(1, 30))
        mpcr = float(rng.uniform(0.05, 1.6))
        c = PublicGoodsConfig(group_size=n, endowment=e, mpcr=mpcr)
        profile = rng.integers(0, e + 1, size=n).astype(float)
        own = profile.copy()
        own[0] = 0.0
        best = theory.stage1_payoffs(c, own)[0]
        for x in range(1, e + 1):
            own[0] = x
            gain = theory.stage1_payoffs(c, own)[0] - best
            assert (gain < 0) if mpcr < 1 else (gain >= 0 if mpcr == 1 else gain > 0)
        assert theory.equilibrium_contribution(c) == (e if mpcr > 1 else 0)
        full = theory.stage1_payoffs(c, np.full(n, float(e))).sum()
        assert (full > theory.stage1_payoffs(c, profile).sum() - 1e-9) == (
            n * mpcr > 1 or np.all(profile == e) or np.isclose(n * mpcr, 1))
        assert theory.efficient_contribution(c) == (e if n * mpcr > 1 else 0)


def test_no_punishment_in_subgame_perfect_play() -> None:
    rng = np.random.default_rng(11)
    for _ in range(200):
        n, top = int(rng.integers(2, 6)), int(rng.integers(1, 11))
        costs = tuple(np.concatenate([[0], np.cumsum(rng.uniform(0.1, 5, top))]).round(3))
        c = PublicGoodsConfig(group_size=n, punishment=True, max_points=top,
                              punishment_costs=costs, punishment_cut=float(rng.uniform(0, 1)))
        income = theory.stage1_payoffs(c, rng.integers(0, 21, size=n))
        points = rng.integers(0, top + 1, size=(n, n))
        mine = points.copy()
        mine[0] = 0
        got = theory.punishment_outcome(c, income, points)[0][0]
        kept = theory.punishment_outcome(c, income, mine)[0][0]
        assert kept > got or not points[0, 1:].any()
    assert theory.equilibrium_points(PublicGoodsConfig()) == 0


def _run(policies: list, n: int = 8, **cfg: object):
    return agora.run("public_goods", policy=policies, n_instances=n, seed=5, progress=False,
                     **cfg).records


def test_conditional_cooperators_keep_their_first_level() -> None:
    rec = _run([(ConditionalCooperator(1.0, 0.5), 1.0)], rounds=4)
    assert set(rec["action"].to_list()) == {10.0}
    assert set(rec["reward"].to_list()) == {10 + 0.4 * 40}


def test_free_riders_and_cooperators() -> None:
    rec = _run([(FreeRider(), 1.0)], rounds=2)
    assert set(rec["action"].to_list()) == {0.0} and set(rec["reward"].to_list()) == {20.0}
    rec = _run([(Cooperator(), 1.0)], rounds=2)
    assert set(rec["reward"].to_list()) == {0.4 * 80}


def test_punisher_points_and_kernel_punishment() -> None:
    p = Punisher(rate=0.5)
    pts = p.points(np.array([20.0]), np.array([[20.0, 10.0, 0.0]]), 10)
    assert pts.tolist() == [[0, 5, 10]]
    rec = _run([(Punisher(1.0, 1.0, 0.5), 0.75), (FreeRider(), 0.25)], n=4, rounds=1,
               punishment=True)
    punish = rec.filter(rec["stage"] == 1)
    # three punishers (20 each) give the free rider 10 points each: cost 30 each, and the free
    # rider (income 20 + 0.4 * 60 = 44) loses everything
    assert sorted(set(punish["action"].to_list())) == [0.0, 10.0]
    assert sorted(set(punish["points_received"].to_list())) == [0.0, 30.0]
    total = rec.group_by(["instance", "agent"]).agg(pl.col("reward").sum())
    got = sorted({round(x, 9) for x in total["reward"].to_list()})
    assert got == [round(0.4 * 60 - 30, 9), 0.0]


def test_stranger_matching_partitions_each_round() -> None:
    c = PublicGoodsConfig(groups=3, matching="stranger", rounds=5)
    k = PublicGoodsKernel(c, 4, np.random.default_rng(0))
    assert all(sorted(k.members[m, r].ravel()) == list(range(12))
               for m in range(4) for r in range(5))
    assert not np.all(k.members[:, 0] == k.members[:, 1])
    p = PublicGoodsKernel(PublicGoodsConfig(groups=3, rounds=5), 2, np.random.default_rng(0))
    assert np.all(p.members == p.members[:, :1])


def test_strategy_method_records_tables() -> None:
    rec = _run([(Hump(), 1.0)], n=3, strategy_method=True, rounds=1, endowment=4,
               group_size=3)
    assert rec.height == 9
    assert [rec[f"table_{k}"][0] for k in range(5)] == [0, 1, 2, 1, 0]
    # everyone's unconditional contribution is min(2, 4 - 2) = 2; the chosen member's table
    # at the others' average 2 gives 2 as well
    assert set(rec["reward"].to_list()) == {4 - 2 + 0.4 * 6}


def test_scripted_players_validate_their_parameters() -> None:
    with pytest.raises(ValueError, match="slope"):
        ConditionalCooperator(slope=2.0)
    with pytest.raises(ValueError, match="rate"):
        Punisher(rate=-1)


def test_equilibrium_policy_plays_the_selfish_spe() -> None:
    from agora.policies import make_policy

    rec = _run([(make_policy("equilibrium"), 1.0)], n=3, rounds=2, punishment=True)
    assert set(rec["action"].to_list()) == {0.0}
    assert set(rec.filter(pl.col("stage") == 0)["reward"].to_list()) == {20.0}
    assert set(rec.filter(pl.col("stage") == 1)["reward"].to_list()) == {0.0}
    rec = _run([(make_policy("equilibrium"), 1.0)], n=2, strategy_method=True, rounds=1)
    assert set(rec["table_7"].to_list()) == {0.0}


class _Answers:
    """A fake LLM backend answering by the answer format the prompt asks for."""

    @staticmethod
    def make() -> object:
        from collections.abc import Sequence as Seq

        from agora.llm.base import Backend
        from agora.llm.types import Completion, GenerationRequest

        class Fake(Backend):
            name = "fake"
            prompts: ClassVar[list[str]] = []

            @property
            def model_name(self) -> str:
                return "fake-model"

            def _generate(self, requests: Seq[GenerationRequest]) -> list[Completion]:
                out = []
                for r in requests:
                    text = "\n".join(m["content"] for m in r.messages)
                    Fake.prompts.append(text)
                    if '"points"' in text:
                        answer = '{"points": [1, 0, 0]}'
                    elif '"contributions"' in text:
                        answer = '{"contributions": [' + ", ".join(["3"] * 22) + "]}"
                    else:
                        answer = '{"contribution": 7}'
                    out.append(Completion(text=answer, tokens_in=1, tokens_out=1,
                                          latency_s=0.0, finish_reason="stop",
                                          model=self.model_name))
                return out

            def _score(self, prompts: object, candidates: object, terminate: bool) -> list:
                raise NotImplementedError

        return Fake()


def test_llm_players_read_rules_and_answer_every_stage() -> None:
    from agora.llm.grammar import json_schema_to_gbnf
    from agora.policies import LLMPolicy

    backend = _Answers.make()
    rec = _run([(LLMPolicy(backend), 1.0)], n=1, rounds=2, punishment=True)
    assert rec.filter(pl.col("stage") == 0)["action"].to_list() == [7.0] * 8
    assert rec.filter(pl.col("stage") == 1)["action"].to_list() == [1.0] * 8
    prompts = type(backend).prompts
    assert any("punishment points" in p and "in this order" in p for p in prompts)
    rec = _run([(LLMPolicy(backend), 1.0)], n=1, strategy_method=True, rounds=1)
    assert rec["table_20"].to_list() == [3.0] * 4
    k = PublicGoodsKernel(PublicGoodsConfig(punishment=True), 1, np.random.default_rng(0))
    for code in range(3):
        assert "root" in json_schema_to_gbnf(k.spec_for_code(code).json_schema())
