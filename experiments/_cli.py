"""The shared command line of the experiments: flags, their validation and the entry point.

Every experiment parses the same flags (``--backend``, ``--model``, ``--n``, ``--out``,
``--seed``, ``--smoke``, ``--agents``, ``--resume``, ``--quiet``) into an
:class:`ExperimentArgs`; bad input prints one line and exits with status 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from agora.llm.registry import BACKENDS

AgentKind = Literal["llm", "scripted"]
EXIT_USAGE = 2


@dataclass(frozen=True, kw_only=True)
class ExperimentArgs:
    """The shared command-line options of an experiment (validated).

    Attributes:
        backend: A registered LLM backend (:mod:`agora.llm.registry`), or None for the
            default (``openai`` with ``server``, else the embedded llamacpp).
        model: GGUF path (llamacpp) or model id (vllm / openai); None for the backend default.
        server: Base URL of an OpenAI-compatible server (``--backend openai``).
        threads: CPU threads of the embedded model (None: every core this process may use).
        requantize: Re-quantized copy of the embedded model to run (``q8_0``: ~1.5x faster
            prompts than the bundled Q4_1 file, near-identical answers; ``none``: the file as
            shipped). None: ``q8_0`` for llamacpp.
        n: Size override (its meaning is stated by each experiment's ``--help``).
        out: Output folder.
        seed: Seed of every generator of the experiment.
        smoke: Tiny sizes for CI.
        agents: ``llm`` or ``scripted`` (scripted stand-ins: no model needed).
        resume: Reuse / continue runs already in ``out``.
        quiet: No progress bars.
        argv: The command line as given (for the summary).
    """

    backend: str | None = None
    model: str | None = None
    server: str | None = None
    threads: int | None = None
    requantize: str | None = None
    n: int | None = None
    out: Path
    seed: int = 0
    smoke: bool = False
    agents: AgentKind = "llm"
    resume: bool = False
    quiet: bool = False
    argv: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.backend is not None and self.backend not in BACKENDS.names():
            raise ValueError(f"--backend must be one of {', '.join(BACKENDS.names())}, "
                             f"got {self.backend!r}")
        if self.threads is not None and self.threads < 1:
            raise ValueError(f"--threads must be >= 1, got {self.threads}")
        if self.n is not None and (not isinstance(self.n, int) or self.n < 1):
            raise ValueError(f"--n must be an integer >= 1, got {self.n!r}")
        if not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f"--seed must be an integer >= 0, got {self.seed!r}")
        if self.agents not in ("llm", "scripted"):
            raise ValueError(f"--agents must be llm or scripted, got {self.agents!r}")


class UsageError(ValueError):
    """Bad command-line input (printed as one line, exit status 2)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # one line, no usage dump
        raise UsageError(message)


def build_parser(prog: str, description: str, *, n_help: str) -> argparse.ArgumentParser:
    """The shared flags; experiments add their own before parsing."""
    p = _Parser(prog=prog, description=description)
    p.add_argument("--backend", choices=BACKENDS.names(), default=None,
                   help="LLM backend (default: openai with --server, else the embedded "
                        "llama.cpp model); results are written the same way for every backend")
    p.add_argument("--model", default=None,
                   help="llamacpp: smollm2-135m, gemma3-270m or a GGUF path; vllm/openai: "
                        "a model id (default: the backend's default, e.g. the bundled "
                        "SmolLM2-135M-Instruct)")
    p.add_argument("--server", default=None,
                   help="base URL of an OpenAI-compatible server (implies --backend openai)")
    p.add_argument("--threads", type=int, default=None,
                   help="CPU threads of the embedded llama.cpp model (default: every core this "
                        "process may use; 1 is faster on an oversubscribed machine)")
    p.add_argument("--requantize", choices=("q8_0", "q4_0", "f16", "none"), default=None,
                   help="run a cached re-quantized copy of the embedded model (default q8_0: "
                        "about 1.5x faster than the bundled Q4_1 file, near-identical answers; "
                        "none: the file as shipped)")
    p.add_argument("--n", type=int, default=None, help=n_help)
    p.add_argument("--out", type=Path, default=None, help="output folder (default: runs/<name>)")
    p.add_argument("--seed", type=int, default=0, help="seed of every generator (default 0)")
    p.add_argument("--smoke", action="store_true", help="tiny sizes for CI")
    p.add_argument("--agents", choices=("llm", "scripted"), default="llm",
                   help="llm (default) or scripted stand-ins (no model; for tests and dry runs)")
    p.add_argument("--resume", action="store_true",
                   help="reuse finished runs in --out and continue interrupted ones")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    return p


def parse_args(parser: argparse.ArgumentParser, argv: Sequence[str] | None,
               name: str) -> tuple[ExperimentArgs, argparse.Namespace]:
    """Parse ``argv`` into the shared options plus the experiment's own namespace."""
    argv = list(sys.argv[1:] if argv is None else argv)
    ns = parser.parse_args(argv)
    out = ns.out if ns.out is not None else Path("runs") / (f"{name}-smoke" if ns.smoke
                                                             else name)
    args = ExperimentArgs(backend=ns.backend, model=ns.model, server=ns.server,
                          threads=ns.threads, requantize=ns.requantize, n=ns.n, out=out,
                          seed=ns.seed, smoke=ns.smoke, agents=ns.agents, resume=ns.resume,
                          quiet=ns.quiet, argv=tuple(argv))
    return args, ns


def experiment_main(name: str, description: str, *, n_help: str,
                    argv: Sequence[str] | None, run: Callable[[ExperimentArgs], int],
                    prog: str | None = None, out_name: str | None = None) -> int:
    """Parse the shared flags and run an experiment; bad input prints one line, returns 2."""
    prog = prog or f"python -m experiments.{name}"
    parser = build_parser(prog, description, n_help=n_help)

    def body() -> int:
        args, _ = parse_args(parser, argv, out_name or name)
        return run(args)

    return run_main(prog, body)


def run_main(prog: str, body: Callable[[], int]) -> int:
    """Run an experiment body; expected failures print one line and return 2."""
    try:
        return body()
    except KeyboardInterrupt:
        print(f"{prog}: interrupted; rerun with --resume to continue", file=sys.stderr)
        return 130
    except (ValueError, TypeError, KeyError, FileNotFoundError, FileExistsError,
            NotADirectoryError, PermissionError, ImportError) as exc:
        message = " ".join(str(exc).split())
        print(f"{prog}: error: {message}", file=sys.stderr)
        return EXIT_USAGE
