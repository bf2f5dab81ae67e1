"""``agora report`` on finished runs: a self-contained HTML with the expected sections."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import numpy as np
import polars as pl
import pytest

import agora
from agora.analysis.report import SECTIONS, analyse, report_main
from agora.engine.runner import Personas
from agora.policies import CognitiveHierarchyPolicy, QuantalResponsePolicy, RandomPolicy

N_INSTANCES = 20


@pytest.fixture(scope="module")
def p_beauty_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("runs") / "pbeauty"
    n = N_INSTANCES * 10
    table = pl.DataFrame({
        "persona_id": np.arange(n),
        "age_band": np.array(["18-34", "35-54", "55+"])[np.arange(n) % 3],
        "income_decile": (np.arange(n) % 10 + 1).astype(np.int16),
    })
    personas = Personas(ids=np.arange(n).reshape(N_INSTANCES, 10),
                        texts=[f"persona {i}" for i in range(n)], table=table)
    agora.run("p_beauty", policy=[(CognitiveHierarchyPolicy(1.5), 0.7),
                                  (QuantalResponsePolicy(20.0), 0.3)],
              n_instances=N_INSTANCES, rounds=3, out=out, progress=False, personas=personas)
    return out


def _sections(html: str) -> set[str]:
    return set(re.findall(r'<section id="([^"]+)">', html))


def test_report_html_has_sections_and_embedded_figures(p_beauty_run: Path,
                                                       tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    assert report_main([str(p_beauty_run), "--out", str(out), "--n-boot", "30"]) == 0
    html = out.read_text()
    assert _sections(html) == {sid for sid, _ in SECTIONS}
    for title in ("Configuration", "Telemetry", "Equilibrium benchmark", "Welfare",
                  "Rationality", "Human comparison", "Figures", "Subgroups"):
        assert f">{title}" in html
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert len(images) >= 4  # histogram, convergence, Lorenz, subgroups
    for b64 in images:
        assert base64.b64decode(b64)[:8] == b"\x89PNG\r\n\x1a\n"
    for fig in ("guess_histogram", "convergence", "lorenz", "subgroup_age_band"):
        assert f'id="fig-{fig}"' in html
    assert "cognitive hierarchy tau" in html and "logit lambda" in html
    assert "nagel1995_p2_3" in html and "Nagel" in html
    assert "Action by age_band" in html and "Action by income_decile" in html
    assert "http://" not in html and "https://" not in html  # self-contained
    md = out.with_suffix(".md").read_text()
    assert "## Human comparison" in md
    assert (tmp_path / "report_figures" / "guess_histogram.png").is_file()


def test_report_default_location_and_baseline_choice(p_beauty_run: Path) -> None:
    assert report_main([str(p_beauty_run), "--baseline", "nagel1995_p1_2", "--n-boot", "10",
                        "--no-markdown"]) == 0
    html = (p_beauty_run / "report.html").read_text()
    assert "nagel1995_p1_2" in html and "differs from the baseline" in html


def test_analyse_estimates(p_beauty_run: Path) -> None:
    report = analyse(p_beauty_run, n_boot=20, seed=3)
    est = report.estimates
    assert 0.5 < est["ch_tau"]["value"] < 4
    assert est["ch_tau"]["n"] == N_INSTANCES * 10
    assert est["welfare.utilitarian"]["value"] == pytest.approx(3.0)  # one prize per round
    assert est["avg_regret"]["value"] >= 0
    assert {"nash_conv", "epsilon", "convergence_rho", "logit_lambda"} <= set(est)
    again = analyse(p_beauty_run, n_boot=20, seed=3).estimates
    assert again["ch_tau"] == est["ch_tau"]  # one seeded generator: reproducible


def test_dictator_report(tmp_path: Path) -> None:
    run = tmp_path / "dictator"
    agora.run("dictator", policy=RandomPolicy(), n_instances=30, rounds=2, out=run,
              progress=False)
    out = tmp_path / "d.html"
    assert report_main([str(run), "--out", str(out), "--n-boot", "20"]) == 0
    html = out.read_text()
    assert _sections(html) == {sid for sid, _ in SECTIONS}
    assert "engel2011_dictator" in html and 'id="fig-giving_distribution"' in html
    assert "Fehr-Schmidt" in html
    assert report_main([str(run), "--out", str(tmp_path / "f.html"), "--n-boot", "5",
                        "--baseline", "forsythe1994_dictator_10_pay"]) == 0
    assert "Wasserstein" in (tmp_path / "f.html").read_text()


def test_report_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert report_main([str(tmp_path / "missing")]) == 2
    assert "error" in capsys.readouterr().err
    assert report_main([str(tmp_path), "--baseline", "nope"]) == 2
    assert report_main(["--help"]) == 0


def test_report_on_a_game_without_theory(tmp_path: Path) -> None:
    import json

    run = tmp_path / "mystery"
    run.mkdir()
    pl.DataFrame({"run_id": ["m"] * 4, "game": ["mystery"] * 4, "instance": [0, 0, 1, 1],
                  "round": [0, 0, 0, 0], "agent": ["a", "b", "a", "b"],
                  "action": [1.0, 2.0, 3.0, 4.0], "reward": [1.0, 3.0, 2.0, 2.0]}
                 ).write_parquet(run / "records.parquet")
    (run / "manifest.json").write_text(json.dumps({"run_id": "m", "game": "mystery",
                                                   "status": "complete", "config": {}}))
    assert report_main([str(run), "--n-boot", "5"]) == 0
    html = (run / "report.html").read_text()
    assert _sections(html) == {sid for sid, _ in SECTIONS}
    assert "no theory module" in html and "utilitarian" in html


def test_agora_report_subcommand(p_beauty_run: Path, tmp_path: Path) -> None:
    from agora.cli import main as cli

    if "report" not in getattr(cli, "DELEGATES", {}):
        pytest.skip("agora report is not wired into the CLI yet")
    out = tmp_path / "cli.html"
    assert cli.main(["report", str(p_beauty_run), "--out", str(out), "--n-boot", "5"]) == 0
    assert 'id="human-comparison"' in out.read_text()


@pytest.mark.parametrize("game", ["bargaining", "ultimatum", "negotiation"])
def test_turn_based_report_measures_outcomes_against_the_spe(game: str) -> None:
    """SPE play agrees at once on the SPE split (to the offer grid); conceder pairs do not."""
    from agora.policies import EquilibriumPolicy, make_policy

    extra = {"horizon": 4} if game == "bargaining" else {}
    spe = agora.run(game, policy=EquilibriumPolicy(), n_instances=30, seed=2, progress=False,
                    **extra)
    est = analyse(spe, n_boot=20).estimates
    assert est["agreement_rate"]["value"] == 1.0
    assert est["agreement_round"]["value"] == 1.0
    assert est["efficiency"]["value"] == 1.0
    # offers lie on a $1 grid of a $100 pie: the SPE split is met to within one grid step
    grid = 0.01 if game != "negotiation" else 0.0
    assert est["spe_abs_deviation"]["value"] <= grid + 1e-12
    if game == "ultimatum":
        return  # one offer only: nothing to concede
    slow = agora.run(game, policy=make_policy("conceder"), n_instances=30, seed=2,
                     progress=False, **extra)
    report = analyse(slow, n_boot=20)
    late = report.estimates
    assert late["agreement_round"]["value"] > 1.0
    assert late["spe_abs_deviation"]["value"] > grid
    md = report.to_markdown()
    assert "Outcomes against the subgame-perfect equilibrium" in md
    assert "benchmark: not available" not in md


@pytest.mark.parametrize("game", ["p_beauty", "dictator", "bargaining", "ultimatum",
                                  "negotiation", "item_division", "tax_planner"])
def test_every_game_reports_and_shows(game: str) -> None:
    """The report and ``agora show`` ask each game through its hooks; none may fail."""
    from agora.cli.show import summary

    result = agora.run(game, policy=RandomPolicy(), n_instances=3, seed=1, progress=False)
    report = analyse(result, n_boot=5)
    assert set(report.sections) == {sid for sid, _ in SECTIONS}
    assert "welfare.utilitarian" in report.estimates
    table = summary(result)
    assert ("equilibrium_action" in table.columns) == (game in ("p_beauty", "dictator"))


def test_report_catches_only_expected_errors(p_beauty_run: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from agora.analysis.report import CATALOGUE, Analysis

    def no_data(ctx: object, params: object) -> None:
        raise ValueError("too few guesses")

    def bug(ctx: object, params: object) -> None:
        raise TypeError("a bug")

    monkeypatch.setitem(CATALOGUE, "level_k_mixture",
                        Analysis("rationality", 30, "level-k mixture", no_data))
    md = analyse(p_beauty_run, n_boot=5).to_markdown()
    assert "level-k mixture: not available (too few guesses)." in md
    monkeypatch.setitem(CATALOGUE, "level_k_mixture",
                        Analysis("rationality", 30, "level-k mixture", bug))
    with pytest.raises(TypeError, match="a bug"):
        analyse(p_beauty_run, n_boot=5)


def test_unknown_analysis_kind_is_reported(p_beauty_run: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from agora.engine.contract import AnalysisSpec
    from games.p_beauty.hooks import PBeautyHooks

    original = PBeautyHooks.analyses
    monkeypatch.setattr(PBeautyHooks, "analyses", lambda self, config: (
        *original(self, config), AnalysisSpec("no_such_analysis")))
    md = analyse(p_beauty_run, n_boot=5).to_markdown()
    assert "Analysis 'no_such_analysis' that the game asks for is not in the report's" in md


def test_unknown_baseline_is_an_error(p_beauty_run: Path) -> None:
    with pytest.raises(ValueError, match="unknown baseline 'nope'"):
        analyse(p_beauty_run, baseline="nope")
