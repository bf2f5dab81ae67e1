"""Keyed random streams: one independent stream per row (per decision or per game instance).

A :class:`Streams` object is what the runner hands a policy as ``rng`` (one row per decision of
the batch) and what a kernel holds as ``self.rng`` (one row per game instance). Every number a
row receives is a hash of the stream key, the row's *global* id (instance and player, never its
position in the batch) and how many draws that row has made so far. So a decision's randomness
does not depend on which other decisions share its batch: a population split into shards, or
played with a different mixture of policies on other seats, draws exactly the same numbers for
the same seat. This is what makes a sharded run equal to the unsharded one.

The generator is counter based (a SplitMix64 finaliser over ``key``, ``row``, ``draw`` and the
column of a multi-column draw), vectorised in numpy: a draw for 100,000 rows costs a few
array passes. The methods follow :class:`numpy.random.Generator` where they overlap
(``random``, ``uniform``, ``normal``, ``integers``, ``choice``, ``beta``), with one rule: the
first axis of ``size`` is the row axis and must equal ``len(streams)``. For code that draws
row by row (sampling a structured offer, say), :meth:`Streams.generator` gives a row its own
:class:`numpy.random.Generator`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.special import betaincinv, ndtri

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_ROW_SALT = np.uint64(0xD1B54A32D192ED03)
_S30, _S27, _S31, _S11 = (np.uint64(s) for s in (30, 27, 31, 11))
_MASK63 = (1 << 63) - 1

Size = int | Sequence[int] | None

STREAMS_VERSION = "keyed-splitmix64-v1"
"""Recorded in run manifests and fingerprints: a run directory written with another random
scheme is never resumed with this one."""


def _mix(x: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser (a bijection of uint64 with full avalanche), vectorised."""
    x = x ^ (x >> _S30)
    x = x * _M1
    x = x ^ (x >> _S27)
    x = x * _M2
    return x ^ (x >> _S31)


def key_of(seed: int | np.random.SeedSequence, *path: int) -> int:
    """A 64-bit stream key from a seed and a path of integers (e.g. a step number)."""
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    if path:
        ss = np.random.SeedSequence(ss.entropy, spawn_key=(*ss.spawn_key, *path))
    return int(ss.generate_state(1, np.uint64)[0])


