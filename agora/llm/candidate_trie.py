"""Scoring candidate answers edge by edge: the token trie of the candidates.

``log p(candidate | prompt)`` is the sum, over the candidate's tokens, of the log-probability
of each token given the prompt and the tokens before it. Candidates share prefixes (``"1"``,
``"10"`` and ``"100"`` all start with ``"1"``), so the distinct (prefix, next token) pairs, the
*edges* of the candidates' trie, are fewer than the candidates' tokens. A backend that can only
ask "how likely is token t after this context?" (a one-token generation step with
log-probabilities, which a server's prefix cache serves without re-reading the prompt) asks it
once per edge; :func:`trie_edges` lists the edges and :func:`sum_edges` adds them back up per
candidate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

Edge = tuple[tuple[int, ...], int]
"""A trie edge: the tokens before (the answer prefix) and the next token."""


def trie_edges(candidates: Sequence[Sequence[int]]) -> list[Edge]:
    """The distinct edges of the candidates' token trie, shortest prefix first, then in
    first-seen order (so the order, and any request built from it, is deterministic)."""
    seen: dict[Edge, None] = {}
    for cand in candidates:
        toks = tuple(int(t) for t in cand)
        if not toks:
            raise ValueError("a candidate has no tokens")
        for k, tok in enumerate(toks):
            seen.setdefault((toks[:k], tok), None)
    return sorted(seen, key=lambda e: len(e[0]))


def sum_edges(candidates: Sequence[Sequence[int]], logprob: Mapping[Edge, float]) -> np.ndarray:
    """Each candidate's log-probability: the sum of its edges' ``logprob`` values."""
    out = np.empty(len(candidates), dtype=np.float64)
    for i, cand in enumerate(candidates):
        toks = tuple(int(t) for t in cand)
        out[i] = sum(float(logprob[(toks[:k], tok)]) for k, tok in enumerate(toks))
    return out


def trie_nodes(candidates: Sequence[Sequence[int]],
               max_children: int | None = None) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    """The edges of :func:`trie_edges` grouped by prefix: ``(prefix, next tokens)`` pairs, in
    the same order. One read of a node (the prompt followed by ``prefix``) yields every edge out
    of it; a node with more than ``max_children`` next tokens is split into several pairs."""
    if max_children is not None and max_children < 1:
        raise ValueError(f"max_children must be >= 1, got {max_children}")
    groups: dict[tuple[int, ...], list[int]] = {}
    for prefix, tok in trie_edges(candidates):
        groups.setdefault(prefix, []).append(tok)
    step = max_children or max(len(t) for t in groups.values())
    return [(prefix, tuple(toks[k:k + step]))
            for prefix, toks in groups.items() for k in range(0, len(toks), step)]


def prefill_tokens(prompts: Sequence[Sequence[int]], *, block_size: int = 16,
                   read_cache: bool = True) -> int:
    """Prompt tokens an engine with a paged prefix cache computes for ``prompts``, in order.

    Models vLLM's automatic prefix caching: a request reuses the longest run of whole
    ``block_size``-token blocks that an earlier request already filled with the same tokens,
    always recomputing at least its last token; each request's whole blocks are then cached
    (no eviction). ``read_cache=False`` models requests that skip the cache, as vLLM's do when
    they ask for prompt log-probabilities.
    """
    if block_size < 1:
        raise ValueError(f"block_size must be >= 1, got {block_size}")
    cached: set[tuple[int, ...]] = set()
    total = 0
    for prompt in prompts:
        toks = tuple(int(t) for t in prompt)
        hit = 0
        if read_cache:
            while (hit + block_size <= len(toks) - 1
                   and toks[:hit + block_size] in cached):
                hit += block_size
        total += len(toks) - hit
        cached.update(toks[:end] for end in range(block_size, len(toks) + 1, block_size))
    return total
