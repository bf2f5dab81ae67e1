"""Policy kinds by name, for config files and the CLI.

Three sources, looked up when asked (so a game installed later appears after
``REGISTRY.refresh()``):

* agora's own kinds: the generic scripted players, the negotiators, ``llm`` and ``by_role``;
* the scripted players games ship (``POLICIES`` of a game package,
  :meth:`~agora.engine.registry.GameRegistry.policy_kinds`);
* games' LLM presets (``LLM_PRESETS``, :meth:`~agora.engine.registry.GameRegistry.llm_presets`):
  default settings of an :class:`~agora.policies.llm_policy.LLMPolicy`, built by
  :func:`llm_preset`.

A game's kind never replaces one of agora's own (a warning names it).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Mapping, Set
from typing import TYPE_CHECKING, Any

from agora.engine.by_role import ByRolePolicy
from agora.engine.registry import REGISTRY
from agora.policies.base import Policy
from agora.policies.negotiators import (
    AlwaysAcceptPolicy,
    AlwaysRejectPolicy,
    BoulwarePolicy,
    ConcederPolicy,
    TimeDependentPolicy,
    TitForTatPolicy,
)
from agora.policies.scripted import (
    CognitiveHierarchyPolicy,
    EquilibriumPolicy,
    FixedPolicy,
    LevelKPolicy,
    QuantalResponsePolicy,
    RandomPolicy,
)

if TYPE_CHECKING:
    from agora.llm.base import Backend
    from agora.policies.llm_policy import LLMPolicy

Factory = Callable[..., Policy]


def _llm(**params: Any) -> Policy:
    from agora.policies.llm_policy import LLMPolicy  # heavy imports only when asked for

    return LLMPolicy.from_config(**params)


def llm_preset(preset: Mapping[str, Any]) -> Callable[..., LLMPolicy]:
    """Factory of :class:`~agora.policies.llm_policy.LLMPolicy` with ``preset`` settings as
    defaults: ``factory(backend=None, *, backend_options=None, **settings)``, ``backend`` a
    :class:`~agora.llm.base.Backend`, a backend kind name (built with ``backend_options``) or
    ``None`` (the default backend)."""
    defaults = dict(preset)

    def factory(backend: Backend | str | None = None, *,
                backend_options: dict[str, Any] | None = None, **settings: Any) -> LLMPolicy:
        from agora.policies.llm_policy import LLMPolicy

        return LLMPolicy.from_config(backend=backend, backend_options=backend_options,
                                     **{**defaults, **settings})

    return factory


def by_role(**roles: dict[str, Any]) -> ByRolePolicy:
    """:class:`ByRolePolicy` from plain specs, e.g. ``proposer={"kind": "equilibrium"}``."""
    policies = {}
    for role, spec in roles.items():
        if not isinstance(spec, dict) or "kind" not in spec:
            raise ValueError(f"by_role: role {role!r} needs a policy spec with a 'kind'")
        params = {k: v for k, v in spec.items() if k != "kind"}
        policies[role] = make_policy(spec["kind"], **params)
    return ByRolePolicy(**policies)


BUILTIN_KINDS: dict[str, Factory] = {
    "random": RandomPolicy,
    "equilibrium": EquilibriumPolicy,
    "level_k": LevelKPolicy,
    "cognitive_hierarchy": CognitiveHierarchyPolicy,
    "quantal_response": QuantalResponsePolicy,
    "fixed": FixedPolicy,
    "time_dependent": TimeDependentPolicy,
    "boulware": BoulwarePolicy,
    "conceder": ConcederPolicy,
    "tit_for_tat": TitForTatPolicy,
    "always_accept": AlwaysAcceptPolicy,
    "always_reject": AlwaysRejectPolicy,
    "by_role": by_role,
    "llm": _llm,
}
"""agora's own policy kinds (games add theirs)."""

_warned: set[str] = set()


def _game_kinds() -> tuple[dict[str, Factory], set[str]]:
    """Games' kinds (scripted and LLM presets) and the names of the LLM ones."""
    out: dict[str, Factory] = dict(REGISTRY.policy_kinds())
    presets = REGISTRY.llm_presets()
    out.update({kind: llm_preset(p) for kind, p in presets.items()})
    clash = sorted(set(out) & set(BUILTIN_KINDS) - _warned)
    if clash:
        _warned.update(clash)
        warnings.warn(f"games declare policy kind(s) {clash} that agora defines itself; "
                      "agora's are kept", RuntimeWarning, stacklevel=3)
    return ({k: f for k, f in out.items() if k not in BUILTIN_KINDS},
            set(presets) - set(BUILTIN_KINDS))


class _PolicyKinds(Mapping[str, Factory]):
    """Every policy kind: agora's own, then the games'."""

    def _all(self) -> dict[str, Factory]:
        return {**BUILTIN_KINDS, **_game_kinds()[0]}

    def __getitem__(self, kind: str) -> Factory:
        return self._all()[kind]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())

    def __contains__(self, kind: object) -> bool:
        try:
            return kind in self._all()
        except TypeError:  # an unhashable kind such as a list
            return False


class _LLMKinds(Set[str]):
    """Kinds that decide through an LLM backend: ``llm`` and the games' LLM presets."""

    def _all(self) -> set[str]:
        return {"llm", *_game_kinds()[1]}

    def __contains__(self, kind: object) -> bool:
        try:
            return kind in self._all()
        except TypeError:
            return False

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._all()))

    def __len__(self) -> int:
        return len(self._all())

    @classmethod
    def _from_iterable(cls, it: Any) -> frozenset[str]:  # results of set operations
        return frozenset(it)


POLICY_KINDS: Mapping[str, Factory] = _PolicyKinds()
"""Every policy kind by name (read-only; games add kinds through their package)."""

LLM_KINDS: Set[str] = _LLMKinds()
"""Policy kinds that decide through an LLM backend (``backend`` / ``backend_options``)."""


def make_policy(kind: str, **params: Any) -> Policy:
    """Build a policy from its kind name and parameters, with clear errors."""
    kinds = POLICY_KINDS
    try:
        factory = kinds[kind]
    except (KeyError, TypeError):  # TypeError: an unhashable kind such as a list
        raise ValueError(f"unknown policy kind {kind!r}; known: "
                         f"{', '.join(sorted(kinds))}") from None
    try:
        return factory(**params)
    except TypeError as exc:
        raise ValueError(f"policy {kind!r}: bad parameters {params}: {exc}") from None
