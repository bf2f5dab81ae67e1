"""Scripted reference policies, vectorised over the batch.

They are the reference opponents of LLM agents and the test doubles of the engine. Game-specific
behaviour comes from the game's theory (``batch.theory``, see :mod:`agora.engine.contract`): a
simultaneous-move theory's ``equilibrium_action``, ``level_k_action``, ``ch_actions`` and
``action_utilities`` of the config, or a sequential theory's ``equilibrium_actions`` of the
batch's decision view (``batch.view()``). Policies never read the kernel's state. Randomness
comes only from the per-decision streams the runner passes to :meth:`Policy.act`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np

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
    theory = batch.theory
    if theory is None:
        raise TypeError(f"game {batch.kernel.name!r} has no theory module for scripted play")
    return theory


def _hook(batch: DecisionBatch, hook: str, policy: str) -> Any:
    """The game theory's function ``hook``, or a one-line error naming what is missing."""
    fn = getattr(_theory(batch), hook, None)
    if not callable(fn):
        raise TypeError(f"policy {policy!r} needs the game's theory.{hook}, which game "
                        f"{batch.kernel.name!r} does not define; use a policy the game "
                        f"supports (e.g. random, equilibrium)")
    return fn


def _snap(spec: Spec, values: np.ndarray) -> np.ndarray:
    """Theory values as the canonical legal actions ``spec.validate`` returns (on-grid floats)."""
    return np.array([spec.validate(float(v)) for v in values], dtype=np.float64)


def _constant(batch: DecisionBatch, value: float) -> np.ndarray:
    """One theory action for every decision, snapped to each decision's spec."""
    actions = np.empty(len(batch))
    for idx, spec in by_spec(batch):
        actions[idx] = spec.validate(value)
    return actions


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
        if batch.kernel.action_dtype is object:  # turn-based: the SPE move depends on the state
            moves = _hook(batch, "equilibrium_actions", self.name)
            return Decisions(actions=moves(batch.view()))
        mixture = getattr(_theory(batch), "equilibrium_mixture", None)
        if callable(mixture):  # a mixed equilibrium (rock-paper-scissors): draw from it
            return Decisions(actions=_draw_mixture(batch, rng, mixture))
        value = _hook(batch, "equilibrium_action", self.name)(batch.config)
        return Decisions(actions=_constant(batch, value))


def _draw_mixture(batch: DecisionBatch, rng: Streams, mixture: Any) -> np.ndarray:
    """One draw per decision from ``mixture(config)``: probabilities over the legal values
    ``spec.choices()`` of a discrete spec, in order, drawn from each decision's own stream."""
    probs = np.asarray(mixture(batch.config), dtype=np.float64)
    rng = Streams.coerce(rng, len(batch))
    actions = np.empty(len(batch))
    for idx, spec in by_spec(batch):
        if spec.is_structured or not spec.is_discrete or probs.shape != (spec.n_choices(),):
            raise TypeError(f"game {batch.kernel.name!r}: equilibrium_mixture must give one "
                            f"probability per legal value of a discrete spec, got shape "
                            f"{probs.shape}")
        actions[idx] = (rng if idx.size == len(batch) else rng.subset(idx)).choice(
            spec.choices(), p=probs)
    return actions


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
        value = _hook(batch, "level_k_action", self.name)(batch.config, self.k)
        return Decisions(actions=_constant(batch, value))

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
        table = _hook(batch, "ch_actions", self.name)(batch.config, self.tau, self.k_max)
        table = np.asarray(table, dtype=np.float64)
        actions = np.empty(n, dtype=np.float64)
        for idx, spec in by_spec(batch):  # step 0's entry is a mean, replaced below
            snapped = np.concatenate([table[:1], _snap(spec, table[1:])])
            actions[idx] = snapped[steps[idx]]
        zero = np.flatnonzero(steps == 0)
        if zero.size:
            actions[zero] = RandomPolicy().act(batch.subset(zero), rng.subset(zero)).actions
        return Decisions(actions=actions, columns={"ch_step": steps})

    def describe(self) -> dict[str, Any]:
        return {"kind": "cognitive_hierarchy", "tau": self.tau, "k_max": self.k_max}


class QuantalResponsePolicy(Policy):
    """Logit quantal response to a belief: P(a) ∝ exp(λ·U(a)) (McKelvey & Palfrey 1995).

    ``U`` is the game theory's ``action_utilities`` over the legal grid: every legal value of a
    discrete spec with at most ``MAX_ENUMERATED`` of them, else ``grid_size`` evenly spaced legal
    values (continuous specs: ``grid_size`` points from low to high). The default belief is
    level-0 play. λ → 0 is uniform, λ → ∞ a best response.
    """

    MAX_ENUMERATED = 100_000
    """Largest discrete action set whose every value enters the softmax."""

    def __init__(self, lam: float, belief_mean: float | None = None, grid_size: int = 201) -> None:
        if isinstance(lam, bool) or not isinstance(lam, int | float) \
                or not (math.isfinite(lam) and lam >= 0):
            raise ValueError(f"QuantalResponsePolicy: lam must be >= 0 and finite, "
                             f"got {lam!r}")
        if belief_mean is not None and (isinstance(belief_mean, bool) or not isinstance(
                belief_mean, int | float) or not math.isfinite(belief_mean)):
            raise ValueError(f"QuantalResponsePolicy: belief_mean must be a finite number or "
                             f"None, got {belief_mean!r}")
        if isinstance(grid_size, bool) or not isinstance(grid_size, int) \
                or not 2 <= grid_size <= self.MAX_ENUMERATED:
            raise ValueError(f"QuantalResponsePolicy: grid_size must be an integer in "
                             f"[2, {self.MAX_ENUMERATED:,}], got {grid_size!r}")
        self.lam, self.belief_mean, self.grid_size = float(lam), belief_mean, grid_size
        self.name = f"qre(lam={lam:g})"

    def _grid(self, spec: Spec) -> np.ndarray:
        if not spec.is_discrete:
            return np.linspace(spec.low, spec.high, self.grid_size)
        n = spec.n_choices()
        if n <= self.MAX_ENUMERATED:
            return spec.choices()
        return spec.choices_at(np.unique(np.linspace(0, n - 1, self.grid_size).round()
                                         .astype(np.int64)))

    def act(self, batch: DecisionBatch, rng: Streams) -> Decisions:
        utility = _hook(batch, "action_utilities", self.name)
        rng = Streams.coerce(rng, len(batch))
        actions = np.empty(len(batch))
        for idx, spec in by_spec(batch):
            grid = self._grid(spec)
            u = np.asarray(utility(batch.config, grid, self.belief_mean), dtype=np.float64)
            # shifted by the best utility first: exponents <= 0, so a huge λ (1e308) gives a
            # best response instead of inf - inf = NaN
            with np.errstate(over="ignore"):  # λ·Δu below -1e308 is -inf: probability 0
                probs = np.exp(self.lam * (u - u.max()))
            actions[idx] = grid[rng.subset(idx).choice(grid.size, size=idx.size,
                                                       p=probs / probs.sum())]
        return Decisions(actions=actions)

    def describe(self) -> dict[str, Any]:
        return {"kind": "quantal_response", "lam": self.lam, "belief_mean": self.belief_mean,
                "grid_size": self.grid_size}
