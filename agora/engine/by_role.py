"""Seating several policies in one batch: by an owner per decision, or by role.

:func:`act_by_owner` splits a :class:`~agora.engine.batch.DecisionBatch` by the policy that owns
each decision, calls every owner's ``act`` once on its part (with that part's random streams)
and stitches actions and extra record columns back into batch order. The runner seats its
mixture of policies (by exact shares over the seats) through it, and :class:`ByRolePolicy`
seats one policy per role of the game (e.g. LLM workers and a Stackelberg planner) through it,
so both follow one rule: owners act in the order of their index, each on its decisions only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from agora.engine.batch import DecisionBatch, Decisions
from agora.engine.policy import Policy
from agora.engine.prompt_log import drain_policy_prompts
from agora.engine.streams import Streams

LegalCheck = Callable[[DecisionBatch, np.ndarray, int], None]
"""``check(sub_batch, actions, owner)``: raises when an owner's actions are illegal."""


def act_by_owner(batch: DecisionBatch, rng: Streams, owner: np.ndarray,
                 policies: Sequence[Policy], *, names: Sequence[str],
                 object_columns: bool = False, check: LegalCheck | None = None) -> Decisions:
    """Every decision acted by the policy ``policies[owner[i]]``, in batch order.

    Args:
        batch: The decisions.
        rng: One random stream per decision of ``batch``.
        owner: Index into ``policies`` per decision.
        policies: The seated policies.
        names: A name per policy, for error messages.
        object_columns: Widen every extra column to an object array; otherwise a column of an
            owner of the whole batch is kept as returned (one owner: no copy).
        check: Called with each owner's part, its actions and the owner's index.
    """
    dtype = batch.kernel.action_dtype
    actions = np.empty(len(batch), dtype=dtype)
    columns: dict[str, Any] = {}
    for p in np.unique(owner):
        idx = np.flatnonzero(owner == p)
        whole = idx.size == len(batch)
        sub = batch if whole else batch.subset(idx)
        decisions = policies[p].act(sub, rng if whole else rng.subset(idx))
        if not isinstance(decisions, Decisions) or len(decisions.actions) != idx.size:
            raise TypeError(f"policy {names[p]!r} must return Decisions with "
                            f"{idx.size} actions")
        if check is not None:
            check(sub, np.asarray(decisions.actions, dtype=dtype), int(p))
        actions[idx] = decisions.actions
        for name, col in decisions.columns.items():
            if whole and not object_columns:
                columns[name] = np.asarray(col)
                continue
            if name not in columns:
                columns[name] = np.full(len(batch), None, dtype=object)
            columns[name][idx] = np.asarray(col, dtype=object)
    return Decisions(actions=actions, columns=columns)


class ByRolePolicy(Policy):
    """One policy per role of the game (e.g. LLM workers and a Stackelberg planner).

    ``ByRolePolicy(worker=llm, planner=saez)``: every decision goes to the policy of its
    player's role; a role without a policy is an error once it has to decide.
    """

    def __init__(self, **policies: Policy) -> None:
        if not policies or not all(isinstance(p, Policy) for p in policies.values()):
            raise ValueError("ByRolePolicy needs role=Policy keyword arguments")
        self.policies = policies
        self.name = "+".join(f"{r}:{p.name}" for r, p in policies.items())

    def act(self, batch: DecisionBatch, rng: Streams) -> Decisions:
        rng = Streams.coerce(rng, len(batch))
        seated = list(self.policies)
        code_of = np.array([seated.index(r) if r in self.policies else -1
                            for r in batch.kernel.roles], dtype=np.int64)
        owner = code_of[batch.roles]
        if np.any(owner < 0):
            roles = np.asarray(batch.kernel.roles, dtype=object)[batch.roles[owner < 0]]
            raise ValueError(f"ByRolePolicy has no policy for role(s) "
                             f"{sorted(set(roles.tolist()))}")
        return act_by_owner(batch, rng, owner, list(self.policies.values()),
                            names=[p.name for p in self.policies.values()],
                            object_columns=True)

    def describe(self) -> dict[str, Any]:
        return {"kind": "by_role", **{r: p.describe() for r, p in self.policies.items()}}

    def telemetry(self) -> dict[str, Any]:
        """Telemetry of every role's policy that reports any."""
        out = {}
        for role, p in self.policies.items():
            stats = getattr(p, "telemetry", None)
            if callable(stats):
                out[role] = stats()
        return out

    def state_dict(self) -> dict[str, Any]:
        """States of the role policies that have one (for resumable runs)."""
        return {r: p.state_dict() for r, p in self.policies.items()  # type: ignore[attr-defined]
                if callable(getattr(p, "state_dict", None))}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state_dict`."""
        for role, s in state.items():
            self.policies[role].load_state_dict(s)  # type: ignore[attr-defined]

    def drain_prompts(self) -> dict[str, str]:
        """New prompts of every role's policy that logs them (for the run's prompt log)."""
        return drain_policy_prompts(self.policies.values())

    def close(self) -> None:
        for p in self.policies.values():
            p.close()

