"""``agora report RUN_DIR [--baseline NAME] [--out PATH]``: write a run's report to files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from agora.analysis import baselines as bl
from agora.analysis.estimate import DEFAULT_BOOT, DEFAULT_SEED
from agora.analysis.report.plan import analyse


def write_report(run: Any, *, out: str | Path | None = None, baseline: str | None = None,
                 n_boot: int = DEFAULT_BOOT, seed: int = DEFAULT_SEED,
                 markdown: bool = True) -> tuple[Path, Path | None]:
    """Write ``report.html`` (and ``report.md`` with a figure folder); returns their paths."""
    run_dir = Path(run) if isinstance(run, str | Path) else getattr(run, "out", None)
    report = analyse(run, baseline=baseline, n_boot=n_boot, seed=seed)
    html_path = Path(out) if out is not None else Path(run_dir or ".") / "report.html"
    if html_path.suffix.lower() not in (".html", ".htm"):
        html_path = html_path / "report.html" if html_path.is_dir() or not html_path.suffix \
            else html_path.with_suffix(".html")
    html_path.parent.mkdir(parents=True, exist_ok=True)
    html_path.write_text(report.to_html())
    md_path = None
    if markdown:
        md_path = html_path.with_suffix(".md")
        fig_dir = html_path.parent / f"{html_path.stem}_figures"
        md_path.write_text(report.to_markdown(fig_dir, link_prefix=f"{fig_dir.name}/"))
    return html_path, md_path


def build_parser() -> argparse.ArgumentParser:
    """Arguments of ``agora report``."""
    parser = argparse.ArgumentParser(
        prog="agora report", description="Write an HTML and Markdown analysis report of a run.")
    parser.add_argument("run_dir", help="finished run directory (manifest.json, records.parquet)")
    parser.add_argument("--baseline", help="human baseline: one of "
                        + ", ".join(bl.list_baselines()) + ", or 'none' (default: the game's)")
    parser.add_argument("--out", help="HTML path (default: RUN_DIR/report.html); the Markdown "
                                      "report goes next to it")
    parser.add_argument("--n-boot", type=int, default=DEFAULT_BOOT,
                        help=f"bootstrap replicates (default {DEFAULT_BOOT})")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="bootstrap seed")
    parser.add_argument("--no-markdown", action="store_true", help="write the HTML only")
    return parser


def report_main(argv: list[str]) -> int:
    """``agora report RUN_DIR [--baseline NAME] [--out PATH]``; returns the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    if args.baseline and args.baseline != "none" and args.baseline not in bl.list_baselines():
        print(f"agora report: error: unknown baseline {args.baseline!r}; known: "
              f"{', '.join(bl.list_baselines())}", file=sys.stderr)
        return 2
    if args.n_boot < 0:
        print("agora report: error: --n-boot must be >= 0", file=sys.stderr)
        return 2
    try:
        html_path, md_path = write_report(args.run_dir, out=args.out, baseline=args.baseline,
                                          n_boot=args.n_boot, seed=args.seed,
                                          markdown=not args.no_markdown)
    except (FileNotFoundError, NotADirectoryError, ValueError) as exc:
        print(f"agora report: error: {exc}", file=sys.stderr)
        return 2
    print(f"report: {html_path}")
    if md_path is not None:
        print(f"markdown: {md_path}")
    return 0
