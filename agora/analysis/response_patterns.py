"""Response patterns in cyclic three-action games (rock-paper-scissors and its relatives).

Actions are coded 0, 1, 2 around a cycle in which action ``(j + 1) % 3`` beats action ``j``.
A win pays ``win``, a tie ``tie`` and a loss ``loss``. Generic and column-driven, like
:mod:`agora.analysis.cooperation`:

* :func:`conditional_responses`: after a win, a tie or a loss, how often a player *stays* with
  its last action, shifts *up* (to the action that beats it) or *down* (to the action it
  beats), as in Wang, Xu & Zhou (2014): pooled over transitions and as per-subject means, with
  percentile-bootstrap CIs over subjects, and the share of subjects whose stay rate after a win
  exceeds their stay rate after a loss.
* :func:`exploitation_scores`: each move scored by its expected payoff against the partner's
  known move distribution (recorded by scripted partners as columns ``mixed_0..2``), as a share
  of the most attainable against it; :func:`exploitation_by_round` averages it by round
  (learning shows as a rising curve) and :func:`rounds_to_beat` counts how many rounds each
  subject needs before its score stays at or above a threshold for good.

``report_conditional_responses`` and ``report_exploitation`` add these to a report (the
catalogue kinds ``conditional_responses`` and ``exploitation_by_round``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from agora.analysis.cooperation import RoundRates, rate_by_round

OUTCOMES = ("win", "tie", "loss")
RESPONSES = ("stay", "up", "down")
_BOOT_CHUNK = 5_000_000
"""Largest bootstrap weight block (replicates × subjects) held at once."""


def cyclic_outcome(own: np.ndarray, other: np.ndarray) -> np.ndarray:
    """+1 when ``own`` beats ``other`` (own = other + 1 mod 3), 0 on a tie, -1 on a loss."""
    d = (np.asarray(own, dtype=np.int64) - np.asarray(other, dtype=np.int64)) % 3
    return np.where(d == 1, 1, np.where(d == 0, 0, -1))


def cyclic_payoffs(win: float, tie: float = 1.0, loss: float = 0.0) -> np.ndarray:
    """``u[i, j]``: payoff of action i against action j."""
    i, j = np.meshgrid(np.arange(3), np.arange(3), indexing="ij")
    o = cyclic_outcome(i, j)
    return np.where(o == 1, float(win), np.where(o == 0, float(tie), float(loss)))


def _moves(frame: pl.DataFrame, column: str) -> np.ndarray:
    x = frame[column].cast(pl.Float64).to_numpy()
    if not np.isin(x, (0.0, 1.0, 2.0)).all():
        raise ValueError(f"response patterns: column {column!r} must hold actions 0, 1, 2")
    return x.astype(np.int64)


# ------------------------------------------------------------------ conditional responses
@dataclass(frozen=True, kw_only=True)
class ConditionalResponses:
    """Rates of stay / up / down (columns) after a win, tie and loss (rows).

    Attributes:
        pooled: ``(3, 3)`` rates over all transitions; ``pooled_low``/``pooled_high`` their
            bootstrap CI over subjects.
        subject_mean: ``(3, 3)`` mean over subjects of each subject's rates (subjects without
            a transition after that outcome left out); ``subject_low``/``subject_high``.
        transitions: ``(3,)`` transitions after each outcome.
        subjects: Subjects with at least one transition.
        win_stay_above: Share of subjects (with both a win and a loss transition) whose stay
            rate after a win exceeds that after a loss, with ``win_stay_above_ci``.
    """

    pooled: np.ndarray
    pooled_low: np.ndarray
    pooled_high: np.ndarray
    subject_mean: np.ndarray
    subject_low: np.ndarray
    subject_high: np.ndarray
    transitions: np.ndarray
    subjects: int
    win_stay_above: float
    win_stay_above_ci: tuple[float, float]


def transition_counts(frame: pl.DataFrame, *, subject: Sequence[str] = ("instance", "agent"),
                      round_column: str = "round", move: str = "action",
                      other: str = "other_move") -> np.ndarray:
    """``(subjects, 3 outcomes, 3 responses)`` counts of each subject's transitions between
    consecutive rounds (the outcome of round t-1, the response in round t)."""
    cols = [*subject, round_column, move, other]
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise ValueError(f"response patterns: the records have no column(s) {missing}")
    f = frame.select(cols).sort([*subject, round_column])
    own, oth = _moves(f, move), _moves(f, other)
    sid = f.select(pl.struct(list(subject)).rank("dense")).to_series().to_numpy() - 1
    rnd = f[round_column].to_numpy()
    ok = (sid[1:] == sid[:-1]) & (rnd[1:] == rnd[:-1] + 1)
    o = 1 - cyclic_outcome(own[:-1], oth[:-1])[ok]  # row: 0 win, 1 tie, 2 loss
    r = ((own[1:] - own[:-1]) % 3)[ok]  # 0 stay, 1 up (beats own last), 2 down
    n_subjects = int(sid.max()) + 1 if sid.size else 0
    counts = np.zeros((n_subjects, 3, 3))
    np.add.at(counts, (sid[1:][ok], o, r), 1.0)
    return counts[counts.sum(axis=(1, 2)) > 0]


def _rates(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-subject rates ``(S, 3, 3)`` (0 where undefined) and which are defined ``(S, 3)``."""
    tot = counts.sum(axis=2)
    ok = tot > 0
    return np.where(ok[..., None], counts / np.where(ok, tot, 1.0)[..., None], 0.0), ok


