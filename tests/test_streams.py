"""Keyed random streams: independence from the batch, distributions, and partial runs."""

from __future__ import annotations

import pickle

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal
from scipy import stats

from agora.engine.runner import Personas, Runner
from agora.engine.streams import Streams
from agora.policies import CognitiveHierarchyPolicy, QuantalResponsePolicy, RandomPolicy

N = 200_000


@given(rows=st.lists(st.integers(0, 2**40), min_size=1, max_size=40, unique=True),
       key=st.integers(0, 2**64 - 1), draws=st.integers(1, 4), data=st.data())
@settings(max_examples=60, deadline=None)
def test_a_rows_numbers_do_not_depend_on_the_other_rows(rows: list[int], key: int, draws: int,
                                                       data: st.DataObject) -> None:
    whole = Streams(key, rows)
    full = [whole.random() for _ in range(draws)]
    keep = data.draw(st.lists(st.integers(0, len(rows) - 1), min_size=1, unique=True))
    alone = Streams(key, [rows[i] for i in keep])  # the same rows in another batch
    for d in range(draws):
        np.testing.assert_array_equal(alone.random(), full[d][keep])


def test_subset_draws_advance_only_their_rows() -> None:
    s = Streams(7, np.arange(10))
    s.subset([2, 5]).random()
    after = s.random()
    ref = Streams(7, np.arange(10))
    first, second = ref.random(), ref.random()
    np.testing.assert_array_equal(after[[2, 5]], second[[2, 5]])
    np.testing.assert_array_equal(np.delete(after, [2, 5]), np.delete(first, [2, 5]))
    nested = Streams(7, np.arange(10)).subset(np.arange(10) >= 4).subset([1])
    assert nested.random()[0] == first[5]


def test_streams_pickle_with_their_counters() -> None:
    s = Streams(3, np.arange(5))
    s.random()
    copy = pickle.loads(pickle.dumps(s))
    np.testing.assert_array_equal(copy.normal(), s.normal())


def test_size_must_lead_with_the_rows() -> None:
    s = Streams(1, np.arange(4))
    assert s.random((4, 3)).shape == (4, 3)
    with pytest.raises(ValueError, match="first axis of size must be the 4 rows"):
        s.random(3)
    with pytest.raises(ValueError, match="empty range"):
        s.integers(3, 3)
    with pytest.raises(ValueError, match="finite non-negative"):
        s.choice(3, p=[0.5, -0.1, 0.6])


def test_uniform_columns_and_rows_are_independent_and_uniform() -> None:
    s = Streams(11, np.arange(N))
    u = s.random((N, 3))
    assert u.min() > 0 and u.max() < 1
    for c in range(3):
        assert stats.kstest(u[:, c], "uniform").pvalue > 1e-4
    corr = np.corrcoef(np.column_stack([u, s.random()]).T)
    assert np.abs(corr[np.triu_indices(4, 1)]).max() < 0.01  # 0.01 = 4.5 standard errors


def test_distributions_match_their_laws() -> None:
    s = Streams(12, np.arange(N))
    assert stats.kstest(s.normal(2.0, 3.0), "norm", args=(2.0, 3.0)).pvalue > 1e-4
    assert stats.kstest(s.beta(0.7, 2.5), "beta", args=(0.7, 2.5)).pvalue > 1e-4
    assert stats.kstest(s.uniform(-1.0, 4.0), "uniform", args=(-1.0, 5.0)).pvalue > 1e-4
    counts = np.bincount(s.integers(0, 6), minlength=6)
    assert stats.chisquare(counts).pvalue > 1e-4
    p = np.array([0.1, 0.2, 0.7])
    picks = np.bincount(s.choice(3, p=p), minlength=3)
    assert stats.chisquare(picks, p * N).pvalue > 1e-4
    per_row = np.tile([[0.0, 1.0, 0.0]], (N, 1))
    per_row[::2] = [1.0, 0.0, 0.0]
    chosen = s.choice(np.array([10, 20, 30]), p=per_row)
    assert (chosen[::2] == 10).all() and (chosen[1::2] == 20).all()


def test_generator_of_a_row_is_reproducible() -> None:
    a = Streams(5, np.arange(3)).generator(1).random(4)
    b = Streams(5, np.arange(3)).generator(1).random(4)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, Streams(5, np.arange(3)).generator(2).random(4))


# ---------------------------------------------------------------------- partial runs
MIXTURE = [(CognitiveHierarchyPolicy(tau=1.5), 0.5), (QuantalResponsePolicy(lam=0.3), 0.3),
           (RandomPolicy(), 0.2)]


def _run(n: int, rng_range: tuple[int, int] | None = None, **kw: object) -> pl.DataFrame:
    return Runner("p_beauty", {"n_players": 3, "rounds": 3}, policy=MIXTURE, n_instances=n,
                  seed=21, progress=False, instance_range=rng_range, **kw).run().records


@given(bounds=st.tuples(st.integers(0, 17), st.integers(1, 18)).filter(lambda b: b[0] < b[1]))
@settings(max_examples=15, deadline=None)
def test_an_instance_range_plays_the_whole_runs_rows(bounds: tuple[int, int]) -> None:
    whole = _run(18)
    part = _run(18, bounds)
    a, b = bounds
    expected = whole.filter(pl.col("instance").is_between(a, b - 1))
    # a block without any seat of a policy lacks that policy's columns (all null in the block)
    missing = [c for c in expected.columns if c not in part.columns]
    assert all(expected[c].null_count() == expected.height for c in missing)
    assert_frame_equal(part, expected.drop(missing))


def test_partial_runs_with_personas_resume_and_keep_their_identity(tmp_path: object) -> None:
    ids = np.arange(12 * 3).reshape(12, 3)
    personas = Personas(ids=ids, texts=[f"persona {i}" for i in range(ids.size)])
    whole = Runner("p_beauty", {"n_players": 3, "rounds": 2}, policy=MIXTURE, n_instances=12,
                   seed=3, progress=False, personas=personas)
    part = Runner("p_beauty", {"n_players": 3, "rounds": 2}, policy=MIXTURE, n_instances=12,
                  seed=3, progress=False, personas=personas, instance_range=(4, 9),
                  out=tmp_path / "part")  # type: ignore[operator]
    assert part.run_id == whole.run_id and part.fingerprint() != whole.fingerprint()
    rows = part.run()
    assert rows.manifest["instance_range"] == [4, 9]
    assert rows.manifest["run_fingerprint"] == whole.fingerprint()
    expected = whole.run().records.filter(pl.col("instance").is_between(4, 8))
    assert_frame_equal(rows.records, expected)
    assert set(rows.records["persona_id"].to_list()) == set(ids[4:9].reshape(-1).tolist())
    with pytest.raises(ValueError, match="instance_range must satisfy"):
        Runner("p_beauty", {}, policy=RandomPolicy(), n_instances=3, instance_range=(2, 5))
