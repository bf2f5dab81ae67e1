"""Thin wrapper over llama.cpp's C API: one model, one multi-sequence context, tree batches.

A token of a batch may belong to several sequences; with a unified KV cache this evaluates a
prefix tree of prompts (or of candidate answers) in one ``llama_decode``: every sequence
attends exactly to the cells on its own root-to-leaf path.
"""

from __future__ import annotations

import ctypes
import logging
import os
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

try:
    import llama_cpp as lc
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "backend 'llamacpp' needs `pip install agora-sim[cpu]` "
        '(build llama-cpp-python with CMAKE_ARGS="-DGGML_NATIVE=OFF")') from exc

_INIT_LOCK = threading.Lock()
_initialised = False


class LlamaError(RuntimeError):
    """llama.cpp refused an operation."""


GGML_LOG_ERROR = 4
"""ggml's ``GGML_LOG_LEVEL_ERROR`` (NONE 0, DEBUG 1, INFO 2, WARN 3, ERROR 4, CONT 5)."""
GGML_LOG_CONT = 5
_log_state = {"verbose": False, "last": 0}


@lc.llama_log_callback  # type: ignore[misc]
def _log(level: int, text: bytes, _user: ctypes.c_void_p) -> None:
    """llama.cpp's log lines: errors only, everything when verbose.

    llama-cpp-python's own callback reads ggml's levels with an older table (a warning counts
    as an error there), so a quiet load still printed warnings such as Gemma's
    "control-looking token" notice.
    """
    level = _log_state["last"] if level == GGML_LOG_CONT else level
    _log_state["last"] = level
    if _log_state["verbose"] or level >= GGML_LOG_ERROR:
        print(text.decode("utf-8", "replace"), end="", flush=True, file=sys.stderr)


def _init_backend(verbose: bool) -> None:
    global _initialised
    logging.getLogger("llama-cpp-python").setLevel(logging.DEBUG if verbose else logging.ERROR)
    _log_state["verbose"] = verbose
    with _INIT_LOCK:
        if not _initialised:
            lc.llama_log_set(_log, ctypes.c_void_p(0))
            lc.llama_backend_init()
            _initialised = True


