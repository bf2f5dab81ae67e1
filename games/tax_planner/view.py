"""What the deciding players of the tax game may know, for scripted play (:class:`TaxView`).

Information (the model behind the game's Stackelberg benchmark):

* everyone knows the public rules (the config), the schedule in force, the ballot of a vote
  step and the skills (hourly wages) of every worker of their economy: skills are common
  knowledge, so a worker can compute the best responses of the others and the equilibrium
  rebate, and the planner the welfare of a schedule;
* the planner also knows last tax year's tax records: every worker's mean annual income and
  mean post-tax income (what Saez's formula reads).

Arrays are per economy (``economies`` holds the instances present, sorted) and decisions point
into them with ``economy``; :meth:`TaxPlannerKernel.decision_view
<games.tax_planner.env.TaxPlannerKernel.decision_view>` builds the view, so scripted players
(:mod:`games.tax_planner.players`) and the theory never read the kernel.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from agora.engine.structured import Spec
from agora.engine.views import DecisionView
from games.tax_planner.config import TaxConfig

if TYPE_CHECKING:
    from games.tax_planner.env import TaxPlannerKernel


@dataclass(frozen=True, kw_only=True, eq=False)
class TaxView(DecisionView):
    """A batch of tax-game decisions as the deciding players see them.

    Besides :class:`~agora.engine.views.DecisionView`'s ``config``, ``players`` (the planner is
    slot ``n_workers``), ``rounds`` (the tax year) and ``codes``:

    Attributes:
        specs: The action spec of every code of the batch, by code (the planner's within the
            change cap).
        economies: ``(E,)`` instances of the batch, sorted.
        economy: ``(D,)`` position in ``economies`` of each decision's instance.
        rates: ``(E, B)`` schedule in force (fractions).
        skills: ``(E, N)`` hourly wages of the economy's workers.
        candidates: ``(E, C, B)`` schedules on the ballot (NaN outside vote steps).
        last_year: ``(E,)`` the last completed tax year seen by a deciding planner; -1 when
            there is none or the planner does not decide.
        last_income: ``(E, N)`` mean annual income of each worker in ``last_year`` (NaN when
            ``last_year`` is -1).
        last_post_tax: ``(E, N)`` mean annual income after tax and rebate, likewise.
        memo: Scratch space for what scripted players derive from the above (e.g. the
            Stackelberg optimum of an economy), kept for the whole run and never part of the
            game's state or of any checkpoint.
    """

    config: TaxConfig
    specs: Mapping[int, Spec]  # type: ignore[assignment]  # codes are sparse: a mapping
    economies: np.ndarray
    economy: np.ndarray
    rates: np.ndarray
    skills: np.ndarray
    candidates: np.ndarray
    last_year: np.ndarray
    last_income: np.ndarray
    last_post_tax: np.ndarray
    memo: dict[str, Any] = field(default_factory=dict)

    @property
    def planner(self) -> np.ndarray:
        """``(D,)`` whether each decision is the planner's."""
        return self.players == self.config.n_workers

    def subset(self, index: np.ndarray) -> TaxView:
        """The decisions ``index`` (per-economy arrays are shared, not copied)."""
        return replace(self, economy=self.economy[index], players=self.players[index],
                       rounds=self.rounds[index], codes=self.codes[index])

    def by_spec(self) -> Iterator[tuple[np.ndarray, Spec]]:
        """Indices of the decisions grouped by action spec (ascending code of first use)."""
        codes = self.codes
        first = int(codes[0]) if len(self) else 0
        if len(self) and np.all(codes == first):
            yield np.arange(len(self)), self.specs[first]
            return
        groups: dict[Spec, list[np.ndarray]] = {}
        for c in np.unique(codes):
            groups.setdefault(self.specs[int(c)], []).append(np.flatnonzero(codes == c))
        for spec, parts in groups.items():
            yield np.sort(np.concatenate(parts)), spec


def build_view(kernel: TaxPlannerKernel, inst: np.ndarray, players: np.ndarray) -> TaxView:
    """The :class:`TaxView` of the decisions ``(inst, players)`` of ``kernel``'s economies."""
    econ, pos = np.unique(inst, return_inverse=True)
    codes = kernel.spec_codes(inst, players)
    planning = np.isin(np.arange(econ.size), pos[players == kernel.planner_slot])
    last_year = np.where(planning, kernel.round[econ] - 1, -1)
    last = np.full((2, econ.size, kernel.config.n_workers), np.nan)
    for e in np.flatnonzero(last_year >= 0):
        last[:, e] = kernel.year_means(int(econ[e]), int(last_year[e]))
    return TaxView(
        config=kernel.config, players=players, rounds=kernel.round[inst], codes=codes,
        specs={int(c): kernel.spec_for_code(int(c)) for c in np.unique(codes)},
        economies=econ, economy=pos.reshape(inst.shape), rates=kernel.rates[econ],
        skills=kernel.skills[econ], candidates=kernel.candidates[econ], last_year=last_year,
        last_income=last[0], last_post_tax=last[1],
        memo=kernel.__dict__.setdefault("_scripted_memo", {}))
