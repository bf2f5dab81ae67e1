"""Regenerate the trust game's packaged human data from the shared source file.

Usage: ``python -m games.trust.data.build [--source DIR]`` where ``DIR`` holds the shared human
data (default: ``<repo>/../shared/data/human``). Copies Berg, Dickhaut & McCabe's (1995) 60
(sent, returned) pairs verbatim, derives per pair the share of the $10 endowment sent and the
share of what arrived that was returned (``berg1995_trust_shares.csv``) and writes
``baselines.json``: amounts sent and return ratios of each treatment, every number computed
from the pairs, with the paper's printed means (read in the HumanStudy-Bench ground truth) as
checks. The SHA-256 of the source file is recorded.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import numpy as np

from agora.engine.human_data import build_main, copy_file, sha256_of, write_baselines

HERE = Path(__file__).resolve().parent
DEFAULT_SOURCE = HERE.parents[3] / "shared" / "data" / "human"
PAIRS = "berg1995_trust_pairs.csv"
SHARES = "berg1995_trust_shares.csv"
GAME = "trust"
ENDOWMENT, MULTIPLIER = 10.0, 3.0
BERG = ("Berg, J., Dickhaut, J. & McCabe, K. (1995). Trust, Reciprocity, and Social History. "
        "Games and Economic Behavior 10:122-142. Pairs transcribed from the paper's appendix "
        "by AISmithLab/HumanStudy-Bench (MIT License, Copyright (c) 2026 Xuan Liu).")
TREATMENTS = {"no_history": ("no_history_investment_game", 5.16, 4.66),
              "social_history": ("social_history_investment_game", 5.36, 6.46)}
"""Treatment -> (label in the pairs file, printed mean sent, printed mean returned in $):
[read: HSB ground truth 'Mean Sent = $5.16, Mean Returned = $4.66' and 5.36 / 6.46]."""


def read_pairs(path: Path) -> list[dict[str, str]]:
    """Rows of the pairs file."""
    return list(csv.DictReader(io.StringIO(path.read_text())))


def write_shares(rows: list[dict[str, str]], dest: Path) -> None:
    """Per pair: endowment, arrived, share sent, return ratio (empty when nothing was sent)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["treatment", "pair_index", "amount_sent", "amount_returned", "endowment",
                "arrived", "share_sent", "return_ratio", "sent_positive"])
    for r in rows:
        s, back = float(r["amount_sent"]), float(r["amount_returned"])
        ratio = "" if s == 0 else f"{back / (MULTIPLIER * s):.6f}"
        w.writerow([r["treatment"], r["pair_index"], s, back, ENDOWMENT, MULTIPLIER * s,
                    f"{s / ENDOWMENT:.6f}", ratio, "true" if s > 0 else "false"])
    (dest / SHARES).write_text(out.getvalue())


def _summary(x: np.ndarray) -> dict[str, Any]:
    return {"mean": round(float(x.mean()), 6), "median": round(float(np.median(x)), 6),
            "sd": round(float(x.std(ddof=1)), 6), "n": int(x.size)}


def baselines(rows: list[dict[str, str]]) -> list[dict[str, Any]]:
    """Sent and returned baselines of each treatment, computed from the pairs."""
    out = []
    for key, (label, mean_sent, mean_back) in TREATMENTS.items():
        part = [r for r in rows if r["treatment"] == label]
        s = np.array([float(r["amount_sent"]) for r in part])
        back = np.array([float(r["amount_returned"]) for r in part])
        pos = s > 0
        ratio = back[pos] / (MULTIPLIER * s[pos])
        treat = "social history" if key == "social_history" else "no history"
        params = {"endowment": ENDOWMENT, "multiplier": MULTIPLIER,
                  "social_history": key == "social_history"}
        common = {"game": GAME, "measure": "share", "round": 0, "citation": BERG,
                  "status": "checked", "params": params, "summary_from_values": True,
                  "values_file": SHARES, "match_params": ["endowment", "multiplier"]}
        sent = {"name": f"berg1995_trust_sent_{key}", "roles": ["sender"], **common,
                **_summary(s / ENDOWMENT), "n_unit": "senders",
                "point_masses": {"0.0": round(float(np.mean(s == 0)), 6),
                                 "1.0": round(float(np.mean(s == ENDOWMENT)), 6)},
                "values_column": "share_sent", "values_filter": {"treatment": label},
                "reported_mean_usd": mean_sent,
                "description": f"Berg et al. (1995) trust game, {treat}: share of the $10 "
                               f"endowment sent by each of {s.size} senders (mean ${s.mean():.2f}"
                               f" sent)",
                "notes": f"computed from the {s.size} transcribed pairs (mean ${s.mean():.3f} "
                         f"sent; the paper prints ${mean_sent:.2f})"}
        returned = {"name": f"berg1995_trust_returned_{key}", "roles": ["receiver"], **common,
                    **_summary(ratio), "n_unit": "receivers who got money",
                    "point_masses": {"0.0": round(float(np.mean(ratio == 0)), 6)},
                    "values_column": "return_ratio",
                    "values_filter": {"treatment": label, "sent_positive": "true"},
                    "reported_mean_returned_usd": mean_back,
                    "mean_returned_usd_all_pairs": round(float(back.mean()), 6),
                    "description": f"Berg et al. (1995) trust game, {treat}: share of what "
                                   f"arrived returned by each of {ratio.size} receivers who "
                                   f"got money (mean ${back.mean():.2f} returned over all "
                                   f"{s.size} pairs)",
                    "notes": f"computed from the transcribed pairs with something sent "
                             f"({ratio.size} of {s.size}); mean returned over all pairs "
                             f"${back.mean():.3f} (the paper prints ${mean_back:.2f})"}
        out += [sent, returned]
    return out


def build(source: Path, dest: Path = HERE) -> dict[str, Any]:
    """Copy the pairs from ``source`` into ``dest``, derive the shares and the baselines."""
    copy_file(source, dest, PAIRS, PAIRS)
    rows = read_pairs(dest / PAIRS)
    write_shares(rows, dest)
    return write_baselines(dest, "games.trust.data.build", sha256_of(source, (PAIRS,)),
                           baselines(rows))


if __name__ == "__main__":
    build_main(__doc__, build, DEFAULT_SOURCE, HERE)