class LlamaEngine:
    """A loaded GGUF model with a unified-KV context holding up to ``n_seq_max`` sequences."""

    def __init__(self, model_path: str | Path, *, n_ctx: int, n_batch: int, n_seq_max: int,
                 n_threads: int, n_ubatch: int = 512, flash_attn: int = -1,
                 verbose: bool = False) -> None:
        _init_backend(verbose)
        max_seq = int(lc.llama_max_parallel_sequences())
        if not 1 <= n_seq_max <= max_seq:
            raise ValueError(f"n_seq_max must be in [1, {max_seq}], got {n_seq_max}")
        self.path = Path(model_path)
        if not self.path.is_file():
            raise FileNotFoundError(f"GGUF model file not found: {self.path}")
        mparams = lc.llama_model_default_params()
        self._model = lc.llama_model_load_from_file(str(self.path).encode(), mparams)
        if not self._model:
            raise LlamaError(f"llama.cpp could not load {self.path}")
        cparams = lc.llama_context_default_params()
        cparams.n_ctx, cparams.n_batch, cparams.n_ubatch = n_ctx, n_batch, min(n_ubatch, n_batch)
        cparams.flash_attn_type = flash_attn
        cparams.n_seq_max = n_seq_max
        cparams.n_outputs_max = 0  # = n_batch: tree batches request logits at many tokens
        cparams.n_outputs_max_per_seq = 0
        cparams.n_threads = cparams.n_threads_batch = n_threads
        cparams.kv_unified = True  # tokens shared by several sequences need one KV stream
        cparams.no_perf = True
        self._ctx = lc.llama_init_from_model(self._model, cparams)
        if not self._ctx:
            lc.llama_model_free(self._model)
            raise LlamaError(f"llama.cpp could not create a context (n_ctx={n_ctx})")
        self.n_ctx = int(lc.llama_n_ctx(self._ctx))
        self.n_batch, self.n_seq_max = n_batch, n_seq_max
        self.vocab = lc.llama_model_get_vocab(self._model)
        self.n_vocab = int(lc.llama_vocab_n_tokens(self.vocab))
        self._mem = lc.llama_get_memory(self._ctx)
        self._batch = lc.llama_batch_init(n_batch, 0, n_seq_max)
        self._pieces: dict[int, bytes] = {}
        self._specials: list[tuple[int, str, int]] | None = None
        self._closed = False
        self.tokens_evaluated = 0
        """Tokens passed to ``llama_decode`` so far (prefix sharing keeps this low)."""

    # ------------------------------------------------------------------ vocabulary
    def tokenize(self, text: str, *, add_special: bool = False,
                 parse_special: bool = False) -> list[int]:
        """Token ids of ``text``.

        Args:
            text: The text.
            add_special: Add the model's BOS (and EOS) tokens as its vocabulary asks.
            parse_special: Map special-token text (``<|im_end|>``) to its control token. Only
                for trusted template text: data must never become a control token.
        """
        raw = text.encode("utf-8")
        cap = len(raw) + 16
        buf = (lc.llama_token * cap)()
        n = lc.llama_tokenize(self.vocab, raw, len(raw), buf, cap, add_special, parse_special)
        if n < 0:
            raise LlamaError(f"tokenization needs {-n} tokens, more than {cap}")
        return list(buf[:n])

    def special_tokens(self) -> list[tuple[int, str, int]]:
        """``(id, text, attributes)`` of the tokens llama.cpp matches in text before
        tokenizing (control, user-defined and unknown), longest text first as llama.cpp
        tries them."""
        if self._specials is None:
            kinds = lc.LLAMA_TOKEN_ATTR_CONTROL | lc.LLAMA_TOKEN_ATTR_USER_DEFINED | \
                lc.LLAMA_TOKEN_ATTR_UNKNOWN
            found = []
            for tok in range(self.n_vocab):
                attr = int(lc.llama_vocab_get_attr(self.vocab, tok))
                if attr & kinds:
                    raw = lc.llama_vocab_get_text(self.vocab, tok)
                    text = raw.decode("utf-8", errors="replace") if raw else ""
                    if text:
                        found.append((tok, text, attr))
            found.sort(key=lambda t: (-len(t[1].encode("utf-8")), t[0]))
            self._specials = found
        return list(self._specials)

    def piece(self, token: int) -> bytes:
        """UTF-8 bytes of a token (empty for control tokens such as end-of-turn)."""
        got = self._pieces.get(token)
        if got is None:
            buf = ctypes.create_string_buffer(64)
            n = lc.llama_token_to_piece(self.vocab, token, buf, 64, 0, False)
            if n < 0:
                buf = ctypes.create_string_buffer(-n)
                n = lc.llama_token_to_piece(self.vocab, token, buf, -n, 0, False)
            got = self._pieces[token] = buf.raw[:n]
        return got

    def is_eog(self, token: int) -> bool:
        """Whether ``token`` ends generation (end of turn / end of text)."""
        return bool(lc.llama_vocab_is_eog(self.vocab, token))

    def chat_template(self) -> str | None:
        """The model's Jinja chat template, if the GGUF carries one."""
        raw = lc.llama_model_chat_template(self._model, None)
        return raw.decode("utf-8") if raw else None

    def special_text(self, token: int) -> str:
        """Text of a special token (BOS/EOS) as it appears in templates."""
        if token < 0:
            return ""
        buf = ctypes.create_string_buffer(128)
        n = lc.llama_token_to_piece(self.vocab, token, buf, 128, 0, True)
        return buf.raw[: max(n, 0)].decode("utf-8", errors="replace")

    @property
    def bos(self) -> int:
        """Beginning-of-sequence token id (-1 if none)."""
        return int(lc.llama_vocab_bos(self.vocab))

    @property
    def eos(self) -> int:
        """End-of-sequence token id."""
        return int(lc.llama_vocab_eos(self.vocab))

    @property
    def add_bos(self) -> bool:
        """Whether prompts should start with BOS."""
        return bool(lc.llama_vocab_get_add_bos(self.vocab))

    # ------------------------------------------------------------------ evaluation
    def decode(self, tokens: Sequence[int], positions: Sequence[int],
               seqs: Sequence[Sequence[int]], want_logits: Sequence[bool]) -> None:
        """Evaluate one batch; token ``i`` sits at ``positions[i]`` in every seq of ``seqs[i]``."""
        n = len(tokens)
        if n == 0:
            return
        if n > self.n_batch:
            raise ValueError(f"batch of {n} tokens exceeds n_batch={self.n_batch}")
        b = self._batch
        b.n_tokens = n
        for i in range(n):
            b.token[i] = tokens[i]
            b.pos[i] = positions[i]
            ids = seqs[i]
            b.n_seq_id[i] = len(ids)
            row = b.seq_id[i]
            for k, s in enumerate(ids):
                row[k] = s
            b.logits[i] = 1 if want_logits[i] else 0
        rc = lc.llama_decode(self._ctx, b)
        self.tokens_evaluated += n
        if rc != 0:
            raise LlamaError(f"llama_decode failed with code {rc} "
                             "(1: no KV slot - raise n_ctx or lower the batch size)")

    def logits(self, n_outputs: int, *, copy: bool = True) -> np.ndarray:
        """Logits of the last batch's outputs, shape ``(n_outputs, n_vocab)``.

        Without ``copy`` the array views llama.cpp's buffer and is valid until the next decode.
        """
        ptr = lc.llama_get_logits(self._ctx)
        view = np.ctypeslib.as_array(ptr, shape=(n_outputs, self.n_vocab))
        return view.copy() if copy else view

    def logits_row(self, batch_index: int) -> np.ndarray:
        """View of the logits of token ``batch_index`` of the last batch (valid until the next
        decode)."""
        ptr = lc.llama_get_logits_ith(self._ctx, batch_index)
        if not ptr:
            raise LlamaError(f"no logits for batch token {batch_index}")
        return np.ctypeslib.as_array(ptr, shape=(self.n_vocab,))

    # ------------------------------------------------------------------ KV cache
    def seq_rm(self, seq: int, p0: int = -1, p1: int = -1) -> None:
        """Drop cells of ``seq`` in positions ``[p0, p1)`` (-1: open end)."""
        if not lc.llama_memory_seq_rm(self._mem, seq, p0, p1):
            raise LlamaError(f"could not remove positions [{p0}, {p1}) of sequence {seq}")

    def seq_cp(self, src: int, dst: int, p0: int = -1, p1: int = -1) -> None:
        """Make ``dst`` share ``src``'s cells in positions ``[p0, p1)``."""
        lc.llama_memory_seq_cp(self._mem, src, dst, p0, p1)

    def clear(self) -> None:
        """Empty the KV cache."""
        lc.llama_memory_clear(self._mem, True)

    def close(self) -> None:
        """Free the batch, context and model. Idempotent."""
        if self._closed:
            return
        self._closed = True
        lc.llama_batch_free(self._batch)
        lc.llama_free(self._ctx)
        lc.llama_model_free(self._model)



