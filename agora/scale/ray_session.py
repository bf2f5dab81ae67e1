"""Importing Ray on demand and joining (or starting) a Ray session for one call."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from types import ModuleType
from typing import Any

RAY_EXTRA = "pip install 'agora-sim[ray]'"
"""The install command named by every error about a missing Ray."""


class RayMissingError(ImportError):
    """A Ray feature was used but Ray is not installed."""


def require_ray(feature: str = "this feature") -> ModuleType:
    """Import Ray, or raise :class:`RayMissingError` naming the extra that installs it."""
    try:
        import ray
    except ImportError as exc:
        raise RayMissingError(f"{feature} runs on Ray, which is not installed; install it with "
                              f"{RAY_EXTRA}") from exc
    return ray


@contextmanager
def ray_session(feature: str, address: str | None,
                init_kwargs: Mapping[str, Any] | None = None) -> Iterator[ModuleType]:
    """Yield the ``ray`` module with a session up; shut down only a session started here.

    A session already initialised in this process (``ray.init`` called by the user or a test)
    is used as it is. Otherwise ``address=None`` starts a local Ray (or joins the one named by
    ``$RAY_ADDRESS``) and an address (``auto``, ``host:6379``, ``ray://host:10001``) joins that
    cluster unchanged.
    """
    ray = require_ray(feature)
    if ray.is_initialized():
        if address is not None:
            raise ValueError(f"Ray is already initialised in this process; {feature} uses that "
                             f"session, so pass address=None (got {address!r})")
        yield ray
        return
    ray.init(address=address, **dict(init_kwargs or {}))
    try:
        yield ray
    finally:
        ray.shutdown()
