"""Every experiment script runs end to end at its ``--smoke`` size and writes records and reports.

Four scripts run with scripted stand-in agents (``--agents scripted``: no model, seconds); the
p-beauty replication and ``agora demo --smoke`` (the census tournament) run the real embedded
llama.cpp model, on one thread (faster than two on a shared, oversubscribed CI machine); the
p-beauty replication also runs with scripted agents, for its τ table. The dictator, ultimatum
and p-beauty scripts print human-likeness tables (MobLab, Mei et al. 2024) and τ by both
methods next to Camerer, Ho & Chong (2004, Table II).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from agora.llm.llamacpp.model_files import embedded_model_available
from experiments import (
    auctions,
    bargaining_spe,
    census_tournament,
    dictator_engel,
    model_comparison,
    negotiation_glee,
    p_beauty_nagel,
    pd_one_shot,
    pd_repeated,
    prompt_robustness,
    public_goods_fg,
    rational_players,
    td_penalty,
    trust_berg,
)

SCRIPTED = {
    "dictator_engel": dictator_engel,
    "public_goods_fg": public_goods_fg,
    "bargaining_spe": bargaining_spe,
    "negotiation_glee": negotiation_glee,
    "prompt_robustness": prompt_robustness,
    "pd_one_shot": pd_one_shot,
    "pd_repeated": pd_repeated,
    "td_penalty": td_penalty,
    "trust_berg": trust_berg,
    "rational_players": rational_players,
    "auctions": auctions,
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
    summary = _check_outputs(out, llm=False)
    for title, rows in FIDELITY_TABLES.get(name, {}).items():
        table = _table(summary, title)
        assert [r[0] for r in table["rows"]][:1] == ["agents: scripted stand-in"]
        assert {r[0] for r in table["rows"]} >= rows, table["rows"]
        if "W1 [95% CI]" in table["header"]:
            _check_fidelity_rows(table)


FIDELITY_TABLES = {
    "dictator_engel": {"Human-likeness, give variant": {
        "scripted: selfish equilibrium (gives 0)", "scripted: uniform random gift"}},
    "bargaining_spe": {
        "Human-likeness, ultimatum proposers": {"scripted: subgame-perfect (selfish) play",
                                                "scripted: uniform random play"},
        "Human-likeness, ultimatum responders": {"scripted: subgame-perfect (selfish) play",
                                                 "scripted: uniform random play"}},
}
"""Human-likeness tables each scripted smoke run must print, with their reference rows."""


def _table(summary: dict[str, object], prefix: str) -> dict[str, object]:
    found = [t for t in summary["tables"] if t["title"].startswith(prefix)]  # type: ignore[attr-defined]
    assert len(found) == 1, [t["title"] for t in summary["tables"]]  # type: ignore[attr-defined]
    return found[0]


def _check_fidelity_rows(table: dict[str, object]) -> None:
    """Every W1, KS, TV and Turing cell is ``value [low, high]`` in [0, 1] (a percentile
    interval of a distance may sit above its point value: the resampled distances are biased
    up); the selfish dictators (all on the humans' modal bin, 0-10 %) score above 0.5."""
    header = table["header"]
    for row in table["rows"]:  # type: ignore[attr-defined]
        for col in ("W1 [95% CI]", "KS [95% CI]", "TV [95% CI]", "Turing [95% CI]"):
            value, low, high = (float(x) for x in
                                row[header.index(col)].replace("[", "").replace("]", "")
                                .replace(",", "").split())
            assert min(low, value) >= 0.0 and low <= high and max(high, value) <= 1.0, row
        if row[0] == "scripted: selfish equilibrium (gives 0)":
            assert float(row[header.index("Turing [95% CI]")].split()[0]) > 0.5


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
    taus = _table(summary, "Cognitive-hierarchy τ")
    assert any(r[1].startswith("agents: LLM (llamacpp") for r in taus["rows"])


def test_p_beauty_smoke_prints_tau_by_both_methods_next_to_chc(tmp_path: Path) -> None:
    out = tmp_path / "nagel_scripted"
    assert p_beauty_nagel.main(["--smoke", "--agents", "scripted", "--quiet", "--out",
                                str(out), "--seed", "3"]) == 0
    summary = _check_outputs(out, llm=False)
    taus = _table(summary, "Cognitive-hierarchy τ")
    rows = {(r[0], r[1]): r for r in taus["rows"]}
    h = taus["header"]
    # CHC's Table II rows 18 (p = 1/2) and 14 (p = 2/3) as printed; none for p = 4/3
    chc = {k: r for k, r in rows.items() if "Camerer, Ho & Chong" in k[1]}
    assert sorted(k[0] for k in chc) == ["1/2", "2/3"]
    assert chc[("1/2", "humans: Camerer, Ho & Chong (2004), Table II row 18: 1/2 mean, "
                       "Nagel (98)")][h.index("τ mean matching [90% CI]")] == "1.5 [1.1, 1.9]"
    assert chc[("2/3", "humans: Camerer, Ho & Chong (2004), Table II row 14: German "
                       "students, Nagel (95)")][h.index("τ mean matching [90% CI]")] == \
        "1.1 [0.7, 1.5]"
    # Nagel's p = 2/3 mean (36.73) matched by CHC's method lands inside CHC's interval
    human = rows[("2/3", "humans: Nagel (1995)")][h.index("τ mean matching [90% CI]")]
    assert 0.7 <= float(human.split()[0]) <= 1.5
    for (p, source), r in rows.items():
        if source.startswith(("agents", "scripted")):
            for col in ("τ likelihood [95% CI]", "τ mean matching [90% CI]"):
                assert "[" in r[h.index(col)], (p, source, col, r)


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


@pytest.mark.llm
@needs_model
def test_model_comparison_smoke_with_both_embedded_models(tmp_path: Path) -> None:
    from agora.llm.models import is_installed

    if not is_installed("gemma3-270m"):
        pytest.skip("Gemma 3 270M not installed (agora-sim[gemma])")
    out = tmp_path / "models"
    assert model_comparison.main(["--smoke", *LLM_FLAGS, "--out", str(out)]) == 0
    summary = _check_outputs(out, llm=True)
    board = _table(summary, "Leaderboard")
    assert {r[1] for r in board["rows"]} == {"smollm2-135m", "gemma3-270m",
                                             "scripted: equilibrium",
                                             "scripted: uniform random"}
    mixed = pl.read_parquet(out / "mixed" / "p_beauty" / "records.parquet")
    models = {p: set(mixed.filter(pl.col("policy") == p)["model"]) for p in mixed["policy"]}
    assert len(models) == 2 and all(len(m) == 1 for m in models.values())
    assert len(set.union(*models.values())) == 2


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


def test_chc_rows_are_read_for_the_configured_treatments_only() -> None:
    rows = p_beauty_nagel.NagelConfig().chc_rows
    r = p_beauty_nagel.chc_row(2 / 3, rows)
    assert r is not None and (r["row"], r["sample_size"], r["data_mean"], r["tau"]) == \
        ("14", "66", "37.2", "1.10")
    r = p_beauty_nagel.chc_row(0.5, rows)
    assert r is not None and (r["row"], r["data_mean"], r["ci90_low"], r["ci90_high"]) == \
        ("18", "26.7", "1.1", "1.9")
    assert p_beauty_nagel.chc_row(4 / 3, rows) is None
    with pytest.raises(ValueError, match=r"row 1 is for p = 1\.1"):
        p_beauty_nagel.chc_row(0.5, (("1/2", 1),))


def test_estimates_at_a_bound_say_so_in_tables_and_reports() -> None:
    from agora.analysis.estimate import Estimate
    from agora.analysis.report.context import est_row
    from experiments._tables import fmt_est

    inner = Estimate(value=1.5, ci_low=1.1, ci_high=1.9, n=48, method="m")
    top = Estimate(value=30.0, ci_low=12.0, ci_high=np.inf, n=48, method="m", at_bound=True)
    low = Estimate(value=0.0, ci_low=0.0, ci_high=0.4, n=48, method="m", at_bound=True)
    bare = Estimate(value=30.0, ci_low=np.nan, ci_high=np.nan, n=48, at_bound=True)
    assert fmt_est(inner) == "1.5 [1.1, 1.9]"
    assert fmt_est(top) == "30 [12, ∞] (at its bound)"
    assert fmt_est(low) == "0 [0, 0.4] (at its bound)"
    assert fmt_est(bare) == "30 (at its bound)"
    assert est_row("tau", inner)[-1] == "m"
    assert "AT ITS BOUND" in est_row("tau", top)[-1]
    assert est_row("tau - AT ITS BOUND", top)[-1] == "m"


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
