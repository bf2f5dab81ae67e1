"""Rock-paper-scissors: registration, conformance, theory against closed forms, patterned
opponents and the best responder that must exploit every one of them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import agora
from agora.cli.main import main
from agora.engine.by_role import ByRolePolicy
from agora.policies.registry import make_policy
from agora.testing import check_game, conformance_configs
from games.rock_paper_scissors import PATTERNS, POLICIES, RPSConfig, human, theory
from games.rock_paper_scissors.hooks import HOOKS
from games.rock_paper_scissors.learner import predict
from games.rock_paper_scissors.patterns import make_rule, move_code

GAME = "rock_paper_scissors"
wins = st.floats(min_value=1.01, max_value=100.0, allow_nan=False)


def _u(a: float) -> np.ndarray:
    """Payoff matrix written out by hand: rows rock, paper, scissors against the same."""
    return np.array([[1.0, 0.0, a], [a, 1.0, 0.0], [0.0, a, 1.0]])


# ------------------------------------------------------------------ registration
def test_registered_with_conformance_configs() -> None:
    assert GAME in agora.list_games()
    configs = conformance_configs(GAME)
    assert len(configs) >= 3
    for config in configs:
        check_game(GAME, **config)


def test_conformance_suite_parametrizes_it() -> None:
    from tests.test_engine_conformance import CASES

    assert sum(g == GAME for g, _ in CASES) >= 3


def test_policy_kinds_are_registered_and_prefixed() -> None:
    from agora.policies.registry import POLICY_KINDS

    assert all(k.startswith("rps_") for k in POLICIES)
    for kind in (*PATTERNS, "rps_best_responder", "rps_sequence", "rps_biased"):
        assert kind in POLICY_KINDS
    assert make_policy("rps_sequence", moves="RRPS").describe() == {
        "kind": "rps_sequence", "moves": "RRPS"}
    assert make_policy("rps_cycle").describe() == {"kind": "rps_cycle"}


@pytest.mark.parametrize("bad", [{"win": 1.0}, {"win": True}, {"players": 3}, {"rounds": 0},
                                 {"matching": "ring"}])
def test_config_errors(bad: dict) -> None:
    with pytest.raises(ValueError, match="rock_paper_scissors"):
        RPSConfig(**bad)


# ------------------------------------------------------------------ theory
@given(wins)
def test_payoff_matrix_and_equilibrium_closed_forms(a: float) -> None:
    cfg = RPSConfig(win=a)
    assert np.allclose(theory.payoff_matrix(cfg), _u(a))
    uniform = theory.equilibrium_mixture(cfg)
    assert np.allclose(theory.expected_payoffs(cfg, uniform), (a + 1) / 3)
    assert theory.equilibrium_payoff(cfg) == pytest.approx((a + 1) / 3)
    assert theory.max_payoff(cfg, uniform) == pytest.approx((a + 1) / 3)


@settings(max_examples=60)
@given(wins, st.lists(st.floats(0.0, 1.0), min_size=3, max_size=3))
def test_only_the_uniform_mixture_is_a_symmetric_equilibrium(a: float, w: list[float]) -> None:
    cfg = RPSConfig(win=a)
    q = np.asarray(w) + 1e-3
    q /= q.sum()
    gain = theory.max_payoff(cfg, q) - q @ _u(a) @ q  # best deviation against itself
    assert gain >= -1e-12
    if np.abs(q - 1 / 3).max() > 1e-2:
        assert gain > 0


@given(wins, st.integers(0, 2))
def test_best_response_to_deterministic_patterns_wins(a: float, move: int) -> None:
    cfg = RPSConfig(win=a)
    q = np.eye(3)[move]
    assert int(theory.best_response(cfg, q)) == (move + 1) % 3
    assert theory.max_pattern_payoff(cfg, q) == pytest.approx(a)


@given(wins, st.integers(0, 2))
def test_best_response_to_biased_mixtures(a: float, move: int) -> None:
    cfg = RPSConfig(win=a)
    q = np.full(3, 0.25)
    q[move] = 0.5
    br = int(theory.best_response(cfg, q))
    assert br == (move + 1) % 3  # beat the favourite: a/2 + 1/4 beats a/4 + 1/2 and a/4 + 1/4
    assert theory.max_pattern_payoff(cfg, q) == pytest.approx(a / 2 + 1 / 4)


def test_payoffs_hook_pairs_and_random_matching() -> None:
    a = 3.0
    pairs = RPSConfig(win=a, players=4, matching="fixed")
    x = np.array([0, 2, 1, 1])
    assert np.allclose(HOOKS.payoffs(pairs, x), [a, 0.0, 1.0, 1.0])
    pop = RPSConfig(win=a, players=4)
    brute = [np.mean([_u(a)[x[i], x[j]] for j in range(4) if j != i]) for i in range(4)]
    assert np.allclose(HOOKS.payoffs(pop, x), brute)
    b = HOOKS.benchmark(GAME, pop)
    assert b is not None and "(a + 1)/3" in b.notes and b.equilibria == (0.0, 1.0, 2.0)


# ------------------------------------------------------------------ patterns
def test_pattern_rules() -> None:
    own = np.array([[0, 1, 2], [2, 2, 2]])
    other = np.array([[1, 1, 0], [0, 2, 1]])
    assert np.array_equal(make_rule("react", first="rock", shift=0)(own, other).argmax(1),
                          [0, 1])  # copies the partner's last move
    assert np.array_equal(make_rule("react", first="rock", shift=1)(own, other).argmax(1),
                          [1, 2])  # beats it
    assert np.array_equal(make_rule("sequence", moves="RPS")(own, other).argmax(1), [0, 0])
    assert np.array_equal(make_rule("sequence", moves="RRPS")(own, other).argmax(1), [2, 2])
    assert make_rule("react", first="paper", shift=1)(own[:, :0], other[:, :0]).argmax(1)[0] \
        == 1
    assert move_code("S") == 2 and move_code("Paper") == 1
    with pytest.raises(ValueError, match="not a move"):
        move_code("lizard")
    with pytest.raises(ValueError, match="probs"):
        make_rule("mixture", probs=(0.5, 0.5, 0.5))


def _play(opponent: str, *, seed: int, n: int = 100, rounds: int = 60,
          agent: str = "rps_best_responder", **config) -> pl.DataFrame:
    policy = ByRolePolicy(agent=POLICIES[agent](), opponent=POLICIES[opponent]())
    return agora.run(GAME, policy=policy, n_instances=n, seed=seed, rounds=rounds,
                     progress=False, **config).records


def test_patterns_play_their_rules() -> None:
    r = _play("rps_copy", seed=1, n=3, rounds=8, agent="rps_uniform").sort("instance", "round")
    ag, op = r.filter(pl.col("role") == "agent"), r.filter(pl.col("role") == "opponent")
    a = ag["action"].to_numpy().reshape(3, 8)
    o = op["action"].to_numpy().reshape(3, 8)
    assert (o[:, 0] == 0).all() and np.array_equal(o[:, 1:], a[:, :-1])
    assert np.array_equal(ag["other_move"].to_numpy().reshape(3, 8), o)
    assert np.array_equal(ag["outcome"].to_numpy(), theory.outcome(a, o).reshape(-1))
    c = _play("rps_cycle", seed=1, n=2, rounds=6, agent="rps_uniform")
    assert c.filter(pl.col("role") == "opponent").sort("instance", "round")["action"] \
        .to_list() == [0, 1, 2, 0, 1, 2] * 2


def test_biased_mixture_draws_from_its_probabilities_reproducibly() -> None:
    r = _play("rps_biased_scissors", seed=4, n=200, rounds=20, agent="rps_uniform")
    moves = r.filter(pl.col("role") == "opponent")["action"].to_numpy()
    shares = np.bincount(moves.astype(int), minlength=3) / moves.size
    assert np.allclose(shares, [0.25, 0.25, 0.5], atol=0.03)
    again = _play("rps_biased_scissors", seed=4, n=200, rounds=20, agent="rps_uniform")
    assert again["action"].to_list() == r["action"].to_list()


@pytest.mark.parametrize("pattern", sorted(PATTERNS))
def test_best_responder_exploits_every_pattern(pattern: str) -> None:
    """Acceptance: >= 95 % of the maximum attainable expected payoff over rounds 21..60, at
    several seeds (expected payoff of the chosen move against the pattern's known
    distribution, summed over 100 pairs)."""
    cfg = RPSConfig(rounds=60)
    for seed in (1, 2, 3):
        r = _play(pattern, seed=seed).sort("instance", "round")
        ag, op = r.filter(pl.col("role") == "agent"), r.filter(pl.col("role") == "opponent")
        q = op.select("mixed_0", "mixed_1", "mixed_2").to_numpy()
        own = ag["action"].to_numpy().astype(int)
        expected = theory.expected_payoffs(cfg, q)[np.arange(own.size), own]
        late = ag["round"].to_numpy() >= 20
        share = expected[late].sum() / theory.max_payoff(cfg, q)[late].sum()
        assert share >= 0.95, (pattern, seed, share)


def test_learner_finds_each_family() -> None:
    other = np.array([[0, 1, 2, 0, 1, 2, 0, 1], [2, 2, 2, 2, 2, 2, 2, 2],
                      [0, 0, 1, 0, 0, 1, 0, 0]])
    own = np.array([[1, 1, 1, 1, 1, 1, 1, 1], [0, 1, 2, 0, 1, 2, 0, 1],
                    [1, 1, 1, 1, 1, 1, 1, 1]])
    assert np.array_equal(predict(own, other).argmax(1), [2, 2, 1])
    mine = np.array([[0, 1, 2, 0, 1, 2, 1]])
    copier = np.array([[0, 0, 1, 2, 0, 1, 2]])  # rock, then the learner's last move
    assert predict(mine, copier).argmax(1)[0] == 1
    rng = np.random.default_rng(5)  # no pattern: the empirical frequencies (add-one)
    noise = rng.integers(0, 3, size=(1, 40))
    counts = np.bincount(noise[0], minlength=3) + 1
    assert np.allclose(predict(mine[:, :1].repeat(40, 1), noise)[0], counts / counts.sum())


# ------------------------------------------------------------------ kernel, views, prompts
def test_random_matching_population_and_roles() -> None:
    r = agora.run(GAME, policy=POLICIES["rps_uniform"](), n_instances=3, seed=2, rounds=5,
                  players=6, progress=False).records
    assert r["role"].unique().to_list() == ["agent"]
    for (_, _), part in r.group_by(["instance", "round"]):
        seat = part["seat"].to_numpy().astype(int)
        mate = part["partner"].to_numpy().astype(int)
        by_seat = dict(zip(seat, mate, strict=True))
        assert all(by_seat[by_seat[s]] == s and by_seat[s] != s for s in seat)
        moves = dict(zip(seat, part["action"].to_numpy(), strict=True))
        assert np.allclose(part["other_move"].to_numpy(), [moves[m] for m in mate])
    pairings = r.filter(pl.col("seat") == 0).group_by("instance").agg(
        pl.col("partner").n_unique())
    assert pairings["partner"].max() > 1  # rematched


def test_view_and_prompt_show_feedback() -> None:
    kernel_cls = agora.engine.registry.REGISTRY.get(GAME).kernel_cls
    cfg = RPSConfig(win=2.5, rounds=3)
    k = kernel_cls(cfg, 1, np.random.default_rng(0))
    k.step(np.array([0, 0]), np.array([0, 1]), np.array([0.0, 1.0]))
    view = k.decision_view(np.array([0, 0]), np.array([0, 1]))
    assert view.own.tolist() == [[0], [1]] and view.other.tolist() == [[1], [0]]
    text = kernel_cls.prompts.situation(cfg, k.observe(0, 0))
    assert "Round 1: you Rock, other Paper: you lost, 0 points." in text
    assert "Round 2 of 3" in text
    assert "2.5 points" in kernel_cls.prompts.rules(cfg, "agent")


def test_human_reference_is_sourced() -> None:
    ref = human.reference()
    assert "data.WXZ2014" in ref["source"] and "summary statistics only" in ref["source"]
    assert "§5c" in ref["compiled"] and "not" in ref["a_treatment"]
    for rates in ref["pooled"].values():
        assert sum(rates.values()) == pytest.approx(1.0, abs=0.002)
    assert ref["pooled"]["loss"]["stay"] > ref["pooled"]["win"]["stay"]
    assert sum(ref["choice_shares"].values()) == pytest.approx(1.0)


def test_cli_report_prints_the_rps_tables(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "rps.toml"
    spec.write_text(f'game = "{GAME}"\nn_instances = 4\nseed = 1\n[config]\nrounds = 12\n'
                    '[[policies]]\nkind = "by_role"\nagent = { kind = "rps_best_responder" }\n'
                    'opponent = { kind = "rps_sequence", moves = "RRS" }\n')
    out = tmp_path / "run"
    for args in (["run", str(spec), "--out", str(out), "--quiet"], ["show", str(out)],
                 ["report", str(out), "--n-boot", "20"]):
        assert main(args) == 0, capsys.readouterr().err
    md = (out / "report.md").read_text()
    for text in ("Conditional responses (stay / up / down", "Wang, Xu & Zhou (2014) subjects",
                 "Exploitation score by round", "Rounds needed to beat",
                 "rps_best_responder (agent)"):
        assert text in md, text
