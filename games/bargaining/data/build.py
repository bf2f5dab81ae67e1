"""Regenerate the ultimatum game's packaged human data from the shared source files.

Usage: ``python -m games.bargaining.data.build [--source DIR]`` where ``DIR`` holds the shared
human data (default: ``<repo>/../shared/data/human``). Copies the ultimatum rows of Forsythe et
al.'s (1994) Appendix B, takes the per-treatment statistics they report from
``forsythe1994_summary.json`` and writes ``baselines.json`` with the SHA-256 of every source
file. Oosterbeek et al. (2004) is a meta-analysis with no public individual data: its summary
numbers are constants below. The MobLab strategy-method ultimatum decisions of Mei et al.
(2024) are copied verbatim (CSV, with the MIT licence notice) and summarised from the rows:
every number of their two entries (offers; minimum acceptable offers) is computed here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agora.engine.human_data import (
    build_main,
    copy_file,
    copy_rows,
    individual_share_summary,
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
MEI = ("Mei, Q., Xie, Y., Yuan, W. & Jackson, M. O. (2024). A Turing test of whether AI chatbots "
       "are behaviorally similar to humans. PNAS 121(9):e2313925121. Data: MobLab, via the "
       "authors' repository yutxie/ChatGPT-Behavioral (MIT License, Copyright (c) 2023 Yutong "
       "Xie).")
COPIES = {"moblab_mei2024_ultimatum_strategy_round1.csv":
          "moblab_mei2024/ultimatum_strategy_round1.csv",
          "moblab_mei2024_LICENSE.txt": "moblab_mei2024/LICENSE"}
"""Packaged file -> shared source file, copied verbatim."""
MOBLAB = "moblab_mei2024_ultimatum_strategy_round1.csv"
INVALID = -1
"""Code of an invalid entry in the MobLab columns (dropped, column by column)."""
# MobLab entries: (name, role, column, what it is).
MOBLAB_ENTRIES = (("moblab2024_ultimatum_proposer", "proposer", "offer", "offer"),
                  ("moblab2024_ultimatum_responder", "responder", "min_acceptable",
                   "minimum acceptable offer"))
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
    baselines += moblab_baselines(source, dest)
    return write_baselines(dest, "games.bargaining.data.build",
                           sha256_of(source, (OFFERS, SUMMARY, *COPIES.values())), baselines)


def moblab_baselines(source: Path, dest: Path) -> list[dict[str, Any]]:
    """Copy the MobLab ultimatum rows and their licence; one entry for the offers and one for
    the minimum acceptable offers, with numbers computed from the rows."""
    for packaged, shared in COPIES.items():
        copy_file(source, dest, shared, packaged)
    out = []
    for name, role, column, what in MOBLAB_ENTRIES:
        s = individual_share_summary(dest / MOBLAB, value=column, total="pie",
                                     first_row="first_row_of_user", invalid=(INVALID,))
        out.append({
            "name": name, "game": GAME, "measure": "share", "round": 0, "roles": [role],
            "description": f"MobLab strategy-method ultimatum games (Mei et al. 2024), first "
                           f"round, pie 100: {what} as a share of the pie, first decision of "
                           f"each of {s['n']:,} subjects with a valid entry (mean "
                           f"{s['mean']:.3f}, median {s['median']:.2f})",
            "citation": MEI, "status": "checked", "params": {"pie": 100},
            "mean": s["mean"], "median": s["median"], "sd": s["sd"], "n": s["n"],
            "n_unit": "subjects", "n_rows": s["n_rows"], "summary_from_values": True,
            "values_file": MOBLAB, "values_column": column, "values_total": "pie",
            "values_filter": {}, "invalid_values": [INVALID],
            "first_row_column": "first_row_of_user", "subject_column": "user_id",
            **({"agent_column": column} if role == "responder" else {}),
            "notes": f"individual decisions (strategy method: every subject proposed and "
                     f"stated a minimum acceptable offer); {INVALID} entries dropped; one per "
                     f"subject by default (all {s['n_rows']:,} valid rows with all_rows=True); "
                     "the paper shows them as histograms only, so every number here is "
                     "computed from the packaged file"})
    return out


if __name__ == "__main__":
    build_main(__doc__, build, DEFAULT_SOURCE, HERE)
