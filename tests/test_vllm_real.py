"""The in-process vLLM backend against the real ``vllm`` package, on CPU.

Everything vLLM builds or checks without a GPU is real: ``SamplingParams`` and
``StructuredOutputsParams`` with their validation (xgrammar's too), ``TokensPrompt``,
``EngineArgs``, ``RequestOutput``/``CompletionOutput`` and the logprob containers, and a
transformers 5 tokenizer built from the bundled SmolLM2 GGUF. Only the engine (``vllm.LLM``)
is a test double: it answers from a deterministic toy distribution and fills the real output
classes the way vLLM's sampler and output processor do.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
import pytest

vllm = pytest.importorskip("vllm")

from vllm import SamplingParams as VSamplingParams  # noqa: E402
from vllm.engine.arg_utils import EngineArgs  # noqa: E402
from vllm.exceptions import VLLMValidationError  # noqa: E402
from vllm_engine_double import EngineDouble, ToyLM, smollm2_tokenizer  # noqa: E402

from agora.llm import Constraint, GenerationRequest, SamplingParams, vllm_scoring  # noqa: E402
from agora.llm.candidate_trie import prefill_tokens  # noqa: E402
from agora.llm.vllm_backend import VLLMBackend, chat_prompt_ids, sampling_params  # noqa: E402
from agora.policies import make_policy  # noqa: E402

pytestmark = pytest.mark.vllm_real
SMOLLM2_HF_ID = "HuggingFaceTB/SmolLM2-135M-Instruct"


@pytest.fixture(scope="module")
def tokenizer() -> Any:
    """SmolLM2-135M-Instruct's real tokenizer (see :func:`vllm_engine_double.smollm2_tokenizer`)."""
    return smollm2_tokenizer()


@pytest.fixture
def backend(tokenizer: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[VLLMBackend]:
    monkeypatch.setattr(EngineDouble, "tok", tokenizer)
    monkeypatch.setattr(EngineDouble, "instances", [])
    monkeypatch.setattr(vllm, "LLM", EngineDouble)
    b = VLLMBackend("smollm2-135m", seed=0)
    yield b
    b.close()


def _engine(b: VLLMBackend) -> EngineDouble:
    return EngineDouble.instances[-1]


def _direct(lm: ToyLM, pids: list[int], cids: list[list[int]]) -> list[float]:
    return [sum(lm.logprob(pids + c[:k], t) for k, t in enumerate(c)) for c in cids]


def p_beauty_messages() -> list[dict[str, str]]:
    """The messages agora sends an LLM agent in round 1 of a 10-player p-beauty contest."""
    from agora.engine.batch import DecisionBatch
    from agora.policies.llm_prompts import build_messages
    from games.p_beauty.config import PBeautyConfig
    from games.p_beauty.env import PBeautyKernel

    k = PBeautyKernel(PBeautyConfig(n_players=10, rounds=4), 1, np.random.default_rng(0))
    inst, players = k.pending()
    batch = DecisionBatch(kernel=k, instances=inst, players=players, rounds=k.round[inst],
                          roles=k.role_index(inst, players), persona_ids=np.full(inst.size, -1),
                          spec_codes=k.spec_codes(inst, players))
    return build_messages(k, batch.request(0))


def test_chat_prompt_ids_from_a_transformers_5_tokenizer(tokenizer: Any) -> None:
    msgs = [{"role": "user", "content": "Pick 42 or 100."}]
    raw = tokenizer.apply_chat_template(msgs, tokenize=True, add_generation_prompt=True)
    assert isinstance(raw, Mapping)  # transformers 5: a BatchEncoding, list() gives its keys
    ids = chat_prompt_ids(tokenizer, msgs)
    text = tokenizer.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True)
    assert ids == tokenizer.encode(text, add_special_tokens=False)
    assert all(isinstance(t, int) for t in ids) and ids.count(tokenizer.bos_token_id) == 3

    class IgnoresReturnDict:  # a tokenizer that always answers with a BatchEncoding
        def apply_chat_template(self, *args: Any, return_dict: bool, **kw: Any) -> Any:
            return tokenizer.apply_chat_template(*args, **kw)

    assert chat_prompt_ids(IgnoresReturnDict(), msgs) == ids


