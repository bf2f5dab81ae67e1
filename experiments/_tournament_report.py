"""The census tournament's summary: benchmark and dynamics tables and the ``index.html`` page.

Split from :mod:`experiments.census_tournament`, which plays the games and calls these.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from experiments._common import Agents, Summary, Table, column_estimate, fmt, fmt_est

if TYPE_CHECKING:
    from experiments.census_tournament import TournamentConfig


def _first_last(view: pl.DataFrame, expr: pl.Expr, rng: np.random.Generator, n_boot: int,
                rows: pl.Expr | None = None) -> tuple[str, str]:
    frame = view if rows is None else view.filter(rows)
    if frame.height == 0:
        return "n/a", "n/a"
    lo, hi = frame["population_round"].min(), frame["population_round"].max()
    out = []
    for r in (lo, hi):
        x = frame.filter(pl.col("population_round") == r).select(expr).to_series()
        out.append(fmt_est(column_estimate(x, "x", n_boot=n_boot, rng=rng)))
    return out[0], out[1]


def benchmark_table(summary: Summary, results: dict[str, tuple[pl.DataFrame, dict[str, Any]]],
                cfg: TournamentConfig, agents: Agents) -> None:
    from agora.analysis import baselines as bl
    from agora.analysis.rationality import fit_cognitive_hierarchy

    rng = np.random.default_rng(0)
    t = summary.table(f"Population figures against benchmarks ({agents.label()})",
                      ["game", "measure", "first round [95% CI]", "last round [95% CI]",
                       "benchmark", "benchmark source"])
    nb = cfg.n_boot
    if "p_beauty" in results:
        v, _ = results["p_beauty"]
        b = bl.load_baseline(bl.default_baseline("p_beauty", {"p": cfg.p}) or "")
        first, last = _first_last(v, pl.col("action"), rng, nb)
        t.add("p-beauty", f"mean guess (p = {cfg.p:.3g})", first, last, b.mean,
              f"humans, {b.description}")
        from agora.analysis.rationality import ch_tau_for_mean

        g0 = v.filter(pl.col("population_round") == 0)["action"].to_numpy().astype(float)
        try:
            tau = fmt_est(fit_cognitive_hierarchy(g0, p=cfg.p, n_boot=nb, rng=rng))
        except ValueError as exc:
            tau = f"n/a ({exc})"
        t.add("p-beauty", "CH τ (first round)", tau, "", ch_tau_for_mean(b.mean, p=cfg.p),
              "τ whose Poisson-CH mean equals the human mean")
        t.add("p-beauty", "mean guess", "", "", 0.0, "theory: Nash equilibrium")
    if "dictator" in results:
        v, _ = results["dictator"]
        b = bl.load_baseline("engel2011_dictator")
        share = pl.col("action") / cfg.endowment
        first, last = _first_last(v, share, rng, nb)
        t.add("dictator", "mean share given", first, last, b.mean, f"humans, {b.description}")
        first, last = _first_last(v, (pl.col("action") == 0).cast(pl.Float64), rng, nb)
        t.add("dictator", "share giving nothing", first, last, b.point_masses.get(0.0),
              f"humans, {b.description}")
        t.add("dictator", "mean share given", "", "", 0.0, "theory: selfish benchmark")
    if "ultimatum" in results:
        v, _ = results["ultimatum"]
        b = bl.load_baseline("oosterbeek2004_ultimatum")
        first, last = _first_last(v, pl.col("offer") / cfg.pie, rng, nb,
                                  rows=pl.col("role") == "proposer")
        t.add("ultimatum", "mean offer share", first, last, b.mean, f"humans, {b.description}")
        first, last = _first_last(v, 1.0 - pl.col("agreed"), rng, nb,
                                  rows=pl.col("agreed").is_not_null())
        t.add("ultimatum", "rejection rate", first, last, b.extra.get("rejection_rate"),
              f"humans, {b.description}")
        t.add("ultimatum", "offer share / rejection rate", "", "", "0 / 0",
              "theory: subgame perfection")
    if "bargaining" in results:
        from games.bargaining import theory
        from games.bargaining.config import BargainingConfig

        v, _ = results["bargaining"]
        bc = BargainingConfig(**cfg.game("bargaining"))
        spe = theory.spe_share_a(bc, True)
        done = pl.col("agreed").is_not_null()
        first, last = _first_last(v, pl.col("agreed"), rng, nb, rows=done)
        t.add("bargaining", "agreement rate", first, last, 1.0, "theory: SPE (agreement at once)")
        first, last = _first_last(v, pl.col("share_a"), rng, nb, rows=pl.col("agreed") == 1.0)
        t.add("bargaining", "first proposer's share", first, last, spe,
              f"theory: SPE with δ = {cfg.delta:g}, {cfg.bargaining_horizon} rounds")
        first, last = _first_last(v, pl.col("efficiency"), rng, nb, rows=done)
        t.add("bargaining", "GLEE efficiency", first, last, 1.0, "theory: SPE")
    if "negotiation" in results:
        from games.negotiation import theory as nt
        from games.negotiation.config import NegotiationConfig

        v, _ = results["negotiation"]
        nc = NegotiationConfig(**cfg.game("negotiation"))
        done = pl.col("agreed").is_not_null()
        first, last = _first_last(v, pl.col("agreed"), rng, nb, rows=done)
        t.add("negotiation", "trade rate", first, last, float(nt.efficient_trade(nc)),
              "theory: trade is efficient (F_b > F_a)")
        first, last = _first_last(v, pl.col("price"), rng, nb, rows=pl.col("agreed") == 1.0)
        t.add("negotiation", "deal price", first, last,
              f"{fmt(nt.spe_price(nc, True))} (SPE) / {fmt(nt.fair_price(nc))} (fair)",
              "theory: SPE, seller opens; GLEE fair price")
        first, last = _first_last(v, pl.col("fairness"), rng, nb, rows=done)
        t.add("negotiation", "GLEE fairness", first, last, 1.0, "GLEE: trade at the fair price")
    t.notes += ["First / last round: population rounds 1 and last; intervals are percentile "
                "bootstraps over decisions (or games).",
                "Human baselines are packaged in agora.analysis.baselines; theory from each "
                "game's theory module."]


def dynamics_table(summary: Summary,
              results: dict[str, tuple[pl.DataFrame, dict[str, Any]]]) -> None:
    t = summary.table("Population rounds: players, mean action and payoff, payoff inequality",
                      ["game", "round", "personas playing", "mean action", "mean payoff",
                       "Gini of cumulative payoff"])
    for family, (_, manifest) in results.items():
        for m in manifest.get("population_metrics", []):
            t.add(family, int(m["round"]), int(m["players"]), m["mean_action"],
                  m["mean_payoff"], m["gini_cumulative_payoff"])
    t.notes.append("From the PopulationModel's data collector (mesa); the mean action mixes "
                   "roles in two-player games.")


# --------------------------------------------------------------------- index page
def _html_table(t: Table) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in t.header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>"
                   for r in t.rows)
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in t.notes)
    return (f"<table><caption>{html.escape(t.title)}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table>" + (f"<ul>{notes}</ul>" if notes else ""))


def write_index(summary: Summary, out: Path) -> Path:
    """``index.html``: every table plus links to the family reports and the validation."""
    links = "".join(
        f'<li><a href="{html.escape(_relative(Path(p), out))}">{html.escape(k)}</a></li>'
        for k, p in summary.reports.items())
    tables = list(summary.tables)
    pt = summary.parse_table()
    if pt is not None:
        tables.append(pt)
    notes = "".join(f"<p>{html.escape(n)}</p>" for n in summary.notes)
    page = (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>agora "
            f"census tournament</title><style>{_CSS}</style></head><body><h1>agora census "
            f"tournament</h1><p><code>{html.escape(summary.command())}</code></p>{notes}"
            f"<h2>Reports</h2><ul>{links}</ul><h2>Tables</h2>"
            + "".join(_html_table(t) for t in tables) + "</body></html>\n")
    path = out / "index.html"
    path.write_text(page)
    return path


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


_CSS = ("body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}"
        "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.25em "
        ".6em;font-size:.9em;text-align:left}caption{font-weight:600;text-align:left}")
