"""Strip the example notebooks to their committed form: sources only.

The ``.ipynb`` files in this folder are the sources: edit them in Jupyter (or any notebook
editor), then, before committing, run

    python notebooks/clean.py          # strip outputs, execution counts and editor metadata
    python notebooks/clean.py --check  # exit 1 naming every notebook that is not clean

A clean notebook has no outputs or execution counts, no cell metadata but ``tags`` (which
nbclient reads, e.g. ``raises-exception``), no attachments, the notebook metadata below, and is
written as ``nbformat`` writes it, so diffs show only changed sources. ``ruff check`` lints the
code cells; ``tests/test_notebooks.py`` checks that the notebooks are clean, that their imports
resolve, and executes them.
"""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
METADATA = {
    "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python",
                   "name": "python3"},
    "language_info": {"name": "python", "pygments_lexer": "ipython3"},
}
KEPT_CELL_METADATA = ("tags",)


def clean(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of ``nb`` (v4) with outputs, execution counts and editor metadata removed."""
    out = copy.deepcopy(nb)
    out.metadata = nbformat.from_dict(copy.deepcopy(METADATA))
    for cell in out.cells:
        cell.metadata = nbformat.from_dict({k: v for k, v in cell.metadata.items()
                                            if k in KEPT_CELL_METADATA})
        cell.pop("attachments", None)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nbformat.validate(out)
    return out


def render(path: Path) -> str:
    """The clean file text of the notebook at ``path``."""
    nb = nbformat.read(path, as_version=4)
    if nb.nbformat_minor < 5:  # v4.5 gives every cell an id: number the cells of older ones
        nb.nbformat_minor = 5
        for i, cell in enumerate(nb.cells):
            cell.id = f"cell-{i:02d}"
    return nbformat.writes(clean(nb)) + "\n"


def notebooks(folder: Path = HERE) -> list[Path]:
    """The notebooks of ``folder``, by name."""
    return sorted(folder.glob("*.ipynb"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path,
                        help="notebooks (default: every notebook in this folder)")
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 if a notebook is not clean")
    args = parser.parse_args(argv)
    dirty = []
    for path in args.paths or notebooks():
        text = render(path)
        if path.read_text(encoding="utf-8") == text:
            continue
        dirty.append(path)
        if not args.check:
            path.write_text(text, encoding="utf-8")
            print(f"cleaned {path}")
    if args.check and dirty:
        print(f"not clean: {', '.join(p.name for p in dirty)}; run python notebooks/clean.py",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
