"""Mesa population model: persona agents on an interaction graph, matched into game groups."""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field

import mesa
import networkx as nx
import numpy as np
import polars as pl

from populations import templates as tpl
from populations.graphs import GraphKind, GraphSpec, build_adjacency
from populations.matching import (
    MATCHMAKERS,
    Matchmaker,
    match_assortative,
    match_graph,
    match_random,
)
from populations.persona import Persona
from populations.stats import gini


@dataclass(frozen=True, kw_only=True)
class PopulationConfig:
    """Settings of a :class:`PopulationModel` (graph parameters as in GraphSpec).

    Attributes:
        graph: complete, ring, small_world, scale_free or homophily.
        k, p_rewire, m, homophily_field, homophily: see
            :class:`populations.graphs.GraphSpec`.
        matchmaker: ``random`` (uniform), ``graph`` (connected groups by greedy BFS) or
            ``assortative`` (groups of similar ``assort_field`` values).
        assort_field: Persona field sorted on by the assortative matchmaker.
    """

    graph: GraphKind = "small_world"
    k: int = 4
    p_rewire: float = 0.1
    m: int = 2
    homophily_field: str = "education_level"
    homophily: float = 0.8
    matchmaker: Matchmaker = "random"
    assort_field: str = "income"
    spec: GraphSpec = field(init=False, repr=False)

    def __post_init__(self) -> None:
        """Validate the matchmaker and build (and so validate) the graph spec."""
        if self.matchmaker not in MATCHMAKERS:
            raise ValueError(f"matchmaker must be one of {MATCHMAKERS}, got "
                             f"{self.matchmaker!r}")
        if not isinstance(self.assort_field, str) or not self.assort_field:
            raise ValueError("assort_field must be a persona field name")
        spec = GraphSpec(kind=self.graph, k=self.k, p_rewire=self.p_rewire, m=self.m,
                         homophily_field=self.homophily_field, homophily=self.homophily)
        object.__setattr__(self, "spec", spec)


class PersonaAgent(mesa.Agent):
    """One persona; its outcome state lives in the model's arrays (read via properties)."""

    def __init__(self, model: PopulationModel, persona_id: int) -> None:
        """Register the agent for ``persona_id`` with the model."""
        super().__init__(model)
        self.persona_id = int(persona_id)

    @property
    def last_action(self) -> float:
        """Return the action of the last round this persona played (NaN before any)."""
        return float(self.model.last_actions[self.persona_id])

    @property
    def last_payoff(self) -> float:
        """Return the payoff of the last round this persona played (NaN before any)."""
        return float(self.model.last_payoffs[self.persona_id])

    @property
    def cumulative_payoff(self) -> float:
        """Return the sum of this persona's payoffs."""
        return float(self.model.cumulative_payoffs[self.persona_id])

    @property
    def rounds_played(self) -> int:
        """Return how many rounds this persona has played."""
        return int(self.model.rounds_played[self.persona_id])

    @property
    def persona(self) -> Persona:
        """Return the persona this agent plays."""
        return Persona.from_frame(self.model.personas, self.persona_id)

    def neighbours(self) -> np.ndarray:
        """Return the persona ids adjacent to this one in the interaction graph."""
        return self.model.neighbours(self.persona_id)


