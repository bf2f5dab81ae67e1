"""`agora run`, `show` and `report` of the ring-network game with embedded-LLM players, in the
three belief modes (implicit, explicit, given).

Each mode plays one instance of game G1 without rotation (four seats, one per position: 4
decisions, every position prompted once; the rotation itself is covered by the scripted tests)
with ``kind = "llm"`` on the embedded llama.cpp model (CPU) through the CLI's own
``main``; every decision must parse without falling back to a random action.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

pytestmark = pytest.mark.llm

@pytest.mark.parametrize("beliefs", ["implicit", "explicit", "given"])
def test_llm_ring_network_modes(beliefs: str, tmp_path: Path,
                                cli_ok: Callable[..., str],
                                tiny_llm_policy: Callable[[int], str]) -> None:
    spec = tmp_path / f"ring_{beliefs}.toml"
    spec.write_text(f'game = "ring_network"\nn_instances = 1\nseed = 3\n[config]\n'
                    f'games = ["G1"]\nrotate = false\nbeliefs = "{beliefs}"\n{tiny_llm_policy(24)}')
    out = tmp_path / "run"
    ran = cli_ok("run", str(spec), "--out", str(out), "--quiet")
    assert "game ring_network" in ran
    records = pl.read_parquet(out / "records.parquet")
    assert records.height == 4 and records["position"].sort().to_list() == [1, 2, 3, 4]
    statuses = records["parse_status"].to_list()
    assert None not in statuses and "fallback" not in statuses, statuses
    assert records["raw_text"].null_count() == 0
    assert records["action"].is_between(1, 3).all()
    if beliefs == "explicit":
        assert records["belief"].is_between(1, 3).all()
        assert records["raw_text"].str.contains('"belief"').all()
    else:
        assert records["belief"].is_nan().all()
    assert records["given_belief"].is_nan().all() == (beliefs != "given")

    shown = cli_ok("show", str(out))
    assert "game ring_network" in shown and "llm" in shown
    reported = cli_ok("report", str(out), "--n-boot", "10")
    assert str(out / "report.html") in reported
    markdown = (out / "report.md").read_text()
    assert "Orders of rationality" in markdown and "Traceback" not in markdown
