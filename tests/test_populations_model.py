"""PopulationModel: graphs, matchmakers, outcomes, metrics and reproducibility."""

from __future__ import annotations

import networkx as nx
import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import populations
from populations import PersonaAgent, PopulationConfig, PopulationModel


@pytest.fixture(scope="module")
def personas() -> pl.DataFrame:
    """Return 600 personas."""
    return populations.synthesize(600, seed=17)


def _model(personas: pl.DataFrame, n: int, seed: int = 1, **config: object) -> PopulationModel:
    """Return a model on the first n personas."""
    return PopulationModel(personas.head(n), PopulationConfig(**config), seed=seed)


def test_graph_types(personas: pl.DataFrame) -> None:
    """Each graph kind has the structure its generator promises."""
    ring = _model(personas, 100, graph="ring", k=4).graph
    assert ring.number_of_edges() == 200 and {d for _, d in ring.degree()} == {4}
    small = _model(personas, 100, graph="small_world", k=6, p_rewire=0.3).graph
    assert small.number_of_edges() == 300 and not nx.utils.graphs_equal(
        small, nx.watts_strogatz_graph(100, 6, 0.0))
    free = _model(personas, 100, graph="scale_free", m=3).graph
    assert free.number_of_edges() == (100 - 3) * 3
    assert max(d for _, d in free.degree()) > 3 * np.mean([d for _, d in free.degree()])
    complete = _model(personas, 50, graph="complete")
    assert complete.graph.number_of_edges() == 50 * 49 // 2
    assert complete.adjacency.sum() == 50 * 49
    assert set(complete.neighbours(3)) == set(range(50)) - {3}


def test_homophily_graph_prefers_own_group(personas: pl.DataFrame) -> None:
    """With homophily 0.9 most ties join personas with the same field value."""
    model = _model(personas, 600, graph="homophily", k=8, homophily=0.9,
                   homophily_field="sex")
    sex = personas["sex"].to_numpy()
    edges = np.array(model.graph.edges())
    same = (sex[edges[:, 0]] == sex[edges[:, 1]]).mean()
    assert same > 0.8
    assert 5 < 2 * len(edges) / 600 < 11  # mean degree close to k


@pytest.mark.parametrize(("config", "message"), [
    ({"graph": "tree"}, "graph must be one of"), ({"graph": "ring", "k": 3}, "k must be even"),
    ({"p_rewire": 1.5}, "p_rewire must be in"), ({"m": 0}, "m must be an integer"),
    ({"matchmaker": "speed_dating"}, "matchmaker must be one of"),
    ({"homophily": -0.1}, "homophily must be in"),
])
def test_config_validation(config: dict, message: str) -> None:
    """Bad settings are rejected naming the field and its range."""
    with pytest.raises(ValueError, match=message):
        PopulationConfig(**config)


def test_size_dependent_errors(personas: pl.DataFrame) -> None:
    """Graphs that cannot be built on n personas, and bad frames, are errors."""
    with pytest.raises(ValueError, match="k must be < n"):
        _model(personas, 4, graph="ring", k=4)
    with pytest.raises(ValueError, match="complete graph needs n <= 2000"):
        PopulationModel(populations.synthesize(2001, seed=1), PopulationConfig(graph="complete"),
                        seed=1)
    with pytest.raises(ValueError, match=r"persona_id must be 0\.\.n-1"):
        PopulationModel(personas.tail(10), seed=1)
    with pytest.raises(ValueError, match="seed must be"):
        PopulationModel(personas, seed=-1)
    with pytest.raises(ValueError, match="unknown assort_field 'shoe'"):
        _model(personas, 10, matchmaker="assortative", assort_field="shoe")
    with pytest.raises(ValueError, match="unknown homophily_field 'shoe'"):
        _model(personas, 10, graph="homophily", homophily_field="shoe")


@settings(max_examples=60, deadline=None)
@given(n=st.integers(8, 250), group_size=st.integers(1, 7),
       matchmaker=st.sampled_from(["random", "graph", "assortative"]),
       graph=st.sampled_from(["ring", "small_world", "scale_free", "homophily"]),
       seed=st.integers(0, 2**16), rounds=st.integers(1, 3))
def test_matchmaker_invariants(personas: pl.DataFrame, n: int, group_size: int,
                               matchmaker: str, graph: str, seed: int, rounds: int) -> None:
    """Groups have the right size, no persona twice a round, and graph groups are connected."""
    model = _model(personas, n, seed=seed, graph=graph, matchmaker=matchmaker, k=4, m=2)
    for _ in range(rounds):
        groups = model.match(group_size)
        assert groups.ndim == 2 and groups.shape[1] == group_size
        flat = groups.ravel()
        assert np.unique(flat).size == flat.size
        assert flat.size == 0 or (flat.min() >= 0 and flat.max() < n)
        if matchmaker != "graph":
            assert groups.shape[0] == n // group_size
        else:
            for group in groups:
                assert nx.is_connected(model.graph.subgraph(group.tolist()))
        model.record_outcomes(flat, np.ones(flat.size), np.zeros(flat.size))
        model.step()


