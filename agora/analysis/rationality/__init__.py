"""Deviations from rationality as fitted parameters with bootstrap confidence intervals.

* Distance to equilibrium ``|a − a*|``, share of equilibrium choices and of (weakly) dominated
  choices (p-beauty with p < 1: guesses above ``p·U`` can never be closest).
* Level-k classification (Nagel 1995): with ``m`` the midpoint of the bounds, step ``n``'s
  neighbourhood is ``[m·p^(n+1/4), m·p^(n−1/4)]``; step 0 is capped at ``m``.
* Poisson cognitive hierarchy (Camerer, Ho & Chong 2004): step 0 guesses uniformly on
  ``[L, U]``; step ``k >= 1`` guesses ``x_k = p · Σ_{j<k} f_j x_j / Σ_{j<k} f_j`` (``f`` the
  Poisson(τ) pmf, ``x_0 = m``: the large-group approximation; CHC's Table II uses whole-number
  best responses) plus Gaussian noise truncated to the bounds. By default τ, the noise σ (of
  step 1, shrinking in proportion towards the equilibrium for higher steps) and the share of an
  equilibrium spike maximise the likelihood; ``method="moment"`` is CHC's own estimator, τ
  whose predicted mean equals the data mean. Estimates at a search bound are flagged
  ``at_bound`` with a warning.
* Level-k mixture (Stahl & Wilson 1995; Costa-Gomes & Crawford 2006): same mixture with the
  level-k means ``m·p^k`` and free weights, fitted by EM.
* Logit quantal response (McKelvey & Palfrey 1995): ``P(a) ∝ exp(λ·U(a))``; λ by maximum
  likelihood from observed actions (concave in λ for fixed utilities), from the full action
  distributions that ``LLMPolicy(mode="score")`` records (maximising the expected
  log-likelihood ``Σ_i Σ_a q_i(a) log P_λ(a)``, i.e. minimising KL(q‖P_λ)), or at the logit QRE
  fixed point ``σ = softmax(λ·U(σ))`` of a symmetric game.
* External regret ``R_T = max_a Σ_t u(a, a₋ᵢᵗ) − Σ_t u(aᵢᵗ, a₋ᵢᵗ)`` (Hannan 1957); convergence
  rate ρ from ``log d_t = c + t log ρ`` fitted to the mean distance to equilibrium by round.
* Fehr & Schmidt (1999) inequity aversion, two players:
  ``U_i = x_i − α max(x_j − x_i, 0) − β max(x_i − x_j, 0)``. A dictator gives half iff β > 1/2
  and nothing otherwise, so dictator data identify the share with β >= 1/2; with α fixed and
  logit noise, β and λ are identified from the whole distribution. An ultimatum responder
  accepts a share s < 1/2 iff ``s − α(1 − 2s) >= 0``, i.e. ``s >= α/(1 + 2α)``: α is identified
  from accept/reject decisions (logit acceptance).
* Every estimate carries a percentile bootstrap interval over independent units and ``n``.

Modules, one estimator each (every public name is re-exported here):
:mod:`~agora.analysis.rationality.shares`, :mod:`~agora.analysis.rationality.level_k`,
:mod:`~agora.analysis.rationality.cognitive_hierarchy` (with ``ch_model`` and ``ch_moment``),
:mod:`~agora.analysis.rationality.qre`,
:mod:`~agora.analysis.rationality.regret`, :mod:`~agora.analysis.rationality.fehr_schmidt`.
"""

from __future__ import annotations

from agora.analysis.rationality._common import Rng
from agora.analysis.rationality.ch_model import ch_predicted_mean, ch_step_means, ch_weights
from agora.analysis.rationality.ch_moment import ch_tau_for_mean, fit_ch_moment
from agora.analysis.rationality.cognitive_hierarchy import ch_loglik, fit_cognitive_hierarchy
from agora.analysis.rationality.fehr_schmidt import (
    fehr_schmidt_alpha_from_threshold,
    fehr_schmidt_beta_share,
    fehr_schmidt_utility,
    fit_fehr_schmidt_dictator,
    fit_fehr_schmidt_responder,
)
from agora.analysis.rationality.level_k import (
    LevelKMixture,
    classify_level_k,
    fit_level_k_mixture,
    level_k_shares,
    nagel_intervals,
)
from agora.analysis.rationality.qre import (
    fit_logit_from_probs,
    fit_logit_qre,
    grid_index,
    logit_probs,
    qre_fixed_point,
)
from agora.analysis.rationality.regret import convergence_rate, external_regret, regret_path
from agora.analysis.rationality.shares import (
    distance_to_equilibrium,
    dominated_share,
    equilibrium_share,
)

__all__ = [
    "LevelKMixture", "Rng", "ch_loglik", "ch_predicted_mean", "ch_step_means",
    "ch_tau_for_mean", "ch_weights", "classify_level_k", "convergence_rate",
    "distance_to_equilibrium", "dominated_share", "equilibrium_share", "external_regret",
    "fehr_schmidt_alpha_from_threshold", "fehr_schmidt_beta_share", "fehr_schmidt_utility",
    "fit_ch_moment", "fit_cognitive_hierarchy", "fit_fehr_schmidt_dictator",
    "fit_fehr_schmidt_responder", "fit_level_k_mixture", "fit_logit_from_probs", "fit_logit_qre",
    "grid_index", "level_k_shares", "logit_probs", "nagel_intervals", "qre_fixed_point",
    "regret_path",
]
