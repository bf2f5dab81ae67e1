"""The batched runner: M game instances in lockstep, one policy call per step per policy.

At every step the runner asks the kernel which agents must decide, builds one columnar
:class:`DecisionBatch` for all of them, splits it by the policy each agent was assigned (mixtures
such as 20 % Nash bots and 80 % LLM agents), calls each policy's ``act`` exactly once, checks
every action against the game's action spec, steps all instances and appends the step's records.
With a run directory it writes each completed step as a Parquet part plus a checkpoint (JSON and
``.npz``, checksummed; see :mod:`agora.engine.run_store`), so a killed run restarted with
``resume=True`` finishes with the same table as an uninterrupted one.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from tqdm.auto import tqdm

from agora.engine.batch import DecisionBatch
from agora.engine.by_role import ByRolePolicy, act_by_owner
from agora.engine.kernel import GameConfig, GameKernel
from agora.engine.limits import MAX_INSTANCES, check_kernel_size
from agora.engine.policy import Policy
from agora.engine.prompt_log import drain_policy_prompts
from agora.engine.records import (
    CodeBook,
    RunResult,
    git_commit,
    order_columns,
    package_versions,
    step_frame,
    structured_columns,
)
from agora.engine.registry import REGISTRY, make_config
from agora.engine.run_store import RunStore
from agora.engine.streams import STREAMS_VERSION, Streams, key_of

PolicySpec = Policy | Sequence[tuple[Policy, float]] | Mapping[str, Policy]
"""One policy, a mixture ``[(policy, share), ...]`` seated by exact shares over the seats, or
``{role: policy}`` seated by role (a :class:`~agora.engine.by_role.ByRolePolicy`)."""
SHARE_TOLERANCE = 1e-6
"""How far policy shares may sum from 1 (rounding of e.g. 1/3 + 1/3 + 1/3)."""


class IllegalActionError(ValueError):
    """A policy returned an action outside the game's action spec."""


@dataclass(frozen=True, kw_only=True)
class Personas:
    """Personas seated in the game: ids per (instance, player) and their prompt texts.

    Attributes:
        ids: ``(n_instances, n_players)`` persona ids (``-1`` for an agent without persona).
        texts: Prompt text of every persona id (indexable by id).
        table: Optional persona attributes (must have ``persona_id``) joined into the records.
    """

    ids: np.ndarray
    texts: Sequence[str]
    table: pl.DataFrame | None = None


def _normalise_policies(policy: PolicySpec) -> tuple[list[Policy], np.ndarray]:
    if isinstance(policy, Mapping):
        policy = ByRolePolicy(**policy)
    if isinstance(policy, Policy):
        return [policy], np.array([1.0])
    pairs = list(policy)
    if not pairs:
        raise ValueError("at least one policy is needed")
    pols, shares = [], []
    for item in pairs:
        if not (isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], Policy)):
            raise TypeError("policies must be a Policy or a sequence of (Policy, share) pairs")
        pols.append(item[0])
        shares.append(float(item[1]))
    s = np.asarray(shares)
    if np.any(~np.isfinite(s)) or np.any(s < 0) or s.sum() <= 0:
        raise ValueError(f"policy shares must be non-negative and sum to > 0, got {shares}")
    check_share_sum(shares)
    return pols, s / s.sum()


def check_share_sum(shares: Sequence[float]) -> None:
    """Shares are fractions of the seats: they must sum to 1 and are never renormalised."""
    if abs(sum(shares) - 1.0) > SHARE_TOLERANCE:
        raise ValueError(f"policy shares must sum to 1 (they are fractions of the seats), got "
                         f"{' + '.join(f'{x:g}' for x in shares)} = {sum(shares):g}")


