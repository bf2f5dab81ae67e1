"""Registry, PettingZoo view and the conformance checks applied to a newly registered game."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pytest
from fixtures.toy_match import MatchKernel

import agora
from agora.engine.env import AgoraParallelEnv
from agora.engine.registry import REGISTRY, UnknownGameError, make_config, make_kernel
from agora.policies import RandomPolicy
from agora.testing import (
    check_checkpoint_roundtrip,
    check_game,
    check_payoff_bounds,
    check_seed_determinism,
    conformance_configs,
)
from games.dictator import DictatorConfig
from games.p_beauty import PBeautyConfig


class OverpayingKernel(MatchKernel):
    """Declares payoffs in [0, prize] but pays twice the prize."""

    name: ClassVar[str] = "toy_overpaying"

    def _pay(self, picks: np.ndarray) -> np.ndarray:
        return 2 * super()._pay(picks)


class GlobalRandomKernel(MatchKernel):
    """Pays from numpy's global generator instead of the seeded one: not reproducible."""

    name: ClassVar[str] = "toy_global_random"

    def _pay(self, picks: np.ndarray) -> np.ndarray:
        return np.random.random(picks.shape) * self.config.prize


class StatefulOutsideDictKernel(MatchKernel):
    """Keeps its history in a class-level store, so a checkpoint misses it."""

    name: ClassVar[str] = "toy_leaky_state"
    store: ClassVar[dict[int, np.ndarray]] = {}

    def reset(self) -> None:
        super().reset()
        StatefulOutsideDictKernel.store[id(self)] = np.zeros(self.n_instances)

    def _pay(self, picks: np.ndarray) -> np.ndarray:
        acc = StatefulOutsideDictKernel.store[id(self)]
        acc += 1
        return np.minimum(acc[: picks.shape[0], None] / 10, 1.0).repeat(2, axis=1)


