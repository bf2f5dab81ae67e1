"""Packaged human reference of the ring-network game (see PROVENANCE.md)."""
