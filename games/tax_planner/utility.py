"""Worker utility and exact best responses to a piecewise-linear tax schedule.

A worker with hourly wage ``s`` working ``l`` hours a week earns ``Z = W·s·l`` a year (``W``
weeks). With bracket lower bounds ``L_k``, rates ``τ_k`` and an annual lump-sum rebate ``R``,
weekly consumption on bracket ``k`` is linear in hours: ``x = a_k·l + b_k`` with
``a_k = (1 − τ_k)·s`` and ``b_k = (τ_k·L_k − T(L_k) + R)/W``. Both utilities
(quasilinear ``x − c·l^δ``, LLM Economist; isoelastic ``(x^(1−η) − 1)/(1 − η) − c·l^δ``,
AI Economist) are concave in ``l`` on each bracket, so the best response on bracket ``k`` is its
first-order condition clipped to the bracket's hours: ``l = (a_k/(cδ))^(1/(δ−1))`` in closed form
for the quasilinear utility, the root of ``a_k·(a_k·l + b_k)^(−η) = cδ·l^(δ−1)`` (bisection)
for the isoelastic one. The global best response is the best of these B candidates, which is
exact even for non-convex budgets (falling marginal rates). :func:`best_response_numeric` finds
the same point by a dense grid and golden-section refinement, as an independent check.
"""

from __future__ import annotations

import numpy as np

from games.tax_planner.config import TaxConfig, Utility

_BISECT = 80
_GOLDEN = 60


