"""Runner checks: seed determinism of the records and a smoke run to completion."""

from __future__ import annotations

from typing import Any

from agora.testing._play import _check


def _records(name: str, config: dict[str, Any], seed: int) -> Any:
    from agora.engine.runner import Runner
    from agora.policies.scripted import RandomPolicy

    return Runner(name, dict(config), policy=RandomPolicy(), n_instances=16, seed=seed,
                  progress=False).run().records


def check_seed_determinism(name: str, **config: Any) -> None:
    """Same seed, identical records; another seed, different records."""
    from polars.testing import assert_frame_equal

    label = f"{name} {config}"
    first, again, other = (_records(name, config, s) for s in (21, 21, 22))
    try:
        assert_frame_equal(first, again)
    except AssertionError as exc:
        raise AssertionError(f"{label}: same seed gave different records: {exc}") from None
    _check(not first.select("action").equals(other.select("action")),
           f"{label}: seeds 21 and 22 gave identical actions")


BASE_COLUMNS = ("run_id", "game", "instance", "round", "step", "agent", "role", "policy",
                "persona_id", "action", "reward")


def check_smoke_run(name: str, **config: Any) -> None:
    """A runner smoke run finishes with well-formed records."""
    from agora.engine.runner import Runner
    from agora.policies.scripted import RandomPolicy

    label = f"{name} {config}"
    runner = Runner(name, dict(config), policy=RandomPolicy(), n_instances=8, seed=0,
                    progress=False)
    result = runner.run()
    rec = result.records
    _check(runner.kernel.done.all(), f"{label}: runner stopped before the games ended")
    _check(rec.height > 0, f"{label}: no records")
    _check(tuple(rec.columns[:len(BASE_COLUMNS)]) == BASE_COLUMNS,
           f"{label}: records start with {rec.columns[:len(BASE_COLUMNS)]}, not {BASE_COLUMNS}")
    for col in BASE_COLUMNS:
        if col != "persona_id":
            _check(rec[col].null_count() == 0, f"{label}: nulls in record column {col}")
    _check(rec["game"].unique().to_list() == [name], f"{label}: wrong game column")
    _check(rec.select("instance", "step", "agent").is_unique().all(),
           f"{label}: an agent decided twice in one step")
    _check(set(rec["instance"].unique().to_list()) == set(range(8)),
           f"{label}: some instance never decided")
    steps = result.telemetry["steps"]
    _check(steps == rec["step"].max() + 1, f"{label}: {steps} steps but records end earlier")
    _check(steps <= runner.kernel.max_steps(), f"{label}: more steps than max_steps()")
