"""Regenerate the p-beauty contest's packaged human data from the shared source files.

Usage: ``python -m games.p_beauty.data.build [--source DIR]`` where ``DIR`` holds the shared
human data (default: ``<repo>/../shared/data/human``). Copies Nagel's (1995) tables verbatim and
writes ``baselines.json``: one entry per treatment (p = 1/2, 2/3, 4/3) with its citation,
summary statistics, data file and the SHA-256 of every source file.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path
from typing import Any

from agora.engine.human_data import build_main, sha256_of, write_baselines

HERE = Path(__file__).resolve().parent
DEFAULT_SOURCE = HERE.parents[3] / "shared" / "data" / "human"
COPIED = ("nagel1995_first_period_summary.csv", "nagel1995_table1_means_medians.csv")
NAGEL = ("Nagel, R. (1995). Unraveling in Guessing Games: An Experimental Study. American "
         "Economic Review 85(5):1313-1326.")
TREATMENTS = (("nagel1995_p1_2", "1/2", 0.5), ("nagel1995_p2_3", "2/3", 2 / 3),
              ("nagel1995_p4_3", "4/3", 4 / 3))


def build(source: Path, dest: Path = HERE) -> dict[str, Any]:
    """Copy and extract the baselines from ``source`` into ``dest``; returns the manifest."""
    for name in COPIED:
        shutil.copyfile(source / name, dest / name)
    with (source / "nagel1995_first_period_summary.csv").open() as fh:
        rows = {row["p"]: row for row in csv.DictReader(fh)}
    baselines = [{
        "name": name, "game": "p_beauty", "measure": "guess", "round": 0,
        "description": f"Nagel (1995) first-period guesses, p = {label}, bounds [0, 100]",
        "citation": NAGEL, "status": "checked", "params": {"p": p, "lower": 0, "upper": 100},
        "match_params": ["p"],
        "mean": float(rows[label]["first_period_mean"]),
        "median": float(rows[label]["first_period_median"]), "sd": None,
        "n": int(rows[label]["n_subjects"]), "n_unit": "subjects", "values_file": None,
        "by_round_file": "nagel1995_table1_means_medians.csv" if label != "4/3" else None,
        "by_round_p": label,
        "notes": "summary statistics only; individual choices appear only as histograms in the "
                 "paper"} for name, label, p in TREATMENTS]
    return write_baselines(dest, "games.p_beauty.data.build", sha256_of(source, COPIED),
                           baselines)


if __name__ == "__main__":
    build_main(__doc__, build, DEFAULT_SOURCE, HERE)
