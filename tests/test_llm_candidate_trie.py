"""The candidates' token trie that cached one-token reads score edge by edge."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agora.llm.candidate_trie import prefill_tokens, sum_edges, trie_edges, trie_nodes

TOKEN_LISTS = st.lists(st.lists(st.integers(0, 6), min_size=1, max_size=5), min_size=1,
                       max_size=12)


def _logprob(prefix: tuple[int, ...], tok: int) -> float:
    """A fixed, context-dependent stand-in for ``log p(tok | prompt, prefix)``."""
    return -((hash((prefix, tok)) % 1000) / 100.0) - 0.01


@settings(max_examples=200, deadline=None)
@given(TOKEN_LISTS)
def test_sum_over_trie_edges_equals_the_direct_per_candidate_sum(cands: list[list[int]]) -> None:
    edges = trie_edges(cands)
    assert len(edges) == len(set(edges))
    table = {e: _logprob(*e) for e in edges}
    direct = [sum(_logprob(tuple(c[:k]), t) for k, t in enumerate(c)) for c in cands]
    np.testing.assert_allclose(sum_edges(cands, table), direct, rtol=0, atol=1e-12)


@settings(max_examples=200, deadline=None)
@given(TOKEN_LISTS, st.integers(1, 4))
def test_trie_nodes_cover_each_edge_once_and_respect_the_width(cands: list[list[int]],
                                                               width: int) -> None:
    nodes = trie_nodes(cands, max_children=width)
    flat = [(prefix, t) for prefix, toks in nodes for t in toks]
    assert sorted(flat) == sorted(trie_edges(cands)) and len(flat) == len(set(flat))
    assert all(1 <= len(toks) <= width for _, toks in nodes)


def test_shared_prefixes_are_read_once() -> None:
    # "1", "10", "100" with an end token 9: the "1" edge from the root is shared.
    cands = [[1, 9], [1, 0, 9], [1, 0, 0, 9]]
    assert trie_nodes(cands) == [((), (1,)), ((1,), (9, 0)), ((1, 0), (9, 0)),
                                 ((1, 0, 0), (9,))]
    assert len(trie_edges(cands)) == 6 < sum(map(len, cands))
    with pytest.raises(ValueError, match="no tokens"):
        trie_edges([[1], []])
    with pytest.raises(ValueError, match="max_children"):
        trie_nodes(cands, max_children=0)


def test_prefill_tokens_models_whole_block_prefix_reuse() -> None:
    base = list(range(40))
    # 40 computed; then 32 of 41 cached (two whole blocks), 9 computed.
    assert prefill_tokens([base, [*base, 7]], block_size=16) == 49
    # An identical prompt still recomputes its last token, so its last whole block.
    assert prefill_tokens([base[:32], base[:32]], block_size=16) == 32 + 16
    # Skipping the cache (prompt log-probabilities) computes everything.
    assert prefill_tokens([base, [*base, 7]], block_size=16, read_cache=False) == 81
    # A different first block shares nothing, even with equal later tokens.
    assert prefill_tokens([base, [99, *base[1:]]], block_size=16) == 80
    with pytest.raises(ValueError, match="block_size"):
        prefill_tokens([base], block_size=0)
