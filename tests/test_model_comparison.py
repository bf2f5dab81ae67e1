"""Cross-model tournaments: the leaderboard's distances, per-model records and report rows.

The distances are checked on records with known answers (equilibrium play is at distance 0
from the equilibrium; choices drawn exactly like the humans' are at distance 0 from them); the
per-decision ``model`` column on mixed populations of two stand-in backends (generate, score and
reasoning modes, scripted seats beside them, turn-based games and population runs); the report's
per-model rows; and that every contestant plays the same personas and game seeds.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

import agora
from agora.llm.base import Backend
from agora.llm.types import Completion, GenerationRequest
from agora.policies import EquilibriumPolicy, LLMPolicy, RandomPolicy
from experiments import model_comparison
from experiments._model_comparison_play import contestants, family
from experiments._model_comparison_scores import (
    PARSE_KINDS,
    equilibrium_distance,
    human_distance,
    leaderboard,
    score_run,
)


class Stub(Backend):
    """A backend named ``model`` that answers every schema with its smallest legal value (or
    ``pick``: the largest), and scores candidates in decreasing order."""

    name = "stub"

    def __init__(self, model: str, pick: str = "min") -> None:
        super().__init__()
        self._model, self.pick = model, pick

    @property
    def model_name(self) -> str:
        return self._model

    def _answer(self, schema: dict[str, Any]) -> str:
        out: dict[str, Any] = {}
        for key in schema.get("required", []):
            prop = schema["properties"][key]
            if "enum" in prop:
                out[key] = prop["enum"][0]
            elif prop.get("type") in ("integer", "number"):
                out[key] = prop.get("maximum" if self.pick == "max" else "minimum", 0)
            elif prop.get("type") == "boolean":
                out[key] = True
            else:
                out[key] = ""
        return json.dumps(out)

    def _generate(self, requests: Sequence[GenerationRequest]) -> list[Completion]:
        return [Completion(text=self._answer(r.constraint.json_schema) if r.constraint
                           and r.constraint.json_schema else "I think so.",
                           tokens_in=10, tokens_out=3, latency_s=0.01, finish_reason="stop",
                           model=self._model) for r in requests]

    def _score(self, prompts: Sequence[GenerationRequest], candidates: Sequence[Sequence[str]],
               terminate: bool) -> list[np.ndarray]:
        return [-np.arange(len(c), dtype=np.float64) for c in candidates]


FAMILY_ARGS = {"group_size": 4, "p": 2 / 3, "rps_rounds": 1}


# --------------------------------------------------------------------- distances
@pytest.mark.parametrize("fam", ["p_beauty", "dictator", "ultimatum", "prisoners_dilemma",
                                 "trust"])
def test_equilibrium_play_is_at_distance_zero_from_equilibrium(fam: str) -> None:
    game, cfg, _ = family(fam, **FAMILY_ARGS)
    res = agora.run(game, policy=EquilibriumPolicy(), n_instances=6, seed=1, progress=False,
                    **cfg)
    assert equilibrium_distance(res.records, game, res.manifest["config"]) == 0.0
    rand = agora.run(game, policy=RandomPolicy(), n_instances=6, seed=1, progress=False, **cfg)
    assert 0.0 < equilibrium_distance(rand.records, game, rand.manifest["config"]) <= 1.0


def _rps_records(moves: list[int]) -> pl.DataFrame:
    return pl.DataFrame({"action": [float(m) for m in moves], "role": ["agent"] * len(moves)})


def test_mixed_equilibrium_distance_is_the_total_variation_from_the_mixture() -> None:
    cfg = family("rock_paper_scissors", **FAMILY_ARGS)[1]
    assert equilibrium_distance(_rps_records([0, 1, 2] * 4), "rock_paper_scissors", cfg) == \
        pytest.approx(0.0)
    # all rock: |1 − 1/3| + 2 · 1/3, halved
    assert equilibrium_distance(_rps_records([0] * 6), "rock_paper_scissors", cfg) == \
        pytest.approx(2 / 3)


def test_offer_game_distance_is_half_l1_of_the_split_with_disagreement_one_half() -> None:
    cfg = family("ultimatum", **FAMILY_ARGS)[1]
    rec = pl.DataFrame({"action": [None] * 4, "role": ["responder"] * 4,
                        "agreed": [1.0, 0.0, None, 1.0],
                        "spe_deviation": [-0.2, None, None, 0.0]})
    assert equilibrium_distance(rec, "ultimatum", cfg) == pytest.approx((0.2 + 0.5 + 0.0) / 3)


def test_benchmark_distance_is_over_the_first_movers_action_range() -> None:
    cfg = family("p_beauty", **FAMILY_ARGS)[1]
    rec = pl.DataFrame({"action": [51.0, 0.0], "role": ["player", "player"]})
    assert equilibrium_distance(rec, "p_beauty", cfg) == pytest.approx((50 / 100 + 0) / 2)
    trust = family("trust", **FAMILY_ARGS)[1]
    rec = pl.DataFrame({"action": [5.0, 30.0], "role": ["sender", "receiver"]})
    assert equilibrium_distance(rec, "trust", trust) == pytest.approx(0.5)  # senders only


def test_human_distance_is_zero_for_human_choices_and_the_mean_gap_otherwise() -> None:
    from agora.analysis import baselines as bl

    _, cfg, name = family("dictator", **FAMILY_ARGS)
    b = bl.load_baseline(name or "")
    assert b.values is not None
    # everyone gives nothing: W1 from the point mass at 0 is the humans' mean share
    rec = pl.DataFrame({"round": [0] * 5, "role": ["dictator"] * 5, "action": [0.0] * 5})
    h = human_distance(rec, b.name, cfg)
    assert h.metric == "W1" and h.n_agents == 5
    assert h.value == pytest.approx(float(np.mean(b.values)), rel=1e-9)
    # Mei et al.'s judge: the agents' bin (0-10 %) is the humans' modal bin, so an agent wins
    # against every human outside it and ties with those in it
    assert h.turing == pytest.approx(1.0 - float(np.mean(b.values < 0.1)) / 2, abs=1e-9)
    # p-beauty: Nagel's summary only, so |mean − 36.73| / 100
    _, pcfg, nagel = family("p_beauty", **FAMILY_ARGS)
    guesses = pl.DataFrame({"round": [0, 0], "action": [30.0, 50.0], "role": ["player"] * 2})
    g = human_distance(guesses, nagel or "", pcfg)
    assert g.metric == "|mean diff|"
    assert g.value == pytest.approx(abs(40.0 - bl.load_baseline(nagel or "").mean) / 100)
    assert math.isnan(g.turing)
    # prisoner's dilemma: cooperation rate against Shafir & Tversky's 37 %
    _, dcfg, st = family("prisoners_dilemma", **FAMILY_ARGS)
    coop = pl.DataFrame({"round": [0] * 4, "action": [1.0, 1.0, 0.0, 0.0],
                         "role": ["player"] * 4})
    assert human_distance(coop, st or "", dcfg).value == pytest.approx(abs(0.5 - 0.37))


def test_human_distance_is_exactly_zero_for_the_humans_own_choices() -> None:
    from agora.analysis import baselines as bl

    b = bl.load_baseline("moblab2024_dictator")
    assert b.values is not None
    rec = pl.DataFrame({"round": [0] * b.values.size, "role": ["dictator"] * b.values.size,
                        "action": b.values * 100.0})
    assert human_distance(rec, b.name, {"endowment": 100.0}).value == pytest.approx(0.0,
                                                                                     abs=1e-9)


def _row(contestant: str, fam: str, human: float, eq: float, **kw: Any) -> dict[str, Any]:
    base = {"family": fam, "contestant": contestant, "model": f"m-{contestant}",
            "decisions": 4, "baseline": "" if math.isnan(human) else "b",
            "human_metric": "W1", "human_distance": human, "turing": math.nan,
            "equilibrium_distance": eq, "ok": 3, "repaired": 1, "fallback": 0,
            "tokens_in": 100, "tokens_out": 10, "seconds": 2.0}
    return {**base, **kw}


def test_leaderboard_averages_families_sums_costs_and_ranks_by_distance_to_humans() -> None:
    runs = pl.DataFrame([
        _row("a", "dictator", 0.4, 0.2), _row("a", "rps", math.nan, 0.6),
        _row("b", "dictator", 0.1, 0.5, fallback=2), _row("b", "rps", math.nan, 0.1),
        _row("c", "dictator", math.nan, math.nan)])
    board = leaderboard(runs)
    assert board["contestant"].to_list() == ["b", "a", "c"]
    assert board["rank"].to_list() == [1, 2, 3]
    b = board.row(0, named=True)
    assert b["human_distance"] == pytest.approx(0.1)  # RPS has no human baseline
    assert b["equilibrium_distance"] == pytest.approx(0.3)
    assert (b["ok"], b["repaired"], b["fallback"]) == (6, 2, 2)
    assert (b["tokens_in"], b["tokens_out"], b["decisions"]) == (200, 20, 8)
    assert b["seconds"] == pytest.approx(4.0) and b["decisions_per_s"] == pytest.approx(2.0)
    c = board.row(2, named=True)
    assert math.isnan(c["human_distance"]) and math.isnan(c["equilibrium_distance"])


def test_score_run_counts_parse_status_tokens_and_models() -> None:
    game, cfg, baseline = family("p_beauty", **FAMILY_ARGS)
    res = agora.run(game, policy=LLMPolicy(Stub("m1"), name="x"), n_instances=2,
                    seed=0, progress=False, **cfg)
    row = score_run(res.records, family="p_beauty", contestant="x", game=game,
                    config=res.manifest["config"], baseline=baseline, seconds=1.5)
    assert row["model"] == "m1" and row["decisions"] == 8
    assert [row[k] for k in PARSE_KINDS] == [8, 0, 0]
    assert (row["tokens_in"], row["tokens_out"]) == (80, 24)
    assert row["equilibrium_distance"] == 0.0  # the stub guesses 0
    assert row["human_distance"] == pytest.approx(0.3673)


# --------------------------------------------------------------------- records and reports
def _mixed(game: str, cfg: dict[str, Any], **kw: Any) -> Any:
    policies = [(LLMPolicy(Stub("model-a"), name="a"), 0.4),
                (LLMPolicy(Stub("model-b", pick="max"), name="b", **kw), 0.4),
                (RandomPolicy(), 0.2)]
    return agora.run(game, policy=policies, n_instances=5, seed=2, progress=False, **cfg)


@pytest.mark.parametrize(("fam", "mode"), [("p_beauty", {}), ("p_beauty", {"mode": "score"}),
                                           ("dictator", {"reasoning": True}),
                                           ("ultimatum", {}), ("trust", {})])
def test_mixed_seat_records_carry_each_decisions_model(fam: str, mode: dict[str, Any]) -> None:
    game, cfg, _ = family(fam, **FAMILY_ARGS)
    rec = _mixed(game, cfg, **mode).records
    assert set(rec["policy"]) == {"a", "b", "random"}
    by = {p: set(rec.filter(pl.col("policy") == p)["model"].to_list()) for p in ("a", "b")}
    assert by == {"a": {"model-a"}, "b": {"model-b"}}
    assert rec.filter(pl.col("policy") == "random")["model"].null_count() == \
        rec.filter(pl.col("policy") == "random").height
    assert rec.filter(pl.col("policy") != "random")["parse_status"].null_count() == 0


def test_policies_by_role_keep_each_decisions_model() -> None:
    game, cfg, _ = family("ultimatum", **FAMILY_ARGS)
    rec = agora.run(game, policy={"proposer": LLMPolicy(Stub("model-a"), name="a"),
                                  "responder": LLMPolicy(Stub("model-b"), name="b")},
                    n_instances=3, seed=0, progress=False, **cfg).records
    for role, m in (("proposer", "model-a"), ("responder", "model-b")):
        assert set(rec.filter(pl.col("role") == role)["model"]) == {m}


def test_population_runs_keep_each_decisions_model() -> None:
    from populations import PopulationConfig, PopulationModel, synthesize

    personas = synthesize(8, seed=1)
    model = PopulationModel(personas, PopulationConfig(graph="complete"), seed=1)
    policies = [(LLMPolicy(Stub("model-a"), name="a"), 0.5),
                (LLMPolicy(Stub("model-b"), name="b"), 0.5)]
    rec = agora.run("dictator", policy=policies, population=model, rounds=2, seed=1,
                    progress=False, endowment=10.0).records
    assert rec["population_round"].n_unique() == 2
    for p, m in (("a", "model-a"), ("b", "model-b")):
        assert set(rec.filter(pl.col("policy") == p)["model"]) == {m}


def test_report_has_a_row_per_model_only_when_a_run_has_several(tmp_path: Path) -> None:
    from agora.analysis.report import analyse
    from agora.analysis.report.sections import MODEL_HEADER

    game, cfg, _ = family("p_beauty", **FAMILY_ARGS)

    def model_tables(res: Any) -> list[Any]:
        report = analyse(res, n_boot=10, seed=0)
        return [b[1] for b in report.sections["telemetry"].blocks
                if b[0] == "table" and b[1][0] == "LLM decisions by model"]

    mixed = _mixed(game, cfg)
    (table,) = model_tables(mixed)
    _, header, rows = table
    assert header == MODEL_HEADER
    by = {r[0]: r for r in rows}
    assert set(by) == {"model-a", "model-b"}
    rec = mixed.records
    for m, p in (("model-a", "a"), ("model-b", "b")):
        assert by[m][1] == p
        assert by[m][2] == rec.filter(pl.col("policy") == p).height
        assert by[m][3] == by[m][2]  # every stub answer parses
        assert by[m][6] == pytest.approx(10.0) and by[m][7] == pytest.approx(3.0)
    assert by["model-a"][9] == pytest.approx(0.0) and by["model-b"][9] == pytest.approx(100.0)
    single = agora.run(game, policy=LLMPolicy(Stub("model-a")), n_instances=2, seed=2,
                       progress=False, **cfg)
    assert model_tables(single) == []


# --------------------------------------------------------------------- the experiment
def test_every_contestant_plays_the_same_personas_and_seeds(tmp_path: Path) -> None:
    out = tmp_path / "mc"
    assert model_comparison.main(["--smoke", "--agents", "scripted", "--quiet", "--out",
                                  str(out), "--seed", "4"]) == 0
    for fam in model_comparison.SMOKE.families:
        folders = sorted(p for p in (out / fam).iterdir() if p.is_dir())
        assert len(folders) == 2, folders
        seats, seeds, configs = [], set(), set()
        for f in folders:
            rec = pl.read_parquet(f / "records.parquet").sort(["instance", "step", "agent"])
            seats.append(rec.select("instance", "agent", "persona_id").unique()
                         .sort(["instance", "agent"]))
            manifest = json.loads((f / "manifest.json").read_text())
            seeds.add(manifest["seed"])
            configs.add(json.dumps(manifest["config"], sort_keys=True))
            assert manifest["personas"] is not None
        assert seats[0].equals(seats[1]) and seats[0]["persona_id"].min() >= 0
        assert len(seeds) == 1 and len(configs) == 1
    summary = json.loads((out / "summary.json").read_text())
    board = summary["tables"][0]
    assert board["title"].startswith("Leaderboard")
    eq = {r[1]: float(r[board["header"].index("to equilibrium")]) for r in board["rows"]}
    assert eq["scripted: uniform random"] > 0.2
    mixed = pl.read_parquet(out / "mixed" / "p_beauty" / "records.parquet")
    assert set(mixed["policy"]) == {"scripted: equilibrium", "scripted: uniform random"}


def test_contestants_from_the_command_line() -> None:
    two = contestants(["smollm2-135m", "gemma3-270m"], [0.7], scripted=False)
    assert [(c.label, c.model, c.temperature) for c in two] == [
        ("smollm2-135m", "smollm2-135m", 0.7), ("gemma3-270m", "gemma3-270m", 0.7)]
    same = contestants(["smollm2-135m", "smollm2-135m"], [0.0, 1.0], scripted=False)
    assert [c.label for c in same] == ["smollm2-135m T=0", "smollm2-135m T=1"]
    path = contestants(["/x/my.gguf"], [0.5], scripted=False)
    assert path[0].label == "my.gguf" and path[0].model == "/x/my.gguf"
    with pytest.raises(ValueError, match="differ in model or temperature"):
        contestants(["a", "a"], [0.7], scripted=False)
    with pytest.raises(ValueError, match="one value or one per model"):
        contestants(["a", "b", "c"], [0.1, 0.2], scripted=False)


def test_bad_flags_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert model_comparison.main(["--models", "a", "--model", "b"]) == 2
    assert "not --model" in capsys.readouterr().err
    assert model_comparison.main(["--temperatures", "hot"]) == 2
    assert "--temperatures must be numbers" in capsys.readouterr().err
    # a model that cannot load fails before any game is played (no records written)
    assert model_comparison.main(["--smoke", "--quiet", "--models", "no-such-model", "--out",
                                  str(tmp_path / "bad")]) == 2
    assert "error:" in capsys.readouterr().err
    assert not list(tmp_path.rglob("records.parquet"))