def assign_exact(shares: np.ndarray, shape: tuple[int, int],
                 rng: np.random.Generator) -> np.ndarray:
    """Policy index per seat with exact counts (largest remainder), shuffled over seats."""
    total = shape[0] * shape[1]
    raw = shares * total
    counts = np.floor(raw).astype(np.int64)
    short = total - counts.sum()
    counts[np.argsort(-(raw - counts), kind="stable")[:short]] += 1
    seats = np.repeat(np.arange(shares.size), counts)
    rng.shuffle(seats)
    return seats.reshape(shape)


class Runner:
    """Steps ``n_instances`` copies of a game in lockstep with batched policies.

    Randomness is keyed, never sequential: the kernel draws from one stream per instance and
    every decision from one stream per (instance, player) and step (see
    :mod:`agora.engine.streams`), and policies are seated over the whole population. So
    ``instance_range=(a, b)`` plays instances ``a .. b-1`` of the run with exactly the records
    the full run has for them (the runner behind sharded populations).
    """

    def __init__(self, game: str, config: GameConfig | dict[str, Any] | None = None, *,
                 policy: PolicySpec, n_instances: int = 1, seed: int = 0,
                 out: str | Path | None = None, resume: bool = False, progress: bool = True,
                 personas: Personas | None = None, run_id: str | None = None,
                 instance_range: tuple[int, int] | None = None) -> None:
        entry = REGISTRY.get(game)
        if config is None:
            config = {}
        self.config = make_config(game, **config) if isinstance(config, dict) else config
        if not isinstance(self.config, entry.kernel_cls.config_cls):
            raise TypeError(f"{game} needs a {entry.kernel_cls.config_cls.__name__}")
        if isinstance(n_instances, bool) or not isinstance(n_instances, int) \
                or not 1 <= n_instances <= MAX_INSTANCES:
            raise ValueError(f"n_instances must be an integer >= 1 and <= {MAX_INSTANCES:,}, "
                             f"got {n_instances!r}")
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
        self.game, self.seed, self.n_instances = game, seed, n_instances
        self.instance_range = _check_range(instance_range, n_instances)
        start, stop = self.instance_range
        check_kernel_size(entry.kernel_cls, self.config, n_instances, stop - start)
        self.policies, self.shares = _normalise_policies(policy)
        self.policy_names = _unique_names([p.name for p in self.policies])
        self.out = Path(out) if out is not None else None
        self.resume, self.progress = resume, progress
        self.personas = personas
        self._run_fp: str | None = None
        kernel_ss, assign_ss, decide_ss = np.random.SeedSequence(seed).spawn(3)
        self._decide_ss = decide_ss
        self.kernel: GameKernel = entry.kernel_cls(
            self.config, stop - start,
            Streams(key_of(kernel_ss), np.arange(start, stop, dtype=np.uint64)))
        shape = (n_instances, self.kernel.n_players)
        self.assignment = assign_exact(self.shares, shape,
                                       np.random.default_rng(assign_ss))[start:stop]
        if personas is not None and personas.ids.shape != shape:
            raise ValueError(f"personas.ids must have shape {shape}, got {personas.ids.shape}")
        self.persona_ids = (personas.ids[start:stop].astype(np.int64) if personas is not None
                            else np.full((stop - start, shape[1]), -1, dtype=np.int64))
        self.codebook = CodeBook(agents=tuple(self.kernel.agent_names()),
                                 roles=tuple(self.kernel.roles),
                                 policies=tuple(self.policy_names))
        self.run_id = run_id or f"{game}-{self.run_fingerprint()[:12]}"

    # ------------------------------------------------------------------ identity
    def describe(self) -> dict[str, Any]:
        """What determines the run's records (hashed into the run fingerprint)."""
        return {
            "game": self.game, "config": self.config.to_dict(), "n_instances": self.n_instances,
            "seed": self.seed, "random_streams": STREAMS_VERSION,
            "policies": [{"name": n, "share": float(s), **p.describe()}
                         for n, p, s in zip(self.policy_names, self.policies, self.shares,
                                            strict=True)],
            "personas": None if self.personas is None else hashlib.sha256(
                self.personas.ids.astype(np.int64).tobytes()).hexdigest(),
        }

    @property
    def partial(self) -> bool:
        """Whether this runner plays only part of the run's instances."""
        return self.instance_range != (0, self.n_instances)

    def run_fingerprint(self) -> str:
        """Stable hash of :meth:`describe`: the same for the whole run and each of its parts.

        Computed once: checkpoints ask for it every step, and it hashes every persona id.
        """
        if self._run_fp is None:
            blob = json.dumps(self.describe(), sort_keys=True, default=str)
            self._run_fp = hashlib.sha256(blob.encode()).hexdigest()
        return self._run_fp

    def fingerprint(self) -> str:
        """Identity of what this runner plays (the run, and its instance range if partial)."""
        if not self.partial:
            return self.run_fingerprint()
        blob = json.dumps({"run": self.run_fingerprint(),
                           "instance_range": list(self.instance_range)})
        return hashlib.sha256(blob.encode()).hexdigest()

    def decision_streams(self, step: int, instances: np.ndarray,
                         players: np.ndarray) -> Streams:
        """Random streams of the decisions ``(instances, players)`` at ``step``."""
        global_instances = instances.astype(np.uint64) + np.uint64(self.instance_range[0])
        rows = global_instances * np.uint64(self.kernel.n_players) + players.astype(np.uint64)
        return Streams(key_of(self._decide_ss, step), rows)

    # ------------------------------------------------------------------ one step
    def _act(self, batch: DecisionBatch) -> tuple[np.ndarray, dict[str, Any]]:
        owner = self.assignment[batch.instances, batch.players]
        streams = self.decision_streams(batch.step, batch.instances, batch.players)
        out = act_by_owner(batch, streams, owner, self.policies, names=self.policy_names,
                           check=self._check_legal)
        return out.actions, out.columns

    def _check_legal(self, batch: DecisionBatch, actions: np.ndarray, p: int) -> None:
        codes = batch.codes
        for c in np.unique(codes):
            sel = codes == c
            spec = batch.spec_of_code(int(c))
            bad = ~spec.legal_mask(actions[sel])
            if bad.any():
                value = actions[sel][bad][0]
                player = int(batch.players[sel][bad][0])
                raise IllegalActionError(
                    f"policy {self.policy_names[p]!r} chose {value!r} for {spec.name}"
                    f" of player {player}, outside the game's action spec")

    def _step(self, step: int, timing: dict[str, float]) -> pl.DataFrame:
        t0 = time.perf_counter()
        k = self.kernel
        inst, players = k.pending()
        batch = DecisionBatch(
            kernel=k, instances=inst, players=players, rounds=k.round[inst].copy(),
            roles=k.role_index(inst, players), persona_ids=self.persona_ids[inst, players],
            persona_texts=None if self.personas is None else self.personas.texts, step=step,
            spec_codes=k.spec_codes(inst, players) if k.action_dtype is object
            or type(k).spec_codes is not GameKernel.spec_codes else None)  # state-dependent specs
        t1 = time.perf_counter()
        actions, extra = self._act(batch)
        t2 = time.perf_counter()
        outcome = k.step(inst, players, actions)
        t3 = time.perf_counter()
        columns = {**outcome.columns, **{
            n: pl.Series(n, c.tolist()) if c.dtype == object else c for n, c in extra.items()}}
        if actions.dtype == object:
            actions, structured = structured_columns(batch, actions)
            columns.update(structured)
        frame = step_frame(
            step=step, instances=inst + self.instance_range[0], players=players,
            rounds=batch.rounds, roles=batch.roles,
            policy_codes=self.assignment[inst, players], persona_ids=batch.persona_ids,
            actions=actions, rewards=outcome.rewards, columns=columns)
        t4 = time.perf_counter()
        timing["engine_s"] += (t1 - t0) + (t3 - t2)
        timing["policy_s"] += t2 - t1
        timing["records_s"] += t4 - t3
        return frame

    # ------------------------------------------------------------------ the run
    def run(self) -> RunResult:
        """Play every instance to the end and return the records."""
        start = time.perf_counter()
        timing = {"engine_s": 0.0, "policy_s": 0.0, "records_s": 0.0, "io_s": 0.0}
        frames: list[pl.DataFrame] = []
        step, elapsed_before = 0, 0.0
        store = None if self.out is None else RunStore(self.out, self.fingerprint(), self.resume)
        if store is not None:
            done = store.prepare(lambda: self._manifest("running", {}))
            if done is not None:
                return done
            if self.resume:
                step, elapsed_before, frames = store.restore(self.kernel, self.policies,
                                                             self.policy_names)
        total = self.kernel.max_steps()
        bar = tqdm(total=total, initial=step, unit="step", desc=self.game,
                   disable=not self.progress, leave=False)
        try:
            while not self.kernel.done.all():
                if step >= total:
                    raise RuntimeError(f"{self.game}: kernel exceeded max_steps ({total})")
                frame = self._step(step, timing)
                frames.append(frame)
                prompts = drain_policy_prompts(self.policies)  # drained even without a log
                step += 1
                if store is not None:
                    t0 = time.perf_counter()
                    store.persist(step, frame, prompts, self.kernel.state_dict(),
                                  [_state(p) for p in self.policies],
                                  elapsed_before + t0 - start)
                    timing["io_s"] += time.perf_counter() - t0
                bar.update(1)
        finally:
            bar.close()
        records = self._finalise(frames)
        wall = elapsed_before + time.perf_counter() - start
        telemetry = {**timing, "wall_s": wall, "decisions": records.height,
                     "decisions_per_s": records.height / wall if wall > 0 else None,
                     "steps": step}
        for p in self.policies:
            stats = getattr(p, "telemetry", None)
            if callable(stats):
                telemetry.setdefault("policies", {})[p.name] = stats()
        manifest = self._manifest("complete", telemetry)
        if store is not None:
            manifest = store.finish(records, manifest)
        return RunResult(records=records, manifest=manifest, out=self.out, telemetry=telemetry)

    def _finalise(self, frames: list[pl.DataFrame]) -> pl.DataFrame:
        records = pl.concat(frames, how="diagonal_relaxed") if frames else pl.DataFrame()
        records = self.codebook.decode(records).with_columns(
            pl.lit(self.run_id).alias("run_id"), pl.lit(self.game).alias("game"))
        if self.personas is not None and self.personas.table is not None:
            table = self.personas.table
            records = records.join(table, on="persona_id", how="left", suffix="_persona")
        return order_columns(records)

    def _manifest(self, status: str, telemetry: dict[str, Any]) -> dict[str, Any]:
        part = ({"instance_range": list(self.instance_range),
                 "run_fingerprint": self.run_fingerprint()} if self.partial else {})
        return {"run_id": self.run_id, "status": status, "fingerprint": self.fingerprint(),
                **self.describe(), **part, "versions": package_versions(),
                "git_commit": git_commit(), "telemetry": telemetry}


def _check_range(value: tuple[int, int] | None, n_instances: int) -> tuple[int, int]:
    if value is None:
        return (0, n_instances)
    try:
        start, stop = (int(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(f"instance_range must be a (start, stop) pair, got {value!r}") from None
    if not 0 <= start < stop <= n_instances:
        raise ValueError(f"instance_range must satisfy 0 <= start < stop <= n_instances "
                         f"({n_instances}), got {value!r}")
    return (start, stop)


def _state(policy: Policy) -> dict[str, Any] | None:
    getter = getattr(policy, "state_dict", None)
    return getter() if callable(getter) else None


def _unique_names(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        out.append(n if seen[n] == 1 else f"{n}#{seen[n]}")
    return out
