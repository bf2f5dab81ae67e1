"""The backend interface every LLM engine implements (embedded, in-process GPU or remote)."""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from types import TracebackType
from typing import Any, ClassVar

import numpy as np

from agora.llm.telemetry import Telemetry, TelemetrySnapshot
from agora.llm.types import Completion, ConstraintKind, GenerationRequest, SamplingParams

ALL_CONSTRAINT_KINDS: frozenset[ConstraintKind] = frozenset(
    ("json_schema", "regex", "choices", "grammar"))
TURN_MARKER = "agora-answer-7f3a"
"""Assistant text whose following token, in a rendered chat, is the template's end-of-turn
token: how every backend finds the token that ``score(terminate=True)`` appends."""


class BackendError(RuntimeError):
    """Base class of backend failures."""


class BackendUnavailableError(BackendError):
    """The backend could not be reached or kept failing after every retry.

    The runner treats this as resumable: it checkpoints and stops so the run can continue later.
    """


class Backend(ABC):
    """Turns batches of chat requests into completions and scores discrete answers.

    Subclasses implement :meth:`_generate` and :meth:`_score`; the public methods validate
    arguments, time the call and feed :attr:`telemetry`.
    """

    name: ClassVar[str] = "backend"
    constraint_kinds: ClassVar[frozenset[ConstraintKind]] = ALL_CONSTRAINT_KINDS
    """Constraint kinds :meth:`generate` enforces (``agora.testing.check_backend`` holds a
    backend to every kind it lists); a request with another kind is refused by
    :meth:`validate`."""
    max_temperature: ClassVar[float | None] = None
    """Highest temperature the engine accepts (``None``: any finite one)."""
    min_positive_temperature: ClassVar[float] = 0.0
    """Smallest non-zero temperature the engine honours as given (vLLM raises smaller ones to
    0.01 without a word, so it refuses them instead)."""

    def __init__(self) -> None:
        self._telemetry = Telemetry()
        self._closed = False

    # ------------------------------------------------------------------ interface
    @property
    @abstractmethod
    def model_name(self) -> str:
        """Name of the model that answers (file stem, HF id or server model id)."""

    @abstractmethod
    def _generate(self, requests: Sequence[GenerationRequest]) -> list[Completion]:
        """Produce one completion per request, in order."""

    @abstractmethod
    def _score(self, prompts: Sequence[GenerationRequest], candidates: Sequence[Sequence[str]],
               terminate: bool) -> list[np.ndarray]:
        """Log-probabilities of each prompt's candidate answers."""

    def describe(self) -> dict[str, Any]:
        """What identifies this backend's answers (hashed into a run's fingerprint): its kind
        and model, plus whatever else changes the logits (subclasses add to it)."""
        return {"backend": self.name, "model": self.model_name}

    def _close(self) -> None:  # noqa: B027 - optional hook
        """Release engine resources."""

    def validate(self, request: GenerationRequest) -> None:
        """Raise ``ValueError``/``NotImplementedError`` if ``request`` cannot be served.

        Lets a server reject one bad request instead of failing the whole batch it joins. The
        default refuses constraint kinds missing from :attr:`constraint_kinds`.
        """
        self.check_sampling(request.sampling)
        kind = request.constraint.kind if request.constraint is not None else None
        if kind is not None and kind not in self.constraint_kinds:
            raise NotImplementedError(f"the {self.name} backend does not enforce {kind} "
                                      "constraints")

    def check_sampling(self, sampling: SamplingParams) -> None:
        """One-line ``ValueError`` for sampling settings this engine would reject or alter.

        Called on every request of :meth:`generate` and by LLM policies before a run starts,
        so a temperature the engine cannot honour fails up front rather than at the first step.
        """
        t = sampling.temperature
        if self.max_temperature is not None and t > self.max_temperature:
            raise ValueError(f"the {self.name} backend takes temperature <= "
                             f"{self.max_temperature:g}, got {t:g}")
        if 0 < t < self.min_positive_temperature:
            raise ValueError(f"the {self.name} backend takes temperature 0 (greedy) or >= "
                             f"{self.min_positive_temperature:g}, got {t:g}")

    # ------------------------------------------------------------------ public API
    def generate(self, requests: Sequence[GenerationRequest]) -> list[Completion]:
        """Complete every request in one backend call; results are in request order."""
        self._check_open()
        reqs = list(requests)
        for r in reqs:
            if not isinstance(r, GenerationRequest):
                raise TypeError(f"generate takes GenerationRequest items, got {type(r)}")
            self.check_sampling(r.sampling)
        if not reqs:
            return []
        t0 = time.perf_counter()
        out = self._generate(reqs)
        if len(out) != len(reqs):
            raise BackendError(f"{self.name} returned {len(out)} completions for {len(reqs)}")
        self._telemetry.record_generate(out, time.perf_counter() - t0)
        return out

    def score(self, prompts: Sequence[GenerationRequest], candidates: Sequence[Sequence[str]],
              *, terminate: bool = True) -> list[np.ndarray]:
        """Log-probability of each candidate answer given its prompt.

        ``out[i][j] = log p(candidates[i][j] | prompts[i])`` under the unconstrained model, summed
        over the candidate's tokens. With ``terminate`` the end-of-turn token is part of the
        answer, so ``"1"`` and ``"10"`` are distinct complete answers rather than prefixes of
        each other. Prompt constraints and sampling are ignored.
        """
        self._check_open()
        ps, cs = list(prompts), [list(c) for c in candidates]
        if len(ps) != len(cs):
            raise ValueError(f"score got {len(ps)} prompts but {len(cs)} candidate lists")
        for i, cands in enumerate(cs):
            if not cands:
                raise ValueError(f"prompt {i} has no candidates")
            if not all(isinstance(c, str) and c for c in cands):
                raise ValueError(f"prompt {i}: candidates must be non-empty str")
            if len(set(cands)) != len(cands):
                raise ValueError(f"prompt {i}: candidates must be distinct")
        if not ps:
            return []
        t0 = time.perf_counter()
        out = self._score(ps, cs, terminate)
        self._telemetry.record_score(len(ps), sum(len(c) for c in cs), time.perf_counter() - t0)
        return out

    @property
    def telemetry(self) -> TelemetrySnapshot:
        """Frozen snapshot of usage so far."""
        return self._telemetry.snapshot()

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._closed

    def close(self) -> None:
        """Release resources; further calls raise. Idempotent."""
        if not self._closed:
            self._closed = True
            self._close()

    def _check_open(self) -> None:
        if self._closed:
            raise BackendError(f"{self.name} backend is closed")

    def __enter__(self) -> Backend:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(model={self.model_name!r})"
