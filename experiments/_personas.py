"""Census personas of the experiments: adult populations and disjoint blocks of seats."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

if TYPE_CHECKING:
    from agora.engine.runner import Personas
    from populations import Synthesis

ADULTS: dict[str, Any] = {"age": (18, 120)}
"""Population filter: economic games are played by adults."""
SUBGROUP_FIELDS: tuple[str, ...] = ("age_band", "education_level", "race_group", "income_bracket")
"""Persona categories joined into records beside the population runs' columns (subgroups)."""

def adult_population(n: int, seed: int) -> Synthesis:
    """``n`` census personas aged 18+ drawn from the shipped ACS microdata."""
    from populations import draw_population

    return draw_population(n, seed=seed, filters=ADULTS)


def persona_attributes(personas: pl.DataFrame) -> pl.DataFrame:
    """The persona columns joined into records (as population runs do)."""
    from agora.engine.population_run import PERSONA_RECORD_COLUMNS

    wanted = dict.fromkeys((*PERSONA_RECORD_COLUMNS, *SUBGROUP_FIELDS))
    return personas.select(["persona_id", *[c for c in wanted if c in personas.columns]])


class PersonaPool:
    """Hands out disjoint, shuffled blocks of one persona table (a between-subjects design).

    Persona ids stay those of the table, so records of different runs join the same personas.
    """

    def __init__(self, personas: pl.DataFrame, rng: np.random.Generator) -> None:
        from populations import persona_texts

        self.personas = personas
        self.texts = persona_texts(personas)
        self.attributes = persona_attributes(personas)
        self._order = rng.permutation(personas.height)
        self._next = 0

    @classmethod
    def adults(cls, n: int, seed: int) -> PersonaPool:
        """A pool of ``n`` adult census personas."""
        return cls(adult_population(n, seed).personas, np.random.default_rng(seed))

    @property
    def left(self) -> int:
        """Personas not yet seated."""
        return self._order.size - self._next

    def seat(self, n_instances: int, n_players: int) -> Personas:
        """The next ``n_instances × n_players`` personas, seated in groups."""
        from agora.engine.runner import Personas

        need = n_instances * n_players
        if need > self.left:
            raise ValueError(f"{need} seats need {need} more personas; {self.left} left")
        ids = self._order[self._next:self._next + need].reshape(n_instances, n_players)
        self._next += need
        return Personas(ids=ids, texts=self.texts, table=self.attributes)
