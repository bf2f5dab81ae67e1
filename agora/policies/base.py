"""The policy interface (defined in the engine, which calls it; re-exported here)."""

from __future__ import annotations

from agora.engine.policy import Policy

__all__ = ["Policy"]
