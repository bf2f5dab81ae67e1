"""``agora.run``: the one-call entry point over :class:`agora.engine.runner.Runner`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from agora.engine.kernel import GameConfig
from agora.engine.limits import MAX_SEATS
from agora.engine.population_run import PERSONA_RECORD_COLUMNS, run_population
from agora.engine.registry import REGISTRY, make_config
from agora.engine.runner import Personas, PolicySpec, Runner
from agora.results import RunResult

if TYPE_CHECKING:
    from populations.model import PopulationModel


def run(game: str, *, policy: PolicySpec, n_instances: int | None = None, seed: int = 0,
        out: str | Path | None = None, resume: bool = False, progress: bool = True,
        personas: Personas | pl.DataFrame | None = None, config: GameConfig | None = None,
        population: PopulationModel | None = None, rounds: int | None = None,
        social_info: bool = True, **game_config: Any) -> RunResult:
    """Play ``n_instances`` copies of ``game`` with batched policies and return the records
    (a :class:`agora.results.RunResult`: in Jupyter it shows its summary).

    Args:
        game: Registered game name (see :func:`agora.list_games`).
        policy: A policy, or ``[(policy, share), ...]`` for a mixture seated by exact shares.
        n_instances: Game instances stepped in lockstep (default 1; with a personas frame,
            as many as its rows fill).
        seed: Seed of the run's generators; same seed, same records.
        out: Run directory for records, manifest and per-step checkpoints.
        resume: Continue (or return) the run already in ``out``.
        progress: Show a progress bar.
        personas: Personas seated in the games: a frame of persona rows (e.g.
            ``populations.synthesize(20, seed=3)``), seated in row order, instance by
            instance, one row per seat, with prompt texts from ``populations.persona_texts``
            and its attributes joined into the records; or a :class:`Personas` for any other
            seating.
        config: A ready game config; otherwise ``game_config`` keyword fields build one.
        population: A :class:`populations.PopulationModel`; personas are rematched into
            groups every population round (``n_instances`` is then set by the matchmaker).
        rounds: With ``population``: matchmaking rounds, each one full game episode. Without
            it, the game's own ``rounds`` config field.
        social_info: With ``population``: add neighbours' last outcomes to persona texts.
        **game_config: Game config fields, e.g. ``p=2/3, rounds=4``.
    """
    if population is not None:
        if config is not None or personas is not None or n_instances is not None:
            raise ValueError("with population=, pass game fields as keywords (not config=, "
                             "personas= or n_instances=: the matchmaker seats the groups)")
        if rounds is None:
            raise ValueError("with population=, rounds= (matchmaking rounds) is required")
        return RunResult.of(run_population(
            game, population=population, policy=policy, rounds=rounds, seed=seed, out=out,
            resume=resume, progress=progress, social_info=social_info, game_config=game_config))
    if rounds is not None:
        game_config["rounds"] = rounds
    if config is not None and game_config:
        raise ValueError("pass either config= or game config fields, not both")
    if isinstance(personas, pl.DataFrame):
        cfg = config if config is not None else make_config(game, **game_config)
        personas, n_instances = seat_personas(game, cfg, personas, n_instances)
        config, game_config = cfg, {}
    elif personas is not None and not isinstance(personas, Personas):
        raise TypeError(f"personas must be a polars DataFrame of personas (e.g. "
                        f"populations.synthesize(n, seed=...)) or agora.Personas, got "
                        f"{type(personas).__name__}")
    return RunResult.of(Runner(
        game, config if config is not None else game_config, policy=policy,
        n_instances=1 if n_instances is None else n_instances, seed=seed, out=out,
        resume=resume, progress=progress, personas=personas).run())


def seat_personas(game: str, config: GameConfig, frame: pl.DataFrame,
                  n_instances: int | None) -> tuple[Personas, int]:
    """Seat a personas frame in row order: row ``i`` plays seat ``i % players`` of instance
    ``i // players``; returns the :class:`Personas` and the number of instances.

    Persona ids come from a ``persona_id`` column (distinct integers >= 0) or the row
    numbers; texts from :func:`populations.persona_texts`; the attribute columns agora records
    for population runs are joined into the records.
    """
    from populations import persona_texts

    n_players = REGISTRY.get(game).kernel_cls(config, 1, np.random.default_rng(0)).n_players
    rows = frame.height
    if n_instances is None:
        if rows == 0 or rows % n_players:
            raise ValueError(f"personas: {rows} rows cannot fill groups of {n_players} "
                             f"{game} players; pass a multiple of {n_players} rows")
        n_instances = rows // n_players
    if isinstance(n_instances, bool) or not isinstance(n_instances, int) or n_instances < 1:
        raise ValueError(f"n_instances must be an integer >= 1, got {n_instances!r}")
    if rows != n_instances * n_players:
        raise ValueError(f"personas: {rows} rows for {n_instances} instance(s) × {n_players} "
                         f"players = {n_instances * n_players} seats; each row takes one seat "
                         f"(omit n_instances to seat every row, or pass agora.Personas for "
                         f"another seating)")
    ids = (np.arange(rows, dtype=np.int64) if "persona_id" not in frame.columns
           else _persona_ids(frame["persona_id"]))
    texts = [""] * (int(ids.max()) + 1)
    for pid, text in zip(ids.tolist(), persona_texts(frame), strict=True):
        texts[pid] = text
    keep = [c for c in PERSONA_RECORD_COLUMNS if c in frame.columns]
    table = frame.select(pl.Series("persona_id", ids), *keep)
    return Personas(ids=ids.reshape(n_instances, n_players), texts=texts, table=table), \
        n_instances


def _persona_ids(column: pl.Series) -> np.ndarray:
    ids = column.to_numpy()
    if not np.issubdtype(ids.dtype, np.integer) or ids.size == 0 or ids.min() < 0 \
            or ids.max() >= MAX_SEATS or np.unique(ids).size != ids.size:
        raise ValueError(f"personas: persona_id must hold distinct integers in [0, "
                         f"{MAX_SEATS:,})")
    return ids.astype(np.int64)
