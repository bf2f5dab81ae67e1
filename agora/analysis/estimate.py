"""Point estimates with bootstrap confidence intervals.

Every fitted quantity in :mod:`agora.analysis` is an :class:`Estimate`: the point value from the
full sample, a percentile bootstrap interval (Efron & Tibshirani 1993, ch. 13: resample the
``n`` independent units with replacement ``B`` times, refit, take the ``α/2`` and ``1 − α/2``
quantiles of the refits) and the sample size. Resampling draws come from one explicit, seeded
``numpy.random.Generator`` so that reports are reproducible.

An estimate that sits at a bound of the range its optimiser searched is flagged
(``at_bound``), announced with a :class:`BoundWarning`, and its interval is opened on that side
(to the parameter's support, e.g. ``+inf`` for an optimiser's upper limit): the percentile
interval of a bounded fit is not a confidence interval there, and the bound is not an estimate.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

DEFAULT_SEED = 20240917
DEFAULT_BOOT = 200


class BoundWarning(UserWarning):
    """An estimate sits at a bound of its search range (see :attr:`Estimate.at_bound`)."""


@dataclass(frozen=True, kw_only=True)
class Estimate:
    """A fitted parameter with its bootstrap interval.

    Attributes:
        value: Point estimate from the full sample.
        ci_low: Lower end of the percentile bootstrap interval (NaN without a bootstrap).
        ci_high: Upper end of the interval.
        n: Number of independent units the estimate uses (choices, agents or instances).
        name: What is estimated (e.g. ``"tau"``).
        se: Bootstrap standard error (NaN without a bootstrap).
        level: Coverage of the interval.
        n_boot: Bootstrap replicates that converged.
        method: How the point value was obtained.
        extra: Other fitted quantities of the same model (e.g. the noise ``sigma``), point values.
        at_bound: The point value sits at a bound of the range the fit searched: it is not an
            interior estimate, and the interval is open on that side (see the module docstring).
    """

    value: float
    ci_low: float
    ci_high: float
    n: int
    name: str = ""
    se: float = math.nan
    level: float = 0.95
    n_boot: int = 0
    method: str = ""
    extra: Mapping[str, float] = field(default_factory=dict)
    at_bound: bool = False

    def contains(self, x: float) -> bool:
        """Whether ``x`` lies inside the confidence interval."""
        return bool(self.ci_low <= x <= self.ci_high)

    def as_dict(self) -> dict[str, Any]:
        """Flat dictionary (for tables and JSON)."""
        out: dict[str, Any] = {"name": self.name, "value": self.value, "ci_low": self.ci_low,
                               "ci_high": self.ci_high, "se": self.se, "n": self.n,
                               "level": self.level, "n_boot": self.n_boot, "method": self.method,
                               "at_bound": self.at_bound}
        out.update({f"extra.{k}": float(v) for k, v in self.extra.items()})
        return out

    def __str__(self) -> str:
        flag = ", at its bound" if self.at_bound else ""
        return (f"{self.name or 'estimate'} = {self.value:.4g} "
                f"[{self.ci_low:.4g}, {self.ci_high:.4g}] (n = {self.n}{flag})")


def make_rng(seed: int | np.random.Generator | None = None) -> np.random.Generator:
    """The generator of a bootstrap: an existing one, or a fresh one from ``seed``."""
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(DEFAULT_SEED if seed is None else seed)


def bootstrap(fit: Callable[[np.ndarray], float], n: int, *, n_boot: int = DEFAULT_BOOT,
              rng: np.random.Generator | int | None = None) -> np.ndarray:
    """Refit ``fit`` on ``n_boot`` resamples of the unit indices ``0..n-1``.

    ``fit`` receives an index array (with repeats) and returns a number; failed or non-finite
    refits are dropped.
    """
    gen = make_rng(rng)
    out = np.full(n_boot, np.nan)
    for b in range(n_boot):
        idx = gen.integers(0, n, size=n)
        try:
            out[b] = float(fit(idx))
        except (ValueError, FloatingPointError, np.linalg.LinAlgError):
            continue
    return out[np.isfinite(out)]


def estimate_from(value: float, draws: np.ndarray, n: int, *, name: str = "",
                  level: float = 0.95, method: str = "",
                  extra: Mapping[str, float] | None = None,
                  bounds: tuple[float, float] | None = None,
                  support: tuple[float, float] = (-math.inf, math.inf),
                  bound_tol: float | tuple[float, float] = 1e-6,
                  warn: bool = True) -> Estimate:
    """An :class:`Estimate` from a point value and bootstrap refits (percentile interval).

    Args:
        bounds: The range the optimiser searched. A value within ``bound_tol`` (relative to
            the width of that range; a pair: for the lower and the upper end) of an end is
            ``at_bound``: the interval on that side is
            replaced by the end of ``support`` (the values the parameter can take: ``+inf``
            when the bound is only the optimiser's limit), the standard error is NaN and,
            when ``warn``, a :class:`BoundWarning` names the parameter and the bound.
    """
    draws = np.asarray(draws, dtype=np.float64)
    draws = draws[np.isfinite(draws)]
    if draws.size >= 2:
        a = (1 - level) / 2
        lo, hi = np.quantile(draws, [a, 1 - a])
        se = float(np.std(draws, ddof=1))
    else:
        lo = hi = se = math.nan
    side, bound = _bound_side(float(value), bounds, bound_tol)
    if side:
        if side == "lower":
            lo = support[0]
            hi = max(float(hi), float(value)) if draws.size >= 2 else hi
        else:
            hi = support[1]
            lo = min(float(lo), float(value)) if draws.size >= 2 else lo
        se = math.nan
        if warn:
            warnings.warn(f"{name or 'estimate'} = {value:.4g} sits at the {side} bound "
                          f"{bound:.4g} "
                          "of its search range: not an interior estimate, interval one-sided",
                          BoundWarning, stacklevel=3)
    return Estimate(value=float(value), ci_low=float(lo), ci_high=float(hi), n=int(n), name=name,
                    se=se, level=level, n_boot=int(draws.size), method=method,
                    extra=dict(extra or {}), at_bound=bool(side))


def _bound_side(value: float, bounds: tuple[float, float] | None,
                tol: float | tuple[float, float]) -> tuple[str, float]:
    """Which end of ``bounds`` the value sits at (``"lower"``, ``"upper"`` or ``""``) and that
    end."""
    if bounds is None or not math.isfinite(value):
        return "", math.nan
    lo, hi = bounds
    width = hi - lo if math.isfinite(hi - lo) else max(1.0, abs(value))
    tol_lo, tol_hi = tol if isinstance(tol, tuple) else (tol, tol)
    if math.isfinite(lo) and value <= lo + tol_lo * max(width, 1e-12):
        return "lower", lo
    if math.isfinite(hi) and value >= hi - tol_hi * max(width, 1e-12):
        return "upper", hi
    return "", math.nan


def mean_estimate(x: np.ndarray, *, name: str = "mean", n_boot: int = DEFAULT_BOOT,
                  rng: np.random.Generator | int | None = None, level: float = 0.95) -> Estimate:
    """Sample mean with a percentile bootstrap interval."""
    x = np.asarray(x, dtype=np.float64)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return Estimate(value=math.nan, ci_low=math.nan, ci_high=math.nan, n=0, name=name)
    gen = make_rng(rng)
    idx = gen.integers(0, x.size, size=(n_boot, x.size))
    draws = x[idx].mean(axis=1)
    return estimate_from(float(x.mean()), draws, x.size, name=name, level=level,
                         method="sample mean, percentile bootstrap")