@pytest.mark.parametrize("flat", [False, True])
def test_score_equals_the_direct_sum_over_each_candidates_tokens(
        backend: VLLMBackend, tokenizer: Any, flat: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(EngineDouble, "flat_logprobs", flat)  # FlatLogprobs index the same
    reqs = [GenerationRequest.chat("Capital of France? Paris or London."),
            GenerationRequest.chat("A number, please.")]
    cands = [["Paris", "London", "Par"], ["1", "10", "100", "7"]]
    got = backend.score(reqs, cands)
    engine = _engine(backend)
    assert len(engine.calls) == 1  # every read of the call in one generate batch
    for req, cs, scores in zip(reqs, cands, got, strict=True):
        pids = chat_prompt_ids(tokenizer, backend._messages(req))
        cids = [[*tokenizer.encode(c, add_special_tokens=False), backend.turn_end_token]
                for c in cs]
        np.testing.assert_allclose(scores, _direct(engine.lm, pids, cids), rtol=0, atol=1e-9)
        ref = vllm_scoring.prompt_logprob_scores(engine, [pids], [cids])[0]
        np.testing.assert_allclose(scores, ref, rtol=0, atol=1e-9)
    bare = backend.score(reqs[:1], [["Paris", "Par"]], terminate=False)[0]
    pids = chat_prompt_ids(tokenizer, backend._messages(reqs[0]))
    cids = [tokenizer.encode(c, add_special_tokens=False) for c in ("Paris", "Par")]
    np.testing.assert_allclose(bare, _direct(engine.lm, pids, cids), rtol=0, atol=1e-9)


def test_p_beauty_decision_reads_its_prompt_once(backend: VLLMBackend, tokenizer: Any) -> None:
    """101 candidates {"guess": 0..100}: count the prompt tokens the engine computes with
    vLLM's prefix cache (blocks of 16), trie reads against one prompt-logprob read each."""
    req = GenerationRequest(messages=tuple(p_beauty_messages()))
    cands = [json.dumps({"guess": v}) for v in range(101)]
    backend.score([req], [cands])
    prompts, params = _engine(backend).calls[-1]
    assert all(sp.prompt_logprobs is None and not sp.skip_reading_prefix_cache
               for sp in params)
    after = prefill_tokens(prompts, block_size=16)
    pids = chat_prompt_ids(tokenizer, backend._messages(req))
    old = [[*pids, *tokenizer.encode(c, add_special_tokens=False), backend.turn_end_token]
           for c in cands]
    before = prefill_tokens(old, block_size=16, read_cache=False)
    print(f"p-beauty decision: prompt {len(pids)} tokens; prompt tokens computed with "
          f"prompt_logprobs {before} ({len(old)} requests), with trie reads {after} "
          f"({len(prompts)} requests)")
    assert after * 8 < before


def test_hybrid_models_read_the_prompts_before_the_rest_of_the_trie(
        backend: VLLMBackend) -> None:
    reqs = [GenerationRequest.chat("A number?"), GenerationRequest.chat("Another number?")]
    cands = [["1", "10", "100"], ["2", "20"]]
    attention_only = backend.score(reqs, cands)
    engine = _engine(backend)
    engine.model_config.is_hybrid = True
    hybrid = backend.score(reqs, cands)
    (warm, _), (rest, _) = engine.calls[-2:]
    assert len(warm) == 2 and rest and all(len(p) > len(w) for p in rest for w in warm)
    for a, b in zip(attention_only, hybrid, strict=True):
        np.testing.assert_array_equal(a, b)


def test_wide_trie_nodes_split_at_vllms_logprob_token_ids_limit(backend: VLLMBackend) -> None:
    assert vllm_scoring.MAX_LOGPROB_TOKEN_IDS == vllm.sampling_params.MAX_LOGPROB_TOKEN_IDS
    words = [f"w{i}" for i in range(300)]
    with pytest.raises(VLLMValidationError, match="logprob_token_ids"):  # what vLLM refuses
        VSamplingParams(logprob_token_ids=list(range(129)))._validate_logprobs(
            _engine(backend).model_config)
    got = backend.score([GenerationRequest.chat("Say a word.")], [words])[0]
    _, params = _engine(backend).calls[-1]
    assert max(len(sp.logprob_token_ids) for sp in params) <= 128
    assert got.shape == (300,) and np.all(np.isfinite(got))


def test_temperature_limits_are_vllms_and_are_refused_up_front(backend: VLLMBackend) -> None:
    from vllm.sampling_params import _MAX_TEMP

    assert VLLMBackend.min_positive_temperature == _MAX_TEMP
    assert VSamplingParams(temperature=VLLMBackend.max_temperature).temperature == 2.0
    with pytest.raises(VLLMValidationError, match="temperature"):
        VSamplingParams(temperature=VLLMBackend.max_temperature + 1e-6)
    assert VSamplingParams(temperature=0.005).temperature == _MAX_TEMP  # silently raised
    for t, msg in ((2.5, "temperature <= 2"), (0.005, "temperature 0 .greedy. or >= 0.01")):
        req = GenerationRequest.chat("hi", sampling=SamplingParams(temperature=t))
        with pytest.raises(ValueError, match=msg):
            backend.generate([req])
        with pytest.raises(ValueError, match=msg):
            backend.validate(req)
    assert _engine(backend).calls == []  # refused before the engine saw anything
    backend.generate([GenerationRequest.chat("hi", sampling=SamplingParams(temperature=2.0))])
    policy = make_policy("llm", backend="vllm", backend_options={"model": "m"}, temperature=3.0)
    with pytest.raises(ValueError, match="temperature <= 2, got 3"):  # before the first step
        policy.backend  # noqa: B018


def _constraints() -> dict[str, Constraint]:
    from agora.testing.backends import CHOICES, GRAMMAR, REGEX, SCHEMA

    return {"json_schema": Constraint(json_schema=SCHEMA), "regex": Constraint(regex=REGEX),
            "choices": Constraint(choices=CHOICES), "grammar": Constraint(grammar=GRAMMAR)}


@pytest.mark.parametrize("kind", ["json_schema", "regex", "choices", "grammar"])
def test_every_constraint_and_sampling_option_builds_valid_vllm_params(
        backend: VLLMBackend, tokenizer: Any, kind: str) -> None:
    c = _constraints()[kind]
    req = GenerationRequest.chat("hi", constraint=c, sampling=SamplingParams(
        temperature=0.7, top_p=0.9, max_tokens=5, seed=3, stop=("\n",), logprobs=2))
    sp = sampling_params(req, 11)
    assert (sp.temperature, sp.top_p, sp.max_tokens, sp.seed, sp.stop, sp.logprobs) == (
        0.7, 0.9, 5, 11, ["\n"], 2)
    so = sp.structured_outputs
    assert (so.json, so.regex, so.choice, so.grammar) == (
        c.json_schema, c.regex, None if c.choices is None else list(c.choices), c.grammar)
    engine = _engine(backend)
    sp._validate_logprobs(engine.model_config)
    config = engine.args.structured_outputs_config
    assert (config.backend, config.disable_any_whitespace) == ("xgrammar", True)
    sp._validate_structured_outputs(engine.model_config, config, tokenizer)  # runs xgrammar
    assert sp.structured_outputs._backend == "xgrammar"
    backend.validate(req)
    out = backend.generate([req])[0]
    assert out.finish_reason == "length" and out.logprobs is not None
    assert len(out.logprobs[0].top_logprobs) == 2


GBNF_CASES = {  # constraint: sentences in, sentences out
    "json_schema": (['{"guess": 0}', '{"guess": 100}'], ['{"guess": 101}', '{"guess": 05}']),
    "regex": (["42", "00"], ["4", "123"]),
    "choices": (["red", "blue"], ["Red", "redd"]),
    "grammar": (["yes 4", "no 0"], ["yes", "maybe 1"]),
}


@pytest.mark.parametrize("kind", sorted(GBNF_CASES))
def test_agoras_gbnf_means_the_same_to_xgrammar(kind: str) -> None:
    """Agora's grammars (its GBNF, with llama.cpp's hyphenated rule names) go to vLLM's
    xgrammar as they are: vLLM reads them as EBNF, not Lark, and they accept the same text."""
    import xgrammar as xgr
    from vllm.v1.structured_output.utils import grammar_is_likely_lark
    from xgrammar.testing import _is_grammar_accept_string

    from agora.llm.grammar import compile_constraint

    gbnf = compile_constraint(_constraints()[kind]).gbnf
    assert not grammar_is_likely_lark(gbnf)
    grammar = xgr.Grammar.from_ebnf(gbnf)
    good, bad = GBNF_CASES[kind]
    assert all(_is_grammar_accept_string(grammar, t) for t in good)
    assert not any(_is_grammar_accept_string(grammar, t) for t in bad)


def test_lark_grammars_are_refused_in_one_line(backend: VLLMBackend) -> None:
    req = GenerationRequest.chat("hi", constraint=Constraint(grammar='start: "a" | "b"'))
    with pytest.raises(ValueError, match=r"GBNF grammars \(rules written `name ::= ...`\)$"):
        backend.validate(req)


def test_engine_settings_are_accepted_by_vllms_engine_args(backend: VLLMBackend) -> None:
    args = _engine(backend).args
    assert args.model == SMOLLM2_HF_ID and backend.model_name == SMOLLM2_HF_ID
    assert args.enable_prefix_caching is True and args.seed == 0
    policy = make_policy("llm", backend="vllm", backend_options={
        "model": "some/model", "tensor_parallel_size": 2, "distributed_executor_backend": "mp",
        "gpu_memory_utilization": 0.3, "max_model_len": 2048})
    assert policy.backend.tensor_parallel_size == 2  # type: ignore[attr-defined]
    args = _engine(policy.backend).args
    assert (args.tensor_parallel_size, args.distributed_executor_backend) == (2, "mp")
    assert (args.gpu_memory_utilization, args.max_model_len) == (0.3, 2048)
    ray = EngineArgs(model="some/model", tensor_parallel_size=2,
                     distributed_executor_backend="ray", enable_prefix_caching=True)
    assert ray.distributed_executor_backend == "ray"
    with pytest.raises(TypeError, match="tensor_parallel"):  # the check can fail
        EngineArgs(model="some/model", tensor_parallel=2)
    assert EngineArgs(model="m").logprobs_mode == "raw_logprobs"  # what scoring reads
    with pytest.raises(ValueError, match="logprobs_mode must be 'raw_logprobs'"):
        VLLMBackend("m", logprobs_mode="processed_logprobs")


@pytest.mark.parametrize("model", ["gemma3-270m", "google/gemma-3-270m"])
def test_a_base_model_gets_the_completion_prompt_on_vllm_too(
        backend: VLLMBackend, model: str) -> None:
    """Base models are prompted completion-style on every backend; instruct models keep the
    tokenizer's own chat template (``backend`` is SmolLM2-Instruct: no template passed)."""
    from agora.llm.models import COMPLETION_TEMPLATE

    req = GenerationRequest.chat("Pick 42.", system="You are a player.",
                                 constraint=Constraint(choices=("42",)))
    backend.generate([req])
    assert _engine(backend).chat_templates == [None] and backend.chat_template is None
    base = VLLMBackend(model)
    try:
        assert base.model_name == "google/gemma-3-270m"
        assert base.chat_template == COMPLETION_TEMPLATE
        base.generate([req])
        assert _engine(base).chat_templates == [COMPLETION_TEMPLATE]
        text = base._tokenizer.decode(chat_prompt_ids(base._tokenizer, base._messages(req),
                                                      base.chat_template))
        assert text.endswith("You are a player.\n\nUser:\nPick 42.\n\nAssistant:\n")
        assert base._tokenizer.decode([base.turn_end_token]) in ("\n", "\n\n")  # blank line
        assert "chat_template_sha256" in base.describe()
    finally:
        base.close()
