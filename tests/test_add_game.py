"""Adding a game: the worked example of docs/adding_a_game.md, installed from its own package in
a temporary folder, passes PettingZoo's battery, agora's conformance checks and theory checks
against brute force, runs, shows and reports through the CLI, and changes no file outside that
folder (no edit to agora is needed)."""

from __future__ import annotations

import ast
import hashlib
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fixtures.game_package import (
    GAME_PYPROJECT,
    GAME_SOURCE,
    build_wheel,
    pip_install,
    sandbox_env,
    write_project,
)

import agora
from agora.engine.contract import GameHooks, theory_kind
from agora.engine.registry import REGISTRY, make_config
from agora.policies import (
    CognitiveHierarchyPolicy,
    EquilibriumPolicy,
    LevelKPolicy,
    QuantalResponsePolicy,
)
from agora.testing import check_game, check_pettingzoo_api, conformance_configs

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "adding_a_game.md"
GAME = "lost_luggage"


def _tree_state() -> dict[str, str] | None:
    """Every path ``git status`` lists (untracked files included) with a hash of its content,
    so a change to an already modified file counts too; None outside a git checkout."""
    try:
        done = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"],
                              cwd=REPO, capture_output=True, text=True, timeout=60, check=False)
    except FileNotFoundError:
        return None
    if done.returncode != 0:
        return None
    state = {}
    for line in done.stdout.splitlines():
        path = REPO / line[3:].split(" -> ")[-1].strip('"')
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "-"
        state[line] = digest
    return state


@dataclass(frozen=True)
class Installed:
    root: Path
    site: Path
    env: dict[str, str]
    tree_before: dict[str, str] | None


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    """The example game built as a wheel and pip-installed into ``ROOT/site``, on ``sys.path``
    for this module; the registry forgets it afterwards."""
    tree_before = _tree_state()
    root = tmp_path_factory.mktemp("add_game")
    wheel = build_wheel(write_project(root / "project"), root / "dist")
    env = sandbox_env(root, root / "site")
    pip_install(wheel, root / "site", env)
    with pytest.MonkeyPatch.context() as mp:
        REGISTRY.names()
        for attr in ("_entries", "_policies", "_llm_presets"):
            mp.setattr(REGISTRY, attr, dict(getattr(REGISTRY, attr)))
        mp.setattr(REGISTRY, "_loaded", set(REGISTRY._loaded))
        mp.setattr(sys, "dont_write_bytecode", True)
        mp.syspath_prepend(str(root / "site"))
        REGISTRY.refresh()
        yield Installed(root, root / "site", env, tree_before)
    REGISTRY.refresh()
    for name in [m for m in sys.modules if m == GAME or m.startswith(f"{GAME}.")]:
        del sys.modules[name]


def test_the_installed_game_registers_through_its_entry_point(installed: Installed) -> None:
    assert GAME in agora.list_games()
    entry = REGISTRY.get(GAME)
    assert Path(sys.modules[entry.kernel_cls.__module__].__file__ or "").is_relative_to(
        installed.site)
    assert entry.description == "The traveler's dilemma (claim low, or trust the other to " \
        "claim high)."
    assert theory_kind(entry.kernel_cls.theory) == "simultaneous"
    assert isinstance(entry.kernel_cls.hooks, GameHooks)
    assert "undercut" in REGISTRY.policy_kinds()


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    return found | {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}


def test_the_game_is_written_against_the_engine_only(installed: Installed) -> None:
    allowed = {"numpy", "gymnasium", "__future__"} | set(sys.stdlib_module_names)
    files = sorted((installed.site / GAME).glob("*.py"))
    assert {f.name for f in files} >= {"__init__.py", "config.py", "env.py", "theory.py"}
    for path in files:
        for module in _imports(path):
            top = module.split(".")[0]
            assert top in allowed or top == GAME or module.startswith("agora.engine"), \
                f"{path.name} imports {module}"


def test_pettingzoo_battery(installed: Installed) -> None:
    from pettingzoo.test import parallel_api_test

    for config in conformance_configs(GAME):
        parallel_api_test(agora.make(GAME, **config), num_cycles=50)
        check_pettingzoo_api(GAME, **config)  # parallel, seed and AEC tests, as agora runs them


def test_agora_conformance(installed: Installed) -> None:
    configs = conformance_configs(GAME)
    assert len(configs) == 3
    for config in configs:
        check_game(GAME, **config)


