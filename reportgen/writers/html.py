"""Model -> self-contained HTML through Jinja2 (autoescape on, undefined names are errors)."""
from __future__ import annotations

import base64
import re
from functools import lru_cache
from pathlib import Path

import jinja2
from markupsafe import Markup

from .. import charts
from ..model import Figure, Report

TEMPLATES = Path(__file__).resolve().parent.parent.parent / "templates"
STYLESHEET = TEMPLATES / "print.css"   # the full report's; an edition's layout has its own (<layout>.css)


def stylesheet(report: Report) -> str:
    """The print stylesheet of the report's layout, relative to templates/."""
    return f"{report.edition.layout}.css" if report.edition else STYLESHEET.name


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES / "html"), autoescape=True,
                              undefined=jinja2.StrictUndefined, trim_blocks=False, lstrip_blocks=False,
                              keep_trailing_newline=True)


def page_css(report: Report) -> str:
    """The per-document part of the print stylesheet: paper size and the localised page footer."""
    parts = re.split(r"(\{page\}|\{pages\})", report.labels["page_of"])
    content = " ".join({"{page}": "counter(page)", "{pages}": "counter(pages)"}.get(part, _css_string(part))
                       for part in parts if part)
    size = "A4" if report.paper == "A4" else "letter"
    return f"@page {{ size: {size}; @bottom-right {{ content: {content}; }} }}\n" \
           f"@page :first {{ @bottom-right {{ content: none; }} }}"


def _css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render(report: Report, images: dict[str, bytes] | None = None, stylesheet_href: str | None = None) -> str:
    """HTML for WeasyPrint (stylesheet linked) or, with stylesheet_href=None, for a browser (inlined)."""
    images = images if images is not None else render_charts(report, "svg")

    def figure_uri(figure: Figure) -> str:
        """Charts and images travel inside the HTML as data: URIs; nothing is fetched when rendering."""
        if figure.chart is not None:
            return "data:image/svg+xml;base64," + base64.b64encode(images[figure.chart.id]).decode("ascii")
        mime = "image/png" if figure.image.lower().endswith(".png") else "image/jpeg"
        return f"data:{mime};base64," + base64.b64encode(Path(figure.image).read_bytes()).decode("ascii")

    inline_css = page_css(report)
    if stylesheet_href is None:
        inline_css = _self_contained_css(stylesheet(report)) + "\n" + inline_css
    layout = report.edition.layout if report.edition else "report"
    template = _environment().get_template(f"{layout}.html.j2")
    return template.render(report=report, labels=report.labels, figure_uri=figure_uri,
                           stylesheets=[stylesheet_href] if stylesheet_href else [],
                           inline_css=Markup(inline_css))


def render_charts(report: Report, fmt: str) -> dict[str, bytes]:
    return {chart.id: charts.render(chart)[fmt] for chart in report.charts}


@lru_cache(maxsize=2)
def _self_contained_css(name: str) -> str:
    """A stylesheet with its font URLs turned into data: URIs, so the HTML preview needs no other file."""
    css = (TEMPLATES / name).read_text(encoding="utf-8")

    def embed(match: re.Match) -> str:
        data = (TEMPLATES / match.group(1)).read_bytes()
        return "url(data:font/ttf;base64," + base64.b64encode(data).decode("ascii") + ")"

    return re.sub(r"url\((fonts/[A-Za-z-]+\.ttf)\)", embed, css)


def write(report: Report, path: Path, images: dict[str, bytes] | None = None, provenance: dict | None = None) -> dict:
    path.write_text(render(report, images), encoding="utf-8")
    return {}
