"""Building a game's packaged human data (``baselines.json``) from source files.

A game that ships human data keeps it in its own folder (``games/<name>/data/``, named by
:attr:`~agora.engine.contract.GameHooks.baseline_package`) together with a ``build.py`` that
regenerates it from the original files. These helpers are the parts every such script shares:
checksums of the sources, the statistics a study reports in the shared JSON summary format,
offer-share baselines from a per-subject offers table, the manifest writer and the command line.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any


def sha256_of(source: Path, names: Iterable[str]) -> dict[str, str]:
    """SHA-256 of each named file of ``source`` (recorded in the manifest)."""
    return {name: hashlib.sha256((source / name).read_bytes()).hexdigest() for name in names}


def reported_statistics(summary: Path) -> dict[str, dict[str, float]]:
    """Statistics by treatment label from a study summary JSON (``studies`` → ``findings`` →
    ``original_data_points.data``); the first report of a label wins."""
    out: dict[str, dict[str, float]] = {}
    for study in json.loads(summary.read_text())["studies"]:
        for finding in study["findings"]:
            for label, stats in finding["original_data_points"]["data"].items():
                out.setdefault(label, stats)
    return out


def copy_rows(source: Path, dest: Path, name: str, column: int, value: str) -> None:
    """Copy the header and the rows of CSV ``name`` whose ``column`` equals ``value``."""
    header, *rows = (source / name).read_text().splitlines(keepends=True)
    (dest / name).write_text(header + "".join(r for r in rows if r.split(",")[column] == value))


def offer_share_baselines(treatments: Iterable[tuple[str, int, str, str]],
                          stats: dict[str, dict[str, float]], *, game: str, roles: list[str],
                          citation: str, values_file: str) -> list[dict[str, Any]]:
    """Baselines of offers as shares of the pie, one per ``(name, pie, pay, label)`` treatment:
    mean/sd/n as the study reports them (in money, divided by the pie), distributions from the
    per-subject rows of ``values_file``."""
    return [{
        "name": name, "game": game, "measure": "share", "round": 0, "roles": roles,
        "description": f"Forsythe et al. (1994) ${pie} {game} game, "
                       f"{'paid' if pay == 'pay' else 'unpaid'}: offers as shares of the pie",
        "citation": citation, "status": "checked", "params": {"pie": pie, "pay": pay},
        "mean": round(stats[label]["mean"] / pie, 6), "median": None,
        "sd": round(stats[label]["sd"] / pie, 6), "n": int(stats[label]["n"]),
        "n_unit": "proposers", "reported_mean_usd": stats[label]["mean"],
        "reported_sd_usd": stats[label]["sd"], "values_file": values_file,
        "values_filter": {"game": game, "pie_usd": str(pie), "pay": pay},
        "notes": "mean/sd/n of this entry as reported in the paper; comparisons compute every "
                 "statistic from the Appendix B rows (row means differ from the reported "
                 "means by up to $0.06) and show the reported mean apart"}
        for name, pie, pay, label in treatments]


def copy_file(source: Path, dest: Path, name: str, as_name: str) -> None:
    """Copy ``source/name`` verbatim to ``dest/as_name`` (e.g. a licence notice, a data file
    of a subfolder shipped flat in the game's data package)."""
    (dest / as_name).write_bytes((source / name).read_bytes())


def individual_share_summary(path: Path, *, value: str, total: str,
                             first_row: str | None = None,
                             invalid: Iterable[float] = ()) -> dict[str, Any]:
    """Summary of individual decisions as shares of the total, computed from the rows of CSV
    ``path``: ``value`` over the ``total`` column, rows whose ``value`` is one of the
    ``invalid`` codes dropped, only rows flagged ``first_row`` (one per subject) when given.
    Returns ``mean``, ``median``, ``sd`` (n − 1), ``n`` (decisions kept), ``n_rows`` (valid
    rows of every decision) and the shares choosing 0, one half and everything."""
    import numpy as np
    import polars as pl

    frame = pl.read_csv(path, infer_schema_length=None)
    frame = frame.filter(~pl.col(value).is_in(list(invalid)))
    n_rows = frame.height
    if first_row is not None:
        frame = frame.filter(pl.col(first_row))
    x = (frame[value] / frame[total]).to_numpy().astype(np.float64)
    if x.size < 2:
        raise ValueError(f"{path.name}: fewer than two valid values of {value!r}")
    return {"mean": round(float(x.mean()), 6), "median": round(float(np.median(x)), 6),
            "sd": round(float(x.std(ddof=1)), 6), "n": int(x.size), "n_rows": n_rows,
            "share_0": round(float(np.mean(x == 0)), 6),
            "share_half": round(float(np.mean(np.isclose(x, 0.5))), 6),
            "share_all": round(float(np.mean(np.isclose(x, 1.0))), 6)}


def write_baselines(dest: Path, generated_by: str, sources: dict[str, str],
                    baselines: list[dict[str, Any]]) -> dict[str, Any]:
    """Write ``dest/baselines.json`` and return the manifest written."""
    manifest = {"generated_by": generated_by, "sources": sources, "baselines": baselines}
    (dest / "baselines.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def build_main(doc: str, build: Callable[[Path], dict[str, Any]], default_source: Path,
               dest: Path) -> None:
    """The ``python -m games.<name>.data.build [--source DIR]`` command line."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--source", type=Path, default=default_source,
                        help="directory with the shared human data")
    print(f"wrote {len(build(parser.parse_args().source)['baselines'])} baselines to "
          f"{dest / 'baselines.json'}")
