"""The report's document model: a :class:`Report` of :class:`Section` s of blocks.

A block is a paragraph (``text``), a table (caption, header, rows) or a figure (name, caption
and the PNG as base64, rendered when the figure is added so the matplotlib object can be
freed). Rendering to HTML and Markdown lives in :mod:`agora.analysis.report.renderers`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from agora.analysis.plots import figure_to_base64

SECTIONS = (("config", "Configuration"), ("telemetry", "Telemetry"),
            ("equilibrium", "Equilibrium benchmark"), ("welfare", "Welfare and inequality"),
            ("rationality", "Rationality: fitted parameters"),
            ("human-comparison", "Human comparison"), ("figures", "Figures"),
            ("subgroups", "Subgroups"))
"""Section ids and titles, in report order."""


@dataclass(kw_only=True)
class Section:
    """One report section: paragraphs, tables and figures, in order."""

    id: str
    title: str
    blocks: list[tuple[str, Any]] = field(default_factory=list)

    def text(self, s: str) -> None:
        """Add a paragraph."""
        self.blocks.append(("text", s))

    def table(self, caption: str, header: list[str], rows: list[list[Any]]) -> None:
        """Add a table."""
        self.blocks.append(("table", (caption, header, rows)))

    def figure(self, name: str, caption: str, fig: Figure) -> None:
        """Add a figure (rendered to PNG now)."""
        self.blocks.append(("figure", (name, caption, figure_to_base64(fig))))
        fig.clear()


@dataclass(kw_only=True)
class Report:
    """A run report: sections plus the fitted estimates as plain data."""

    title: str
    sections: dict[str, Section]
    estimates: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def empty(cls, title: str) -> Report:
        """A report with every section of :data:`SECTIONS`, empty."""
        return cls(title=title, sections={sid: Section(id=sid, title=t) for sid, t in SECTIONS})

    def to_html(self) -> str:
        """Self-contained HTML."""
        from agora.analysis.report.renderers import render_html

        return render_html(self)

    def to_markdown(self, figure_dir: Path | None = None, link_prefix: str = "") -> str:
        """Markdown; figures are written as PNG files into ``figure_dir`` when given."""
        from agora.analysis.report.renderers import render_markdown

        return render_markdown(self, figure_dir, link_prefix)

    def __repr__(self) -> str:
        # Not the dataclass repr, which would spell out every figure's base64 PNG (and be
        # stored as a notebook's text/plain output next to the HTML).
        return (f"Report({self.title!r}; sections: "
                f"{', '.join(s.title for s in self.sections.values())}; "
                f"{len(self.estimates)} estimates)")

    def _repr_html_(self) -> str:
        """Jupyter's inline display: the report as an HTML fragment."""
        from agora.analysis.report.renderers import render_html

        return render_html(self, standalone=False)
