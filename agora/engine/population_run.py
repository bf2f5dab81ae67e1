"""Population runs: a census population rematched into games round after round.

Each population round the :class:`populations.PopulationModel` matchmaker seats personas in
groups of the game's size; every group plays one full game episode, all groups batched through
one :class:`~agora.engine.runner.Runner`; each persona's mean action and total payoff go back
into the model (so neighbours can see them next round) and the model closes the round. With
``social_info`` each seated persona's prompt text carries a sentence on its graph neighbours'
last outcomes. A run directory holds one sub-run per round, so an interrupted population run
resumes: rematching is deterministic given the model's seed, and finished rounds are read back.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from agora.engine.records import RunResult, finish_run_dir
from agora.engine.registry import REGISTRY, make_config
from agora.engine.runner import Personas, PolicySpec, Runner

if TYPE_CHECKING:
    from populations.model import PopulationModel

PERSONA_RECORD_COLUMNS = ("age", "sex", "state", "education", "marital_status", "race",
                          "hispanic", "industry", "income", "wage")


def run_population(game: str, *, population: PopulationModel, policy: PolicySpec, rounds: int,
                   seed: int = 0, out: str | Path | None = None, resume: bool = False,
                   progress: bool = True, social_info: bool = True,
                   game_config: dict[str, Any] | None = None) -> RunResult:
    """Play ``rounds`` matchmaking rounds of ``game`` over ``population``.

    Returns one records table over all rounds with a ``population_round`` column and the
    personas' attributes joined in; the manifest carries the population metrics per round.
    """
    from populations import persona_texts

    if not isinstance(rounds, int) or rounds < 1:
        raise ValueError(f"rounds must be an integer >= 1, got {rounds!r}")
    config = make_config(game, **(game_config or {}))
    n_players = REGISTRY.get(game).kernel_cls(config, 1, np.random.default_rng(0)).n_players
    table = population.personas
    base_texts = persona_texts(table)
    attrs = table.select(["persona_id", *[c for c in PERSONA_RECORD_COLUMNS
                                          if c in table.columns]])
    root = Path(out) if out is not None else None
    seeds = np.random.SeedSequence(seed).generate_state(rounds)
    frames: list[pl.DataFrame] = []
    start = time.perf_counter()
    for r in range(rounds):
        groups = population.match(n_players)
        if groups.shape[0] == 0:
            raise ValueError(f"population of {population.n} cannot fill a group of {n_players}")
        texts = list(base_texts)
        if social_info and r > 0:
            seated = groups.reshape(-1)
            for pid, line in zip(seated, population.neighbour_summary(seated), strict=True):
                texts[pid] = f"{texts[pid]} {line}"
        result = Runner(
            game, config, policy=policy, n_instances=groups.shape[0], seed=int(seeds[r]),
            out=None if root is None else root / f"round-{r:04d}", resume=resume,
            progress=progress, personas=Personas(ids=groups, texts=texts, table=attrs)).run()
        records = result.records.with_columns(pl.lit(r, dtype=pl.Int32).alias("population_round"))
        outcome = (records.group_by("persona_id")
                   .agg(pl.col("action").fill_nan(None).mean().fill_null(float("nan")),
                        pl.col("reward").sum()).sort("persona_id"))
        # mean numeric action (NaN for personas that chose nothing numeric, e.g. accepting)
        population.record_outcomes(outcome["persona_id"].to_numpy(),
                                   outcome["action"].to_numpy(), outcome["reward"].to_numpy())
        population.step()
        frames.append(records)
    records = pl.concat(frames, how="diagonal_relaxed")
    metrics = population.metrics()
    manifest = {"game": game, "config": config.to_dict(), "population_rounds": rounds,
                "seed": seed, "n_personas": population.n,
                "population_config": {k: v for k, v in vars(population.config).items()
                                      if k != "spec"},
                "population_metrics": metrics.to_dicts(), "status": "complete",
                "telemetry": {"wall_s": time.perf_counter() - start,
                              "decisions": records.height}}
    if root is not None:  # atomic files, format version and checksums, as for one run
        manifest = finish_run_dir(root, records, manifest,
                                  extra={"population_metrics.parquet": metrics})
    return RunResult(records=records, manifest=manifest, out=root,
                     telemetry=manifest["telemetry"])
