"""Read built documents back: text, headings and section order from PDF (pypdf), DOCX (python-docx), HTML."""
from __future__ import annotations

import re
from pathlib import Path

import docx
from docx.oxml.ns import qn
from pypdf import PdfReader


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)


def pdf_outline_titles(path: Path) -> list[str]:
    reader = PdfReader(path)
    titles: list[str] = []

    def walk(items) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                titles.append(item.title)

    walk(reader.outline)
    return titles


def pdf_anchor_order(path: Path, ids: list[str]) -> list[str]:
    """The given ids in the order their named destinations appear in the PDF (page, then top to bottom)."""
    reader = PdfReader(path)
    places = {name: (reader.get_destination_page_number(dest), -float(dest.top))
              for name, dest in reader.named_destinations.items() if name in ids}
    return sorted(places, key=places.get)


def docx_headings(path: Path) -> list[tuple[str, str]]:
    return [(p.style.name, p.text) for p in docx.Document(str(path)).paragraphs
            if p.style.name.startswith("Heading")]


def docx_bookmarks(path: Path) -> list[str]:
    body = docx.Document(str(path)).element.body
    return [b.get(qn("w:name")) for b in body.iter(qn("w:bookmarkStart"))]


def paragraph_text(paragraph) -> str:
    """A paragraph's text as Word shows it, the runs inside content controls (w:sdt) included: python-docx's
    `paragraph.text` and `.runs` skip them, and every printed figure, year, citation and reference is in one."""
    from docx.text.run import Run
    return "".join(Run(r, paragraph).text for r in paragraph._p.iter(qn("w:r")))


def docx_text(path: Path) -> str:
    document = docx.Document(str(path))
    parts = [paragraph_text(p) for p in document.paragraphs]
    for table in document.tables:
        parts.extend("\n".join(paragraph_text(p) for p in cell.paragraphs) for row in table.rows for cell in row.cells)
    return "\n".join(parts)


def docx_controls(path: Path) -> list[dict]:
    """Each inline content control of the DOCX body in order: tag, alias, id, lock, its text, and the anchor of
    the hyperlink it holds (a citation's or a reference's)."""
    body = docx.Document(str(path)).element.body
    found = []
    for sdt in body.iter(qn("w:sdt")):
        properties = sdt.find(qn("w:sdtPr"))
        value = lambda tag: (properties.find(qn(tag)).get(qn("w:val")) if properties.find(qn(tag)) is not None
                             else None)  # noqa: E731
        content = sdt.find(qn("w:sdtContent"))
        link = content.find(qn("w:hyperlink"))
        found.append({"tag": value("w:tag"), "alias": value("w:alias"), "id": value("w:id"), "lock": value("w:lock"),
                      "placeholder": properties.find(qn("w:showingPlcHdr")) is not None,
                      "text": "".join(t.text or "" for t in content.iter(qn("w:t"))),
                      "link": link.get(qn("w:anchor")) if link is not None else None,
                      "in_paragraph": sdt.getparent().tag in (qn("w:p"), qn("w:hyperlink"))})
    return found


def html_section_ids(path: Path) -> list[str]:
    return re.findall(r'<section class="level-\d+" id="([^"]+)"', path.read_text(encoding="utf-8"))


def normalise_spaces(text: str) -> str:
    return re.sub(r"[\s\u00a0\u202f]+", " ", text)


CITATION = re.compile(r"\[(\d+)\]")


def pdf_citations(path: Path) -> list[int]:
    """The source numbers cited in the text, in reading order (the content stream's order, as pypdf reads it)."""
    text = pdf_text(path)
    return [int(n) for n in CITATION.findall(text)]


def docx_citations(path: Path) -> list[tuple[int, str]]:
    """Each citation of the DOCX in body order: its number and the bookmark its link points to."""
    body = docx.Document(str(path)).element.body
    found = []
    for link in body.iter(qn("w:hyperlink")):
        text = "".join(t.text or "" for t in link.iter(qn("w:t")))
        match = CITATION.fullmatch(text)
        if match:
            found.append((int(match.group(1)), link.get(qn("w:anchor"))))
    return found
