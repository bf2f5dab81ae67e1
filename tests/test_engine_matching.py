"""Random and fixed pairings of many instances' players (agora.engine.matching)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agora.engine.matching import fixed_pairs, random_pairs
from agora.engine.streams import Streams


@settings(max_examples=50, deadline=None)
@given(rows=st.integers(1, 20), half=st.integers(1, 6), seed=st.integers(0, 2**32 - 1))
def test_random_pairs_is_a_perfect_matching_per_row(rows: int, half: int, seed: int) -> None:
    p = random_pairs(Streams(seed, np.arange(rows)), 2 * half)
    idx = np.arange(2 * half)
    assert p.shape == (rows, 2 * half)
    assert np.all(p != idx) and np.all(np.take_along_axis(p, p, axis=1) == idx)


def test_random_pairs_uses_each_rows_own_stream() -> None:
    a = random_pairs(Streams(3, np.arange(6)), 6)
    b = random_pairs(Streams(3, np.arange(6)).subset([1, 4]), 6)
    assert np.array_equal(a[[1, 4]], b)


def test_random_pairs_is_uniform_over_partners() -> None:
    p = random_pairs(Streams(0, np.arange(30000)), 4)
    counts = np.bincount(p[:, 0], minlength=4)[1:]  # player 0's partner: 1, 2 or 3
    assert np.all(np.abs(counts / counts.sum() - 1 / 3) < 0.015), counts


def test_fixed_pairs_and_odd_players() -> None:
    assert fixed_pairs(2, 4).tolist() == [[1, 0, 3, 2]] * 2
    with pytest.raises(ValueError, match="even"):
        random_pairs(Streams(0, np.arange(2)), 3)
