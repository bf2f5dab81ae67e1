"""Distance to equilibrium and shares of equilibrium and dominated choices.

* Distance to equilibrium ``|a − a*|``, share of equilibrium choices and of (weakly) dominated
  choices (p-beauty with p < 1: guesses above ``p·U`` can never be closest).
"""

from __future__ import annotations

import numpy as np

from agora.analysis.estimate import DEFAULT_BOOT, Estimate
from agora.analysis.rationality._common import Rng, _share


def distance_to_equilibrium(actions: np.ndarray, equilibrium: float | np.ndarray) -> np.ndarray:
    """Absolute distance of each action to the nearest equilibrium action."""
    a = np.asarray(actions, dtype=np.float64)
    eq = np.atleast_1d(np.asarray(equilibrium, dtype=np.float64))
    return np.abs(a[..., None] - eq).min(axis=-1)


def equilibrium_share(actions: np.ndarray, equilibrium: float | np.ndarray, *,
                      tol: float = 1e-9, n_boot: int = DEFAULT_BOOT, rng: Rng = None) -> Estimate:
    """Share of actions within ``tol`` of an equilibrium action."""
    hit = (distance_to_equilibrium(actions, equilibrium) <= tol).astype(np.float64)
    return _share(hit, "equilibrium_share", n_boot, rng)


def dominated_share(actions: np.ndarray, *, above: float | None = None,
                    below: float | None = None, n_boot: int = DEFAULT_BOOT,
                    rng: Rng = None) -> Estimate:
    """Share of actions strictly above ``above`` or strictly below ``below``."""
    a = np.asarray(actions, dtype=np.float64)
    hit = np.zeros(a.shape, dtype=bool)
    if above is not None:
        hit |= a > above + 1e-9
    if below is not None:
        hit |= a < below - 1e-9
    return _share(hit.astype(np.float64), "dominated_share", n_boot, rng)
