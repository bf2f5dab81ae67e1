"""``LLMPolicy`` on the real embedded model (no mocks): p-beauty and dictator through the runner."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import polars as pl
import pytest

import agora
from agora.llm import LlamaCppBackend
from agora.policies import LLMPolicy

pytestmark = pytest.mark.llm


@pytest.fixture(scope="module")
def backend() -> Iterator[LlamaCppBackend]:
    with LlamaCppBackend(n_threads=2, seed=11) as b:
        yield b


def _run(game: str, backend: LlamaCppBackend, seed: int, out: Path | None = None,
         **kwargs: object) -> agora.RunResult:
    policy = LLMPolicy(backend, temperature=float(kwargs.pop("temperature", 0.0)))  # type: ignore[arg-type]
    return agora.run(game, policy=policy, n_instances=2, seed=seed, progress=False, out=out,
                     **kwargs)


def _status_counts(records: pl.DataFrame) -> dict[str, int]:
    return dict(records["parse_status"].value_counts().iter_rows())


def test_p_beauty_actions_valid_counted_and_reproducible(backend: LlamaCppBackend,
                                                         tmp_path: Path) -> None:
    first = _run("p_beauty", backend, seed=3, out=tmp_path / "a", n_players=4, rounds=2)
    rec = first.records
    assert rec.height == 2 * 4 * 2
    assert rec["action"].is_between(0, 100).all()
    assert (rec["action"] == rec["action"].round()).all()  # integer guesses
    counts = _status_counts(rec)
    assert set(counts) <= {"ok", "repaired", "fallback"}
    assert sum(counts.values()) == rec.height
    tele = first.manifest["telemetry"]["policies"]
    llm = tele["llm"]
    assert llm["decisions"] == rec.height
    assert llm["ok"] + llm["repaired"] + llm["fallback"] == rec.height
    assert llm["ok"] == counts.get("ok", 0)
    # every completion is stored, and a JSON answer is what the constraint asked for
    ok = rec.filter(pl.col("parse_status") == "ok")
    assert all(json.loads(t)["guess"] == a for t, a in zip(ok["raw_text"], ok["action"],
                                                           strict=True))
    assert (rec["tokens_in"] > 0).all() and (rec["tokens_out"] > 0).all()
    again = _run("p_beauty", backend, seed=3, n_players=4, rounds=2)
    assert again.records["action"].to_list() == rec["action"].to_list()
    assert again.records["raw_text"].to_list() == rec["raw_text"].to_list()
    # round 2 prompts carry round 1 feedback, so prompts differ by round
    by_round = rec.group_by("round").agg(pl.col("prompt_sha").n_unique())
    assert by_round.height == 2


def test_dictator_give_and_take_actions_are_legal(backend: LlamaCppBackend) -> None:
    give = _run("dictator", backend, seed=5, endowment=10, step=1)
    assert give.records["action"].is_between(0, 10).all()
    take = _run("dictator", backend, seed=5, endowment=10, step=1, variant="take", take_bound=5,
                recipient_endowment=5)
    assert take.records["action"].is_between(-5, 10).all()
    for result in (give, take):
        assert set(_status_counts(result.records)) <= {"ok", "repaired", "fallback"}
    again = _run("dictator", backend, seed=5, endowment=10, step=1)
    assert again.records["action"].to_list() == give.records["action"].to_list()


def test_seeded_sampling_reproduces_at_positive_temperature(backend: LlamaCppBackend) -> None:
    a = _run("p_beauty", backend, seed=9, n_players=3, temperature=1.0)
    b = _run("p_beauty", backend, seed=9, n_players=3, temperature=1.0)
    assert a.records["action"].to_list() == b.records["action"].to_list()


def test_score_mode_records_a_distribution_over_every_legal_action(
        backend: LlamaCppBackend) -> None:
    policy = LLMPolicy(backend, mode="score")
    res = agora.run("p_beauty", policy=policy, n_instances=1, seed=2, progress=False,
                    n_players=3)
    rec = res.records
    assert (rec["parse_status"] == "ok").all()
    for probs, action, mean in zip(rec["action_probs"], rec["action"], rec["action_mean"],
                                   strict=True):
        p = np.asarray(probs)
        assert p.shape == (101,) and np.all(p >= 0)
        assert p.sum() == pytest.approx(1.0, abs=1e-9)
        assert p[int(action)] > 0  # the action was sampled from this distribution
        assert mean == pytest.approx(float(p @ np.arange(101)), rel=1e-9)


def test_score_mode_refuses_continuous_actions(backend: LlamaCppBackend) -> None:
    with pytest.raises(ValueError, match="discrete"):
        agora.run("p_beauty", policy=LLMPolicy(backend, mode="score"), n_instances=1,
                  seed=0, progress=False, n_players=2, integer=False)


@pytest.mark.parametrize("bad", [{"temperature": -1}, {"max_tokens": 1}, {"mode": "dream"},
                                 {"fallback": "guess"}])
def test_bad_settings_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        LLMPolicy(None, **bad)  # type: ignore[arg-type]
