"""Human data of the dictator game: Forsythe et al. (1994), Engel (2011) (see PROVENANCE.md).

Regenerate with ``python -m games.dictator.data.build``.
"""
