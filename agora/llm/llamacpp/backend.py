"""The embedded default backend: llama.cpp on CPU, batched, grammar-constrained.

A ``generate`` call decodes up to ``n_parallel`` requests at once: the prompts are sorted and
inserted in a token prefix tree evaluated in one ``llama_decode`` (shared rules are computed
once), then every step decodes one token of every live sequence together, each with its own
grammar sampler. The prefix shared by the whole batch is evaluated once into KV sequence 0
and shared by every sequence of the call. ``score`` evaluates the tree of candidate answers the
same way.

Message contents are data: prompts are tokenized by
:class:`~agora.llm.llamacpp.chat_tokens.ChatTokenizer`,
so only the chat template's own text yields control tokens. Instruct models are prompted with
their chat template; base models (``gemma3-270m``, or any GGUF without a chat template) with
:data:`~agora.llm.models.COMPLETION_TEMPLATE`, plain-text turns whose only special token is
BOS. Every call starts from an empty KV cache, so its logits depend on its own requests only:
a run resumed in a fresh process samples exactly what the uninterrupted run sampled, at any
temperature.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from llama_cpp.llama_chat_format import Jinja2ChatFormatter

from agora.llm.base import TURN_MARKER, Backend
from agora.llm.grammar import constraint_to_gbnf
from agora.llm.llamacpp.batch_decode import Plan, plan_chunks, run_chunk
from agora.llm.llamacpp.chat_tokens import ChatTokenizer
from agora.llm.llamacpp.engine import LlamaEngine, requantized
from agora.llm.llamacpp.fast_forward import forced_prefix
from agora.llm.llamacpp.model_files import bundled_model_path, file_sha256, resolve_model_path
from agora.llm.llamacpp.sampling import GrammarMask
from agora.llm.llamacpp.token_tree import common_prefix_len
from agora.llm.llamacpp.tree_scoring import ScoreJob, score_jobs
from agora.llm.models import COMPLETION_TEMPLATE, COMPLETION_TURN_END, find
from agora.llm.types import Completion, Constraint, GenerationRequest

CACHE_SEQ = 0
"""KV sequence holding the prefix shared by the requests of a call."""


def default_threads() -> int:
    """CPU cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class LlamaCppBackend(Backend):
    """llama.cpp in-process; defaults to the bundled SmolLM2-135M-Instruct GGUF.

    Args:
        model_path: A model name of :mod:`agora.llm.models` (``smollm2-135m``,
            ``gemma3-270m``) or a GGUF file; ``None`` uses the bundled model.
        n_ctx: KV cache cells shared by all parallel sequences.
        n_threads: CPU threads (default: every core this process may use).
        seed: Base seed; per-request seeds derive from it, the call count and the position.
        n_parallel: Sequences decoded together (at most 255).
        chat_template: Jinja chat template overriding the one in the GGUF (and the completion
            prompt of a base model).
        frac_digits: Decimals allowed for JSON ``number`` values.
        requantize: Run a cached re-quantized copy (``"q8_0"``, ``"q4_0"``, ``"f16"``) or the
            file as it is (``"none"``). The default ``"auto"`` runs the named models as Q8_0
            copies (:attr:`~agora.llm.models.ModelEntry.requantize`; Q4_1 lacks fast batched
            CPU kernels: Q8_0 evaluates prompts about 1.5x faster with a near-identical model;
            Gemma's Q4_K_M runs p-beauty about 10 % faster as Q8_0) and any other file as it
            is.
        verbose: Let llama.cpp log to stderr.
    """

    name = "llamacpp"

    def __init__(self, model_path: str | os.PathLike[str] | None = None, *, n_ctx: int = 8192,
                 n_threads: int | None = None, seed: int = 0, n_parallel: int = 32,
                 chat_template: str | None = None, frac_digits: int = 3,
                 requantize: str | None = "auto", verbose: bool = False) -> None:
        super().__init__()
        if not 1 <= n_parallel <= 255:
            raise ValueError(f"n_parallel must be in [1, 255], got {n_parallel}")
        if n_ctx < 64:
            raise ValueError(f"n_ctx must be >= 64, got {n_ctx}")
        if n_threads is not None and n_threads < 1:
            raise ValueError(f"n_threads must be >= 1, got {n_threads}")
        if not 0 <= seed < 2**32:
            raise ValueError(f"seed must be in [0, 2**32), got {seed}")
        self.n_threads = n_threads or default_threads()
        self.source_path: Path = resolve_model_path(model_path)
        entry = find(model_path)
        if requantize == "auto":
            requantize = entry.requantize if entry is not None else (
                "q8_0" if _is_bundled(self.source_path) else None)
        self.requantize = None if requantize in (None, "none") else requantize
        self.model_path: Path = (self.source_path if self.requantize is None else
                                 requantized(self.source_path, self.requantize,
                                             n_threads=self.n_threads))
        self.n_parallel, self.seed, self.frac_digits = n_parallel, seed, frac_digits
        self._engine = LlamaEngine(self.model_path, n_ctx=n_ctx, n_batch=n_ctx,
                                   n_seq_max=n_parallel + 1, n_threads=self.n_threads,
                                   flash_attn=1, verbose=verbose)
        template = chat_template or (None if entry is not None and entry.is_base else
                                     self._engine.chat_template())
        self.completion_style = template is None
        """Whether prompts are completion-style (a base model) rather than chat turns."""
        self.chat_template = template or COMPLETION_TEMPLATE
        template = self.chat_template
        self._bos_text = self._engine.special_text(self._engine.bos)
        eos_text = self._engine.special_text(self._engine.eos)
        self._formatters = {
            flag: Jinja2ChatFormatter(template, eos_token=eos_text, bos_token=self._bos_text,
                                      add_generation_prompt=flag)
            for flag in (True, False)}
        self._chat = ChatTokenizer(self._engine, self.render, self._bos_text)
        self.turn_end_token = self._find_turn_end()
        self._grammars: dict[Constraint, str] = {}
        self._lock = threading.Lock()
        self._calls = 0

    @property
    def model_name(self) -> str:
        """The GGUF file's stem (e.g. ``SmolLM2-135M-Instruct.Q4_1.q8_0``)."""
        return self.model_path.stem

    def describe(self) -> dict[str, Any]:
        """Backend, model, the GGUF file's SHA-256 and the settings that shape the logits."""
        template = hashlib.sha256((self.chat_template or "").encode()).hexdigest()
        style = {"prompt_style": "completion"} if self.completion_style else {}
        return {**super().describe(), "model_file": self.source_path.name,
                "model_sha256": file_sha256(self.source_path), "requantize": self.requantize,
                "chat_template_sha256": template, **style, "n_ctx": self.n_ctx,
                "n_parallel": self.n_parallel}

    @property
    def n_ctx(self) -> int:
        """KV cache size in tokens."""
        return self._engine.n_ctx

    # ------------------------------------------------------------------ prompts
    def render(self, messages: Sequence[Mapping[str, str]], *,
               add_generation_prompt: bool = True) -> str:
        """The chat-template text of ``messages``."""
        formatter = self._formatters[add_generation_prompt]
        return formatter(messages=[dict(m) for m in messages]).prompt

    def prompt_tokens(self, request: GenerationRequest) -> list[int]:
        """Token ids of a request's templated prompt (ending with the assistant header).

        Only the template's own text can yield control tokens; message contents never do.
        """
        return self._chat.tokens(request.messages)

    def _find_turn_end(self) -> int:
        """First token the template writes after an assistant answer (``<|im_end|>``; for the
        completion prompt of a base model the line break of :data:`COMPLETION_TURN_END`)."""
        if self.completion_style:
            return self._engine.tokenize(COMPLETION_TURN_END)[0]
        marker = TURN_MARKER
        text = self.render([{"role": "user", "content": "q"},
                            {"role": "assistant", "content": marker}],
                           add_generation_prompt=False)
        tail = text[text.index(marker) + len(marker):] if marker in text else ""
        toks = self._engine.tokenize(tail, parse_special=True) if tail else []
        if toks and self._engine.is_eog(toks[0]):
            return toks[0]
        return self._engine.eos

    def gbnf(self, constraint: Constraint) -> str:
        """GBNF text enforcing ``constraint`` (cached)."""
        got = self._grammars.get(constraint)
        if got is None:
            got = constraint_to_gbnf(constraint, frac_digits=self.frac_digits)
            if len(self._grammars) > 256:
                self._grammars.clear()
            self._grammars[constraint] = got
        return got

    def _share_prefix(self, prompts: Sequence[list[int]]) -> int:
        """Evaluate the call's common prefix into the cache sequence; returns its length.

        The KV cache is emptied first, so a call always runs the same batches into the same
        cells, whatever earlier calls left there. (Reusing an earlier call's prefix evaluates
        it in another batch layout, which moves logits in the last bits and, at temperature
        > 0, the sampled tokens: a resumed run would drift from the uninterrupted one.) The
        prefix stops one token short of the shortest prompt so every request still evaluates
        (and gets logits for) its last prompt token.
        """
        self._engine.clear()
        n = min(len(p) for p in prompts) - 1
        first = prompts[0]
        for p in prompts[1:]:
            n = min(n, common_prefix_len(first, p))
        if n > 0:
            self._engine.decode(first[:n], list(range(n)), [[CACHE_SEQ]] * n, [False] * n)
        return n

    # ------------------------------------------------------------------ generate
    def _check_fits(self, index: int, n_tokens: int) -> None:
        if n_tokens > self._engine.n_ctx:
            raise ValueError(f"request {index} needs {n_tokens} tokens (prompt and answer), "
                             f"more than n_ctx={self._engine.n_ctx}")

    def _plan(self, index: int, request: GenerationRequest) -> Plan:
        tokens = self.prompt_tokens(request)
        if self.completion_style and request.constraint is None:
            # a base model does not end its turn with a token: stop where the turn ends
            sp = request.sampling
            request = dataclasses.replace(request, sampling=dataclasses.replace(
                sp, stop=(*sp.stop, COMPLETION_TURN_END)))
        sp, constraint = request.sampling, request.constraint
        # Per-token log-probabilities need every answer token decoded, so no fast-forward.
        forced = forced_prefix(constraint, frac_digits=self.frac_digits) if (
            sp.logprobs is None) else ""
        ftoks = self._engine.tokenize(forced) if forced else []
        if b"".join(map(self._engine.piece, ftoks)) != forced.encode("utf-8"):
            forced, ftoks = "", []  # the vocabulary cannot spell it: let the grammar decide
        self._check_fits(index, len(tokens) + len(ftoks) + sp.max_tokens)
        seed = sp.seed if sp.seed is not None else int(
            np.random.SeedSequence([self.seed, self._calls, index]).generate_state(1)[0])
        return Plan(request=request, tokens=tokens + ftoks, n_prompt=len(tokens),
                    forced_text=forced, n_forced=len(ftoks),
                    gbnf=None if constraint is None else self.gbnf(constraint), seed=seed)

    def _generate(self, requests: Sequence[GenerationRequest]) -> list[Completion]:
        with self._lock:
            t0 = time.perf_counter()
            self._calls += 1
            plans = [self._plan(i, r) for i, r in enumerate(requests)]
            prefix = self._share_prefix([p.tokens for p in plans])
            order = sorted(range(len(plans)), key=lambda i: plans[i].tokens)
            out: list[Completion | None] = [None] * len(plans)

            def emit(i: int, completion: Completion) -> None:
                out[i] = completion

            for chunk in plan_chunks(plans, order, prefix, n_ctx=self._engine.n_ctx,
                                     max_seqs=self.n_parallel):
                run_chunk(self._engine, plans, chunk, prefix, cache_seq=CACHE_SEQ,
                          model=self.model_name, t0=t0, emit=emit)
            missing = [i for i, c in enumerate(out) if c is None]
            if missing:
                raise RuntimeError(f"no completion for requests {missing}")
            return [c for c in out if c is not None]

    def validate(self, request: GenerationRequest) -> None:
        """Raise ``ValueError``/``NotImplementedError`` if ``request`` cannot be served.

        Makes the very plan ``generate`` makes (prompt, forced prefix, context check) and
        walks the forced prefix through the grammar, so what passes here cannot fail there.
        """
        plan = self._plan(0, request)
        if plan.gbnf is not None:
            mask = GrammarMask(self._engine, plan.gbnf)
            try:
                for tok in plan.tokens[plan.n_prompt:]:
                    mask.accept(tok)
            finally:
                mask.free()

    # ------------------------------------------------------------------ score
    def _score(self, prompts: Sequence[GenerationRequest], candidates: Sequence[Sequence[str]],
               terminate: bool) -> list[np.ndarray]:
        with self._lock:
            toks = [self.prompt_tokens(p) for p in prompts]
            tail = [self.turn_end_token] if terminate else []
            jobs = [ScoreJob(prompt=t, candidates=[self._engine.tokenize(c) + tail for c in cs])
                    for t, cs in zip(toks, candidates, strict=True)]
            for i, job in enumerate(jobs):
                self._check_fits(i, len(job.prompt) + max(len(c) for c in job.candidates))
            prefix = self._share_prefix(toks)
            return score_jobs(self._engine, jobs, prefix, cache_seq=CACHE_SEQ,
                              max_seqs=self.n_parallel)

    def _close(self) -> None:
        with self._lock:
            self._engine.close()


def _is_bundled(path: Path) -> bool:
    try:
        return path.resolve() == bundled_model_path().resolve()
    except FileNotFoundError:
        return False
