"""Does a planner beat Saez? Stackelberg vs Saez vs U.S. vs an LLM planner on census workers.

Census workers (``populations.synthesize``: wages of 18-64-year-old recent workers) play the
``tax_planner`` game for several tax years under four planners: the numerical Stackelberg
optimum, Saez rates recomputed each year from observed incomes, the 2025 U.S. schedule and an
in-context LLM planner (embedded llama.cpp model by default). Workers best respond (or, with
``--llm-workers``, are LLM personas in the LLM planner's run). Prints the welfare table with each
planner's theory benchmark (the static best-response welfare of its target schedule; for the LLM
planner the Stackelberg optimum, the most any planner can reach), writes the records and the
per-year table as Parquet, and plots the final schedules and welfare over tax years as PNG.

    python experiments/tax_planner_saez.py --smoke
    python experiments/tax_planner_saez.py --n 200 --out runs/tax_saez
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from agora.engine.by_role import ByRolePolicy
from agora.engine.runner import Personas, Runner
from agora.policies import make_policy
from agora.policies.base import Policy
from games.tax_planner import TaxConfig, theory
from games.tax_planner.metrics import rate_columns, year_table
from games.tax_planner.players import (
    BestResponseWorker,
    SaezPlanner,
    StackelbergPlanner,
    USPlanner,
)
from games.tax_planner.population import census_workers


@dataclass(frozen=True, kw_only=True)
class ExperimentConfig:
    """Everything the experiment depends on."""

    n: int = 100
    """Census workers in the economy."""
    tax_years: int = 6
    steps_per_year: int = 2
    seed: int = 0
    objective: str = "inverse_income"
    max_rate_change: float = 0.2
    backend: str | None = None
    """LLM backend kind (``llamacpp``, ``openai``, ``vllm``); ``None``: the default one."""
    model: str | None = None
    """Model path (llamacpp) or name (openai, vllm)."""
    llm_workers: bool = False
    """LLM persona workers (instead of best responses) in the LLM planner's run."""
    llm: bool = True
    """Include the LLM planner (``--no-llm`` leaves it out, e.g. for a quick theory check)."""
    max_evaluations: int = 3000
    out: Path = Path("runs/tax_planner_saez")

    def __post_init__(self) -> None:
        if self.n < 2 or self.tax_years < 1 or self.steps_per_year < 1:
            raise ValueError("need n >= 2, tax_years >= 1 and steps_per_year >= 1")
        if self.max_evaluations < 1:
            raise ValueError("max_evaluations must be >= 1")


SMOKE = ExperimentConfig(n=20, tax_years=3, steps_per_year=1, max_evaluations=400,
                         out=Path("runs/tax_planner_saez_smoke"))


def game_config(cfg: ExperimentConfig, skills: np.ndarray) -> TaxConfig:
    """The game every planner plays."""
    return TaxConfig(n_workers=cfg.n, tax_years=cfg.tax_years,
                     steps_per_year=cfg.steps_per_year, skills=tuple(float(s) for s in skills),
                     objective=cfg.objective, max_rate_change=cfg.max_rate_change)


def make_llm_backend(cfg: ExperimentConfig) -> Any:
    """The backend named by ``--backend`` / ``--model`` (the embedded model by default)."""
    from agora.llm.registry import BACKENDS, DEFAULT_BACKEND

    spec = BACKENDS.get(cfg.backend or DEFAULT_BACKEND)
    options: dict[str, Any] = {}
    if cfg.model is not None:
        if spec.model_option is None:
            raise ValueError(f"--model does not apply to the {spec.name} backend")
        options[spec.model_option] = cfg.model
    return spec.create(**options)


def benchmarks(skills: np.ndarray, game: TaxConfig,
               cfg: ExperimentConfig) -> dict[str, tuple[np.ndarray, float]]:
    """Theory schedule and its static best-response welfare per planner."""
    opt = theory.stackelberg_optimum(skills, game, max_evaluations=cfg.max_evaluations)
    saez = theory.saez_schedule(skills, game)
    us = np.asarray(theory.us_brackets(game.bracket_year)[1])
    return {"stackelberg": (opt.rates, opt.welfare),
            "saez": (saez, theory.social_welfare(skills, saez, game)),
            "us": (us, theory.social_welfare(skills, us, game)),
            "llm": (opt.rates, opt.welfare)}


