"""Scripted reference policies, vectorised over the batch.

They are the reference opponents of LLM agents and the test doubles of the engine. Game-specific
behaviour comes from each game's ``theory`` module (``equilibrium_action``, ``level_k_action``,
``ch_actions``, ``action_utilities``); randomness comes only from the per-decision streams the
runner passes to :meth:`Policy.act`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np
from scipy.special import softmax

from agora.engine.batch import DecisionBatch, Decisions
from agora.engine.streams import Streams
from agora.engine.structured import Spec
from agora.policies.base import Policy


def by_spec(batch: DecisionBatch) -> Iterator[tuple[np.ndarray, Spec]]:
    """Indices of the batch grouped by the action spec of each decision."""
    codes = batch.codes
    first = int(codes[0]) if len(batch) else 0
    if len(batch) and np.all(codes == first):
        yield np.arange(len(batch)), batch.spec_of_code(first)
        return
    groups: dict[Spec, list[np.ndarray]] = {}
    for c in np.unique(codes):
        groups.setdefault(batch.spec_of_code(int(c)), []).append(np.flatnonzero(codes == c))
    for spec, parts in groups.items():
        yield np.sort(np.concatenate(parts)), spec


def _theory(batch: DecisionBatch) -> Any:
    theory = getattr(batch.kernel, "theory", None)
    if theory is None:
        raise TypeError(f"game {batch.kernel.name!r} has no theory module for scripted play")
    return theory


class RandomPolicy(Policy):
    """Uniformly random legal actions (level-0 play)."""

    name = "random"

    def act(self, batch: DecisionBatch, rng: Streams) -> Decisions:
        rng = Streams.coerce(rng, len(batch))
        actions = np.empty(len(batch), dtype=batch.kernel.action_dtype)
        for idx, spec in by_spec(batch):
            actions[idx] = spec.sample(rng if idx.size == len(batch) else rng.subset(idx),
                                       idx.size)
        return Decisions(actions=actions)


class FixedPolicy(Policy):
    """Always plays the same action (validated against each decision's spec)."""

    def __init__(self, value: float) -> None:
        self.value = float(value)
        self.name = f"fixed({value:g})"

    def act(self, batch: DecisionBatch, rng: Streams) -> Decisions:
        actions = np.empty(len(batch))
        for idx, spec in by_spec(batch):
            actions[idx] = spec.validate(self.value)
        return Decisions(actions=actions)

    def describe(self) -> dict[str, Any]:
        return {"kind": "fixed", "value": self.value}


class EquilibriumPolicy(Policy):
    """Plays the game's equilibrium (selfish) action from its theory module."""

    name = "equilibrium"

    def act(self, batch: DecisionBatch, rng: Streams) -> Decisions:
        theory = _theory(batch)
        if batch.kernel.action_dtype is object:  # turn-based: the SPE move depends on the state
            return Decisions(actions=theory.equilibrium_actions(batch))
        value = theory.equilibrium_action(batch.config)
        return Decisions(actions=np.full(len(batch), value, dtype=np.float64))


class LevelKPolicy(Policy):
    """Level-k reasoning (Nagel 1995; Stahl & Wilson 1995): level 0 is uniform random."""

    def __init__(self, k: int) -> None:
        if not isinstance(k, int) or k < 0:
            raise ValueError(f"LevelKPolicy: k must be an integer >= 0, got {k}")
        self.k = k
        self.name = f"level_{k}"

    def act(self, batch: DecisionBatch, rng: Streams) -> Decisions:
        if self.k == 0:
            return RandomPolicy().act(batch, rng)
        value = _theory(batch).level_k_action(batch.config, self.k)
        return Decisions(actions=np.full(len(batch), value, dtype=np.float64))

    def describe(self) -> dict[str, Any]:
        return {"kind": "level_k", "k": self.k}


class CognitiveHierarchyPolicy(Policy):
    """Poisson cognitive hierarchy (Camerer, Ho & Chong 2004).

    Each decision draws a thinking step from Poisson(τ) truncated at ``k_max``; step 0 plays
    uniformly at random, step k the theory's best response to the normalised mix of lower steps.
    The step is recorded in the ``ch_step`` column.
    """

    def __init__(self, tau: float = 1.5, k_max: int = 10) -> None:
        if not (math.isfinite(tau) and tau > 0):
            raise ValueError(f"CognitiveHierarchyPolicy: tau must be > 0, got {tau}")
        if not isinstance(k_max, int) or k_max < 1:
            raise ValueError(f"CognitiveHierarchyPolicy: k_max must be >= 1, got {k_max}")
        self.tau, self.k_max = float(tau), k_max
        from scipy.stats import poisson  # scipy.stats takes ~1 s to import: only when needed

        pmf = poisson.pmf(np.arange(k_max + 1), tau)
        self._cdf = np.cumsum(pmf / pmf.sum())
        self.name = f"ch(tau={tau:g})"

    def act(self, batch: DecisionBatch, rng: Streams) -> Decisions:
        n = len(batch)
        rng = Streams.coerce(rng, n)
        steps = np.minimum(np.searchsorted(self._cdf, rng.random(n), side="right"), self.k_max)
        table = _theory(batch).ch_actions(batch.config, self.tau, self.k_max)
        actions = table[steps]
        zero = np.flatnonzero(steps == 0)
        if zero.size:
            actions[zero] = RandomPolicy().act(batch.subset(zero), rng.subset(zero)).actions
        return Decisions(actions=actions, columns={"ch_step": steps})

    def describe(self) -> dict[str, Any]:
        return {"kind": "cognitive_hierarchy", "tau": self.tau, "k_max": self.k_max}


class QuantalResponsePolicy(Policy):
    """Logit quantal response to a belief: P(a) ∝ exp(λ·U(a)) (McKelvey & Palfrey 1995).

    ``U`` is the game theory's ``action_utilities`` over the legal grid (continuous actions use a
    ``grid_size``-point grid); the default belief is level-0 play. λ → 0 is uniform, λ → ∞ a best
    response.
    """

    def __init__(self, lam: float, belief_mean: float | None = None, grid_size: int = 201) -> None:
        if not (math.isfinite(lam) and lam >= 0):
            raise ValueError(f"QuantalResponsePolicy: lam must be >= 0, got {lam}")
        self.lam, self.belief_mean, self.grid_size = float(lam), belief_mean, grid_size
        self.name = f"qre(lam={lam:g})"

    def act(self, batch: DecisionBatch, rng: Streams) -> Decisions:
        theory = _theory(batch)
        rng = Streams.coerce(rng, len(batch))
        actions = np.empty(len(batch))
        for idx, spec in by_spec(batch):
            grid = (spec.choices() if spec.is_discrete
                    else np.linspace(spec.low, spec.high, self.grid_size))
            utilities = theory.action_utilities(batch.config, grid, self.belief_mean)
            probs = softmax(self.lam * utilities)
            actions[idx] = grid[rng.subset(idx).choice(grid.size, size=idx.size, p=probs)]
        return Decisions(actions=actions)

    def describe(self) -> dict[str, Any]:
        return {"kind": "quantal_response", "lam": self.lam, "belief_mean": self.belief_mean,
                "grid_size": self.grid_size}
