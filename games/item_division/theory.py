"""Theory of item division: allocations, Pareto frontier, efficiency, SPE and Nash solution.

An allocation is the vector ``k`` of items A gets (B gets ``counts − k``); values are linear,
``u_A = v_A·k``, ``u_B = v_B·(counts − k)``. An allocation is Pareto optimal when no other gives
one player more without giving the other less. Efficiency (Lewis et al. 2017) is the joint value
as a share of the maximal joint value ``Σ c_i·max(v_A,i, v_B,i)``. Without discounting, the last
proposer keeps everything it values; backward induction gives each earlier proposer its best
allocation among those leaving the responder at least its continuation value. The Nash
bargaining solution (disagreement 0) maximises ``u_A·u_B`` over allocations.
``equilibrium_actions`` and ``offer_actions`` take the kernel's decision view (an
:class:`~agora.engine.views.OfferView` in each player's own value), what the scripted players ask
a :class:`~agora.engine.contract.OfferTheory` for (a demand becomes the least demanding
bundle worth it).
"""

from __future__ import annotations

import functools
import itertools
from typing import TYPE_CHECKING, Any

import numpy as np

from agora.engine.alternating_offers import PROPOSE
from agora.engine.views import OfferView
from games.item_division.config import ItemDivisionConfig

if TYPE_CHECKING:
    from games.item_division.env import ItemDivisionView


def allocations(config: ItemDivisionConfig) -> np.ndarray:
    """Every allocation (items A gets), one row each."""
    return np.array(list(itertools.product(*(range(c + 1) for c in config.counts))),
                    dtype=np.int64).reshape(-1, len(config.counts))


