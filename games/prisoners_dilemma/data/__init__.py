"""Human data of the prisoner's dilemma: Shafir & Tversky (1992), Mengel (2018) as transcribed,
Dal Bó & Fréchette (2011) individual decisions (see PROVENANCE.md).

Regenerate with ``python -m games.prisoners_dilemma.data.build``.
"""