def test_config_errors_are_one_line(installed: Installed) -> None:
    for bad, message in (({"reward": 1.0}, "reward must be > 1"),
                         ({"low": 5, "high": 5}, "high must be an integer >= 6"),
                         ({"rounds": 0}, "rounds must be an integer >= 1")):
        with pytest.raises(ValueError, match=message):
            make_config(GAME, **bad)


# ---------------------------------------------------------------- theory vs brute force
SMALL = {"low": 3, "high": 15, "reward": 2.5}


def _game(installed: Installed, **config: Any) -> tuple[Any, Any, GameHooks]:
    kernel_cls = REGISTRY.get(GAME).kernel_cls
    return make_config(GAME, **config), kernel_cls.theory, kernel_cls.hooks


def _payoff_matrix(config: Any, hooks: GameHooks) -> tuple[np.ndarray, np.ndarray]:
    """Claims and the row player's payoff of every (own, other) claim pair, from the hook."""
    claims = np.arange(config.low, config.high + 1, dtype=np.float64)
    own, other = np.meshgrid(claims, claims, indexing="ij")
    pay = hooks.payoffs(config, np.stack([own, other], axis=-1))
    np.testing.assert_allclose(pay[..., 1], pay[..., 0].T)  # symmetric game
    return claims, pay[..., 0]


def _lowest_best(claims: np.ndarray, utility: np.ndarray) -> float:
    """The lowest claim of highest utility (exact ties, e.g. 10 and 11 against uniform 3..15,
    go to the lower one as the theory says)."""
    utility = np.ravel(utility)
    return float(claims[np.flatnonzero(utility >= utility.max() - 1e-9)[0]])


def test_equilibrium_is_the_unique_nash_equilibrium(installed: Installed) -> None:
    config, theory, hooks = _game(installed, **SMALL)
    claims, u = _payoff_matrix(config, hooks)
    best = u.max(axis=0)  # best payoff against each claim of the other
    pure_nash = [(claims[i], claims[j]) for i in range(claims.size) for j in range(claims.size)
                 if u[i, j] >= best[j] - 1e-12 and u[j, i] >= best[i] - 1e-12]
    assert pure_nash == [(theory.equilibrium_action(config),) * 2] == [(3.0, 3.0)]


def test_level_k_and_cognitive_hierarchy_best_respond(installed: Installed) -> None:
    config, theory, hooks = _game(installed, **SMALL)
    claims, u = _payoff_matrix(config, hooks)
    level1 = _lowest_best(claims, u.mean(axis=1))
    assert theory.level_k_action(config, 1) == level1
    for k in (2, 3, 4):
        response = _lowest_best(claims, u[:, claims == theory.level_k_action(config, k - 1)])
        assert theory.level_k_action(config, k) == response
    ch = theory.ch_actions(config, 1.5, 4)
    assert ch[0] == (config.low + config.high) / 2 and ch[1] == level1
    weights = np.array([1.0, 1.5, 1.5**2 / 2, 1.5**3 / 6])
    for k in range(2, 5):  # step k best responds to the Poisson mix of steps 0..k-1
        belief = weights[0] * u.mean(axis=1)
        for j in range(1, k):
            belief = belief + weights[j] * u[:, claims == ch[j]][:, 0]
        assert ch[k] == _lowest_best(claims, belief / weights[:k].sum())
    np.testing.assert_allclose(theory.action_utilities(config, claims), u.mean(axis=1))
    np.testing.assert_allclose(theory.action_utilities(config, claims, belief_mean=9.0),
                               u[:, claims == 9.0][:, 0])
    with pytest.raises(ValueError, match="k >= 1"):
        theory.level_k_action(config, 0)


def test_hooks_dominance_and_benchmark(installed: Installed) -> None:
    config, _, hooks = _game(installed, **SMALL)
    claims, u = _payoff_matrix(config, hooks)
    dominated = [claims[i] for i in range(claims.size)
                 if any((u[j] >= u[i]).all() and (u[j] > u[i]).any()
                        for j in range(claims.size))]
    above, below = hooks.dominance_bounds(config)
    assert dominated == [config.high] and above == config.high - 1 and below is None
    rows = dict(hooks.benchmark(GAME, config).as_rows())
    assert rows["equilibrium action"] == "3"
    assert rows["weakly dominated above"] == "14"
    assert "Basu 1994" in rows["notes"]