def run_planner(label: str, planner: Policy, workers: Policy, game: TaxConfig,
                personas: Personas | None, seed: int) -> tuple[pl.DataFrame, dict[str, Any]]:
    """One economy for ``game.tax_years`` tax years; records tagged with the planner."""
    runner = Runner("tax_planner", game, policy=ByRolePolicy(worker=workers, planner=planner),
                    seed=seed, progress=False, personas=personas)
    result = runner.run()
    rec = result.records.with_columns(
        pl.lit(label).alias("planner"),
        *(pl.col(c).cast(pl.String) for c, t in result.records.schema.items()
          if isinstance(t, pl.Enum)))  # runs have different policy names: plain strings
    return rec, result.telemetry


def welfare_table(years: pl.DataFrame, bench: dict[str, tuple[np.ndarray, float]],
                  objective: str) -> pl.DataFrame:
    """Final-year outcomes per planner next to the theory benchmark (``gap`` = welfare − theory;
    ``mean_years`` averages the welfare over tax years; money columns are annual dollars)."""
    col = f"welfare_{objective}"
    last = years.filter(pl.col("tax_year") == pl.col("tax_year").max().over("planner"))
    rows = []
    for planner, (_, bench_w) in bench.items():
        sel = last.filter(pl.col("planner") == planner)
        if sel.height == 0:
            continue
        r = sel.row(0, named=True)
        rows.append({"planner": planner, "welfare": r[col], "theory": bench_w,
                     "gap": r[col] - bench_w,
                     "mean_years": years.filter(pl.col("planner") == planner)[col].mean(),
                     "utilitarian": r["welfare_utilitarian"], "gini": r["gini_post"],
                     "eq_x_prod": r["eq_x_prod"], "rebate": r["rebate"], "dwl": r["dwl"],
                     "rate_1": r[rate_columns(years)[0]],
                     "top_rate": r[rate_columns(years)[-1]]})
    return pl.DataFrame(rows)


def plot_schedules(years: pl.DataFrame, bench: dict[str, tuple[np.ndarray, float]],
                   game: TaxConfig) -> Figure:
    """Final-year schedule of every planner (solid) and theory schedules (dashed)."""
    fig = Figure(figsize=(7.0, 4.2), layout="constrained")
    ax = fig.add_subplot()
    x = np.arange(game.n_brackets)
    last = years.filter(pl.col("tax_year") == pl.col("tax_year").max())
    for i, planner in enumerate(bench):
        sel = last.filter(pl.col("planner") == planner)
        if sel.height:
            ax.plot(x, 100 * np.asarray(sel.select(rate_columns(years)).row(0)), marker="o",
                    color=f"C{i}", label=f"{planner} (final year)")
    for i, name in enumerate(("stackelberg", "saez")):
        ax.plot(x, 100 * bench[name][0], ls="--", color=f"C{i}", alpha=0.6,
                label=f"{name} theory")
    labels = [f"${t / 1000:,.0f}k" for t in (0.0, *(game.thresholds or ()))]
    ax.set_xticks(x, [f"≥{lab}" for lab in labels], rotation=30)
    ax.set_xlabel("bracket (annual income)")
    ax.set_ylabel("marginal rate (%)")
    ax.set_ylim(-2, 102)
    ax.legend(fontsize=8)
    return fig


def plot_welfare(years: pl.DataFrame, bench: dict[str, tuple[np.ndarray, float]],
                 objective: str) -> Figure:
    """The planner's objective over tax years, with each planner's theory benchmark."""
    fig = Figure(figsize=(7.0, 4.2), layout="constrained")
    ax = fig.add_subplot()
    col = f"welfare_{objective}"
    for i, planner in enumerate(bench):
        sel = years.filter(pl.col("planner") == planner).sort("tax_year")
        if sel.height:
            ax.plot(sel["tax_year"] + 1, sel[col], marker="o", color=f"C{i}", label=planner)
            if planner != "llm":
                ax.axhline(bench[planner][1], color=f"C{i}", ls=":", lw=1)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("tax year")
    ax.set_ylabel(f"social welfare ({objective.replace('_', '-')})")
    ax.legend(fontsize=8)
    return fig


