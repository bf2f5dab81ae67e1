"""`agora run`, `show` and `report` of rock-paper-scissors with an embedded-LLM agent seated
against a patterned opponent (the R→P→S cycle) through ``by_role``, on the embedded llama.cpp
model (CPU); every LLM decision must parse without falling back to a random action."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

pytestmark = pytest.mark.llm

SPEC = """game = "rock_paper_scissors"
n_instances = 1
seed = 3
[config]
rounds = 4
[[policies]]
kind = "by_role"
agent = { kind = "llm", max_tokens = 8, backend = "llamacpp", """ \
    """backend_options = { n_threads = 2, seed = 11 } }
opponent = { kind = "rps_cycle" }
"""


def test_llm_agent_against_a_pattern(tmp_path: Path,
                                     cli_ok: Callable[..., str]) -> None:
    spec = tmp_path / "rps.toml"
    spec.write_text(SPEC)
    out = tmp_path / "run"
    ran = cli_ok("run", str(spec), "--out", str(out), "--quiet")
    assert "game rock_paper_scissors" in ran
    records = pl.read_parquet(out / "records.parquet")
    llm = records.filter(pl.col("role") == "agent")
    assert llm.height == 4
    statuses = llm["parse_status"].to_list()
    assert None not in statuses and "fallback" not in statuses, statuses
    assert llm["raw_text"].null_count() == 0
    assert set(llm["action"].to_list()) <= {0.0, 1.0, 2.0}

    shown = cli_ok("show", str(out))
    assert "game rock_paper_scissors" in shown and "llm" in shown
    reported = cli_ok("report", str(out), "--n-boot", "10")
    assert str(out / "report.html") in reported
    md = (out / "report.md").read_text()
    assert "Traceback" not in md
    assert "llm (agent)" in md and "Exploitation score by round" in md
    assert "Conditional responses (stay / up / down" in md
