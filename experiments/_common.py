"""Shared pieces of the experiment scripts: flags, agents, personas, tables and output files.

Every experiment parses the same flags (``--backend``, ``--model``, ``--n``, ``--out``,
``--seed``, ``--smoke``, ``--agents``, ``--resume``, ``--quiet``), builds its agents through
:class:`Agents` (one LLM backend shared by every policy of the experiment, created on first use:
the embedded llama.cpp model unless ``--backend``/``$AGORA_BACKEND`` say otherwise), runs games
through :func:`agora.run` (records as Parquet plus a manifest per run), writes an analysis
report per run and collects its printed tables in a :class:`Summary` (``summary.md`` and
``summary.json`` in ``--out``). Benchmarks in the tables come from :mod:`agora.analysis` and the
games' theory modules, never from literals in the scripts.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shlex
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import polars as pl

from agora.analysis.estimate import Estimate

if TYPE_CHECKING:
    from agora.engine.records import RunResult
    from agora.engine.runner import Personas
    from agora.llm.base import Backend
    from agora.policies.base import Policy
    from populations import Synthesis

BackendKind = Literal["llamacpp", "openai", "vllm"]
AgentKind = Literal["llm", "scripted"]
BACKENDS: tuple[str, ...] = ("llamacpp", "openai", "vllm")
DEFAULT_REQUANTIZE = "q8_0"
"""The embedded model runs as a cached Q8_0 copy of the bundled Q4_1 file (faster prompts)."""
ADULTS: dict[str, Any] = {"age": (18, 120)}
"""Population filter: economic games are played by adults."""
SUBGROUP_FIELDS: tuple[str, ...] = ("age_band", "education_level", "race_group", "income_bracket")
"""Persona categories joined into records beside the population runs' columns (subgroups)."""
EXIT_USAGE = 2
SMOKE_LABEL = ("SmolLM2-135M (the embedded default) is a smoke-test agent: its numbers exercise "
               "the pipeline and are not a claim about what LLMs do.")


