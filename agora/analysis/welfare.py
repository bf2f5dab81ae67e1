"""Welfare, inequality, efficiency and fairness.

* Utilitarian welfare ``Σ uᵢ``; Nash welfare ``Σ log uᵢ``; Rawlsian welfare ``min uᵢ``.
* Gini ``G = Σᵢⱼ |xᵢ − xⱼ| / (2N Σ x)``, computed exactly from the sorted sample as
  ``Σᵢ (2i − N − 1) x₍ᵢ₎ / (N Σ x)``; it lies in ``[0, 1 − 1/N]``. The AI Economist (Zheng et
  al. 2022, ``social_metrics.get_gini``) rescales it by ``N / (N − 1)`` for small N so that
  one agent holding everything gives 1 (``small_n_correction=True``); its equality is
  ``1 − G`` and its planner objective equality × productivity is ``(1 − G) · mean(x)``.
* Atkinson (1970): ``A_ε = 1 − [mean(y^(1−ε))]^(1/(1−ε)) / mean(y)``; ``ε = 1`` gives
  ``1 − geometric mean / mean``; ``ε = 0`` gives 0 and ``ε → ∞`` gives ``1 − min / mean``.
* Inverse-income-weighted welfare ``Σ uᵢ / zᵢ`` is the LLM Economist planner objective (Karten
  et al. 2025).
* Game families: GLEE (Shapira et al. 2024) bargaining efficiency ``p·δ_A^(t−1) +
  (1−p)·δ_B^(t−1)`` and fairness ``1 − 4(p − 1/2)²``; negotiation fairness ``1 − 4(p − p_f)²``
  with ``p_f = (F_A + F_B)/2`` (prices in units of M), efficiency 1 iff trade happens exactly when
  ``F_B > F_A``; dictator efficiency (payoffs over endowments) and fairness ``1 − 4(s − 1/2)²``
  with ``s`` the dictator's share of the total.
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl

from agora.analysis.estimate import DEFAULT_BOOT, Estimate, estimate_from, make_rng
from agora.engine.welfare_metrics import (  # re-exported: games compute them in records
    equality,  # noqa: F401
    equality_times_productivity,
    gini,
    inverse_income_weighted_welfare,  # noqa: F401
    utilitarian,
)

ArrayLike = np.ndarray | list[float] | tuple[float, ...]


def _arr(x: ArrayLike) -> np.ndarray:
    a = np.asarray(x, dtype=np.float64)
    if a.ndim == 0:
        a = a[None]
    return a


def nash_welfare(u: ArrayLike, axis: int = -1) -> np.ndarray | float:
    """Nash (log) welfare ``Σ log uᵢ``; ``-inf`` if any utility is <= 0."""
    a = _arr(u)
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.where(a > 0, np.log(np.where(a > 0, a, 1.0)), -np.inf)
    return _scalar(logs.sum(axis=axis))


def rawlsian(u: ArrayLike, axis: int = -1) -> np.ndarray | float:
    """Rawlsian (max-min) welfare ``min uᵢ``."""
    return _scalar(_arr(u).min(axis=axis))


def atkinson(y: ArrayLike, epsilon: float, axis: int = -1) -> np.ndarray | float:
    """Atkinson inequality index ``A_ε`` (ε >= 0; ``math.inf`` gives ``1 − min/mean``)."""
    if not epsilon >= 0:
        raise ValueError(f"atkinson: epsilon must be >= 0, got {epsilon}")
    a = np.moveaxis(_arr(y), axis, -1)
    if np.any(a < 0):
        raise ValueError("atkinson: values must be non-negative")
    mean = a.mean(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if epsilon == 0:
            ede = mean
        elif math.isinf(epsilon):
            ede = a.min(axis=-1)
        elif epsilon == 1:
            ede = np.where(np.all(a > 0, axis=-1), np.exp(np.log(a).mean(axis=-1)), 0.0)
        elif epsilon > 1:
            ede = np.where(np.all(a > 0, axis=-1),
                           np.mean(a ** (1 - epsilon), axis=-1) ** (1 / (1 - epsilon)), 0.0)
        else:
            ede = np.mean(a ** (1 - epsilon), axis=-1) ** (1 / (1 - epsilon))
        out = np.where(mean > 0, 1 - ede / np.where(mean > 0, mean, 1.0), 0.0)
    return _scalar(np.clip(out, 0.0, 1.0))


def lorenz_curve(x: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Lorenz curve points ``(population share, income share)`` starting at (0, 0)."""
    s = np.sort(_arr(x))
    if np.any(s < 0):
        raise ValueError("lorenz_curve: values must be non-negative")
    cum = np.concatenate([[0.0], np.cumsum(s)])
    total = cum[-1]
    pop = np.linspace(0, 1, s.size + 1)
    return pop, (cum / total if total > 0 else pop)


# --------------------------------------------------------------------- game families
def bargaining_metrics(share: ArrayLike, rounds: ArrayLike, *, delta_a: float = 0.95,
                       delta_b: float = 0.95) -> dict[str, np.ndarray]:
    """GLEE bargaining outcome metrics for Alice's agreed share ``p`` at round ``t`` (1-based)."""
    p, t = _arr(share), _arr(rounds)
    da, db = delta_a ** (t - 1), delta_b ** (t - 1)
    return {"self_gain": p * da, "efficiency": p * da + (1 - p) * db,
            "fairness": 1 - 4 * (p - 0.5) ** 2}


