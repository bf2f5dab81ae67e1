"""What every report step reads: the run, the game's declared contract, the shared generator.

:class:`Context` carries the records and manifest of one run, the game's config object, theory
and analysis hooks (from the registry; defaults for a game not registered here), the human
baseline chosen for it and the one seeded generator every bootstrap draws from. Report steps
run through :meth:`Context.attempt`, which turns only *expected* errors (data that do not allow
an analysis: :data:`EXPECTED`) into an "not available" line; anything else is a bug and
propagates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from agora.analysis import baselines as bl
from agora.analysis.estimate import Estimate
from agora.analysis.report.model import Report
from agora.engine.contract import GameHooks, SimultaneousTheory

EXPECTED: tuple[type[BaseException], ...] = (
    ValueError, ArithmeticError, np.linalg.LinAlgError, pl.exceptions.ColumnNotFoundError,
    pl.exceptions.NoDataError)
"""Errors that mean "the data do not allow this analysis" (too few rounds, no variation, a
column the game does not record, a singular fit); every other error propagates."""

EST_HEADER = ["parameter", "estimate", "95% CI low", "95% CI high", "n", "method"]


def est_row(label: str, e: Estimate) -> list[Any]:
    """A row of an :data:`EST_HEADER` table (an estimate at a bound of its search range says so
    in its method cell: its interval is open on that side)."""
    method = e.method
    if e.at_bound and "BOUND" not in label.upper():
        method = f"{method}; AT ITS BOUND, not an interior estimate (interval one-sided)"
    return [label, e.value, e.ci_low, e.ci_high, e.n, method]


@dataclass(kw_only=True)
class Context:
    """One run being analysed (see the module docstring)."""

    records: pl.DataFrame
    manifest: dict[str, Any]
    game: str
    config: dict[str, Any]
    cfg: Any
    theory: Any
    hooks: GameHooks
    n_boot: int
    rng: np.random.Generator
    report: Report
    baseline_choice: str | None = None
    rows: dict[str, list[list[Any]]] = field(default_factory=dict)
    _baseline: tuple[bl.Baseline | None, str] | None = None

    def attempt(self, section: str, what: str, fn: Callable[[], None]) -> None:
        """Run one step; expected errors become "what: not available (reason)."."""
        try:
            fn()
        except EXPECTED as exc:
            self.report.sections[section].text(f"{what}: not available ({exc}).")

    def keep(self, key: str, e: Estimate) -> Estimate:
        """Record an estimate under ``key`` in the report's estimates; returns it."""
        self.report.estimates[key] = e.as_dict()
        return e

    def mean(self, key: str, values: np.ndarray, name: str | None = None) -> Estimate:
        """Bootstrap mean of ``values``, kept under ``key``."""
        from agora.analysis.estimate import mean_estimate

        return self.keep(key, mean_estimate(values, name=name or key, n_boot=self.n_boot,
                                            rng=self.rng))

    # ---------------------------------------------------------------- views of the records
    def movers(self) -> np.ndarray:
        """Numeric actions of every decision (structured actions without a number dropped)."""
        x = np.asarray(self.records["action"].to_numpy(), dtype=np.float64)
        return x[np.isfinite(x)]

    def first_round(self) -> pl.DataFrame:
        """Decisions of the first round that name a number."""
        r = self.records
        return r.filter((pl.col("round") == r["round"].min()) & pl.col("action").is_not_null()
                        & pl.col("action").is_not_nan())

    def simultaneous(self) -> SimultaneousTheory:
        """The game's theory as a simultaneous-move theory, or a ValueError saying why not."""
        if self.cfg is None or not isinstance(self.theory, SimultaneousTheory):
            raise ValueError(f"game {self.game!r} has no simultaneous-move theory")
        return self.theory

    def equilibrium_action(self) -> float | None:
        """The equilibrium action of a simultaneous-move game, else ``None``."""
        try:
            return float(self.simultaneous().equilibrium_action(self.cfg))
        except ValueError:
            return None

    # ---------------------------------------------------------------- human baseline
    def baseline(self) -> bl.Baseline | None:
        """The chosen human baseline (``None``: none applies); ValueError if it cannot load."""
        if self._baseline is None:
            try:
                self._baseline = (self._resolve(), "")
            except EXPECTED as exc:
                self._baseline = (None, str(exc))
        b, error = self._baseline
        if error:
            raise ValueError(error)
        return b

    def _resolve(self) -> bl.Baseline | None:
        if self.baseline_choice == "none":
            return None
        name = self.baseline_choice
        if name is None and self.cfg is not None:
            name = self.hooks.default_baseline(self.cfg)
        return bl.load_baseline(name) if name else None
