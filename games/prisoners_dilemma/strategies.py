"""Repeated prisoner's-dilemma strategies as pure, vectorised functions.

API (also what a strategy-frequency estimator imports)::

    STRATEGIES: dict[str, Strategy]
    Strategy = Callable[[np.ndarray, np.ndarray], np.ndarray]
    move = STRATEGIES["tft"](own, other)

``own`` and ``other`` are integer arrays of shape ``(n, t)``: the *executed* (observed) moves
of the player and of its partner in rounds ``0 .. t-1`` of the current supergame, 1 = C and
0 = D (``t`` may be 0: the first round). The result has shape ``(n,)``: the move each player
intends in round ``t`` (1 = C, 0 = D, dtype int8). The round is the history's length; under
execution noise the histories hold what was executed, as both players observe it.

Definitions follow Dal Bó & Fréchette (2011, AER, Table 7's set), Fudenberg, Rand & Dreber
(2012, AER, Table 3's set) and the R package stratEst, whose finite automata they match; each
function's docstring states its rule.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Strategy = Callable[[np.ndarray, np.ndarray], np.ndarray]
"""(own history, other's history), each ``(n, t)`` of 0/1, -> ``(n,)`` next intended move."""


def _check(own: np.ndarray, other: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(own)
    b = np.asarray(other)
    if a.ndim != 2 or a.shape != b.shape:
        raise ValueError(f"strategies: own and other must be (n, t) arrays of one shape, got "
                         f"{a.shape} and {b.shape}")
    if a.size and not (np.isin(a, (0, 1)).all() and np.isin(b, (0, 1)).all()):
        raise ValueError("strategies: histories must hold 0 (D) and 1 (C) only")
    return a.astype(np.int8), b.astype(np.int8)


def _const(own: np.ndarray, value: int) -> np.ndarray:
    return np.full(own.shape[0], value, dtype=np.int8)


def all_c(own: np.ndarray, other: np.ndarray) -> np.ndarray:
    """AllC: always cooperate."""
    a, _ = _check(own, other)
    return _const(a, 1)


def all_d(own: np.ndarray, other: np.ndarray) -> np.ndarray:
    """AllD: always defect."""
    a, _ = _check(own, other)
    return _const(a, 0)


def tft(own: np.ndarray, other: np.ndarray) -> np.ndarray:
    """TFT (tit for tat): cooperate in round 1, then play the other's last move."""
    a, b = _check(own, other)
    return _const(a, 1) if a.shape[1] == 0 else b[:, -1].copy()


def dtft(own: np.ndarray, other: np.ndarray) -> np.ndarray:
    """DTFT (defect then tit for tat): defect in round 1, then play the other's last move."""
    a, b = _check(own, other)
    return _const(a, 0) if a.shape[1] == 0 else b[:, -1].copy()


def _other_defected_last(b: np.ndarray, k: int) -> np.ndarray:
    """Whether the other defected in each of the last ``k`` rounds (False before k rounds)."""
    if b.shape[1] < k:
        return np.zeros(b.shape[0], dtype=bool)
    return (b[:, -k:] == 0).all(axis=1)


def tf2t(own: np.ndarray, other: np.ndarray) -> np.ndarray:
    """TF2T (tit for two tats): cooperate unless the other defected in both of the last two
    rounds."""
    _, b = _check(own, other)
    return (~_other_defected_last(b, 2)).astype(np.int8)


def tf3t(own: np.ndarray, other: np.ndarray) -> np.ndarray:
    """TF3T (tit for three tats): cooperate unless the other defected in each of the last three
    rounds."""
    _, b = _check(own, other)
    return (~_other_defected_last(b, 3)).astype(np.int8)


def t2ft(own: np.ndarray, other: np.ndarray) -> np.ndarray:
    """T2FT (two tits for tat): cooperate unless the other defected in either of the last two
    rounds (every defection is answered with two defections)."""
    _, b = _check(own, other)
    return (b[:, -2:] == 1).all(axis=1).astype(np.int8)


def _grim_k(a: np.ndarray, b: np.ndarray, k: int) -> np.ndarray:
    """Cooperate until ``k`` consecutive rounds in which either player defected, then defect."""
    bad = ((a == 0) | (b == 0)).astype(np.int64)
    t = bad.shape[1]
    if t < k:
        return _const(a, 1)
    run = np.zeros(bad.shape[0], dtype=np.int64)
    hit = np.zeros(bad.shape[0], dtype=bool)
    for j in range(t):
        run = np.where(bad[:, j] == 1, run + 1, 0)
        hit |= run >= k
    return (~hit).astype(np.int8)


def grim(own: np.ndarray, other: np.ndarray) -> np.ndarray:
    """Grim (grim trigger): cooperate until either player defects, then defect forever."""
    a, b = _check(own, other)
    return _grim_k(a, b, 1)


def grim2(own: np.ndarray, other: np.ndarray) -> np.ndarray:
    """Grim2: cooperate until two consecutive rounds occur in which either player defected,
    then defect forever."""
    a, b = _check(own, other)
    return _grim_k(a, b, 2)


def grim3(own: np.ndarray, other: np.ndarray) -> np.ndarray:
    """Grim3: cooperate until three consecutive rounds occur in which either player defected,
    then defect forever."""
    a, b = _check(own, other)
    return _grim_k(a, b, 3)


def wsls(own: np.ndarray, other: np.ndarray) -> np.ndarray:
    """WSLS (win-stay lose-shift, Pavlov): cooperate in round 1, then cooperate iff both
    players chose the same move in the last round (CC or DD)."""
    a, b = _check(own, other)
    return _const(a, 1) if a.shape[1] == 0 else (a[:, -1] == b[:, -1]).astype(np.int8)


def t2(own: np.ndarray, other: np.ndarray) -> np.ndarray:
    """T2 (trigger with two rounds of punishment, Dal Bó & Fréchette 2011): cooperate in round
    1; in the cooperative state, cooperate, and after a round in which either player defected
    defect in the next two rounds whatever happens, then return to the cooperative state.
    (stratEst's three-state automaton: C --any D--> D --> D --> C.)"""
    a, b = _check(own, other)
    state = np.zeros(a.shape[0], dtype=np.int64)  # 0 cooperative, 1-2 rounds of punishment
    for j in range(a.shape[1]):
        defected = (a[:, j] == 0) | (b[:, j] == 0)
        state = np.where(state == 0, np.where(defected, 1, 0), (state + 1) % 3)
    return (state == 0).astype(np.int8)


STRATEGIES: dict[str, Strategy] = {
    "allc": all_c, "alld": all_d, "tft": tft, "grim": grim, "wsls": wsls, "t2": t2,
    "tf2t": tf2t, "tf3t": tf3t, "t2ft": t2ft, "grim2": grim2, "grim3": grim3, "dtft": dtft,
}
"""Every strategy by its lower-case name (the policy kinds the game ships)."""

NAMES: dict[str, str] = {
    "allc": "AllC", "alld": "AllD", "tft": "TFT", "grim": "Grim", "wsls": "WSLS", "t2": "T2",
    "tf2t": "TF2T", "tf3t": "TF3T", "t2ft": "T2FT", "grim2": "Grim2", "grim3": "Grim3",
    "dtft": "DTFT",
}
"""Display names, as in the papers."""


def play(strategy: str | Strategy, other: str | Strategy, rounds: int) -> np.ndarray:
    """Noise-free play of two strategies for ``rounds`` rounds: ``(2, rounds)`` moves."""
    f = STRATEGIES[strategy] if isinstance(strategy, str) else strategy
    g = STRATEGIES[other] if isinstance(other, str) else other
    h = np.zeros((2, 0), dtype=np.int8)
    for _ in range(rounds):
        x = f(h[0:1], h[1:2])[0]
        y = g(h[1:2], h[0:1])[0]
        h = np.concatenate([h, np.array([[x], [y]], dtype=np.int8)], axis=1)
    return h
