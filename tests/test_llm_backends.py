"""The backend registry, its ``agora.backends`` entry points and ``check_backend``.

The backend of ``docs/adding_a_backend.md`` is installed from the page's own code into a
temporary folder (a module plus a ``.dist-info`` with the entry point, as pip leaves it), so the
page cannot drift from what works. Broken variants of it show that each check can fail.
"""

from __future__ import annotations

import importlib
import json
import re
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import polars as pl
import pytest

from agora.engine import records
from agora.llm import BACKENDS, Backend, make_backend
from agora.llm.registry import ENTRY_POINT_GROUP, BackendSpec
from agora.testing import check_backend

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "adding_a_backend.md"


def _doc_module_source() -> str:
    """The first ```python block of the page: the whole ``agora_dice`` module."""
    match = re.search(r"```python\n(.*?)```", DOC.read_text(), re.S)
    assert match is not None, "docs/adding_a_backend.md has no python block"
    return match.group(1)


def _install(root: Path, name: str, modules: dict[str, str], entry_points: str) -> None:
    """A package as pip would leave it: its modules plus a ``.dist-info`` with entry points."""
    root.mkdir(parents=True, exist_ok=True)
    for module, source in modules.items():
        (root / f"{module}.py").write_text(source)
    info = root / f"{name.replace('-', '_')}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\n{entry_points}")


@pytest.fixture
def dice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    """The page's ``agora_dice`` installed on ``sys.path``; forgotten afterwards."""
    _install(tmp_path / "site", "agora-dice", {"agora_dice": _doc_module_source()},
             "dice = agora_dice:SPEC\n")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    BACKENDS.refresh()
    records._package_versions.cache_clear()
    yield importlib.import_module("agora_dice")
    sys.modules.pop("agora_dice", None)
    BACKENDS.refresh()
    records._package_versions.cache_clear()


def test_the_documented_backend_registers_and_passes_check_backend(dice: ModuleType) -> None:
    assert "dice" in BACKENDS.names() and BACKENDS.names()[:3] == ("llamacpp", "openai", "vllm")
    assert BACKENDS.get("dice") is dice.SPEC
    check_backend(make_backend("dice", seed=3))
    assert records.package_versions()["agora-dice"] == "0.1"
    with pytest.raises(ValueError, match="backend 'dice' has no option 'model'"):
        make_backend("dice", model="x")


