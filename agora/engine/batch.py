"""The batch of decisions a runner hands to a policy at one step.

A :class:`DecisionBatch` is columnar: numpy arrays of instance, player, round and role for every
agent that must act now across every game instance. Scripted policies compute on the arrays;
LLM policies iterate :meth:`DecisionBatch.requests` to get one :class:`DecisionRequest` per agent
(typed observation, action spec, persona) without the runner building objects nobody reads.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from agora.engine.structured import Spec

if TYPE_CHECKING:
    from agora.engine.kernel import GameKernel


V = TypeVar("V")


@dataclass(frozen=True, kw_only=True)
class DecisionRequest:
    """One agent's decision, as an LLM policy sees it."""

    index: int
    """Position in the batch."""
    game: str
    instance: int
    player: int
    agent: str
    role: str
    round: int
    observation: Any
    spec: Spec
    persona_id: int | None = None
    persona_text: str | None = None


@dataclass(frozen=True, kw_only=True)
class DecisionBatch:
    """Every decision due at one runner step (possibly a subset for one policy).

    Attributes:
        kernel: The game kernel (for its config, theory, prompts and observations).
        instances: Instance index per decision.
        players: Player slot per decision.
        rounds: Game round per decision.
        roles: Role code per decision (index into ``kernel.roles``).
        persona_ids: Persona id per decision, or -1 when the agent has no persona.
        persona_texts: Persona descriptions indexed by persona id (``None`` without personas).
        step: Runner step number.
        spec_codes: Spec code per decision (see ``GameKernel.spec_codes``); ``None`` means the
            player slot, the default of games with one spec per slot.
    """

    kernel: GameKernel
    instances: np.ndarray
    players: np.ndarray
    rounds: np.ndarray
    roles: np.ndarray
    persona_ids: np.ndarray
    persona_texts: Sequence[str] | None = None
    step: int = 0
    spec_codes: np.ndarray | None = None
    _specs: dict[int, Spec] = field(default_factory=dict, repr=False, compare=False)
    _code_specs: dict[int, Spec] = field(default_factory=dict, repr=False, compare=False)

    def __len__(self) -> int:
        return int(self.instances.size)

    @property
    def config(self) -> Any:
        """The game config shared by every decision."""
        return self.kernel.config

    @property
    def theory(self) -> Any:
        """The game's theory (see :mod:`agora.engine.contract`), or ``None``."""
        return self.kernel.theory

    def view(self) -> Any:
        """What the deciding players may know, as the game's typed view for scripted play
        (:meth:`GameKernel.decision_view`); scripted policies read this, not the kernel."""
        return self.kernel.decision_view(self.instances, self.players)

    def view_as(self, kind: type[V], lacks: str) -> V:
        """:meth:`view`, checked to be a ``kind`` (what a scripted player reads); otherwise a
        one-line ``TypeError``: ``game '<name>' <lacks>: its decision view is a <type>, not a
        <kind>``."""
        view = self.view()
        if not isinstance(view, kind):
            article = "an" if kind.__name__[:1] in "AEIOU" else "a"
            raise TypeError(f"game {self.kernel.name!r} {lacks}: its decision view is a "
                            f"{type(view).__name__}, not {article} {kind.__name__}")
        return view

    def spec(self, player: int) -> Spec:
        """Action spec of a player slot (cached per batch)."""
        spec = self._specs.get(player)
        if spec is None:
            spec = self._specs[player] = self.kernel.action_spec(player)
        return spec

    @property
    def codes(self) -> np.ndarray:
        """Spec code of every decision (the player slots unless the kernel says otherwise)."""
        return self.players if self.spec_codes is None else self.spec_codes

    def spec_of_code(self, code: int) -> Spec:
        """Action spec behind a spec code (cached per batch)."""
        if self.spec_codes is None:
            return self.spec(code)
        spec = self._code_specs.get(code)
        if spec is None:
            spec = self._code_specs[code] = self.kernel.spec_for_code(code)
        return spec

    def spec_at(self, i: int) -> Spec:
        """Action spec of the ``i``-th decision."""
        return self.spec_of_code(int(self.codes[i]))

    def subset(self, mask_or_index: np.ndarray) -> DecisionBatch:
        """The decisions selected by a boolean mask or an index array."""
        return DecisionBatch(
            kernel=self.kernel, instances=self.instances[mask_or_index],
            players=self.players[mask_or_index], rounds=self.rounds[mask_or_index],
            roles=self.roles[mask_or_index], persona_ids=self.persona_ids[mask_or_index],
            persona_texts=self.persona_texts, step=self.step,
            spec_codes=None if self.spec_codes is None else self.spec_codes[mask_or_index])

    def request(self, i: int) -> DecisionRequest:
        """The ``i``-th decision as a :class:`DecisionRequest`."""
        m, j = int(self.instances[i]), int(self.players[i])
        pid = int(self.persona_ids[i])
        names = self.kernel.agent_names()
        return DecisionRequest(
            index=i, game=self.kernel.name, instance=m, player=j, agent=names[j],
            role=self.kernel.roles[int(self.roles[i])], round=int(self.rounds[i]),
            observation=self.kernel.observe(m, j), spec=self.spec_at(i),
            persona_id=None if pid < 0 else pid,
            persona_text=None if pid < 0 or self.persona_texts is None
            else self.persona_texts[pid])

    def requests(self) -> Iterator[DecisionRequest]:
        """Iterate the batch as :class:`DecisionRequest` objects."""
        for i in range(len(self)):
            yield self.request(i)


@dataclass(frozen=True, kw_only=True)
class Decisions:
    """A policy's answer to a :class:`DecisionBatch`.

    Attributes:
        actions: One legal action value per decision, in batch order.
        columns: Extra per-decision record columns (e.g. ``raw_text``, ``parse_status``,
            ``tokens_in``); every array or list must have one entry per decision.
    """

    actions: np.ndarray
    columns: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.actions)
        for name, col in self.columns.items():
            if len(col) != n:
                raise ValueError(f"Decisions column {name!r} has {len(col)} entries, "
                                 f"expected {n}")
