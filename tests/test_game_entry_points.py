"""Games register through the ``agora.games`` entry points: agora's own and another package's."""

from __future__ import annotations

import importlib.metadata
import re
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import agora
from agora.engine.registry import ENTRY_POINT_GROUP, REGISTRY
from agora.policies import RandomPolicy

TESTS = Path(__file__).resolve().parent
BUILTIN = {"p_beauty", "dictator", "bargaining", "ultimatum", "negotiation", "item_division",
           "tax_planner"}


def _distribution(root: Path, name: str, entry_points: str, modules: dict[str, str]) -> None:
    """A package as pip would leave it: its modules plus a ``.dist-info`` with entry points."""
    for module, source in modules.items():
        (root / module).mkdir(parents=True)
        (root / module / "__init__.py").write_text(source)
    info = root / f"{name.replace('-', '_')}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\n{entry_points}")


PLUGIN = '''"""A coordination game from a package outside agora."""
from fixtures.toy_match import MatchKernel


class PluginMatchKernel(MatchKernel):
    """Two players pick a number and both earn the prize when they match."""

    name = "toy_plugin"


KERNELS = (PluginMatchKernel,)
'''


@pytest.fixture
def plugin_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A third-party game package on ``sys.path``; the registry forgets it afterwards."""
    root = tmp_path / "site"
    _distribution(root, "agora-toy-plugin", "toy_plugin = agora_toy_plugin\n",
                  {"agora_toy_plugin": PLUGIN})
    REGISTRY.names()
    monkeypatch.setattr(REGISTRY, "_entries", dict(REGISTRY._entries))
    monkeypatch.setattr(REGISTRY, "_loaded", set(REGISTRY._loaded))
    monkeypatch.syspath_prepend(str(root))
    REGISTRY.refresh()
    yield root
    REGISTRY.refresh()


def test_builtin_games_are_agoras_own_entry_points() -> None:
    names = {ep.name for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)}
    assert {"p_beauty", "dictator", "bargaining", "negotiation", "item_division",
            "tax_planner"} <= names
    assert set(agora.list_games()) >= BUILTIN


def test_the_registry_names_no_game() -> None:
    source = (Path(agora.__file__).parent / "engine" / "registry.py").read_text()
    found = [g for g in BUILTIN if re.search(rf"[\"'.]{g}[\"']", source)]
    assert not found, found


def test_a_game_from_another_package_registers_and_runs(plugin_path: Path) -> None:
    assert "toy_plugin" in agora.list_games()
    assert REGISTRY.get("toy_plugin").description == (
        "Two players pick a number and both earn the prize when they match.")
    result = agora.run("toy_plugin", policy=RandomPolicy(), n_instances=3, seed=1, progress=False)
    assert result.records.height == 3 * 2 * 2  # instances x players x rounds


def test_a_broken_entry_point_warns_and_leaves_the_others(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    root = tmp_path / "site"
    _distribution(root, "agora-broken-plugin",
                  "broken = agora_broken_plugin\nmissing = no_such_module_here\n",
                  {"agora_broken_plugin": "raise RuntimeError('boom')\n"})
    REGISTRY.names()
    monkeypatch.setattr(REGISTRY, "_entries", dict(REGISTRY._entries))
    monkeypatch.setattr(REGISTRY, "_loaded", set(REGISTRY._loaded))
    monkeypatch.syspath_prepend(str(root))
    REGISTRY.refresh()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        names = agora.list_games()
    REGISTRY.refresh()
    assert set(names) >= BUILTIN
    text = " ".join(str(w.message) for w in caught)
    assert "'broken'" in text and "boom" in text and "'missing'" in text


def test_cli_runs_shows_and_reports_a_game_from_another_package(
        plugin_path: Path, agora_cli: Callable[..., object], tmp_path: Path) -> None:
    env = {"PYTHONPATH": f"{plugin_path}:{TESTS}"}
    games = agora_cli("games", env=env)
    assert games.returncode == 0 and "toy_plugin" in games.stdout, games.stderr
    spec = tmp_path / "toy.toml"
    spec.write_text('game = "toy_plugin"\nn_instances = 2\n[[policies]]\nkind = "random"\n')
    out = tmp_path / "run"
    ran = agora_cli("run", str(spec), "--out", str(out), "--quiet", env=env)
    assert ran.returncode == 0, ran.stderr
    shown = agora_cli("show", str(out), env=env)
    assert shown.returncode == 0 and "toy_plugin" in shown.stdout, shown.stderr
    report = agora_cli("report", str(out), "--n-boot", "10", env=env)
    assert report.returncode == 0, report.stderr
