"""Regenerate the dictator game's packaged human data from the shared source files.

Usage: ``python -m games.dictator.data.build [--source DIR]`` where ``DIR`` holds the shared
human data (default: ``<repo>/../shared/data/human``). Copies the dictator rows of Forsythe et
al.'s (1994) Appendix B, extracts the per-treatment statistics they report from
``forsythe1994_summary.json`` and writes ``baselines.json`` with the SHA-256 of every source
file. Engel (2011) is a meta-analysis with no public individual data: its summary numbers are
constants below, quoted from the project's reference facts with their status. The MobLab
dictator decisions of Mei et al. (2024) are copied verbatim (CSV, with the MIT licence notice)
and summarised from the rows: every number of their entry is computed here from the file.
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
GAME = "dictator"
FORSYTHE = ("Forsythe, R., Horowitz, J. L., Savin, N. E. & Sefton, M. (1994). Fairness in Simple "
            "Bargaining Experiments. Games and Economic Behavior 6:347-369.")
MEI = ("Mei, Q., Xie, Y., Yuan, W. & Jackson, M. O. (2024). A Turing test of whether AI chatbots "
       "are behaviorally similar to humans. PNAS 121(9):e2313925121. Data: MobLab, via the "
       "authors' repository yutxie/ChatGPT-Behavioral (MIT License, Copyright (c) 2023 Yutong "
       "Xie).")
COPIES = {"moblab_mei2024_dictator_round1.csv": "moblab_mei2024/dictator_round1.csv",
          "moblab_mei2024_LICENSE.txt": "moblab_mei2024/LICENSE"}
"""Packaged file -> shared source file, copied verbatim."""
MOBLAB = "moblab_mei2024_dictator_round1.csv"
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
    baselines.append(moblab_baseline(source, dest))
    return write_baselines(dest, "games.dictator.data.build",
                           sha256_of(source, (OFFERS, SUMMARY, *COPIES.values())), baselines)


def moblab_baseline(source: Path, dest: Path) -> dict[str, Any]:
    """Copy the MobLab dictator rows and their licence; the entry's numbers come from them."""
    for packaged, shared in COPIES.items():
        copy_file(source, dest, shared, packaged)
    s = individual_share_summary(dest / MOBLAB, value="given", total="endowment",
                                 first_row="first_row_of_user")
    return {
        "name": "moblab2024_dictator", "game": GAME, "measure": "share", "round": 0,
        "roles": [GAME],
        "description": f"MobLab classroom dictator games (Mei et al. 2024), first round, "
                       f"endowment 100: share given, first decision of each of {s['n']:,} "
                       f"subjects (mean {s['mean']:.3f}, {s['share_0']:.1%} give nothing, "
                       f"{s['share_half']:.1%} give half)",
        "citation": MEI, "status": "checked", "params": {"endowment": 100},
        "mean": s["mean"], "median": s["median"], "sd": s["sd"], "n": s["n"],
        "n_unit": "subjects", "n_rows": s["n_rows"], "summary_from_values": True,
        "point_masses": {"0.0": s["share_0"], "0.5": s["share_half"], "1.0": s["share_all"]},
        "values_file": MOBLAB, "values_column": "given", "values_total": "endowment",
        "values_filter": {}, "invalid_values": [], "first_row_column": "first_row_of_user",
        "subject_column": "user_id",
        "notes": f"individual decisions; one per subject by default (all {s['n_rows']:,} rows "
                 "with all_rows=True); the paper shows them as histograms only, so every "
                 "number here is computed from the packaged file"}


if __name__ == "__main__":
    build_main(__doc__, build, DEFAULT_SOURCE, HERE)
