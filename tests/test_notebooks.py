"""The example notebooks: sources committed clean, imports that resolve, executed top to bottom.

The ``.ipynb`` files are the sources (``notebooks/clean.py`` strips them before a commit). The
fast tests check that each is clean and that every module, name and module attribute its code
cells import or use exists, so a renamed API fails here without running a kernel. The execution
test runs each notebook in a fresh ``python3`` kernel on this interpreter (ipykernel's built-in
kernel spec, so no ``ipykernel install`` and no installed kernel spec is needed or consulted)
with a temporary directory as its working directory and a time limit per cell; notebooks that
run the embedded model are marked ``llm`` and skipped without it.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import time
from pathlib import Path
from types import ModuleType

import nbformat
import pytest
from IPython.core.inputtransformer2 import TransformerManager
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from traitlets import default

from agora.llm.llamacpp.model_files import embedded_model_available

NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
USES_LLM = {"01_quickstart", "03_analysis"}
"""Notebooks with cells that run the embedded llama.cpp model."""
CELL_TIMEOUT_S = 600
"""Per-cell limit: generous for a loaded CI machine; idle, every notebook takes under a minute."""


def _clean_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("notebooks_clean", NOTEBOOK_DIR / "clean.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class NativeKernelManager(AsyncKernelManager):
    """Starts ``python3`` kernels on ``sys.executable``, whatever kernel specs are installed.

    With no kernel directories, jupyter_client falls back to ipykernel's native spec, whose
    command is this interpreter: a fresh virtual environment needs nothing but ipykernel, and
    a user-level ``python3`` spec pointing at another Python cannot be picked up by mistake.
    """

    @default("kernel_spec_manager")
    def _native_specs_only(self) -> KernelSpecManager:
        return KernelSpecManager(kernel_dirs=[])


def test_the_notebooks_are_the_sources() -> None:
    stems = {p.stem for p in NOTEBOOKS}
    assert USES_LLM.issubset(stems), "USES_LLM names a notebook that does not exist"
    assert not (NOTEBOOK_DIR / "build.py").exists(), "notebooks are edited as notebooks"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_notebook_is_clean(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.nbformat_minor >= 5, "cells need ids (nbformat 4.5)"
    assert nb.metadata == _clean_tool().METADATA, f"{path.name}: editor metadata committed"
    ids = [cell.id for cell in nb.cells]
    assert len(set(ids)) == len(ids), f"{path.name}: duplicate cell ids"
    for cell in nb.cells:
        assert set(cell.metadata) <= {"tags"}, f"{path.name} {cell.id}: cell metadata"
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name} {cell.id}: outputs committed"
            assert cell.execution_count is None, f"{path.name} {cell.id}: execution count"
    assert path.read_text(encoding="utf-8") == _clean_tool().render(path), (
        f"{path.name} is not clean: run `python notebooks/clean.py`")


def test_clean_strips_what_jupyter_adds(tmp_path: Path) -> None:
    tool = _clean_tool()
    nb = nbformat.read(NOTEBOOKS[0], as_version=4)
    nb.metadata["language_info"]["version"] = "3.11.7"
    nb.metadata["widgets"] = {"state": {}}
    code = next(c for c in nb.cells if c.cell_type == "code")
    code.outputs = [nbformat.v4.new_output("stream", text="hello\n")]
    code.execution_count = 3
    code.metadata.update(scrolled=True, tags=["keep"])
    dirty = tmp_path / NOTEBOOKS[0].name
    nbformat.write(nb, dirty)
    assert tool.main(["--check", str(dirty)]) == 1
    assert tool.main([str(dirty)]) == 0
    assert tool.main(["--check", str(dirty)]) == 0
    cleaned = nbformat.read(dirty, as_version=4)
    first = next(c for c in cleaned.cells if c.cell_type == "code")
    assert first.outputs == [] and first.execution_count is None
    assert first.metadata == {"tags": ["keep"]} and cleaned.metadata == tool.METADATA
    assert [c.source for c in cleaned.cells] == [c.source for c in nb.cells]


def _code(path: Path) -> ast.Module:
    """The notebook's code cells as one module (IPython magics turned into Python)."""
    nb = nbformat.read(path, as_version=4)
    transform = TransformerManager().transform_cell
    body: list[ast.stmt] = []
    for cell in nb.cells:
        if cell.cell_type == "code":
            body += ast.parse(transform(cell.source), filename=f"{path.name}:{cell.id}").body
    return ast.Module(body=body, type_ignores=[])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_imports_and_module_attributes_exist(path: Path) -> None:
    tree = _code(path)
    modules: dict[str, ModuleType] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                module = importlib.import_module(alias.name)
                if alias.asname:
                    modules[alias.asname] = module
                else:
                    top = alias.name.split(".")[0]
                    modules[top] = importlib.import_module(top)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            module = importlib.import_module(node.module)
            for alias in node.names:
                if not hasattr(module, alias.name):  # a submodule not imported by the package
                    importlib.import_module(f"{node.module}.{alias.name}")
                value = getattr(module, alias.name)
                if isinstance(value, ModuleType):
                    modules[alias.asname or alias.name] = value
    rebound = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)
               and isinstance(n.ctx, ast.Store)}
    missing = sorted({f"{n.value.id}.{n.attr}" for n in ast.walk(tree)
                      if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)
                      and n.value.id in modules and n.value.id not in rebound
                      and not hasattr(modules[n.value.id], n.attr)})
    assert not missing, f"{path.name} uses names that do not exist: {', '.join(missing)}"


def _params() -> list[object]:
    needs_model = pytest.mark.skipif(not embedded_model_available(),
                                     reason="embedded llama.cpp model not installed")
    return [pytest.param(p, id=p.stem,
                         marks=[pytest.mark.llm, needs_model] if p.stem in USES_LLM else [])
            for p in NOTEBOOKS]


@pytest.mark.parametrize("path", _params())
def test_notebook_executes(path: Path, tmp_path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, kernel_name="python3", kernel_manager_class=NativeKernelManager,
                            timeout=CELL_TIMEOUT_S,
                            resources={"metadata": {"path": str(tmp_path)}})
    start = time.perf_counter()
    client.execute()  # raises CellExecutionError, with the cell and traceback, on any error
    print(f"{path.name}: executed in {time.perf_counter() - start:.1f} s")
    errors = [out for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs
              if out.output_type == "error"]
    assert not errors