def conditional_responses(frame: pl.DataFrame, *, subject: Sequence[str] = ("instance", "agent"),
                          round_column: str = "round", move: str = "action",
                          other: str = "other_move", n_boot: int = 200, level: float = 0.95,
                          rng: np.random.Generator | None = None) -> ConditionalResponses:
    """Stay / up / down rates after each outcome (see :class:`ConditionalResponses`)."""
    if not 0 < level < 1:
        raise ValueError(f"conditional_responses: level must be in (0, 1), got {level}")
    counts = transition_counts(frame, subject=subject, round_column=round_column, move=move,
                               other=other)
    if counts.shape[0] == 0:
        raise ValueError("conditional_responses: no subject played two consecutive rounds")
    rates, ok = _rates(counts)
    ws = ok[:, 0] & ok[:, 2]
    above = (rates[:, 0, 0] > rates[:, 2, 0]).astype(np.float64)

    def stats(w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Pooled, subject-mean and share statistics under subject weights ``w`` (B, S)."""
        c = (w @ counts.reshape(len(counts), 9)).reshape(-1, 3, 3)
        tot = c.sum(axis=2, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            pooled = c / tot
            mean = (w @ rates.reshape(len(rates), 9)).reshape(-1, 3, 3) \
                / (w @ ok.astype(np.float64))[..., None]
            share = (w @ (above * ws)) / (w @ ws.astype(np.float64))
        return pooled, mean, share

    pooled, mean, share = stats(np.ones((1, len(counts))))
    gen = rng if rng is not None else np.random.default_rng(0)
    draws: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    s = len(counts)
    step = max(1, _BOOT_CHUNK // s)
    for start in range(0, n_boot, step):
        b = min(step, n_boot - start)
        draws.append(stats(gen.multinomial(s, np.full(s, 1.0 / s), size=b).astype(np.float64)))
    q = [(1 - level) / 2 * 100, (1 + level) / 2 * 100]

    def ci(i: int, shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
        if not draws or s < 2:
            return np.full(shape, np.nan), np.full(shape, np.nan)
        d = np.concatenate([x[i] for x in draws])
        with np.errstate(invalid="ignore"):
            lo, hi = np.nanpercentile(d, q, axis=0) if np.isfinite(d).any() else (
                np.full(shape, np.nan), np.full(shape, np.nan))
        return np.asarray(lo), np.asarray(hi)

    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices: undefined cells
        pl_lo, pl_hi = ci(0, (3, 3))
        sm_lo, sm_hi = ci(1, (3, 3))
        sh_lo, sh_hi = ci(2, ())
    return ConditionalResponses(
        pooled=pooled[0], pooled_low=pl_lo, pooled_high=pl_hi, subject_mean=mean[0],
        subject_low=sm_lo, subject_high=sm_hi, transitions=counts.sum(axis=(0, 2)),
        subjects=s, win_stay_above=float(share[0]),
        win_stay_above_ci=(float(sh_lo), float(sh_hi)))


# ------------------------------------------------------------------ exploitation
def exploitation_scores(frame: pl.DataFrame, *, win: float, tie: float = 1.0, loss: float = 0.0,
                        move: str = "action", seat: str = "seat", partner: str = "partner",
                        mixed: Sequence[str] = ("mixed_0", "mixed_1", "mixed_2"),
                        keys: Sequence[str] = ("instance", "round")) -> pl.DataFrame:
    """Every decision whose partner recorded its move distribution, with ``expected`` (the
    expected payoff of the move against it), ``best`` (the most attainable against it) and
    ``score`` = expected / best; the frame's other columns are kept."""
    need = [*keys, move, seat, partner, *mixed]
    missing = [c for c in need if c not in frame.columns]
    if missing:
        raise ValueError(f"exploitation: the records have no column(s) {missing}")
    if len(mixed) != 3:
        raise ValueError(f"exploitation: mixed names 3 columns, got {list(mixed)}")
    tags = [f"__q{m}" for m in range(3)]
    right = frame.select([*keys, pl.col(seat).cast(pl.Float64).alias("__seat"),
                          *(pl.col(c).cast(pl.Float64).alias(t) for c, t in zip(mixed, tags,
                                                                               strict=True))])
    left = frame.with_columns(pl.col(partner).cast(pl.Float64).alias("__seat"))
    joined = left.join(right, on=[*keys, "__seat"], how="inner").drop("__seat")
    joined = joined.filter(pl.all_horizontal([pl.col(t).is_not_null() & pl.col(t).is_not_nan()
                                              for t in tags]))
    if joined.height == 0:
        raise ValueError("exploitation: no partner recorded its move distribution (scripted "
                         "partners do)")
    q = joined.select(tags).to_numpy()
    u = cyclic_payoffs(win, tie, loss)
    values = q @ u.T  # (n, 3): each own action's expected payoff
    own = _moves(joined, move)
    best = values.max(axis=1)
    expected = values[np.arange(own.size), own]
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.where(best > 0, expected / best, 1.0)
    return joined.drop(tags).with_columns(pl.Series("expected", expected),
                                          pl.Series("best", best), pl.Series("score", score))


def exploitation_by_round(scores: pl.DataFrame, *, round_column: str = "round",
                          cluster: str = "instance", n_boot: int = 200, level: float = 0.95,
                          rng: np.random.Generator | None = None) -> RoundRates:
    """Mean exploitation score by round with a bootstrap CI over clusters."""
    return rate_by_round(scores, "score", round_column=round_column, cluster=cluster,
                         n_boot=n_boot, level=level, rng=rng)


def rounds_to_beat(scores: pl.DataFrame, *, threshold: float = 1.0,
                   subject: Sequence[str] = ("instance", "seat"),
                   round_column: str = "round", min_rounds: int = 1) -> pl.DataFrame:
    """Per subject, ``rounds_needed``: the rounds played before the first round from which
    its score stays at or above ``threshold`` in every later round (0: from the start; null:
    its last round is still below, or that final run is shorter than ``min_rounds``, so one
    lucky last round need not count), with ``rounds`` played."""
    if not isinstance(min_rounds, int) or min_rounds < 1:
        raise ValueError(f"min_rounds must be an integer >= 1, got {min_rounds!r}")
    tol = 1e-9
    f = scores.sort([*subject, round_column])
    below = (pl.col("score") < threshold - tol)
    rank = pl.col(round_column).rank("ordinal").over(list(subject))
    out = (f.with_columns(rank.alias("__k"))
           .group_by(list(subject), maintain_order=True)
           .agg(pl.len().alias("rounds"),
                pl.col("__k").filter(below).max().fill_null(0).alias("rounds_needed"),
                below.last().alias("__open")))
    short = pl.col("rounds") - pl.col("rounds_needed") < min_rounds
    return out.with_columns(pl.when(pl.col("__open") | short).then(None)
                            .otherwise(pl.col("rounds_needed")).alias("rounds_needed")
                            ).drop("__open")


# ------------------------------------------------------------------ report glue
def _groups(records: pl.DataFrame) -> list[tuple[str, pl.DataFrame]]:
    """Records split by (policy, role), each labelled with the role's own policy name."""
    if "policy" not in records.columns or "role" not in records.columns:
        return [("all", records)]
    out = []
    for (pol, role), part in records.group_by(["policy", "role"], maintain_order=True):
        name = str(pol)
        for piece in name.split("+"):
            if piece.startswith(f"{role}:"):
                name = piece.split(":", 1)[1]
        out.append((f"{name} ({role})", part))
    return sorted(out, key=lambda g: g[0])


def _fmt(v: float, lo: float, hi: float) -> str:
    if not np.isfinite(v):
        return "n/a"
    return f"{v:.3f} [{lo:.3f}, {hi:.3f}]" if np.isfinite(lo) else f"{v:.3f}"


def report_conditional_responses(ctx: Any, params: Mapping[str, Any]) -> None:
    """Conditional-response table of every (policy, role) group next to the human reference
    (``params["human"]``: ``pooled``, ``per_subject_stay``, ``choice_shares``, ...)."""
    labels = tuple(params.get("labels", ("action 0", "action 1", "action 2")))
    move, other = str(params.get("move", "action")), str(params.get("other", "other_move"))
    human = dict(params.get("human") or {})
    s = ctx.report.sections["human-comparison"]
    header = ["who", "after", *(f"{r} [95% CI]" for r in RESPONSES), "transitions"]
    rows: list[list[Any]] = []
    shares: list[list[Any]] = []
    for label, part in _groups(ctx.records):
        x = _moves(part, move)
        shares.append([label, *(f"{np.mean(x == m):.3f}" for m in range(3)), x.size])
        try:
            c = conditional_responses(part, move=move, other=other, n_boot=ctx.n_boot,
                                      rng=ctx.rng)
        except ValueError as exc:
            s.text(f"conditional responses of {label}: not available ({exc}).")
            continue
        for i, o in enumerate(OUTCOMES):
            rows.append([f"{label}, pooled", o, *(_fmt(c.pooled[i, j], c.pooled_low[i, j],
                                                      c.pooled_high[i, j]) for j in range(3)),
                         int(c.transitions[i])])
        for i, o in enumerate(OUTCOMES):
            rows.append([f"{label}, mean of {c.subjects} subjects", o,
                         *(_fmt(c.subject_mean[i, j], c.subject_low[i, j],
                                c.subject_high[i, j]) for j in range(3)), ""])
        lo, hi = c.win_stay_above_ci
        rows.append([f"{label}: share with win-stay > lose-stay", "",
                     _fmt(c.win_stay_above, lo, hi), "", "", c.subjects])
        ctx.report.estimates[f"conditional_responses.{label}"] = {
            "pooled": c.pooled.tolist(), "subject_mean": c.subject_mean.tolist(),
            "win_stay_above_lose_stay": c.win_stay_above}
    name = str(human.get("name", "humans"))
    for o in OUTCOMES:
        pooled = human.get("pooled", {}).get(o)
        if pooled:
            rows.append([f"{name}, pooled", o, *(f"{pooled[r]:.3f}" for r in RESPONSES),
                         "reference"])
    stay = human.get("per_subject_stay") or {}
    for o in OUTCOMES:
        if o in stay:
            rows.append([f"{name}, mean of {human.get('subjects', '?')} subjects", o,
                         f"{stay[o]:.3f}", "", "", "reference"])
    if "win_stay_above_lose_stay" in human:
        rows.append([f"{name}: share with win-stay > lose-stay", "",
                     f"{human['win_stay_above_lose_stay']:.3f}", "", "", "reference"])
    if human.get("choice_shares"):
        shares.append([name, *(f"{human['choice_shares'][k]:.3f}" for k in labels),
                       "reference"])
    s.text("Conditional responses (Wang, Xu & Zhou 2014): after a win, tie or loss in the "
           "last round, the share of moves that stay with the last action, shift up (to the "
           "action that beats it) or down (to the action it beats); pooled over transitions "
           "and as the mean of per-subject rates, with 95 % bootstrap intervals over subjects."
           + (f" Human reference: {human.get('source')}; compiled in "
              f"{human.get('compiled')}; a-treatment: {human.get('a_treatment')}."
              if human else ""))
    s.table("Choice shares", ["who", *labels, "decisions"], shares)
    s.table("Conditional responses (stay / up / down after win, tie, loss)", header, rows)


def report_exploitation(ctx: Any, params: Mapping[str, Any]) -> None:
    """Exploitation score of scripted partners by round, and rounds needed to beat them."""
    scores = exploitation_scores(
        ctx.records, win=float(params["win"]), tie=float(params.get("tie", 1.0)),
        loss=float(params.get("loss", 0.0)), move=str(params.get("move", "action")),
        seat=str(params.get("seat", "seat")), partner=str(params.get("partner", "partner")),
        mixed=tuple(params.get("mixed", ("mixed_0", "mixed_1", "mixed_2"))))
    threshold = float(params.get("threshold", 1.0))
    min_rounds = int(params.get("min_rounds", 1))
    s = ctx.report.sections["rationality"]
    s.text("Exploitation score: each move's expected payoff against the partner's known move "
           "distribution (recorded by scripted partners), as a share of the best response's "
           "(1: best response every round); by round with 95 % bootstrap intervals over "
           "instances. Rounds to beat: rounds played before the score stays at or above "
           f"{threshold:g} for good.")
    groups = _groups(scores)
    rates = {label: exploitation_by_round(part, n_boot=ctx.n_boot, rng=ctx.rng)
             for label, part in groups}
    rounds = np.unique(np.concatenate([r.rounds for r in rates.values()]))
    rows = []
    for r in rounds:
        row: list[Any] = [int(r)]
        for rr in rates.values():
            j = int(np.searchsorted(rr.rounds, r))
            ok = j < rr.rounds.size and rr.rounds[j] == r
            row.append(_fmt(rr.mean[j], rr.ci_low[j], rr.ci_high[j]) if ok else "n/a")
        rows.append(row)
    s.table("Exploitation score by round (share of the maximum attainable)",
            ["round", *(f"{k} [95% CI]" for k in rates)], rows)
    beat_rows = []
    for label, part in groups:
        b = rounds_to_beat(part, threshold=threshold, min_rounds=min_rounds)
        needed = b["rounds_needed"].drop_nulls().to_numpy()
        beat_rows.append([label, b.height, needed.size,
                          f"{np.mean(needed):.1f}" if needed.size else "n/a",
                          f"{np.median(needed):.1f}" if needed.size else "n/a",
                          f"{part['score'].mean():.3f}"])
        ctx.report.estimates[f"exploitation.{label}"] = {
            "round": rates[label].rounds.tolist(), "mean": rates[label].mean.tolist(),
            "score": float(part["score"].mean()),
            "beaten": int(needed.size), "subjects": int(b.height)}
    s.table(f"Rounds needed to beat the partner (score >= {threshold:g} from then on, for at "
            f"least {min_rounds} final round{'s' if min_rounds > 1 else ''})",
            ["who", "subjects", "beaten", "mean rounds needed", "median", "mean score"],
            beat_rows)
