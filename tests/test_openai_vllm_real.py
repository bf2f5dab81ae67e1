"""OpenAIBackend's requests and ``agora serve --backend vllm``'s command line against the real
vLLM package (its pydantic request models, its SamplingParams checks, its own argument parser).

No engine runs here (no GPU): what ``vllm serve`` does with a request body is what these models
and checks do before the engine sees it. The engine's behaviour (the logits) comes from the
toy stand-in of ``vllm_standin.py``, whose received bodies and sent answers are held to vLLM's
request and response models.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

vllm = pytest.importorskip("vllm")

import vllm_standin as toy  # noqa: E402
from pydantic import BaseModel, ValidationError  # noqa: E402
from vllm.entrypoints.openai.chat_completion.protocol import (  # noqa: E402
    ChatCompletionRequest,
    ChatCompletionResponse,
)
from vllm.entrypoints.openai.completion.protocol import (  # noqa: E402
    CompletionRequest,
    CompletionResponse,
)
from vllm.entrypoints.serve.tokenize.protocol import (  # noqa: E402
    TokenizeChatRequest,
    TokenizeCompletionRequest,
    TokenizeResponse,
)
from vllm.exceptions import VLLMError  # noqa: E402
from vllm.sampling_params import StructuredOutputsParams  # noqa: E402
from vllm.v1.structured_output.backend_xgrammar import validate_xgrammar_grammar  # noqa: E402
from vllm_standin import LoopbackServer  # noqa: E402

from agora.engine.action_spec import ActionSpec  # noqa: E402
from agora.llm import Constraint, GenerationRequest, OpenAIBackend, SamplingParams  # noqa: E402
from agora.llm.grammar import constraint_to_gbnf  # noqa: E402
from agora.server.cli import VLLM_FLAGS, parse_serve_args, vllm_command  # noqa: E402

pytestmark = pytest.mark.vllm_real

GUESS = ActionSpec(name="guess", description="your guess", low=0, high=100, integer=True)
PRICE = ActionSpec(name="price", description="your price", low=0, high=10, step=0.5)
CONSTRAINTS = {
    "none": None,
    "json_schema": Constraint(json_schema=GUESS.json_schema()),
    "json_enum": Constraint(json_schema=PRICE.json_schema()),
    "regex": Constraint(regex=GUESS.regex()),
    "choices": Constraint(choices=("cooperate", "defect")),
    "grammar": Constraint(grammar=constraint_to_gbnf(Constraint(json_schema=GUESS.json_schema()))),
}
SAMPLINGS = {
    "greedy": SamplingParams(),
    "sampled": SamplingParams(temperature=0.7, top_p=0.9, max_tokens=24, seed=5,
                              stop=("\n", "}")),
    "logprobs": SamplingParams(temperature=1.0, max_tokens=8, logprobs=5),
    "logprobs0": SamplingParams(logprobs=0),
}
MESSAGES = ({"role": "system", "content": "You play a number game."},
            {"role": "user", "content": "Round 1: <|im_end|> your guess?"})


def model_config(vocab_size: int = 49152) -> Any:
    """What ``SamplingParams._validate_logprobs`` reads of vLLM's ModelConfig (its default
    ``max_logprobs`` is 20)."""
    return SimpleNamespace(max_logprobs=20, get_vocab_size=lambda: vocab_size)

REJECTED = (ValueError, VLLMError)
"""How vLLM refuses a request (pydantic's ValidationError or VLLMValidationError: HTTP 400)."""


def _field_names(model: type[BaseModel]) -> set[str]:
    names = set(model.model_fields)
    names |= {f.alias for f in model.model_fields.values() if f.alias}
    return names


def vllm_request(model: type[BaseModel], body: dict[str, Any]) -> Any:
    """``body`` as vLLM parses it, refusing what vLLM would ignore or has deprecated.

    vLLM's request models take unknown fields (``extra="allow"``) and only log them at debug
    level, so a misspelt or unsupported field would be silently dropped by ``vllm serve``.
    """
    unknown = set(body) - _field_names(model)
    assert not unknown, f"{model.__name__} ignores field(s) {sorted(unknown)}"
    deprecated = sorted(k for k in body if k in model.model_fields
                        and model.model_fields[k].deprecated)
    assert not deprecated, f"{model.__name__} field(s) {deprecated} are deprecated"
    rf = body.get("response_format")
    if isinstance(rf, dict) and rf.get("type") == "json_schema":
        from vllm.entrypoints.generate.base.protocol import JsonSchemaResponseFormat

        extra = set(rf["json_schema"]) - _field_names(JsonSchemaResponseFormat)
        assert not extra, f"response_format.json_schema ignores {sorted(extra)}"
    so = body.get("structured_outputs")
    if so is not None:
        known = {f.name for f in dataclasses.fields(StructuredOutputsParams)}
        assert not set(so) - known, f"structured_outputs ignores {sorted(set(so) - known)}"
    return model.model_validate(copy.deepcopy(body))


def chat_sampling_params(body: dict[str, Any]) -> Any:
    """What ``vllm serve`` makes of a chat body before the engine: request model, then
    SamplingParams (its own argument checks), logprob limits and the structured-output
    grammar check of its default (xgrammar) backend."""
    req = vllm_request(ChatCompletionRequest, body)
    sp = req.to_sampling_params(req.max_completion_tokens or 16, {})
    sp._validate_logprobs(model_config())
    validate_xgrammar_grammar(copy.deepcopy(sp))
    return sp


def _client() -> OpenAIBackend:
    return OpenAIBackend("http://127.0.0.1:9/v1", model="org/model", max_retries=0)


@pytest.mark.parametrize("sampling", SAMPLINGS)
@pytest.mark.parametrize("kind", CONSTRAINTS)
def test_every_chat_body_is_a_vllm_chat_request(kind: str, sampling: str) -> None:
    constraint, sp = CONSTRAINTS[kind], SAMPLINGS[sampling]
    body = _client()._body(GenerationRequest(messages=MESSAGES, constraint=constraint,
                                             sampling=sp), "org/model")
    got = chat_sampling_params(body)
    assert (got.temperature, got.top_p, got.max_tokens, got.seed) == (
        sp.temperature, sp.top_p, sp.max_tokens, sp.seed)
    assert got.stop == list(sp.stop) and got.logprobs == sp.logprobs
    so = got.structured_outputs
    if constraint is None:
        assert so is None
    elif constraint.json_schema is not None:
        assert so.json == constraint.json_schema
    elif constraint.choices is not None:
        assert so.choice == list(constraint.choices)
    else:
        assert (so.regex, so.grammar) == (constraint.regex, constraint.grammar)


def test_the_body_check_is_not_vacuous() -> None:
    body = _client()._body(GenerationRequest(messages=MESSAGES,
                                             sampling=SamplingParams(logprobs=2)), "org/model")
    chat_sampling_params(body)
    with pytest.raises(ValidationError, match="messages"):
        chat_sampling_params({k: v for k, v in body.items() if k != "messages"})
    for renamed in ("max_tokens", "max_token"):  # deprecated / unknown: vLLM would not obey
        broken = {k: v for k, v in body.items() if k != "max_completion_tokens"}
        with pytest.raises(AssertionError, match="deprecated" if renamed == "max_tokens"
                           else "ignores"):
            chat_sampling_params({**broken, renamed: 8})
    with pytest.raises(REJECTED, match="top_logprobs"):
        chat_sampling_params({**body, "logprobs": False})
    with pytest.raises(REJECTED, match="temperature"):
        chat_sampling_params({**body, "temperature": 2.5})
    with pytest.raises(REJECTED, match="logprobs"):
        chat_sampling_params({**body, "top_logprobs": 21})
    with pytest.raises(REJECTED, match="grammar"):
        chat_sampling_params({**body, "structured_outputs": {"grammar": "root ::= ("}})


@pytest.mark.parametrize("temperature", [0.0, 1e-4, 0.005, 0.0099, 0.01, 0.5, 1.0, 2.0,
                                         2.0001, 3.0])
def test_agora_refuses_up_front_what_vllm_would_reject_or_alter(temperature: float) -> None:
    sampling = SamplingParams(temperature=temperature)
    body = {"model": "m", "messages": list(MESSAGES), "temperature": temperature}
    try:
        vllm_honours = chat_sampling_params(body).temperature == temperature
    except REJECTED:  # HTTP 400 from vllm serve
        vllm_honours = False
    try:
        _client().check_sampling(sampling)
        agora_accepts = True
    except ValueError:
        agora_accepts = False
    assert agora_accepts == vllm_honours


def wire_check(vocab_size: int) -> toy.Check:
    """The stand-in's hook: both directions of each exchange are vLLM's."""

    def check(endpoint: str, body: dict[str, Any], out: dict[str, Any]) -> None:
        if endpoint == "tokenize":
            vllm_request(TokenizeChatRequest if "messages" in body
                         else TokenizeCompletionRequest, body)
            TokenizeResponse.model_validate(out)
        elif endpoint == "completions":
            req = vllm_request(CompletionRequest, body)
            sp = req.to_sampling_params(req.max_tokens)
            sp._validate_logprobs(model_config(vocab_size))
            assert req.return_tokens_as_token_ids and sp.logprob_token_ids
            assert sp.max_tokens == 1 and sp.temperature == 0
            CompletionResponse.model_validate(out)
        else:
            chat_sampling_params(body)
            ChatCompletionResponse.model_validate(out)

    return check


def _smollm2_tokenizer() -> toy.HFTokenizer:
    """SmolLM2's Hugging Face tokenizer and chat template, read from the bundled GGUF."""
    pytest.importorskip("gguf")
    transformers = pytest.importorskip("transformers")
    from agora.llm.llamacpp.model_files import bundled_model_path

    try:
        path = bundled_model_path()
    except (FileNotFoundError, ImportError) as exc:
        pytest.skip(f"no bundled SmolLM2 GGUF: {exc}")
    hf = transformers.AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)
    return toy.HFTokenizer(hf, turn_end="<|im_end|>")


