"""The experiment's agents: one LLM backend shared by every policy, created on first use.

The backend is the embedded llama.cpp model unless ``--backend``/``--server`` say otherwise;
with ``--agents scripted`` scripted stand-ins play instead (no model needed).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agora.llm.registry import BACKENDS, DEFAULT_BACKEND
from experiments._cli import ExperimentArgs

if TYPE_CHECKING:
    from agora.llm.base import Backend
    from agora.policies.base import Policy

DEFAULT_REQUANTIZE = "q8_0"
"""The embedded model runs as a cached Q8_0 copy of the bundled Q4_1 file (faster prompts)."""
SMOKE_LABEL = ("SmolLM2-135M (the embedded default) is a smoke-test agent: its numbers exercise "
               "the pipeline and are not a claim about what LLMs do.")


class Agents:
    """Builds the experiment's policies; all LLM policies share one backend.

    With ``agents="scripted"`` every request for an LLM agent returns the scripted stand-in the
    caller names instead (used by tests and dry runs); tables then say so.
    """

    def __init__(self, args: ExperimentArgs) -> None:
        self.args = args
        self._backend: Backend | None = None
        self._policies: list[Policy] = []

    @property
    def is_llm(self) -> bool:
        """Whether agents are language-model agents."""
        return self.args.agents == "llm"

    def backend(self) -> Backend:
        """The shared backend (created on first use)."""
        if self._backend is None:
            self._backend = make_backend(self.args)
        return self._backend

    def label(self) -> str:
        """Who plays, for table rows: the model name or the scripted stand-in."""
        if not self.is_llm:
            return "scripted stand-in"
        return f"LLM ({self.backend().name}: {self.backend().model_name})"

    def caveat(self, *, temperature: float) -> str:
        """A sentence saying who the agents are (and that a tiny model is only a smoke test)."""
        if not self.is_llm:
            return "Agents: scripted stand-ins (--agents scripted), not an LLM."
        text = f"Agents: {self.label()}, temperature {temperature:g}."
        if "135m" in self.backend().model_name.lower():
            text += " " + SMOKE_LABEL
        return text

    def llm(self, *, name: str = "llm", stand_in: Policy | None = None,
            **settings: Any) -> Policy:
        """An LLM policy (or ``stand_in``, default uniform random, with ``--agents scripted``)."""
        if not self.is_llm:
            from agora.policies import RandomPolicy

            return stand_in if stand_in is not None else RandomPolicy()
        from agora.policies.llm_policy import LLMPolicy

        policy = LLMPolicy(self.backend(), name=name, **settings)
        self._policies.append(policy)
        return policy

    def close(self) -> None:
        """Release the backend."""
        if self._backend is not None:
            self._backend.close()
            self._backend = None


def make_backend(args: ExperimentArgs) -> Backend:
    """The backend the flags ask for (the embedded model without any), seeded with ``--seed``.

    The backend and its options come from :data:`agora.llm.registry.BACKENDS`: ``--model``
    sets the backend's model option, ``--server`` its ``base_url``.
    """
    spec = BACKENDS.get(args.backend or ("openai" if args.server else DEFAULT_BACKEND))
    kind = spec.name
    if kind != "llamacpp" and (args.threads is not None or args.requantize is not None):
        raise ValueError("--threads and --requantize apply to the embedded llamacpp backend "
                         "only")
    if args.server and kind != "openai":
        raise ValueError("--server needs --backend openai")
    options: dict[str, Any] = {"seed": args.seed} if "seed" in spec.options else {}
    if args.server:
        options["base_url"] = args.server
    if args.model:
        if spec.model_option is None:
            raise ValueError(f"--model does not apply to the {kind} backend")
        options[spec.model_option] = args.model
    if kind == "llamacpp":
        if args.threads is not None:
            options["n_threads"] = args.threads
        options["requantize"] = args.requantize or DEFAULT_REQUANTIZE
    missing = [k for k in spec.required if k not in options]
    if missing and missing[0] == "base_url":
        raise ValueError(f"--backend {kind} needs --server URL")
    if missing and missing[0] == spec.model_option:
        raise ValueError(f"--backend {kind} needs --model")
    return spec.create(**options)
