"""In-process vLLM backend for GPUs: one ``LLM.chat`` call per batch, prefix caching on.

vLLM is imported when the backend is constructed, never when :mod:`agora.llm` is imported.
Constraints map to ``vllm.sampling_params.StructuredOutputsParams`` (the API that replaced
the ``guided_*`` fields, removed in vLLM 0.12), enforced by xgrammar with compact JSON (no
free whitespace, as the embedded backend's grammars). ``score`` walks the candidates' token
trie with one-token reads that share the prompt through the prefix cache
(:mod:`agora.llm.vllm_scoring`).

vLLM's tokenizer turns special-token text into control tokens, so message contents are passed
with the control strings of chat templates and of the model's own special tokens broken.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from agora.engine.control_text import neutralize_messages
from agora.llm.base import TURN_MARKER, Backend, BackendError
from agora.llm.models import default_chat_template, hf_id
from agora.llm.types import Completion, Constraint, GenerationRequest, TokenLogprob
from agora.llm.vllm_scoring import trie_scores

EXECUTOR_BACKENDS = (None, "ray", "mp", "uni", "external_launcher")
"""``distributed_executor_backend`` values vLLM accepts."""

STRUCTURED_OUTPUTS_CONFIG = {"backend": "xgrammar", "disable_any_whitespace": True}
"""Engine default for ``structured_outputs_config``: vLLM reads ``disable_any_whitespace``
from the engine's config only (the per-request field is ignored), and only with the xgrammar
or guidance backend. xgrammar takes GBNF grammars as they are."""


def _import_vllm() -> Any:
    try:
        import vllm
    except ImportError as exc:
        raise ImportError(
            "backend 'vllm' needs `pip install agora-sim[vllm]` (CUDA)") from exc
    return vllm


def structured_outputs(constraint: Constraint | None) -> Any:
    """``StructuredOutputsParams`` enforcing ``constraint`` (``None`` without one)."""
    if constraint is None:
        return None
    from vllm.sampling_params import StructuredOutputsParams

    if constraint.grammar is not None and "::=" not in constraint.grammar:
        # vLLM reads a grammar without `::=` as Lark, which agora does not speak
        raise ValueError("the vllm backend takes GBNF grammars (rules written `name ::= ...`)")
    if constraint.json_schema is not None:
        return StructuredOutputsParams(json=constraint.json_schema)
    if constraint.regex is not None:
        return StructuredOutputsParams(regex=constraint.regex)
    if constraint.choices is not None:
        return StructuredOutputsParams(choice=list(constraint.choices))
    return StructuredOutputsParams(grammar=constraint.grammar)


class VLLMBackend(Backend):
    """``vllm.LLM`` in this process.

    Args:
        model: Hugging Face id or local path, or a model name of :mod:`agora.llm.models`.
        seed: Engine seed; per-request seeds derive from it when a request has none.
        tensor_parallel_size: GPUs one model is split over (vLLM tensor parallelism).
        distributed_executor_backend: How vLLM starts its GPU workers: ``"ray"`` (across the
            nodes of a Ray cluster, needed beyond one node), ``"mp"`` (processes on this node)
            or ``None`` (vLLM's choice).
        chat_template: Jinja chat template instead of the tokenizer's; by default the
            completion-style :data:`agora.llm.models.COMPLETION_TEMPLATE` for a base model of
            the catalogue (named or by its HF id), the tokenizer's own otherwise.
        **engine_kwargs: Passed to ``vllm.LLM`` (``enable_prefix_caching`` defaults to True,
            ``structured_outputs_config`` to :data:`STRUCTURED_OUTPUTS_CONFIG`).
    """

    name = "vllm"
    max_temperature = 2.0
    """``vllm.SamplingParams`` refuses a higher temperature."""
    min_positive_temperature = 0.01
    """vLLM raises smaller positive temperatures to this (``vllm.sampling_params._MAX_TEMP``)."""

    def __init__(self, model: str, *, seed: int = 0, tensor_parallel_size: int = 1,
                 distributed_executor_backend: str | None = None,
                 chat_template: str | None = None, **engine_kwargs: Any) -> None:
        super().__init__()
        if (isinstance(tensor_parallel_size, bool) or not isinstance(tensor_parallel_size, int)
                or tensor_parallel_size < 1):
            raise ValueError(f"VLLMBackend: tensor_parallel_size must be an integer >= 1, got "
                             f"{tensor_parallel_size!r}")
        if distributed_executor_backend not in EXECUTOR_BACKENDS:
            raise ValueError(f"VLLMBackend: distributed_executor_backend must be one of "
                             f"{EXECUTOR_BACKENDS}, got {distributed_executor_backend!r}")
        if distributed_executor_backend == "ray":
            try:
                import ray  # noqa: F401 - only checks that the extra is installed
            except ImportError as exc:
                raise ImportError("vLLM's distributed_executor_backend='ray' runs on Ray, which "
                                  "is not installed; install it with pip install "
                                  "'agora-sim[ray]'") from exc
        if engine_kwargs.get("logprobs_mode", "raw_logprobs") != "raw_logprobs":
            raise ValueError("VLLMBackend reads log-probabilities of the unprocessed model, so "
                             f"logprobs_mode must be 'raw_logprobs', got "
                             f"{engine_kwargs['logprobs_mode']!r}")
        vllm = _import_vllm()
        engine_kwargs.setdefault("enable_prefix_caching", True)
        engine_kwargs.setdefault("structured_outputs_config", dict(STRUCTURED_OUTPUTS_CONFIG))
        self.chat_template = chat_template or default_chat_template(model)
        model = hf_id(model)
        if distributed_executor_backend is not None:
            engine_kwargs["distributed_executor_backend"] = distributed_executor_backend
        self._model = model
        self.seed = seed
        self.tensor_parallel_size = tensor_parallel_size
        self._calls = 0
        self._llm = vllm.LLM(model=model, seed=seed, tensor_parallel_size=tensor_parallel_size,
                             **engine_kwargs)
        self._tokenizer = self._llm.get_tokenizer()
        self.special_tokens = special_token_strings(self._tokenizer)
        self.turn_end_token = self._find_turn_end()

    @property
    def model_name(self) -> str:
        """The model id or path given."""
        return self._model

    def describe(self) -> dict[str, Any]:
        """Backend, model, tensor parallelism (which changes the arithmetic) and, when agora
        chose or was given one, the chat template's hash."""
        out = {**super().describe(), "tensor_parallel_size": self.tensor_parallel_size}
        if self.chat_template is not None:
            out["chat_template_sha256"] = hashlib.sha256(self.chat_template.encode()).hexdigest()
        return out

    def _messages(self, request: GenerationRequest) -> list[dict[str, str]]:
        """The request's messages with control strings in their contents broken."""
        return neutralize_messages(request.messages, self.special_tokens)

    def _find_turn_end(self) -> int:
        marker = TURN_MARKER
        text = self._tokenizer.apply_chat_template(
            [{"role": "user", "content": "q"}, {"role": "assistant", "content": marker}],
            tokenize=False, add_generation_prompt=False, chat_template=self.chat_template)
        tail = text[text.index(marker) + len(marker):] if marker in text else ""
        ids = self._tokenizer.encode(tail, add_special_tokens=False) if tail else []
        return int(ids[0]) if ids else int(self._tokenizer.eos_token_id)

    def validate(self, request: GenerationRequest) -> None:
        """The base checks, then the constraint as vLLM would get it (GBNF grammars only)."""
        super().validate(request)
        structured_outputs(request.constraint)

    def _params(self, index: int, request: GenerationRequest) -> Any:
        sp = request.sampling
        seed = sp.seed if sp.seed is not None else int(
            np.random.SeedSequence([self.seed, self._calls, index]).generate_state(1)[0])
        return sampling_params(request, seed)

    def _generate(self, requests: Sequence[GenerationRequest]) -> list[Completion]:
        self._calls += 1
        t0 = time.perf_counter()
        params = [self._params(i, r) for i, r in enumerate(requests)]
        outputs = self._llm.chat([self._messages(r) for r in requests],
                                 sampling_params=params, use_tqdm=False,
                                 chat_template=self.chat_template)
        latency = time.perf_counter() - t0
        result = []
        for req, out in zip(requests, outputs, strict=True):
            gen = out.outputs[0]
            reason = gen.finish_reason if gen.finish_reason in ("stop", "length") else None
            if reason is None:
                raise BackendError(f"vLLM finished a request with {gen.finish_reason!r}")
            result.append(Completion(
                text=gen.text, tokens_in=len(out.prompt_token_ids or []),
                tokens_out=len(gen.token_ids), latency_s=latency, finish_reason=reason,
                model=self._model, request_id=req.request_id,
                logprobs=None if req.sampling.logprobs is None
                else self._logprobs(gen, req.sampling.logprobs)))
        return result

    def _logprobs(self, gen: Any, k: int) -> tuple[TokenLogprob, ...]:
        out = []
        for tok, step in zip(gen.token_ids, gen.logprobs or [], strict=False):
            ranked = sorted(step.items(), key=lambda kv: -kv[1].logprob)
            out.append(TokenLogprob(
                token=self._tokenizer.decode([tok]), logprob=float(step[tok].logprob),
                top_logprobs=tuple((self._tokenizer.decode([t]), float(lp.logprob))
                                   for t, lp in ranked[:k])))
        return tuple(out)

    def _score(self, prompts: Sequence[GenerationRequest], candidates: Sequence[Sequence[str]],
               terminate: bool) -> list[np.ndarray]:
        tail = [self.turn_end_token] if terminate else []
        prompt_ids = [chat_prompt_ids(self._tokenizer, self._messages(p), self.chat_template)
                      for p in prompts]
        candidate_ids = [[[*self._tokenizer.encode(c, add_special_tokens=False), *tail]
                          for c in cands] for cands in candidates]
        return trie_scores(self._llm, prompt_ids, candidate_ids)

    def _close(self) -> None:
        del self._llm


def sampling_params(request: GenerationRequest, seed: int) -> Any:
    """The ``vllm.SamplingParams`` of one request (its constraint included)."""
    from vllm import SamplingParams

    sp = request.sampling
    return SamplingParams(
        temperature=sp.temperature, top_p=sp.top_p, max_tokens=sp.max_tokens, seed=seed,
        stop=list(sp.stop) or None, logprobs=sp.logprobs,
        structured_outputs=structured_outputs(request.constraint))


def chat_prompt_ids(tokenizer: Any, messages: list[dict[str, str]],
                    chat_template: str | None = None) -> list[int]:
    """Token ids of the chat prompt, as vLLM's own chat path renders it (with
    ``chat_template`` instead of the tokenizer's when given).

    ``return_dict=False`` as vLLM passes it: transformers 5 otherwise returns a
    ``BatchEncoding`` (a mapping) from ``apply_chat_template(..., tokenize=True)``.
    """
    ids = tokenizer.apply_chat_template(messages, tokenize=True, add_generation_prompt=True,
                                        return_dict=False, chat_template=chat_template)
    if isinstance(ids, Mapping):  # a tokenizer that ignores return_dict
        ids = ids["input_ids"]
    out = [int(t) for t in ids]
    if not out:
        raise BackendError("the chat template rendered an empty prompt")
    return out


def special_token_strings(tokenizer: Any) -> tuple[str, ...]:
    """Text of a Hugging Face tokenizer's special tokens (named and added-special ones)."""
    found = {str(t) for t in getattr(tokenizer, "all_special_tokens", None) or ()}
    for tok in (getattr(tokenizer, "added_tokens_decoder", None) or {}).values():
        if getattr(tok, "special", False):
            found.add(str(getattr(tok, "content", tok)))
    return tuple(sorted(t for t in found if len(t) >= 2))
