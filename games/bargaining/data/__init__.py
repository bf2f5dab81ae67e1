"""Human data of the ultimatum game: Forsythe et al. (1994), Oosterbeek et al. (2004), MobLab
strategy-method decisions (Mei et al. 2024) (see PROVENANCE.md).

Regenerate with ``python -m games.bargaining.data.build``.
"""
