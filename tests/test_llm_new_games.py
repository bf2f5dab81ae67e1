"""`agora run`, `show` and `report` of the social-dilemma games with embedded-LLM players.

Each game plays a tiny TOML spec (one instance, one or two rounds, a few tokens) with
``kind = "llm"`` on the embedded llama.cpp model (CPU) through the CLI's own ``main``; every
decision must parse without falling back to a random action.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from agora.cli.main import main

pytestmark = pytest.mark.llm

CONFIGS = {
    "prisoners_dilemma": "rounds = 2\n",
    "travelers_dilemma": "rounds = 1\n",
    "trust": "rounds = 1\n",
    "public_goods": "group_size = 2\nrounds = 2\n",
}
"""Each game's tiny config (TOML lines of its ``[config]`` table)."""

POLICY = ('[[policies]]\nkind = "llm"\nmax_tokens = 8\nbackend = "llamacpp"\n'
          'backend_options = { n_threads = 2, seed = 11 }\n')


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    code = main(list(args))
    captured = capsys.readouterr()
    assert code == 0, f"agora {args[0]} exited {code}: {captured.err.strip()}"
    return captured.out


@pytest.mark.parametrize("game", sorted(CONFIGS))
def test_llm_run_show_report(game: str, tmp_path: Path,
                             capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / f"{game}.toml"
    spec.write_text(f'game = "{game}"\nn_instances = 1\nseed = 3\n[config]\n{CONFIGS[game]}'
                    f"{POLICY}")
    out = tmp_path / "run"
    ran = _cli(capsys, "run", str(spec), "--out", str(out), "--quiet")
    assert f"game {game}" in ran
    records = pl.read_parquet(out / "records.parquet")
    assert records.height > 0 and records["game"].unique().to_list() == [game]
    statuses = records["parse_status"].to_list()
    assert None not in statuses and "fallback" not in statuses, statuses
    assert records["raw_text"].null_count() == 0

    shown = _cli(capsys, "show", str(out))
    assert f"game {game}" in shown and "llm" in shown
    reported = _cli(capsys, "report", str(out), "--n-boot", "10")
    assert str(out / "report.html") in reported
    html = (out / "report.html").read_text()
    assert game in html and "Traceback" not in html
