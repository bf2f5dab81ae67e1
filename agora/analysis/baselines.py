"""Human reference data and agent-versus-human comparisons.

Human data ship with the games they belong to: a game's hooks name a data package
(:attr:`agora.engine.contract.GameHooks.baseline_package`) holding ``baselines.json`` (one entry
per baseline: citation, summary statistics, the CSV files it reads) plus the CSV files and a
PROVENANCE.md, read with :mod:`importlib.resources`. This module collects the baselines of every
registered game and never names a game; agora's own games ship Nagel (1995) p-beauty data,
Forsythe et al. (1994) dictator and ultimatum offers, the MobLab dictator and strategy-method
ultimatum decisions of Mei et al. (2024) and the Engel (2011) and Oosterbeek et al. (2004)
meta-analyses.

Baselines with individual data keep one decision per subject by default (MobLab subjects may
have played several times: ``load_baseline(name, all_rows=True)`` keeps every row).

:func:`compare` (in :mod:`agora.analysis.comparison`, importable from here) measures how far
agents' choices are from a baseline.

:mod:`agora.analysis.fidelity` scores the distance of agents from a baseline with individual
data (distances with bootstrap intervals and Mei et al.'s Turing-test statistic).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import polars as pl


@dataclass(frozen=True, kw_only=True)
class Baseline:
    """One human reference sample or summary.

    Attributes:
        name: Identifier used by ``compare`` and ``agora report --baseline``.
        game: The game the data come from (as the data package names it).
        measure: ``"guess"`` (p-beauty guesses on [0, 100]), ``"share"`` (share of the pie)
            or ``"rate"`` (a per-subject rate on [0, 1], e.g. of cooperation).
        description, citation, status, notes: Provenance (status ``checked`` or ``cited``).
        mean, median, sd: Summary statistics as reported (NaN when not reported).
        n: Number of human units (``n_unit``).
        values: Individual human choices in the baseline's measure, if public.
        point_masses: Reported shares of choices at particular values.
        by_round: Human mean and median by round (rows ``round, mean, median``), if any.
        params: Treatment parameters (``p``, bounds, pie).
        extra: Other reported numbers (e.g. the rejection rate).
        roles: Roles whose choices the data describe (others are left out of comparisons).
        match_params: Keys of ``params`` a run's config should match (a note says when not).
        package: The data package the baseline was read from.
        summary_from_values: Whether mean, median, sd, n and point masses are computed from
            ``values`` (else they are the published figures).
        subjects: Subject id of each value (when the data name subjects).
        all_rows: Whether ``values`` keeps every decision rather than one per subject.
        agent_column: Column of the records holding the agents' comparable choice (e.g. a
            minimum acceptable offer), divided by the config's pie/endowment (taken as is for
            the ``"rate"`` measure); ``None``: the usual share or guess (see
            :func:`agent_values`).
        agent_unit: Record columns naming one agent (e.g. ``instance``, ``agent``): when set,
            each agent's value is the mean of its decisions over every round (the records
            matching ``agent_filter``), to compare with per-subject human rates (entries with
            ``subject_mean``); empty: first-round decisions, one value each.
        agent_filter: Column -> value the agents' decisions must match (with ``agent_unit``).
    """

    name: str
    game: str
    measure: str
    description: str
    citation: str
    status: str
    mean: float
    n: int
    n_unit: str = ""
    median: float = math.nan
    sd: float = math.nan
    values: np.ndarray | None = None
    point_masses: dict[float, float] = field(default_factory=dict)
    by_round: pl.DataFrame | None = None
    params: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, float] = field(default_factory=dict)
    notes: str = ""
    roles: tuple[str, ...] = ()
    match_params: tuple[str, ...] = ()
    package: str = ""
    summary_from_values: bool = False
    subjects: np.ndarray | None = None
    all_rows: bool = False
    agent_column: str | None = None
    agent_unit: tuple[str, ...] = ()
    agent_filter: dict[str, Any] = field(default_factory=dict)


def data_packages() -> list[str]:
    """Data packages of the registered games' hooks (each once, in game-name order)."""
    from agora.engine.registry import REGISTRY

    packages = (REGISTRY.get(g).kernel_cls.hooks.baseline_package for g in REGISTRY.names())
    return list(dict.fromkeys(p for p in packages if p))


def _data_csv(package: str, name: str) -> pl.DataFrame:
    with resources.as_file(resources.files(package).joinpath(name)) as path:
        return pl.read_csv(path, infer_schema_length=None)


@cache
def _entries() -> dict[str, tuple[str, dict[str, Any]]]:
    """Every packaged baseline by name: (data package, its baselines.json entry)."""
    out: dict[str, tuple[str, dict[str, Any]]] = {}
    for package in data_packages():
        manifest = json.loads(resources.files(package).joinpath("baselines.json").read_text())
        for entry in manifest["baselines"]:
            if entry["name"] in out:
                raise ValueError(f"baseline {entry['name']!r} is shipped by both "
                                 f"{out[entry['name']][0]} and {package}")
            out[entry["name"]] = (package, entry)
    return out


