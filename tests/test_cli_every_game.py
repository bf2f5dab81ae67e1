"""`agora run`, `agora show` and `agora report` exit 0 for every registered game.

Each game plays a tiny scripted run (random players, plus the game's equilibrium players when it
declares a theory) through the CLI's own ``main``; the run is then shown and reported. A game
from another package is covered the same way, through a subprocess, by test_add_game.py.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

import agora
from agora.engine.registry import REGISTRY

GAMES = agora.list_games()


def _spec(game: str) -> str:
    """A tiny run of ``game``'s default config with scripted players only."""
    text = f'game = "{game}"\nn_instances = 2\nseed = 5\n'
    if REGISTRY.get(game).kernel_cls.theory is None:
        return text + '\n[[policies]]\nkind = "random"\n'
    return text + ('\n[[policies]]\nkind = "random"\nshare = 0.5\n'
                   '\n[[policies]]\nkind = "equilibrium"\nshare = 0.5\n')


def test_every_builtin_game_is_covered() -> None:
    assert {"p_beauty", "dictator", "bargaining", "ultimatum", "negotiation", "item_division",
            "tax_planner"} <= set(GAMES)


@pytest.mark.parametrize("game", GAMES)
def test_run_show_report(game: str, tmp_path: Path, cli_ok: Callable[..., str]) -> None:
    spec = tmp_path / f"{game}.toml"
    spec.write_text(_spec(game))
    out = tmp_path / "run"
    ran = cli_ok("run", str(spec), "--out", str(out), "--quiet")
    assert f"game {game}" in ran and str(out / "records.parquet") in ran
    records = pl.read_parquet(out / "records.parquet")
    assert records.height > 0 and records["game"].unique().to_list() == [game]

    shown = cli_ok("show", str(out))
    assert f"game {game}" in shown and "instances 2" in shown
    assert "random" in shown and "mean_payoff" in shown, shown
    eq = getattr(REGISTRY.get(game).kernel_cls.theory, "equilibrium_action", None)
    if callable(eq):  # simultaneous games print their equilibrium action per round
        assert "equilibrium_action" in shown, shown

    reported = cli_ok("report", str(out), "--n-boot", "10")
    assert str(out / "report.html") in reported
    html = (out / "report.html").read_text()
    markdown = (out / "report.md").read_text()
    assert game in html and game in markdown
    assert "Traceback" not in html and not math.isnan(records["reward"].mean() or 0.0)
