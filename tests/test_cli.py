"""The ``agora`` command line: games, run, show, and one-line errors on bad input."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from agora.cli.main import main
from agora.engine.registry import REGISTRY, make_config

Cli = Callable[..., subprocess.CompletedProcess[str]]

GOOD_TOML = """\
game = "p_beauty"
n_instances = 3
seed = 2

[config]
n_players = 4

[[policies]]
kind = "level_k"
k = 1
"""


def test_games_lists_builtin_games(agora_cli: Cli) -> None:
    res = agora_cli("games")
    assert res.returncode == 0, res.stderr
    rows = {line.split()[0]: line for line in res.stdout.splitlines()}
    assert {"p_beauty", "dictator"} <= set(rows)
    assert "p-beauty contest" in rows["p_beauty"]
    assert "dictator game" in rows["dictator"]


def test_run_toml_then_show(agora_cli: Cli, repo_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    res = agora_cli("run", str(repo_root / "experiments" / "p_beauty_scripted.toml"),
                    "--out", str(out), "--quiet")
    assert res.returncode == 0, res.stderr
    assert res.stderr == ""
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "records.parquet"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert {"config", "seed", "versions", "git_commit", "run_id", "fingerprint"} <= set(manifest)
    assert manifest["seed"] == 7 and manifest["n_instances"] == 200
    assert manifest["config"]["rounds"] == 4 and manifest["config"]["n_players"] == 10
    assert manifest["versions"]["polars"] == pl.__version__
    assert manifest["git_commit"] is None or re.fullmatch(r"[0-9a-f]{40}",
                                                          manifest["git_commit"])
    assert [(p["name"], p["share"]) for p in manifest["policies"]] == [
        ("ch(tau=1.5)", 0.8), ("equilibrium", 0.2)]

    records = pl.read_parquet(out / "records.parquet")
    assert records.height == 200 * 10 * 4
    eq = records.filter(pl.col("policy") == "equilibrium")
    assert eq.height == 400 * 4 and eq["action"].unique().to_list() == [0.0]

    run_lines = res.stdout.splitlines()
    assert run_lines[-1] == f"records: {out / 'records.parquet'}"
    assert run_lines[0] == (f"run {manifest['run_id']}  game p_beauty  instances 200  seed 7")
    assert run_lines[1] == "policies: ch(tau=1.5) (80%), equilibrium (20%)"

    shown = agora_cli("show", str(out))
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines() == run_lines[:-1]  # show renders what run printed
    table = "\n".join(run_lines)
    for r in range(4):
        mean = records.filter(pl.col("round") == r)["action"].mean()
        assert re.search(rf"│ {r}\s+┆ player ┆ 2000\s+┆ {mean:.3f}", table), (r, mean)


def test_bad_input_in_subprocesses(agora_cli: Cli, tmp_path: Path) -> None:
    """Real processes: exit code 2 and exactly one stderr line, no traceback."""
    (tmp_path / "chess.toml").write_text(GOOD_TOML.replace("p_beauty", "chess"))
    (tmp_path / "broken.toml").write_text("game = [\n")
    cases = {
        ("run", "chess.toml"): "unknown game 'chess'",
        ("run", "broken.toml"): "broken.toml: not valid TOML",
        ("run", "missing.toml"): "missing.toml: no such file",
        ("show", "nowhere"): "not an agora run directory",
    }
    procs = {args: subprocess.Popen([sys.executable, "-m", "agora.cli", *args, "--quiet"]
                                    if args[0] == "run" else
                                    [sys.executable, "-m", "agora.cli", *args],
                                    cwd=tmp_path, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True, env=dict(os.environ))
             for args in cases}
    for args, needle in cases.items():
        _, stderr = procs[args].communicate(timeout=120)
        assert procs[args].returncode == 2, (args, stderr)
        lines = stderr.splitlines()
        assert len(lines) == 1, (args, stderr)
        assert lines[0].startswith("agora: error: ") and needle in lines[0], (args, stderr)


# ------------------------------------------------------------------ bad input, in process
BAD_TOML = {
    "unknown_game": (GOOD_TOML.replace('"p_beauty"', '"chess"'),
                     r"unknown game 'chess'; known games: .*dictator.*p_beauty"),
    "unknown_config_field": (GOOD_TOML.replace("n_players = 4", "colour = 4"),
                             r"p_beauty: unknown config field\(s\) colour"),
    "bad_config_value": (GOOD_TOML.replace("n_players = 4", "p = 0"), "p_beauty: p must be > 0"),
    "config_wrong_type": (GOOD_TOML.replace("n_players = 4", 'p = "half"'),
                          "p_beauty: p must be a number, got 'half'"),
    "lower_above_upper": (GOOD_TOML.replace("n_players = 4", "lower = 50\nupper = 10"),
                          r"p_beauty: lower \(50\) must be < upper \(10\)"),
    "take_bound": ('game = "dictator"\n[config]\nvariant = "take"\ntake_bound = 5\n'
                   '[[policies]]\nkind = "random"\n',
                   r"dictator: take_bound \(5\) cannot exceed recipient_endowment"),
    "malformed": ("game = \n", "not valid TOML"),
    "unknown_top_level": ("colour = 1\n" + GOOD_TOML, r"unknown field\(s\) colour"),
    "no_game": (GOOD_TOML.replace('game = "p_beauty"', ""), "missing field 'game'"),
    "no_policies": ('game = "p_beauty"\n', r"needs at least one \[\[policies\]\]"),
    "policy_without_kind": ('game = "p_beauty"\n[[policies]]\nshare = 1\n',
                            r"policies\[0\] has no 'kind'"),
    "unknown_policy": (GOOD_TOML.replace('"level_k"', '"oracle"'),
                       "unknown policy kind 'oracle'"),
    "bad_policy_param": (GOOD_TOML.replace("k = 1", "depth = 1"),
                         "policy 'level_k': bad parameters"),
    "bad_share": (GOOD_TOML + 'share = "most"\n', r"policies\[0\].share must be a number"),
    "bad_seed": (GOOD_TOML.replace("seed = 2", "seed = -2"),
                 "seed must be a non-negative integer"),
    "config_not_table": (GOOD_TOML.replace("[config]\nn_players = 4\n", "config = 3\n"),
                         r"\[config\] must be a table"),
}


def _main_error(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code = main(list(argv))
    captured = capsys.readouterr()
    assert code == 2, captured
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("agora: error: "), captured.err
    assert "Traceback" not in captured.err
    return lines[0]


@pytest.mark.parametrize("case", sorted(BAD_TOML))
def test_bad_toml_one_line_error(case: str, tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    text, message = BAD_TOML[case]
    path = tmp_path / f"{case}.toml"
    path.write_text(text)
    line = _main_error(capsys, "run", str(path), "--out", str(tmp_path / "out"), "--quiet")
    assert re.search(message, line), line
    assert not (tmp_path / "out").exists()


def test_missing_directory_and_wrong_suffix(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert "no such file" in _main_error(capsys, "run", str(tmp_path / "nope.toml"))
    (tmp_path / "dir.toml").mkdir()
    assert "not a file" in _main_error(capsys, "run", str(tmp_path / "dir.toml"))
    (tmp_path / "spec.yaml").write_text("game: p_beauty\n")
    assert "expected a .toml config or a .py" in _main_error(capsys, "run",
                                                             str(tmp_path / "spec.yaml"))
    (tmp_path / "binary.toml").write_bytes(b"\xff\xfe\x00\x01game")
    assert "not valid TOML: the file is not UTF-8" in _main_error(
        capsys, "run", str(tmp_path / "binary.toml"))


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                    reason="root reads files whatever their mode")
def test_unreadable_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "secret.toml"
    path.write_text(GOOD_TOML)
    path.chmod(0)
    assert "Permission denied" in _main_error(capsys, "run", str(path))


def test_experiment_script_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "nothing.py").write_text("X = 1\n")
    assert "defines neither spec() nor SPEC" in _main_error(capsys, "run",
                                                            str(tmp_path / "nothing.py"))
    (tmp_path / "wrong.py").write_text("def spec():\n    return {'game': 'p_beauty'}\n")
    assert "spec() must return a RunSpec, got dict" in _main_error(
        capsys, "run", str(tmp_path / "wrong.py"))


def test_rerun_needs_resume_and_same_config(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    spec, out = tmp_path / "good.toml", tmp_path / "out"
    spec.write_text(GOOD_TOML)
    assert main(["run", str(spec), "--out", str(out), "--quiet"]) == 0
    first = capsys.readouterr().out
    assert "instances 3  seed 2" in first
    assert "pass --resume" in _main_error(capsys, "run", str(spec), "--out", str(out))
    assert main(["run", str(spec), "--out", str(out), "--resume", "--quiet"]) == 0
    assert capsys.readouterr().out == first  # the finished run, not a new one
    line = _main_error(capsys, "run", str(spec), "--out", str(out), "--seed", "3", "--resume")
    assert "holds a different run" in line
    spec.write_text(GOOD_TOML.replace("n_players = 4", "n_players = 5"))
    assert "holds a different run" in _main_error(capsys, "run", str(spec), "--out", str(out))


def test_show_of_unfinished_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "manifest.json").write_text(json.dumps({"status": "running"}))
    line = _main_error(capsys, "show", str(tmp_path))
    assert "partial run (status: running" in line and "--resume" in line


# ------------------------------------------------------------------ every game, every command
GAMES = REGISTRY.names()


@pytest.mark.parametrize("game", GAMES)
def test_every_game_runs_shows_and_reports(game: str, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 14.4: run, show and report exit 0 with a summary for every registered game."""
    spec, out = tmp_path / f"{game}.toml", tmp_path / "run"
    spec.write_text(f'game = "{game}"\nn_instances = 2\n'
                    '[[policies]]\nkind = "random"\nshare = 0.5\n'
                    '[[policies]]\nkind = "equilibrium"\nshare = 0.5\n')
    assert main(["run", str(spec), "--out", str(out), "--quiet"]) == 0, capsys.readouterr().err
    ran = capsys.readouterr().out
    assert main(["show", str(out)]) == 0, capsys.readouterr().err
    shown = capsys.readouterr().out
    assert shown.splitlines() == ran.splitlines()[:-1]
    rows = [line for line in shown.splitlines() if line.startswith("│") and "┆" in line]
    assert len(rows) >= 2 and "mean_payoff" in rows[0], shown  # header plus data rows
    kernel_cls = REGISTRY.get(game).kernel_cls  # the column comes from the game's benchmark
    benchmark = kernel_cls.hooks.benchmark(game, make_config(game))
    assert ("equilibrium_action" in rows[0]) == (benchmark is not None)
    assert main(["report", str(out), "--n-boot", "10"]) == 0, capsys.readouterr().err
    capsys.readouterr()
    assert (out / "report.html").stat().st_size > 0 and (out / "report.md").stat().st_size > 0


