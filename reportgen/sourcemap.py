"""The source map a DOCX carries: for every place a reviewer can mark, the content file, key and text behind it.

Places are named as `review` finds them while reading the document: the content bookmark before the mark
(see the DOCX writer's bookmarks), then `p<n>`, the n-th paragraph from the bookmark's own, or `r<n>`, the
n-th row of the table after it (`r0` its header). The writer stores these entries in a custom XML part, so a
returned file is resolved against what the reviewer saw; `review` computes them again from today's content
to find where a text is now.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from . import model as m
from .assemble import plain
from .load import key_path

NAMESPACE = "urn:reportgen:source-map:1"
COVER, CONTENTS = "(cover)", "(contents)"   # the places before the first section's bookmark
COVER_FROM_META = ("classification", "title", "subtitle")   # <lang>/meta.yaml; the rest is report.yaml


@dataclass(frozen=True)
class Entry:
    anchor: str     # bookmark name, or COVER
    at: str         # p<n> | r<n>
    file: str       # relative to the content folder's parent: belgium/en/help-us.yaml
    path: tuple     # key path inside the file
    text: str       # the plain text printed there (content text: labels and numbers around it left out)
    controls: tuple = ()   # (tag, text) of each content control in it, in order (see `controls`)

    @property
    def key(self) -> str:
        return key_path(self.path)


def entries(report: m.Report) -> list[Entry]:
    from .writers.docx import bookmark_name, source_bookmark
    found = list(_cover(report))
    for section in m.walk(report.sections):
        found.append(Entry(bookmark_name(section.id), "p0", section.origin.file, section.origin.path + ("title",),
                           section.title))
        blocks = list(section.blocks)
        while blocks:
            block = blocks.pop(0)
            if isinstance(block, m.Callout):
                blocks[:0] = list(block.blocks)
            found.extend(_block(block, bookmark_name))
    for source in report.sources:
        if source.origin is not None:
            found.append(Entry(source_bookmark(source.number), "p0", source.origin.file, source.origin.path,
                               f"{source.publisher}, {source.title}, {source.year}"))
    return found


def controls(spans) -> tuple:
    """(tag, text) of the content controls the DOCX writer puts around the placeholders of `spans`: `review` reads
    a control's tag from the map where an editor dropped it (LibreOffice 7.4 keeps the control, not its tag)."""
    found: list = []
    for span in spans:
        if isinstance(span, (m.Strong, m.Emph, m.Link)):
            found.extend(controls(span.children))
        elif getattr(span, "origin", None):
            found.append((span.origin, plain((span,))))
    return tuple(found)


def _cover(report: m.Report):
    folder = report.id
    values = ([("classification", report.classification)] if report.classification else []) + [
        ("title", report.title), ("subtitle", report.subtitle), ("facts_as_of", report.facts_as_of_text),
        ("date", report.date_text), ("version", report.version), ("authors", ", ".join(report.authors))]
    for index, (name, value) in enumerate(values):
        file = f"{folder}/{report.lang}/meta.yaml" if name in COVER_FROM_META else f"{folder}/report.yaml"
        yield Entry(COVER, f"p{index}", file, (name,), value)


def _block(block, bookmark_name):
    """The entries of one block, in the paragraphs and rows the DOCX writer gives it."""
    anchor, file, path = bookmark_name(block.anchor), block.origin.file, block.origin.path
    at = lambda where, sub, text, spans=(): Entry(anchor, where, file, path + sub, text, controls(spans))  # noqa: E731
    if isinstance(block, m.Paragraph):
        yield at("p0", (), plain(block.spans), block.spans)
    elif isinstance(block, (m.BulletList, m.NumberedList)):
        kind = "bullets" if isinstance(block, m.BulletList) else "numbered"
        for index, item in enumerate(block.items):
            yield at(f"p{index}", (kind, index), plain(item), item)
    elif isinstance(block, m.Table):
        yield at("p0", ("table", "caption"), plain(block.caption), block.caption)
        yield at("r0", ("table", "header"), " | ".join(plain(cell) for cell in block.header),
                 [span for cell in block.header for span in cell])
        for index, row in enumerate(block.rows):
            yield at(f"r{index + 1}", ("table", "rows", index), " | ".join(plain(cell) for cell in row),
                     [span for cell in row for span in cell])
    elif isinstance(block, m.Figure):
        yield at("p0", ("figure",), block.alt)
        yield at("p1", ("figure", "caption"), plain(block.caption), block.caption)
    elif isinstance(block, m.KeyFigures):
        yield at("p0", ("keyfigures", "title"), block.title)
        for index, item in enumerate(block.items):
            yield at(f"p{index + 1}", ("keyfigures", "items", index), f"{item.label} — {item.value}",
                     item.value_and_note())
    elif isinstance(block, m.Callout):
        yield at("p0", ("callout", "title"), block.title)
    elif isinstance(block, m.Recommendations):
        for index, card in enumerate(block.items):   # each card has its own bookmark, on its title
            card_anchor = bookmark_name(card.anchor)
            card_path = path + ("recommendations", "items", index)
            yield Entry(card_anchor, "p0", file, card_path + ("title",), plain(card.title), controls(card.title))
            for number, part in enumerate(card.fields, start=1):
                yield Entry(card_anchor, f"p{number}", file, card_path + (part.key,), plain(part.spans),
                            controls(part.spans))


def to_xml(found: list[Entry]) -> bytes:
    """The custom XML part: one <place> per entry, in document order (deterministic bytes)."""
    rows = "".join(f"<place anchor={quoteattr(e.anchor)} at={quoteattr(e.at)} file={quoteattr(e.file)} "
                   f"path={quoteattr(json.dumps(list(e.path), ensure_ascii=False))}"
                   + (f" controls={quoteattr(json.dumps(e.controls, ensure_ascii=False))}" if e.controls else "")
                   + f">{escape(e.text)}</place>" for e in found)
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sourceMap xmlns="{NAMESPACE}">{rows}'
            "</sourceMap>").encode("utf-8")


def from_element(element) -> Entry | None:
    """One <place> read back by `review` (None when malformed: the place is then resolved from today's content)."""
    try:
        path = tuple(json.loads(element.get("path") or "null"))
        found = tuple(tuple(pair) for pair in json.loads(element.get("controls") or "[]")[:1000])
    except (ValueError, TypeError):
        return None
    if not all(isinstance(part, (str, int)) for part in path):
        return None
    found = tuple(pair for pair in found if len(pair) == 2 and all(isinstance(x, str) for x in pair))
    return Entry(element.get("anchor") or "", element.get("at") or "", element.get("file") or "", path,
                 (element.text or "")[:10_000], found)