def bracket_bounds(thresholds: np.ndarray | tuple[float, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper income bounds of every bracket (the last upper bound is ∞)."""
    t = np.asarray(thresholds, dtype=np.float64)
    return np.concatenate([[0.0], t]), np.concatenate([t, [np.inf]])


def tax_due(income: np.ndarray, rates: np.ndarray, thresholds: tuple[float, ...]) -> np.ndarray:
    """Annual tax ``T(Z)`` of incomes ``(..., N)`` under rates ``(..., B)``."""
    lows, highs = bracket_bounds(thresholds)
    z = np.asarray(income, dtype=np.float64)[..., None]
    taxed = np.clip(z - lows, 0.0, highs - lows)
    return (taxed * np.asarray(rates, dtype=np.float64)[..., None, :]).sum(axis=-1)


def marginal_rate(income: np.ndarray, rates: np.ndarray,
                  thresholds: tuple[float, ...]) -> np.ndarray:
    """Marginal rate at each income ``(..., N)`` (the rate of the bracket the income ends in)."""
    k = np.searchsorted(np.asarray(thresholds), np.asarray(income), side="right")
    return np.take_along_axis(np.asarray(rates, dtype=np.float64), k, axis=-1)


def utility(consumption: np.ndarray, hours: np.ndarray, config: TaxConfig) -> np.ndarray:
    """Weekly utility of weekly consumption ``x >= 0`` and weekly hours ``l``."""
    x = np.maximum(np.asarray(consumption, dtype=np.float64), 0.0)
    effort = config.c * np.asarray(hours, dtype=np.float64) ** config.delta
    if config.utility is Utility.QUASILINEAR:
        return x - effort
    eta = config.eta
    return (x ** (1 - eta) - 1) / (1 - eta) - effort


def marginal_utility(consumption: np.ndarray, config: TaxConfig) -> np.ndarray:
    """``∂u/∂x`` (1 for the quasilinear utility, ``x^(−η)`` for the isoelastic one)."""
    x = np.asarray(consumption, dtype=np.float64)
    if config.utility is Utility.QUASILINEAR:
        return np.ones_like(x)
    with np.errstate(divide="ignore"):
        return np.where(x > 0, np.maximum(x, 1e-300) ** (-config.eta), np.inf)


def consumption(skills: np.ndarray, hours: np.ndarray, rates: np.ndarray, rebate: np.ndarray,
                config: TaxConfig) -> np.ndarray:
    """Weekly consumption ``(Z − T(Z) + R)/W`` of hours ``(..., N)``; ``rebate`` is ``(...,)``."""
    assert config.thresholds is not None
    z = config.weeks * np.asarray(skills) * np.asarray(hours)
    post = z - tax_due(z, rates, config.thresholds) + np.asarray(rebate)[..., None]
    return post / config.weeks


def _segments(skills: np.ndarray, rates: np.ndarray, rebate: np.ndarray,
              config: TaxConfig) -> tuple[np.ndarray, ...]:
    """Per worker and bracket: slope ``a``, intercept ``b`` and the feasible hours [lo, hi]."""
    assert config.thresholds is not None
    lows, highs = bracket_bounds(config.thresholds)
    r = np.asarray(rates, dtype=np.float64)[..., None, :]                  # (..., 1, B)
    s = np.asarray(skills, dtype=np.float64)[..., None]                    # (..., N, 1)
    # tax due at each bracket's lower bound: the full lower brackets at their rates
    tax_at_low = np.concatenate([np.zeros((*r.shape[:-1], 1)),
                                 np.cumsum(r[..., :-1] * np.diff(lows), axis=-1)], axis=-1)
    a = (1.0 - r) * s
    b = (r * lows - tax_at_low + np.asarray(rebate, dtype=np.float64)[..., None, None]) \
        / config.weeks
    per_hour = config.weeks * s
    lo = np.minimum(lows / per_hour, config.max_hours)
    hi = np.minimum(highs / per_hour, config.max_hours)
    feasible = lows / per_hour <= config.max_hours
    return a, b, lo, hi, feasible


def _foc_hours(a: np.ndarray, b: np.ndarray, lo: np.ndarray, hi: np.ndarray,
               config: TaxConfig) -> np.ndarray:
    """Utility-maximising hours on each linear segment (the clipped first-order condition)."""
    c, d = config.c, config.delta
    if config.utility is Utility.QUASILINEAR:
        if d == 1:
            return np.where(a > c, hi, lo)
        root = (np.maximum(a, 0.0) / (c * d)) ** (1.0 / (d - 1.0))
        return np.clip(root, lo, hi)
    eta = config.eta

    def slope(h: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            x = a * h + b
            mu = np.where(x > 0, np.maximum(x, 1e-300) ** (-eta), np.inf)
            return np.where(a > 0, a * mu, 0.0) - c * d * h ** (d - 1.0)

    left, right = lo.copy(), hi.copy()
    for _ in range(_BISECT):
        mid = 0.5 * (left + right)
        up = slope(mid) > 0
        left = np.where(up, mid, left)
        right = np.where(up, right, mid)
    root = 0.5 * (left + right)
    root = np.where(slope(lo) <= 0, lo, root)
    return np.where(slope(hi) >= 0, hi, root)


def best_response(skills: np.ndarray, rates: np.ndarray, rebate: np.ndarray | float,
                  config: TaxConfig) -> np.ndarray:
    """Exact utility-maximising weekly hours of workers ``(..., N)`` taking ``R`` as given.

    ``rates`` is ``(..., B)`` and ``rebate`` (annual, per worker) ``(...,)``, broadcast over the
    leading axes of ``skills``.
    """
    s = np.asarray(skills, dtype=np.float64)
    lead = s.shape[:-1]
    rates = np.broadcast_to(np.asarray(rates, dtype=np.float64), (*lead, config.n_brackets))
    rebate = np.broadcast_to(np.asarray(rebate, dtype=np.float64), lead)
    a, b, lo, hi, feasible = _segments(s, rates, rebate, config)
    hours = _foc_hours(a, b, lo, hi, config)
    x = a * hours + b
    u = np.where(feasible, utility(x, hours, config), -np.inf)
    best = np.argmax(u, axis=-1)[..., None]
    return np.take_along_axis(hours, best, axis=-1)[..., 0]


def best_response_numeric(skills: np.ndarray, rates: np.ndarray, rebate: np.ndarray | float,
                          config: TaxConfig, grid: int = 4001) -> np.ndarray:
    """Best response by brute force: a dense hours grid, then golden-section refinement."""
    s = np.asarray(skills, dtype=np.float64)
    lead = s.shape[:-1]
    rates = np.broadcast_to(np.asarray(rates, dtype=np.float64), (*lead, config.n_brackets))
    rebate = np.broadcast_to(np.asarray(rebate, dtype=np.float64), lead)
    h = np.linspace(0.0, config.max_hours, grid)
    r = rates[..., None, :]
    w = config.weeks

    def value(hours: np.ndarray) -> np.ndarray:
        """Utility of hours ``(..., N, G)`` through the tax function itself."""
        z = w * s[..., None] * hours
        x = (z - tax_due(z, r, config.thresholds or ()) + rebate[..., None, None]) / w
        return utility(x, hours, config)

    grid_h = np.broadcast_to(h, (*s.shape, grid))
    start = h[np.argmax(value(grid_h), axis=-1)]
    step = h[1] - h[0]
    left = np.clip(start - step, 0.0, config.max_hours)
    right = np.clip(start + step, 0.0, config.max_hours)
    ratio = (np.sqrt(5.0) - 1) / 2
    for _ in range(_GOLDEN):
        p = right - ratio * (right - left)
        q = left + ratio * (right - left)
        v = value(np.stack([p, q], axis=-1))
        keep_left = v[..., 0] >= v[..., 1]
        right = np.where(keep_left, q, right)
        left = np.where(keep_left, left, p)
    return 0.5 * (left + right)


def no_tax_hours(skills: np.ndarray, config: TaxConfig) -> np.ndarray:
    """Laissez-faire labour supply (no tax, no rebate); closed form for the quasilinear case.

    Quasilinear: ``l = (s/(cδ))^(1/(δ−1))``; isoelastic: ``l = (s^(1−η)/(cδ))^(1/(δ−1+η))``;
    both capped at ``max_hours``.
    """
    s = np.asarray(skills, dtype=np.float64)
    c, d = config.c, config.delta
    if config.utility is Utility.QUASILINEAR:
        if d == 1:
            return np.where(s > c, config.max_hours, 0.0)
        return np.minimum((s / (c * d)) ** (1 / (d - 1)), config.max_hours)
    eta = config.eta
    return np.minimum((s ** (1 - eta) / (c * d)) ** (1 / (d - 1 + eta)), config.max_hours)


def flat_tax_hours(skills: np.ndarray, rate: float, config: TaxConfig) -> np.ndarray:
    """Closed-form best response to a flat rate ``τ`` without rebate: the no-tax supply at the
    net wage ``(1 − τ)·s``."""
    return no_tax_hours((1.0 - rate) * np.asarray(skills, dtype=np.float64), config)


def surplus(skills: np.ndarray, hours: np.ndarray, config: TaxConfig) -> np.ndarray:
    """Weekly production surplus ``s·l − c·l^δ`` (income net of effort, before tax)."""
    h = np.asarray(hours, dtype=np.float64)
    return np.asarray(skills) * h - config.c * h ** config.delta


def efficient_hours(skills: np.ndarray, config: TaxConfig) -> np.ndarray:
    """Hours maximising the production surplus ``s·l − c·l^δ`` (the deadweight-loss reference)."""
    s = np.asarray(skills, dtype=np.float64)
    c, d = config.c, config.delta
    if d == 1:
        return np.where(s > c, config.max_hours, 0.0)
    return np.minimum((s / (c * d)) ** (1 / (d - 1)), config.max_hours)
