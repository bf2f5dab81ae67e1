"""Scoring candidate answers against ``vllm serve`` over vLLM's own HTTP protocol.

``agora serve`` scores at ``POST /v1/agora/score``; a ``vllm serve`` has no such endpoint, so
:class:`VLLMScorer` builds the answer's log-probability from requests vLLM does serve:

1. ``POST /tokenize`` (at the server root, not under ``/v1``) turns the chat prompt into token
   ids (``messages`` + ``add_generation_prompt``) and each candidate into its ids (cached);
2. with ``terminate``, the chat template's end-of-turn token is found once, by tokenizing an
   assistant turn and reading the token after its content;
3. the candidates' token trie is walked with one ``POST /v1/completions`` per trie node: the
   prompt is the token-id list (prompt ids + the node's answer prefix), ``max_tokens`` 1,
   ``temperature`` 0, and ``logprob_token_ids`` the node's children (vLLM answers
   ``log p(child | prompt + prefix)`` for each). The root node goes first and alone, so the
   prompt is computed once and every other node reads it from vLLM's prefix cache; the other
   nodes then go concurrently. (``prompt_logprobs`` would re-read the whole prompt per
   candidate: vLLM does not serve prompt log-probabilities from its cache.)

Each candidate is tokenized on its own, as the in-process vLLM backend does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import numpy as np

from agora.llm.base import TURN_MARKER, BackendError
from agora.llm.candidate_trie import Edge, sum_edges, trie_nodes
from agora.llm.vllm_scoring import MAX_LOGPROB_TOKEN_IDS

TOKENIZE_PATH = "/tokenize"
"""vLLM's tokenizer endpoint, relative to the server root (the base URL without ``/v1``)."""
COMPLETIONS_PATH = "/completions"
"""The completions endpoint, relative to the ``/v1`` base URL."""
MAX_CACHED_CANDIDATES = 65536
"""Candidate tokenizations kept per backend (the cache restarts when full)."""

Post = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]
"""``POST`` of a JSON body to a path or URL, returning the decoded answer."""


def server_root(base_url: str) -> str:
    """The server root of a ``.../v1`` base URL (where vLLM serves ``/tokenize``)."""
    base = base_url.rstrip("/")
    return base[: -len("/v1")] if base.endswith("/v1") else base


def tokenize_chat_body(model: str, messages: Sequence[Mapping[str, str]], *,
                       add_generation_prompt: bool = True) -> dict[str, Any]:
    """A vLLM ``TokenizeChatRequest``: the chat template's token ids of ``messages``."""
    return {"model": model, "messages": [dict(m) for m in messages],
            "add_generation_prompt": add_generation_prompt}


def tokenize_text_body(model: str, text: str) -> dict[str, Any]:
    """A vLLM ``TokenizeCompletionRequest``: the ids of ``text`` alone (no BOS)."""
    return {"model": model, "prompt": text, "add_special_tokens": False}


def node_body(model: str, prompt_ids: Sequence[int], children: Sequence[int]) -> dict[str, Any]:
    """A vLLM ``CompletionRequest`` asking ``log p(child | prompt_ids)`` for each child."""
    if not 1 <= len(children) <= MAX_LOGPROB_TOKEN_IDS:
        raise ValueError(f"a node asks 1 to {MAX_LOGPROB_TOKEN_IDS} tokens, got {len(children)}")
    return {"model": model, "prompt": [int(t) for t in prompt_ids], "max_tokens": 1,
            "temperature": 0.0, "logprobs": 0, "logprob_token_ids": [int(t) for t in children],
            "return_tokens_as_token_ids": True}


def node_logprobs(data: Mapping[str, Any], children: Sequence[int]) -> dict[int, float]:
    """Each child's log-probability from a ``/v1/completions`` answer to :func:`node_body`."""
    try:
        step = data["choices"][0]["logprobs"]["top_logprobs"][0]
        found = {int(k.removeprefix("token_id:")): float(v) for k, v in step.items()
                 if k.startswith("token_id:")}
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
        raise BackendError(f"malformed completion logprobs ({exc!r}): {str(data)[:300]}") \
            from None
    missing = [t for t in children if t not in found]
    if missing:
        raise BackendError(f"the server reported no log-probability for token(s) {missing[:5]}")
    return {t: found[t] for t in children}


