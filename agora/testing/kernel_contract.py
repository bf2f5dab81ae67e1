"""Kernel contract checks: pending/step/done, in-space observations and payoff bounds."""

from __future__ import annotations

from typing import Any

import numpy as np

from agora.testing._play import (
    _TOL,
    _check,
    _extreme_actions,
    _kernel,
    _play,
    _random_actions,
)


def check_kernel_contract(name: str, **config: Any) -> None:
    """Random play to the end: the pending/step/done contract and in-space observations."""
    label = f"{name} {config}"
    kernel = _kernel(name, config, seed=1, n_instances=8)
    space = kernel.observation_space()
    names = kernel.agent_names()
    _check(len(names) == kernel.n_players == len(set(names)), f"{label}: bad agent names")

    def observe_all() -> None:
        for m in range(kernel.n_instances):
            for j in range(kernel.n_players):
                obs = np.asarray(kernel.observation_array(m, j))
                _check(space.contains(obs),
                       f"{label}: observation {obs} of instance {m} player {j} outside {space}")
                kernel.observe(m, j)  # the typed view the prompts render must build too

    observe_all()
    steps = _play(kernel, _random_actions, np.random.default_rng(2), label,
                  on_step=lambda *_: observe_all())
    _check(kernel.done.all(), f"{label}: random play did not finish")
    _check(steps >= 1, f"{label}: game finished without a decision")
    inst, _ = kernel.pending()
    _check(inst.size == 0, f"{label}: agents pending after every instance is done")



def check_payoff_bounds(name: str, **config: Any) -> None:
    """Every reward of random and corner-action play lies within ``payoff_bounds()``."""
    label = f"{name} {config}"
    probe = _kernel(name, config, seed=0, n_instances=1)
    bounds = probe.payoff_bounds()
    if bounds is None:
        return
    low, high = bounds
    _check(low <= high, f"{label}: payoff_bounds() low {low} > high {high}")

    def within(inst: np.ndarray, players: np.ndarray, outcome: Any) -> None:
        r = np.asarray(outcome.all_rewards)
        _check(r.min() >= low - _TOL and r.max() <= high + _TOL,
               f"{label}: rewards in [{r.min()}, {r.max()}] outside payoff_bounds() {bounds}")

    for seed, choose in ((7, _random_actions), (8, _extreme_actions)):
        kernel = _kernel(name, config, seed=seed, n_instances=256)
        _play(kernel, choose, np.random.default_rng(seed), label, on_step=within)
