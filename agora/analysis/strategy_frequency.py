"""Strategy-frequency estimation (SFEM) for repeated games.

Dal Bó & Fréchette (2011, *AER* 101(1):411-429) explain each subject's choices in a repeated game
as one strategy from a candidate set, followed in every supergame, executed with a tremble: at
every decision the subject takes the move its strategy prescribes with probability ``1 − γ`` and
the other move with probability ``γ``. The population shares ``p_k`` of the strategies and the
(common) tremble ``γ`` are estimated by maximum likelihood over subjects,

    ln L(p, γ) = Σ_i ln Σ_k p_k · (1 − γ)^(n_i − m_ik) · γ^(m_ik),

where ``n_i`` is the number of decisions of subject ``i`` and ``m_ik`` the number of them that
differ from strategy ``k``'s prescription given the subject's own history. This is the model of
the R package stratEst with binary responses and a tremble shared by all strategies (its default
``r.trembles = "global"``): Dvorak, *stratEst: Strategy Estimation in R* (vignette, section
"Strategy Estimation", equations for π_ksr = ξ_ksr(1 − γ) + (1 − ξ_ksr)γ/(R − 1) and ln L; read in
fdvorak/stratEst ``vignettes/stratEst_paper.ltx``). The maximiser is found, as in stratEst, by the
EM algorithm (Dempster, Laird & Rubin 1977): the E-step gives each subject's posterior over
strategies ``θ_ik``; the M-step sets ``p_k = mean_i θ_ik`` and
``γ = Σ_ik θ_ik m_ik / Σ_i n_i``; several starts guard against local optima.

Intervals come from a percentile bootstrap over subjects (the independent units). A share at 0
(or 1) or a tremble at 0 is flagged ``at_bound`` through
:func:`agora.analysis.estimate.estimate_from`.

The strategies themselves are game-specific: callers pass, per decision, each strategy's
prescribed move (:func:`prescription_matrix` builds that matrix from history-driven strategy
functions).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from agora.analysis.estimate import DEFAULT_BOOT, Estimate, estimate_from, make_rng

#: A vectorised history strategy: (own moves, other's moves), each ``(n, t)``, -> ``(n,)`` moves.
HistoryStrategy = Callable[[np.ndarray, np.ndarray], np.ndarray]

_G_MIN = 1e-10
_G_MAX = 0.5


@dataclass(frozen=True)
class SFEMResult:
    """Fitted strategy shares and tremble.

    Attributes:
        shares: One :class:`Estimate` per strategy (in the order given), summing to 1.
        tremble: The probability ``γ`` that a move differs from the strategy's prescription.
        loglik: Maximised log-likelihood.
        n_subjects: Subjects (the bootstrap units).
        n_decisions: Decisions used.
        subjects: Subject ids in the row order of ``posteriors``.
        posteriors: ``(n_subjects, n_strategies)`` posterior probability of each strategy.
        mismatches: ``(n_subjects, n_strategies)`` decisions off each strategy's prescription.
    """

    shares: dict[str, Estimate]
    tremble: Estimate
    loglik: float
    n_subjects: int
    n_decisions: int
    subjects: tuple[object, ...] = field(repr=False)
    posteriors: np.ndarray = field(repr=False)
    mismatches: np.ndarray = field(repr=False)

    @property
    def strategies(self) -> tuple[str, ...]:
        """Strategy names, in the order fitted."""
        return tuple(self.shares)

    def share_values(self) -> dict[str, float]:
        """Point estimates of the shares."""
        return {k: e.value for k, e in self.shares.items()}

    def as_rows(self) -> list[dict[str, object]]:
        """One flat row per share and one for the tremble (for tables and JSON)."""
        return [e.as_dict() for e in (*self.shares.values(), self.tremble)]


def sufficient_statistics(subjects: Sequence[object] | np.ndarray,
                          choices: Sequence[int] | np.ndarray,
                          prescriptions: np.ndarray) -> tuple[list[object], np.ndarray, np.ndarray]:
    """Per-subject decision counts ``n_i`` and mismatch counts ``m_ik``.

    Returns (subject ids in first-appearance order, ``n`` of shape ``(N,)``, ``m`` of shape
    ``(N, K)``).
    """
    subj = np.asarray(subjects, dtype=object)
    y = np.asarray(choices)
    x = np.asarray(prescriptions)
    if subj.ndim != 1 or y.ndim != 1 or subj.shape != y.shape:
        raise ValueError("subjects and choices must be 1-D arrays of the same length")
    if x.ndim != 2 or x.shape[0] != y.shape[0] or x.shape[1] < 1:
        raise ValueError(f"prescriptions must have shape (n_decisions={y.shape[0]}, n_strategies), "
                         f"got {x.shape}")
    if y.size == 0:
        raise ValueError("no decisions to fit")
    if not np.isin(y, (0, 1)).all() or not np.isin(x, (0, 1)).all():
        raise ValueError("choices and prescriptions must be moves coded 0/1")
    ids, inverse = _first_appearance_codes(subj.tolist())
    n = np.bincount(inverse, minlength=len(ids)).astype(np.float64)
    miss = (x != y[:, None]).astype(np.float64)
    m = np.zeros((len(ids), x.shape[1]))
    np.add.at(m, inverse, miss)
    return ids, n, m


def _first_appearance_codes(items: list[object]) -> tuple[list[object], np.ndarray]:
    codes: dict[object, int] = {}
    inverse = np.empty(len(items), dtype=np.int64)
    for j, s in enumerate(items):
        inverse[j] = codes.setdefault(s, len(codes))
    return list(codes), inverse


def _e_step(p: np.ndarray, g: float, m: np.ndarray,
            ok: np.ndarray) -> tuple[np.ndarray, float]:
    """Posteriors ``θ_ik`` and the log-likelihood at shares ``p`` and tremble ``g``."""
    with np.errstate(divide="ignore"):
        a = np.log(p)[None, :] + m * math.log(g) + ok * math.log1p(-g)
    top = a.max(axis=1, keepdims=True)
    w = np.exp(a - top)
    s = w.sum(axis=1, keepdims=True)
    return w / s, float((top[:, 0] + np.log(s[:, 0])).sum())


def em_fit(n: np.ndarray, m: np.ndarray, p0: np.ndarray, g0: float, *, tol: float = 1e-10,
           max_iter: int = 20000) -> tuple[np.ndarray, float, float, np.ndarray]:
    """EM from one start. Returns (shares, tremble, log-likelihood, posteriors), the last two
    at the returned shares and tremble."""
    p = np.asarray(p0, dtype=np.float64)
    g = float(np.clip(g0, _G_MIN, _G_MAX))
    ok = n[:, None] - m
    prev = -math.inf
    for _ in range(max_iter):
        theta, total = _e_step(p, g, m, ok)
        p = theta.mean(axis=0)
        g = float(np.clip((theta * m).sum() / n.sum(), _G_MIN, _G_MAX))
        if total - prev < tol * max(1.0, abs(total)):
            break
        prev = total
    theta, total = _e_step(p, g, m, ok)
    return p, g, total, theta


def _multi_start(n: np.ndarray, m: np.ndarray, gen: np.random.Generator, n_starts: int,
                 tol: float, max_iter: int) -> tuple[np.ndarray, float, float, np.ndarray]:
    k = m.shape[1]
    starts: list[tuple[np.ndarray, float]] = [(np.full(k, 1.0 / k), 0.1)]
    for _ in range(max(0, n_starts - 1)):
        starts.append((gen.dirichlet(np.ones(k)), float(gen.uniform(0.01, 0.4))))
    best = None
    for p0, g0 in starts:
        fit = em_fit(n, m, p0, g0, tol=tol, max_iter=max_iter)
        if best is None or fit[2] > best[2] + 1e-9:
            best = fit
    assert best is not None
    return best


def fit_strategy_frequencies(subjects: Sequence[object] | np.ndarray,
                             choices: Sequence[int] | np.ndarray, prescriptions: np.ndarray,
                             strategy_names: Sequence[str] | None = None, *,
                             n_boot: int = DEFAULT_BOOT,
                             rng: np.random.Generator | int | None = None, level: float = 0.95,
                             n_starts: int = 8, tol: float = 1e-10, max_iter: int = 20000,
                             share_bound_tol: float = 1e-3, warn: bool = False) -> SFEMResult:
    """Maximum-likelihood strategy shares and tremble (Dal Bó & Fréchette 2011).

    Args:
        subjects: Per decision, the subject id (a subject follows one strategy throughout).
        choices: Per decision, the observed move (0/1).
        prescriptions: ``(n_decisions, n_strategies)`` moves (0/1) each strategy prescribes at
            that decision, given the subject's actual history.
        strategy_names: Names of the columns (default ``s0, s1, ...``).
        n_boot: Bootstrap replicates, resampling subjects (0: no interval).
        share_bound_tol: A share within this of 0 or 1 is reported ``at_bound``.
        warn: Emit a :class:`~agora.analysis.estimate.BoundWarning` for each estimate at a bound
            (zero shares are common, so off by default; ``at_bound`` is always set).
    """
    ids, n, m = sufficient_statistics(subjects, choices, prescriptions)
    k = m.shape[1]
    names = list(strategy_names) if strategy_names is not None else [f"s{j}" for j in range(k)]
    if len(names) != k or len(set(names)) != k:
        raise ValueError(f"strategy_names must be {k} distinct names, got {names}")
    gen = make_rng(rng)
    p, g, ll, theta = _multi_start(n, m, gen, n_starts, tol, max_iter)
    draws = np.full((n_boot, k + 1), np.nan)
    start = 0.5 * p + 0.5 / k
    for b in range(n_boot):
        idx = gen.integers(0, n.size, size=n.size)
        pb, gb, _, _ = em_fit(n[idx], m[idx], start, g, tol=tol, max_iter=max_iter)
        draws[b, :k], draws[b, k] = pb, gb
    n_dec = int(n.sum())
    method = "SFEM maximum likelihood (EM), percentile bootstrap over subjects"
    shares = {name: estimate_from(float(p[j]), draws[:, j], n.size, name=f"share[{name}]",
                                  level=level, method=method, bounds=(0.0, 1.0),
                                  support=(0.0, 1.0), bound_tol=share_bound_tol, warn=warn)
              for j, name in enumerate(names)}
    tremble = estimate_from(g, draws[:, k], n.size, name="tremble", level=level, method=method,
                            bounds=(0.0, _G_MAX), support=(0.0, _G_MAX), bound_tol=1e-6,
                            warn=warn, extra={"loglik": ll})
    return SFEMResult(shares=shares, tremble=tremble, loglik=ll, n_subjects=int(n.size),
                      n_decisions=n_dec, subjects=tuple(ids), posteriors=theta, mismatches=m)


def prescription_matrix(subjects: Sequence[object] | np.ndarray,
                        supergames: Sequence[object] | np.ndarray,
                        periods: Sequence[int] | np.ndarray, own: Sequence[int] | np.ndarray,
                        other: Sequence[int] | np.ndarray,
                        strategies: Mapping[str, HistoryStrategy]) -> np.ndarray:
    """Each strategy's prescribed move at every decision, from the actual histories.

    Rows are decisions (any order); within a (subject, supergame) the history before a decision
    is the own and other moves of its earlier periods (by ``periods`` order). Each strategy is
    vectorised: ``f(own_history, other_history)`` with two ``(n, t)`` arrays of the moves of
    rounds ``0 .. t-1`` returns the ``(n,)`` moves (0/1) prescribed in round ``t``. Returns an
    int array of shape ``(n_decisions, len(strategies))`` aligned with the input rows.
    """
    subj = np.asarray(subjects, dtype=object)
    sg = np.asarray(supergames, dtype=object)
    per = np.asarray(periods, dtype=np.float64)
    a = np.asarray(own, dtype=np.int64)
    b = np.asarray(other, dtype=np.int64)
    size = subj.size
    if not all(arr.ndim == 1 and arr.size == size for arr in (sg, per, a, b)):
        raise ValueError("subjects, supergames, periods, own and other must be 1-D, equal length")
    if not strategies:
        raise ValueError("no strategies given")
    if size == 0:
        return np.zeros((0, len(strategies)), dtype=np.int64)
    keys, group = _first_appearance_codes(list(zip(subj.tolist(), sg.tolist(), strict=True)))
    order = np.lexsort((per, group))
    g_sorted = group[order]
    starts = np.r_[0, np.flatnonzero(np.diff(g_sorted)) + 1]
    lengths = np.diff(np.r_[starts, size])
    pos = np.arange(size) - np.repeat(starts, lengths)  # round index within its supergame
    h_own = np.zeros((len(keys), int(lengths.max())), dtype=np.int64)
    h_oth = np.zeros_like(h_own)
    h_own[g_sorted, pos] = a[order]
    h_oth[g_sorted, pos] = b[order]
    out = np.empty((size, len(strategies)), dtype=np.int64)
    for t in range(h_own.shape[1]):
        rows = order[pos == t]
        gs = g_sorted[pos == t]
        for c, f in enumerate(strategies.values()):
            out[rows, c] = np.asarray(f(h_own[gs, :t], h_oth[gs, :t])).reshape(-1)
    return out
