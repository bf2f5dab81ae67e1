"""``agora run --backend/--policy-server/--model``: overrides that apply, or a one-line refusal.

The flags choose the backend of every LLM policy that does not name one
(:func:`choose_backend` hands the choice to each such policy as an argument). A policy
that names its own backend would silently keep it, and a spec without LLM policies would ignore
the flags altogether: both are refused before anything runs. An unreachable policy server is
found by one short request before the run instead of by the first step's retries.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from agora.policies.base import Policy
from agora.policies.registry import LLM_KINDS

PROBE_TIMEOUT_S = 3.0
"""How long ``--policy-server`` may take to answer the reachability probe."""


def flags_text(backend: str | None, server: str | None, model: str | None = None) -> str:
    """The override flags as the user typed them (for messages)."""
    parts = ([f"--backend {backend}"] if backend else []) + \
        ([f"--policy-server {server}"] if server else []) + \
        ([f"--model {model}"] if model else [])
    return " ".join(parts)


def _llm_tables(table: Any, where: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every LLM policy table (``where`` is its path), including by_role's role tables."""
    if not isinstance(table, Mapping):
        return
    if table.get("kind") in LLM_KINDS:
        yield where, table
    for key, value in table.items():
        if isinstance(value, Mapping):
            yield from _llm_tables(value, f"{where}.{key}")


def check_toml_policies(source: str, raw: Sequence[Any], flags: str) -> None:
    """Refuse ``flags`` for TOML policy tables that name a backend or hold no LLM policy."""
    tables = [t for i, table in enumerate(raw) for t in _llm_tables(table, f"policies[{i}]")]
    for where, table in tables:
        if table.get("backend") is not None:
            raise ValueError(f"{source}: {where} names backend {table['backend']!r}, so "
                             f"{flags} would not apply to it; remove one of the two")
    if not tables:
        raise ValueError(f"{source}: no LLM policy ({', '.join(sorted(LLM_KINDS))}), so "
                         f"{flags} would have no effect; drop it")


def _llm_policies(policy: Policy) -> Iterator[Policy]:
    """LLM policies inside ``policy`` (itself, or the role policies of a by-role policy)."""
    if "_backend" in getattr(policy, "__dict__", {}):  # an LLMPolicy, default backend or not
        yield policy
    roles = getattr(policy, "policies", None)
    if isinstance(roles, dict):
        for sub in roles.values():
            yield from _llm_policies(sub)


def check_built_policies(source: str, policies: Sequence[Policy], flags: str) -> None:
    """Refuse ``flags`` for built policies (a ``.py`` spec) that hold their own backend."""
    found = [p for policy in policies for p in _llm_policies(policy)]
    for p in found:
        if vars(p)["_backend"] is not None:
            raise ValueError(f"{source}: policy {p.name!r} was built with its own backend, so "
                             f"{flags} would not apply to it; build it without one or drop "
                             f"the flag")
    if not found:
        raise ValueError(f"{source}: no LLM policy, so {flags} would have no effect; drop it")


def backend_choice(backend: str | None, server: str | None,
                   model: str | None = None) -> tuple[str, dict[str, Any]] | None:
    """The backend kind and options the flags choose (``None`` without flags), or a one-line
    refusal for flags that cannot work together or need more (before anything is built)."""
    from agora.llm.registry import BACKENDS, DEFAULT_BACKEND

    if server is not None and not server.startswith(("http://", "https://")):
        raise ValueError(f"--policy-server must be an http(s) URL such as "
                         f"http://127.0.0.1:8000/v1, got {server!r}")
    if server is not None and backend not in (None, "openai"):
        raise ValueError(f"--policy-server needs the openai backend, not --backend {backend}")
    if backend is None and server is None and model is None:
        return None
    spec = BACKENDS.get(backend or ("openai" if server else DEFAULT_BACKEND))
    options: dict[str, Any] = {"base_url": server} if server else {}
    if model is not None:
        if spec.model_option is None:
            raise ValueError(f"--model does not apply to the {spec.name} backend")
        options[spec.model_option] = model
    missing = [k for k in spec.required if k not in options]
    if missing == ["base_url"]:
        raise ValueError(f"--backend {spec.name} needs --policy-server URL")
    if missing and missing[0] == spec.model_option:
        raise ValueError(f"--backend {spec.name} needs --model "
                         f"({spec.options.get(missing[0], 'a model')})")
    spec.check_options(options)
    return spec.name, options


def choose_backend(policies: Sequence[Policy], kind: str, options: Mapping[str, Any]) -> None:
    """Give every LLM policy in ``policies`` built without a backend the chosen one."""
    for policy in policies:
        for p in _llm_policies(policy):
            if vars(p)["_backend"] is None:
                p.choose_backend(kind, **options)  # type: ignore[attr-defined]


def probe_server(url: str, timeout_s: float = PROBE_TIMEOUT_S) -> None:
    """Fail fast, in one line, when nothing answers HTTP at ``url`` (``GET url/models``)."""
    import httpx

    target = url.rstrip("/") + "/models"
    try:
        httpx.get(target, timeout=timeout_s)
    except httpx.HTTPError as exc:
        reason = str(exc) or type(exc).__name__
        raise ValueError(f"--policy-server {url}: not reachable within {timeout_s:g}s "
                         f"({reason}); start one with `agora serve` or check the URL") from None