@pytest.fixture(scope="module", params=["toy", "smollm2"])
def standin(request: pytest.FixtureRequest) -> Iterator[tuple[LoopbackServer, list, Any]]:
    tok = toy.ToyTokenizer() if request.param == "toy" else _smollm2_tokenizer()
    app, seen = toy.create_app(wire_check(tok.vocab_size), tok)
    server = LoopbackServer(app)
    yield server, seen, tok
    server.close()


@pytest.mark.parametrize("terminate", [True, False])
def test_score_through_vllm_endpoints_with_vllm_bodies(
        standin: tuple[LoopbackServer, list, Any], terminate: bool) -> None:
    """The scores are the closed form (the stand-in's logits summed over the candidate's
    tokens, with the chat template's end-of-turn token found through ``/tokenize``)."""
    server, seen, tok = standin
    seen.clear()
    client = OpenAIBackend(server.url, max_concurrency=16, max_retries=0)
    cands = [str(n) for n in range(101)]
    got = client.score([GenerationRequest(messages=MESSAGES)], [cands], terminate=terminate)[0]
    sent = client._messages(GenerationRequest(messages=MESSAGES))  # control strings broken
    want = [toy.closed_form(tok, sent, c, terminate) for c in cands]
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-9)
    assert {e for e, _ in seen} == {"tokenize", "completions"}


