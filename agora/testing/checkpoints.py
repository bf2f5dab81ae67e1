"""Checkpoints: a kernel restored mid-game from its encoded state continues identically."""

from __future__ import annotations

import io
import json
from typing import Any

import numpy as np

from agora.engine.state_codec import StateEncodingError, decode_state, encode_state
from agora.testing._play import _check, _kernel, _play, _random_actions


def check_checkpoint_roundtrip(name: str, **config: Any) -> None:
    """A kernel restored mid-game from its encoded ``state_dict`` continues identically.

    The state goes through the checkpoint encoding (:mod:`agora.engine.state_codec`: JSON plus
    ``.npz`` arrays, never pickles), so a kernel keeping a value checkpoints cannot store, or
    state outside its public attributes, fails here.
    """
    label = f"{name} {config}"
    a = _kernel(name, config, seed=9, n_instances=8)
    half = a.max_steps() // 2
    _play(a, _random_actions, np.random.default_rng(10), label, max_steps=half)
    b = _kernel(name, config, seed=11, n_instances=8)
    try:
        tree, arrays = encode_state(a.state_dict(), "kernel state")
    except StateEncodingError as exc:
        raise AssertionError(f"{label}: {exc}") from None
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    buf.seek(0)
    with np.load(buf, allow_pickle=False) as npz:
        stored = {k: npz[k] for k in npz.files}
    b.load_state_dict(decode_state(json.loads(json.dumps(tree)), stored))
    ra, rb = np.random.default_rng(12), np.random.default_rng(12)
    while not a.done.all():
        ia, pa = a.pending()
        ib, pb = b.pending()
        _check(np.array_equal(ia, ib) and np.array_equal(pa, pb),
               f"{label}: restored kernel has different pending agents")
        acts = _random_actions(a, ia, pa, ra)
        _check(np.array_equal(acts, _random_actions(b, ib, pb, rb)),
               f"{label}: restored kernel has different action specs")
        oa, ob = a.step(ia, pa, acts), b.step(ib, pb, acts)
        np.testing.assert_array_equal(oa.all_rewards, ob.all_rewards,
                                      err_msg=f"{label}: restored kernel pays differently")
        _check(set(oa.columns) == set(ob.columns),
               f"{label}: restored kernel records other columns")
        for col in oa.columns:
            np.testing.assert_array_equal(np.asarray(oa.columns[col]),
                                          np.asarray(ob.columns[col]),
                                          err_msg=f"{label}: column {col} differs after restore")
    _check(b.done.all(), f"{label}: restored kernel did not finish with the original")
