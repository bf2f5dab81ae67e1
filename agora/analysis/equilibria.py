"""Equilibrium benchmarks of games, and the normal-form and bargaining solvers.

* Per-game benchmarks come from the game itself, through its analysis hooks
  (:class:`agora.engine.contract.GameHooks`): :func:`benchmark` asks
  ``kernel_cls.hooks.benchmark(game, config)``, which by default reads the game's
  simultaneous-move theory (equilibrium action, level-k and cognitive-hierarchy actions,
  dominance bounds). The analysis layer never tests a game's name.
* Normal-form games (payoff tensors, best responses, NashConv, nashpy / pygambit equilibria):
  :mod:`agora.analysis.normal_form`, re-exported here.
* Bargaining on a finite feasible set (Nash product): :mod:`agora.analysis.bargaining_solutions`.
  Closed forms that belong to one game (Rubinstein's share, the Nash split of a pie, Saez's top
  tax rate) live in that game's ``theory`` module.
"""

from __future__ import annotations

from typing import Any

from agora.analysis.bargaining_solutions import nash_bargaining_index
from agora.analysis.normal_form import (
    Equilibrium,
    Profile,
    action_values,
    as_payoff_tensor,
    best_response_gains,
    best_responses,
    empirical_profile,
    expected_payoffs,
    gambit_available,
    is_epsilon_nash,
    nash_conv,
    nash_equilibria,
    pure_equilibria,
)
from agora.engine.contract import Benchmark, GameHooks

__all__ = [
    "Benchmark", "Equilibrium", "Profile", "action_values", "as_payoff_tensor", "benchmark",
    "best_response_gains", "best_responses", "empirical_profile", "expected_payoffs",
    "gambit_available", "game_config", "game_hooks", "is_epsilon_nash", "nash_bargaining_index",
    "nash_conv", "nash_equilibria", "pure_equilibria", "theory_module",
]


def theory_module(game: str) -> Any:
    """The theory a registered game declares (``kernel_cls.theory``; ``None`` if none).

    Raises:
        KeyError: ``game`` is not registered.
    """
    from agora.engine.registry import REGISTRY

    return REGISTRY.get(game).kernel_cls.theory


def game_hooks(game: str) -> GameHooks:
    """The analysis hooks a registered game declares (``kernel_cls.hooks``).

    Raises:
        KeyError: ``game`` is not registered.
    """
    from agora.engine.registry import REGISTRY

    return REGISTRY.get(game).kernel_cls.hooks


def game_config(game: str, config: dict[str, Any] | Any) -> Any:
    """A validated config object of ``game`` from a manifest's config dict (or the object)."""
    if not isinstance(config, dict):
        return config
    from agora.engine.registry import make_config

    return make_config(game, **config)


def benchmark(game: str, config: dict[str, Any] | Any, *, tau: float = 1.5,
              k_max: int = 6) -> Benchmark:
    """Theory benchmarks of ``game`` under ``config``, from the game's hooks.

    Raises:
        KeyError: ``game`` is not registered.
        ValueError: the game provides no benchmark (e.g. a turn-based game, whose equilibrium
            move depends on the state).
    """
    result = game_hooks(game).benchmark(game, game_config(game, config), tau=tau, k_max=k_max)
    if result is None:
        raise ValueError(f"game {game!r} provides no equilibrium benchmark")
    return result

