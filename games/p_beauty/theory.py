"""Equilibrium and bounded-rationality benchmarks of the p-beauty contest.

Guesses lie in [L, U]; the target is ``p`` times the mean guess.

* p < 1: iterated elimination of dominated guesses shrinks the upper end to ``U·p^k`` (guesses
  above ``p·U`` can never be closest), so the unique equilibrium has everyone at ``L``. With
  integer guesses on [0, U] both all-0 and all-1 survive (Nagel 1995; Ho, Camerer & Weigelt 1998).
* p > 1: all-``U`` is an equilibrium; all-0 is one too when ``L = 0``, except under
  winner-takes-prize with ``p > n/2`` (a lone deviator to x lands closer to the target p·x/n
  than the others at 0). Under the distance payoff with ``p > n`` a guess pulls the target away
  faster than it moves, so only all-``L`` is an equilibrium (``p = n``: every common guess).
* p = 1: every common guess is an equilibrium.
* Integer guesses: rounding adds equilibria next to the bounds (all-1 for n = 10 and p = 2/3
  or 4/3; all of 0..4 for p = 0.9), so :func:`symmetric_equilibria` enumerates them exactly.
* Level-k (Nagel 1995): level-0 is uniform with mean ``(L+U)/2``. Distance payoff: level-k
  guesses ``p^k (L+U)/2`` clipped to the bounds (33.3, 22.2, 14.8 for p = 2/3 on [0,100]).
  Winner-takes-prize: level-k is the best response in expected prize share (ties split) to
  ``n − 1`` level-(k−1) players, which differs in small groups (n = 2, p < 1: the lower guess
  always wins, so every level guesses ``L``) and coincides with Nagel's rounded values for
  levels 1-3 in large ones (n = 50, p = 1/2 and 2/3).
* Poisson cognitive hierarchy (Camerer, Ho & Chong 2004): step 0 is uniform; step k best
  responds to the normalised Poisson(τ) mix of steps 0..k-1. Distance payoff: ``p`` times that
  mix's mean (large-group approximation, as in the paper's beauty-contest fits).
  Winner-takes-prize: the best response in expected prize share to others drawn from the mix.
* :func:`action_utilities`: expected payoffs under the configured rule (winner-takes-prize:
  exact expected shares, see :mod:`games.p_beauty.expected`), what the logit quantal
  response policy plays and the report's logit λ is fitted with.

Symmetric pure equilibria are verified by brute force over unilateral deviations in
:func:`is_symmetric_equilibrium`, which the tests use to check the closed forms above.
"""

from __future__ import annotations

import functools

import numpy as np

from games.p_beauty import expected
from games.p_beauty.config import PayoffRule, PBeautyConfig
from games.p_beauty.expected import LEVEL0, Belief


def midpoint(config: PBeautyConfig) -> float:
    """Mean guess of a level-0 (uniform) player."""
    return (config.lower + config.upper) / 2


def _legal(config: PBeautyConfig, x: np.ndarray | float) -> np.ndarray:
    x = np.clip(np.asarray(x, dtype=np.float64), config.lower, config.upper)
    return np.round(x) if config.integer else x


def max_distance(config: PBeautyConfig) -> float:
    """Largest possible distance between a legal guess and the target.

    The target lies in ``[p·L, p·U]``, so this is ``max(U − p·L, p·U − L)``: ``U − L`` when
    ``L = 0`` and ``p <= 1``, more when ``p > 1`` or ``L > 0``. It scales the distance payoff so
    that payoffs stay in ``[0, prize]`` and strictly decrease in the distance.
    """
    lo, hi, p = config.lower, config.upper, config.p
    return float(max(hi - p * lo, p * hi - lo))


def payoffs(config: PBeautyConfig, guesses: np.ndarray) -> np.ndarray:
    """Payoffs of one round for guess profiles of shape ``(..., n_players)``."""
    g = np.asarray(guesses, dtype=np.float64)
    target = config.p * g.mean(axis=-1, keepdims=True)
    dist = np.abs(g - target)
    if config.payoff is PayoffRule.DISTANCE:
        return config.prize * (1.0 - dist / max_distance(config))
    winners = dist <= dist.min(axis=-1, keepdims=True) + 1e-9
    return config.prize * winners / winners.sum(axis=-1, keepdims=True)


def is_symmetric_equilibrium(config: PBeautyConfig, guess: float,
                             deviations: np.ndarray | None = None) -> bool:
    """Whether everyone guessing ``guess`` is a Nash equilibrium (no profitable deviation).

    Deviations default to every integer guess (integer games) or a 2,001-point grid plus the
    bounds (real games).
    """
    n = config.n_players
    if deviations is None:
        if config.integer:
            deviations = np.arange(config.lower, config.upper + 1)
        else:
            deviations = np.linspace(config.lower, config.upper, 2001)
    deviations = np.asarray(deviations, dtype=np.float64)
    base = payoffs(config, np.full(n, guess))[0]
    profiles = np.full((deviations.size, n), guess, dtype=np.float64)
    profiles[:, 0] = deviations
    gains = payoffs(config, profiles)[:, 0] - base
    return bool(np.all(gains <= 1e-12))


