"""Regenerate the prisoner's dilemma's packaged human data from the shared source files.

Usage: ``python -m games.prisoners_dilemma.data.build [--source DIR]`` where ``DIR`` holds the
shared human data (default: ``<repo>/../shared/data/human``). Copies Dal Bó & Fréchette's (2011)
individual decisions verbatim (CC BY 4.0) and computes each treatment's cooperation rate (all
rounds and round 1) from them, and each subject's cooperation rate (per-subject baselines
with individual values, for human-likeness scores); Shafir & Tversky's (1992) rates and
Mengel's (2018) regression are constants below, each with where it was read
(``../shared/reference/classic_games.md`` §1c). Writes ``baselines.json`` with the SHA-256 of
every source file.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path
from typing import Any

from agora.engine.human_data import build_main, copy_file, sha256_of, write_baselines

HERE = Path(__file__).resolve().parent
DEFAULT_SOURCE = HERE.parents[3] / "shared" / "data" / "human"
GAME = "prisoners_dilemma"
DF2011_FILE = "dalbo_frechette2011_repeated_pd.csv"
DF2011 = ("Dal Bó, P. & Fréchette, G. R. (2011). The Evolution of Cooperation in Infinitely "
          "Repeated Games: Experimental Evidence. American Economic Review 101(1):411-429. "
          "Data: CC BY 4.0, Copyright 2011 American Economic Association; via the R package "
          "stratEst (data.DF2011).")
SHAFIR = ("Shafir, E. & Tversky, A. (1992). Thinking through uncertainty: nonconsequential "
          "reasoning and choice. Cognitive Psychology 24:449-474.")
MENGEL = ("Mengel, F. (2018). Risk and Temptation: A Meta-study on Prisoner's Dilemma Games. "
          "Economic Journal 128:3182-3209; regression as transcribed by Brookins & DeBacker "
          "(jdebacker/BrookinsDeBacker_GPT, code/GPT_tables_figures.py, "
          "results_table['Mengel (2018)']).")
SHAFIR_MATRIX = {"temptation": 85, "reward": 75, "punishment": 30, "sucker": 25}
# (name, told, cooperation, quote) read in the paper's PDF (HumanStudy-Bench study_010)
SHAFIR_ROWS = (
    ("shafir_tversky1992_pd", "unknown", 0.37, "a full 37% resulted in cooperation"),
    ("shafir_tversky1992_pd_told_defected", "defected", 0.03,
     "3% cooperate when the other competes"),
    ("shafir_tversky1992_pd_told_cooperated", "cooperated", 0.16,
     "16% cooperate when the other cooperates"),
)
MENGEL_REGRESSION = {
    "dependent": "cooperation rate", "n": 45, "sample": "Lab/AMT", "r2": 0.484,
    "coefficients": {"risk": -0.269, "tempt": -0.055, "eff": 0.308, "constant": 0.455},
    "std_errors": {"risk": 0.066, "tempt": 0.096, "eff": 0.100, "constant": 0.098},
    "stars": {"risk": "***", "tempt": "", "eff": "***", "constant": "***"},
}
"""[read: BrookinsDeBacker_GPT `GPT_tables_figures.py`, ``results_table["Mengel (2018)"]``]."""


def df2011_rates(path: Path) -> dict[str, dict[str, Any]]:
    """Cooperation (all rounds, round 1), decisions and subjects per treatment of the file."""
    acc: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"c": 0, "n": 0, "c1": 0, "n1": 0, "ids": set()})
    with path.open(newline="") as f:
        for row in csv.DictReader(f):
            a = acc[row["treatment"]]
            coop = row["choice"] == "c"
            a["c"] += coop
            a["n"] += 1
            a["ids"].add(row["id"])
            if row["period"] == "1":
                a["c1"] += coop
                a["n1"] += 1
    return {t: {"cooperation": a["c"] / a["n"], "cooperation_round1": a["c1"] / a["n1"],
                "decisions": a["n"], "subjects": len(a["ids"])} for t, a in sorted(acc.items())}


def df2011_subject_rates(path: Path, *, first_round: bool) -> dict[str, list[float]]:
    """Each subject's cooperation rate (round 1 of its supergames, or all rounds) per
    treatment, subjects in order of first appearance."""
    acc: dict[str, dict[str, list[int]]] = defaultdict(dict)
    with path.open(newline="") as f:
        for row in csv.DictReader(f):
            if first_round and row["period"] != "1":
                continue
            c = acc[row["treatment"]].setdefault(row["id"], [0, 0])
            c[0] += row["choice"] == "c"
            c[1] += 1
    return {t: [c / n for c, n in subj.values()] for t, subj in sorted(acc.items())}


SUBJECT_MEASURES = (
    ("round1", True, {"supergame_round": 0}, "round 1 of its supergames"),
    ("all", False, {}, "all rounds"),
)
"""(suffix, first round only, agents' record filter, wording) of the per-subject baselines."""


def _subject_baselines(path: Path, code: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Per-subject cooperation rates of one DF2011 treatment as baselines with individual
    values (one per subject) for the human-likeness scores; agents: per-agent rates."""
    out = []
    for suffix, first, agent_filter, wording in SUBJECT_MEASURES:
        rates = df2011_subject_rates(path, first_round=first)[code]
        out.append({
            "name": f"dalbo_frechette2011_{code.lower()}_subject_{suffix}", "game": GAME,
            "measure": "rate", "round": 0, "roles": ["player"], "status": "computed",
            "description": f"Dal Bó & Fréchette (2011) δ = {params['delta']:g}, "
                           f"R = {params['reward']:g}: each subject's cooperation rate in "
                           f"{wording}",
            "citation": DF2011, "params": params, "match_params": ["reward", "delta"],
            "mean": round(sum(rates) / len(rates), 4), "median": None, "sd": None,
            "n": len(rates), "n_unit": "subjects", "summary_from_values": True,
            "values_file": DF2011_FILE, "values_column": "choice", "values_true": "c",
            "values_filter": {"treatment": code, **({"period": 1} if first else {})},
            "subject_column": "id", "subject_mean": True, "agent_column": "action",
            "agent_unit": ["instance", "agent"], "agent_filter": agent_filter,
            "data_file": DF2011_FILE, "treatment": code,
            "notes": f"computed from the packaged decisions: one value per subject, its share "
                     f"of C in {wording} (stratEst's subset of later supergames; subjects "
                     f"weigh equally, unlike the pooled rates; subjects have 4 to 16 "
                     f"supergames here); agents: "
                     f"each agent's share of intended C in {wording}"})
    return out


def _treatment(name: str) -> tuple[float, int]:
    """δ and R of a stratEst treatment code (``D5R32`` -> 0.5, 32; ``D75R48`` -> 0.75, 48)."""
    d, r = name[1:].split("R")
    return float("0." + d), int(r)


def build(source: Path, dest: Path = HERE) -> dict[str, Any]:
    """Copy and extract the baselines from ``source`` into ``dest``; returns the manifest."""
    copy_file(source, dest, DF2011_FILE, DF2011_FILE)
    baselines: list[dict[str, Any]] = []
    for name, told, rate, quote in SHAFIR_ROWS:
        baselines.append({
            "name": name, "game": GAME, "measure": "cooperation", "round": 0,
            "roles": ["player"], "status": "read",
            "description": f"Shafir & Tversky (1992) one-shot PD, other's choice {told}: "
                           "share cooperating",
            "citation": SHAFIR, "params": {**SHAFIR_MATRIX, "told": told},
            "match_params": ["temptation", "reward", "punishment", "sucker"],
            "mean": rate, "median": None, "sd": None, "n": 444, "n_unit": "triads",
            "notes": f"read in the paper (PDF in HumanStudy-Bench study_010): \"{quote}\"; 80 "
                     "Princeton undergraduates, 444 triads (unknown / told D / told C)"})
    baselines.append({
        "name": "mengel2018_pd", "game": GAME, "measure": "cooperation", "round": 0,
        "roles": ["player"], "status": "read",
        "description": "Mengel (2018) meta-study of one-shot PDs: mean cooperation",
        "citation": MENGEL, "params": {}, "mean": 0.37, "median": None, "sd": None, "n": 45,
        "n_unit": "treatments (regression sample)", "regression": MENGEL_REGRESSION,
        "notes": "mean 37 % as quoted by Brookins & DeBacker's README (\"about 65% versus 37% "
                 "for humans\"); regression of cooperation on RISK, TEMPT, EFF as transcribed "
                 "in their code (results_table['Mengel (2018)']); not checked in the paper"})
    subject_rows: list[dict[str, Any]] = []
    for code, s in df2011_rates(dest / DF2011_FILE).items():
        delta, reward = _treatment(code)
        subject_rows += _subject_baselines(
            dest / DF2011_FILE, code, {"temptation": 50, "reward": reward, "punishment": 25,
                                       "sucker": 12, "delta": delta})
        baselines.append({
            "name": f"dalbo_frechette2011_{code.lower()}", "game": GAME,
            "measure": "cooperation", "round": 0, "roles": ["player"], "status": "computed",
            "description": f"Dal Bó & Fréchette (2011) δ = {delta:g}, R = {reward}: "
                           f"cooperation in the stratEst subset ({s['subjects']} subjects)",
            "citation": DF2011,
            "params": {"temptation": 50, "reward": reward, "punishment": 25, "sucker": 12,
                       "delta": delta},
            "match_params": ["reward", "delta"], "mean": round(s["cooperation"], 4),
            "cooperation_round1": round(s["cooperation_round1"], 4), "median": None,
            "sd": None, "n": s["decisions"], "n_unit": "decisions", "subjects": s["subjects"],
            "data_file": DF2011_FILE, "treatment": code,
            "notes": "computed from the packaged decisions (all rounds of the later supergames "
                     "stratEst keeps); cooperation_round1: first rounds only"})
    baselines += subject_rows
    return write_baselines(dest, "games.prisoners_dilemma.data.build",
                           sha256_of(source, (DF2011_FILE,)), baselines)


if __name__ == "__main__":
    build_main(__doc__, build, DEFAULT_SOURCE, HERE)
