"""Batched decoding of many chat requests on one llama.cpp context.

The prompts of a chunk (minus the prefix cached in KV sequence 0) form a token prefix tree
evaluated in one ``llama_decode``; then each step decodes one token of every live sequence
together, and each sequence samples with its own grammar and generator.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from agora.llm.llamacpp.engine import LlamaEngine
from agora.llm.llamacpp.fast_forward import is_final
from agora.llm.llamacpp.sampling import GrammarMask, MaskCache, TokenSampler
from agora.llm.llamacpp.token_tree import TokenTree
from agora.llm.types import Completion, GenerationRequest, TokenLogprob


@dataclass(frozen=True, kw_only=True)
class Plan:
    """A request prepared for decoding.

    Attributes:
        request: The request.
        tokens: Prompt tokens, followed by the constraint's forced answer prefix.
        n_prompt: Length of the templated prompt alone.
        forced_text: The forced answer prefix.
        n_forced: Its token count.
        gbnf: Grammar text, or ``None`` without constraint.
        seed: Sampling seed.
    """

    request: GenerationRequest
    tokens: list[int]
    n_prompt: int
    forced_text: str
    n_forced: int
    gbnf: str | None
    seed: int


@dataclass(eq=False)
class _Seq:
    index: int
    seq: int
    plan: Plan
    sampler: TokenSampler
    pos: int
    batch_index: int = -1
    out: bytearray = field(default_factory=bytearray)
    n_out: int = 0
    last: int = -1
    logprobs: list[TokenLogprob] | None = None


def plan_chunks(plans: Sequence[Plan], order: Sequence[int], prefix: int, *, n_ctx: int,
                max_seqs: int) -> list[list[int]]:
    """Split requests (in ``order``) into chunks whose KV cells and sequences fit."""
    budget = n_ctx - prefix
    chunks: list[list[int]] = []
    tree, used, cur = TokenTree(), 0, []
    for i in order:
        suffix, max_new = plans[i].tokens[prefix:], plans[i].request.sampling.max_tokens
        if len(suffix) + max_new > budget:
            raise ValueError(f"request {i} needs {len(plans[i].tokens)} prompt + {max_new} new "
                             f"tokens, more than n_ctx={n_ctx} allows")
        need = tree.new_nodes_for(suffix) + max_new
        if cur and (len(cur) == max_seqs or used + need > budget):
            chunks.append(cur)
            tree, used, cur = TokenTree(), 0, []
            need = len(suffix) + max_new
        tree.add(suffix, len(cur) + 1)
        used += need
        cur.append(i)
    chunks.append(cur)
    return chunks


def run_chunk(engine: LlamaEngine, plans: Sequence[Plan], chunk: Sequence[int], prefix: int, *,
              cache_seq: int, model: str, t0: float,
              emit: Callable[[int, Completion], None]) -> None:
    """Decode every request of ``chunk`` to completion; sequences ``1..len(chunk)`` are used."""
    tree, live = TokenTree(), []
    masks: MaskCache = {}
    seqs = [s for s in range(len(chunk) + 1) if s != cache_seq][: len(chunk)]
    try:
        ends = []
        for seq, i in zip(seqs, chunk, strict=True):
            plan = plans[i]
            if prefix:
                engine.seq_cp(cache_seq, seq, 0, prefix)
            end = tree.add(plan.tokens[prefix:], seq)[-1]
            end.want_logits = True
            ends.append(end)
            sp = plan.request.sampling
            grammar = None if plan.gbnf is None else GrammarMask(engine, plan.gbnf, masks)
            state = _Seq(i, seq, plan, TokenSampler(grammar, temperature=sp.temperature,
                                                    top_p=sp.top_p, seed=plan.seed),
                         pos=len(plan.tokens), out=bytearray(plan.forced_text.encode("utf-8")),
                         n_out=plan.n_forced,
                         logprobs=None if sp.logprobs is None else [])
            live.append(state)
            if grammar is not None:
                for tok in plan.tokens[len(plan.tokens) - plan.n_forced:]:
                    grammar.accept(tok)
        flat = tree.flatten(prefix, include_leaves=True)
        engine.decode(flat.tokens, flat.positions, flat.seqs, flat.want_logits)
        for state, end in zip(live, ends, strict=True):
            state.batch_index = end.batch_index
        active = live
        while active:
            active = [s for s in active if _advance(engine, s, model, t0, emit)]
            if active:
                engine.decode([s.last for s in active], [s.pos for s in active],
                              [[s.seq] for s in active], [True] * len(active))
                for k, s in enumerate(active):
                    s.pos += 1
                    s.batch_index = k
    finally:
        for state in live:
            state.sampler.free()
        for seq in seqs:
            engine.seq_rm(seq, -1, -1)


def _advance(engine: LlamaEngine, s: _Seq, model: str, t0: float,
             emit: Callable[[int, Completion], None]) -> bool:
    """Sample the next token of ``s``; returns whether it keeps decoding."""
    sp, constraint = s.plan.request.sampling, s.plan.request.constraint
    logits = engine.logits_row(s.batch_index)
    tok = s.sampler.sample(logits)
    s.n_out += 1
    reason = None
    if engine.is_eog(tok):
        reason = "stop"
    else:
        piece = engine.piece(tok)
        if s.logprobs is not None:
            s.logprobs.append(_logprob(engine, logits, tok, piece, sp.logprobs or 0))
        s.out += piece
        s.last = tok
        text = s.out.decode("utf-8", errors="ignore")
        cut = min((k for k in (text.find(x) for x in sp.stop) if k >= 0), default=-1)
        if cut >= 0:
            s.out = bytearray(text[:cut].encode("utf-8"))
            reason = "stop"
        elif is_final(text, constraint):
            reason = "stop"
        elif s.n_out >= sp.max_tokens:
            reason = "length"
    if reason is None:
        return True
    emit(s.index, Completion(
        text=s.out.decode("utf-8", errors="replace"), tokens_in=s.plan.n_prompt,
        tokens_out=s.n_out, latency_s=time.perf_counter() - t0, finish_reason=reason,
        model=model, request_id=s.plan.request.request_id,
        logprobs=None if s.logprobs is None else tuple(s.logprobs)))
    return False


def _logprob(engine: LlamaEngine, logits: np.ndarray, tok: int, piece: bytes,
             k: int) -> TokenLogprob:
    z = logits.astype(np.float64)
    lp = z - (z.max() + np.log(np.exp(z - z.max()).sum()))
    top = np.argsort(-lp, kind="stable")[:k] if k else []
    return TokenLogprob(
        token=piece.decode("utf-8", errors="replace"), logprob=float(lp[tok]),
        top_logprobs=tuple((engine.piece(int(t)).decode("utf-8", errors="replace"),
                            float(lp[t])) for t in top))
