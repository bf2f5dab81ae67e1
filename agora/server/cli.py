"""``agora serve``: start a policy server and print its OpenAI base URL on stdout.

Any registered backend (:mod:`agora.llm.registry`; the embedded llama.cpp model by default) is
served in this process (uvicorn); ``--backend vllm`` launches ``vllm serve`` as a child process
with prefix caching and waits for its health check. Either way, once ``GET /health`` answers,
one line ``http://HOST:PORT/v1`` is printed (and written to ``--ready-file``); logs go to
stderr. It listens on 127.0.0.1 and, unless ``--host`` is given, refuses requests whose
``Host`` header is not loopback (DNS rebinding). A bad address
or setting is one line on stderr and exit code 2.

Extra ``vllm serve`` arguments (``--backend vllm`` only) come in three forms, which mix:
``--vllm-arg VALUE`` (repeatable; VALUE may start with ``-``, and is split like a shell line,
so ``--vllm-arg "--max-model-len 4096"`` is two arguments: quote inside it to keep spaces),
``--vllm-arg=VALUE`` (the same), and everything after a ``--`` separator, passed verbatim
(``agora serve --backend vllm --model M -- --max-model-len 4096``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shlex
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

from agora.llm.models import default_chat_template, hf_id
from agora.llm.vllm_backend import STRUCTURED_OUTPUTS_CONFIG

DEFAULT_HOST = "127.0.0.1"
"""Where ``agora serve`` listens unless ``--host`` is given."""
VLLM_FLAGS = ("--enable-prefix-caching", "--max-num-seqs", "512", "--generation-config", "vllm",
              "--disable-log-stats",
              "--structured-outputs-config=" + json.dumps(STRUCTURED_OUTPUTS_CONFIG,
                                                          separators=(",", ":")))
"""Flags added to ``vllm serve``: keep shared prompt prefixes cached, batch a whole step,
use agora's sampling parameters rather than the model's generation_config defaults, and
constrain JSON answers to compact JSON as the in-process backend does (vLLM 0.33 reads
``disable_any_whitespace`` from the engine config only; free whitespace lets a small model pad
an answer until ``max_tokens`` cuts it off)."""


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
                    help="the backend's model: smollm2-135m (default), gemma3-270m or a GGUF "
                         "path (llamacpp), HF id/path (vllm), ...")
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
    ap.add_argument("--vllm-arg", action="append", default=[], metavar="ARGS",
                    help="extra arguments for vllm serve, split like a shell line (repeatable; "
                         "may start with '-'); arguments after a '--' separator go to vllm "
                         "serve verbatim")
    return ap


def split_vllm_args(argv: Sequence[str]) -> tuple[list[str], list[str]]:
    """``agora serve``'s own arguments and the verbatim ``vllm serve`` ones after ``--``.

    ``--vllm-arg X`` is rewritten to ``--vllm-arg=X`` so that an ``X`` starting with ``-``
    (``--vllm-arg --max-model-len``) is its value, not an option of its own.
    """
    own: list[str] = []
    items = list(argv)
    i = 0
    while i < len(items):
        tok = items[i]
        if tok == "--":
            return own, items[i + 1:]
        if tok == "--vllm-arg" and i + 1 < len(items):
            own.append(f"--vllm-arg={items[i + 1]}")
            i += 2
            continue
        own.append(tok)
        i += 1
    return own, []


def vllm_extra_args(values: Sequence[str], verbatim: Sequence[str] = ()) -> list[str]:
    """The ``vllm serve`` arguments of the ``--vllm-arg`` values (each split like a shell
    line) followed by the ``verbatim`` ones."""
    out: list[str] = []
    for value in values:
        try:
            out.extend(shlex.split(value))
        except ValueError as exc:
            raise UsageError(f"--vllm-arg {value!r}: {exc}") from None
    return [*out, *verbatim]


class UsageError(Exception):
    """A bad ``agora serve`` argument: reported as one line, exit code 2."""


def parse_serve_args(argv: Sequence[str]) -> argparse.Namespace:
    """``agora serve``'s arguments; ``vllm_args`` holds the extra ``vllm serve`` ones.

    Raises :class:`UsageError` for a bad setting (argparse exits 2 on a bad flag).
    """
    own, verbatim = split_vllm_args(argv)
    args = _parser().parse_args(own)
    args.check_host = args.host is None
    args.host = args.host or DEFAULT_HOST
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port must be in [0, 65535], got {args.port}")
    args.vllm_args = vllm_extra_args(args.vllm_arg, verbatim)
    if args.vllm_args and args.backend != "vllm":
        raise UsageError("--vllm-arg and arguments after '--' apply to --backend vllm, "
                         f"not {args.backend}")
    owned = sorted({a.partition("=")[0] for a in args.vllm_args} & {"--host", "--port"})
    if owned:
        raise UsageError(f"give {', '.join(owned)} to agora serve itself, not to vllm serve "
                         "(agora serve waits for the server there)")
    return args


def serve_main(argv: Sequence[str]) -> int:
    """Run ``agora serve`` with ``argv`` (without the program name); returns an exit code."""
    try:
        args = parse_serve_args(argv)
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
    from agora.llm.registry import BACKENDS, option_item

    spec = BACKENDS.get(args.backend)
    options: dict[str, Any] = {}
    for item in args.backend_option:
        try:
            key, value = option_item(item)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        options[key] = value
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
    """The ``vllm serve`` command line agora uses: the model (a catalogue name such as
    ``smollm2-135m`` becomes its Hugging Face id), ``VLLM_FLAGS``, then ``extra`` (later flags
    win in vLLM's parser, so ``extra`` may override one of ``VLLM_FLAGS``)."""
    exe = Path(sys.executable).with_name("vllm")
    binary = str(exe) if exe.exists() else shutil.which("vllm")
    if binary is None:
        raise FileNotFoundError("the vllm executable is not installed; backend 'vllm' needs "
                                "`pip install agora-sim[vllm]`")
    template = default_chat_template(model)  # a base model: agora's completion-style prompt
    return [binary, "serve", hf_id(model), "--host", host, "--port", str(port), *VLLM_FLAGS,
            *(["--chat-template", template] if template else []), *extra]


def _serve_vllm(args: argparse.Namespace) -> int:
    if not args.model:
        print("agora serve --backend vllm needs --model (a HF id or local path)", file=sys.stderr)
        return 2
    if args.port:
        _listen(args.host, args.port).close()  # a bad address is one line, not vllm's traceback
    port = args.port or _free_port(args.host)
    try:
        cmd = vllm_command(args.model, args.host, port, args.vllm_args)
    except FileNotFoundError as exc:
        raise UsageError(str(exc)) from None
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
