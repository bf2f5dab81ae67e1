"""Census workers for the tax game: hourly wages and persona texts from ``populations``.

Workers are synthesized personas aged 18-64 who worked in the last five years and have an
imputed hourly wage (``income / (hours × 52)``, see :mod:`populations.hours`); their wage, clipped
to the game's skill range, is their skill, and their persona text goes into LLM prompts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

WORKER_FILTERS: dict[str, Any] = {"age": (18, 64), "recent_worker": [True]}


@dataclass(frozen=True, kw_only=True)
class Workforce:
    """``n`` workers: skills (hourly wages), persona rows and prompt texts (same order)."""

    skills: np.ndarray
    personas: pl.DataFrame
    texts: tuple[str, ...]

    def __len__(self) -> int:
        return int(self.skills.size)


def census_workers(n: int, *, seed: int, min_skill: float = 1.0,
                   max_skill: float = 2_000.0) -> Workforce:
    """``n`` census workers with a wage, drawn by :func:`populations.synthesize`.

    Personas without a wage (no positive income) are skipped; the draw is enlarged until ``n``
    remain, so the result depends only on ``n`` and ``seed``. ``persona_id`` is renumbered
    0..n−1.
    """
    from populations import persona_texts, synthesize

    if not isinstance(n, int) or n < 1:
        raise ValueError(f"census_workers: n must be an integer >= 1, got {n!r}")
    draw = int(n * 1.25) + 20
    while True:
        frame = synthesize(draw, seed=seed, filters=WORKER_FILTERS)
        frame = frame.filter(pl.col("wage").is_not_null() & (pl.col("wage") > 0))
        if frame.height >= n:
            break
        draw *= 2
    frame = frame.head(n).with_columns(pl.int_range(n, dtype=pl.Int64).alias("persona_id"))
    skills = np.clip(frame["wage"].to_numpy().astype(np.float64), min_skill, max_skill)
    return Workforce(skills=skills, personas=frame, texts=tuple(persona_texts(frame)))