def values(config: ItemDivisionConfig, keep_a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(A's, B's) values of allocations ``keep_a`` (rows of A's items)."""
    k = np.asarray(keep_a, dtype=np.float64)
    rest = np.asarray(config.counts, dtype=np.float64) - k
    return k @ np.asarray(config.values_a), rest @ np.asarray(config.values_b)


def max_joint_value(config: ItemDivisionConfig) -> float:
    """Largest joint value: each item to whoever values it more."""
    return float(np.asarray(config.counts) @ np.maximum(config.values_a, config.values_b))


def pareto_frontier(config: ItemDivisionConfig) -> np.ndarray:
    """Distinct Pareto-optimal value pairs ``(u_A, u_B)``, sorted by u_A."""
    ua, ub = values(config, allocations(config))
    pts = np.unique(np.column_stack([ua, ub]), axis=0)
    ge = (pts[:, None, 0] >= pts[None, :, 0]) & (pts[:, None, 1] >= pts[None, :, 1])
    gt = (pts[:, None, 0] > pts[None, :, 0]) | (pts[:, None, 1] > pts[None, :, 1])
    keep = ~np.any(ge & gt, axis=0)  # nobody dominates the point
    return pts[keep]


def is_pareto_optimal(config: ItemDivisionConfig, keep_a: np.ndarray) -> np.ndarray:
    """Whether each allocation's value pair lies on the Pareto frontier."""
    ua, ub = values(config, np.atleast_2d(keep_a))
    front = pareto_frontier(config)
    return np.array([bool(np.any(np.isclose(front[:, 0], a) & np.isclose(front[:, 1], b)))
                     for a, b in zip(ua, ub, strict=True)])


def efficiency(config: ItemDivisionConfig, value_a: np.ndarray, value_b: np.ndarray) -> np.ndarray:
    """Joint value as a share of the maximal joint value (0 without a deal)."""
    top = max_joint_value(config)
    joint = np.asarray(value_a, dtype=np.float64) + np.asarray(value_b, dtype=np.float64)
    return joint / top if top > 0 else np.ones_like(joint)


def nash_bargaining_allocation(config: ItemDivisionConfig) -> np.ndarray:
    """Allocation maximising ``u_A·u_B`` (ties: the larger joint value, then the first)."""
    allocs = allocations(config)
    ua, ub = values(config, allocs)
    order = np.lexsort((-(ua + ub), -(ua * ub)))
    return allocs[order[0]]


def spe_plan(config: ItemDivisionConfig) -> tuple[np.ndarray, np.ndarray]:
    """Per round (0-based): A's items in the SPE proposal, and the responder's threshold."""
    allocs = allocations(config)
    ua, ub = values(config, allocs)
    plan = np.zeros((config.horizon, allocs.shape[1]), dtype=np.int64)
    thresholds = np.zeros(config.horizon)
    cont = 0.0  # responder's value of proposing next round (nothing after the last round)
    a_first = config.first_mover == "a"
    for t in range(config.horizon - 1, -1, -1):
        a_proposes = (t % 2 == 0) == a_first
        own, other = (ua, ub) if a_proposes else (ub, ua)
        thresholds[t] = cont
        ok = other >= cont - 1e-9
        best = np.lexsort((-other, np.where(ok, -own, np.inf)))[0]
        plan[t] = allocs[best]
        cont = float(own[best])  # the current proposer is the previous round's responder
    return plan, thresholds


def equilibrium_actions(view: ItemDivisionView) -> np.ndarray:
    """SPE play: propose the plan's allocation; accept iff the offer meets the threshold."""
    cfg: ItemDivisionConfig = view.config
    plan, thresholds = spe_plan(cfg)
    counts = np.asarray(cfg.counts)
    actions: list[dict[str, Any]] = []
    for i, (t, j, code) in enumerate(zip(view.rounds, view.players, view.codes, strict=True)):
        if code == PROPOSE:
            keep = plan[t] if j == 0 else counts - plan[t]
            actions.append({"keep": [int(x) for x in keep]})
        else:
            ua, ub = values(cfg, view.table[i][None, :])
            mine = float(ua[0] if j == 0 else ub[0])
            actions.append({"decision": "accept" if mine >= thresholds[t] - 1e-9 else "reject"})
    return view.validated(actions)  # the canonical action the runner's legality check expects


@functools.lru_cache(maxsize=64)
def _proposal_table(config: ItemDivisionConfig, player: int) -> tuple[np.ndarray, np.ndarray]:
    """Bundles ``player`` may keep, sorted by its value (then the other's, when it sees it,
    else the number of items given away), and those values."""
    bundles = allocations(config)  # the set of bundles is the same for both players
    counts = np.asarray(config.counts)
    own_v, other_v = ((config.values_a, config.values_b) if player == 0
                      else (config.values_b, config.values_a))
    own = bundles @ np.asarray(own_v, dtype=np.float64)
    tie = ((counts - bundles) @ np.asarray(other_v, dtype=np.float64) if not config.private_values
           else (counts - bundles).sum(axis=1).astype(np.float64))
    order = np.lexsort((np.arange(own.size), -tie, own))
    return bundles[order], own[order]


def proposals(config: ItemDivisionConfig, players: np.ndarray,
               demand: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The least demanding bundle worth at least ``demand`` to each proposer, and its value."""
    keep = np.zeros((players.size, len(config.counts)), dtype=np.int64)
    value = np.zeros(players.size)
    for j in (0, 1):
        sel = np.flatnonzero(players == j)
        if sel.size:
            bundles, own = _proposal_table(config, j)
            pos = np.minimum(np.searchsorted(own, demand[sel] - 1e-9), own.size - 1)
            keep[sel], value[sel] = bundles[pos], own[pos]
    return keep, value


def offer_actions(view: OfferView, demand: np.ndarray, accept: np.ndarray) -> np.ndarray:
    """Proposals of the least demanding bundle worth ``demand`` and accept / reject responses."""
    keep, _ = proposals(view.config, view.players, demand)
    return view.validated(
        {"keep": [int(x) for x in keep[i]]} if code == PROPOSE else
        {"decision": "accept" if accept[i] else "reject"} for i, code in enumerate(view.codes))
