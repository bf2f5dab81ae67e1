"""Run specs (TOML tables and ``experiment.py`` scripts) shared by the CLI and agora.scale."""

from __future__ import annotations

from agora.spec.run_spec import SPEC_KEYS, RunSpec, check_spec_table, load_spec

__all__ = ["SPEC_KEYS", "RunSpec", "check_spec_table", "load_spec"]
