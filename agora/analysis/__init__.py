"""Analysis of agora runs: equilibria, welfare, fitted rationality parameters, human baselines.

Modules (pure typed functions over numpy arrays and polars record tables):

* :mod:`agora.analysis.equilibria`: benchmarks from each game's hooks, plus
  :mod:`~agora.analysis.normal_form` (normal-form Nash equilibria: nashpy for two players,
  pygambit for more; best responses, NashConv) and :mod:`~agora.analysis.bargaining_solutions`
  (Nash bargaining on a finite feasible set). Game-specific closed forms (Rubinstein, Saez)
  live in the games' theory modules.
* :mod:`agora.analysis.welfare`: utilitarian, Nash and Rawlsian welfare, Gini, Atkinson,
  equality × productivity, per-family efficiency and fairness.
* :mod:`agora.analysis.rationality`: level-k, cognitive hierarchy, logit QRE, regret,
  convergence and Fehr-Schmidt fits, each an :class:`~agora.analysis.estimate.Estimate` with a
  bootstrap interval.
* :mod:`agora.analysis.baselines`: the human data games ship (``GameHooks.baseline_package``)
  and :func:`compare`.
* :mod:`agora.analysis.plots`, :mod:`agora.analysis.report`: figures and ``agora report``.
"""

from __future__ import annotations

from agora.analysis.estimate import Estimate

__all__ = ["Estimate"]
