"""`agora run`, `show` and `report` of the social-dilemma games with embedded-LLM players.

Each game plays a tiny TOML spec (one instance, one or two rounds, a few tokens) with
``kind = "llm"`` on the embedded llama.cpp model (CPU) through the CLI's own ``main``; every
decision must parse without falling back to a random action.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

pytestmark = pytest.mark.llm

CONFIGS = {
    "prisoners_dilemma": "rounds = 2\n",
    "travelers_dilemma": "rounds = 1\n",
    "trust": "rounds = 1\n",
    "public_goods": "group_size = 2\nrounds = 2\n",
}
"""Each game's tiny config (TOML lines of its ``[config]`` table)."""

@pytest.mark.parametrize("game", sorted(CONFIGS))
def test_llm_run_show_report(game: str, tmp_path: Path,
                             cli_ok: Callable[..., str],
                             tiny_llm_policy: Callable[[int], str]) -> None:
    spec = tmp_path / f"{game}.toml"
    spec.write_text(f'game = "{game}"\nn_instances = 1\nseed = 3\n[config]\n{CONFIGS[game]}'
                    f"{tiny_llm_policy(8)}")
    out = tmp_path / "run"
    ran = cli_ok("run", str(spec), "--out", str(out), "--quiet")
    assert f"game {game}" in ran
    records = pl.read_parquet(out / "records.parquet")
    assert records.height > 0 and records["game"].unique().to_list() == [game]
    statuses = records["parse_status"].to_list()
    assert None not in statuses and "fallback" not in statuses, statuses
    assert records["raw_text"].null_count() == 0

    shown = cli_ok("show", str(out))
    assert f"game {game}" in shown and "llm" in shown
    reported = cli_ok("report", str(out), "--n-boot", "10")
    assert str(out / "report.html") in reported
    html = (out / "report.html").read_text()
    assert game in html and "Traceback" not in html
