"""Generic fixtures shared by the test modules."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def repo_root() -> Path:
    """The repository checkout the tests run from."""
    return REPO_ROOT


@pytest.fixture
def agora_cli(tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run ``python -m agora.cli ARGS`` in a subprocess (cwd: a temporary directory)."""

    def run(*args: str, timeout: float = 120,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "agora.cli", *args], cwd=tmp_path,
                              capture_output=True, text=True, timeout=timeout,
                              env={**os.environ, **(env or {})}, check=False)

    return run


@pytest.fixture
def cli_ok(capsys: pytest.CaptureFixture[str]) -> Callable[..., str]:
    """Run ``agora ARGS`` through the CLI's own ``main`` in this process; assert it exits 0
    (the message names the command and its stderr) and return what it printed."""
    from agora.cli.main import main

    def call(*args: str) -> str:
        code = main(list(args))
        captured = capsys.readouterr()
        assert code == 0, f"agora {args[0]} exited {code}: {captured.err.strip()}"
        return captured.out
    return call


TINY_LLM_POLICY = ('[[policies]]\nkind = "llm"\nmax_tokens = {max_tokens}\nbackend = "llamacpp"\n'
                   'backend_options = {{ n_threads = 2, seed = 11 }}\n')


@pytest.fixture
def tiny_llm_policy() -> Callable[[int], str]:
    """The ``[[policies]]`` TOML table of an embedded-model LLM player answering in at most
    ``max_tokens`` tokens (2 threads, seed 11), for the games' LLM smoke runs."""
    return lambda max_tokens=8: TINY_LLM_POLICY.format(max_tokens=max_tokens)


def _embedded_model_params() -> list[object]:
    from agora.llm.models import is_installed, lookup, model_names

    return [pytest.param(name, id=name, marks=pytest.mark.skipif(
        not is_installed(name), reason=f"needs `{lookup(name).install_hint}`"))
        for name in model_names()]


@pytest.fixture(params=_embedded_model_params())
def embedded_model(request: pytest.FixtureRequest) -> str:
    """Each named embedded model (``smollm2-135m``, ``gemma3-270m``; skipped when its extra is
    missing), for tests every model must pass."""
    return str(request.param)
