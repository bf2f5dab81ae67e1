"""``agora sweep --address``: joining a running Ray cluster (a head node on this machine started
with ``ray start --head``), unchanged code. Slow (starts a cluster): ``pytest -m slow``.

Ray maps a loopback bootstrap address to the node's own IP, so the head listens on that.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("ray")
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for_port(port: int, head: subprocess.Popen[bytes], timeout: float = 120) -> None:
    """Block until the head's GCS accepts connections (``ray start`` takes a while)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if head.poll() is not None:
            raise RuntimeError(f"ray start exited with {head.returncode}")
        for host in (socket.gethostbyname(socket.gethostname()), "127.0.0.1"):
            try:
                socket.create_connection((host, port), timeout=1).close()
                return
            except OSError:
                pass
        time.sleep(0.5)
    raise TimeoutError(f"the Ray head did not open port {port} in {timeout} s")


def test_cli_sweep_joins_a_cluster_by_address(tmp_path: Path) -> None:
    port = _free_port()
    ray_cli = Path(sys.executable).with_name("ray")
    # A throwaway cluster: no usage stats, no token (recent Ray enables token authentication on
    # `ray start` clusters; a real driver passes the cluster's token as $RAY_AUTH_TOKEN).
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "disabled"}
    head = subprocess.Popen(
        [str(ray_cli), "start", "--head", "--block", f"--port={port}", "--num-cpus=2",
         "--include-dashboard=false"],
        cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=(tmp_path / "head.log").open("wb"),
        start_new_session=True)
    try:
        _wait_for_port(port, head)
        spec = tmp_path / "run.toml"
        spec.write_text('game = "p_beauty"\nn_instances = 3\n[config]\nn_players = 3\n'
                        'rounds = 2\n[[policies]]\nkind = "cognitive_hierarchy"\n')
        grid = tmp_path / "grid.toml"
        grid.write_text("seed = [0, 1, 2]\n")
        res = subprocess.run(
            [sys.executable, "-m", "agora.cli", "sweep", str(spec), "--grid", str(grid),
             "--address", f"127.0.0.1:{port}", "--out", str(tmp_path / "out"), "--quiet"],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240, check=False)
        assert res.returncode == 0, res.stderr[-3000:]
        assert "3 configurations (3 run, 0 already done)" in res.stdout
        assert len(list((tmp_path / "out").glob("config_id=*/part-0.parquet"))) == 3
    finally:
        os.killpg(head.pid, signal.SIGTERM)  # the head and the processes it started
        head.wait(timeout=60)
