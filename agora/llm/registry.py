"""The one list of LLM backends: name, class (imported lazily), options, extra, packages.

Every place that offers a backend asks this registry: the ``--backend`` choices of ``agora run``,
``agora serve`` and the experiments, :class:`~agora.policies.llm_policy.LLMPolicy`'s
``backend=`` setting, the package versions a run's manifest records, and the message naming
the extra to install when a backend's packages are missing. agora's own backends are declared
here; other packages add theirs through the ``agora.backends`` entry-point group::

    [project.entry-points."agora.backends"]
    echo = "my_package.backend:SPEC"      # a BackendSpec (imports nothing heavy), or
    echo2 = "my_package.backend:EchoBackend"  # a Backend subclass

The backend is chosen by arguments (flags, spec fields, function arguments), never by
environment variables.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import inspect
import json
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from agora.llm.base import Backend

ENTRY_POINT_GROUP = "agora.backends"
"""Entry-point group through which packages (agora's own included) register backends."""
DEFAULT_BACKEND = "llamacpp"
"""The backend LLM policies use when nobody chose one: the embedded CPU model."""


@dataclass(frozen=True, kw_only=True)
class BackendSpec:
    """A registered backend.

    Attributes:
        name: What ``--backend`` and ``backend =`` say.
        target: The :class:`~agora.llm.base.Backend` subclass (or a factory returning one),
            or its lazy import path ``"module:attribute"``, loaded on first construction.
        description: One line for ``--help`` and listings.
        options: Keyword arguments the backend takes, each with a one-line description (its
            options schema). Empty: any keyword is passed through unchecked.
        required: Options that must be given (e.g. a server URL).
        more_options: What other keywords the backend passes on (e.g. ``vllm.LLM``'s), or
            ``None`` when :attr:`options` is the complete list.
        model_option: The option a generic ``--model`` flag sets (``None``: ``--model`` is
            refused).
        extra: The ``agora-sim`` extra that installs the backend's packages.
        install: What to ``pip install`` (default ``agora-sim[extra]``).
        packages: Distributions whose versions a run's manifest records.
    """

    name: str
    target: str | type[Backend] | Callable[..., Backend]
    description: str = ""
    options: Mapping[str, str] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    more_options: str | None = None
    model_option: str | None = None
    extra: str | None = None
    install: str | None = None
    packages: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.name or not self.name.replace("_", "").replace("-", "").isalnum():
            raise ValueError(f"backend name must be alphanumeric (with - or _), got "
                             f"{self.name!r}")
        if isinstance(self.target, str) and ":" not in self.target:
            raise ValueError(f"backend {self.name!r}: target must be 'module:attribute', got "
                             f"{self.target!r}")
        unknown = [k for k in (*self.required, self.model_option or "")
                   if k and self.options and k not in self.options]
        if unknown:
            raise ValueError(f"backend {self.name!r}: {unknown} are not among its options")
        object.__setattr__(self, "options", dict(self.options))
        object.__setattr__(self, "packages", tuple(self.packages))

    @property
    def install_hint(self) -> str:
        """The pip command that installs this backend's packages."""
        what = self.install or (f"agora-sim[{self.extra}]" if self.extra else "agora-sim")
        return f"pip install {what}"

    def missing(self, exc: ImportError) -> ImportError:
        """The one-line error for a backend whose packages are not installed."""
        err = ImportError(f"backend {self.name!r} needs `{self.install_hint}` ({exc})")
        err.__cause__ = exc
        return err

    def load(self) -> Callable[..., Backend]:
        """The backend class (or factory), importing it now if the target is a path."""
        if not isinstance(self.target, str):
            return self.target
        module, _, attr = self.target.partition(":")
        try:
            return getattr(importlib.import_module(module), attr)  # type: ignore[no-any-return]
        except ImportError as exc:
            raise self.missing(exc) from exc

    def check_options(self, options: Mapping[str, Any]) -> None:
        """One-line ``ValueError`` for unknown or missing options."""
        if self.options and self.more_options is None:
            unknown = sorted(set(options) - set(self.options))
            if unknown:
                raise ValueError(f"backend {self.name!r} has no option {unknown[0]!r}; its "
                                 f"options: {', '.join(self.options)}")
        missing = [k for k in self.required if options.get(k) is None]
        if missing:
            raise ValueError(f"backend {self.name!r} needs option {missing[0]!r} "
                             f"({self.options.get(missing[0], 'required')})")

    def create(self, **options: Any) -> Backend:
        """A new backend built with ``options`` (checked against :attr:`options` first)."""
        self.check_options(options)
        factory = self.load()
        try:
            backend = factory(**options)
        except ImportError as exc:  # a package imported on construction (vLLM does)
            raise self.missing(exc) from exc
        if not isinstance(backend, Backend):
            raise TypeError(f"backend {self.name!r} built a {type(backend).__name__}, not a "
                            f"Backend")
        return backend


LLAMACPP = BackendSpec(
    name="llamacpp", target="agora.llm.llamacpp.backend:LlamaCppBackend",
    description="embedded llama.cpp on CPU (default: the bundled SmolLM2-135M-Instruct)",
    options={"model_path": "smollm2-135m, gemma3-270m or a .gguf path (default: smollm2-135m)",
        "n_ctx": "KV cache cells", "n_threads": "CPU threads (default: every core)",
        "seed": "base seed", "n_parallel": "sequences decoded together",
        "chat_template": "Jinja chat template overriding the GGUF's",
        "frac_digits": "decimals of JSON numbers",
        "requantize": "q8_0, q4_0, f16, none or auto", "verbose": "llama.cpp logs"},
    model_option="model_path", extra="cpu", packages=("llama-cpp-python",))
OPENAI = BackendSpec(
    name="openai", target="agora.llm.openai_backend:OpenAIBackend",
    description="any OpenAI-compatible server (agora serve, vllm serve, ...)", model_option="model",
    options={"base_url": "server base URL ending in /v1", "model": "served model id",
        "api_key": "bearer token", "max_concurrency": "requests in flight",
        "timeout_s": "per-request timeout", "max_retries": "retries per request",
        "backoff_s": "first retry delay", "backoff_max_s": "longest retry delay",
        "seed": "jitter seed", "special_tokens": "model control strings to break"},
    required=("base_url",), extra="server", packages=("httpx",))
VLLM = BackendSpec(
    name="vllm", target="agora.llm.vllm_backend:VLLMBackend",
    description="vLLM in this process (CUDA GPU)", model_option="model",
    options={"model": "Hugging Face id or local path", "seed": "engine seed",
        "tensor_parallel_size": "GPUs per model",
        "distributed_executor_backend": "ray, mp, uni or external_launcher",
        "chat_template": "Jinja chat template instead of the tokenizer's"},
    more_options="further vllm.LLM keywords (gpu_memory_utilization, max_model_len, ...)",
    required=("model",), extra="vllm", packages=("vllm",))
BUILTIN: tuple[BackendSpec, ...] = (LLAMACPP, OPENAI, VLLM)
"""agora's own backends (also its entry points: ``llamacpp = "agora.llm.registry:LLAMACPP"``)."""


def option_item(item: str, flag: str = "--backend-option") -> tuple[str, Any]:
    """``KEY=VALUE`` of a command-line backend option: VALUE read as JSON when it parses, else
    kept as text; a one-line ``ValueError`` naming ``flag`` otherwise."""
    key, sep, text = item.partition("=")
    if not sep or not key:
        raise ValueError(f"{flag} takes KEY=VALUE, got {item!r}")
    try:
        return key, json.loads(text)
    except ValueError:
        return key, text


def spec_of(name: str, target: Any) -> BackendSpec:
    """The :class:`BackendSpec` an entry point named ``name`` resolves to."""
    if isinstance(target, BackendSpec):
        if target.name != name:
            raise ValueError(f"entry point {name!r} names backend spec {target.name!r}")
        return target
    if inspect.isclass(target) and issubclass(target, Backend):
        doc = (inspect.getdoc(target) or "").strip().splitlines()
        options = getattr(target, "options", {})
        return BackendSpec(name=name, target=target, description=doc[0] if doc else "",
                           model_option="model" if "model" in options else None,
                           options=options,
                           required=tuple(getattr(target, "required_options", ())),
                           install=getattr(target, "install", None),
                           packages=tuple(getattr(target, "packages", ())))
    raise TypeError(f"entry point {name!r} must name a BackendSpec or a Backend subclass, got "
                    f"{type(target).__name__}")


class BackendRegistry:
    """Name → :class:`BackendSpec`: agora's own plus those of the ``agora.backends`` group."""

    def __init__(self, builtin: tuple[BackendSpec, ...], group: str) -> None:
        self._builtin = {s.name: s for s in builtin}
        self._group = group
        self._specs: dict[str, BackendSpec] | None = None

    def refresh(self) -> None:
        """Look for entry points again (a package installed or put on ``sys.path`` since)."""
        self._specs = None

    def _all(self) -> dict[str, BackendSpec]:
        if self._specs is not None:
            return self._specs
        specs = dict(self._builtin)
        for ep in sorted(importlib.metadata.entry_points(group=self._group),
                         key=lambda e: (e.name, e.value)):
            builtin = self._builtin.get(ep.name)
            if builtin is not None and isinstance(builtin.target, str) and \
                    ep.value.startswith("agora.llm."):
                continue  # agora's own entry point: already declared above
            try:
                spec = spec_of(ep.name, ep.load())
            except Exception as exc:  # a broken plugin must not hide the others
                warnings.warn(f"backend entry point {ep.name!r} ({ep.value}) failed to load: "
                              f"{type(exc).__name__}: {exc}", RuntimeWarning, stacklevel=3)
                continue
            if ep.name in specs:
                warnings.warn(f"backend entry point {ep.name!r} ({ep.value}) clashes with a "
                              "registered backend of that name; ignored", RuntimeWarning,
                              stacklevel=3)
                continue
            specs[ep.name] = spec
        self._specs = specs
        return specs

    def register(self, spec: BackendSpec, *, replace: bool = False) -> None:
        """Add ``spec`` in this process (tests, notebooks); refuses a taken name."""
        specs = self._all()
        if spec.name in specs and not replace:
            raise ValueError(f"backend {spec.name!r} is already registered")
        specs[spec.name] = spec

    def names(self) -> tuple[str, ...]:
        """Registered backend names: agora's own first, then the others sorted."""
        return tuple(self._all())

    def get(self, name: str) -> BackendSpec:
        """The spec registered as ``name``; a one-line ``ValueError`` naming them otherwise."""
        specs = self._all()
        key = name.strip().lower() if isinstance(name, str) else name
        if key not in specs:
            raise ValueError(f"unknown backend {name!r}; registered: {', '.join(specs)}")
        return specs[key]

    def packages(self) -> tuple[str, ...]:
        """Every distribution a registered backend asks manifests to record, once each."""
        return tuple(dict.fromkeys(p for s in self._all().values() for p in s.packages))


BACKENDS = BackendRegistry(BUILTIN, ENTRY_POINT_GROUP)
"""The process-wide backend registry."""


def backend_names() -> tuple[str, ...]:
    """Names of every registered backend (``--backend`` choices)."""
    return BACKENDS.names()


def make_backend(kind: str, **options: Any) -> Backend:
    """A new backend of the registered ``kind`` built with ``options``."""
    return BACKENDS.get(kind).create(**options)


def default_backend(**options: Any) -> Backend:
    """The backend LLM policies use when none was chosen: :data:`DEFAULT_BACKEND`."""
    return make_backend(DEFAULT_BACKEND, **options)


def backend_packages() -> tuple[str, ...]:
    """Distributions whose versions manifests record for the registered backends."""
    return BACKENDS.packages()