def negotiation_metrics(price: ArrayLike, traded: ArrayLike, *, seller_value: float = 1.0,
                        buyer_value: float = 1.2) -> dict[str, np.ndarray]:
    """GLEE negotiation metrics; prices and values in units of the scale ``M``."""
    p, trade = _arr(price), np.asarray(traded, dtype=bool)
    pf = (seller_value + buyer_value) / 2
    fairness = np.where(trade, 1 - 4 * (p - pf) ** 2, 1.0)
    efficiency = (trade == (buyer_value > seller_value)).astype(np.float64)
    return {"fairness": fairness, "efficiency": efficiency}


def dictator_metrics(transfer: ArrayLike, *, endowment: float,
                     recipient_endowment: float = 0.0) -> dict[str, np.ndarray]:
    """Dictator efficiency (total payoff / total endowment) and GLEE-style fairness."""
    x = _arr(transfer)
    own, other = endowment - x, recipient_endowment + x
    total = endowment + recipient_endowment
    s = own / total
    return {"efficiency": (own + other) / total, "fairness": 1 - 4 * (s - 0.5) ** 2,
            "share_given": x / endowment}


# --------------------------------------------------------------------- record tables
WELFARE_METRICS = ("utilitarian", "mean_payoff", "nash", "rawlsian", "gini", "gini_corrected",
                   "atkinson_0.5", "atkinson_1", "atkinson_2", "eq_x_prod")


def instance_payoffs(records: pl.DataFrame, value: str = "reward") -> pl.DataFrame:
    """Total payoff of every agent in every instance (summed over rounds).

    Dictator-style games record only the mover; the recipient's payoff (``recipient_payoff``)
    is added as a second agent so that welfare counts both sides.
    """
    group = ["instance", "agent"]
    per_agent = records.group_by(group).agg(pl.col(value).sum().alias("payoff"))
    if "recipient_payoff" in records.columns:
        rec = records.group_by("instance").agg(pl.col("recipient_payoff").sum().alias("payoff"))
        rec = rec.with_columns(pl.lit("recipient").alias("agent")).select(per_agent.columns)
        per_agent = pl.concat([per_agent.with_columns(pl.col("agent").cast(pl.String)), rec])
    return per_agent.sort(group)


def _instance_matrix(records: pl.DataFrame, payoffs: pl.DataFrame | None = None) -> np.ndarray:
    pay = instance_payoffs(records) if payoffs is None else payoffs.sort(["instance", "agent"])
    counts = pay.group_by("instance").len()["len"]
    n = int(counts.max())
    if int(counts.min()) != n:
        raise ValueError("welfare: instances have different numbers of agents")
    return pay.sort(["instance", "agent"])["payoff"].to_numpy().reshape(-1, n)


def welfare_by_instance(payoffs: np.ndarray) -> dict[str, np.ndarray]:
    """Welfare metrics of every row of an ``(instances, agents)`` payoff matrix."""
    m = np.asarray(payoffs, dtype=np.float64)
    pos = np.clip(m, 0, None)
    return {
        "utilitarian": np.asarray(utilitarian(m)).reshape(-1),
        "mean_payoff": m.mean(axis=-1),
        "nash": np.asarray(nash_welfare(m)).reshape(-1),
        "rawlsian": np.asarray(rawlsian(m)).reshape(-1),
        "gini": np.asarray(gini(pos)).reshape(-1),
        "gini_corrected": np.asarray(gini(pos, small_n_correction=True)).reshape(-1),
        "atkinson_0.5": np.asarray(atkinson(pos, 0.5)).reshape(-1),
        "atkinson_1": np.asarray(atkinson(pos, 1.0)).reshape(-1),
        "atkinson_2": np.asarray(atkinson(pos, 2.0)).reshape(-1),
        "eq_x_prod": np.asarray(equality_times_productivity(pos)).reshape(-1),
    }


def welfare_summary(records: pl.DataFrame, *, n_boot: int = DEFAULT_BOOT,
                    rng: np.random.Generator | int | None = None,
                    payoffs: pl.DataFrame | None = None) -> dict[str, Estimate]:
    """Mean over instances of every welfare metric, with a bootstrap over instances.

    ``payoffs``: each agent's total payoff per instance (``instance``, ``agent``, ``payoff``)
    when the game computes it (its ``agent_payoffs`` hook); default :func:`instance_payoffs`.

    Nash welfare is averaged over finite instances only (instances with a zero payoff have
    ``-inf``); its ``extra["share_zero"]`` says how many were dropped.
    """
    m = _instance_matrix(records, payoffs)
    per = welfare_by_instance(m)
    gen = make_rng(rng)
    idx = gen.integers(0, m.shape[0], size=(n_boot, m.shape[0]))
    out: dict[str, Estimate] = {}
    for name, v in per.items():
        finite = np.isfinite(v)
        extra = {} if finite.all() else {"share_nonfinite": float(1 - finite.mean())}
        w = np.where(finite, v, 0.0)
        cnt = finite[idx].sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            draws = np.where(cnt > 0, w[idx].sum(axis=1) / cnt, np.nan)
        point = float(w.sum() / finite.sum()) if finite.any() else -math.inf
        out[name] = estimate_from(point, draws, int(m.shape[0]), name=name,
                                  method="mean over instances", extra=extra)
    return out


def _scalar(x: np.ndarray) -> np.ndarray | float:
    return float(x) if np.ndim(x) == 0 else x
