"""The model comparison's contestants and game families (split from
:mod:`experiments.model_comparison`, which plays them and prints the leaderboard).

A contestant is one LLM policy: a model (a name such as ``smollm2-135m``, a ``.gguf`` path, or
with ``--backend vllm|openai`` a Hugging Face id) at a temperature. Contestants of one model
share one backend; every contestant's decisions are recorded under its label (the ``policy``
column) and its backend's model (the ``model`` column). Two scripted references, the game's
equilibrium and uniform random play, play the same instances beside the models; with
``--agents scripted`` they are the only contestants (no model needed).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from experiments._common import ExperimentArgs, make_backend

if TYPE_CHECKING:
    from agora.llm.base import Backend
    from agora.policies.base import Policy

DEFAULT_MODELS = ("smollm2-135m", "gemma3-270m")
"""The two embedded CPU models: SmolLM2-135M-Instruct and the Gemma 3 270M base model."""
FAMILIES = ("p_beauty", "dictator", "ultimatum", "bargaining", "prisoners_dilemma",
            "travelers_dilemma", "trust", "public_goods", "rock_paper_scissors")
"""Game families, each with the human baseline it is scored against where agora packages one
(none for bargaining, the traveler's dilemma, public goods and RPS: distance to equilibrium
only)."""
SCRIPTED = ("scripted: equilibrium", "scripted: uniform random")
"""Labels of the scripted reference contestants (the game's equilibrium, uniform random play)."""


@dataclass(frozen=True, kw_only=True)
class Contestant:
    """One seat kind of the tournament: a model at a temperature (or a scripted reference),
    under a label."""

    label: str
    model: str | None = None
    temperature: float = 0.7
    scripted: bool = False


REFERENCES = tuple(Contestant(label=s, temperature=0.0, scripted=True) for s in SCRIPTED)
"""Scripted references played on the same instances as the models (``--agents scripted``:
they are the only contestants)."""


def contestants(models: list[str], temperatures: list[float], *,
                scripted: bool) -> list[Contestant]:
    """Contestants from ``--models`` and ``--temperatures`` (one for all, or one per model).

    Labels are the model names (a path's file name), with the temperature added where two
    contestants share a model.

    Raises:
        ValueError: no model, a temperature list of the wrong length, or two identical
            contestants.
    """
    if scripted:
        return list(REFERENCES)
    if not models or any(not m for m in models):
        raise ValueError("--models must name at least one model, e.g. smollm2-135m,gemma3-270m")
    if len(temperatures) not in (1, len(models)):
        raise ValueError(f"--temperatures takes one value or one per model ({len(models)}), "
                         f"got {len(temperatures)}")
    temps = temperatures * len(models) if len(temperatures) == 1 else temperatures
    for t in temps:
        if not (math.isfinite(t) and t >= 0):
            raise ValueError(f"--temperatures must be >= 0, got {t}")
    names = [Path(m).name if m.endswith(".gguf") else m for m in models]
    pairs = list(zip(names, temps, strict=True))
    if len(set(pairs)) != len(pairs):
        raise ValueError("contestants must differ in model or temperature")
    out = []
    for (name, t), model in zip(pairs, models, strict=True):
        shared = names.count(name) > 1
        out.append(Contestant(label=f"{name} T={t:g}" if shared else name, model=model,
                              temperature=t))
    return out


class Seats:
    """Builds each contestant's policy; contestants of one model share one backend."""

    def __init__(self, args: ExperimentArgs, max_tokens: int) -> None:
        self.args, self.max_tokens = args, max_tokens
        self._backends: dict[str | None, Backend] = {}

    def backend(self, c: Contestant) -> Backend | None:
        """The contestant's backend (None for scripted stand-ins), created on first use."""
        if c.scripted:
            return None
        if c.model not in self._backends:
            self._backends[c.model] = make_backend(replace(self.args, model=c.model))
        return self._backends[c.model]

    def policy(self, c: Contestant) -> Policy:
        """A fresh policy of the contestant, named by its label."""
        backend = self.backend(c)
        if backend is None:
            from agora.policies import EquilibriumPolicy, RandomPolicy

            made: Any = EquilibriumPolicy() if c.label == SCRIPTED[0] else RandomPolicy()
            made.name = c.label
            return made
        from agora.policies.llm_policy import LLMPolicy

        return LLMPolicy(backend, name=c.label, temperature=c.temperature,
                         max_tokens=self.max_tokens)

    def busy_s(self, c: Contestant) -> float:
        """Seconds the contestant's backend has spent generating so far (0 for scripted)."""
        backend = self.backend(c)
        return 0.0 if backend is None else backend.telemetry.busy_s

    def model_name(self, c: Contestant) -> str:
        """The model that answers for the contestant."""
        backend = self.backend(c)
        return "(scripted)" if backend is None else backend.model_name

    def close(self) -> None:
        """Release every backend."""
        for b in self._backends.values():
            b.close()
        self._backends.clear()


def family(name: str, *, group_size: int, p: float, rps_rounds: int
           ) -> tuple[str, dict[str, Any], str | None]:
    """A family's game, game config and human baseline (packaged name, or None)."""
    from agora.analysis import baselines as bl

    if name == "p_beauty":
        return ("p_beauty", {"n_players": group_size, "p": p, "rounds": 1},
                bl.default_baseline("p_beauty", {"p": p}))
    if name == "dictator":  # MobLab dictators (Mei et al. 2024) split 100
        return "dictator", {"endowment": 100.0}, "moblab2024_dictator"
    if name == "ultimatum":
        return "ultimatum", {"pie": 100.0}, "moblab2024_ultimatum_proposer"
    if name == "prisoners_dilemma":  # Shafir & Tversky's (1992) matrix, one shot
        b = bl.load_baseline("shafir_tversky1992_pd")
        return ("prisoners_dilemma", {k: float(b.params[k]) for k in
                                      ("temptation", "reward", "punishment", "sucker")},
                b.name)
    if name == "trust":
        return "trust", {"endowment": 10.0, "multiplier": 3.0}, "berg1995_trust_sent_no_history"
    if name == "bargaining":  # Rubinstein alternating offers, two rounds (SPE split known)
        return "bargaining", {"pie": 100.0, "horizon": 2}, None
    if name == "travelers_dilemma":  # Basu's claims 2..100, reward/penalty 2, one shot
        return "travelers_dilemma", {"rounds": 1}, None
    if name == "public_goods":  # one-shot linear public good, groups of 4, MPCR 0.4
        return "public_goods", {"rounds": 1, "group_size": 4}, None
    if name == "rock_paper_scissors":
        return ("rock_paper_scissors", {"players": 2, "rounds": rps_rounds,
                                        "matching": "fixed"}, None)
    raise ValueError(f"unknown family {name!r}; known: {', '.join(FAMILIES)}")


def slug(label: str) -> str:
    """A folder name for a contestant label."""
    import re

    return re.sub(r"[^A-Za-z0-9._-]+", "_", label).strip("_")