@pytest.fixture
def scratch_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Registrations inside a test vanish after it."""
    REGISTRY.names()  # load the built-in games first
    monkeypatch.setattr(REGISTRY, "_entries", dict(REGISTRY._entries))


# ------------------------------------------------------------------ registry
def test_builtin_games_listed() -> None:
    assert agora.list_games() == sorted(agora.list_games())
    assert {"p_beauty", "dictator"} <= set(agora.list_games())
    assert REGISTRY.get("p_beauty").description.startswith("The p-beauty contest")


def test_make_returns_parallel_env_with_config() -> None:
    env = agora.make("p_beauty", n_players=3, p=0.5)
    assert isinstance(env, AgoraParallelEnv)
    assert env.possible_agents == ["player_0", "player_1", "player_2"]
    assert env.config == PBeautyConfig(n_players=3, p=0.5)


def test_unknown_game_lists_known_games() -> None:
    with pytest.raises(UnknownGameError, match=r"unknown game 'chess'.*dictator.*p_beauty"):
        agora.make("chess")


def test_unknown_config_field_is_named() -> None:
    with pytest.raises(ValueError, match=r"p_beauty: unknown config field\(s\) colour") as exc:
        agora.make("p_beauty", colour="red")
    assert "allowed:" in str(exc.value) and "n_players" in str(exc.value)


@pytest.mark.parametrize(("game", "field", "value", "needle"), [
    ("p_beauty", "p", "two thirds", "p must be a number"),
    ("p_beauty", "integer", "yes", "integer must be true or false"),
    ("p_beauty", "rounds", 2.5, "rounds must be an integer"),
    ("p_beauty", "n_players", True, "n_players must be an integer"),
    ("dictator", "step", "1", "step must be a number or None"),
    ("dictator", "rotate_roles", 1, "rotate_roles must be true or false"),
])
def test_config_value_of_wrong_type_names_field(game: str, field: str, value: Any,
                                                needle: str) -> None:
    with pytest.raises(ValueError, match=needle):
        make_config(game, **{field: value})


def test_make_config_accepts_ints_for_floats_and_none_for_optional() -> None:
    cfg = make_config("dictator", endowment=10, step=None, variant="take", take_bound=2,
                      recipient_endowment=2)
    assert cfg == DictatorConfig(endowment=10.0, step=None, variant="take", take_bound=2.0,
                                 recipient_endowment=2.0)


def test_make_kernel_checks_config_type() -> None:
    with pytest.raises(TypeError, match="p_beauty needs a PBeautyConfig"):
        make_kernel("p_beauty", DictatorConfig(), 2, np.random.default_rng(0))
    with pytest.raises(ValueError, match="n_instances must be >= 1"):
        make_kernel("p_beauty", PBeautyConfig(), 0, np.random.default_rng(0))


def test_register_twice_fails(scratch_registry: None) -> None:
    agora.register(MatchKernel)
    with pytest.raises(ValueError, match="already registered"):
        agora.register(MatchKernel)


# ------------------------------------------------------------------ PettingZoo view
def test_parallel_env_plays_a_p_beauty_round() -> None:
    env = agora.make("p_beauty", n_players=3, p=0.5, rounds=2)
    obs, infos = env.reset(seed=3)
    assert set(obs) == set(env.possible_agents) and set(infos) == set(obs)
    np.testing.assert_array_equal(obs["player_0"], [0, -1, -1, -1, -1])
    obs, rewards, terms, truncs, _ = env.step({"player_0": 10, "player_1": 20, "player_2": 30})
    # mean 20, target 10: player_0 wins the whole prize
    assert rewards == {"player_0": 1.0, "player_1": 0.0, "player_2": 0.0}
    np.testing.assert_allclose(obs["player_1"], [1, 20, 10, 20, 0])
    assert not any(terms.values()) and not any(truncs.values())
    _, _, terms, _, _ = env.step({a: 0 for a in env.possible_agents})
    assert all(terms.values()) and env.agents == []
    with pytest.raises(RuntimeError, match="finished game"):
        env.step({})


def test_parallel_env_dictator_take_and_missing_action() -> None:
    env = agora.make("dictator", variant="take", take_bound=3, recipient_endowment=4)
    env.reset(seed=0)
    with pytest.raises(KeyError, match="no action for player_0"):
        env.step({"player_1": 0})
    # Discrete space over the grid -3..10: index 1 is a transfer of -2 (taking 2)
    _, rewards, terms, _, _ = env.step({"player_0": 1, "player_1": 0})
    assert rewards == {"player_0": 12.0, "player_1": 2.0}
    assert all(terms.values())


def test_parallel_env_rejects_bad_render_mode() -> None:
    with pytest.raises(ValueError, match="render_mode"):
        AgoraParallelEnv(REGISTRY.get("p_beauty").kernel_cls, PBeautyConfig(),
                         render_mode="human")


# ------------------------------------------------------------------ conformance of new games
def test_newly_registered_game_is_checked_by_registering_it(scratch_registry: None) -> None:
    agora.register(MatchKernel, "A coordination toy")
    assert "toy_match" in agora.list_games()
    assert conformance_configs("toy_match") == [{}, {"high": 1, "rounds": 3}]
    for config in conformance_configs("toy_match"):
        check_game("toy_match", **config)
    result = agora.run("toy_match", policy=RandomPolicy(), n_instances=5,
                       progress=False)
    assert result.records.height == 5 * 2 * 2
    assert result.records["matched"].to_list() == (result.records["reward"] > 0).to_list()


def test_conformance_catches_rewards_outside_bounds(scratch_registry: None) -> None:
    agora.register(OverpayingKernel)
    with pytest.raises(AssertionError, match=r"outside payoff_bounds\(\) \(0.0, 1.0\)"):
        check_payoff_bounds("toy_overpaying")


def test_conformance_catches_unseeded_randomness(scratch_registry: None) -> None:
    agora.register(GlobalRandomKernel)
    with pytest.raises(AssertionError, match="same seed gave different records"):
        check_seed_determinism("toy_global_random")


def test_conformance_catches_state_outside_state_dict(scratch_registry: None) -> None:
    agora.register(StatefulOutsideDictKernel)
    with pytest.raises(AssertionError, match="restored kernel pays differently"):
        check_checkpoint_roundtrip("toy_leaky_state", rounds=4)