def main(argv: list[str] | None = None) -> int:
    """Run the comparison and write records, tables and figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default=None, help="a registered LLM backend (see "
                        "`agora backends`; default: the embedded llamacpp)")
    parser.add_argument("--model", default=None, help="model path (llamacpp) or name")
    parser.add_argument("--n", type=int, default=None, help="census workers")
    parser.add_argument("--tax-years", type=int, default=None)
    parser.add_argument("--steps-per-year", type=int, default=None)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--llm-workers", action="store_true",
                        help="LLM persona workers in the LLM planner's run")
    parser.add_argument("--no-llm", action="store_true", help="leave out the LLM planner")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--smoke", action="store_true", help="tiny economy, 3 tax years")
    args = parser.parse_args(argv)
    cfg = SMOKE if args.smoke else ExperimentConfig()
    overrides = {k: v for k, v in {"n": args.n, "tax_years": args.tax_years,
                                   "steps_per_year": args.steps_per_year, "seed": args.seed,
                                   "out": args.out, "backend": args.backend,
                                   "model": args.model}.items() if v is not None}
    cfg = replace(cfg, **overrides, llm_workers=args.llm_workers, llm=not args.no_llm)
    start = time.perf_counter()
    workforce = census_workers(cfg.n, seed=cfg.seed)
    game = game_config(cfg, workforce.skills)
    bench = benchmarks(workforce.skills, game, cfg)
    t_theory = time.perf_counter() - start
    backend = make_llm_backend(cfg) if cfg.llm else None
    personas = Personas(
        ids=np.append(np.arange(cfg.n), -1)[None, :], texts=list(workforce.texts),
        table=workforce.personas.select("persona_id", "age", "sex", "education", "wage"))
    planners: dict[str, Policy] = {
        "stackelberg": StackelbergPlanner(max_evaluations=cfg.max_evaluations),
        "saez": SaezPlanner(), "us": USPlanner()}
    if backend is not None:
        planners["llm"] = make_policy("tax_llm_planner", backend=backend)
    frames, llm_telemetry, seconds = [], {}, {}
    for label, planner in planners.items():
        workers: Policy = BestResponseWorker()
        if label == "llm" and cfg.llm_workers:
            workers = make_policy("tax_llm_worker", backend=backend)
        t0 = time.perf_counter()
        rec, telemetry = run_planner(label, planner, workers, game, personas, cfg.seed)
        seconds[label] = time.perf_counter() - t0
        frames.append(rec)
        if label == "llm":
            llm_telemetry = telemetry.get("policies", {})
    records = pl.concat(frames, how="diagonal_relaxed")
    years = year_table(records, by=("planner",))
    table = welfare_table(years, bench, cfg.objective).with_columns(
        pl.col("planner").replace_strict(seconds, default=None).alias("run_s"))
    cfg.out.mkdir(parents=True, exist_ok=True)
    records.write_parquet(cfg.out / "records.parquet")
    years.write_parquet(cfg.out / "years.parquet")
    table.write_parquet(cfg.out / "welfare_table.parquet")
    plot_schedules(years, bench, game).savefig(cfg.out / "schedules.png", dpi=110)
    plot_welfare(years, bench, cfg.objective).savefig(cfg.out / "welfare.png", dpi=110)
    with pl.Config(tbl_rows=20, tbl_cols=20, float_precision=3, tbl_width_chars=170,
                   tbl_hide_column_data_types=True, tbl_hide_dataframe_shape=True):
        print(f"tax_planner: {cfg.n} census workers, {cfg.tax_years} tax years x "
              f"{cfg.steps_per_year} steps, objective {cfg.objective}, "
              f"cap {cfg.max_rate_change:g}, theory {t_theory:.1f} s")
        print(table)
    for name, (rates, w) in bench.items():
        if name != "llm":
            print(f"  {name:12s} theory rates % {np.round(100 * rates, 1).tolist()} "
                  f"welfare {w:.4f}")
    for roles in llm_telemetry.values():
        for role, stats in roles.items():
            if "decisions" in stats:
                print(f"  LLM {role}: {stats['decisions']} decisions, ok {stats['ok']}, "
                      f"repaired {stats['repaired']}, fallback {stats['fallback']}")
    print(f"wrote {cfg.out}/records.parquet, years.parquet, schedules.png, welfare.png "
          f"({time.perf_counter() - start:.1f} s)")
    if backend is not None:
        backend.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