def test_show_population_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A population run's manifest has no run id, instance count or policy table."""
    import agora
    import populations
    from agora.policies.scripted import RandomPolicy

    model = populations.PopulationModel(populations.synthesize(20, seed=1), seed=2)
    agora.run("p_beauty", population=model, policy=RandomPolicy(), rounds=2,
              out=tmp_path / "pop", progress=False)
    assert main(["show", str(tmp_path / "pop")]) == 0, capsys.readouterr().err
    shown = capsys.readouterr().out
    assert "game p_beauty  personas 20  population rounds 2" in shown.splitlines()[0]
    from agora.cli.show import summary
    from agora.engine.records import load_run

    table = summary(load_run(tmp_path / "pop"))
    assert table["population_round"].to_list() == [0, 1]
    assert sum(line.startswith("│ 0 ") or line.startswith("│ 1 ")
               for line in shown.splitlines()) == 2


def test_show_adds_agent_totals_where_others_pay(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """A trust sender is paid what comes back at the receiver's step: `show` prints each role's
    mean total payoff from the game's agent_payoffs hook, which the step rewards undercount."""
    spec = tmp_path / "trust.toml"
    spec.write_text('game = "trust"\nn_instances = 30\nseed = 3\n\n[[policies]]\nkind = "random"\n')
    assert main(["run", str(spec), "--out", str(tmp_path / "run"), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["show", str(tmp_path / "run")]) == 0
    shown = capsys.readouterr().out
    line = next(x for x in shown.splitlines() if x.startswith("mean total payoff per agent"))
    got = dict(re.findall(r"(\w+) (-?[\d.]+)", line.split(": ", 1)[1]))
    rec = pl.read_parquet(tmp_path / "run" / "records.parquet")
    rec = rec.filter(pl.col("receiver_payoff").is_not_nan())
    assert float(got["sender"]) == pytest.approx(rec["sender_payoff"].mean(), abs=1e-3)
    assert float(got["receiver"]) == pytest.approx(rec["receiver_payoff"].mean(), abs=1e-3)


def test_show_has_no_agent_totals_line_for_plain_games(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "d.toml"
    spec.write_text('game = "dictator"\nn_instances = 4\nseed = 3\n\n'
                    '[[policies]]\nkind = "random"\n')
    assert main(["run", str(spec), "--out", str(tmp_path / "run"), "--quiet"]) == 0
    assert main(["show", str(tmp_path / "run")]) == 0
    assert "mean total payoff per agent" not in capsys.readouterr().out
