"""Human data of the trust game: Berg, Dickhaut & McCabe (1995), all 60 pairs (see
PROVENANCE.md).

Regenerate with ``python -m games.trust.data.build``.
"""
