"""``LLMPolicy``: agents that decide through a batched, constrained language-model backend.

One ``act`` call turns the whole batch (every agent of every game instance this step) into one
backend ``generate`` call, with each answer constrained to the game's action schema. Answers are
parsed and validated; the few that still fail are re-asked once in a second batched call, then
get the configured fallback, and every decision records how it was obtained (``parse_status``:
``ok``, ``repaired`` or ``fallback``). In ``mode="score"`` the model's probability of every legal
action is computed instead (discrete action sets), the action is sampled from it and the
distribution is stored with the decision.

Every decision records ``prompt_sha``, the SHA-256 of the exact prompt (messages as canonical
JSON) its answer came from; :meth:`LLMPolicy.drain_prompts` hands out each distinct prompt text
once, so a run can store what every agent saw, keyed by that hash.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import numpy as np

from agora.engine.action_spec import ActionSpec
from agora.engine.batch import DecisionBatch, Decisions
from agora.engine.streams import Streams
from agora.policies import llm_prompts
from agora.policies.base import Policy
from agora.policies.parsing import ParseKind, parse_answer

if TYPE_CHECKING:
    from agora.llm.base import Backend


class Mode(StrEnum):
    """How the policy obtains actions."""

    GENERATE = "generate"
    SCORE = "score"


class Fallback(StrEnum):
    """What an agent plays when even the re-asked answer is unusable."""

    RANDOM = "random"
    EQUILIBRIUM = "equilibrium"


@dataclass(frozen=True, kw_only=True)
class LLMPolicyConfig:
    """Settings of an :class:`LLMPolicy` (validated)."""

    mode: Mode = Mode.GENERATE
    temperature: float = 0.0
    max_tokens: int = 16
    reasoning: bool = False
    reasoning_max_tokens: int = 96
    fallback: Fallback = Fallback.RANDOM
    system_prefix: str | None = None
    top_k_stored: int = 5

    def __post_init__(self) -> None:
        object.__setattr__(self, "mode", Mode(self.mode))
        object.__setattr__(self, "fallback", Fallback(self.fallback))
        if not (math.isfinite(self.temperature) and self.temperature >= 0):
            raise ValueError(f"LLMPolicy: temperature must be >= 0, got {self.temperature}")
        if self.max_tokens < 4 or self.reasoning_max_tokens < 1:
            raise ValueError("LLMPolicy: max_tokens must be >= 4 and reasoning_max_tokens >= 1")
        if self.top_k_stored < 1:
            raise ValueError("LLMPolicy: top_k_stored must be >= 1")


class LLMPolicy(Policy):
    """Language-model agents behind one batched, schema-constrained backend call per step."""

    def __init__(self, backend: Backend | None = None, *, name: str = "llm",
                 **settings: Any) -> None:
        self.config = LLMPolicyConfig(**settings)
        self._backend = backend
        self._backend_choice: tuple[str, dict[str, Any]] | None = None
        self._sampling_checked = False
        self.name = name
        self.counts = {"ok": 0, "repaired": 0, "fallback": 0, "decisions": 0}
        self._prompts: dict[str, str] = {}  # sha -> prompt JSON, not yet drained

    @classmethod
    def from_config(cls, *, backend: Backend | str | None = None,
                    backend_options: dict[str, Any] | None = None,
                    **settings: Any) -> LLMPolicy:
        """Build from plain values (TOML): ``backend`` kind plus ``backend_options`` (or a
        built :class:`~agora.llm.base.Backend`).

        ``backend_options`` without ``backend`` are the default backend's, chosen lazily so that
        ``agora run --model`` can still add to them (flags win, the table's other options stay).
        """
        from agora.llm import make_backend
        from agora.llm.registry import DEFAULT_BACKEND

        if backend is None:
            policy = cls(None, **settings)
            if backend_options:
                policy.choose_backend(DEFAULT_BACKEND, **backend_options)
            return policy
        if isinstance(backend, str):
            backend = make_backend(backend, **(backend_options or {}))
        return cls(backend, **settings)

    def choose_backend(self, kind: str, **options: Any) -> None:
        """Build a backend of the registered ``kind`` with ``options`` on first use (how
        ``agora run --backend`` reaches policies built without one)."""
        from agora.llm.registry import BACKENDS

        if self._backend is not None:
            raise ValueError(f"LLMPolicy {self.name!r} already has a backend")
        if self._backend_choice is not None and self._backend_choice[0] == kind:
            options = {**self._backend_choice[1], **options}  # the spec's options, flags win
        BACKENDS.get(kind).check_options(options)
        self._backend_choice = (kind, dict(options))

    @property
    def backend(self) -> Backend:
        """The backend; the chosen (:meth:`choose_backend`) or default one is built on first
        use."""
        if self._backend is None:
            from agora.llm import default_backend, make_backend

            choice = self._backend_choice
            self._backend = make_backend(choice[0], **choice[1]) if choice else default_backend()
        if not self._sampling_checked:  # a temperature the engine cannot honour fails up front
            from agora.llm.types import SamplingParams

            self._backend.check_sampling(SamplingParams(temperature=self.config.temperature))
            self._sampling_checked = True
        return self._backend

    # ------------------------------------------------------------------ acting
    def act(self, batch: DecisionBatch, rng: Streams) -> Decisions:
        from agora.llm.types import Constraint, GenerationRequest, SamplingParams

        rng = Streams.coerce(rng, len(batch))
        requests = list(batch.requests())
        messages = [llm_prompts.build_messages(batch.kernel, r, self.config.system_prefix)
                    for r in requests]
        seeds = rng.integers(0, 2**31 - 1, size=len(requests))
        if self.config.mode is Mode.SCORE:
            return self._act_score(batch, requests, messages, rng)
        cfg = self.config
        if cfg.reasoning:
            thoughts = self.backend.generate([GenerationRequest(
                messages=tuple(llm_prompts.with_reasoning(m)),
                sampling=SamplingParams(temperature=cfg.temperature, seed=int(s),
                                        max_tokens=cfg.reasoning_max_tokens))
                for m, s in zip(messages, seeds, strict=True)])
            messages = [llm_prompts.after_reasoning(m, t.text)
                        for m, t in zip(messages, thoughts, strict=True)]

        constraints: dict[int, Constraint] = {}  # one per distinct spec, not per agent

        def constraint_of(spec: ActionSpec) -> Constraint:
            made = constraints.get(id(spec))
            if made is None:
                made = constraints[id(spec)] = Constraint(json_schema=spec.json_schema())
            return made

        def ask(msgs: list[list[dict[str, str]]], specs: list[ActionSpec],
                seeds_: np.ndarray) -> list[Any]:
            return self.backend.generate([GenerationRequest(
                messages=tuple(m), constraint=constraint_of(s),
                sampling=SamplingParams(temperature=cfg.temperature, seed=int(sd),
                                        max_tokens=_answer_budget(cfg.max_tokens, s)))
                for m, s, sd in zip(msgs, specs, seeds_, strict=True)])

        specs = [r.spec for r in requests]
        completions = ask(messages, specs, seeds)
        parsed = [parse_answer(c.text, s) for c, s in zip(completions, specs, strict=True)]
        status = np.array(["ok" if p.kind is ParseKind.JSON else "repaired" for p in parsed],
                          dtype=object)
        bad = [i for i, p in enumerate(parsed) if p.value is None]
        asked = list(messages)  # the prompt each final answer came from
        if bad:
            for i in bad:
                asked[i] = llm_prompts.repair(messages[i], completions[i].text,
                                              parsed[i].error or "invalid")
            retry = ask([asked[i] for i in bad], [specs[i] for i in bad], seeds[bad] + 1)
            for i, c in zip(bad, retry, strict=True):
                parsed[i] = parse_answer(c.text, specs[i])
                completions[i] = _merge(completions[i], c)
        actions = np.empty(len(requests), dtype=batch.kernel.action_dtype)
        for i, p in enumerate(parsed):
            if p.value is None:
                status[i] = "fallback"
                actions[i] = self._fallback(batch, i, specs[i], rng)
            else:
                actions[i] = p.value
        self._count(status)
        return Decisions(actions=actions, columns={
            "parse_status": status,
            "raw_text": np.array([c.text for c in completions], dtype=object),
            "prompt_sha": self._remember(asked),
            "tokens_in": np.array([c.tokens_in for c in completions]),
            "tokens_out": np.array([c.tokens_out for c in completions]),
            "latency_s": np.array([c.latency_s for c in completions]),
            "backend": np.full(len(requests), self.backend.name, dtype=object),
            "model": np.full(len(requests), self.backend.model_name, dtype=object),
        })

    def _act_score(self, batch: DecisionBatch, requests: list[Any],
                   messages: list[list[dict[str, str]]],
                   rng: Streams) -> Decisions:
        from agora.llm.types import GenerationRequest

        specs = [r.spec for r in requests]
        for s in specs:
            if not s.is_discrete:
                raise ValueError(f"LLMPolicy(mode='score') needs a discrete action set; "
                                 f"{s.name} is continuous")
        grids = [s.choices() for s in specs]
        candidates = [[json.dumps({s.name: _num(v)}) for v in g]
                      for s, g in zip(specs, grids, strict=True)]
        logps = self.backend.score(
            [GenerationRequest(messages=tuple(m)) for m in messages], candidates)
        actions = np.empty(len(requests))
        uniform = rng.random()
        mean, entropy, top, dists = [], [], [], []
        k = self.config.top_k_stored
        for i, (grid, lp) in enumerate(zip(grids, logps, strict=True)):
            lp = np.asarray(lp, dtype=np.float64)
            prob = np.exp(lp - lp.max())
            prob /= prob.sum()
            pick = int(np.searchsorted(np.cumsum(prob), uniform[i] * prob.sum(), side="right"))
            actions[i] = grid[min(pick, grid.size - 1)]
            mean.append(float(prob @ grid))
            entropy.append(float(-(prob[prob > 0] * np.log(prob[prob > 0])).sum()))
            order = np.argsort(-prob)[:k]
            top.append(json.dumps([[_num(grid[j]), round(float(prob[j]), 4)] for j in order]))
            dists.append(prob.tolist())
        n = len(requests)
        self._count(np.full(n, "ok", dtype=object))
        return Decisions(actions=actions, columns={
            "parse_status": np.full(n, "ok", dtype=object),
            "prompt_sha": self._remember(messages),
            "action_mean": np.array(mean), "action_entropy": np.array(entropy),
            "action_top": np.array(top, dtype=object),
            "action_probs": _object_array(dists),
            "backend": np.full(n, self.backend.name, dtype=object),
            "model": np.full(n, self.backend.model_name, dtype=object),
        })

    def _fallback(self, batch: DecisionBatch, i: int, spec: ActionSpec,
                  rng: Streams) -> Any:
        if self.config.fallback is Fallback.EQUILIBRIUM:
            theory: Any = batch.kernel.theory  # type: ignore[attr-defined]
            if batch.kernel.action_dtype is object:  # turn-based: the SPE move of this state
                return theory.equilibrium_actions(batch.subset(np.array([i])).view())[0]
            return float(theory.equilibrium_action(batch.config))
        return spec.sample(rng.subset(np.array([i])), 1)[0]

    def _remember(self, prompts: list[list[dict[str, str]]]) -> np.ndarray:
        """Each prompt's SHA-256; distinct new prompts wait for :meth:`drain_prompts`."""
        shas = np.empty(len(prompts), dtype=object)
        for i, m in enumerate(prompts):
            text = llm_prompts.prompt_json(m)
            shas[i] = sha = llm_prompts.prompt_sha(text)
            self._prompts.setdefault(sha, text)
        return shas

    def drain_prompts(self) -> dict[str, str]:
        """Prompts of the decisions since the last drain: ``{prompt_sha: messages as JSON}``.

        Each prompt is handed out once and then forgotten (the policy keeps no growing
        archive); a prompt that recurs after a drain is handed out again, so a writer keys
        what it stores by the hash. ``sha256(text) == prompt_sha`` for every entry.
        """
        out, self._prompts = self._prompts, {}
        return out

    def _count(self, status: np.ndarray) -> None:
        self.counts["decisions"] += len(status)
        for key in ("ok", "repaired", "fallback"):
            self.counts[key] += int(np.sum(status == key))

    # ------------------------------------------------------------------ bookkeeping
    def describe(self) -> dict[str, Any]:
        """Settings and the concrete backend (kind, model, model-file hash): a run is never
        resumed with another backend or model. Creates the default backend if needed."""
        cfg = self.config
        return {"kind": "llm", **self.backend.describe(), "mode": cfg.mode.value,
                "temperature": cfg.temperature,
                "max_tokens": cfg.max_tokens, "reasoning": cfg.reasoning,
                "fallback": cfg.fallback.value, "system_prefix": cfg.system_prefix}

    def telemetry(self) -> dict[str, Any]:
        """Decision counts, invalid-output rate and the backend's usage totals."""
        n = max(self.counts["decisions"], 1)
        out: dict[str, Any] = {**self.counts,
                               "invalid_rate": (self.counts["repaired"]
                                                + self.counts["fallback"]) / n,
                               "fallback_rate": self.counts["fallback"] / n}
        if self._backend is not None:
            snap = self._backend.telemetry
            out.update({"requests": snap.requests, "tokens_in": snap.tokens_in,
                        "tokens_out": snap.tokens_out, "backend_busy_s": snap.busy_s,
                        "requests_per_s": snap.requests_per_s,
                        "tokens_out_per_s": snap.tokens_out_per_s,
                        "latency_p50_s": snap.latency_p50_s,
                        "latency_p95_s": snap.latency_p95_s})
        return out

    def state_dict(self) -> dict[str, Any]:
        """Counters to carry across a resume."""
        return {"counts": dict(self.counts)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state_dict`."""
        self.counts = dict(state["counts"])

    def close(self) -> None:
        if self._backend is not None:
            self._backend.close()


def _merge(first: Any, second: Any) -> Any:
    """The re-asked completion, with the tokens and latency of both attempts."""
    from dataclasses import replace

    return replace(second, tokens_in=first.tokens_in + second.tokens_in,
                   tokens_out=first.tokens_out + second.tokens_out,
                   latency_s=first.latency_s + second.latency_s)


def _answer_budget(max_tokens: int, spec: ActionSpec) -> int:
    """Tokens an answer may take: ``max_tokens`` for the fields, plus room for a message.

    Structured answers get 4 tokens per field and list item on top, and a message of
    ``message_max`` characters never needs more tokens than characters, so the grammar can
    always close the JSON object before the budget runs out.
    """
    if not getattr(spec, "is_structured", False):
        return max_tokens
    fields = spec.json_schema().get("properties", {})
    items = sum(int(f.get("maxItems", 0)) for f in fields.values() if isinstance(f, dict))
    return max_tokens + int(getattr(spec, "message_max", 0)) + 4 * (len(fields) + items)


def _num(v: float) -> int | float:
    return int(v) if float(v).is_integer() else float(v)


def _object_array(rows: list[list[float]]) -> np.ndarray:
    out = np.empty(len(rows), dtype=object)
    for i, r in enumerate(rows):
        out[i] = r
    return out