# --------------------------------------------------------------------- flags
@dataclass(frozen=True, kw_only=True)
class ExperimentArgs:
    """The shared command-line options of an experiment (validated).

    Attributes:
        backend: LLM backend kind, or None for the default (``$AGORA_BACKEND`` or embedded).
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
        if self.backend is not None and self.backend not in BACKENDS:
            raise ValueError(f"--backend must be one of {', '.join(BACKENDS)}, "
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
    p.add_argument("--backend", choices=BACKENDS, default=None,
                   help="LLM backend (default: $AGORA_BACKEND, else the embedded llama.cpp "
                        "model); results are written the same way for every backend")
    p.add_argument("--model", default=None,
                   help="GGUF path for llamacpp, model id for vllm/openai (default: the "
                        "backend's default, e.g. the bundled SmolLM2-135M-Instruct)")
    p.add_argument("--server", default=None,
                   help="base URL of an OpenAI-compatible server for --backend openai "
                        "(default: $AGORA_POLICY_SERVER)")
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


# --------------------------------------------------------------------- agents
class Agents:
    """Builds the experiment's policies; all LLM policies share one backend.

    With ``agents="scripted"`` every request for an LLM agent returns the scripted stand-in the
    caller names instead (used by tests and dry runs); tables then say so.
    """

    def __init__(self, args: ExperimentArgs) -> None:
        self.args = args
        self._backend: Backend | None = None
        self._policies: list[Policy] = []

    @property
    def is_llm(self) -> bool:
        """Whether agents are language-model agents."""
        return self.args.agents == "llm"

    def backend(self) -> Backend:
        """The shared backend (created on first use)."""
        if self._backend is None:
            self._backend = make_backend(self.args)
        return self._backend

    def label(self) -> str:
        """Who plays, for table rows: the model name or the scripted stand-in."""
        if not self.is_llm:
            return "scripted stand-in"
        return f"LLM ({self.backend().name}: {self.backend().model_name})"

    def caveat(self, *, temperature: float) -> str:
        """A sentence saying who the agents are (and that a tiny model is only a smoke test)."""
        if not self.is_llm:
            return "Agents: scripted stand-ins (--agents scripted), not an LLM."
        text = f"Agents: {self.label()}, temperature {temperature:g}."
        if "135m" in self.backend().model_name.lower():
            text += " " + SMOKE_LABEL
        return text

    def llm(self, *, name: str = "llm", stand_in: Policy | None = None,
            **settings: Any) -> Policy:
        """An LLM policy (or ``stand_in``, default uniform random, with ``--agents scripted``)."""
        if not self.is_llm:
            from agora.policies import RandomPolicy

            return stand_in if stand_in is not None else RandomPolicy()
        from agora.policies.llm_policy import LLMPolicy

        policy = LLMPolicy(self.backend(), name=name, **settings)
        self._policies.append(policy)
        return policy

    def close(self) -> None:
        """Release the backend."""
        if self._backend is not None:
            self._backend.close()
            self._backend = None


def make_backend(args: ExperimentArgs) -> Backend:
    """The backend the flags (then the environment) ask for, seeded with ``--seed``."""
    from agora.llm.registry import BACKEND_ENV, MODEL_ENV, SERVER_ENV
    from agora.llm.registry import make_backend as make

    kind = args.backend or os.environ.get(BACKEND_ENV, "").strip().lower() or None
    if kind is None and args.server is None and os.environ.get(SERVER_ENV):
        kind = "openai"
    kind = kind or ("openai" if args.server else "llamacpp")
    kwargs: dict[str, Any] = {"seed": args.seed}
    if kind != "llamacpp" and (args.threads is not None or args.requantize is not None):
        raise ValueError("--threads and --requantize apply to the embedded llamacpp backend "
                         "only")
    if kind == "llamacpp":
        if args.server:
            raise ValueError("--server needs --backend openai")
        if args.model:
            kwargs["model_path"] = args.model
        if args.threads is not None:
            kwargs["n_threads"] = args.threads
        kwargs["requantize"] = args.requantize or DEFAULT_REQUANTIZE
        return make(kind, **kwargs)
    if kind == "openai":
        url = args.server or os.environ.get(SERVER_ENV, "").strip()
        if not url:
            raise ValueError(f"--backend openai needs --server URL or ${SERVER_ENV}")
        kwargs["base_url"] = url
    model = args.model or os.environ.get(MODEL_ENV, "").strip()
    if model:
        kwargs["model"] = model
    elif kind == "vllm":
        raise ValueError(f"--backend vllm needs --model (or ${MODEL_ENV})")
    return make(kind, **kwargs)


# --------------------------------------------------------------------- personas
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


# --------------------------------------------------------------------- record helpers
def parse_counts(records: pl.DataFrame) -> dict[str, int]:
    """LLM answers by parse status (``ok``, ``repaired``, ``fallback``); empty for scripted."""
    if "parse_status" not in records.columns:
        return {}
    counts = records["parse_status"].drop_nulls().value_counts()
    return {str(k): int(v) for k, v in counts.iter_rows()}


def finals(records: pl.DataFrame, column: str = "agreed") -> pl.DataFrame:
    """Each game's final decision (rows where the game's outcome ``column`` is set)."""
    return records.filter(pl.col(column).is_not_null())


def column_estimate(values: np.ndarray | pl.Series, name: str, *, n_boot: int,
                    rng: np.random.Generator) -> Estimate:
    """Mean with a bootstrap interval (NaN estimate for no data)."""
    from agora.analysis.estimate import mean_estimate

    x = np.asarray(values, dtype=np.float64)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return Estimate(value=math.nan, ci_low=math.nan, ci_high=math.nan, n=0, name=name)
    if x.size == 1:
        return Estimate(value=float(x[0]), ci_low=math.nan, ci_high=math.nan, n=1, name=name)
    return mean_estimate(x, name=name, n_boot=n_boot, rng=rng)


# --------------------------------------------------------------------- formatting
def fmt(x: Any, digits: int = 3) -> str:
    """A table cell: numbers to ``digits`` significant figures, NaN/None as ``n/a``."""
    if x is None:
        return "n/a"
    if isinstance(x, bool | np.bool_):
        return "yes" if x else "no"
    if isinstance(x, int | np.integer):
        return str(int(x))
    if isinstance(x, float | np.floating):
        if not math.isfinite(float(x)):
            return "n/a"
        return f"{float(x):.{digits}g}"
    return str(x)


def fmt_est(e: Estimate, digits: int = 3) -> str:
    """``value [low, high]`` (the interval omitted when there is none)."""
    if not math.isfinite(e.value):
        return "n/a"
    if math.isfinite(e.ci_low) and math.isfinite(e.ci_high):
        return f"{fmt(e.value, digits)} [{fmt(e.ci_low, digits)}, {fmt(e.ci_high, digits)}]"
    return fmt(e.value, digits)


def short_citation(citation: str) -> str:
    """``Nagel (1995)`` / ``Forsythe et al. (1994)`` from a full reference."""
    authors, _, _ = citation.partition("(")
    year = re.search(r"\((\d{4})\)", citation)
    if year is None:
        return citation.split(".")[0]
    first = authors.split(",")[0].strip()
    return f"{first}{' et al.' if '&' in authors else ''} ({year.group(1)})"


def fmt_share(x: float) -> str:
    """A share as a percentage."""
    return "n/a" if x is None or not math.isfinite(x) else f"{100 * x:.1f}%"


# --------------------------------------------------------------------- tables and summary
@dataclass(kw_only=True)
class Table:
    """A printed table: simulated figures next to their human / theory benchmarks."""

    title: str
    header: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, *cells: Any) -> None:
        """Append a row (cells formatted with :func:`fmt` unless already strings)."""
        if len(cells) != len(self.header):
            raise ValueError(f"{self.title}: row has {len(cells)} cells, header "
                             f"{len(self.header)}")
        self.rows.append([c if isinstance(c, str) else fmt(c) for c in cells])

    def markdown(self) -> str:
        """GitHub-flavoured Markdown."""
        lines = [f"**{self.title}**", "", "| " + " | ".join(self.header) + " |",
                 "|" + "---|" * len(self.header)]
        lines += ["| " + " | ".join(str(c).replace("|", "\\|") for c in r) + " |"
                  for r in self.rows]
        lines += [""] + [f"- {n}" for n in self.notes] if self.notes else []
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"title": self.title, "header": self.header, "rows": self.rows,
                "notes": self.notes}


@dataclass(kw_only=True)
class Summary:
    """What an experiment prints and saves: tables, report paths, parse counts, timing."""

    name: str
    args: ExperimentArgs
    prog: str | None = None
    tables: list[Table] = field(default_factory=list)
    reports: dict[str, str] = field(default_factory=dict)
    skipped_reports: list[str] = field(default_factory=list)
    parse_status: dict[str, dict[str, int]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.perf_counter)

    def table(self, title: str, header: list[str]) -> Table:
        """Start a new table."""
        t = Table(title=title, header=header)
        self.tables.append(t)
        return t

    def record_run(self, label: str, result: RunResult) -> None:
        """Note a run's parse-status counts."""
        counts = parse_counts(result.records)
        if counts:
            self.parse_status[label] = counts

    def add_report(self, label: str, result: RunResult, *, baseline: str | None = None,
                   n_boot: int = 200, always: bool = False) -> None:
        """Write a run's HTML report; with ``--smoke`` only the first one (and ``always``)."""
        if self.args.smoke and self.reports and not always:
            self.skipped_reports.append(str(result.out))
            return
        self.reports[label] = str(write_run_report(result, baseline=baseline, n_boot=n_boot,
                                                   seed=self.args.seed))

    def command(self) -> str:
        """The command that reproduces the run."""
        prog = self.prog or f"python -m experiments.{self.name}"
        return " ".join([prog, *(shlex.quote(a) for a in self.args.argv)])

    def parse_table(self) -> Table | None:
        """LLM answers by parse status over every run."""
        if not self.parse_status:
            return None
        t = Table(title="LLM answers by parse status",
                  header=["run", "decisions", "ok", "repaired", "fallback"])
        for label, c in self.parse_status.items():
            t.add(label, sum(c.values()), c.get("ok", 0), c.get("repaired", 0),
                  c.get("fallback", 0))
        return t

    def totals(self) -> dict[str, int]:
        """Parse-status counts summed over runs."""
        out: dict[str, int] = {}
        for c in self.parse_status.values():
            for k, v in c.items():
                out[k] = out.get(k, 0) + v
        return out

    def markdown(self) -> str:
        """Every table with the command and timing."""
        wall = time.perf_counter() - self.started
        parts = [f"# {self.name}", "", f"Command: `{self.command()}`", "",
                 f"Output: `{self.args.out}`; wall time {wall:.0f} s.", ""]
        parts += [f"{n}" for n in self.notes] + ([""] if self.notes else [])
        tables = list(self.tables)
        pt = self.parse_table()
        if pt is not None:
            tables.append(pt)
        parts += [t.markdown() + "\n" for t in tables]
        if self.reports:
            parts += ["Reports:", ""] + [f"- {k}: `{v}`" for k, v in self.reports.items()] + [""]
        if self.skipped_reports:
            parts += ["Reports not written in --smoke mode (write one with `agora report DIR`): "
                      + ", ".join(f"`{d}`" for d in self.skipped_reports), ""]
        return "\n".join(parts)

    def write(self) -> Path:
        """Print the summary and write ``summary.md`` and ``summary.json`` into ``--out``."""
        text = self.markdown()
        print(text)
        self.args.out.mkdir(parents=True, exist_ok=True)
        path = self.args.out / "summary.md"
        path.write_text(text + "\n")
        blob = {"experiment": self.name, "command": self.command(),
                "wall_s": time.perf_counter() - self.started,
                "tables": [t.to_dict() for t in self.tables], "reports": self.reports,
                "parse_status": self.parse_status, "parse_status_total": self.totals(),
                "notes": self.notes}
        (self.args.out / "summary.json").write_text(json.dumps(blob, indent=1) + "\n")
        return path


def write_run_report(result: RunResult | Path, *, baseline: str | None = None,
                     n_boot: int = 200, seed: int = 0, out: Path | None = None) -> Path:
    """The HTML (and Markdown) analysis report of one run; returns the HTML path."""
    from agora.analysis.report import write_report

    html, _ = write_report(result, out=out, baseline=baseline, n_boot=n_boot, seed=seed)
    return html
