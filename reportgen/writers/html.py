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
FONTS_CSS = "fonts.css"                # faces and colour variables every layout shares, linked first


def stylesheets(report: Report) -> list[str]:
    """The print stylesheets of the report's layout, relative to templates/: the shared one, then its own."""
    return [FONTS_CSS, f"{report.edition.layout}.css" if report.edition else STYLESHEET.name]


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


def render(report: Report, images: dict[str, bytes] | None = None, linked: bool = False) -> str:
    """HTML for WeasyPrint (linked=True: stylesheets linked from templates/) or for a browser (inlined)."""
    images = images if images is not None else render_charts(report, "svg")

    def figure_uri(figure: Figure) -> str:
        """Charts and images travel inside the HTML as data: URIs; nothing is fetched when rendering."""
        if figure.chart is not None:
            return "data:image/svg+xml;base64," + base64.b64encode(images[figure.chart.id]).decode("ascii")
        mime = "image/png" if figure.image.lower().endswith(".png") else "image/jpeg"
        return f"data:{mime};base64," + base64.b64encode(Path(figure.image).read_bytes()).decode("ascii")

    inline_css = page_css(report)
    layout = report.edition.layout if report.edition else "report"
    template = _environment().get_template(f"{layout}.html.j2")
    if linked:
        return template.render(report=report, labels=report.labels, figure_uri=figure_uri,
                               stylesheets=stylesheets(report), inline_css=Markup(inline_css))
    # Self-contained: fonts are embedded once the text is known, cut down to the characters it uses.
    page = template.render(report=report, labels=report.labels, figure_uri=figure_uri, stylesheets=[],
                           inline_css=Markup(_FONTS_HERE + "\n" + inline_css))
    used = frozenset(page + inline_css)
    css = "\n".join(_self_contained_css(name, used) for name in stylesheets(report))
    return page.replace(_FONTS_HERE, css, 1)


def render_charts(report: Report, fmt: str) -> dict[str, bytes]:
    return {chart.id: charts.render(chart)[fmt] for chart in report.charts}


_FONTS_HERE = "/* reportgen: stylesheet with embedded fonts */"
# Characters a browser may draw that the page does not spell out: list bullets, hyphenation, ASCII.
_ALWAYS = frozenset("•◦▪‐-–—…" + "".join(chr(c) for c in range(0x20, 0x7F)))


def _self_contained_css(name: str, used: frozenset[str]) -> str:
    """A stylesheet of templates/ with its fonts embedded as data: URIs, so the HTML preview
    needs no other file. Each font is cut down to the characters the page uses (fontTools, which WeasyPrint
    already brings); a face that has none of them (Hebrew in an English page) is left out: the preview of a
    short report stays small."""
    css = (TEMPLATES / name).read_text(encoding="utf-8")
    used = used | _ALWAYS

    def face(match: re.Match) -> str:
        font = _subset(match.group(1), used)
        if font is None:
            return ""
        mime, data = font
        return match.group(0).replace(f"url({match.group(1)})",
                                      f"url(data:{mime};base64,{base64.b64encode(data).decode('ascii')})")

    return re.sub(r"@font-face \{[^}]*url\((fonts/[A-Za-z-]+\.ttf)\)[^}]*\}", face, css)


@lru_cache(maxsize=64)
def _subset(font: str, used: frozenset[str]) -> tuple[str, bytes] | None:
    import io

    from fontTools import subset
    from fontTools.ttLib import TTFont

    source = TTFont(TEMPLATES / font, lazy=False)
    characters = {ord(c) for c in used} & set(source.getBestCmap())
    if not any(chr(c).isalpha() for c in characters):   # a script the page does not use
        return None
    options = subset.Options()
    options.recalc_timestamp = False        # same input, same bytes
    options.drop_tables += ["Silf", "Silt", "Sill", "Glat", "Gloc", "Feat"]   # Graphite: browsers use OpenType
    try:
        import brotli  # noqa: F401  (WOFF2 needs it; WeasyPrint's fontTools[woff] brings it)
        options.flavor, mime = "woff2", "font/woff2"
    except ImportError:
        mime = "font/ttf"
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=characters)
    subsetter.subset(source)
    buffer = io.BytesIO()
    source.flavor = options.flavor
    source.save(buffer)
    return mime, buffer.getvalue()


def write(report: Report, path: Path, images: dict[str, bytes] | None = None, provenance: dict | None = None) -> dict:
    path.write_text(render(report, images), encoding="utf-8")
    return {}
