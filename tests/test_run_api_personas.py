"""``agora.run(..., personas=frame)``: a personas frame is seated (issue 14, item 6)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

import agora
import populations
from agora.policies.scripted import RandomPolicy


@pytest.fixture(scope="module")
def frame() -> pl.DataFrame:
    return populations.synthesize(20, seed=3)


def test_personas_frame_is_seated_in_row_order(frame: pl.DataFrame) -> None:
    result = agora.run("p_beauty", policy=RandomPolicy(), personas=frame, progress=False)
    rec = result.records
    assert result.manifest["n_instances"] == 2 and rec.height == 20
    seats = rec.select("instance", "agent", "persona_id").sort("instance", "agent")
    assert seats["persona_id"].to_list() == [10 * (i // 10) + int(a.split("_")[1])
                                             for i, a in enumerate(seats["agent"])]
    joined = rec.sort("persona_id").select("persona_id", "age", "state")
    expected = frame.sort("persona_id").select("persona_id", "age", "state")
    assert joined.equals(expected.with_columns(pl.col("persona_id").cast(pl.Int64)))


def test_personas_frame_texts_reach_the_policy(frame: pl.DataFrame) -> None:
    seen: list[tuple[int | None, str | None]] = []

    class Recording(RandomPolicy):
        def act(self, batch, rng):  # type: ignore[no-untyped-def]
            seen.extend((r.persona_id, r.persona_text) for r in batch.requests())
            return super().act(batch, rng)

    agora.run("dictator", policy=Recording(), personas=frame.head(4), progress=False)
    texts = populations.persona_texts(frame.head(4))
    assert seen and all(text == texts[pid] for pid, text in seen if pid is not None)


@pytest.mark.parametrize(("rows", "n_instances", "message"), [
    (20, 1, r"personas: 20 rows for 1 instance\(s\) × 10 players = 10 seats"),
    (15, None, "personas: 15 rows cannot fill groups of 10 p_beauty players"),
])
def test_personas_frame_that_does_not_fit(frame: pl.DataFrame, rows: int,
                                          n_instances: int | None, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        agora.run("p_beauty", policy=RandomPolicy(), personas=frame.head(rows),
                  n_instances=n_instances, progress=False)


def test_personas_of_another_type_named(frame: pl.DataFrame) -> None:
    with pytest.raises(TypeError, match=r"personas must be a polars DataFrame .* got list"):
        agora.run("p_beauty", policy=RandomPolicy(), personas=[1, 2], progress=False)
    bad = frame.with_columns(pl.lit(7).alias("persona_id"))
    with pytest.raises(ValueError, match="persona_id must hold distinct integers"):
        agora.run("p_beauty", policy=RandomPolicy(), personas=bad, progress=False)
    with pytest.raises(ValueError, match="persona_texts needs columns"):
        agora.run("p_beauty", policy=RandomPolicy(), personas=frame.drop("age"),
                  progress=False)


def test_personas_object_still_accepted() -> None:
    ids = np.arange(4).reshape(2, 2)
    rec = agora.run("dictator", policy=RandomPolicy(), n_instances=2, progress=False,
                    personas=agora.Personas(ids=ids, texts=["a", "b", "c", "d"])).records
    assert sorted(rec["persona_id"].to_list()) == [0, 2]
