"""Regenerate the dictator game's packaged human data from the shared source files.

Usage: ``python -m games.dictator.data.build [--source DIR]`` where ``DIR`` holds the shared
human data (default: ``<repo>/../shared/data/human``). Copies the dictator rows of Forsythe et
al.'s (1994) Appendix B, extracts the per-treatment statistics they report from
``forsythe1994_summary.json`` and writes ``baselines.json`` with the SHA-256 of every source
file. Engel (2011) is a meta-analysis with no public individual data: its summary numbers are
constants below, quoted from the project's reference facts with their status.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agora.engine.human_data import (
    build_main,
    copy_rows,
    offer_share_baselines,
    reported_statistics,
    sha256_of,
    write_baselines,
)

HERE = Path(__file__).resolve().parent
DEFAULT_SOURCE = HERE.parents[3] / "shared" / "data" / "human"
OFFERS = "forsythe1994_appendixB_offers.csv"
SUMMARY = "forsythe1994_summary.json"
GAME = "dictator"
FORSYTHE = ("Forsythe, R., Horowitz, J. L., Savin, N. E. & Sefton, M. (1994). Fairness in Simple "
            "Bargaining Experiments. Games and Economic Behavior 6:347-369.")
ENGEL = "Engel, C. (2011). Dictator games: a meta study. Experimental Economics 14:583-610."
# Forsythe et al. treatments: (name, pie, pay, JSON label of the pooled statistics).
TREATMENTS = (("forsythe1994_dictator_5_pay", 5, "pay", "Pooled $5 DG-P"),
              ("forsythe1994_dictator_5_nopay", 5, "no_pay", "Pooled $5 DG-NP"),
              ("forsythe1994_dictator_10_pay", 10, "pay", "$10 DG-P November"))


def build(source: Path, dest: Path = HERE) -> dict[str, Any]:
    """Copy and extract the baselines from ``source`` into ``dest``; returns the manifest."""
    copy_rows(source, dest, OFFERS, 2, GAME)
    baselines = offer_share_baselines(TREATMENTS, reported_statistics(source / SUMMARY),
                                      game=GAME, roles=[GAME], citation=FORSYTHE,
                                      values_file=OFFERS)
    baselines.append({
        "name": "engel2011_dictator", "game": GAME, "measure": "share", "round": 0,
        "roles": [GAME], "description": "Engel (2011) meta-analysis of dictator games "
                                        "(616 treatments)",
        "citation": ENGEL, "status": "cited", "params": {},
        "mean": 0.2835, "median": None, "sd": None, "n": 616, "n_unit": "treatments",
        "point_masses": {"0.0": 0.36, "0.5": 0.17, "1.0": 0.05}, "values_file": None,
        "notes": "widely cited summary (mean share 28.35 %; about 36 % give nothing, 17 % give "
                 "half, 5 % give everything); not re-read in the paper here"})
    return write_baselines(dest, "games.dictator.data.build",
                           sha256_of(source, (OFFERS, SUMMARY)), baselines)


if __name__ == "__main__":
    build_main(__doc__, build, DEFAULT_SOURCE, HERE)
