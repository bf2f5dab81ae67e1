"""``agora serve``: start a policy server and print its OpenAI base URL on stdout.

Any registered backend (:mod:`agora.llm.registry`; the embedded llama.cpp model by default) is
served in this process (uvicorn); ``--backend vllm`` launches ``vllm serve`` as a child process
with prefix caching and waits for its health check. Either way, once ``GET /health`` answers,
one line ``http://HOST:PORT/v1`` is printed (and written to ``--ready-file``); logs go to
stderr. It listens on 127.0.0.1 and, unless ``--host`` is given, refuses requests whose
``Host`` header is not loopback (DNS rebinding). A bad address
or setting is one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

DEFAULT_HOST = "127.0.0.1"
"""Where ``agora serve`` listens unless ``--host`` is given."""
VLLM_FLAGS = ("--enable-prefix-caching", "--max-num-seqs", "512", "--generation-config", "vllm",
              "--disable-log-stats")
"""Flags added to ``vllm serve``: keep shared prompt prefixes cached, batch a whole step,
use agora's sampling parameters rather than the model's generation_config defaults."""


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="agora serve",
        description="Start a policy server; print its OpenAI base URL on stdout once healthy.")
    from agora.llm.registry import BACKENDS, DEFAULT_BACKEND

    ap.add_argument("--backend", choices=BACKENDS.names(), default=DEFAULT_BACKEND,
                    help="backend to serve (vllm: `vllm serve` as a child process; any other "
                         f"in this process; default {DEFAULT_BACKEND})")
    ap.add_argument("--host", default=None,
                    help=f"address to listen on (default {DEFAULT_HOST}; requests must then "
                         "name a loopback Host; an explicit --host accepts any Host header)")
    ap.add_argument("--port", type=int, default=0, help="0 picks a free port")
    ap.add_argument("--model", default=None,
                    help="the backend's model: GGUF path (llamacpp; default bundled SmolLM2), "
                         "HF id/path (vllm), ...")
    ap.add_argument("--ready-file", type=Path, default=None,
                    help="write the base URL here once the server is healthy")
    ap.add_argument("--threads", type=int, default=None, help="llamacpp CPU threads")
    ap.add_argument("--n-parallel", type=int, default=None,
                    help="llamacpp parallel sequences (default 32)")
    ap.add_argument("--n-ctx", type=int, default=None, help="llamacpp KV cache size (default "
                    "8192)")
    ap.add_argument("--requantize", default=None,
                    help="llamacpp: q8_0, q4_0, f16 or none (default auto: q8_0 for the bundled "
                         "model)")
    ap.add_argument("--backend-option", action="append", default=[], metavar="KEY=VALUE",
                    help="an option of the served backend (repeatable; VALUE read as JSON "
                         "when it parses, else as text)")
    ap.add_argument("--batch-window-ms", type=float, default=5.0,
                    help="gather requests arriving within this window into one batch")
    ap.add_argument("--startup-timeout", type=float, default=900.0,
                    help="seconds to wait for the server's health check")
    ap.add_argument("--vllm-arg", action="append", default=[],
                    help="extra argument for vllm serve (repeatable)")
    return ap


class UsageError(Exception):
    """A bad ``agora serve`` argument: reported as one line, exit code 2."""


def serve_main(argv: Sequence[str]) -> int:
    """Run ``agora serve`` with ``argv`` (without the program name); returns an exit code."""
    args = _parser().parse_args(list(argv))
    args.check_host = args.host is None
    args.host = args.host or DEFAULT_HOST
    try:
        if not 0 <= args.port <= 65535:
            raise UsageError(f"--port must be in [0, 65535], got {args.port}")
        if args.backend == "vllm":
            if args.backend_option or _llamacpp_flags(args):
                raise UsageError("--backend vllm takes --model and --vllm-arg, not "
                                 "--backend-option or llamacpp flags")
            return _serve_vllm(args)
        return asyncio.run(_serve_in_process(args))
    except UsageError as exc:
        print(f"agora serve: {exc}", file=sys.stderr)
        return 2


def _listen(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port``; :class:`UsageError` naming why it cannot be."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        sock = socket.socket(family, socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise UsageError(f"cannot listen on --host {host!r}: {exc}") from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return sock


def _announce(url: str, ready_file: Path | None) -> None:
    print(url, flush=True)
    if ready_file is not None:
        tmp = ready_file.with_name(ready_file.name + ".tmp")
        tmp.write_text(url + "\n")
        os.replace(tmp, ready_file)


def _llamacpp_flags(args: argparse.Namespace) -> dict[str, Any]:
    """The llamacpp-only flags given, as backend options."""
    given = {"n_threads": args.threads, "n_parallel": args.n_parallel, "n_ctx": args.n_ctx,
             "requantize": args.requantize}
    return {k: v for k, v in given.items() if v is not None}


def backend_options(args: argparse.Namespace) -> dict[str, Any]:
    """The options of the in-process backend ``args`` ask for (see the registry's schema)."""
    from agora.llm.registry import BACKENDS

    spec = BACKENDS.get(args.backend)
    options: dict[str, Any] = {}
    for item in args.backend_option:
        key, sep, text = item.partition("=")
        if not sep or not key:
            raise UsageError(f"--backend-option takes KEY=VALUE, got {item!r}")
        try:
            options[key] = json.loads(text)
        except ValueError:
            options[key] = text
    if spec.name == "llamacpp":
        options = {"n_ctx": 8192, "n_parallel": 32, "requantize": "auto", **options,
                   **_llamacpp_flags(args)}
    elif _llamacpp_flags(args):
        raise UsageError(f"--threads, --n-parallel, --n-ctx and --requantize apply to the "
                         f"llamacpp backend, not {spec.name}")
    if args.model is not None:
        if spec.model_option is None:
            raise UsageError(f"--model does not apply to the {spec.name} backend")
        options[spec.model_option] = args.model
    try:
        spec.check_options(options)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    return options


async def _serve_in_process(args: argparse.Namespace) -> int:
    import uvicorn

    from agora.llm.registry import BACKENDS
    from agora.server.app import create_app

    if args.batch_window_ms < 0:
        raise UsageError(f"--batch-window-ms must be >= 0, got {args.batch_window_ms}")
    options = backend_options(args)
    sock = _listen(args.host, args.port)  # before loading the model: a bad address fails fast
    try:
        backend = BACKENDS.get(args.backend).create(**options)
    except (ValueError, TypeError, OSError, ImportError) as exc:
        sock.close()
        raise UsageError(str(exc)) from None
    app = create_app(backend, batch_window_s=args.batch_window_ms / 1000,
                     check_host=args.check_host)
    port = sock.getsockname()[1]
    host = f"[{args.host}]" if ":" in args.host else args.host
    config = uvicorn.Config(app, log_level="warning", access_log=False, timeout_keep_alive=30)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        base = f"http://{host}:{port}"
        await _wait_healthy_async(base, args.startup_timeout, task)
        _announce(f"{base}/v1", args.ready_file)
        await task
    finally:
        backend.close()
        sock.close()
    return 0


async def _wait_healthy_async(base: str, timeout_s: float, task: asyncio.Task[None]) -> None:
    deadline = time.monotonic() + timeout_s
    async with httpx.AsyncClient(timeout=2.0) as client:
        while time.monotonic() < deadline:
            if task.done():
                raise RuntimeError("the server stopped before it became healthy")
            try:
                if (await client.get(f"{base}/health")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.05)
    raise TimeoutError(f"{base}/health did not answer within {timeout_s}s")


def _free_port(host: str) -> int:
    with _listen(host, 0) as s:
        return int(s.getsockname()[1])


def vllm_command(model: str, host: str, port: int, extra: Sequence[str] = ()) -> list[str]:
    """The ``vllm serve`` command line agora uses."""
    exe = Path(sys.executable).with_name("vllm")
    binary = str(exe) if exe.exists() else shutil.which("vllm")
    if binary is None:
        raise FileNotFoundError("the vllm executable is not installed; backend 'vllm' needs "
                                "`pip install agora-sim[vllm]`")
    return [binary, "serve", model, "--host", host, "--port", str(port), *VLLM_FLAGS, *extra]


def _serve_vllm(args: argparse.Namespace) -> int:
    if not args.model:
        print("agora serve --backend vllm needs --model (a HF id or local path)", file=sys.stderr)
        return 2
    if args.port:
        _listen(args.host, args.port).close()  # a bad address is one line, not vllm's traceback
    port = args.port or _free_port(args.host)
    cmd = vllm_command(args.model, args.host, port, args.vllm_arg)
    proc = subprocess.Popen(cmd, stdout=sys.stderr, stderr=sys.stderr)

    def forward(signum: int, _frame: object) -> None:
        proc.send_signal(signum)

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, forward)
    host = f"[{args.host}]" if ":" in args.host else args.host
    base = f"http://{host}:{port}"
    deadline = time.monotonic() + args.startup_timeout
    while True:
        if proc.poll() is not None:
            print(f"vllm serve exited with code {proc.returncode}", file=sys.stderr)
            return proc.returncode or 1
        try:
            if httpx.get(f"{base}/health", timeout=2.0).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            proc.terminate()
            proc.wait(30)
            print(f"vllm serve was not healthy within {args.startup_timeout}s", file=sys.stderr)
            return 1
        time.sleep(0.5)
    _announce(f"{base}/v1", args.ready_file)
    return proc.wait()