def list_baselines() -> list[str]:
    """Names of the packaged baselines of every registered game."""
    return list(_entries())


def _num(x: Any) -> float:
    return math.nan if x is None else float(x)


def _individual_values(package: str, b: dict[str, Any],
                       all_rows: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """Values (in the baseline's measure) and subject ids of an entry's ``values_file``: rows
    matching ``values_filter``, without ``invalid_values`` codes, one per subject unless
    ``all_rows``; ``values_column`` over ``values_total`` (default: ``offer_share``), or 1
    where it equals ``values_true`` and 0 elsewhere (coded choices such as ``"c"``). With
    ``subject_mean`` each subject's mean over its matching rows is one value (e.g. a subject's
    cooperation rate from its 0/1 decisions), in order of first appearance."""
    frame = _data_csv(package, b["values_file"])
    for col, val in b.get("values_filter", {}).items():
        frame = frame.filter(pl.col(col).cast(pl.String) == str(val))
    column = b.get("values_column", "offer_share")
    if b.get("invalid_values"):
        frame = frame.filter(~pl.col(column).is_in(list(b["invalid_values"])))
    if b.get("first_row_column") and not all_rows:
        frame = frame.filter(pl.col(b["first_row_column"]))
    if b.get("values_true") is not None:  # a coded choice: 1 where it equals values_true
        frame = frame.with_columns(
            (pl.col(column).cast(pl.String) == str(b["values_true"])).cast(pl.Float64))
    if b.get("subject_mean"):
        if not b.get("subject_column"):
            raise ValueError(f"baseline {b['name']!r}: subject_mean needs a subject_column")
        per = (frame.group_by(b["subject_column"], maintain_order=True)
               .agg(pl.col(column).cast(pl.Float64).mean()))
        return (per[column].to_numpy().astype(np.float64),
                per[b["subject_column"]].to_numpy())
    x = frame[column].cast(pl.Float64)
    if b.get("values_total"):
        x = x / frame[b["values_total"]].cast(pl.Float64)
    subjects = (frame[b["subject_column"]].to_numpy() if b.get("subject_column") else None)
    return x.to_numpy().astype(np.float64), subjects


def _summary(b: dict[str, Any], values: np.ndarray | None) -> dict[str, Any]:
    """Mean, median, sd, n and point masses: computed from ``values`` for entries marked
    ``summary_from_values``, else as the entry reports them."""
    masses = {float(k): float(v) for k, v in b.get("point_masses", {}).items()}
    if not b.get("summary_from_values") or values is None:
        return {"mean": _num(b["mean"]), "median": _num(b.get("median")),
                "sd": _num(b.get("sd")), "n": int(b["n"]), "point_masses": masses}
    return {"mean": float(values.mean()), "median": float(np.median(values)),
            "sd": float(values.std(ddof=1)), "n": int(values.size),
            "point_masses": {v: float(np.mean(np.isclose(values, v))) for v in masses}}


@cache
def load_baseline(name: str, *, all_rows: bool = False) -> Baseline:
    """A packaged baseline by name; ``all_rows`` keeps every decision of a subject who played
    more than once (default: the first, one decision per subject)."""
    entries = _entries()
    if name not in entries:
        raise KeyError(f"unknown baseline {name!r}; known: {', '.join(entries)}")
    package, b = entries[name]
    values = subjects = None
    if b.get("values_file"):
        values, subjects = _individual_values(package, b, all_rows)
    by_round = None
    if b.get("by_round_file"):
        t = _data_csv(package, b["by_round_file"]).filter(pl.col("p") == b["by_round_p"])
        by_round = (t.group_by("period").agg(pl.col("mean").mean(), pl.col("median").mean())
                    .with_columns((pl.col("period") - 1).alias("round")).sort("round")
                    .select("round", "mean", "median"))
    extra = {k: float(b[k]) for k in ("rejection_rate", "reported_mean_usd", "reported_sd_usd")
             if k in b}
    unit = b.get("n_unit", "")
    if all_rows and b.get("first_row_column"):
        unit = "decisions"
    if b.get("subject_mean"):
        unit = "subjects"
    return Baseline(name=name, game=b["game"], measure=b["measure"],
                    description=b["description"], citation=b["citation"], status=b["status"],
                    **_summary(b, values), n_unit=unit, values=values, by_round=by_round,
                    params=dict(b.get("params", {})), extra=extra,
                    notes=b.get("notes", ""), roles=tuple(b.get("roles", ())),
                    match_params=tuple(b.get("match_params", ())), package=package,
                    summary_from_values=bool(b.get("summary_from_values")),
                    subjects=subjects, all_rows=all_rows and bool(b.get("first_row_column")),
                    agent_column=b.get("agent_column"),
                    agent_unit=tuple(b.get("agent_unit", ())),
                    agent_filter=dict(b.get("agent_filter", {})))


def default_baseline(game: str, config: dict[str, Any] | Any = None) -> str | None:
    """The baseline the game's hooks choose for ``config`` (a dict or config object;
    ``None``: the game's defaults), or ``None`` for an unknown game or one without data."""
    from agora.analysis.equilibria import game_config, game_hooks
    from agora.engine.registry import UnknownGameError

    try:
        hooks = game_hooks(game)
    except UnknownGameError:
        return None
    return hooks.default_baseline(game_config(game, {} if config is None else config))


# --------------------------------------------------------------------- agent values
def agent_frame(records: pl.DataFrame, baseline: Baseline,
                config: dict[str, Any] | None = None) -> pl.DataFrame:
    """The decisions comparable with ``baseline`` (first round; only the baseline's ``roles``
    when the records have roles) with their choice in the baseline's measure as ``value``
    (rows without one dropped); the other columns (persona attributes, policy) are kept.

    p-beauty guesses are rescaled to [0, 100] when the run used other bounds. Shares come from
    ``share_given`` / ``offer_share`` columns, else ``action`` over the config's endowment/pie;
    a baseline's ``agent_column`` (e.g. minimum acceptable offers) over the pie/endowment.
    Baselines with an ``agent_unit`` get one row per agent instead: the mean ``value`` of its
    decisions (every round matching ``agent_filter``; other columns from its first row).
    """
    config = config or {}
    frame = records
    if baseline.agent_unit:
        return _per_agent(frame, baseline, config)
    if "round" in frame.columns:
        frame = frame.filter(pl.col("round") == frame["round"].min())
    if baseline.roles and "role" in frame.columns:
        movers = frame.filter(pl.col("role").cast(pl.String).is_in(list(baseline.roles)))
        frame = movers if movers.height else frame
    total = next((float(config[k]) for k in ("endowment", "pie") if k in config), None)
    if baseline.agent_column is not None:
        if baseline.agent_column not in frame.columns:
            raise ValueError(f"baseline {baseline.name!r} compares the records' "
                             f"{baseline.agent_column!r} column, which these records lack")
        if total is None:
            raise ValueError(f"baseline {baseline.name!r}: the config names no pie/endowment")
        value = pl.col(baseline.agent_column).cast(pl.Float64) / total
    elif baseline.measure == "guess":
        value = pl.col("action").cast(pl.Float64)
        lo, hi = float(config.get("lower", 0.0)), float(config.get("upper", 100.0))
        if (lo, hi) != (0.0, 100.0):
            value = (value - lo) / (hi - lo) * 100.0
    else:
        col = next((c for c in ("share_given", "offer_share", "share_offered")
                    if c in frame.columns), None)
        if col is not None:
            value = pl.col(col).cast(pl.Float64)
        elif total is not None:
            value = pl.col("action").cast(pl.Float64) / total
        else:
            raise ValueError(f"cannot express the records as shares for baseline "
                             f"{baseline.name!r}")
    out = frame.with_columns(value.alias("value"))
    return out.filter(pl.col("value").is_not_null() & pl.col("value").is_finite())


def _per_agent(records: pl.DataFrame, baseline: Baseline,
               config: dict[str, Any]) -> pl.DataFrame:
    """One row per agent (``baseline.agent_unit``) with its mean ``value`` over its decisions
    matching ``baseline.agent_filter`` (rates: the records' column as is)."""
    unit = list(baseline.agent_unit)
    column = baseline.agent_column or "action"
    missing = [c for c in [*unit, column, *baseline.agent_filter] if c not in records.columns]
    if missing:
        raise ValueError(f"baseline {baseline.name!r} needs the records' column(s) "
                         f"{', '.join(missing)}")
    frame = records
    for col, val in baseline.agent_filter.items():
        frame = frame.filter(pl.col(col) == val)
    if baseline.roles and "role" in frame.columns:
        movers = frame.filter(pl.col("role").cast(pl.String).is_in(list(baseline.roles)))
        frame = movers if movers.height else frame
    value = pl.col(column).cast(pl.Float64)
    if baseline.measure != "rate":
        total = next((float(config[k]) for k in ("endowment", "pie") if k in config), None)
        if total is None:
            raise ValueError(f"baseline {baseline.name!r}: the config names no pie/endowment")
        value = value / total
    frame = frame.with_columns(value.alias("value")).filter(
        pl.col("value").is_not_null() & pl.col("value").is_finite())
    rest = [c for c in frame.columns if c not in (*unit, "value")]
    return (frame.group_by(unit, maintain_order=True)
            .agg(pl.col("value").mean(), *(pl.col(c).first() for c in rest))
            .select(frame.columns))


def agent_values(records: pl.DataFrame, baseline: Baseline,
                 config: dict[str, Any] | None = None) -> np.ndarray:
    """The agents' choices in the baseline's measure (see :func:`agent_frame`)."""
    return agent_frame(records, baseline, config)["value"].to_numpy().astype(np.float64)


def __getattr__(name: str) -> Any:
    """``compare`` and ``Comparison`` live in :mod:`agora.analysis.comparison`, which builds on
    this module; they stay importable from here."""
    if name in ("compare", "Comparison"):
        from agora.analysis import comparison

        return getattr(comparison, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
