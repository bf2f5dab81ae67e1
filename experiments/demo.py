"""``agora demo``: the census tournament at a size that finishes in about ten minutes.

A census-calibrated population of adult personas plays p-beauty, dictator, ultimatum,
bargaining and negotiation games over rounds on a small-world network with the embedded CPU
model (or ``--backend vllm|openai``), then writes the records, the population validation report,
an HTML report per game and ``index.html`` to ``--out`` (default ``runs/demo``). ``--smoke``
runs a tiny population in seconds (CI). The experiment itself is
:mod:`experiments.census_tournament`. The command reaches ``agora`` through the
``agora.commands`` entry point (see pyproject), so agora itself never imports experiments.
"""

from __future__ import annotations

from dataclasses import replace

PROG = "agora demo"
DESCRIPTION = ("Run the census tournament (experiments.census_tournament) at a size that "
               "finishes in about ten minutes on two CPU cores with the embedded model; "
               "--smoke for a tiny CI run.")


def demo_main(argv: list[str]) -> int:
    """The census tournament on the embedded model in ~10 minutes (--smoke: tiny).

    Runs ``agora demo [--smoke] [--n N] [--out DIR] [--backend ...]``; returns the status."""
    from experiments import census_tournament as ct
    from experiments._common import ExperimentArgs, experiment_main

    def run(args: ExperimentArgs) -> int:
        cfg = ct.SMOKE if args.smoke else ct.DEMO
        if args.n is not None:
            cfg = replace(cfg, personas=args.n)
        return ct.run(args, cfg, prog=PROG)

    return experiment_main(ct.NAME, DESCRIPTION, argv=argv, run=run, prog=PROG,
                           out_name="demo",
                           n_help=f"personas in the population (default {ct.DEMO.personas})")
