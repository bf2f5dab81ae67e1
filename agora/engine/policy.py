"""The policy interface every decision maker implements, scripted or LLM.

It lives in the engine, which calls it; :mod:`agora.policies` implements it."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from agora.engine.batch import DecisionBatch, Decisions
from agora.engine.streams import Streams


class Policy(ABC):
    """Maps a batch of decision requests to legal actions.

    ``act`` is called exactly once per runner step with every decision this policy owns, across
    every game instance; implementations should vectorise over the batch.

    ``rng`` holds one random stream per decision of the batch (:class:`Streams`, keyed by the
    run's seed, the step and the decision's instance and player). Its draws follow numpy's
    ``Generator`` (``rng.random()``, ``rng.normal(0, 1, len(batch))``, ``rng.choice(k, p=p)``)
    with one value per decision; for a sub-batch use ``rng.subset(index)`` alongside
    ``batch.subset(index)``. A decision's numbers never depend on the rest of the batch, so a
    run is reproducible from its seed, resumable, and the same whether sharded or not.
    """

    name: str = "policy"

    @abstractmethod
    def act(self, batch: DecisionBatch, rng: Streams) -> Decisions:
        """Return one legal action per decision of ``batch``."""

    def describe(self) -> dict[str, Any]:
        """JSON-able description for manifests (kind and parameters)."""
        return {"kind": type(self).__name__}

    def close(self) -> None:  # noqa: B027 - optional hook, default does nothing
        """Release resources (servers, model handles)."""
