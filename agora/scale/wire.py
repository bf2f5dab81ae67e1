"""Records across Ray's object store as Arrow tables: zero-copy reads in the driver.

A polars frame pickled through Ray is serialised to IPC bytes and copied twice; an Arrow table
travels as out-of-band buffers the driver maps from shared memory. The polars schema travels
with it so categorical columns come back as the same ``Enum`` types, and text columns holding
one value throughout (``run_id``, ``game``) travel as that value, not once per row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl


@dataclass(frozen=True, kw_only=True)
class Wire:
    """A frame in transit: Arrow table, constant text columns and the full polars schema."""

    table: Any
    constants: dict[str, str | None]
    schema: dict[str, pl.DataType]


def to_wire(frame: pl.DataFrame) -> Wire:
    """The frame as an Arrow table, constant text columns lifted out."""
    constants: dict[str, str | None] = {}
    for name, dtype in frame.schema.items():
        col = frame[name]
        if dtype == pl.String and col.len() and (col.null_count() == col.len() or (
                col.null_count() == 0 and bool((col == col[0]).all()))):
            constants[name] = col[0]
    return Wire(table=frame.drop(list(constants)).to_arrow(), constants=constants,
                schema=dict(frame.schema))


def from_wire(wire: Wire) -> pl.DataFrame:
    """The polars frame :func:`to_wire` sent, with its original columns and dtypes."""
    frame = pl.from_arrow(wire.table)
    assert isinstance(frame, pl.DataFrame)
    if wire.constants:
        frame = frame.with_columns(pl.lit(v, dtype=pl.String).alias(k)
                                   for k, v in wire.constants.items())
    frame = frame.select(list(wire.schema))
    return frame.cast(wire.schema) if dict(frame.schema) != wire.schema else frame
