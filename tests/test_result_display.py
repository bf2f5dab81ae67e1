"""``agora.RunResult`` in notebooks: the summary it renders, and ``report()`` inline."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import agora
from agora.engine import records as engine_records
from agora.engine.contract import Benchmark, GameHooks
from agora.engine.registry import REGISTRY
from agora.policies import LevelKPolicy, RandomPolicy
from agora.results import RunResult, summarise

MIXTURE = [(LevelKPolicy(1), 0.4), (RandomPolicy(), 0.6)]


@pytest.fixture(scope="module")
def mixed() -> RunResult:
    return agora.run("p_beauty", policy=MIXTURE, n_instances=5, n_players=4, seed=1,
                     progress=False)


def _rows(table: tuple[tuple[str, ...], ...]) -> dict[str, tuple[str, ...]]:
    return {row[0]: row[1:] for row in table}


def test_run_and_load_run_return_the_displayable_result(tmp_path: Path) -> None:
    result = agora.run("p_beauty", policy=RandomPolicy(), n_instances=2, seed=0,
                       progress=False, out=tmp_path / "run")
    loaded = agora.load_run(tmp_path / "run")
    for r in (result, loaded):
        assert type(r) is RunResult and isinstance(r, engine_records.RunResult)
    assert agora.RunResult is RunResult
    assert _rows(loaded.summary.facts)["run directory"] == (str(tmp_path / "run"),)
    assert_frame_equal(loaded.records, result.records)


def test_of_wraps_an_engine_result_without_copying(mixed: RunResult) -> None:
    plain = engine_records.RunResult(records=mixed.records, manifest=mixed.manifest)
    wrapped = RunResult.of(plain)
    assert wrapped.records is plain.records and wrapped.manifest is plain.manifest
    assert RunResult.of(wrapped) is wrapped
    with pytest.raises(TypeError, match="expected an agora RunResult, got dict"):
        RunResult.of({"records": mixed.records})  # type: ignore[arg-type]


def test_summary_of_a_scripted_mixture(mixed: RunResult) -> None:
    s = mixed.summary
    facts = _rows(s.facts)
    assert facts["game"] == ("p_beauty",) and facts["instances"] == ("5",)
    assert facts["decisions"] == ("20",)
    assert facts["run directory"] == ("not saved (pass out=...)",)
    assert s.title == f"RunResult {mixed.manifest['run_id']}"
    policies = _rows(s.policies)
    assert list(policies) == ["level_1", "random"]
    assert policies["level_1"][:2] == ("40%", "8") and policies["random"][:2] == ("60%", "12")
    level1 = mixed.records.filter(pl.col("policy") == "level_1")
    assert policies["level_1"][2] == f"{level1['action'].mean():.4g}"
    assert policies["level_1"][3] == f"{level1['reward'].mean():.4g}"
    assert s.parse_status == ()  # no LLM ran: no parse status part
    kernel = REGISTRY.get("p_beauty").kernel_cls
    expected = kernel.hooks.benchmark("p_beauty", kernel.config_cls(**mixed.manifest["config"]))
    assert s.benchmark == tuple(expected.as_rows()) and s.benchmark_missing == ""
    assert [t[0] for t in s.tables()] == ["Run", "Policies", "Benchmark"]


def test_repr_markdown_and_html_show_the_summary(mixed: RunResult) -> None:
    text, md, page = repr(mixed), mixed._repr_markdown_(), mixed._repr_html_()
    assert text.splitlines()[0] == mixed.summary.title
    assert "policies: level_1 (40%, 8 decisions); random (60%, 12 decisions)" in text
    assert "| level_1 | 40% | 8 |" in md and "| policy | share | decisions |" in md
    assert page.startswith('<div class="agora-run">') and page.endswith("</div>")
    assert "<td>level_1</td><td>40%</td><td>8</td>" in page
    assert "records=" not in text  # not the dataclass repr


def test_parse_status_counts_in_order_without_nulls(mixed: RunResult) -> None:
    statuses = ["fallback", "ok", None, "repaired", "ok"] * 4
    llm = dataclasses.replace(mixed, records=mixed.records.with_columns(
        pl.Series("parse_status", statuses, dtype=pl.String)))
    assert type(llm) is RunResult
    assert llm.summary.parse_status == (("ok", 8), ("repaired", 4), ("fallback", 4))
    assert "parse status: ok 8, repaired 4, fallback 4" in repr(llm)
    assert "<caption>Parse status</caption>" in llm._repr_html_()


def test_benchmark_rows_come_from_the_game_hooks(mixed: RunResult,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    seen = []

    class Hooks(GameHooks):
        def benchmark(self, game: str, config: object, **_: object) -> Benchmark:
            seen.append((game, config))
            return Benchmark(game=game, equilibrium_action=0.0, level_k={1: 33.3})

    kernel = REGISTRY.get("p_beauty").kernel_cls
    monkeypatch.setattr(kernel, "hooks", Hooks())
    fresh = RunResult.of(dataclasses.replace(mixed))
    assert fresh.summary.benchmark == (("equilibrium action", "0"), ("level-1", "33.3"))
    assert seen == [("p_beauty", kernel.config_cls(**mixed.manifest["config"]))]
    assert "benchmark: equilibrium action 0; level-1 33.3" in repr(fresh)
    assert "<td>level-1</td><td>33.3</td>" in fresh._repr_html_()
    assert "| level-1 | 33.3 |" in fresh._repr_markdown_()

    monkeypatch.setattr(kernel, "hooks", GameHooks())  # the default: no benchmark
    bare = RunResult.of(dataclasses.replace(mixed))
    assert bare.summary.benchmark == ()
    assert bare.summary.benchmark_missing == "p_beauty declares no benchmark"


def test_a_run_of_an_unknown_game_still_displays(mixed: RunResult) -> None:
    manifest = {**mixed.manifest, "game": "no_such_game"}
    result = dataclasses.replace(mixed, manifest=manifest)
    assert result.summary.benchmark == ()
    assert result.summary.benchmark_missing.startswith("not available (unknown game")
    assert "no_such_game" in repr(result)


def test_population_manifest_without_policy_shares(mixed: RunResult) -> None:
    manifest = {k: v for k, v in mixed.manifest.items() if k not in ("policies", "n_instances")}
    manifest.update(n_personas=12, population_rounds=3)
    s = summarise(dataclasses.replace(mixed, manifest=manifest))
    facts = _rows(s.facts)
    assert facts["personas"] == ("12",) and facts["population rounds"] == ("3",)
    assert "instances" not in facts
    assert {name: row[:2] for name, row in _rows(s.policies).items()} == {
        "level_1": ("–", "8"), "random": ("–", "12")}


def test_agent_data_is_escaped(mixed: RunResult) -> None:
    manifest = {**mixed.manifest,
                "policies": [{"name": "<script>alert(1)</script>|x", "share": 1.0}]}
    result = dataclasses.replace(mixed, manifest=manifest)
    page, md = result._repr_html_(), result._repr_markdown_()
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>" not in md and "&lt;/script&gt;\\|x" in md  # pipes escaped in tables


def test_report_renders_inline(tmp_path: Path) -> None:
    from agora.analysis.report import Report

    result = agora.run("p_beauty", policy=MIXTURE, n_instances=4, n_players=5, seed=0,
                       progress=False)
    report = result.report(n_boot=5, seed=1)
    assert isinstance(report, Report)
    page = report._repr_html_()
    assert "<!DOCTYPE" not in page and "<body" not in page  # a fragment for the notebook
    for section in report.sections.values():
        assert section.title in page
    assert report.to_html() != page
    assert repr(report).startswith(f"Report({report.title!r}; sections: Configuration, ")
    assert len(repr(report)) < 1000  # no figure data in the text/plain twin of the HTML
    assert _selectors(page) and all(s.startswith(".agora-report") for s in _selectors(page)), (
        "the report's styles must not restyle the rest of the notebook")


def test_summary_styles_are_scoped(mixed: RunResult) -> None:
    selectors = _selectors(mixed._repr_html_())
    assert selectors and all(s.startswith(".agora-run ") for s in selectors)


def _selectors(page: str) -> list[str]:
    """Every CSS selector of the ``<style>`` elements of an HTML fragment."""
    styles = re.findall(r"<style>(.*?)</style>", page, flags=re.S)
    return [sel.strip() for css in styles for rule in css.split("}") if "{" in rule
            for sel in rule.split("{")[0].split(",")]
