"""Readers of the prisoner's dilemma's packaged human data (``games/prisoners_dilemma/data``).

* :data:`MENGEL_GAMES`: the 22 one-shot parameterisations of Mengel's (2018) meta-study, as
  ``(R, S, T, P)`` exactly as transcribed by Brookins & DeBacker [read: jdebacker/
  BrookinsDeBacker_GPT ``code/GPT_tables_figures.py``, dict ``pd_parameterizations``; one
  matrix, (250, 50, 750, 150), is listed twice; three have P = S, weak PDs with RISK = 0].
* :func:`mengel_regression`: Mengel's regression of cooperation on RISK, TEMPT, EFF.
* :func:`df2011_decisions` / :func:`df2011_cooperation`: Dal Bó & Fréchette's (2011)
  individual decisions (CC BY 4.0) and cooperation by treatment computed from them.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import polars as pl

PACKAGE = "games.prisoners_dilemma.data"
DF2011_FILE = "dalbo_frechette2011_repeated_pd.csv"

MENGEL_GAMES: tuple[tuple[int, int, int, int], ...] = (
    (400, 200, 450, 200), (400, 200, 800, 200), (400, 100, 450, 120), (10, 1, 90, 5),
    (150, 40, 850, 50), (250, 15, 750, 85), (250, 50, 750, 150), (10, 2, 110, 3),
    (150, 50, 850, 100), (400, 100, 600, 120), (400, 100, 1200, 120), (400, 10, 450, 200),
    (400, 10, 800, 200), (400, 100, 450, 200), (10, 5, 90, 5), (150, 5, 850, 95),
    (250, 5, 750, 95), (250, 100, 750, 160), (10, 1, 110, 9), (250, 50, 750, 150),
    (400, 100, 600, 200), (400, 100, 1200, 200),
)
"""Mengel's (2018) one-shot PDs as ``(R, S, T, P)``, in Brookins & DeBacker's order."""


DF2011_TABLE7_STRATEGIES = ("AllD", "AllC", "Grim", "TFT", "WSLS", "T2")
DF2011_TABLE7: dict[str, tuple[float, ...]] = {
    # Dal Bó & Fréchette (2011) Table 7, p. 424, as replicated in the stratEst vignette [read;
    # ../shared/reference/classic_games.md §1c]: shares of DF2011_TABLE7_STRATEGIES.
    "D5R32": (0.92, 0.00, 0.00, 0.08, 0.00, 0.00),
    "D5R40": (0.78, 0.08, 0.04, 0.10, 0.00, 0.00),
    "D5R48": (0.53, 0.07, 0.00, 0.38, 0.02, 0.00),
    "D75R32": (0.65, 0.00, 0.00, 0.35, 0.00, 0.00),
    "D75R40": (0.11, 0.30, 0.27, 0.33, 0.00, 0.00),
    "D75R48": (0.00, 0.08, 0.12, 0.56, 0.00, 0.24),
}
"""Published strategy shares by treatment (the SFEM test and ``pd_repeated`` compare with them)."""


def _entries() -> dict[str, dict[str, Any]]:
    text = resources.files(PACKAGE).joinpath("baselines.json").read_text()
    return {b["name"]: b for b in json.loads(text)["baselines"]}


def mengel_regression() -> dict[str, Any]:
    """Mengel's (2018) regression (coefficients, standard errors, N, R²) as packaged."""
    return dict(_entries()["mengel2018_pd"]["regression"])


def baseline_entry(name: str) -> dict[str, Any]:
    """One packaged entry of ``baselines.json`` as stored (raw dict)."""
    entries = _entries()
    if name not in entries:
        raise KeyError(f"prisoners_dilemma: unknown baseline {name!r}; known: "
                       f"{', '.join(entries)}")
    return dict(entries[name])


def df2011_decisions() -> pl.DataFrame:
    """Every packaged DF2011 decision with ``cooperate`` (1 = C), ``other_cooperate``,
    ``delta`` and ``reward`` added (``round`` = ``period`` - 1)."""
    path = resources.files(PACKAGE).joinpath(DF2011_FILE)
    with resources.as_file(path) as p:
        frame = pl.read_csv(p)
    d = pl.col("treatment").str.extract(r"^D(\d+)R", 1)
    return frame.with_columns(
        (pl.col("choice") == "c").cast(pl.Int8).alias("cooperate"),
        (pl.col("other.choice") == "c").cast(pl.Int8).alias("other_cooperate"),
        (pl.lit("0.") + d).cast(pl.Float64).alias("delta"),
        pl.col("treatment").str.extract(r"R(\d+)$", 1).cast(pl.Int64).alias("reward"),
        (pl.col("period") - 1).alias("round"))


def df2011_cooperation() -> pl.DataFrame:
    """Cooperation by treatment (all rounds and round 1) with δ, R and subjects, from the
    decisions."""
    d = df2011_decisions()
    return (d.group_by("treatment", "delta", "reward")
            .agg(pl.col("cooperate").mean().alias("cooperation"),
                 pl.col("cooperate").filter(pl.col("round") == 0).mean()
                 .alias("cooperation_round1"),
                 pl.len().alias("decisions"), pl.col("id").n_unique().alias("subjects"))
            .sort("delta", "reward"))
