"""PettingZoo's own API tests on a game's ``ParallelEnv`` and its AEC conversion."""

from __future__ import annotations

import contextlib
import io
import warnings
from typing import Any

from agora.engine.registry import make


def check_pettingzoo_api(name: str, **config: Any) -> None:
    """PettingZoo's ``parallel_api_test``, ``parallel_seed_test`` and AEC ``api_test``."""
    from pettingzoo.test import api_test, parallel_api_test, parallel_seed_test
    from pettingzoo.utils.conversions import parallel_to_aec

    def env_fn() -> Any:
        return make(name, **config)

    # The PettingZoo tests print progress lines; an all-zero first observation (e.g. a
    # dictator game's recipient before any round) is legitimate, not worth a warning.
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Observation numpy array is all zeros")
        parallel_api_test(env_fn(), num_cycles=200)
        parallel_seed_test(env_fn, num_cycles=200)
        api_test(parallel_to_aec(env_fn()), num_cycles=200)
