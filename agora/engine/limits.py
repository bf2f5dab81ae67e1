"""Size limits of a run, checked before anything is allocated.

A run holds its state as numpy arrays of about ``instances × players × steps`` cells (guesses,
offers, per-period worker outcomes) and seats ``instances × players`` agents, so a size typed by
mistake (``n_instances = 1e12``) would otherwise end in a ``MemoryError`` or the kernel's OOM
killer. Game configs bound their own size fields with :func:`check_count` and
:func:`check_cells`; the runner bounds the run with :func:`check_run_size`. Every limit is a
plain constant so the README and error messages name the same numbers.
"""

from __future__ import annotations

from typing import Any

MAX_INSTANCES = 100_000_000
"""Most game instances in one run."""
MAX_SEATS = 100_000_000
"""Most agents seated in one run (``n_instances × players``)."""
MAX_PLAYERS = 1_000_000
"""Most players in one game instance (p-beauty ``n_players``, tax ``n_workers``)."""
MAX_ROUNDS = 1_000_000
"""Most rounds, horizon, tax years or worker steps per year of one game."""
MAX_CELLS = 100_000_000
"""Most agent-steps (``instances × players × steps``) one process holds; a sharded run checks
each shard."""


def check_count(owner: str, name: str, value: Any, low: int, high: int) -> int:
    """``value`` if it is an integer in ``[low, high]`` (bools refused), else a one-line
    ValueError."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{owner}: {name} must be an integer >= {low} and <= {high:,}, "
                         f"got {value!r}")
    return value


def check_cells(owner: str, what: str, cells: int, limit: int = MAX_CELLS) -> None:
    """Refuse a product of sizes above ``limit`` (``what`` names the product)."""
    if cells > limit:
        raise ValueError(f"{owner}: {what} is {cells:,}, above the maximum {limit:,}")


def check_run_size(game: str, n_instances: int, n_players: int, max_steps: int,
                   held_instances: int | None = None) -> None:
    """Refuse a run whose seats or held agent-steps exceed :data:`MAX_SEATS` / :data:`MAX_CELLS`.

    Args:
        game: Game name, for the message.
        n_instances: Instances of the whole run.
        n_players: Players per instance.
        max_steps: Steps of one instance (the kernel's ``max_steps()``).
        held_instances: Instances this process plays (a shard's range); all by default.
    """
    check_cells(game, f"the run's seats (n_instances × players = {n_instances:,} × "
                f"{n_players:,})", n_instances * n_players, MAX_SEATS)
    held = n_instances if held_instances is None else held_instances
    check_cells(game, f"the run's agent-steps (instances × players × steps = {held:,} × "
                f"{n_players:,} × {max_steps:,})", held * n_players * max_steps)


def check_kernel_size(kernel_cls: Any, config: Any, n_instances: int,
                      held_instances: int) -> None:
    """:func:`check_run_size` for a kernel class and config, before the run's kernel is built.

    A one-instance kernel (bounded by the config's own limits) tells the players and steps.
    """
    import numpy as np

    probe = kernel_cls(config, 1, np.random.default_rng(0))
    check_run_size(kernel_cls.name, n_instances, probe.n_players, probe.max_steps(),
                   held_instances)
