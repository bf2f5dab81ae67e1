"""The scripted learner behind ``rps_best_responder``: predict the partner's next move from the
history alone, then best-respond to the prediction.

Candidate pattern families, each a deterministic predictor of the partner's move in round s
from the rounds before it:

* ``sequence k`` (k = 1 .. ``max_period``): the partner repeats a fixed sequence of period k,
  so it plays what it played k rounds ago (k = 1: a constant move; k = 3 covers cycles);
* ``drift d`` (d = 1, 2): the partner moves d steps up the cycle from its own last move (the
  R→P→S cycle and its reverse, from any start);
* ``react d`` (d = 0, 1, 2): the partner answers the learner's last move shifted d steps up the
  cycle (0: copies it, 1: beats it, 2: plays what it beats).

A predictor *fits* when every prediction it could make in the last ``window`` rounds came
true, with at least ``max(2, k)`` of them checked. The first fitting predictor in the order
above (simplest first) gives the prediction; when none fits, the prediction is the partner's
empirical move frequencies (add-one smoothed), which is the best response to a biased
mixture. The move played is the best response to the prediction under the game's payoffs.
Only the decision view's histories are read.
"""

from __future__ import annotations

import numpy as np

from games.rock_paper_scissors.patterns import one_hot


def _candidates(own: np.ndarray, other: np.ndarray,
                max_period: int) -> list[tuple[np.ndarray, np.ndarray, int]]:
    """Every predictor's past predictions ``(n, t)`` (-1 where undefined), its prediction for
    round t ``(n,)`` and the checks it needs."""
    n, t = other.shape
    out = []

    def shifted(src: np.ndarray, lag: int, d: int) -> tuple[np.ndarray, np.ndarray]:
        past = np.full((n, t), -1, dtype=np.int64)
        if t > lag:
            past[:, lag:] = (src[:, :t - lag] + d) % 3
        nxt = (src[:, t - lag] + d) % 3 if t >= lag else np.full(n, -1, dtype=np.int64)
        return past, nxt

    for k in range(1, max_period + 1):
        p, x = shifted(other, k, 0)
        out.append((p, x, max(2, k)))
        if k == 1:
            for d in (1, 2):
                p, x = shifted(other, 1, d)
                out.append((p, x, 2))
            for d in (0, 1, 2):
                p, x = shifted(own, 1, d)
                out.append((p, x, 2))
    return out


def predict(own: np.ndarray, other: np.ndarray, *, max_period: int = 8,
            window: int = 20) -> np.ndarray:
    """Predicted distribution ``(n, 3)`` of the partner's next move (see the module)."""
    a = np.asarray(own, dtype=np.int64)
    b = np.asarray(other, dtype=np.int64)
    n, t = b.shape
    counts = np.stack([(b == m).sum(axis=1) for m in range(3)], axis=1) + 1.0
    pred = counts / counts.sum(axis=1, keepdims=True)
    chosen = np.zeros(n, dtype=bool)
    lo = max(0, t - window)
    for past, nxt, need in _candidates(a, b, max_period):
        p, real = past[:, lo:], b[:, lo:]
        defined = p >= 0
        fits = ((p == real) | ~defined).all(axis=1) & (defined.sum(axis=1) >= need) \
            & (nxt >= 0)
        new = fits & ~chosen
        if new.any():
            pred[new] = one_hot(nxt[new])
            chosen |= new
        if chosen.all():
            break
    return pred