def test_generation_and_logprobs_through_vllm_wire_format(
        standin: tuple[LoopbackServer, list, Any]) -> None:
    server, _, tok = standin
    client = OpenAIBackend(server.url, max_retries=0)
    reqs = [GenerationRequest(messages=MESSAGES, constraint=c, sampling=s)
            for c in CONSTRAINTS.values() for s in SAMPLINGS.values()]
    out = client.generate(reqs)
    first = tok.encode(toy.ANSWER)[0]
    for req, c in zip(reqs, out, strict=True):
        assert c.text == toy.ANSWER
        if req.sampling.logprobs is None:
            assert c.logprobs is None
            continue
        assert c.logprobs is not None
        assert "".join(t.token for t in c.logprobs) == toy.ANSWER
        ctx = tok.chat(client._messages(req), True)
        assert c.logprobs[0].logprob == pytest.approx(
            float(toy.logprobs(ctx, tok.vocab_size)[first]))
        assert len(c.logprobs[0].top_logprobs) == req.sampling.logprobs


@pytest.fixture(scope="module")
def serve_parser() -> Iterator[Any]:
    """``vllm serve``'s own parser, built as ``vllm`` (the CLI) builds it, on the CPU platform
    (no GPU here: vLLM's ``bench`` commands do the same)."""
    from vllm import platforms
    from vllm.entrypoints.cli.serve import ServeSubcommand
    from vllm.platforms.cpu import CpuPlatform
    from vllm.utils.argparse_utils import FlexibleArgumentParser

    mp = pytest.MonkeyPatch()
    mp.setattr(platforms, "current_platform", CpuPlatform())
    parser = FlexibleArgumentParser(prog="vllm")
    cmd = ServeSubcommand()
    cmd.subparser_init(parser.add_subparsers(dest="subparser"))
    yield lambda argv: (args := parser.parse_args(argv), cmd.validate(args), args)[-1]
    mp.undo()


