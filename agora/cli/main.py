"""``agora``: run games, list them, show results, serve a policy, build populations."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def _cmd_games(args: argparse.Namespace) -> int:
    from agora.engine.registry import REGISTRY

    names = REGISTRY.names()
    width = max((len(n) for n in names), default=0)
    for name in names:
        print(f"{name:{width}s}  {REGISTRY.get(name).description}")
    return 0


def _cmd_backends(args: argparse.Namespace) -> int:
    from agora.llm.registry import BACKENDS

    names = BACKENDS.names()
    width = max((len(n) for n in names), default=0)
    for name in names:
        spec = BACKENDS.get(name)
        print(f"{name:{width}s}  {spec.description} ({spec.install_hint})")
    return 0


def _load_with_backend_flags(args: argparse.Namespace) -> Any:
    """The run spec, its LLM policies without a backend given the one the flags choose.

    ``--backend``/``--policy-server``/``--model`` are checked first (an unreachable server
    fails here, in one line, before the run); the spec loader refuses them for policies they
    would not reach. The choice travels as an argument to each policy, never through the
    environment.
    """
    from agora.spec.overrides import backend_choice, choose_backend, flags_text, probe_server
    from agora.spec.run_spec import load_spec

    choice = backend_choice(args.backend, args.policy_server, args.model)
    if args.policy_server:
        probe_server(args.policy_server)
    spec = load_spec(args.spec, flags_text(args.backend, args.policy_server, args.model))
    if choice is not None:
        choose_backend([p for p, _ in spec.policies], *choice)
    return spec


def _cmd_run(args: argparse.Namespace) -> int:
    from agora.cli.show import render
    from agora.engine.runner import Runner

    out = Path(args.out) if args.out else Path("runs") / Path(args.spec).stem
    if args.ray_actors is not None:
        if args.backend or args.policy_server or args.model:
            raise ValueError("--backend/--policy-server/--model apply to single-process runs; "
                             "a sharded run takes its backend from the spec")
        return _run_sharded(args, out)
    if args.shards is not None or args.address is not None:
        raise ValueError("--shards and --address need --ray-actors N")
    spec = _load_with_backend_flags(args)
    try:
        runner = Runner(spec.game, spec.config, policy=list(spec.policies),
                        n_instances=spec.n_instances,
                        seed=spec.seed if args.seed is None else args.seed,
                        out=out, resume=args.resume, progress=not args.quiet)
        result = runner.run()
    finally:
        for policy, _ in spec.policies:
            policy.close()
    print(render(result))
    print(f"records: {out / 'records.parquet'}")
    return 0


def _run_sharded(args: argparse.Namespace, out: Path) -> int:
    """``agora run SPEC --ray-actors N``: the population split across Ray actors."""
    from dataclasses import replace

    from agora.cli.show import render
    from agora.scale.config import RunConfig
    from agora.scale.shard import run_sharded

    if args.resume:
        raise ValueError("--resume applies to single-process runs; a sharded run is replayed")
    if (out / "manifest.json").exists():
        raise FileExistsError(f"{out} already holds a run; choose another --out")
    config = RunConfig.coerce(args.spec)
    if args.seed is not None:
        config = replace(config, seed=args.seed)
    result = run_sharded(config, n_actors=args.ray_actors, n_shards=args.shards,
                         address=args.address, out=out, progress=not args.quiet)
    print(render(result))
    print(f"records: {out / 'records.parquet'}")
    return 0


def _cmd_show(args: argparse.Namespace) -> int:
    from agora.cli.show import render
    from agora.engine.records import load_run

    print(render(load_run(args.run_dir)))
    return 0


DELEGATES: dict[str, tuple[str, str, str]] = {
    "serve": ("agora.server", "serve_main", "start a loopback OpenAI-compatible policy server"),
    "population": ("populations.cli", "population_main",
                   "synthesize a census population and its validation report"),
    "report": ("agora.analysis.report", "report_main", "write an HTML/Markdown run report"),
    "sweep": ("agora.scale.cli", "sweep_main",
              "run a parameter grid as Ray tasks into one partitioned Parquet dataset"),
}
"""Sub-commands whose own parser (in their module) takes the rest of the command line."""

COMMANDS_GROUP = "agora.commands"
"""Entry-point group of further sub-commands (``name = "module:function"``, called with the
rest of the command line): how ``agora demo`` arrives from the experiments package."""


def plugin_commands() -> dict[str, Any]:
    """Sub-commands declared by installed packages, by name (built-in names win)."""
    from importlib.metadata import entry_points

    return {ep.name: ep for ep in sorted(entry_points(group=COMMANDS_GROUP), key=lambda e: e.name)
            if ep.name not in DELEGATES}


def _run_delegate(name: str, rest: list[str]) -> int:
    import importlib

    if name not in DELEGATES:
        return int(plugin_commands()[name].load()(rest))
    module, function, _ = DELEGATES[name]
    return int(getattr(importlib.import_module(module), function)(rest))


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every sub-command."""
    parser = argparse.ArgumentParser(prog="agora", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("games", help="list registered games").set_defaults(func=_cmd_games)
    sub.add_parser("backends", help="list registered LLM backends").set_defaults(
        func=_cmd_backends)
    run = sub.add_parser("run", help="run an experiment script or a TOML config")
    run.add_argument("spec", help="experiment.py (defining spec()) or config.toml")
    run.add_argument("--out", help="run directory (default: runs/<name>)")
    run.add_argument("--seed", type=int, help="override the spec's seed")
    run.add_argument("--resume", action="store_true", help="continue the run in --out")
    from agora.llm.registry import BACKENDS, DEFAULT_BACKEND

    run.add_argument("--backend", choices=BACKENDS.names(),
                     help=f"LLM backend of llm policies that name none (default: "
                     f"{DEFAULT_BACKEND}); see `agora backends`")
    run.add_argument("--policy-server", help="base URL of an OpenAI-compatible policy server "
                     "(implies --backend openai)")
    run.add_argument("--model", help="model of that backend: smollm2-135m, gemma3-270m or a GGUF "
                     "path for llamacpp; a model id (or one of those names) for vllm/openai "
                     "(default: the backend's)")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.add_argument("--ray-actors", type=int, metavar="N",
                     help="split the population across N Ray actors (agora[ray]); same records "
                     "as the single-process run with scripted policies")
    run.add_argument("--shards", type=int, metavar="K", help="with --ray-actors: instance "
                     "blocks (default: one per actor)")
    run.add_argument("--address", help="with --ray-actors: Ray cluster to join (default: a "
                     "local one)")
    run.set_defaults(func=_cmd_run)
    show = sub.add_parser("show", help="summarise a finished run")
    show.add_argument("run_dir")
    show.set_defaults(func=_cmd_show)
    for name, (_, _, text) in DELEGATES.items():
        sub.add_parser(name, help=f"{text} (see `agora {name} --help`)", add_help=False)
    for name, ep in plugin_commands().items():
        try:
            doc = (getattr(ep.load(), "__doc__", None) or "").strip().splitlines()
        except Exception:  # a broken plugin must not take `agora --help` down with it
            doc = []
        sub.add_parser(name, help=f"{doc[0] if doc else ep.value} (see `agora {name} --help`)",
                       add_help=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point; bad input prints one line and exits 2, never a traceback."""
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        if argv and (argv[0] in DELEGATES or argv[0] in plugin_commands()):
            return _run_delegate(argv[0], argv[1:])
        args = build_parser().parse_args(argv)
        return int(args.func(args))
    except KeyboardInterrupt:
        print("agora: interrupted; the last completed step is checkpointed, rerun with --resume",
              file=sys.stderr)
        return EXIT_INTERRUPTED
    except (ValueError, TypeError, KeyError, FileNotFoundError, FileExistsError,
            NotADirectoryError, IsADirectoryError, PermissionError, ImportError) as exc:
        return _error(exc)
    except MemoryError:
        return _error("out of memory; use fewer instances, players or rounds")
    except RuntimeError as exc:
        from agora.llm.base import BackendError

        if not isinstance(exc, BackendError):  # a bug, not bad input: keep the traceback
            raise
        return _error(exc)


def _error(exc: BaseException | str) -> int:
    """Print ``agora: error: ...`` as one line (messages may hold newlines) and return 2."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    print(f"agora: error: {text}", file=sys.stderr)
    return EXIT_USAGE


if __name__ == "__main__":
    raise SystemExit(main())
