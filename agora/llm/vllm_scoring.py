"""Scoring candidate answers on vLLM with cached one-token reads of the candidates' trie.

Prompt log-probabilities (``SamplingParams.prompt_logprobs``) make vLLM skip its prefix cache,
so scoring each candidate that way re-reads the whole prompt once per candidate. Here every
node of the candidates' token trie (:func:`agora.llm.candidate_trie.trie_nodes`: the prompt
followed by an answer prefix) becomes one request that generates a single greedy token and
returns the raw log-probabilities of the node's next tokens (``logprob_token_ids``, computed
from the unprocessed logits whatever the sampling). All requests of a call go to vLLM in one
``generate`` batch; requests that start with the same whole KV blocks share them through the
prefix cache (within one engine step too, for attention-only models), so the prompt is
computed about once per prompt rather than once per candidate. On hybrid models (attention plus
recurrent layers) reads that start together cannot share the recurrent state, so there the
prompts are read first, alone, and the rest of the trie after them (as vLLM's own label reads
do).

vLLM is imported only by the functions that build its objects.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from agora.llm.base import BackendError
from agora.llm.candidate_trie import Edge, sum_edges, trie_nodes

MAX_LOGPROB_TOKEN_IDS = 128
"""Most ``logprob_token_ids`` one vLLM request may ask for
(``vllm.sampling_params.MAX_LOGPROB_TOKEN_IDS``); wider trie nodes are split."""


@dataclass(frozen=True)
class Read:
    """One request of a trie walk: prompt ``prompt`` followed by ``prefix``; the
    log-probabilities of ``tokens`` as the next token come back."""

    prompt: int
    prefix: tuple[int, ...]
    tokens: tuple[int, ...]


def plan_reads(candidate_ids: Sequence[Sequence[Sequence[int]]]) -> list[Read]:
    """The reads that score every prompt's candidates (token ids), prompt by prompt."""
    return [Read(i, prefix, toks)
            for i, cands in enumerate(candidate_ids)
            for prefix, toks in trie_nodes(cands, MAX_LOGPROB_TOKEN_IDS)]


def read_prompts(prompt_ids: Sequence[Sequence[int]], reads: Sequence[Read]) -> list[list[int]]:
    """The token ids each read sends: its prompt's ids, then its answer prefix."""
    return [[*prompt_ids[r.prompt], *r.prefix] for r in reads]


def read_params(read: Read) -> Any:
    """``vllm.SamplingParams`` of one read: one greedy token plus the raw log-probabilities of
    the read's next tokens."""
    from vllm import SamplingParams

    return SamplingParams(max_tokens=1, temperature=0.0, logprob_token_ids=list(read.tokens))


def collect(outputs: Sequence[Any], reads: Sequence[Read],
            candidate_ids: Sequence[Sequence[Sequence[int]]]) -> list[np.ndarray]:
    """Each prompt's candidate log-probabilities from the reads' ``RequestOutput`` objects."""
    if len(outputs) != len(reads):
        raise BackendError(f"vLLM returned {len(outputs)} outputs for {len(reads)} score reads")
    tables: list[dict[Edge, float]] = [{} for _ in candidate_ids]
    for out, read in zip(outputs, reads, strict=True):
        steps = out.outputs[0].logprobs if out.outputs else None
        if not steps:
            raise BackendError("vLLM returned no log-probabilities for a score read")
        step = steps[0]  # {token id: Logprob}; FlatLogprobs index to the same
        for tok in read.tokens:
            if tok not in step:
                raise BackendError(f"vLLM returned no log-probability for token {tok}")
            tables[read.prompt][(read.prefix, tok)] = float(step[tok].logprob)
    return [sum_edges(cands, table) for cands, table in zip(candidate_ids, tables, strict=True)]


def trie_scores(llm: Any, prompt_ids: Sequence[Sequence[int]],
                candidate_ids: Sequence[Sequence[Sequence[int]]]) -> list[np.ndarray]:
    """``out[i][j] = log p(candidate_ids[i][j] | prompt_ids[i])`` from one ``llm.generate``
    (two on hybrid models)."""
    from vllm.inputs import TokensPrompt

    reads = plan_reads(candidate_ids)
    hybrid = bool(getattr(getattr(llm, "model_config", None), "is_hybrid", False))
    phases = ([[r for r in reads if not r.prefix], [r for r in reads if r.prefix]] if hybrid
              else [reads])
    done: list[Read] = []
    outputs: list[Any] = []
    for phase in phases:
        if phase:
            outputs += llm.generate([TokensPrompt(prompt_token_ids=ids)
                                     for ids in read_prompts(prompt_ids, phase)],
                                    [read_params(r) for r in phase], use_tqdm=False)
            done += phase
    return collect(outputs, done, candidate_ids)


def prompt_logprob_scores(llm: Any, prompt_ids: Sequence[Sequence[int]],
                          candidate_ids: Sequence[Sequence[Sequence[int]]]) -> list[np.ndarray]:
    """The same scores from prompt log-probabilities, one full prompt read per candidate.

    The straightforward reading, kept as the reference :func:`trie_scores` is tested against;
    it bypasses the prefix cache, so it is far slower.
    """
    from vllm import SamplingParams
    from vllm.inputs import TokensPrompt

    inputs, spans = [], []
    for ids, cands in zip(prompt_ids, candidate_ids, strict=True):
        for c in cands:
            inputs.append(TokensPrompt(prompt_token_ids=[*ids, *c]))
            spans.append((len(ids), len(ids) + len(c)))
    outs = llm.generate(inputs, SamplingParams(max_tokens=1, prompt_logprobs=0), use_tqdm=False)
    flat = []
    for out, (lo, hi) in zip(outs, spans, strict=True):
        ids, lps = out.prompt_token_ids, out.prompt_logprobs
        flat.append(sum(float(lps[k][ids[k]].logprob) for k in range(lo, hi)))
    result, k = [], 0
    for cands in candidate_ids:
        result.append(np.asarray(flat[k:k + len(cands)], dtype=np.float64))
        k += len(cands)
    return result