def test_scripted_players_follow_the_theory(installed: Installed) -> None:
    from lost_luggage import Undercut  # the game's own scripted player (POLICIES)

    config, theory, _ = _game(installed, rounds=3)
    for policy, first in ((EquilibriumPolicy(), 2.0), (LevelKPolicy(2), 95.0),
                          (Undercut(margin=2), 100.0)):
        rec = agora.run(GAME, policy=policy, n_instances=4, seed=1, progress=False,
                        config=config).records
        assert rec.height == 4 * 2 * 3
        assert (rec.filter(rec["round"] == 0)["action"] == first).all(), policy.name
    assert theory.level_k_action(config, 2) == 95.0
    last = rec.filter(rec["round"] == 1)["other_claim"].to_numpy()
    assert (rec.filter(rec["round"] == 2)["action"].to_numpy() == last - 2).all()
    for policy in (CognitiveHierarchyPolicy(tau=1.5), QuantalResponsePolicy(lam=0.3)):
        rec = agora.run(GAME, policy=policy, n_instances=8, seed=2, progress=False,
                        config=config).records
        assert rec["action"].is_between(2, 100).all()


# ---------------------------------------------------------------- the CLI, as a user runs it
def _doc_blocks() -> dict[str, str]:
    """Code blocks of the guide whose first line names a file (``# lost_luggage/env.py``)."""
    blocks = re.findall(r"```(?:python|toml)\n# (\S+)\n(.*?)```", DOC.read_text(), re.S)
    return dict(blocks)


def _agora(installed: Installed, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "agora.cli", *args], cwd=installed.root,
                          capture_output=True, text=True, timeout=180, env=installed.env,
                          check=False)


def test_cli_runs_shows_and_reports_the_installed_game(installed: Installed) -> None:
    games = _agora(installed, "games")
    assert games.returncode == 0, games.stderr
    assert re.search(rf"^{GAME}\s+The traveler's dilemma", games.stdout, re.M), games.stdout
    spec = installed.root / "travelers.toml"
    spec.write_text(_doc_blocks()["travelers.toml"])  # the guide's spec, as a user copies it
    out = installed.root / "runs" / "travelers"
    ran = _agora(installed, "run", str(spec), "--out", str(out), "--quiet")
    assert ran.returncode == 0, ran.stderr
    assert (out / "records.parquet").is_file()
    shown = _agora(installed, "show", str(out))
    assert shown.returncode == 0, shown.stderr
    assert f"game {GAME}  instances 100  seed 7" in shown.stdout, shown.stdout
    assert "policies: undercut(1) (50%), ch(tau=1.5) (50%)" in shown.stdout, shown.stdout
    assert "equilibrium_action" in shown.stdout, shown.stdout
    report = _agora(installed, "report", str(out), "--n-boot", "10")
    assert report.returncode == 0, report.stderr
    assert (out / "report.html").is_file()
    text = (out / "report.md").read_text()
    assert GAME in text and "Basu 1994" in text, text[:2000]  # benchmark from the game's hooks
    assert "weakly dominated above | 99" in text  # hooks.dominance_bounds
    assert "NashConv" in text and "regret" in text  # counterfactuals from hooks.payoffs


# ---------------------------------------------------------------- docs and cleanliness
def test_the_guide_shows_exactly_the_tested_source() -> None:
    blocks = _doc_blocks()
    files = {f"{GAME}/{p.name}": p for p in sorted(GAME_SOURCE.glob("*.py"))}
    files["pyproject.toml"] = GAME_PYPROJECT
    assert set(files) <= set(blocks), sorted(set(files) - set(blocks))
    for name, path in files.items():
        assert blocks[name] == path.read_text(), f"docs/adding_a_game.md shows another {name}"


def test_the_guides_python_snippets_run(installed: Installed,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = _doc_blocks()
    namespace: dict[str, Any] = {}
    exec(compile(blocks["tests/test_lost_luggage.py"], "guide-test", "exec"), namespace)
    namespace["test_lost_luggage_conforms"]()
    work = installed.root / "snippet"
    work.mkdir()
    monkeypatch.chdir(work)
    namespace = {}
    exec(compile(blocks["run_travelers.py"], "guide-run", "exec"), namespace)
    assert namespace["result"].records.height == 100 * 2 * 2
    assert (work / "runs" / "travelers" / "records.parquet").is_file()


def test_adding_the_game_changed_no_file_outside_its_folder(installed: Installed) -> None:
    if installed.tree_before is None:
        pytest.skip("not a git checkout")
    before, after = installed.tree_before, _tree_state() or {}
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    assert not changed, f"files outside the game's folder changed: {changed}"