class PopulationModel(mesa.Model):
    """Personas as Mesa agents on a networkx graph, with matchmaking and outcome metrics.

    Use: ``groups = model.match(g)``; play the game for every row of ``groups``;
    ``model.record_outcomes(ids, actions, payoffs)``; ``model.step()`` to close the round
    (collects metrics: round, players, mean action, mean payoff, Gini of cumulative payoff).
    """

    def __init__(self, personas: pl.DataFrame, config: PopulationConfig | None = None, *,
                 seed: int) -> None:
        """Create one agent per persona and the interaction graph (all from ``seed``)."""
        if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
            raise ValueError(f"seed must be an integer >= 0, got {seed!r}")
        super().__init__(rng=int(seed))
        if "persona_id" not in personas.columns or personas.height == 0:
            raise ValueError("personas must be a non-empty frame with a persona_id column")
        if not np.array_equal(personas["persona_id"].to_numpy(), np.arange(personas.height)):
            raise ValueError("persona_id must be 0..n-1 in row order")
        self.config = config or PopulationConfig()
        self.personas = personas
        n = personas.height
        self.adjacency, self._graph = build_adjacency(self.config.spec, personas, self.rng)
        self.last_actions = np.full(n, np.nan)
        self.last_payoffs = np.full(n, np.nan)
        self.cumulative_payoffs = np.zeros(n)
        self.rounds_played = np.zeros(n, dtype=np.int64)
        self._played_now = np.zeros(n, dtype=bool)
        self._keys = self._assort_keys() if self.config.matchmaker == "assortative" else None
        self._agents_by_id = [PersonaAgent(self, i) for i in range(n)]
        self.datacollector = mesa.DataCollector(model_reporters={
            "round": lambda m: m.steps, "players": lambda m: int(m._played_now.sum()),
            "mean_action": lambda m: m._round_mean(m.last_actions),
            "mean_payoff": lambda m: m._round_mean(m.last_payoffs),
            "mean_cumulative_payoff": lambda m: float(m.cumulative_payoffs.mean()),
            "gini_cumulative_payoff": lambda m: gini(m.cumulative_payoffs)})

    @property
    def graph(self) -> nx.Graph:
        """Return the interaction graph (the complete graph is built on first access)."""
        if self._graph is None:
            self._graph = nx.complete_graph(self.n)
        return self._graph

    @property
    def n(self) -> int:
        """Return the number of personas."""
        return self.personas.height

    def agent(self, persona_id: int) -> PersonaAgent:
        """Return the agent of a persona id."""
        return self._agents_by_id[self._check_ids([persona_id])[0]]

    def neighbours(self, persona_id: int) -> np.ndarray:
        """Return the persona ids adjacent to ``persona_id``."""
        pid = self._check_ids([persona_id])[0]
        return self.adjacency.indices[self.adjacency.indptr[pid]:self.adjacency.indptr[pid + 1]] \
            .astype(np.int64)

    def _check_ids(self, persona_ids: object) -> np.ndarray:
        """Return ids as int64, raising ValueError for non-integers or out-of-range ids."""
        ids = np.asarray(persona_ids)
        if ids.ndim != 1 or (ids.size and not np.issubdtype(ids.dtype, np.integer)):
            raise ValueError("persona_ids must be a 1-D sequence of integers")
        ids = ids.astype(np.int64)
        if ids.size and (ids.min() < 0 or ids.max() >= self.n):
            raise ValueError(f"persona ids must be in [0, {self.n}), got {ids.min()}..{ids.max()}")
        return ids

    def _round_mean(self, values: np.ndarray) -> float:
        """Return the mean of ``values`` over personas that played this round, skipping NaN
        actions (NaN if none)."""
        x = values[self._played_now]
        x = x[np.isfinite(x)]
        return float(x.mean()) if x.size else np.nan

    def match(self, group_size: int, persona_ids: np.ndarray | None = None) -> np.ndarray:
        """Return ``(n_groups, group_size)`` persona ids for one round.

        Every persona appears at most once; those that do not complete a group sit out this
        round (``len % group_size`` of them for random/assortative, the members of too-small
        free graph components for graph). ``persona_ids`` restricts who may play.
        """
        if isinstance(group_size, bool) or not isinstance(group_size, numbers.Integral) \
                or group_size < 1:
            raise ValueError(f"group_size must be an integer >= 1, got {group_size!r}")
        ids = np.arange(self.n) if persona_ids is None else self._check_ids(persona_ids)
        if np.unique(ids).size != ids.size:
            raise ValueError("persona_ids must not repeat")
        kind = self.config.matchmaker
        if kind == "random":
            return match_random(ids, int(group_size), self.rng)
        if kind == "graph":
            return match_graph(ids, self.adjacency, int(group_size), self.rng)
        assert self._keys is not None  # set in __init__ for the assortative matchmaker
        return match_assortative(ids, self._keys[ids], int(group_size), self.rng)

    def _assort_keys(self) -> np.ndarray:
        """Return the numeric sort key of every persona for the assortative matchmaker."""
        name = self.config.assort_field
        if name not in self.personas.columns:
            raise ValueError(f"unknown assort_field {name!r}; persona fields: "
                             f"{self.personas.columns}")
        column = self.personas[name]
        if isinstance(column.dtype, pl.Enum | pl.Categorical):
            column = column.to_physical()
        elif column.dtype == pl.Boolean:
            column = column.cast(pl.Int8)
        elif not column.dtype.is_numeric():
            raise ValueError(f"assort_field {name!r} must be numeric or categorical")
        return column.cast(pl.Float64).fill_null(np.inf).to_numpy()

    def record_outcomes(self, persona_ids: object, actions: object, payoffs: object) -> None:
        """Store this round's numeric action and payoff of each listed persona.

        An action may be NaN when the persona played but chose nothing numeric (e.g. it only
        accepted an offer); summaries and metrics then skip it. Payoffs must be finite.
        """
        ids = self._check_ids(persona_ids)
        acts = np.asarray(actions, dtype=np.float64).reshape(-1)
        pays = np.asarray(payoffs, dtype=np.float64).reshape(-1)
        if not acts.size == pays.size == ids.size:
            raise ValueError(f"got {ids.size} ids, {acts.size} actions, {pays.size} payoffs")
        if np.any(np.isinf(acts)) or not np.all(np.isfinite(pays)):
            raise ValueError("actions must be finite numbers (or NaN: no numeric action) and "
                             "payoffs finite numbers")
        if np.unique(ids).size != ids.size:
            raise ValueError("a persona appears twice in one record_outcomes call")
        again = ids[self._played_now[ids]]
        if again.size:
            raise ValueError(f"personas {again[:5].tolist()} already have an outcome this "
                             f"round; call model.step() to close the round")
        self.last_actions[ids] = acts
        self.last_payoffs[ids] = pays
        self.cumulative_payoffs[ids] += pays
        self.rounds_played[ids] += 1
        self._played_now[ids] = True

    def step(self) -> None:
        """Close the round: collect the round's metrics and clear who played."""
        self.datacollector.collect(self)
        self._played_now[:] = False

    def metrics(self) -> pl.DataFrame:
        """Return one row per closed round of the collected population metrics."""
        return pl.DataFrame(self.datacollector.model_vars,
                            schema={"round": pl.Int64, "players": pl.Int64,
                                    "mean_action": pl.Float64, "mean_payoff": pl.Float64,
                                    "mean_cumulative_payoff": pl.Float64,
                                    "gini_cumulative_payoff": pl.Float64})

    def neighbour_summary(self, persona_ids: object) -> list[str]:
        """Return, per persona, a sentence on its neighbours' last actions and payoffs."""
        ids = self._check_ids(persona_ids)
        sub = self.adjacency[ids]
        degree = np.diff(sub.indptr)
        played = self.rounds_played > 0
        acted = played & np.isfinite(self.last_actions)
        n_played = sub @ played.astype(np.float64)
        n_acted = sub @ acted.astype(np.float64)
        sum_action = sub @ np.where(acted, self.last_actions, 0.0)
        sum_payoff = sub @ np.where(played, self.last_payoffs, 0.0)
        out = []
        for k, p, m, a, y in zip(degree, n_played, n_acted, sum_action, sum_payoff,
                                 strict=True):
            noun = tpl.NEIGHBOUR_NOUN[0 if k == 1 else 1]
            if k == 0:
                out.append(tpl.NO_NEIGHBOURS)
            elif p == 0:
                out.append(tpl.NEIGHBOURS_NONE_PLAYED.format(k=k, noun=noun))
            elif m == 0:  # they played, but nothing numeric (e.g. only accepted offers)
                out.append(tpl.NEIGHBOURS_EARNED.format(played=int(p), k=k, noun=noun,
                                                      payoff=y / p))
            elif p == k:
                out.append(tpl.NEIGHBOURS_PLAYED.format(k=k, noun=noun, action=a / m,
                                                      payoff=y / p))
            else:
                out.append(tpl.NEIGHBOURS_SOME_PLAYED.format(played=int(p), k=k, noun=noun,
                                                           action=a / m, payoff=y / p))
        return out
