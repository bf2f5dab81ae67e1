"""Scripted players of the trust game, shipped with it as policy kind ``trust_reciprocator``:
they read the decision view (what the player knows), never the kernel."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from agora.engine.batch import DecisionBatch, Decisions
from agora.engine.policy import Policy
from agora.engine.streams import Streams


class Reciprocator(Policy):
    """Sends ``send`` of the endowment and returns ``back`` of what arrived (each rounded
    down to the amount grid): returned = ``back · multiplier · sent``, a reciprocity slope of
    ``back · multiplier``. ``send = back = 0`` is the subgame-perfect player."""

    def __init__(self, send: float = 0.5, back: float = 1 / 3) -> None:
        for name, v in (("send", send), ("back", back)):
            if isinstance(v, bool) or not isinstance(v, int | float) \
                    or not (math.isfinite(v) and 0 <= v <= 1):
                raise ValueError(f"trust_reciprocator: {name} must be a share in [0, 1], "
                                 f"got {v!r}")
        self.send, self.back = float(send), float(back)
        self.name = f"reciprocator(send={send:g}, back={back:g})"

    def act(self, batch: DecisionBatch, rng: Streams) -> Decisions:
        view = batch.view()
        c = view.config
        want = np.where(view.is_sender, self.send * c.endowment,
                        self.back * np.nan_to_num(view.arrived))
        amounts = np.floor(want / c.step + 1e-9) * c.step
        return Decisions(actions=view.validated(amounts).astype(np.float64))

    def describe(self) -> dict[str, Any]:
        return {"kind": "trust_reciprocator", "send": self.send, "back": self.back}
