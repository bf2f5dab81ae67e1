"""Human data of the dictator game: Forsythe et al. (1994), Engel (2011), MobLab (Mei et al. 2024)
(see PROVENANCE.md).

Regenerate with ``python -m games.dictator.data.build``.
"""
