"""Token sampling with llama.cpp grammars as exact masks.

llama.cpp's grammar sampler is the enforcement engine; applying it to the whole vocabulary
costs milliseconds, so the sampler first asks the grammar about a few proposed tokens and
masks the full vocabulary only when all are refused. Every path draws from exactly the
grammar-restricted distribution: greedy checks the top logits in order (the first allowed one
is the allowed argmax); with temperature, proposals are drawn from the unconstrained
distribution and the first allowed one is kept (rejection sampling), falling back to the
masked, renormalised distribution; top-p < 1 masks first so the nucleus is taken over allowed
tokens only.
"""

from __future__ import annotations

import ctypes

import llama_cpp as lc
import numpy as np

from agora.llm.llamacpp.engine import LlamaEngine

_TOKEN_DATA = np.dtype([("id", np.int32), ("logit", np.float32), ("p", np.float32)])
assert _TOKEN_DATA.itemsize == ctypes.sizeof(lc.llama_token_data)


class GrammarDeadEndError(ValueError):
    """The grammar allows no token (a grammar without an accepting path) or refuses the one
    given: a property of the request, so a server answers it with 400."""


MaskCache = dict[tuple[str, tuple[int, ...]], np.ndarray]
"""Allowed-token masks keyed by grammar text and the tokens accepted so far."""


class GrammarMask:
    """A GBNF grammar tracking one generation; answers which tokens may come next.

    The grammar's state is a function of its text and the tokens accepted so far, so
    sequences sharing a ``cache`` (e.g. all agents of a batch after the same forced prefix)
    compute each full-vocabulary mask once.
    """

    def __init__(self, engine: LlamaEngine, gbnf: str, cache: MaskCache | None = None) -> None:
        self._g = lc.llama_sampler_init_grammar(engine.vocab, gbnf.encode("utf-8"), b"root")
        if not self._g:
            raise ValueError(f"llama.cpp rejected the GBNF grammar:\n{gbnf}")
        self._gbnf, self._cache = gbnf, cache
        self._history: tuple[int, ...] = ()
        self._full = np.zeros(engine.n_vocab, dtype=_TOKEN_DATA)
        self._full["id"] = np.arange(engine.n_vocab, dtype=np.int32)
        self._one = np.zeros(1, dtype=_TOKEN_DATA)

    def _apply(self, buf: np.ndarray) -> None:
        arr = lc.llama_token_data_array(
            data=buf.ctypes.data_as(lc.llama_token_data_p), size=buf.size, selected=-1,
            sorted=False)
        lc.llama_sampler_apply(self._g, ctypes.byref(arr))

    def allows(self, token: int) -> bool:
        """Whether ``token`` may come next."""
        if not 0 <= token < self._full.size:  # llama.cpp would throw on an unknown id
            return False
        self._one["id"], self._one["logit"] = token, 0.0
        self._apply(self._one)
        return bool(np.isfinite(self._one["logit"][0]))

    def allowed(self) -> np.ndarray:
        """Boolean mask over the vocabulary of the tokens that may come next (read-only)."""
        key = (self._gbnf, self._history)
        if self._cache is not None and key in self._cache:
            return self._cache[key]
        self._full["logit"] = 0.0
        self._apply(self._full)
        ok = np.isfinite(self._full["logit"])
        if not ok.any():
            raise GrammarDeadEndError("the grammar allows no next token")
        ok.flags.writeable = False
        if self._cache is not None:
            self._cache[key] = ok
        return ok

    def accept(self, token: int) -> None:
        """Advance past ``token``; ``GrammarDeadEndError`` if the grammar refuses it.

        llama.cpp aborts the process (a C++ exception or ``GGML_ABORT``) when a refused token
        is accepted, so this is checked first, whatever the caller believes.
        """
        if not self.allows(token):
            raise GrammarDeadEndError(f"the grammar does not allow token {token} here")
        lc.llama_sampler_accept(self._g, token)
        self._history = (*self._history, token)

    def free(self) -> None:
        """Release the llama.cpp sampler. Idempotent."""
        if self._g:
            lc.llama_sampler_free(self._g)
            self._g = None


class TokenSampler:
    """Greedy or temperature/top-p sampling of one sequence, optionally grammar-restricted."""

    PROPOSALS = 16
    """Unconstrained proposals tried before masking the whole vocabulary."""

    def __init__(self, grammar: GrammarMask | None, *, temperature: float, top_p: float,
                 seed: int) -> None:
        self.grammar = grammar
        self.temperature, self.top_p = temperature, top_p
        self._rng = np.random.default_rng(seed)

    def sample(self, logits: np.ndarray) -> int:
        """Next token from one row of logits; the grammar (if any) is advanced past it."""
        g = self.grammar
        if self.temperature == 0:
            tok = self._greedy(logits)
        else:
            z = logits.astype(np.float64) / self.temperature
            if g is None:
                tok = self._draw(z)
            elif self.top_p < 1:  # the nucleus is taken over allowed tokens only
                tok = self._draw(np.where(g.allowed(), z, -np.inf))
            else:
                tok = self._rejection(z, g)
        if g is not None:
            g.accept(tok)
        return tok

    def _greedy(self, logits: np.ndarray) -> int:
        g = self.grammar
        if g is None:
            return int(np.argmax(logits))
        # The best allowed token among the top few is the best allowed token overall.
        top = np.argpartition(-logits, self.PROPOSALS)[: self.PROPOSALS]
        for tok in top[np.argsort(-logits[top], kind="stable")]:
            if g.allows(int(tok)):
                return int(tok)
        return int(np.argmax(np.where(g.allowed(), logits, -np.inf)))

    def _rejection(self, z: np.ndarray, g: GrammarMask) -> int:
        """Exact draw from the allowed tokens: rejection first, full mask if unlucky."""
        p = np.exp(z - z.max())
        cdf = np.cumsum(p)
        for u in self._rng.random(self.PROPOSALS):
            tok = int(np.searchsorted(cdf, u * cdf[-1], side="right"))
            if g.allows(tok):
                return tok
        return self._draw(np.where(g.allowed(), z, -np.inf))

    def _draw(self, z: np.ndarray) -> int:
        p = np.exp(z - z.max())
        if self.top_p < 1:
            order = np.argsort(-p, kind="stable")
            sorted_p = p[order] / p.sum()
            keep = int(np.searchsorted(np.cumsum(sorted_p), self.top_p)) + 1
            p, index = sorted_p[:keep], order[:keep]
        else:
            index = None
        cdf = np.cumsum(p)
        k = min(int(np.searchsorted(cdf, self._rng.random() * cdf[-1], side="right")),
                cdf.size - 1)
        return int(k if index is None else index[k])

    def free(self) -> None:
        """Release the grammar."""
        if self.grammar is not None:
            self.grammar.free()