def symmetric_equilibria(config: PBeautyConfig) -> list[float]:
    """Common guesses that are pure Nash equilibria.

    Real guesses: the closed forms in the module doc. Integer guesses: every common guess that
    :func:`is_symmetric_equilibrium` confirms (rounding makes closed forms case by case).
    """
    lo, hi, p = config.lower, config.upper, config.p
    if config.integer:
        return [float(g) for g in np.arange(lo, hi + 1) if is_symmetric_equilibrium(config, g)]
    n, winner = config.n_players, config.payoff is PayoffRule.WINNER_TAKES_PRIZE
    if p == 1 or (not winner and p == n):
        raise ValueError(f"p = {p:g} with real guesses: every common guess is an equilibrium")
    if p < 1 or (not winner and p > n):
        return [float(lo)]
    eq = [float(hi)]
    if lo == 0 and not (winner and p > n / 2):
        eq.insert(0, 0.0)
    return eq


def equilibrium_action(config: PBeautyConfig) -> float:
    """The equilibrium guess scripted Nash players use (the iterated-dominance limit)."""
    pushes_down = config.payoff is PayoffRule.DISTANCE and config.p > config.n_players
    return float(config.lower if config.p < 1 or pushes_down else config.upper)


def iterated_dominance(config: PBeautyConfig, steps: int) -> np.ndarray:
    """Intervals ``(low_k, high_k)`` left after ``k = 0..steps`` rounds of elimination."""
    k = np.arange(steps + 1)
    if config.p <= 1:
        highs = np.maximum(config.lower, config.upper * config.p ** k)
        lows = np.full(k.size, config.lower)
    else:
        lows = np.minimum(config.upper, config.lower * config.p ** k)
        highs = np.full(k.size, config.upper)
    return np.stack([lows, highs], axis=1)


def level_k_action(config: PBeautyConfig, k: int) -> float:
    """Guess of a level-k player (k >= 1); level 0 plays uniformly at random.

    Distance payoff: Nagel's ``p^k·(L+U)/2`` made legal. Winner-takes-prize: the best response,
    in expected prize share, to ``n − 1`` others at level ``k − 1`` (uniform for ``k = 1``,
    else all at level ``k − 1``'s guess); see :func:`_best_response` for ties.
    """
    if k < 1:
        raise ValueError(f"level-k guesses are defined for k >= 1 (level 0 is random), got {k}")
    if config.payoff is PayoffRule.DISTANCE:
        return float(_legal(config, midpoint(config) * config.p ** k))
    return _winner_level_k(config, k)


_LEVEL_K: dict[PBeautyConfig, list[float]] = {}
"""Winner-takes-prize levels 1, 2, ... per config (each best responds to the one below)."""


def _winner_level_k(config: PBeautyConfig, k: int) -> float:
    chain = list(_LEVEL_K.get(config, ()))
    # a guess that best responds to itself is played by every higher level too
    while len(chain) < k and not (len(chain) >= 2 and chain[-1] == chain[-2]):
        x = chain[-1] if chain else None
        chain.append(_best_response(config, LEVEL0, midpoint(config)) if x is None
                     else _best_response(config, Belief(0.0, (x,), (1.0,)), x))
    if len(_LEVEL_K) > 256:
        _LEVEL_K.clear()
    if len(chain) > len(_LEVEL_K.get(config, ())):
        _LEVEL_K[config] = chain
    return chain[min(k, len(chain)) - 1]


def _best_response(config: PBeautyConfig, belief: Belief, belief_mean: float) -> float:
    """Legal guess with the highest expected prize share against ``belief``.

    Ties (e.g. every guess that beats a crowd at one guess wins the whole prize) go to the guess
    closest to its own target ``p·(g + (n−1)·belief_mean)/n``, then to the lowest. Candidates:
    every legal guess (integer games with at most 201 of them), else 101 evenly spaced legal
    guesses, plus the guess equal to its own target ``g* = p(n−1)·belief_mean/(n−p)`` made
    legal (the exact best response to a point belief whenever it wins outright). Expected
    shares: exact for integer guesses where feasible, else Monte Carlo with
    ``expected.BR_DRAWS`` draws (see :mod:`games.p_beauty.expected`).
    """
    lo, hi, n, p = config.lower, config.upper, config.n_players, config.p
    if config.integer and hi - lo <= 200:
        cands = np.arange(lo, hi + 1)
    else:
        cands = _legal(config, np.linspace(lo, hi, 101))
    if n != p:
        star = p * (n - 1) * belief_mean / (n - p)
        cands = np.unique(np.concatenate([cands, _legal(config, [star, np.floor(star),
                                                                 np.ceil(star)])]))
    if belief.uniform == 0.0 and len(belief.points) == 1:
        u = _point_utilities(config, cands, belief.points[0])
    else:
        u = expected.expected_shares(config, cands, belief, expected.BR_DRAWS)
    best = u >= u.max() - 1e-12 * config.prize
    off_target = np.abs(cands - p * (cands + (n - 1) * belief_mean) / n)
    return float(cands[best][np.argmin(off_target[best])])


