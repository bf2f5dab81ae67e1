"""Renderers of a :class:`~agora.analysis.report.model.Report`: self-contained HTML (figures
embedded as base64 PNG) and Markdown (figures written to a folder next to it)."""

from __future__ import annotations

import base64
import html
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from agora.analysis.report.model import Report

CSS = ("body{font-family:system-ui,sans-serif;max-width:1000px;margin:2em auto;padding:0 1em;"
       "color:#222}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;"
       "padding:.25em .6em;text-align:left;font-size:.9em}caption{font-weight:600;"
       "text-align:left;padding:.3em 0}figure{margin:1em 0}img{max-width:100%}"
       "nav ul{columns:2}h2{border-bottom:2px solid #ddd;padding-bottom:.2em}")


def fmt(x: Any) -> str:
    """A table cell as text (floats to four significant digits)."""
    if isinstance(x, bool) or x is None:
        return str(x)
    if isinstance(x, float | np.floating):
        return "nan" if math.isnan(x) else f"{x:.4g}"
    return str(x)


def render_html(report: Report, *, standalone: bool = True) -> str:
    """The report as one self-contained HTML page, or (``standalone=False``) as a fragment
    for a notebook cell: no document head or body, the style scoped to the report."""
    body = "\n".join(_html_body(report))
    if not standalone:
        return (f'<div class="agora-report"><style>{_scoped(CSS, ".agora-report")}</style>\n'
                f"{body}\n</div>\n")
    esc = html.escape
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{esc(report.title)}</title><style>{CSS}</style></head><body>\n"
            f"{body}\n</body></html>\n")


def _scoped(css: str, scope: str) -> str:
    """``css`` with every rule limited to elements inside ``scope`` (``body`` becomes it)."""
    out = []
    for rule in filter(None, css.split("}")):
        selectors, body = rule.split("{", 1)
        out.append(",".join(scope if x.strip() == "body" else f"{scope} {x.strip()}"
                            for x in selectors.split(",")) + "{" + body + "}")
    return "".join(out)


def _html_body(report: Report) -> list[str]:
    esc = html.escape
    parts = [f"<h1>{esc(report.title)}</h1>", "<nav><ul>"]
    parts += [f'<li><a href="#{s.id}">{esc(s.title)}</a></li>'
              for s in report.sections.values()]
    parts.append("</ul></nav>")
    for s in report.sections.values():
        parts.append(f'<section id="{s.id}"><h2>{esc(s.title)}</h2>')
        for kind, content in s.blocks:
            if kind == "text":
                parts.append(f"<p>{esc(content)}</p>")
            elif kind == "table":
                caption, header, rows = content
                parts.append(f"<table><caption>{esc(caption)}</caption><thead><tr>"
                             + "".join(f"<th>{esc(str(h))}</th>" for h in header)
                             + "</tr></thead><tbody>")
                parts += ["<tr>" + "".join(f"<td>{esc(fmt(c))}</td>" for c in r) + "</tr>"
                          for r in rows]
                parts.append("</tbody></table>")
            else:
                name, caption, b64 = content
                parts.append(f'<figure id="fig-{name}"><img alt="{esc(caption)}" '
                             f'src="data:image/png;base64,{b64}"><figcaption>'
                             f"{esc(caption)}</figcaption></figure>")
        parts.append("</section>")
    return parts


def render_markdown(report: Report, figure_dir: Path | None = None,
                    link_prefix: str = "") -> str:
    """The report as Markdown; figures are written as PNG files into ``figure_dir`` when
    given (linked as ``link_prefix + name.png``), else referred to the HTML report."""
    out = [f"# {report.title}", ""]
    for s in report.sections.values():
        out += [f"## {s.title}", ""]
        for kind, content in s.blocks:
            if kind == "text":
                out += [content, ""]
            elif kind == "table":
                caption, header, rows = content
                out += [f"**{caption}**", "", "| " + " | ".join(map(str, header)) + " |",
                        "|" + "---|" * len(header)]
                out += ["| " + " | ".join(fmt(c).replace("|", "\\|") for c in r) + " |"
                        for r in rows]
                out.append("")
            else:
                name, caption, b64 = content
                if figure_dir is not None:
                    figure_dir.mkdir(parents=True, exist_ok=True)
                    (figure_dir / f"{name}.png").write_bytes(base64.b64decode(b64))
                    out += [f"![{caption}]({link_prefix}{name}.png)", ""]
                else:
                    out += [f"*Figure: {caption}* (see the HTML report)", ""]
    return "\n".join(out)
