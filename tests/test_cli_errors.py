"""``agora run``: every bad input of issue 14 (items 5 and 6) gives one line and exit 2."""

from __future__ import annotations

import http.server
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_cli import GOOD_TOML, _main_error  # the shared spec and one-line check

from agora.spec.overrides import PROBE_TIMEOUT_S

# ------------------------------------------------------------------ issue 14.6: one line, exit 2
ONE_POLICY = '[[policies]]\nkind = "random"\n'
BAD_INPUTS = {
    "huge_n_instances": ('game = "p_beauty"\nn_instances = 1000000000000\n' + ONE_POLICY,
                         r"n_instances must be an integer >= 1 and <= 100,000,000"),
    "huge_n_players": ('game = "p_beauty"\n[config]\nn_players = 1000000000000\n' + ONE_POLICY,
                       r"p_beauty: n_players must be an integer >= 2 and <= 1,000,000"),
    "huge_rounds": ('game = "dictator"\n[config]\nrounds = 1000000000000\n' + ONE_POLICY,
                    r"dictator: rounds must be an integer >= 1 and <= 1,000,000"),
    "huge_run": ('game = "p_beauty"\nn_instances = 10000000\n[config]\nrounds = 100\n'
                 + ONE_POLICY, r"agent-steps .* above the maximum 100,000,000"),
    "policy_not_table": ('game = "p_beauty"\npolicies = [1]\n',
                         r"policies\[0\] must be a \[\[policies\]\] table .* got 1"),
    "policy_as_string": ('game = "p_beauty"\npolicies = ["random"]\n',
                         r"policies\[0\] must be a \[\[policies\]\] table .* got 'random'"),
    "n_instances_bool": ('game = "p_beauty"\nn_instances = true\n' + ONE_POLICY,
                         r"n_instances must be an integer .* got True"),
    "seed_bool": ('game = "p_beauty"\nseed = true\n' + ONE_POLICY,
                  r"seed must be a non-negative integer, got True"),
    "shares_below_one": ('game = "p_beauty"\n' + ONE_POLICY + "share = 0.5\n"
                         '[[policies]]\nkind = "equilibrium"\nshare = 0.2\n',
                         r"shares must sum to 1 .* got 0\.5 \+ 0\.2 = 0\.7"),
    "share_missing": ('game = "p_beauty"\n' + ONE_POLICY + "share = 0.5\n"
                      '[[policies]]\nkind = "equilibrium"\n',
                      r"policies\[1\] has no 'share'"),
    "kind_list": ('game = "p_beauty"\n[[policies]]\nkind = ["random"]\n',
                  r"unknown policy kind \['random'\]"),
    "items_string": ('game = "item_division"\n[config]\nitems = "abc"\n' + ONE_POLICY,
                     r"item_division: items must be a list of strings, got 'abc'"),
    "level_k_unsupported": ('game = "negotiation"\n[[policies]]\nkind = "level_k"\nk = 1\n',
                            r"policy 'level_1' needs the game's theory\.level_k_action"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_one_line(case: str, tmp_path: Path,
                            capsys: pytest.CaptureFixture[str]) -> None:
    text, message = BAD_INPUTS[case]
    path = tmp_path / f"{case}.toml"
    path.write_text(text)
    line = _main_error(capsys, "run", str(path), "--out", str(tmp_path / "out"), "--quiet")
    assert re.search(message, line), line


SCRIPTS = {
    "syntax.py": ("def spec(:\n    pass\n", r"syntax\.py:1: syntax error"),
    "raises.py": ("import os\n\nraise RuntimeError('boom\\nsecond line')\n",
                  r"raises\.py:3: the script raised RuntimeError: boom second line$"),
    "spec_raises.py": ("def spec():\n    return {}['missing']\n",
                       r"spec_raises\.py:2: the script raised KeyError: 'missing'"),
    "exits.py": ("import sys\nsys.exit(3)\n", r"exits\.py:2: the script raised SystemExit: 3"),
    "bad_pair.py": ("from agora.spec.run_spec import RunSpec\n\ndef spec():\n"
                    "    return RunSpec(game='p_beauty', policies=[1])\n",
                    r"bad_pair\.py:4: policies\[0\] must be a \(Policy, share\) pair, got 1"),
    "bad_shares.py": ("from agora.spec.run_spec import RunSpec\n"
                      "from agora.policies.scripted import RandomPolicy as R\n\ndef spec():\n"
                      "    return RunSpec(game='p_beauty', policies=[(R(), 0.5), (R(), 0.2)])\n",
                      r"bad_shares\.py:5: policy shares must sum to 1 .* = 0\.7"),
}


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_broken_experiment_script_one_line(name: str, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    text, message = SCRIPTS[name]
    (tmp_path / name).write_text(text)
    line = _main_error(capsys, "run", str(tmp_path / name), "--out", str(tmp_path / "o"))
    assert re.search(message, line), line
    assert not (tmp_path / "o").exists()


LLM_TOML = 'game = "p_beauty"\n[[policies]]\nkind = "llm"\n'


def test_unreachable_policy_server_fails_fast(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "llm.toml"
    spec.write_text(LLM_TOML)
    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    start = time.perf_counter()
    line = _main_error(capsys, "run", str(spec), "--policy-server",
                       f"http://127.0.0.1:{port}/v1", "--out", str(tmp_path / "o"), "--quiet")
    assert time.perf_counter() - start < PROBE_TIMEOUT_S + 2
    assert f"--policy-server http://127.0.0.1:{port}/v1: not reachable" in line
    assert not (tmp_path / "o").exists()


@pytest.fixture
def http_server() -> Iterator[str]:
    """A loopback HTTP server answering anything (stands in for a reachable policy server)."""

    class Quiet(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'{"data": [{"id": "m"}]}')

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def test_backend_flags_refused_where_they_would_not_apply(
        http_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 14.5: --backend/--policy-server are applied or refused, never silently ignored."""
    named = tmp_path / "named.toml"
    named.write_text(LLM_TOML + 'backend = "llamacpp"\n')
    line = _main_error(capsys, "run", str(named), "--policy-server", http_server)
    assert "policies[0] names backend 'llamacpp'" in line and "remove one of the two" in line
    line = _main_error(capsys, "run", str(named), "--backend", "llamacpp")
    assert "--backend llamacpp would not apply" in line
    role = tmp_path / "role.toml"
    role.write_text('game = "tax_planner"\n[[policies]]\nkind = "by_role"\n'
                    '[policies.worker]\nkind = "tax_llm_worker"\nbackend = "openai"\n'
                    '[policies.planner]\nkind = "tax_us"\n')
    assert "policies[0].worker names backend 'openai'" in _main_error(
        capsys, "run", str(role), "--backend", "llamacpp")
    scripted = tmp_path / "scripted.toml"
    scripted.write_text(GOOD_TOML)
    assert "no LLM policy" in _main_error(capsys, "run", str(scripted), "--policy-server",
                                          http_server)
    own = tmp_path / "own.py"
    own.write_text("from agora.spec.run_spec import RunSpec\n"
                   "from agora.llm.openai_backend import OpenAIBackend\n"
                   "from agora.policies.llm_policy import LLMPolicy\n\ndef spec():\n"
                   "    backend = OpenAIBackend('http://127.0.0.1:1/v1', model='m')\n"
                   "    return RunSpec(game='p_beauty', policies=((LLMPolicy(backend), 1.0),))\n")
    assert "was built with its own backend" in _main_error(
        capsys, "run", str(own), "--policy-server", http_server)
    assert "--backend openai needs --policy-server" in _main_error(
        capsys, "run", str(scripted), "--backend", "openai")
    assert "--backend vllm needs --model" in _main_error(
        capsys, "run", str(scripted), "--backend", "vllm")
    assert "--backend llamacpp --model x.gguf would have no effect" in _main_error(
        capsys, "run", str(scripted), "--backend", "llamacpp", "--model", "x.gguf")
    assert "--policy-server needs the openai backend" in _main_error(
        capsys, "run", str(scripted), "--backend", "llamacpp", "--policy-server", http_server)
    assert "must be an http(s) URL" in _main_error(capsys, "run", str(scripted),
                                                   "--policy-server", "127.0.0.1:8000")


def test_policy_server_flag_applies_to_default_backends(
        http_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An LLM policy without its own backend gets the server of --policy-server, as an
    argument: nothing is left in the environment."""
    import os

    from agora.cli import main as cli_main

    spec = tmp_path / "llm.toml"
    spec.write_text(LLM_TOML)
    seen: list[str] = []
    environ = dict(os.environ)

    def fake_run(self: Any) -> None:
        seen.append(self.policies[0].backend.base_url)
        assert dict(os.environ) == environ
        raise KeyboardInterrupt  # stop before any request

    monkeypatch.setattr("agora.engine.runner.Runner.run", fake_run)
    assert cli_main.main(["run", str(spec), "--policy-server", http_server, "--quiet",
                          "--out", str(tmp_path / "o")]) == cli_main.EXIT_INTERRUPTED
    assert seen == [http_server]