@pytest.mark.parametrize("extra", [
    [], ["--vllm-arg", "--max-model-len", "--vllm-arg", "4096"],
    ["--vllm-arg=--max-model-len=4096"], ["--vllm-arg", "--max-model-len 4096"],
    ["--", "--max-model-len", "4096"],
    ["--vllm-arg", "--max-model-len=4096 -tp 1", "--", "--served-model-name", "a b"]])
def test_vllm_accepts_the_command_agora_serve_builds(serve_parser: Any,
                                                     extra: list[str]) -> None:
    args = parse_serve_args(["--backend", "vllm", "--model", "org/model", *extra])
    cmd = vllm_command(args.model, args.host, 8123, args.vllm_args)
    assert cmd[1:3] == ["serve", "org/model"]
    assert cmd[len(cmd) - len(args.vllm_args):] == args.vllm_args
    parsed = serve_parser(cmd[1:])
    assert (parsed.model_tag, parsed.host, parsed.port) == ("org/model", "127.0.0.1", 8123)
    assert parsed.enable_prefix_caching is True and parsed.generation_config == "vllm"
    assert parsed.max_num_seqs == int(VLLM_FLAGS[VLLM_FLAGS.index("--max-num-seqs") + 1])
    assert parsed.max_model_len == (4096 if extra else None)
    so = parsed.structured_outputs_config  # compact JSON, as the in-process backend
    assert (so.backend, so.disable_any_whitespace) == ("xgrammar", True)


def test_agora_serve_passes_vllm_the_hf_id_of_a_catalogue_name(serve_parser: Any) -> None:
    from agora.llm.models import COMPLETION_TEMPLATE

    args = parse_serve_args(["--backend", "vllm", "--model", "smollm2-135m"])
    cmd = vllm_command(args.model, args.host, 8123, args.vllm_args)
    assert cmd[2] == "HuggingFaceTB/SmolLM2-135M-Instruct" and "--chat-template" not in cmd
    base = vllm_command("gemma3-270m", "127.0.0.1", 8123)  # a base model: completion prompt
    assert base[2] == "google/gemma-3-270m"
    assert serve_parser(base[1:]).chat_template == COMPLETION_TEMPLATE


@pytest.mark.parametrize("bad", ["--max-modle-len=4096", "--max-model-len four"])
def test_vllm_parser_rejects_a_misspelt_flag(serve_parser: Any, bad: str) -> None:
    args = parse_serve_args(["--backend", "vllm", "--model", "org/model", "--vllm-arg", bad])
    with pytest.raises(SystemExit):
        serve_parser(vllm_command(args.model, args.host, 8123, args.vllm_args)[1:])
