"""The model comparison's scores: distances to humans and to equilibrium, parse status, cost.

Pure functions over record tables (split from :mod:`experiments.model_comparison`, which plays
the games). Every distance is on a [0, 1] scale so that the leaderboard can average families:

* **distance to humans** (:func:`human_distance`): against a baseline with individual human
  choices, the Wasserstein-1 distance between the agents' and the humans' distributions in the
  baseline's measure (the human-likeness score of :mod:`agora.analysis.fidelity`, with its
  Turing-test statistic alongside); against a baseline of summary statistics only, the absolute
  difference of the means. Guesses on [0, 100] are divided by 100, shares and rates are
  already on [0, 1].
* **distance to equilibrium** (:func:`equilibrium_distance`), from the game's theory and
  analysis hooks: a theory whose equilibrium mixes (``equilibrium_mixture``) gives the total
  variation between the agents' action frequencies and the mixture; an offer game (records
  with the ``spe_deviation`` outcome) gives, per finished game, half the L1 distance between
  the realised split of the pie and the subgame-perfect one (``|share − SPE share|`` for a
  deal, ½ for a disagreement, which leaves both with nothing); any other game the mean distance
  of the first mover's actions from the nearest equilibrium action of
  :meth:`GameHooks.benchmark`, over the range of its action spec.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

PARSE_KINDS = ("ok", "repaired", "fallback")


@dataclass(frozen=True, kw_only=True)
class HumanDistance:
    """Distance of agents from a human baseline on [0, 1] (see the module docstring)."""

    baseline: str
    metric: str
    value: float
    n_agents: int
    turing: float = math.nan


def human_distance(records: pl.DataFrame, baseline: str, config: dict[str, Any]) -> HumanDistance:
    """Distance of the agents of ``records`` from the packaged ``baseline``.

    Raises:
        ValueError: the records hold no choice comparable with the baseline.
    """
    from agora.analysis import baselines as bl
    from agora.analysis.fidelity import fidelity_score

    b = bl.load_baseline(baseline)
    x = _agent_values(records, b, config)
    if x.size == 0:
        raise ValueError(f"no agent choice comparable with baseline {baseline!r}")
    scale = 100.0 if b.measure == "guess" else 1.0
    if b.values is not None and x.size >= 2:
        s = fidelity_score(x, b, n_boot=0)
        return HumanDistance(baseline=b.name, metric="W1", value=s.wasserstein.value / scale,
                             n_agents=s.n_agents, turing=s.turing.value)
    return HumanDistance(baseline=b.name, metric="|mean diff|",
                         value=abs(float(x.mean()) - b.mean) / scale, n_agents=int(x.size))


def _agent_values(records: pl.DataFrame, b: Any, config: dict[str, Any]) -> np.ndarray:
    """The agents' choices in the baseline's measure; a ``cooperation`` baseline compares the
    first-round 0/1 actions of its roles (cooperate = 1) as they are."""
    from agora.analysis import baselines as bl

    if b.measure != "cooperation":
        return bl.agent_values(records, b, config)
    frame = records.filter(pl.col("round") == records["round"].min())
    if b.roles and "role" in frame.columns:
        frame = frame.filter(pl.col("role").cast(pl.String).is_in(list(b.roles)))
    x = frame["action"].cast(pl.Float64).to_numpy()
    return x[np.isfinite(x)]


def equilibrium_distance(records: pl.DataFrame, game: str, config: dict[str, Any]) -> float:
    """Mean distance of the agents' play from the game's equilibrium, on [0, 1].

    Raises:
        ValueError: the game has neither a mixed equilibrium, SPE outcomes nor a benchmark.
    """
    from agora.analysis.equilibria import game_config, game_hooks
    from agora.engine.registry import REGISTRY, make_kernel

    cfg = game_config(game, config)
    kernel_cls = REGISTRY.get(game).kernel_cls
    kernel = make_kernel(game, cfg, 1, np.random.default_rng(0))
    spec = kernel.action_spec(0)
    mixture = getattr(kernel_cls.theory, "equilibrium_mixture", None)
    if callable(mixture) and spec.is_discrete:
        return _mixture_distance(records, spec.choices(), np.asarray(mixture(cfg), float))
    if "spe_deviation" in records.columns:
        return _spe_distance(records)
    b = game_hooks(game).benchmark(game, cfg)
    if b is None:
        raise ValueError(f"game {game!r} provides no equilibrium benchmark")
    low, high = getattr(spec, "low", None), getattr(spec, "high", None)
    if spec.is_discrete:
        grid = spec.choices()
        low, high = float(grid.min()), float(grid.max())
    if low is None or high is None or not high > low:
        raise ValueError(f"{game}: the first mover's actions have no numeric range")
    first_role = kernel.roles[int(kernel.role_index(np.array([0]), np.array([0]))[0])]
    rows = records.filter(pl.col("role").cast(pl.String) == first_role)
    a = rows["action"].cast(pl.Float64).to_numpy()
    a = a[np.isfinite(a)]
    if a.size == 0:
        raise ValueError(f"{game}: no numeric action of the {first_role} in the records")
    eq = np.array(b.equilibria or (b.equilibrium_action,), dtype=np.float64)
    return float((np.abs(a[:, None] - eq).min(axis=1) / (high - low)).mean())


def _mixture_distance(records: pl.DataFrame, choices: np.ndarray, mixture: np.ndarray) -> float:
    """Total variation between the actions' frequencies over ``choices`` and ``mixture``."""
    a = records["action"].cast(pl.Float64).to_numpy()
    a = a[np.isfinite(a)]
    if a.size == 0:
        raise ValueError("no numeric action in the records")
    idx = np.abs(a[:, None] - np.asarray(choices, dtype=np.float64)).argmin(axis=1)
    freq = np.bincount(idx, minlength=len(choices)) / a.size
    return float(0.5 * np.abs(freq - mixture).sum())


