"""Normal-form games: payoff tensors, best responses, NashConv and Nash equilibria.

* A normal-form game is a payoff tensor ``U`` of shape ``(n_players, m_1, ..., m_n)``; a mixed
  profile ``σ = (σ_1, ..., σ_n)`` has expected payoffs ``u_i(σ) = Σ_a U_i(a) Π_j σ_j(a_j)``.
  Player i's best-response gain is ``max_a u_i(a, σ_−i) − u_i(σ) >= 0``; NashConv is their sum
  and ``σ`` is an ε-Nash equilibrium iff every gain is <= ε (Nash 1951; Lanctot et al. 2017).
* Equilibria are computed by maintained solvers, not by hand-written enumeration: nashpy
  (Knight & Campbell 2018) support enumeration for two players, which finds every equilibrium of
  a non-degenerate bimatrix game (vertex enumeration is added when the count is even, the sign
  of degeneracy or a numerical miss); pygambit (McKelvey, McLennan & Turocy, Gambit 16) ``enumpure``
  plus ``enumpoly`` (all equilibria by support enumeration over polynomial systems) or ``gnm``
  (global Newton, one or more equilibria) for three or more players.
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

Profile = tuple[np.ndarray, ...]


def as_payoff_tensor(payoffs: np.ndarray | Sequence[np.ndarray]) -> np.ndarray:
    """Stack per-player payoff arrays into one ``(n_players, m_1, ..., m_n)`` tensor."""
    u = np.asarray(payoffs, dtype=np.float64)
    if u.ndim < 2 or u.shape[0] != u.ndim - 1:
        raise ValueError("payoffs must have shape (n_players, m_1, ..., m_n) with one action "
                         f"axis per player; got {u.shape}")
    return u


def _pure_to_mixed(u: np.ndarray, profile: Sequence[Any]) -> Profile:
    out = []
    for i, s in enumerate(profile):
        a = np.asarray(s, dtype=np.float64)
        m = u.shape[i + 1]
        if a.ndim == 0:
            v = np.zeros(m)
            v[int(a)] = 1.0
            a = v
        if a.shape != (m,) or np.any(a < -1e-12) or abs(a.sum() - 1) > 1e-6:
            raise ValueError(f"player {i}: strategy must be an action index or a probability "
                             f"vector of length {m}")
        out.append(a)
    return tuple(out)


def action_values(payoffs: np.ndarray | Sequence[np.ndarray],
                  profile: Sequence[Any]) -> list[np.ndarray]:
    """``u_i(a, σ_−i)`` for every player i and action a (pure actions may be given as indices)."""
    u = as_payoff_tensor(payoffs)
    sigma = _pure_to_mixed(u, profile)
    n = u.shape[0]
    out = []
    for i in range(n):
        t = u[i]
        # contract every other player's axis with their mixed strategy, highest axis first
        for j in reversed(range(n)):
            if j != i:
                t = np.tensordot(t, sigma[j], axes=([j], [0]))
        out.append(t)
    return out


def expected_payoffs(payoffs: np.ndarray | Sequence[np.ndarray],
                     profile: Sequence[Any]) -> np.ndarray:
    """Expected payoff of every player under a (mixed or pure) profile."""
    u = as_payoff_tensor(payoffs)
    sigma = _pure_to_mixed(u, profile)
    vals = action_values(u, sigma)
    return np.array([v @ s for v, s in zip(vals, sigma, strict=True)])


def best_responses(payoffs: np.ndarray | Sequence[np.ndarray], profile: Sequence[Any],
                   tol: float = 1e-9) -> list[np.ndarray]:
    """Indices of each player's pure best responses to the others' strategies."""
    return [np.flatnonzero(v >= v.max() - tol) for v in action_values(payoffs, profile)]


def best_response_gains(payoffs: np.ndarray | Sequence[np.ndarray],
                        profile: Sequence[Any]) -> np.ndarray:
    """Per-player gain ``max_a u_i(a, σ_−i) − u_i(σ)`` from a unilateral best response."""
    u = as_payoff_tensor(payoffs)
    sigma = _pure_to_mixed(u, profile)
    vals = action_values(u, sigma)
    return np.array([max(0.0, float(v.max() - v @ s)) for v, s in zip(vals, sigma, strict=True)])


def nash_conv(payoffs: np.ndarray | Sequence[np.ndarray], profile: Sequence[Any]) -> float:
    """NashConv: the sum of best-response gains (0 exactly at a Nash equilibrium)."""
    return float(best_response_gains(payoffs, profile).sum())


def is_epsilon_nash(payoffs: np.ndarray | Sequence[np.ndarray], profile: Sequence[Any],
                    epsilon: float = 1e-9) -> bool:
    """Whether no player gains more than ``epsilon`` by deviating."""
    return bool(np.all(best_response_gains(payoffs, profile) <= epsilon))


def empirical_profile(actions: np.ndarray, n_actions: Sequence[int]) -> Profile:
    """Mixed profile from observed action indices, shape ``(n_observations, n_players)``."""
    a = np.asarray(actions, dtype=np.int64)
    if a.ndim != 2 or a.shape[1] != len(n_actions):
        raise ValueError("actions must have shape (n_observations, n_players)")
    return tuple(np.bincount(a[:, i], minlength=m) / a.shape[0]
                 for i, m in enumerate(n_actions))


@dataclass(frozen=True, kw_only=True)
class Equilibrium:
    """A Nash equilibrium of a normal-form game."""

    strategies: Profile
    payoffs: np.ndarray
    pure: bool
    solver: str

    def __repr__(self) -> str:
        s = ", ".join(np.array2string(x, precision=4, suppress_small=True)
                      for x in self.strategies)
        return f"Equilibrium([{s}], payoffs={np.round(self.payoffs, 4).tolist()})"


def gambit_available() -> bool:
    """Whether pygambit (the n-player solver) is importable."""
    try:
        importlib.import_module("pygambit")
    except ImportError:
        return False
    return True


def nash_equilibria(payoffs: np.ndarray | Sequence[np.ndarray], *,
                    solver: str = "auto", tol: float = 1e-7) -> list[Equilibrium]:
    """Nash equilibria of a normal-form game through a maintained solver.

    Args:
        payoffs: ``(n_players, m_1, ..., m_n)`` payoff tensor or a list of per-player arrays.
        solver: ``"auto"`` (nashpy support enumeration for two players, pygambit ``enumpoly``
            for more), ``"nashpy"``, ``"gambit"`` (enumpure + enumpoly), ``"gambit-gnm"``
            (global Newton; finds some, not necessarily all, equilibria) or
            ``"gambit-pure"`` (pure equilibria only).
        tol: Profiles are deduplicated within ``tol`` and kept only if they are ε-Nash with
            ``ε = 1e3·tol`` relative to the payoff range.

    Raises:
        ImportError: pygambit is needed for three or more players and is not installed.
    """
    u = as_payoff_tensor(payoffs)
    n = u.shape[0]
    if solver == "auto":
        solver = "nashpy" if n == 2 else "gambit"
    if solver == "nashpy":
        if n != 2:
            raise ValueError("nashpy solves two-player games only; use solver='gambit'")
        raw, name = _nashpy(u), "nashpy.support_enumeration"
    elif solver.startswith("gambit"):
        raw, name = _gambit(u, solver), f"pygambit.{solver}"
    else:
        raise ValueError(f"unknown solver {solver!r}")
    scale = max(1.0, float(np.ptp(u)))
    out: list[Equilibrium] = []
    for prof in raw:
        prof = tuple(np.clip(np.asarray(s, dtype=np.float64), 0, None) for s in prof)
        prof = tuple(s / s.sum() for s in prof)
        if best_response_gains(u, prof).max() > 1e3 * tol * scale:
            continue
        if any(all(np.allclose(a, b, atol=1e-5) for a, b in zip(prof, e.strategies, strict=True))
               for e in out):
            continue
        pure = all(np.isclose(s.max(), 1.0) for s in prof)
        out.append(Equilibrium(strategies=prof, payoffs=expected_payoffs(u, prof), pure=pure,
                               solver=name))
    return out


def _nashpy(u: np.ndarray) -> list[Profile]:
    import nashpy

    game = nashpy.Game(u[0], u[1])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        found = list(game.support_enumeration())
        if len(found) % 2 == 0:
            # a non-degenerate game has an odd number of equilibria; an even count means a
            # degenerate game or a numerical miss, so add vertex enumeration's extreme points
            found += list(game.vertex_enumeration())
    return [tuple(np.asarray(s, dtype=np.float64) for s in eq) for eq in found]


def _gambit(u: np.ndarray, solver: str) -> list[Profile]:
    try:
        gbt = importlib.import_module("pygambit")
    except ImportError as exc:
        raise ImportError("n-player equilibria need pygambit (pip install pygambit); "
                          "two-player games work with nashpy alone") from exc
    factory = getattr(gbt, "StrategicGame", None) or gbt.Game  # pygambit 17 renamed the class
    game = factory.from_arrays(*[np.asarray(x) for x in u])
    results = []
    if solver in ("gambit", "gambit-pure"):
        results.append(gbt.nash.enumpure_solve(game))
    if solver == "gambit":
        results.append(gbt.nash.enumpoly_solve(game, use_strategic=True))
    if solver == "gambit-gnm":
        results.append(gbt.nash.gnm_solve(game))
    if not results:
        raise ValueError(f"unknown gambit solver {solver!r}")
    return [_gambit_profile(game, eq) for res in results for eq in res.equilibria]


def _gambit_profile(game: Any, eq: Any) -> Profile:
    out = []
    for player in game.players:
        strategy = eq[player]
        probs = []
        for item in strategy:  # pygambit 16 yields probabilities, 17 (label, probability)
            probs.append(float(item[1] if isinstance(item, tuple) else item))
        out.append(np.array(probs))
    return tuple(out)


def pure_equilibria(payoffs: np.ndarray | Sequence[np.ndarray]) -> list[tuple[int, ...]]:
    """Pure-strategy equilibria by a vectorised best-response check (a cross-check of solvers)."""
    u = as_payoff_tensor(payoffs)
    ok = np.ones(u.shape[1:], dtype=bool)
    for i in range(u.shape[0]):
        ok &= u[i] >= u[i].max(axis=i, keepdims=True) - 1e-12
    return [tuple(int(k) for k in idx) for idx in zip(*np.nonzero(ok), strict=True)]
