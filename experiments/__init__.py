"""Runnable experiment scripts, one question from the literature each.

Every script has a frozen config dataclass at the top and a ``main(argv=None)`` entry point with
the shared flags ``--backend``, ``--model``, ``--n``, ``--out``, ``--seed`` and ``--smoke``
(see :mod:`experiments._common`). Run one with ``python -m experiments.<name>`` from a checkout;
``agora demo`` runs :mod:`experiments.census_tournament`.
"""
