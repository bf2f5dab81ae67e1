"""Rock-paper-scissors, repeated: win a, tie 1, loss 0 (Wang, Xu & Zhou 2014); patterned opponents.

Pairs (one fixed partner: roles ``agent`` in slot 0 and ``opponent`` in slot 1) or populations
of N rematched at random every round (every player of role ``agent``). Moves are 0 = rock,
1 = paper, 2 = scissors; feedback after each round. Theory: :mod:`.theory` (the uniform mixed
equilibrium, expected payoff (a + 1)/3, best responses to patterns); human reference:
:mod:`.human` (WXZ2014 summary statistics: lose-stay exceeds win-stay in that subset).

Scripted players (policy kinds of run specs, all prefixed ``rps_``; :data:`POLICIES`):

* every named pattern of :data:`PATTERNS` (name → :class:`~.patterns.Pattern`, with its rule
  and a description): ``rps_constant_rock`` / ``_paper`` / ``_scissors``, ``rps_cycle``
  (R→P→S), ``rps_cycle_reverse``, ``rps_copy`` (copies the partner's last move),
  ``rps_beat_last`` (beats it), ``rps_lose_last``, ``rps_biased_rock`` / ``_paper`` /
  ``_scissors`` (1/2 on that move, 1/4 on the others), ``rps_period2`` .. ``rps_period5`` and
  ``rps_uniform`` (the equilibrium);
* parametrised families: ``rps_constant(move=...)``, ``rps_sequence(moves="RRPS")``,
  ``rps_react(shift=0|1|2, first=...)``, ``rps_biased(probs=(p_r, p_p, p_s))``;
* ``rps_best_responder``: reads only the history, predicts the partner's next move with the
  best-fitting pattern family and best-responds (:mod:`.learner`).

Seating an LLM agent against a pattern (pairs: slot 0 is the agent, slot 1 the opponent)::

    import agora
    from agora.engine.by_role import ByRolePolicy
    from games.rock_paper_scissors import PATTERNS, POLICIES

    for name in PATTERNS:                     # every named pattern, or a family:
        opponent = POLICIES[name]()           # POLICIES["rps_sequence"](moves="RRPS")
        policy = ByRolePolicy(agent=llm_policy, opponent=opponent)
        result = agora.run("rock_paper_scissors", policy=policy, n_instances=10, seed=1,
                           rounds=30)         # players = 2: slot 0 agent, slot 1 opponent

``llm_policy`` is any policy, e.g. ``agora.policies.registry.make_policy("llm", ...)``; the
agent's rows are ``role == "agent"`` in the records. In a population (``players > 2``,
random matching) every player is an ``agent``: seat a mixture by shares instead, e.g.
``policy=[(llm_policy, 0.5), (POLICIES["rps_cycle"](), 0.5)]``.

or in a TOML run spec::

    game = "rock_paper_scissors"
    [config]
    rounds = 30
    [[policies]]
    kind = "by_role"
    agent = { kind = "llm" }
    opponent = { kind = "rps_biased", probs = [0.5, 0.25, 0.25] }

Every scripted player records the distribution it played (``mixed_0..2``), so ``agora report``
scores the agent's moves against it (exploitation by round, rounds needed to beat it).
"""

from __future__ import annotations

from games.rock_paper_scissors.config import Matching, RPSConfig
from games.rock_paper_scissors.env import RPSKernel, RPSObservation, RPSView
from games.rock_paper_scissors.patterns import PATTERNS, Pattern
from games.rock_paper_scissors.policies import POLICIES, BestResponder, PatternPolicy

KERNELS = (RPSKernel,)

__all__ = ["KERNELS", "PATTERNS", "POLICIES", "BestResponder", "Matching", "Pattern",
           "PatternPolicy", "RPSConfig", "RPSKernel", "RPSObservation", "RPSView"]
