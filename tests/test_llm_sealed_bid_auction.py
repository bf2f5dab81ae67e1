"""`agora run`, `show` and `report` of the sealed-bid auction with embedded-LLM bidders.

Both formats play a tiny TOML spec (one group of two bidders, two rounds, a few tokens) with
``kind = "llm"`` on the embedded llama.cpp model (CPU) through the CLI's own ``main``; every
bid must parse without falling back to a random action, and the report must hold the bid
function and the revenue against theory.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from agora.llm.llamacpp.model_files import embedded_model_available

pytestmark = [pytest.mark.llm,
              pytest.mark.skipif(not embedded_model_available(),
                                 reason="embedded llama.cpp model not installed")]

GAME = "sealed_bid_auction"
@pytest.mark.parametrize("fmt", ["first_price", "second_price"])
def test_llm_run_show_report(fmt: str, tmp_path: Path,
                             cli_ok: Callable[..., str],
                             tiny_llm_policy: Callable[[int], str]) -> None:
    spec = tmp_path / f"{fmt}.toml"
    spec.write_text(f'game = "{GAME}"\nn_instances = 1\nseed = 3\n[config]\nformat = "{fmt}"\n'
                    f"bidders = 2\nrounds = 2\n{tiny_llm_policy(8)}")
    out = tmp_path / "run"
    ran = cli_ok("run", str(spec), "--out", str(out), "--quiet")
    assert f"game {GAME}" in ran
    records = pl.read_parquet(out / "records.parquet")
    assert records.height == 4 and records["game"].unique().to_list() == [GAME]
    statuses = records["parse_status"].to_list()
    assert None not in statuses and "fallback" not in statuses, statuses
    assert records["raw_text"].null_count() == 0
    assert records["value"].is_not_nan().all() and records["rnne_bid"].is_not_nan().all()

    shown = cli_ok("show", str(out))
    assert f"game {GAME}" in shown and "llm" in shown
    reported = cli_ok("report", str(out), "--n-boot", "10")
    assert str(out / "report.html") in reported
    html = (out / "report.html").read_text()
    markdown = (out / "report.md").read_text()
    assert GAME in html and "Traceback" not in html
    assert "Bid function" in markdown and "Seller revenue per auction" in markdown
