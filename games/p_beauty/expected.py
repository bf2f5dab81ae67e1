"""Expected payoffs of guesses against beliefs about the other players.

Distance payoff against level 0 (:func:`expected_distance_payoffs`): ``E|g − t|`` needs only the
distribution of the others' sum ``S``, computed exactly for integer guesses (FFT power of the
uniform pmf; continuous uniforms: the midpoint rule on 1,000 cells, payoff error at most
``prize/2,000``), by the normal approximation once the sum has over 10⁷ values.

Under :attr:`PayoffRule.WINNER_TAKES_PRIZE` a guess ``g`` earns ``prize / #winners`` when no other
guess is strictly closer to the target ``t = p·(g + S)/n`` (``S`` the sum of the ``n − 1`` other
guesses) and 0 otherwise, with the kernel's tie tolerance (distances within ``1e-9`` tie, see
:func:`games.p_beauty.theory.payoffs`). The others are i.i.d. draws from a belief:

* :class:`Belief` ``uniform`` weight on level 0 (uniform over the legal guesses: every integer
  of ``[L, U]`` in integer games, the continuous uniform otherwise) plus point masses.

Winner-takes-prize expected shares (:func:`expected_shares`) by two methods, both
deterministic:

* **exact** (integer guesses, every belief): for each guess and each value ``s`` of the others'
  sum, the others must avoid the open interval between ``g`` and its mirror ``2t − g`` (the
  integers strictly closer to ``t``) and may tie at its ends. With ``B`` and ``T`` the
  generating polynomials (in the sum) of one other's allowed non-tying and tying guesses,
  ``E[share | S = s] = [z^s] Σ_m C(n−1, m) B^{n−1−m} T^m / (m + 1)
  = [z^s] ((B + T)^n − B^n) / (n T)``, evaluated on the FFT grid of the sum (series in ``T``
  where ``|T| < 1e-6``). Exact up to floating-point rounding (about ``1e-10``); checked against
  enumeration of every profile in the tests.
* **Monte Carlo** (real guesses, or integer games too large for the exact method): the mean
  payoff under the kernel's rule over ``R`` fixed-seed draws of the others (common to every
  guess), ``R = min(20,000, 4·10⁸ / (grid size · n))`` (4,000 for the level-k and CH best
  responses); the standard error of each expected share is at most ``1 / (2√R)`` (``≤ 0.0036``
  at ``R = 20,000``, ``≤ 0.008`` at 4,000). Sizes needing ``R < 500`` (grid size × n above
  800,000) are refused with a ValueError.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import fft as sfft
from scipy import special

from games.p_beauty.config import PBeautyConfig

TOL = 1e-9
"""Distances within this tie (the kernel's rule)."""
EXACT_BUDGET = 3e9
"""Most complex operations the exact method may take; above it, Monte Carlo."""
MC_BUDGET = 4e8
MC_MAX_DRAWS = 20_000
BR_DRAWS = 4_000
"""Draws of the Monte Carlo best responses (level-k, CH) of real or large games."""
MC_MIN_DRAWS = 500
MC_SEED = 20_021_205


@dataclass(frozen=True)
class Belief:
    """The others' i.i.d. play: level-0 with weight ``uniform``, else ``points`` by ``weights``."""

    uniform: float = 1.0
    points: tuple[float, ...] = ()
    weights: tuple[float, ...] = ()

    def lattice_pmf(self, config: PBeautyConfig) -> np.ndarray:
        """Probabilities of the integer guesses ``L..U`` (integer games)."""
        k = int(config.upper - config.lower) + 1
        q = np.full(k, self.uniform / k)
        for x, w in zip(self.points, self.weights, strict=True):
            i = round(x - config.lower)
            if abs(x - config.lower - i) > TOL or not 0 <= i < k:
                raise ValueError(f"p_beauty: belief point {x:g} is not a legal integer guess")
            q[i] += w
        return q / q.sum()

    def sample(self, config: PBeautyConfig, size: tuple[int, int],
               rng: np.random.Generator) -> np.ndarray:
        """Draws of the others' guesses."""
        total = self.uniform + sum(self.weights)
        comp = rng.choice(len(self.points) + 1, size=size,
                          p=np.array([self.uniform, *self.weights]) / total)
        if config.integer:
            draws = rng.integers(int(config.lower), int(config.upper) + 1, size=size)
        else:
            draws = rng.uniform(config.lower, config.upper, size=size)
        pts = np.array([np.nan, *self.points])
        return np.where(comp == 0, draws, pts[comp]).astype(np.float64)


LEVEL0 = Belief()
DISTANCE_CELLS = 1000
"""Cells of the midpoint rule for continuous level-0 guesses under the distance payoff."""
MAX_SUM_VALUES = 10_000_000


def expected_distance_payoffs(config: PBeautyConfig, grid: np.ndarray,
                              max_distance: float) -> np.ndarray:
    """``E[prize·(1 − |g − t|/max_distance)]`` with the others i.i.d. uniform (level 0).

    ``g − t = (p/n)·(c − S)`` with ``c = g(n − p)/p``, and ``E|c − S| = c(2F(c) − 1) − 2M(c) +
    E[S]`` with ``F``, ``M`` the cumulative probability and first moment of the sum ``S``.
    """
    g = np.asarray(grid, dtype=np.float64)
    n, p, lo = config.n_players, config.p, config.lower
    k = int(config.upper - lo) + 1 if config.integer else DISTANCE_CELLS
    step = 1.0 if config.integer else (config.upper - lo) / k
    first = lo if config.integer else lo + step / 2  # lattice of one other's guesses
    span = (n - 1) * (k - 1) + 1
    c = g * (n - p) / p
    if span <= MAX_SUM_VALUES:
        nfft = sfft.next_fast_len(span, real=True)
        pmf = sfft.irfft(sfft.rfft(np.full(k, 1.0 / k), nfft) ** (n - 1), nfft)[:span]
        pmf = np.clip(pmf, 0, None)
        pmf /= pmf.sum()
        sums = (n - 1) * first + step * np.arange(span)
        cdf, moment = np.cumsum(pmf), np.cumsum(pmf * sums)
        i = np.searchsorted(sums, c, side="right") - 1
        f_c = np.where(i >= 0, cdf[np.maximum(i, 0)], 0.0)
        m_c = np.where(i >= 0, moment[np.maximum(i, 0)], 0.0)
        abs_dev = c * (2 * f_c - 1) - 2 * m_c + moment[-1]
    else:  # normal approximation of the sum of many uniforms
        from scipy.stats import norm

        width = config.upper - lo
        mean = (n - 1) * (lo + config.upper) / 2
        sd = np.sqrt((n - 1) * (((width + 1) ** 2 - 1) if config.integer else width ** 2) / 12)
        z = (c - mean) / sd
        abs_dev = sd * 2 * norm.pdf(z) + (c - mean) * (2 * norm.cdf(z) - 1)
    return config.prize * (1.0 - p / n * np.maximum(abs_dev, 0.0) / max_distance)


def expected_shares(config: PBeautyConfig, grid: np.ndarray, belief: Belief,
                    max_draws: int = MC_MAX_DRAWS) -> np.ndarray:
    """Expected payoff (prize included) of each guess of ``grid`` under winner-takes-prize."""
    g = np.asarray(grid, dtype=np.float64).reshape(-1)
    n = config.n_players
    if config.integer:
        k = config.upper - config.lower + 1
        if g.size * (2 * k + 4) * ((n - 1) * k / 2 + 1) * 40 <= EXACT_BUDGET:
            return config.prize * _exact(config, g, belief.lattice_pmf(config))
    return _monte_carlo(config, g, belief, max_draws)


def _exact(config: PBeautyConfig, grid: np.ndarray, q: np.ndarray) -> np.ndarray:
    n, n1, lo, p = config.n_players, config.n_players - 1, config.lower, config.p
    k = q.size
    span = n1 * (k - 1) + 1
    nfft = sfft.next_fast_len(span, real=True)
    freqs = np.arange(nfft // 2 + 1)
    w = q[:, None] * np.exp(-2j * np.pi * np.outer(np.arange(k), freqs) / nfft)
    cum = np.vstack([np.zeros((1, freqs.size), complex), np.cumsum(w, axis=0)])
    total = cum[-1]
    s_idx = np.arange(span)
    out = np.empty(grid.size)
    for j, g in enumerate(grid):
        t = p * (g + s_idx + n1 * lo) / n
        d0 = np.abs(g - t)
        near, far = t - d0 - lo, t + d0 - lo  # lattice coordinates of the interval's ends
        a = np.clip(np.floor(near + TOL).astype(np.int64) + 1, 0, k)
        b = np.clip(np.ceil(far - TOL).astype(np.int64) - 1, -1, k - 1)
        t_near = _tie_index(near, k)
        t_far = np.where(np.abs(far - near) <= 2 * TOL, -1, _tie_index(far, k))
        keys = np.stack([np.where(a <= b, a, 0), np.where(a <= b, b, -1), t_near, t_far], 1)
        sets, inv = np.unique(keys, axis=0, return_inverse=True)
        forbidden = np.where((sets[:, 1] >= sets[:, 0])[:, None],
                             cum[sets[:, 1] + 1] - cum[sets[:, 0]], 0)
        tie = (np.where((sets[:, 2] >= 0)[:, None], w[np.maximum(sets[:, 2], 0)], 0)
               + np.where((sets[:, 3] >= 0)[:, None], w[np.maximum(sets[:, 3], 0)], 0))
        allowed = total[None] - forbidden - tie
        h = sfft.irfft(_share_transform(allowed, tie, n), nfft, axis=1)
        out[j] = h[inv.reshape(-1), s_idx].sum()
    return out


def _tie_index(x: np.ndarray, k: int) -> np.ndarray:
    i = np.round(x).astype(np.int64)
    return np.where((np.abs(x - i) <= TOL) & (i >= 0) & (i < k), i, -1)


def _share_transform(b: np.ndarray, t: np.ndarray, n: int) -> np.ndarray:
    """``Σ_m C(n−1, m) b^{n−1−m} t^m / (m + 1)`` pointwise."""
    small = np.abs(t) < 1e-6
    safe_t = np.where(small, 1.0, t)
    out = ((b + t) ** n - b ** n) / (n * safe_t)
    if small.any():
        bs, ts = b[small], t[small]
        series = np.zeros_like(bs)
        for m in range(min(4, n)):
            series += special.comb(n - 1, m) * bs ** (n - 1 - m) * ts ** m / (m + 1)
        out[small] = series
    return out


def _monte_carlo(config: PBeautyConfig, grid: np.ndarray, belief: Belief,
                 max_draws: int = MC_MAX_DRAWS) -> np.ndarray:
    n = config.n_players
    draws = int(min(max_draws, MC_BUDGET // (grid.size * n)))
    if draws < MC_MIN_DRAWS:
        raise ValueError(f"p_beauty: expected winner-takes-prize payoffs of {grid.size} guesses "
                         f"with {n:,} players exceed the computation budget; use a smaller "
                         f"grid or group")
    others = belief.sample(config, (draws, n - 1), np.random.default_rng(MC_SEED))
    # theory.payoffs of player 0 for the profiles (g, others) without building them (the same
    # rule; tests check it against the exact shares, which are checked against payoffs itself)
    total = others.sum(axis=1)
    out = np.empty(grid.size)
    chunk = max(1, int(4e6 // (draws * n)))
    for start in range(0, grid.size, chunk):
        gs = grid[start:start + chunk, None]
        t = config.p * (gs + total) / n
        d0 = np.abs(gs - t)
        d = np.abs(others[None] - t[..., None])
        low = np.minimum(d0, d.min(axis=-1)) + TOL
        winners = 1 + (d <= low[..., None]).sum(axis=-1)
        out[start:start + chunk] = np.where(d0 <= low, 1.0 / winners, 0.0).mean(axis=1)
    return config.prize * out