def token_ids(data: Mapping[str, Any]) -> list[int]:
    """The ids of a ``/tokenize`` answer (vLLM's ``TokenizeResponse.tokens``)."""
    tokens = data.get("tokens") if isinstance(data, Mapping) else None
    if not isinstance(tokens, list) or not all(isinstance(t, int) for t in tokens):
        raise BackendError(f"malformed /tokenize answer: {str(data)[:300]}")
    return tokens


def turn_end_token(prompt: Sequence[int], turn: Sequence[int], content: Sequence[int]) -> int:
    """The token after an assistant turn's content.

    ``prompt``: the ids of a chat up to the generation prompt; ``turn``: the same chat with an
    assistant turn whose text is :data:`TURN_MARKER`; ``content``: the marker's own ids.
    """
    start = 0
    while start < min(len(prompt), len(turn)) and prompt[start] == turn[start]:
        start += 1
    for body in (list(content), list(content[1:])):  # the first piece may merge differently
        n = len(body)
        for j in range(start, len(turn) - n if n else start):
            if list(turn[j:j + n]) == body:
                return int(turn[j + n])
    raise BackendError("cannot find the chat template's end-of-turn token (the assistant turn "
                       "does not contain its content's tokens); score with terminate=False")


class VLLMScorer:
    """Scores candidates through ``/tokenize`` and ``/v1/completions`` (see the module).

    Keeps what does not change between calls (candidate ids, the end-of-turn token); each
    call gets the ``post`` of its own event loop, which bounds the requests in flight.

    Args:
        root: The server root, where ``/tokenize`` lives.
        model: The served model id.
    """

    def __init__(self, root: str, model: str) -> None:
        self._root, self._model = root.rstrip("/"), model
        self._candidates: dict[str, list[int]] = {}
        self._turn_end: int | None = None

    async def tokenize(self, post: Post, body: dict[str, Any]) -> list[int]:
        """Token ids of a tokenize body."""
        return token_ids(await post(self._root + TOKENIZE_PATH, body))

    async def candidate_ids(self, post: Post, text: str) -> list[int]:
        """A candidate's token ids (asked once per scorer)."""
        if text not in self._candidates:
            ids = await self.tokenize(post, tokenize_text_body(self._model, text))
            if not ids:
                raise BackendError(f"candidate {text!r} tokenizes to no tokens")
            if len(self._candidates) >= MAX_CACHED_CANDIDATES:
                self._candidates.clear()
            self._candidates[text] = ids
        return self._candidates[text]

    async def turn_end(self, post: Post) -> int:
        """The chat template's end-of-turn token id (found once)."""
        if self._turn_end is None:
            user = {"role": "user", "content": "q"}
            prompt, turn, content = await asyncio.gather(
                self.tokenize(post, tokenize_chat_body(self._model, [user])),
                self.tokenize(post, tokenize_chat_body(
                    self._model, [user, {"role": "assistant", "content": TURN_MARKER}],
                    add_generation_prompt=False)),
                self.tokenize(post, tokenize_text_body(self._model, TURN_MARKER)))
            self._turn_end = turn_end_token(prompt, turn, content)
        return self._turn_end

    async def score(self, post: Post, messages: Sequence[Mapping[str, str]],
                    candidates: Sequence[str], terminate: bool) -> np.ndarray:
        """``log p(candidate | messages)`` for each candidate (see ``Backend.score``)."""
        prompt, ids, end = await asyncio.gather(
            self.tokenize(post, tokenize_chat_body(self._model, messages)),
            asyncio.gather(*(self.candidate_ids(post, c) for c in candidates)),
            self.turn_end(post) if terminate else _none())
        seqs = [[*c, end] if end is not None else list(c) for c in ids]
        nodes = trie_nodes(seqs, MAX_LOGPROB_TOKEN_IDS)
        logprob: dict[Edge, float] = {}

        async def ask(prefix: tuple[int, ...], kids: Sequence[int]) -> None:
            data = await post(COMPLETIONS_PATH, node_body(self._model, [*prompt, *prefix], kids))
            for tok, lp in node_logprobs(data, kids).items():
                logprob[(prefix, tok)] = lp

        await ask(*nodes[0])  # computes the prompt once; the rest hit the prefix cache
        await asyncio.gather(*(ask(p, k) for p, k in nodes[1:]))
        return sum_edges(seqs, logprob)


async def _none() -> None:
    return None
