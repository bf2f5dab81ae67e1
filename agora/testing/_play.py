"""Shared machinery of the conformance checks: kernels, random and corner actions, and a play
loop that checks the pending/step contract at every step."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from agora.engine.kernel import GameKernel
from agora.engine.registry import make_config, make_kernel
from agora.engine.structured import StructuredSpec

_N_INSTANCES = 64
_TOL = 1e-9


def _check(ok: Any, message: str) -> None:
    """``assert`` that survives ``python -O``: raise AssertionError with ``message``."""
    if not ok:
        raise AssertionError(message)


def _kernel(name: str, config: dict[str, Any], seed: int,
            n_instances: int = _N_INSTANCES) -> GameKernel:
    return make_kernel(name, make_config(name, **config), n_instances,
                       np.random.default_rng(seed))


def _random_actions(kernel: GameKernel, inst: np.ndarray, players: np.ndarray,
                    rng: np.random.Generator) -> np.ndarray:
    out = np.empty(players.size, dtype=kernel.action_dtype)
    codes = kernel.spec_codes(inst, players)
    for c in np.unique(codes):
        sel = codes == c
        out[sel] = kernel.spec_for_code(int(c)).sample(rng, int(sel.sum()))
    return out


def _extreme_actions(kernel: GameKernel, inst: np.ndarray, players: np.ndarray,
                     rng: np.random.Generator) -> np.ndarray:
    """Each decision at the low or the high end of its spec: the corners where bounds break."""
    out = np.empty(players.size, dtype=kernel.action_dtype)
    codes = kernel.spec_codes(inst, players)
    for c in np.unique(codes):
        sel = codes == c
        spec = kernel.spec_for_code(int(c))
        n = int(sel.sum())
        if isinstance(spec, StructuredSpec):
            out[sel] = spec.sample(rng, n, extreme=True)
        else:
            out[sel] = np.where(rng.random(n) < 0.5, spec.low, spec.high)
    return out


Chooser = Callable[[GameKernel, np.ndarray, np.ndarray, np.random.Generator], np.ndarray]


def _play(kernel: GameKernel, choose: Chooser, rng: np.random.Generator, label: str,
          on_step: Callable[[np.ndarray, np.ndarray, Any], None] | None = None,
          max_steps: int | None = None) -> int:
    """Step ``kernel`` to the end (or ``max_steps``) checking the kernel contract each step."""
    limit = kernel.max_steps()
    steps = 0
    n = kernel.n_players
    while not kernel.done.all() and (max_steps is None or steps < max_steps):
        _check(steps < limit, f"{label}: not done after max_steps() = {limit} steps")
        inst, players = kernel.pending()
        _check(inst.shape == players.shape and inst.ndim == 1,
               f"{label}: pending() must return two 1-d arrays of equal length")
        _check(inst.size > 0, f"{label}: live instances but nobody pending at step {steps}")
        _check(not kernel.done[inst].any(), f"{label}: a finished instance is pending")
        _check(((players >= 0) & (players < n)).all(), f"{label}: pending player out of range")
        _check(len(set(zip(inst.tolist(), players.tolist(), strict=True))) == inst.size,
               f"{label}: an agent is pending twice in one step")
        roles = kernel.role_index(inst, players)
        _check(((roles >= 0) & (roles < len(kernel.roles))).all(), f"{label}: bad role index")
        actions = choose(kernel, inst, players, rng)
        outcome = kernel.step(inst, players, actions)
        _check(np.shape(outcome.rewards) == (inst.size,),
               f"{label}: StepOutcome.rewards must have one entry per decision")
        _check(np.shape(outcome.all_rewards) == (kernel.n_instances, n),
               f"{label}: StepOutcome.all_rewards must have shape (n_instances, n_players)")
        _check(np.isfinite(outcome.rewards).all(), f"{label}: non-finite reward")
        np.testing.assert_allclose(
            outcome.rewards, outcome.all_rewards[inst, players], atol=_TOL,
            err_msg=f"{label}: rewards differ from all_rewards of the deciding agents")
        for col, values in outcome.columns.items():
            _check(len(values) == inst.size,
                   f"{label}: record column {col!r} has {len(values)} values for "
                   f"{inst.size} decisions")
        if on_step is not None:
            on_step(inst, players, outcome)
        steps += 1
    return steps