def _spe_distance(records: pl.DataFrame) -> float:
    """Half the L1 distance of each finished game's split from the SPE split, averaged."""
    done = records.filter(pl.col("agreed").is_not_null() & pl.col("agreed").is_not_nan())
    if done.height == 0:
        raise ValueError("no finished game in the records")
    deal = done["agreed"].to_numpy() > 0
    dev = np.abs(done["spe_deviation"].cast(pl.Float64).fill_null(np.nan).to_numpy())
    return round(float(np.where(deal, dev, 0.5).mean()), 12)  # no 4e-17 for an exact split


def parse_counts(records: pl.DataFrame) -> dict[str, int]:
    """Decisions by parse status (every kind present, zeros included)."""
    if "parse_status" not in records.columns:
        return dict.fromkeys(PARSE_KINDS, 0)
    counts = dict(records["parse_status"].drop_nulls().value_counts().iter_rows())
    return {k: int(counts.get(k, 0)) for k in PARSE_KINDS}


def tokens(records: pl.DataFrame) -> tuple[int, int]:
    """Prompt and generated tokens over the decisions (0 where not recorded)."""
    def total(col: str) -> int:
        return int(records[col].fill_null(0).sum()) if col in records.columns else 0

    return total("tokens_in"), total("tokens_out")


def mean_or_nan(values: list[float]) -> float:
    """Mean of the finite values (NaN when there is none)."""
    x = np.array([v for v in values if math.isfinite(v)], dtype=np.float64)
    return float(x.mean()) if x.size else math.nan


# --------------------------------------------------------------------- the leaderboard
RUN_COLUMNS = ("family", "contestant", "model", "decisions", "baseline", "human_metric",
               "human_distance", "turing", "equilibrium_distance", *PARSE_KINDS, "tokens_in",
               "tokens_out", "seconds")
"""Columns of one scored run (:func:`score_run`), the rows :func:`leaderboard` aggregates."""


def score_run(records: pl.DataFrame, *, family: str, contestant: str, game: str,
              config: dict[str, Any], baseline: str | None, seconds: float) -> dict[str, Any]:
    """One row of :data:`RUN_COLUMNS`: a contestant's decisions in one family, scored.

    A distance the records do not allow is NaN (e.g. no finished game) rather than an error.
    """
    human: HumanDistance | None = None
    if baseline is not None:
        try:
            human = human_distance(records, baseline, config)
        except ValueError:
            human = None
    try:
        eq = equilibrium_distance(records, game, config)
    except ValueError:
        eq = math.nan
    models = (sorted(str(m) for m in records["model"].drop_nulls().unique())
              if "model" in records.columns else [])
    t_in, t_out = tokens(records)
    return {"family": family, "contestant": contestant,
            "model": ", ".join(models) or "(scripted)", "decisions": records.height,
            "baseline": baseline or "", "human_metric": human.metric if human else "",
            "human_distance": human.value if human else math.nan,
            "turing": human.turing if human else math.nan, "equilibrium_distance": eq,
            **parse_counts(records), "tokens_in": t_in, "tokens_out": t_out,
            "seconds": float(seconds)}


def leaderboard(runs: pl.DataFrame) -> pl.DataFrame:
    """One row per contestant over its scored runs (:func:`score_run` rows), best first.

    ``human_distance`` and ``equilibrium_distance`` are the means over the families that have
    one (each family weighs the same); counts, tokens and seconds are sums; ``decisions_per_s``
    is decisions over seconds. Ranked by the distance to humans (ties and NaN last, then by
    the distance to equilibrium).
    """
    rows = []
    for (name,), part in runs.group_by(["contestant"], maintain_order=True):
        seconds = float(part["seconds"].sum())
        decisions = int(part["decisions"].sum())
        rows.append({
            "contestant": name, "model": ", ".join(dict.fromkeys(part["model"].to_list())),
            "families": part.height, "decisions": decisions,
            "human_distance": mean_or_nan(part["human_distance"].to_list()),
            "equilibrium_distance": mean_or_nan(part["equilibrium_distance"].to_list()),
            **{k: int(part[k].sum()) for k in PARSE_KINDS},
            "tokens_in": int(part["tokens_in"].sum()),
            "tokens_out": int(part["tokens_out"].sum()), "seconds": seconds,
            "decisions_per_s": decisions / seconds if seconds > 0 else math.nan})
    board = pl.DataFrame(rows)
    key = [pl.col(c).fill_nan(None) for c in ("human_distance", "equilibrium_distance")]
    return (board.sort(key, nulls_last=True, maintain_order=True)
            .with_row_index("rank", offset=1))