def test_same_seed_same_rounds(personas: pl.DataFrame) -> None:
    """The seed fixes the graph and every match; another seed changes them."""
    def run(seed: int) -> tuple[list[tuple[int, int]], list[np.ndarray]]:
        model = _model(personas, 300, seed=seed, graph="small_world", matchmaker="graph")
        return sorted(model.graph.edges()), [model.match(3) for _ in range(3)]

    edges_a, rounds_a = run(5)
    edges_b, rounds_b = run(5)
    edges_c, rounds_c = run(6)
    assert edges_a == edges_b and all(np.array_equal(a, b) for a, b in zip(rounds_a, rounds_b,
                                                                            strict=True))
    assert edges_a != edges_c
    assert not np.array_equal(rounds_a[0], rounds_c[0])


def test_assortative_groups_share_the_field(personas: pl.DataFrame) -> None:
    """Assortative matching on sex makes almost every group single-sex."""
    model = _model(personas, 600, matchmaker="assortative", assort_field="sex")
    sex = personas["sex"].to_numpy()
    groups = model.match(4)
    mixed = sum(len(set(sex[g])) > 1 for g in groups)
    assert mixed <= 1
    by_income = _model(personas, 600, matchmaker="assortative", assort_field="income")
    income = personas["income"].to_numpy()
    spread = np.mean([np.ptp(income[g]) for g in by_income.match(4)])
    random_spread = np.mean([np.ptp(income[g]) for g in _model(personas, 600).match(4)])
    assert spread < random_spread / 5


def test_match_subset_and_bad_sizes(personas: pl.DataFrame) -> None:
    """persona_ids restricts who plays; group sizes must be positive integers."""
    model = _model(personas, 100)
    groups = model.match(2, persona_ids=np.arange(10, 20))
    assert set(groups.ravel()) == set(range(10, 20))
    with pytest.raises(ValueError, match="group_size"):
        model.match(0)
    with pytest.raises(ValueError, match="must not repeat"):
        model.match(2, persona_ids=[1, 1])
    assert model.match(200).shape == (0, 200)


def test_outcomes_agents_metrics_and_summaries(personas: pl.DataFrame) -> None:
    """Outcomes reach agents, metrics and neighbour summaries; misuse is rejected."""
    model = _model(personas, 10, graph="ring", k=2, matchmaker="random")
    assert model.neighbour_summary([0]) == ["None of your 2 neighbours has played yet."]
    model.record_outcomes([1, 9], [30.0, 32.4], [0.5, 0.3])
    assert model.neighbour_summary([0]) == [
        "Your 2 neighbours last played a mean of 31.2 and earned a mean of 0.4."]
    assert model.neighbour_summary([2]) == [
        "1 of your 2 neighbours have played; they last played a mean of 30.0 and earned a mean "
        "of 0.5."]
    with pytest.raises(ValueError, match="already have an outcome this round"):
        model.record_outcomes([1], [1.0], [1.0])
    model.step()
    model.record_outcomes([1, 2, 3], [10.0, 20.0, 30.0], [1.0, -1.0, 3.0])
    model.step()
    agent = model.agent(1)
    assert isinstance(agent, PersonaAgent)
    assert (agent.last_action, agent.last_payoff, agent.cumulative_payoff) == (10.0, 1.0, 1.5)
    assert agent.rounds_played == 2 and agent.persona.persona_id == 1
    assert len(model.agents) == 10
    metrics = model.metrics()
    assert metrics["round"].to_list() == [1, 2] and metrics["players"].to_list() == [2, 3]
    assert metrics["mean_action"].to_list() == pytest.approx([31.2, 20.0])
    assert metrics["mean_payoff"].to_list() == pytest.approx([0.4, 1.0])
    cumulative = np.zeros(10)
    cumulative[[1, 9, 2, 3]] = [1.5, 0.3, -1.0, 3.0]
    expected = np.abs(cumulative[:, None] - cumulative[None, :]).sum() / (200 * cumulative.mean())
    assert metrics["gini_cumulative_payoff"][-1] == pytest.approx(expected)
    for bad in ([[1], [1.0, 2.0], [1.0]], [[99], [1.0], [1.0]], [[1], [np.inf], [1.0]],
                [[1], [1.0], [np.nan]], [[1, 1], [1.0, 1.0], [1.0, 1.0]]):
        with pytest.raises(ValueError):
            model.record_outcomes(*bad)


def test_nan_actions_mean_nothing_numeric_was_chosen(personas: pl.DataFrame) -> None:
    """A persona that played without a numeric action (it only accepted) keeps its payoff."""
    model = _model(personas, 10, graph="ring", k=2, matchmaker="random")
    model.record_outcomes([1, 9], [np.nan, 30.0], [2.0, 4.0])
    assert model.neighbour_summary([0]) == [
        "Your 2 neighbours last played a mean of 30.0 and earned a mean of 3.0."]
    assert model.neighbour_summary([2]) == [
        "1 of your 2 neighbours have played; they last earned a mean of 2.0."]
    model.step()
    metrics = model.metrics()
    assert metrics["mean_action"].to_list() == [30.0]
    assert metrics["mean_payoff"].to_list() == [3.0]
    assert model.agent(1).cumulative_payoff == 2.0


def test_model_uses_mesa_agentset(personas: pl.DataFrame) -> None:
    """Agents are Mesa agents in the model's AgentSet and can be selected by state."""
    model = _model(personas, 20)
    model.record_outcomes([0, 1, 2], [1.0, 2.0, 3.0], [1.0, 1.0, 1.0])
    played = model.agents.select(lambda a: a.rounds_played > 0)
    assert sorted(a.persona_id for a in played) == [0, 1, 2]
    assert model.agents.agg("cumulative_payoff", sum) == pytest.approx(3.0)