class Streams:
    """Independent random streams for ``rows`` (global ids) under one ``key``.

    Args:
        key: 64-bit stream key (see :func:`key_of`).
        rows: Global id of every row (e.g. ``instance * n_players + player``); ids must be
            unique within one object.
    """

    __slots__ = ("_base", "_counts", "_pos", "key", "rows")

    def __init__(self, key: int, rows: np.ndarray | Sequence[int]) -> None:
        self.key = int(key) & ((1 << 64) - 1)
        self.rows = np.ascontiguousarray(rows, dtype=np.uint64).reshape(-1)
        self._counts = np.zeros(self.rows.size, dtype=np.uint64)
        self._pos: np.ndarray | None = None  # positions in a parent's counters (subsets)
        self._base: np.ndarray | None = None

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_seed(cls, seed: int | np.random.SeedSequence, n_rows: int,
                  *path: int) -> Streams:
        """Streams for rows ``0 .. n_rows - 1`` keyed by ``seed`` (and ``path``)."""
        return cls(key_of(seed, *path), np.arange(n_rows, dtype=np.uint64))

    @classmethod
    def coerce(cls, rng: Streams | np.random.Generator, n_rows: int) -> Streams:
        """``rng`` itself, or streams for ``n_rows`` rows keyed by a draw of a Generator."""
        if isinstance(rng, Streams):
            if len(rng) != n_rows:
                raise ValueError(f"streams have {len(rng)} rows, the batch has {n_rows}")
            return rng
        if isinstance(rng, np.random.Generator):
            return cls(int(rng.integers(0, 2**63, dtype=np.uint64)),
                       np.arange(n_rows, dtype=np.uint64))
        raise TypeError(f"expected agora Streams or a numpy Generator, got {type(rng).__name__}")

    def subset(self, index: np.ndarray | Sequence[int]) -> Streams:
        """The streams of some rows (a mask or positions); draws advance the parent's rows."""
        idx = np.asarray(index)
        if idx.dtype == bool:
            if idx.size != self.rows.size:
                raise ValueError(f"mask has {idx.size} entries, streams have {self.rows.size}")
            idx = np.flatnonzero(idx)
        idx = idx.astype(np.intp, copy=False).reshape(-1)
        sub = Streams.__new__(Streams)
        sub.key, sub.rows, sub._counts = self.key, self.rows[idx], self._counts
        sub._pos = idx if self._pos is None else self._pos[idx]
        sub._base = None if self._base is None else self._base[idx]
        return sub

    def __len__(self) -> int:
        return int(self.rows.size)

    def __repr__(self) -> str:
        return f"Streams(key={self.key:#018x}, rows={len(self)})"

    def __getstate__(self) -> dict[str, Any]:
        return {"key": self.key, "rows": self.rows, "counts": self._counts, "pos": self._pos}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.key, self.rows = state["key"], state["rows"]
        self._counts, self._pos, self._base = state["counts"], state["pos"], None

    # ------------------------------------------------------------------ raw bits
    def _next(self) -> np.ndarray:
        """One fresh 64-bit word per row; advances every row's draw counter."""
        if self._base is None:
            with np.errstate(over="ignore"):
                self._base = _mix(np.uint64(self.key) ^ _mix(self.rows * _ROW_SALT + _GOLDEN))
        pos = self._pos
        if pos is None:
            count = self._counts + np.uint64(1)
            self._counts[:] = count
        else:
            count = self._counts[pos] + np.uint64(1)
            self._counts[pos] = count
        with np.errstate(over="ignore"):
            return _mix(self._base + count * _GOLDEN)

    def _bits(self, size: Size) -> np.ndarray:
        shape = self._shape(size)
        word = self._next()
        if len(shape) == 1:
            return word
        cols = int(np.prod(shape[1:]))
        col = (np.arange(1, cols + 1, dtype=np.uint64) * _ROW_SALT)[None, :]
        return _mix(word[:, None] ^ col).reshape(shape)

    def _shape(self, size: Size) -> tuple[int, ...]:
        n = len(self)
        if size is None:
            return (n,)
        shape = (int(size),) if isinstance(size, int | np.integer) else tuple(
            int(s) for s in size)
        if not shape or shape[0] != n:
            raise ValueError(f"the first axis of size must be the {n} rows of these streams, "
                             f"got size={size!r}; draw for a sub-batch with .subset(index)")
        return shape

    # ------------------------------------------------------------------ distributions
    def random(self, size: Size = None) -> np.ndarray:
        """Uniform floats in the open interval (0, 1)."""
        return ((self._bits(size) >> _S11).astype(np.float64) + 0.5) * 2.0**-53

    def uniform(self, low: Any = 0.0, high: Any = 1.0, size: Size = None) -> np.ndarray:
        """Uniform floats in ``[low, high)`` (parameters broadcast against ``size``)."""
        low, high = np.asarray(low, dtype=np.float64), np.asarray(high, dtype=np.float64)
        u = self.random(size)
        return low + (high - low) * u

    def normal(self, loc: Any = 0.0, scale: Any = 1.0, size: Size = None) -> np.ndarray:
        """Gaussian draws (inverse-CDF transform of :meth:`random`)."""
        return np.asarray(loc, dtype=np.float64) + np.asarray(scale, dtype=np.float64) * ndtri(
            self.random(size))

    def beta(self, a: Any, b: Any, size: Size = None) -> np.ndarray:
        """Beta(a, b) draws (inverse regularised incomplete beta function)."""
        return betaincinv(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64),
                          self.random(size))

    def integers(self, low: int, high: int | None = None, size: Size = None,
                 endpoint: bool = False) -> np.ndarray:
        """Integers in ``[low, high)`` (``[0, low)`` with one bound; ``endpoint`` closes it)."""
        if high is None:
            low, high = 0, low
        span = int(high) - int(low) + (1 if endpoint else 0)
        if span <= 0:
            raise ValueError(f"integers: empty range [{low}, {high}{']' if endpoint else ')'}")
        if span > _MASK63:
            raise ValueError("integers: the range must be below 2**63")
        return int(low) + (self._bits(size) % np.uint64(span)).astype(np.int64)

    def choice(self, a: int | np.ndarray | Sequence[Any], size: Size = None,
               p: np.ndarray | Sequence[float] | None = None) -> np.ndarray:
        """One element of ``a`` per row, uniformly or with probabilities ``p``.

        ``p`` is one distribution shared by every row (shape ``(k,)``) or one per row (shape
        ``(rows, k)``).
        """
        pool = np.arange(a) if isinstance(a, int | np.integer) else np.asarray(a)
        k = pool.shape[0]
        if k == 0:
            raise ValueError("choice: cannot choose from an empty sequence")
        if p is None:
            return pool[self.integers(0, k, size=size)]
        prob = np.asarray(p, dtype=np.float64)
        if prob.shape[-1] != k or np.any(prob < 0) or not np.all(np.isfinite(prob)):
            raise ValueError(f"choice: p must be {k} finite non-negative probabilities")
        cdf = np.cumsum(prob, axis=-1)
        if prob.ndim == 1:
            u = self.random(size) * cdf[-1]
            return pool[np.minimum(np.searchsorted(cdf, u, side="right"), k - 1)]
        if prob.shape[0] != len(self):
            raise ValueError(f"choice: per-row p needs {len(self)} rows, got {prob.shape[0]}")
        if size is not None and self._shape(size) != (len(self),):
            raise ValueError("choice: per-row p draws one value per row")
        u = self.random() * cdf[:, -1]
        return pool[np.minimum((cdf <= u[:, None]).sum(axis=1), k - 1)]

    def generator(self, i: int) -> np.random.Generator:
        """A numpy Generator for row ``i`` alone (advances that row's draw counter once)."""
        word = self.subset(np.array([i]))._next()[0]
        return np.random.Generator(np.random.Philox(key=int(word)))
