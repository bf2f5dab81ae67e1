"""Exact log-probabilities of candidate answers from one tree-shaped llama.cpp batch.

All candidates of a prompt (``0``..``100``, or ``{"guess": 0}``..) share a token trie: each
internal node is evaluated once, every candidate token's log-probability is read from its
parent's logits, and a candidate's score is the sum along its path. Scoring 101 integers
costs about 100 single-token evaluations in one batch instead of 101 full prompts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from agora.llm.llamacpp.engine import LlamaEngine
from agora.llm.llamacpp.token_tree import Node, TokenTree

MAX_OUTPUTS = 512
"""Most logit rows one batch may request (each row is ``n_vocab`` floats)."""


@dataclass(frozen=True, kw_only=True)
class ScoreJob:
    """One prompt's token ids and its candidates' token ids (end-of-turn appended if wanted)."""

    prompt: list[int]
    candidates: list[list[int]]


@dataclass(eq=False)
class _Path:
    job: int
    cand: int
    nodes: list[Node]
    start: int  # index in nodes of the first candidate token


def score_jobs(engine: LlamaEngine, jobs: Sequence[ScoreJob], prefix: int, *, cache_seq: int,
               max_seqs: int) -> list[np.ndarray]:
    """Scores of every job; ``prefix`` tokens are already cached in ``cache_seq``.

    Candidates use KV sequences ``1..max_seqs``, so ``cache_seq`` must be 0.
    """
    if cache_seq != 0:
        raise ValueError("score_jobs uses sequences 1..max_seqs; cache_seq must be 0")
    out = [np.full(len(j.candidates), np.nan) for j in jobs]
    items = [(a, b) for a, job in enumerate(jobs) for b in range(len(job.candidates))]
    budget = engine.n_ctx - prefix
    pos = 0
    while pos < len(items):
        group, tree, outputs = [], TokenTree(), 0
        while pos < len(items) and len(group) < max_seqs:
            a, b = items[pos]
            tokens = jobs[a].prompt[prefix:] + jobs[a].candidates[b]
            new = tree.new_nodes_for(tokens)
            if group and (tree.n_nodes + new > budget or outputs + new > MAX_OUTPUTS):
                break
            if tree.n_nodes + new > budget:
                raise ValueError(f"prompt {a} with candidate {b} needs {len(tokens) + prefix} "
                                 f"tokens; n_ctx={engine.n_ctx}")
            seq = len(group) + 1
            nodes = tree.add(tokens, seq)
            start = len(jobs[a].prompt) - prefix
            for k in range(start - 1, len(nodes) - 1):
                if not nodes[k].want_logits:
                    nodes[k].want_logits = True
                    outputs += 1
            group.append((_Path(a, b, nodes, start), seq))
            pos += 1
        _evaluate(engine, tree, group, prefix, cache_seq, out)
    return out


def _evaluate(engine: LlamaEngine, tree: TokenTree, group: list[tuple[_Path, int]],
              prefix: int, cache_seq: int, out: list[np.ndarray]) -> None:
    seqs = [seq for _, seq in group]
    try:
        if prefix:
            for seq in seqs:
                engine.seq_cp(cache_seq, seq, 0, prefix)
        flat = tree.flatten(prefix, include_leaves=False)
        engine.decode(flat.tokens, flat.positions, flat.seqs, flat.want_logits)
        logits = engine.logits(flat.n_outputs, copy=False)
        lse = np.empty(flat.n_outputs)
        for r in range(0, flat.n_outputs, 32):
            rows = logits[r:r + 32].astype(np.float64)
            mx = rows.max(axis=1)
            lse[r:r + 32] = mx + np.log(np.exp(rows - mx[:, None]).sum(axis=1))
        for path, _ in group:
            total = 0.0
            for k in range(path.start, len(path.nodes)):
                row = path.nodes[k - 1].output_index
                total += float(logits[row, path.nodes[k].token]) - lse[row]
            out[path.job][path.cand] = total
    finally:
        for seq in seqs:
            engine.seq_rm(seq, -1, -1)