REQUANT_TYPES = {"f16": 1, "q4_0": 2, "q8_0": 7}
"""``requantize`` choices and their llama.cpp file types."""
CACHE_ENV = "AGORA_CACHE_DIR"


def requantized(path: Path, kind: str, *, n_threads: int) -> Path:
    """A cached copy of the GGUF at ``path`` re-quantized to ``kind`` (created on first use).

    Q4_1 (the bundled file) has no fast batched CPU kernels; ``q8_0`` runs prompts about 1.5x
    faster with a near-identical model. The copy lives in ``$AGORA_CACHE_DIR`` (default
    ``~/.cache/agora/models``) and is rebuilt when the source is newer.
    """
    if kind not in REQUANT_TYPES:
        raise ValueError(f"requantize must be one of {sorted(REQUANT_TYPES)}, got {kind!r}")
    cache = Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "agora") / "models"
    target = cache / f"{path.stem}.{kind}.gguf"
    if target.is_file() and target.stat().st_mtime >= path.stat().st_mtime:
        return target
    cache.mkdir(parents=True, exist_ok=True)
    _init_backend(False)
    params = lc.llama_model_quantize_default_params()
    params.ftype = REQUANT_TYPES[kind]
    params.allow_requantize = True
    params.nthread = n_threads
    tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    try:
        rc = lc.llama_model_quantize(str(path).encode(), str(tmp).encode(), params)
        if rc != 0:
            raise LlamaError(f"llama.cpp could not re-quantize {path} to {kind} (code {rc})")
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target
