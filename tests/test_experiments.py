"""Every experiment script runs end to end at its ``--smoke`` size and writes records and reports.

Four scripts run with scripted stand-in agents (``--agents scripted``: no model, seconds); the
p-beauty replication and ``agora demo --smoke`` (the census tournament) run the real embedded
llama.cpp model, on one thread (faster than two on a shared, oversubscribed CI machine).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from agora.llm.llamacpp.model_files import embedded_model_available
from experiments import (
    bargaining_spe,
    census_tournament,
    dictator_engel,
    negotiation_glee,
    p_beauty_nagel,
    prompt_robustness,
)

SCRIPTED = {
    "dictator_engel": dictator_engel,
    "bargaining_spe": bargaining_spe,
    "negotiation_glee": negotiation_glee,
    "prompt_robustness": prompt_robustness,
}
"""Run with scripted agents here; p_beauty_nagel and census_tournament run with the model."""
LLM_FLAGS = ["--quiet", "--threads", "1"]


needs_model = pytest.mark.skipif(not embedded_model_available(),
                                 reason="embedded llama.cpp model not installed")


def _check_outputs(out: Path, *, llm: bool) -> dict[str, object]:
    records = sorted(out.rglob("records.parquet"))
    reports = sorted(out.rglob("report.html"))
    assert records, f"no records under {out}"
    assert reports, f"no report under {out}"
    for r in records:
        assert (r.parent / "manifest.json").is_file(), r
        assert pl.read_parquet(r).height > 0, r
    assert all(p.stat().st_size > 1000 for p in reports)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["tables"] and all(t["rows"] for t in summary["tables"])
    if llm:
        total = summary["parse_status_total"]
        assert total and sum(total.values()) > 0
        assert set(total) <= {"ok", "repaired", "fallback"}
    else:
        assert summary["parse_status_total"] == {}
    return summary


@pytest.mark.parametrize("name", sorted(SCRIPTED))
def test_smoke_with_scripted_agents(name: str, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / name
    code = SCRIPTED[name].main(["--smoke", "--agents", "scripted", "--quiet", "--out", str(out),
                               "--seed", "3"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "| " in printed and ("humans" in printed or "theory" in printed)
    _check_outputs(out, llm=False)


@pytest.mark.llm
@needs_model
def test_p_beauty_smoke_with_the_embedded_model(tmp_path: Path) -> None:
    out = tmp_path / "nagel"
    assert p_beauty_nagel.main(["--smoke", *LLM_FLAGS, "--out", str(out)]) == 0
    summary = _check_outputs(out, llm=True)
    table = summary["tables"][0]
    sources = [r[1] for r in table["rows"]]
    assert any(s.startswith("humans") for s in sources)
    assert any(s.startswith("agents: LLM (llamacpp") for s in sources)
    rec = pl.read_parquet(out / "p1_2" / "agents" / "records.parquet")
    assert rec["parse_status"].null_count() == 0
    assert rec["persona_id"].null_count() == 0


@pytest.mark.llm
@needs_model
def test_agora_demo_smoke_runs_the_tournament(tmp_path: Path) -> None:
    from agora.cli.main import main

    out = tmp_path / "demo"
    assert main(["demo", "--smoke", *LLM_FLAGS, "--out", str(out)]) == 0
    summary = _check_outputs(out, llm=True)
    assert summary["command"].startswith("agora demo")
    for family in census_tournament.FAMILIES:
        assert (out / family / "records.parquet").is_file(), family
        assert (out / family / "report.html").is_file(), family
        assert (out / family / "population_metrics.parquet").is_file(), family
    assert (out / "population" / "validation.json").is_file()
    assert (out / "population" / "personas.parquet").is_file()
    index = (out / "index.html").read_text()
    assert "dictator/report.html" in index and "Nagel" in index


def test_bad_flags_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert dictator_engel.main(["--n", "0", "--agents", "scripted"]) == 2
    assert "--n must be an integer >= 1" in capsys.readouterr().err
    assert census_tournament.main(["--bogus"]) == 2
    assert "unrecognized arguments" in capsys.readouterr().err


def test_demo_is_a_cli_command_from_the_experiments_package() -> None:
    from agora.cli.main import DELEGATES, build_parser, plugin_commands

    assert "demo" not in DELEGATES
    assert plugin_commands()["demo"].value == "experiments.demo:demo_main"
    assert "census tournament" in build_parser().format_help()


def test_ch_tau_for_mean_inverts_the_ch_population_mean() -> None:
    for p in (0.5, 2 / 3, 4 / 3):
        for tau in (0.5, 1.5, 3.0):
            m = p_beauty_nagel.ch_population_mean(tau, p=p)
            assert p_beauty_nagel.ch_tau_for_mean(m, p=p) == pytest.approx(tau, rel=1e-4)
    assert np.isnan(p_beauty_nagel.ch_tau_for_mean(99.0, p=0.5))


def test_prompt_variants_keep_the_game_and_change_the_words() -> None:
    import agora
    from agora.engine.registry import REGISTRY

    for game, variants in prompt_robustness.VARIANTS.items():
        base = REGISTRY.get(game).kernel_cls
        for v in variants:
            name = prompt_robustness.variant_game(game, v)
            assert prompt_robustness.variant_game(game, v) == name  # registered once
            cls = REGISTRY.get(name).kernel_cls
            assert issubclass(cls, base) and cls.theory is base.theory
            k = cls(agora.engine.registry.make_config(name), 1, np.random.default_rng(0))
            kb = base(agora.engine.registry.make_config(game), 1, np.random.default_rng(0))
            if v.prompts is not None:
                assert k.prompts.rules(k.config, k.roles[0]) != \
                    kb.prompts.rules(kb.config, kb.roles[0])
            else:
                codes = range(len(kb._specs))
                assert [k.spec_for_code(c).choices if hasattr(kb.spec_for_code(c), "choices")
                        else None for c in codes] != \
                    [kb.spec_for_code(c).choices if hasattr(kb.spec_for_code(c), "choices")
                     else None for c in codes]
