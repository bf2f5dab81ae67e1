"""The game contract: what a game declares, and what it may provide to policies and analysis.

A game is one folder (a Python package) that imports :mod:`agora.engine` and its own modules
only. It declares, up front on its kernel class (see :class:`~agora.engine.kernel.GameKernel`):

* the header: ``name``, ``roles``, ``config_cls`` (a frozen, validated
  :class:`~agora.engine.kernel.GameConfig`), ``prompts`` and ``action_dtype``;
* ``theory``: an object (usually the game's ``theory`` module) satisfying one of the theory
  protocols below, or ``None`` when the game has no theory. Scripted policies ask it for moves;
* ``hooks``: a :class:`GameHooks` (subclass) instance with the analysis hooks. Every hook has a
  documented default, so a game provides only what it knows;

and registers itself on the last line of its package: ``KERNELS = (MyKernel,)`` plus an entry
point ``[project.entry-points."agora.games"] my_game = "my_package.my_game"``. A package may also
ship scripted players of its own as ``POLICIES = {"kind_name": factory}`` (factories returning
:class:`~agora.engine.policy.Policy` objects), which become policy kinds of specs and the CLI.

The engine, policies, analysis and CLI ask a game through this contract and never test its
name.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np


# --------------------------------------------------------------------------- theory protocols
@runtime_checkable
class SimultaneousTheory(Protocol):
    """Theory of a game in which every mover picks one number at once (p-beauty, dictator).

    All functions are pure in the game's config (the public rules of the game). A game whose
    only equilibrium mixes (rock-paper-scissors) may also define
    ``equilibrium_mixture(config)``: probabilities over the legal values of its discrete action
    spec (``spec.choices()``, in order); the ``equilibrium`` policy then draws from it, and
    ``equilibrium_action`` names one move of its support for tools that need a single number.
    """

    def equilibrium_action(self, config: Any) -> float:
        """The (selfish, subgame-perfect or unique symmetric Nash) equilibrium action."""

    def level_k_action(self, config: Any, k: int) -> float:
        """Action of a level-k reasoner, ``k >= 1`` (level 0 plays uniformly at random)."""

    def ch_actions(self, config: Any, tau: float, k_max: int) -> np.ndarray:
        """Actions of Poisson cognitive-hierarchy steps ``0..k_max`` (entry 0: level-0's mean)."""

    def action_utilities(self, config: Any, grid: np.ndarray,
                         belief_mean: float | None = None) -> np.ndarray:
        """Expected utility of each action of ``grid`` against ``belief_mean`` (default level 0)."""


@runtime_checkable
class SequentialTheory(Protocol):
    """Theory of a turn-based game: moves depend on what the acting player has seen.

    It takes the game's scripted view of a batch of decisions (what
    :meth:`GameKernel.decision_view` returns), never the kernel. Offer games provide more:
    :class:`OfferTheory`.
    """

    def equilibrium_actions(self, view: Any) -> np.ndarray:
        """Subgame-perfect move of every decision of the view (an object array of actions)."""


@runtime_checkable
class OfferTheory(SequentialTheory, Protocol):
    """A sequential theory of an offer game (bargaining, negotiation, item division): its
    decision view is an :class:`~agora.engine.views.OfferView`, and scripted negotiators play
    it through :meth:`offer_actions`."""

    def offer_actions(self, view: Any, demand: np.ndarray, accept: np.ndarray) -> np.ndarray:
        """Actions that propose an offer worth ``demand`` (in each decider's own utility) to the
        decider, or respond with ``accept``; what scripted negotiators use."""


def theory_kind(theory: Any) -> str | None:
    """``"simultaneous"``, ``"sequential"`` or ``None`` for a theory object."""
    if theory is None:
        return None
    if isinstance(theory, SimultaneousTheory):
        return "simultaneous"
    if isinstance(theory, SequentialTheory):
        return "sequential"
    return None


# --------------------------------------------------------------------------- analysis hooks
@dataclass(frozen=True, kw_only=True)
class Benchmark:
    """Theory benchmarks of one game configuration (what reports and ``agora show`` print)."""

    game: str
    equilibrium_action: float
    equilibria: tuple[float, ...] = ()
    level_k: dict[int, float] = field(default_factory=dict)
    ch_actions: tuple[float, ...] = ()
    ch_tau: float = 1.5
    level0_mean: float = math.nan
    dominated_above: float | None = None
    dominated_below: float | None = None
    notes: str = ""

    def as_rows(self) -> list[tuple[str, str]]:
        """(label, value) rows for reports."""
        rows = [("equilibrium action", f"{self.equilibrium_action:g}")]
        if self.equilibria:
            rows.append(("symmetric equilibria", ", ".join(f"{x:g}" for x in self.equilibria)))
        if not math.isnan(self.level0_mean):
            rows.append(("level-0 mean", f"{self.level0_mean:.4g}"))
        rows += [(f"level-{k}", f"{v:.4g}") for k, v in self.level_k.items()]
        if self.ch_actions:
            rows.append((f"CH steps 0..{len(self.ch_actions) - 1} (tau={self.ch_tau:g})",
                         ", ".join(f"{x:.3g}" for x in self.ch_actions)))
        if self.dominated_above is not None:
            rows.append(("weakly dominated above", f"{self.dominated_above:.4g}"))
        if self.dominated_below is not None:
            rows.append(("weakly dominated below", f"{self.dominated_below:.4g}"))
        if self.notes:
            rows.append(("notes", self.notes))
        return rows


@dataclass(frozen=True)
class AnalysisSpec:
    """A named analysis of :mod:`agora.analysis`'s catalogue that applies to a game, with the
    parameters it needs (read off the game's config by the game's hooks).

    Games never import the analysis layer: they say *which* generic analyses fit them (e.g.
    ``AnalysisSpec("cognitive_hierarchy", {"p": 2/3, "lower": 0, "upper": 100})``) and the report
    runs them. An unknown kind is reported as such, never silently skipped.
    """

    kind: str
    params: Mapping[str, Any] = field(default_factory=dict)


class GameHooks:
    """Analysis hooks of a game, with documented defaults; a game overrides what it knows.

    Construct with the game's theory (``hooks = MyHooks(theory)``). Defaults:

    * :meth:`benchmark`: built from a :class:`SimultaneousTheory` (equilibrium, level-k 1..3,
      CH steps, :meth:`dominance_bounds`, ``symmetric_equilibria(config)`` when the theory has
      it); ``None`` for other games.
    * :meth:`payoffs`: ``None`` (no counterfactual payoffs, so no regret or NashConv).
    * :meth:`dominance_bounds`: ``(None, None)``.
    * :meth:`default_baseline`: ``None`` (no human comparison unless the user names one).
    * :attr:`baseline_package`: ``None`` (the game ships no human data).
    * :meth:`analyses`: ``()`` (only the generic report sections).
    * :meth:`agent_payoffs`: ``None`` (each agent's payoff is the sum of its records' rewards).
    """

    baseline_package: str | None = None
    """Importable package holding the game's packaged human data as ``baselines.json`` (plus
    the CSV files it names), read with :mod:`importlib.resources`; ``None`` for none."""

    benchmark_notes: str = ""
    """One line printed under the benchmark (e.g. what the equilibrium assumes)."""

    def __init__(self, theory: Any = None) -> None:
        self.theory = theory

    def benchmark(self, game: str, config: Any, *, tau: float = 1.5,
                  k_max: int = 6) -> Benchmark | None:
        """Theory benchmarks of ``config``, or ``None`` when the game has none."""
        t = self.theory
        if not isinstance(t, SimultaneousTheory):
            return None
        eq = float(t.equilibrium_action(config))
        level_k = {k: float(t.level_k_action(config, k)) for k in (1, 2, 3)}
        ch = tuple(float(x) for x in t.ch_actions(config, tau, k_max))
        equilibria: tuple[float, ...] = (eq,)
        symmetric = getattr(t, "symmetric_equilibria", None)
        if callable(symmetric):
            try:
                equilibria = tuple(float(x) for x in symmetric(config))
            except ValueError:
                equilibria = ()
        above, below = self.dominance_bounds(config)
        return Benchmark(game=game, equilibrium_action=eq, equilibria=equilibria,
                         level_k=level_k, ch_actions=ch, ch_tau=tau,
                         level0_mean=ch[0] if ch else math.nan, dominated_above=above,
                         dominated_below=below, notes=self.benchmark_notes)

    def payoffs(self, config: Any, profile: np.ndarray) -> np.ndarray | None:
        """Payoffs of joint profiles of the movers of one round: ``profile`` has shape
        ``(..., n_movers)`` (every decision of one instance-round, in agent order) and the
        result the same shape, each mover's payoff. ``None``: not available."""
        return None

    def dominance_bounds(self, config: Any) -> tuple[float | None, float | None]:
        """``(above, below)``: actions above / below are weakly dominated (``None``: none)."""
        return None, None

    def default_baseline(self, config: Any) -> str | None:
        """Name of the packaged human baseline that matches ``config`` best, or ``None``."""
        return None

    def analyses(self, config: Any) -> tuple[AnalysisSpec, ...]:
        """Named analyses of the catalogue that apply to this configuration."""
        return ()

    def agent_payoffs(self, records: Any) -> Any:
        """Total payoff of every agent of every instance, as a frame with columns
        ``instance``, ``agent``, ``payoff``; ``None``: the sum of each agent's record rewards.

        A record row carries only the mover's own step reward, so a game that pays players at
        other players' steps (a trust game's sender gets the returned amount when the receiver
        moves) overrides this from the columns its records keep."""
        return None
