"""Pure welfare and inequality metrics that games compute in their records.

* Utilitarian welfare ``Σ uᵢ``.
* Gini ``G = Σᵢⱼ |xᵢ − xⱼ| / (2N Σ x)``, computed exactly from the sorted sample as
  ``Σᵢ (2i − N − 1) x₍ᵢ₎ / (N Σ x)``; it lies in ``[0, 1 − 1/N]``. The AI Economist (Zheng et
  al. 2022, ``social_metrics.get_gini``) rescales it by ``N / (N − 1)`` for small N so that
  one agent holding everything gives 1 (``small_n_correction=True``); its equality is
  ``1 − G`` and its planner objective equality × productivity is ``(1 − G) · mean(x)``.
* Inverse-income-weighted welfare ``Σ uᵢ / zᵢ`` is the LLM Economist planner objective (Karten
  et al. 2025).

They live in the engine so that games (which import the engine only) and
:mod:`agora.analysis.welfare` (which re-exports them) share one implementation.
"""

from __future__ import annotations

import numpy as np

ArrayLike = np.ndarray | list[float] | tuple[float, ...]


def as_array(x: ArrayLike) -> np.ndarray:
    """``x`` as a float64 array of at least one dimension."""
    a = np.asarray(x, dtype=np.float64)
    if a.ndim == 0:
        a = a[None]
    return a


def scalar(x: np.ndarray) -> np.ndarray | float:
    """A 0-d result as a Python float, anything else unchanged."""
    return float(x) if np.ndim(x) == 0 else x


def utilitarian(u: ArrayLike, axis: int = -1) -> np.ndarray | float:
    """Sum of utilities ``Σ uᵢ``."""
    return scalar(as_array(u).sum(axis=axis))


def gini(x: ArrayLike, *, small_n_correction: bool = False, axis: int = -1) -> np.ndarray | float:
    """Gini coefficient of non-negative values (exact; optional AI Economist N/(N−1) rescaling).

    All-zero samples have Gini 0. Works along ``axis`` of a batch.
    """
    a = np.moveaxis(as_array(x), axis, -1)
    if np.any(a < 0):
        raise ValueError("gini: values must be non-negative")
    n = a.shape[-1]
    if n == 0:
        raise ValueError("gini: empty sample")
    s = np.sort(a, axis=-1)
    weights = 2 * np.arange(1, n + 1) - n - 1
    total = s.sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        g = np.where(total > 0, (s * weights).sum(axis=-1) / (n * np.where(total > 0, total, 1)),
                     0.0)
    if small_n_correction and n > 1:
        g = g * n / (n - 1)
    return scalar(np.clip(g, 0.0, None))


def equality(x: ArrayLike, axis: int = -1) -> np.ndarray | float:
    """AI Economist equality ``1 − Gini`` (with the small-N correction)."""
    return scalar(1 - np.asarray(gini(x, small_n_correction=True, axis=axis)))


def equality_times_productivity(x: ArrayLike, axis: int = -1) -> np.ndarray | float:
    """AI Economist planner objective: equality × mean income."""
    a = as_array(x)
    return scalar(np.asarray(equality(a, axis=axis)) * a.mean(axis=axis))


def inverse_income_weighted_welfare(utility: ArrayLike, income: ArrayLike) -> float:
    """LLM Economist planner objective ``Σ uᵢ / zᵢ`` (incomes must be positive)."""
    u, z = as_array(utility), as_array(income)
    if np.any(z <= 0):
        raise ValueError("inverse_income_weighted_welfare: incomes must be > 0")
    return float(np.sum(u / z))
