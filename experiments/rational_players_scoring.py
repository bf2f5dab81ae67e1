"""Scoring of the rational-players experiment (Fan, Chen, Jin & He 2024): pure functions.

* Desire (dictator game): a stated preference is a utility over the two final payoffs; an
  allocation is *consistent* with it when it maximises that utility over the feasible transfers
  (ties: every maximiser counts). :data:`PREFERENCES` holds the preferences the experiment
  states, each with the sentence the agent is told.
* Belief refinement (rock-paper-scissors): exploitation scores (scored by
  :mod:`agora.analysis.response_patterns`) averaged over blocks of rounds.
* Acting on beliefs (ring network): belief accuracy (a stated belief about the next player's
  action against a reference action) and whether an action is a best response to the agent's
  own stated belief.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Utility = Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Preference:
    """A preference the dictator is told to hold.

    Attributes:
        name: Short label (table rows).
        text: The sentence the agent reads before the rules.
        utility: ``utility(own, other)`` over final payoffs (vectorised).
        common: Whether the preference is a common one (self-interest, equality, altruism) or
            an uncommon one the seed paper finds LLMs struggle to act on.
    """

    name: str
    text: str
    utility: Utility
    common: bool = True


PREFERENCES: dict[str, Preference] = {p.name: p for p in (
    Preference("self-interest",
               "Your only goal: you care only about your own money. You want to keep as much "
               "money as possible for yourself.",
               lambda own, other: own),
    Preference("equality",
               "Your only goal: you care about equality. You want you and the other person to "
               "end up with exactly the same amount of money.",
               lambda own, other: -np.abs(own - other)),
    Preference("altruism",
               "Your only goal: you care only about the other person's money. You want the "
               "other person to end up with as much money as possible.",
               lambda own, other: other),
    Preference("two-to-one for the other",
               "Your only goal: you want the other person to end up with exactly twice as much "
               "money as you end up with.",
               lambda own, other: -np.abs(other - 2.0 * own), common=False),
)}
"""Stated preferences, in table order (self-interest, equality and altruism follow the seed
paper's common preferences; the two-to-one split is an uncommon one)."""


def transfer_grid(endowment: float, *, min_transfer: float = 0.0, step: float = 1.0
                  ) -> np.ndarray:
    """Feasible transfers ``min_transfer, min_transfer + step, ..., endowment``."""
    if not (math.isfinite(endowment) and endowment > 0 and step > 0):
        raise ValueError(f"endowment and step must be > 0, got {endowment} and {step}")
    if min_transfer > endowment:
        raise ValueError(f"min_transfer ({min_transfer}) exceeds the endowment ({endowment})")
    k = round((endowment - min_transfer) / step)
    return min_transfer + step * np.arange(k + 1)


def implied_transfers(preference: Preference | str, endowment: float, *,
                      recipient_endowment: float = 0.0, min_transfer: float = 0.0,
                      step: float = 1.0) -> np.ndarray:
    """Every feasible transfer that maximises the preference's utility (the theory row)."""
    pref = PREFERENCES[preference] if isinstance(preference, str) else preference
    grid = transfer_grid(endowment, min_transfer=min_transfer, step=step)
    u = pref.utility(endowment - grid, recipient_endowment + grid)
    return grid[np.isclose(u, u.max(), rtol=0.0, atol=1e-9)]


def consistent_with(preference: Preference | str, transfers: np.ndarray | float, *,
                    endowment: float, recipient_endowment: float = 0.0,
                    min_transfer: float = 0.0, step: float = 1.0) -> np.ndarray:
    """Whether each transfer is one the preference implies (1.0 / 0.0; NaN for a missing one).

    Raises:
        KeyError: an unknown preference name.
    """
    best = implied_transfers(preference, endowment, recipient_endowment=recipient_endowment,
                             min_transfer=min_transfer, step=step)
    x = np.atleast_1d(np.asarray(transfers, dtype=np.float64))
    hit = np.isclose(x[:, None], best[None, :], rtol=0.0, atol=1e-6 * step).any(axis=1)
    return np.where(np.isfinite(x), hit.astype(np.float64), np.nan)


# ----------------------------------------------------------------- belief refinement (RPS)
def block_means(values: np.ndarray, rounds: np.ndarray, block: int) -> dict[int, float]:
    """Mean of ``values`` per block of ``block`` rounds, keyed by the block's first round
    (rounds counted from 1)."""
    if block < 1:
        raise ValueError(f"block must be >= 1, got {block}")
    v = np.asarray(values, dtype=np.float64)
    r = np.asarray(rounds, dtype=np.int64)
    if v.shape != r.shape:
        raise ValueError("values and rounds must have the same shape")
    if r.size and r.min() < 1:
        raise ValueError("rounds are counted from 1")
    start = (r - 1) // block * block + 1
    return {int(s): float(v[start == s].mean()) for s in np.unique(start)}


# ----------------------------------------------------------------- acting on beliefs (ring)
def belief_accuracy(stated: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """1.0 where a stated belief equals the reference action, 0.0 where not, NaN where either
    is missing."""
    s = np.asarray(stated, dtype=np.float64)
    r = np.asarray(reference, dtype=np.float64)
    if s.shape != r.shape:
        raise ValueError(f"stated {s.shape} and reference {r.shape} differ in shape")
    ok = np.isfinite(s) & np.isfinite(r)
    return np.where(ok, (s == r).astype(np.float64), np.nan)


def best_responses(payoff: np.ndarray, belief: int) -> np.ndarray:
    """Own actions that maximise ``payoff[own, other]`` against the believed action ``belief``."""
    m = np.asarray(payoff, dtype=np.float64)
    if m.ndim != 2 or not 0 <= belief < m.shape[1]:
        raise ValueError(f"payoff must be own x other and belief in [0, {m.shape[-1]}), got "
                         f"shape {m.shape} and belief {belief}")
    col = m[:, belief]
    return np.flatnonzero(np.isclose(col, col.max(), rtol=0.0, atol=1e-12))


def acts_on_belief(payoffs: np.ndarray, beliefs: np.ndarray, actions: np.ndarray) -> np.ndarray:
    """1.0 where each action is a best response to the agent's own stated belief (payoff matrix
    per decision, ``payoffs[i][own, other]``), 0.0 where not, NaN without a belief."""
    b = np.asarray(beliefs, dtype=np.float64)
    a = np.asarray(actions, dtype=np.float64)
    if b.shape != a.shape or len(payoffs) != a.size:
        raise ValueError("payoffs, beliefs and actions must have one entry per decision")
    out = np.full(a.size, np.nan)
    for i in range(a.size):
        if math.isfinite(b[i]) and math.isfinite(a[i]):
            out[i] = float(int(a[i]) in best_responses(payoffs[i], int(b[i])))
    return out
