"""``agora show``: a per-round summary of a finished run."""

from __future__ import annotations

from typing import Any

import polars as pl

from agora.engine.records import RunResult
from agora.engine.registry import REGISTRY, make_config


def summary(result: RunResult) -> pl.DataFrame:
    """Per round and role (and population round): decisions, mean/median action, mean payoff.

    The ``equilibrium_action`` column appears where the game's hooks give a benchmark
    (:meth:`GameHooks.benchmark`: one equilibrium action for every decision); turn-based games,
    whose equilibrium move depends on the state, give none and omit it.
    """
    m = result.manifest
    records = result.records
    keys = [k for k in ("population_round", "round", "role") if k in records.columns]
    table = (records.group_by(*keys)
             .agg(pl.len().alias("decisions"),
                  # NaN marks decisions without a number (accept / reject): left out, so a
                  # role that never names one shows null rather than NaN
                  pl.col("action").fill_nan(None).mean().alias("mean_action"),
                  pl.col("action").fill_nan(None).median().alias("median_action"),
                  pl.col("reward").mean().alias("mean_payoff"))
             .sort(*keys))
    hooks = REGISTRY.get(m["game"]).kernel_cls.hooks
    bench = hooks.benchmark(m["game"], make_config(m["game"], **m["config"]))
    if bench is not None:
        table = table.with_columns(pl.lit(bench.equilibrium_action).alias("equilibrium_action"))
    return table


def agent_totals(result: RunResult) -> str | None:
    """One line of mean total payoff per agent by role, where the game's
    :meth:`~agora.engine.contract.GameHooks.agent_payoffs` hook pays players at other players'
    steps (the table's ``mean_payoff`` is the mover's own step reward); ``None`` otherwise."""
    records = result.records
    pay = REGISTRY.get(result.manifest["game"]).kernel_cls.hooks.agent_payoffs(records)
    if pay is None or "role" not in records.columns:
        return None
    roles = (records.select("instance", pl.col("agent").cast(pl.String),
                            pl.col("role").cast(pl.String))
             .unique(subset=["instance", "agent"], keep="first"))
    means = (pay.with_columns(pl.col("agent").cast(pl.String))
             .join(roles, on=["instance", "agent"]).group_by("role")
             .agg(pl.col("payoff").mean()).sort("role"))
    cells = ", ".join(f"{r} {v:.3f}" for r, v in means.iter_rows())
    return (f"mean total payoff per agent (the game's agent_payoffs: step rewards leave out "
            f"payments made at others' steps): {cells}")


def telemetry_lines(telemetry: dict[str, Any]) -> list[str]:
    """Human-readable run and LLM telemetry (backend share of wall time, tokens, latency)."""
    wall = telemetry.get("wall_s") or 0.0
    lines = [f"decisions {telemetry.get('decisions')}  wall {wall:.2f}s  "
             f"({telemetry.get('decisions_per_s') or 0:,.1f} decisions/s)"]
    for name, t in telemetry.get("policies", {}).items():
        if "requests" not in t:
            continue
        busy = t.get("backend_busy_s", 0.0)
        lines.append(
            f"{name}: {t['requests']} requests, tokens in/out {t['tokens_in']}/{t['tokens_out']},"
            f" {t['tokens_out_per_s']:.1f} tok/s, {t['requests_per_s']:.1f} req/s, latency p50/p95"
            f" {t['latency_p50_s']:.2f}/{t['latency_p95_s']:.2f}s; parse ok {t['ok']}, repaired "
            f"{t['repaired']}, fallback {t['fallback']} (invalid rate {t['invalid_rate']:.1%});"
            f" backend {busy / wall if wall else 0:.1%} of wall (the rest: model loading, "
            f"other policies, the game and agora)")
    return lines


def render(result: RunResult) -> str:
    """Header lines plus the summary table as text."""
    m = result.manifest
    size = (f"instances {m['n_instances']}" if "n_instances" in m else
            f"personas {m.get('n_personas')}  population rounds {m.get('population_rounds')}")
    head = [f"run {m.get('run_id', '-')}  game {m['game']}  {size}  seed {m.get('seed')}"]
    if m.get("policies"):  # a population run's manifest has no policy table
        head.append("policies: " + ", ".join(f"{p['name']} ({p['share']:.0%})"
                                             for p in m["policies"]))
    head += telemetry_lines(m.get("telemetry", {}))
    with pl.Config(tbl_rows=60, tbl_cols=12, tbl_hide_dataframe_shape=True,
                   float_precision=3):
        table = str(summary(result))
    totals = agent_totals(result)
    return "\n".join([*head, table, *([totals] if totals else [])])
