"""Regenerate the ultimatum game's packaged human data from the shared source files.

Usage: ``python -m games.bargaining.data.build [--source DIR]`` where ``DIR`` holds the shared
human data (default: ``<repo>/../shared/data/human``). Copies the ultimatum rows of Forsythe et
al.'s (1994) Appendix B, takes the per-treatment statistics they report from
``forsythe1994_summary.json`` and writes ``baselines.json`` with the SHA-256 of every source
file. Oosterbeek et al. (2004) is a meta-analysis with no public individual data: its summary
numbers are constants below.
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
GAME = "ultimatum"
FORSYTHE = ("Forsythe, R., Horowitz, J. L., Savin, N. E. & Sefton, M. (1994). Fairness in Simple "
            "Bargaining Experiments. Games and Economic Behavior 6:347-369.")
OOSTERBEEK = ("Oosterbeek, H., Sloof, R. & van de Kuilen, G. (2004). Cultural Differences in "
              "Ultimatum Game Experiments: Evidence from a Meta-Analysis. Experimental Economics "
              "7:171-188.")
# Forsythe et al. treatments: (name, pie, pay, JSON label of the pooled statistics).
TREATMENTS = (("forsythe1994_ultimatum_5_pay", 5, "pay", "Pooled $5 UG-P"),
              ("forsythe1994_ultimatum_5_nopay", 5, "no_pay", "Pooled $5 UG-NP"),
              ("forsythe1994_ultimatum_10_pay", 10, "pay", "$10 UG-P November"))


def build(source: Path, dest: Path = HERE) -> dict[str, Any]:
    """Copy and extract the baselines from ``source`` into ``dest``; returns the manifest."""
    copy_rows(source, dest, OFFERS, 2, GAME)
    baselines = offer_share_baselines(TREATMENTS, reported_statistics(source / SUMMARY),
                                      game=GAME, roles=["proposer"], citation=FORSYTHE,
                                      values_file=OFFERS)
    baselines.append({
        "name": "oosterbeek2004_ultimatum", "game": GAME, "measure": "share", "round": 0,
        "roles": ["proposer"], "description": "Oosterbeek, Sloof & van de Kuilen (2004) "
                                              "ultimatum meta-analysis (37 papers, 75 results)",
        "citation": OOSTERBEEK, "status": "checked", "params": {},
        "mean": 0.40, "median": None, "sd": None, "n": 75, "n_unit": "results",
        "rejection_rate": 0.16, "values_file": None,
        "notes": "mean offer 40 % of the pie, 16 % of offers rejected"})
    return write_baselines(dest, "games.bargaining.data.build",
                           sha256_of(source, (OFFERS, SUMMARY)), baselines)


if __name__ == "__main__":
    build_main(__doc__, build, DEFAULT_SOURCE, HERE)
