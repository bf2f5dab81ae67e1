"""Conformance checks every agora game must pass; a registered game is tested by registering it.

``check_game(name, **config)`` runs PettingZoo's own API tests on the game's ``ParallelEnv`` and
on its AEC conversion, then agora's checks of the kernel contract: seed determinism of runner
records, rewards within the game's :meth:`~agora.engine.kernel.GameKernel.payoff_bounds`,
well-formed action specs (valid JSON schema, ``validate`` agreeing with the schema and the
regex), observations inside the observation space, checkpoint round trips and a smoke run to
completion. ``conformance_configs(name)`` lists the representative configs a game declares as
the ``conformance_configs`` class attribute of its kernel (its default config otherwise).

Use from a test suite::

    @pytest.mark.parametrize(("game", "config"), [(g, c) for g in agora.list_games()
                                                  for c in conformance_configs(g)])
    def test_conformance(game, config):
        check_game(game, **config)

Every check raises ``AssertionError`` with a message naming the game, config and failure.

Modules: :mod:`~agora.testing.pettingzoo_api`, :mod:`~agora.testing.kernel_contract` (the
pending/step/done contract and payoff bounds), :mod:`~agora.testing.action_specs`,
:mod:`~agora.testing.checkpoints` and :mod:`~agora.testing.runs` (seed determinism, smoke run);
the public checks are re-exported here. LLM backends have theirs:
``check_backend(backend)`` (:mod:`~agora.testing.backends`).
"""

from __future__ import annotations

from typing import Any

from agora.engine.registry import REGISTRY
from agora.testing._play import _random_actions as _random_actions
from agora.testing.action_specs import check_action_specs
from agora.testing.backends import check_backend
from agora.testing.checkpoints import check_checkpoint_roundtrip
from agora.testing.kernel_contract import check_kernel_contract, check_payoff_bounds
from agora.testing.pettingzoo_api import check_pettingzoo_api
from agora.testing.runs import BASE_COLUMNS, check_seed_determinism, check_smoke_run

__all__ = [
    "BASE_COLUMNS", "check_action_specs", "check_backend", "check_checkpoint_roundtrip",
    "check_game",
    "check_kernel_contract", "check_payoff_bounds", "check_pettingzoo_api",
    "check_seed_determinism", "check_smoke_run", "conformance_configs",
]


def conformance_configs(name: str) -> list[dict[str, Any]]:
    """Representative configs of game ``name`` (config keyword dicts for ``agora.make``).

    A game declares them as its kernel's ``conformance_configs`` class attribute; a game that
    declares none is checked with its default config.
    """
    own = getattr(REGISTRY.get(name).kernel_cls, "conformance_configs", None)
    return [dict(c) for c in own] if own else [{}]


def check_game(name: str, **config: Any) -> None:
    """Run every conformance check on game ``name`` with ``config``."""
    check_pettingzoo_api(name, **config)
    check_kernel_contract(name, **config)
    check_action_specs(name, **config)
    check_payoff_bounds(name, **config)
    check_checkpoint_roundtrip(name, **config)
    check_seed_determinism(name, **config)
    check_smoke_run(name, **config)