def ch_actions(config: PBeautyConfig, tau: float, k_max: int) -> np.ndarray:
    """Guesses of cognitive-hierarchy steps 0..k_max; entry 0 is level-0's mean guess.

    Distance payoff: step ``k`` guesses ``p`` times the mean of the normalised Poisson(τ) mix of
    steps ``0..k−1`` (CHC's large-group approximation). Winner-takes-prize: step ``k`` best
    responds, in expected prize share, to ``n − 1`` others drawn i.i.d. from that mix (step 0
    uniform over the legal guesses), with the ties of :func:`_best_response`.
    """
    if tau <= 0:
        raise ValueError(f"cognitive hierarchy tau must be > 0, got {tau}")
    return _ch_actions(config, float(tau), int(k_max))


_CH_CHAINS: dict[tuple[PBeautyConfig, float], list[float]] = {}
"""Unrounded CH steps per (config, τ): step k does not depend on ``k_max``, so longer tables
extend shorter ones (winner-takes-prize steps each need a full expected-share computation)."""


def _ch_actions(config: PBeautyConfig, tau: float, k_max: int) -> np.ndarray:
    from scipy.stats import poisson  # slow to import; only cognitive hierarchy needs it

    x = list(_CH_CHAINS.get((config, tau), [midpoint(config)]))
    f = poisson.pmf(np.arange(max(k_max, len(x)) + 1), tau)
    for k in range(len(x), k_max + 1):
        belief = float(np.dot(f[:k], x[:k]) / f[:k].sum())
        if config.payoff is PayoffRule.DISTANCE:
            x.append(float(np.clip(config.p * belief, config.lower, config.upper)))
        else:
            mix = Belief(float(f[0]), tuple(x[1:k]), tuple(float(v) for v in f[1:k]))
            x.append(_best_response(config, mix, belief))
    if len(_CH_CHAINS) > 256:
        _CH_CHAINS.clear()
    if len(x) > len(_CH_CHAINS.get((config, tau), ())):
        _CH_CHAINS[(config, tau)] = x
    out = np.array(x[:k_max + 1])
    out[1:] = _legal(config, out[1:])
    return out


def _point_utilities(config: PBeautyConfig, grid: np.ndarray, others: float) -> np.ndarray:
    """Payoff of each guess when the ``n − 1`` others all guess ``others``."""
    g = np.asarray(grid, dtype=np.float64).reshape(-1)
    prof = np.full((g.size, config.n_players), float(others))
    prof[:, 0] = g
    return payoffs(config, prof)[:, 0]


def action_utilities(config: PBeautyConfig, grid: np.ndarray,
                     belief_mean: float | None = None) -> np.ndarray:
    """Expected payoff of each guess in ``grid`` under the configured payoff rule.

    The belief about the ``n − 1`` others (what the logit quantal response policy and the QRE
    fits use):

    * ``belief_mean=None`` (default): level 0, the others i.i.d. uniform over the legal
      guesses. Winner-takes-prize: the exact expected prize share with ties split as in the
      kernel (integer guesses; real guesses: a fixed-seed Monte Carlo with standard error at
      most ``prize/(2√R)``, ``R`` up to 20,000). Distance payoff: the exact expectation over
      the others' sum (real guesses: midpoint rule, error at most ``prize/2,000``). See
      :mod:`games.p_beauty.expected`.
    * ``belief_mean=m``: the others all guess ``m`` (a point belief, what a level-k player
      believes of the level below; ``m`` need not be legal), under either rule exactly.

    Own guess included in the mean; the distance payoff is
    ``prize·(1 − |g − target| / max_distance)``.
    """
    g = np.asarray(grid, dtype=np.float64)
    if config.payoff is PayoffRule.DISTANCE and belief_mean is not None:
        n = config.n_players
        target = config.p * (g + (n - 1) * belief_mean) / n
        return config.prize * (1.0 - np.abs(g - target) / max_distance(config))
    if config.payoff is PayoffRule.DISTANCE:
        return expected.expected_distance_payoffs(config, g, max_distance(config))
    if belief_mean is not None:
        return _point_utilities(config, g, belief_mean).reshape(g.shape)
    return _level0_shares(config, g.tobytes()).reshape(g.shape).copy()


@functools.lru_cache(maxsize=64)
def _level0_shares(config: PBeautyConfig, grid: bytes) -> np.ndarray:
    return expected.expected_shares(config, np.frombuffer(grid), LEVEL0)
