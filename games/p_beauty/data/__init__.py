"""Nagel (1995) human data of the p-beauty contest (see PROVENANCE.md).

Regenerate with ``python -m games.p_beauty.data.build``.
"""