def test_agora_run_and_backends_use_the_plugin_backend(dice: ModuleType, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    from agora.cli.main import main

    assert main(["backends"]) == 0
    assert re.search(r"^dice +uniform random answers .*pip install agora-dice",
                     capsys.readouterr().out, re.M)
    spec = tmp_path / "dice.toml"
    spec.write_text('game = "p_beauty"\nn_instances = 2\nseed = 1\n[config]\nn_players = 3\n'
                    'rounds = 1\n[[policies]]\nkind = "llm"\n')
    out = tmp_path / "run"
    assert main(["run", str(spec), "--backend", "dice", "--out", str(out), "--quiet"]) == 0
    frame = pl.read_parquet(out / "records.parquet")
    assert frame["parse_status"].to_list() == ["ok"] * 6
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["versions"]["agora-dice"] == "0.1"
    assert "uniform" in json.dumps(manifest["policies"])


def test_a_toml_policy_names_the_plugin_backend_with_options(dice: ModuleType) -> None:
    from agora.policies import make_policy

    policy = make_policy("llm", backend="dice", backend_options={"seed": 5})
    assert policy.backend.describe() == {"backend": "dice", "model": "uniform", "seed": 5}


def test_an_entry_point_may_name_the_class_and_broken_ones_warn(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = _doc_module_source()
    _install(tmp_path / "site", "agora-dice2", {"agora_dice2": source},
             "dice2 = agora_dice2:DiceBackend\nbroken = agora_no_such_module:X\n"
             "llamacpp = agora_dice2:DiceBackend\nmisnamed = agora_dice2:SPEC\n")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    BACKENDS.refresh()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            names = BACKENDS.names()
        text = " ".join(str(w.message) for w in caught)
        assert "dice2" in names and "broken" not in names and "misnamed" not in names
        assert "'broken'" in text and "'llamacpp'" in text and "clashes" in text
        assert "entry point 'misnamed' names backend spec 'dice'" in text
        assert BACKENDS.get("llamacpp").target == "agora.llm.llamacpp.backend:LlamaCppBackend"
        spec = BACKENDS.get("dice2")
        assert spec.description.startswith("Uniform random answers")
        check_backend(spec.create(seed=1))
    finally:
        sys.modules.pop("agora_dice2", None)
        BACKENDS.refresh()


# ---------------------------------------------------------------------- check_backend can fail
class _Tiny(Backend):
    """A free-text-only backend with knobs to break one promise at a time."""

    name = "tiny"
    constraint_kinds = frozenset({"choices"})

    def __init__(self, **broken: Any) -> None:
        super().__init__()
        self.broken = broken
        self.calls = 0

    @property
    def model_name(self) -> str:
        return "tiny-model"

    def describe(self) -> dict[str, Any]:
        info = {**super().describe()}
        if self.broken.get("describe"):
            info["where"] = Path("/tmp")
        return info

    def validate(self, request: Any) -> None:
        if not self.broken.get("validate"):
            super().validate(request)

    def _generate(self, requests: Any) -> list[Any]:
        from agora.llm import Completion

        self.calls += 1
        out = []
        for r in requests:
            c = r.constraint
            text = c.choices[0] if c is not None and c.choices else "word " * r.sampling.max_tokens
            if self.broken.get("constraint") and c is not None:
                text = "purple"
            if self.broken.get("tokens") and c is None:
                text = "word " * (r.sampling.max_tokens + 1)
            if self.broken.get("random") and c is None:
                text = f"x{self.calls}"
            text = text.strip()
            out.append(Completion(text=text, tokens_in=3, tokens_out=len(text.split()),
                                  latency_s=0.0, finish_reason="stop", model="tiny-model",
                                  request_id=r.request_id))
        return out[::-1] if self.broken.get("order") else out

    def _score(self, prompts: Any, candidates: Any, terminate: bool) -> list[np.ndarray]:
        sign = -1.0 if not self.broken.get("score") else 1.0
        return [sign * np.ones(len(c)) for c in candidates]

    def close(self) -> None:
        if self.broken.get("close") and self.closed:
            raise RuntimeError("already closed")
        super().close()


@pytest.mark.parametrize(("broken", "message"), [
    ("describe", "describe\\(\\) is not JSON"),
    ("validate", "validate\\(\\) accepts a grammar constraint it does not claim"),
    ("constraint", "a choices constraint was not honoured: 'purple'"),
    ("tokens", "max_tokens=1 gave 2 tokens"),
    ("order", "answer 0 carries request_id 'r4'"),
    ("random", "temperature 0 is not deterministic"),
    ("score", "score of prompt 0 is \\[1.0, 1.0\\]"),
])
def test_check_backend_names_each_broken_promise(broken: str, message: str) -> None:
    check_backend(_Tiny())  # the unbroken backend passes
    with pytest.raises(AssertionError, match=f"^tiny backend: {message}"):
        check_backend(_Tiny(**{broken: True}))


def test_check_backend_catches_a_close_that_is_not_idempotent() -> None:
    with pytest.raises(RuntimeError, match="already closed"):
        check_backend(_Tiny(close=True))
    with pytest.raises(TypeError, match="takes a Backend"):
        check_backend("llamacpp")  # type: ignore[arg-type]


def test_backend_spec_rejects_bad_declarations() -> None:
    with pytest.raises(ValueError, match="module:attribute"):
        BackendSpec(name="x", target="no_colon")
    with pytest.raises(ValueError, match="not among its options"):
        BackendSpec(name="x", target=_Tiny, options={"a": "an option"}, required=("b",))
    spec = BackendSpec(name="tiny", target=lambda: object())
    with pytest.raises(TypeError, match="built a object, not a Backend"):
        spec.create()


def test_experiments_choose_the_backend_through_the_registry(
        dice: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from experiments._common import ExperimentArgs
    from experiments._common import make_backend as experiment_backend

    monkeypatch.setenv("AGORA_BACKEND", "vllm")  # once read by experiments; now ignored
    args = ExperimentArgs(backend="dice", seed=4, out=tmp_path)
    assert experiment_backend(args).describe() == {"backend": "dice", "model": "uniform",
                                                   "seed": 4}
    cases = [({"backend": "vllm"}, "--backend vllm needs --model"),
             ({"backend": "openai"}, "--backend openai needs --server URL"),
             ({"backend": "llamacpp", "server": "http://127.0.0.1:9/v1"},
              "--server needs --backend openai"),
             ({"backend": "dice", "model": "m"}, "--model does not apply to the dice backend"),
             ({"backend": "dice", "threads": 2}, "--threads and --requantize apply")]
    for flags, message in cases:
        with pytest.raises(ValueError, match=re.escape(message)):
            experiment_backend(ExperimentArgs(out=tmp_path, **flags))
    backend = experiment_backend(ExperimentArgs(server="http://127.0.0.1:9/v1", model="m",
                                                out=tmp_path))
    assert backend.describe() == {"backend": "openai", "model": "m"}


def test_agora_serve_serves_a_plugin_backend(dice: ModuleType, tmp_path: Path) -> None:
    """Any registered backend can be served; the OpenAI client passes check_backend on it."""
    import os
    import subprocess
    import time

    from agora.llm import OpenAIBackend

    site = str(Path(dice.__file__).parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), site])}
    ready = tmp_path / "ready"
    proc = subprocess.Popen([sys.executable, "-m", "agora.server", "--backend", "dice",
                             "--backend-option", "seed=2", "--ready-file", str(ready)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env=env)
    try:
        deadline = time.monotonic() + 60
        while not ready.exists():
            assert proc.poll() is None and time.monotonic() < deadline, proc.stderr
            time.sleep(0.05)
        client = OpenAIBackend(ready.read_text().strip(), max_retries=0)
        client.constraint_kinds = dice.DiceBackend.constraint_kinds  # what the server enforces
        check_backend(client)
    finally:
        proc.terminate()
        proc.wait(30)


def test_option_items_read_json_values_or_text_and_refuse_a_missing_key() -> None:
    from agora.llm.registry import option_item

    assert option_item("n_ctx=4096") == ("n_ctx", 4096)
    assert option_item('special_tokens=["<x>"]') == ("special_tokens", ["<x>"])
    assert option_item("model=org/name=v2") == ("model", "org/name=v2")
    for bad in ("n_ctx", "=3"):
        with pytest.raises(ValueError, match=f"--engine-arg takes KEY=VALUE, got '{bad}'"):
            option_item(bad, "--engine-arg")
