"""`build.py review REVIEWED.docx`: list a reviewer's comments and tracked changes, keyed to the content.

Every section and block of a DOCX we write starts with a bookmark named after its content id. Reading the
reviewed file in document order, each comment range and each insertion or deletion is attributed to the last
bookmark before it; assembling the same report again maps that bookmark to the YAML file, line and key.
"""
from __future__ import annotations

import json
import os
import re
import sys
import unicodedata
import zipfile
import zlib
from dataclasses import asdict, dataclass, field
from pathlib import Path

from lxml import etree

from .errors import UsageError
from .load import open_regular

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
CP = "http://schemas.openxmlformats.org/package/2006/metadata/core-properties"
DC = "http://purl.org/dc/elements/1.1/"


def _w(tag: str) -> str:
    return f"{{{W}}}{tag}"


@dataclass
class Place:
    """Where in the document a remark sits: the last content bookmark, and the paragraph or row after it.

    One Place per paragraph, shared by the remarks in it, so a bookmark met later in the same paragraph
    (LibreOffice puts an insertion typed at a paragraph's start before our bookmark) moves them all."""
    anchor: str | None
    item: int = 0             # paragraphs since the anchor's first one: the list item, card field, box item
    row: int = -1             # table rows since the anchor: -1 is the caption above the table
    new: bool = False         # a paragraph the reviewer added: `item` is then the one it follows
    text: str = ""            # the paragraph as built (inserted text left out), for matching by text


@dataclass
class Remark:
    kind: str                 # comment | insertion | deletion
    author: str
    date: str
    text: str                 # the comment, or the inserted/deleted text
    anchored_text: str        # what the comment is attached to
    anchor: str | None        # bookmark of the section or block
    file: str | None = None   # content file, line and key the anchor comes from
    line: int | None = None
    key: str | None = None
    position: str = ""        # "new after" for a paragraph the reviewer added, "footnote" for a remark in one
    end_key: str | None = None      # the other end of a comment whose range spans blocks
    note: str = ""            # why a remark has no location, or how it was found
    place: Place | None = field(default=None, repr=False)
    end_place: Place | None = field(default=None, repr=False)

    def as_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if k not in ("place", "end_place")}

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}: {self.key}" if self.file else "(no content location)"
        if self.position:
            where += f" ({self.position})"
        if self.end_key and self.end_key != self.key:
            where += f" .. {self.end_key}"
        what = {"comment": "comment", "insertion": "inserted", "deletion": "deleted"}[self.kind]
        quote = f' on "{_short(self.anchored_text)}"' if self.kind == "comment" and self.anchored_text else ""
        note = f" [{clean(self.note)}]" if self.note else ""
        return (f"{where}: {what} by {clean(self.author) or 'unknown'} {clean(self.date[:10])}: "
                f"\"{_short(self.text, 200)}\"{quote}{note}")


def clean(text: str) -> str:
    """One printable line: control, format and line-separator characters (newlines, escapes, bidi overrides)
    become spaces, so no author or text can forge a remark line or recolour a terminal."""
    return "".join(" " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in text)


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(clean(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _text(element) -> str:
    return "".join(node.text or "" for node in element.iter(_w("t"), _w("delText")))


MAX_DOCX_BYTES = 200_000_000      # the file as sent back
MAX_PART_BYTES = 100_000_000      # one XML part, uncompressed
MAX_RATIO = 200                   # uncompressed / compressed: Word's XML compresses about 5-35 times
MAX_TEXT = 10_000                 # characters kept of one comment, one change or one commented passage


class UnreadableDocx(Exception):
    """The file is not a DOCX this command can read safely (exit 2, with the reason)."""


# What a damaged or hostile file can raise while being read: each means "not a readable DOCX".
UNREADABLE = (UnreadableDocx, OSError, KeyError, ValueError, EOFError, RuntimeError, NotImplementedError,
              zipfile.BadZipFile, zlib.error, etree.LxmlError)


COVER, CONTENTS = "(cover)", "(contents)"   # the places before the first section's bookmark


@dataclass
class Reviewed:
    remarks: list[Remark]
    identifier: str           # 'belgium.fr'
    fingerprint: str          # the build's input fingerprint stored in the file, "" when absent
    orphan_marks: int = 0     # comment marks in the text whose comment is missing from comments.xml


def read_remarks(path: Path) -> Reviewed:
    """The remarks of a reviewed DOCX in document order, footnotes' after the body's, and what the file
    says it was built from.

    Hostile files are bounded: only a regular file is opened, every part is size- and ratio-checked before
    it is inflated and parsed as a stream (iterparse, entities never resolved), and the state kept per
    remark is capped, so memory stays flat whatever the document holds.
    """
    with open_regular(path) as stream:   # opened once: what is checked is what is read
        info = os.fstat(stream.fileno())
        if info.st_size > MAX_DOCX_BYTES:
            raise UnreadableDocx(f"{info.st_size:,} bytes, over the limit of {MAX_DOCX_BYTES:,}")
        with zipfile.ZipFile(stream) as package:
            names = set(package.namelist())
            if "word/document.xml" not in names:
                raise UnreadableDocx("no word/document.xml: not a Word document")
            comments = _comments(package) if "word/comments.xml" in names else {}
            identifier = _identifier(package) if "docProps/core.xml" in names else ""
            fingerprint = _fingerprint(package) if "docProps/custom.xml" in names else ""
            walk = _Walk(comments)
            walk.body(package)
            if "word/footnotes.xml" in names:
                walk.footnotes(package)
            walk.unplaced_comments()
            return Reviewed(walk.remarks, identifier, fingerprint, walk.orphan_marks)


def _events(package: zipfile.ZipFile, name: str, events=("end",)):
    """Stream the elements of one part, after checking its declared size and compression ratio."""
    member = package.getinfo(name)
    if member.file_size > MAX_PART_BYTES:
        raise UnreadableDocx(f"{name} is {member.file_size:,} bytes uncompressed, over the limit of "
                             f"{MAX_PART_BYTES:,}")
    if member.file_size > 1_000_000 and member.file_size > MAX_RATIO * max(member.compress_size, 1):
        raise UnreadableDocx(f"{name} inflates {member.file_size // max(member.compress_size, 1):,} times "
                             "(a zip bomb?)")
    # zipfile never returns more than the declared size, so a lying header cannot inflate further.
    with package.open(member) as stream:
        yield from etree.iterparse(stream, events=events, resolve_entities=False, no_network=True,
                                   huge_tree=False, remove_comments=True, remove_pis=True)


def _comments(package: zipfile.ZipFile) -> dict[str, tuple[str, str, str]]:
    comments = {}
    for _, element in _events(package, "word/comments.xml"):
        if element.tag == _w("comment"):
            comments[element.get(_w("id"))] = (element.get(_w("author"), "")[:200], element.get(_w("date"), "")[:40],
                                              _text(element)[:MAX_TEXT])
            element.clear()
    return comments


def _identifier(package: zipfile.ZipFile) -> str:
    for _, element in _events(package, "docProps/core.xml"):
        if element.tag == f"{{{DC}}}identifier":
            return (element.text or "")[:200]
    return ""


def _fingerprint(package: zipfile.ZipFile) -> str:
    """The custom property reportgen-fingerprint (see the DOCX writer's _custom_properties)."""
    for _, element in _events(package, "docProps/custom.xml"):
        if element.tag.endswith("}property") and element.get("name") == "reportgen-fingerprint":
            return "".join(element.itertext())[:100]
    return ""


class _Walk:
    """One pass over document.xml (then footnotes.xml), keeping only what the open remarks need."""

    def __init__(self, comments: dict):
        self.comments = comments
        self.remarks: list[Remark] = []
        self.emitted: set[str] = set()        # comment ids already filed
        self.orphan_marks = 0
        self.anchor, self.item, self.row = COVER, -1, -1
        self.paragraphs: list[dict] = []      # the open paragraphs (text boxes nest them)
        self.inserted_depth = 0
        self.passage: list[str] = []          # text since the oldest open comment range; dropped when none is
        self.passage_length = 0
        self.open_ranges: dict[str, tuple[int, Place]] = {}   # comment id -> passage offset and place of its start
        self.footnote_places: dict[str, Place] = {}

    def place(self) -> Place:
        if self.paragraphs:
            return self.paragraphs[-1]["place"]
        return Place(self.anchor, self.item, self.row)

    def body(self, package: zipfile.ZipFile) -> None:
        for event, element in _events(package, "word/document.xml", ("start", "end")):
            (self.start if event == "start" else self.end)(element)
            tag = element.tag
            if event == "end" and tag in (_w("p"), _w("tbl")) and element.getparent() is not None \
                    and element.getparent().tag == _w("body"):
                element.clear()               # a finished top-level block is no longer needed
                while element.getprevious() is not None:
                    del element.getparent()[0]

    def start(self, element) -> None:
        tag = element.tag
        if tag == _w("p"):
            self.item += 1
            self.paragraphs.append({"place": Place(self.anchor, self.item, self.row), "kept": 0, "inserted": 0,
                                    "text": []})
        elif tag == _w("bookmarkStart") and element.get(_w("name"), "").startswith("a_"):
            # The bookmark sits inside its block's first paragraph: what came before it in that paragraph (an
            # insertion LibreOffice put ahead of it) belongs to the block too.
            self.anchor, self.item, self.row = element.get(_w("name")), 0, -1
            if self.paragraphs:
                place = self.paragraphs[-1]["place"]
                place.anchor, place.item, place.row = self.anchor, 0, -1
        elif tag == _w("tr"):
            self.row += 1
        elif tag == _w("ins"):
            self.inserted_depth += 1
        elif tag == _w("commentRangeStart"):
            self.open_ranges.setdefault(element.get(_w("id")), (self.passage_length, self.place()))

    def end(self, element) -> None:
        tag = element.tag
        if tag in (_w("t"), _w("delText")):
            text = element.text or ""
            if self.paragraphs:
                paragraph = self.paragraphs[-1]
                if tag == _w("t") and self.inserted_depth:
                    paragraph["inserted"] += len(text)
                else:
                    paragraph["kept"] += len(text)
                    if paragraph["kept"] <= MAX_TEXT:
                        paragraph["text"].append(text)
            if tag == _w("t") and self.open_ranges:
                self.passage.append(text)
                self.passage_length += len(text)
        elif tag == _w("commentRangeEnd"):
            comment_id = element.get(_w("id"))
            start = self.open_ranges.pop(comment_id, None)
            if start is not None:
                self.comment(comment_id, start[1], "".join(self.passage)[start[0]:start[0] + MAX_TEXT],
                             self.place())
            if not self.open_ranges:
                self.passage, self.passage_length = [], 0
        elif tag == _w("commentReference"):       # a point comment has only this mark (LibreOffice)
            comment_id = element.get(_w("id"))
            if comment_id not in self.open_ranges:
                self.comment(comment_id, self.place(), "", None)
        elif tag in (_w("ins"), _w("del")):
            if tag == _w("ins"):
                self.inserted_depth -= 1
            changed = _text(element)[:MAX_TEXT]
            if changed.strip():
                self.remarks.append(Remark("insertion" if tag == _w("ins") else "deletion",
                                           element.get(_w("author"), "")[:200], element.get(_w("date"), "")[:40],
                                           changed, "", None, place=self.place()))
        elif tag == _w("footnoteReference"):
            if len(self.footnote_places) < 10_000:
                self.footnote_places[element.get(_w("id"))] = self.place()
        elif tag == _w("p") and self.paragraphs:
            self.end_paragraph(element)

    def end_paragraph(self, element) -> None:
        paragraph = self.paragraphs.pop()
        place = paragraph["place"]
        place.text = "".join(paragraph["text"])
        if paragraph["inserted"] and not paragraph["kept"]:
            # All its text is the reviewer's: a new paragraph or list item after the one before it.
            self.item -= 1
            place.new, place.item = True, self.item
        if self.anchor == COVER and element.find(f"{_w('pPr')}/{_w('sectPr')}") is not None:
            self.anchor, self.item = CONTENTS, -1     # the cover is its own Word section

    def comment(self, comment_id: str, place: Place, anchored: str, end: Place | None, position: str = "") -> None:
        if comment_id in self.emitted:
            return
        if comment_id not in self.comments:
            self.orphan_marks += 1
            return
        self.emitted.add(comment_id)
        author, date, text = self.comments[comment_id]
        self.remarks.append(Remark("comment", author, date, text, anchored, None, position=position, place=place,
                                   end_place=end))

    def footnotes(self, package: zipfile.ZipFile) -> None:
        """Remarks inside a footnote are filed where the footnote's mark is in the text."""
        place = None
        for event, element in _events(package, "word/footnotes.xml", ("start", "end")):
            tag = element.tag
            if event == "start":
                if tag == _w("footnote"):
                    place = self.footnote_places.get(element.get(_w("id")))
                continue
            if tag in (_w("commentRangeStart"), _w("commentReference")):
                self.comment(element.get(_w("id")), place or Place(None), "", None, "in a footnote")
            elif tag in (_w("ins"), _w("del")):
                changed = _text(element)[:MAX_TEXT]
                if changed.strip():
                    self.remarks.append(Remark("insertion" if tag == _w("ins") else "deletion",
                                               element.get(_w("author"), "")[:200],
                                               element.get(_w("date"), "")[:40], changed, "", None,
                                               position="in a footnote", place=place or Place(None)))
            elif tag == _w("footnote"):
                element.clear()

    def unplaced_comments(self) -> None:
        """Comments whose mark is nowhere in the text (their ids match no mark): listed, never dropped."""
        for comment_id, (author, date, text) in self.comments.items():
            if comment_id not in self.emitted:
                self.remarks.append(Remark("comment", author, date, text, "", None,
                                           note=f"comment {clean(comment_id or '')[:20]} has no mark in the text",
                                           place=Place(None)))


def _comparable(text: str) -> str:
    """Text reduced to its words: typography, citation numbers and spacing differ between builds."""
    return re.sub(r"[\W\d_]+", "", unicodedata.normalize("NFKC", text)).casefold()


@dataclass
class _Target:
    """What one bookmark stands for in today's content."""
    kind: str                 # section | block | card | source | sources
    doc: object               # the YamlDoc the key path is in
    path: tuple
    block: object = None


class _Locator:
    def __init__(self, raw, report, content: Path):
        from .load import read_yaml
        from .assemble import plain
        from .model import Callout, Recommendations, walk
        from .validate import walk_sections
        from .writers.docx import bookmark_name, source_bookmark
        self.content, self.raw, self.report = content, raw, report
        docs = {section.doc.file.resolve(): section.doc
                for language in raw.languages.values() for section in walk_sections(language.sections)}
        doc_of = lambda origin: docs.get((raw.folder.parent / origin.file).resolve())  # noqa: E731
        self.targets: dict[str, _Target] = {}
        self.rendered: dict[tuple, set] = {}          # (id of doc, key path) -> comparable texts printed there
        self.rendered_docs: dict[tuple, tuple] = {}   # the same keys -> (doc, texts)
        for section in walk(report.sections):
            self.targets[bookmark_name(section.id)] = _Target("section", doc_of(section.origin), section.origin.path)
            self._index(doc_of(section.origin), section.origin.path + ("title",), f"{section.number} {section.title}")
            blocks = list(section.blocks)
            while blocks:
                block = blocks.pop(0)
                self.targets[bookmark_name(block.anchor)] = _Target("block", doc_of(block.origin), block.origin.path,
                                                                    block)
                self._index_block(doc_of(block.origin), block.origin.path, block)
                if isinstance(block, Callout):
                    blocks[:0] = list(block.blocks)
                if isinstance(block, Recommendations):   # each card has its own bookmark, on its title
                    for index, card in enumerate(block.items):
                        card_path = block.origin.path + ("recommendations", "items", index)
                        self.targets[bookmark_name(card.anchor)] = _Target("card", doc_of(block.origin), card_path)
                        self._index(doc_of(block.origin), card_path + ("title",), plain(card.title))
                        for part in card.fields:
                            self._index(doc_of(block.origin), card_path + (part.key,),
                                        f"{part.label} {plain(part.spans)}")
        self.targets[source_bookmark(0)] = _Target("sources", None, ())
        for source in report.sources:
            self.targets[source_bookmark(source.number)] = _Target(
                "source", raw.data_docs.get(("sources", source.id)), ("sources", source.id))
        problems: list = []
        self.report_doc = read_yaml(raw.folder / "report.yaml", problems)
        meta = raw.folder / report.lang / "meta.yaml"
        self.meta_doc = read_yaml(meta, problems) if meta.is_file() else None
        self.texts: dict[str, list[tuple]] = {}   # comparable text -> the (doc, path) pieces that read so

    def resolve(self, place: Place | None) -> tuple[object, tuple] | str:
        """The YAML document and key path of a place, or why it has none."""
        if place is None or place.anchor is None:
            return "not in a part of the document the report's content fills"
        if place.anchor == CONTENTS:
            return "in the table of contents, which is made from the section titles"
        if place.anchor == COVER:
            return self._cover(place.item)
        target = self.targets.get(place.anchor)
        if target is None:
            return f"its bookmark {place.anchor} names nothing in today's content"
        item, row = place.item, place.row
        if target.kind == "sources":
            return "in the Sources heading or its note, which the templates write"
        if target.kind in ("source", "section"):
            return (target.doc, target.path + (() if target.kind == "source" else ("title",))) if item == 0 \
                else "after the entry, in text the report does not have"
        if target.kind == "card":
            from .schema import RECOMMENDATION_FIELDS
            parts = ("title", *RECOMMENDATION_FIELDS)
            return (target.doc, target.path + (parts[item],)) if item < len(parts) else "below the card's fields"
        return self._in_block(target, item, row)

    def _in_block(self, target: _Target, item: int, row: int):
        block, path = target.block, target.path
        kind = type(block).__name__
        if kind in ("BulletList", "NumberedList"):
            if item < len(block.items):
                return target.doc, path + ("bullets" if kind == "BulletList" else "numbered", item)
            return f"below the list's {len(block.items)} items"
        if kind == "Table":
            if row < 0:
                return target.doc, path + ("table", "caption")
            if row == 0:
                return target.doc, path + ("table", "header")
            return (target.doc, path + ("table", "rows", row - 1)) if row <= len(block.rows) else "below the table"
        if kind == "Figure":
            return (target.doc, path + ("figure",) + (() if item == 0 else ("caption",))) if item <= 1 \
                else "below the figure's caption"
        if kind == "KeyFigures":
            if item == 0:
                return target.doc, path + ("keyfigures", "title")
            return (target.doc, path + ("keyfigures", "items", item - 1)) if item <= len(block.items) \
                else "below the key figures"
        if kind == "Callout":
            return (target.doc, path + ("callout", "title")) if item == 0 else "inside the box, in no block"
        return (target.doc, path) if item == 0 else "after the paragraph, in text the report does not have"

    def _cover(self, item: int):
        fields = (["classification"] if self.report.classification else []) + \
                 ["title", "subtitle", "facts_as_of", "date", "version", "authors"]
        if not 0 <= item < len(fields):
            return "on the cover, outside its fields"
        name = fields[item]
        doc = self.meta_doc if name in ("classification", "title", "subtitle") else self.report_doc
        return (doc, (name,)) if doc is not None else f"the cover's {name}, whose file could not be read"

    def fill(self, remark: Remark, changed: bool) -> None:
        from .load import key_path
        found = self.resolve(remark.place)
        if isinstance(found, str):
            remark.note = remark.note or found
            return
        doc, path = found
        if changed and remark.place.text and not remark.place.new:
            found = self._by_text(remark.place.text, doc, path)
            if isinstance(found, str):
                remark.note = found
                return
            if found != (doc, path):
                remark.note = "found by its text: the content changed since the build"
            doc, path = found
        remark.file = self._label(doc)
        remark.line = doc.where(path)[0] if doc is not None else None
        remark.key = key_path(path) if path else "(figure)"
        if remark.place.new:
            remark.position = "new after" + (f", {remark.position}" if remark.position else "")
        end = self.resolve(remark.end_place) if remark.end_place is not None else None
        if isinstance(end, tuple) and end != (doc, path):
            remark.end_key = (f"{self._label(end[0])}:" if end[0] is not doc else "") + key_path(end[1])

    def _by_text(self, seen: str, doc, path: tuple):
        """Where what the reviewer saw is today: at the same key if it still reads so, else the one key that
        does (a paragraph added, moved or removed above shifts the rest)."""
        wanted = _comparable(seen)
        if wanted in self.rendered.get((id(doc), path), ()):
            return doc, path
        matches = [(d, p) for (_, p), (d, texts) in self.rendered_docs.items() if wanted in texts]
        if len(matches) == 1:
            return matches[0]
        return ("the content changed since the build and this text is " +
                ("in several places" if matches else "no longer in it"))

    def _index(self, doc, path: tuple, *texts: str) -> None:
        comparable = {_comparable(text) for text in texts} - {""}
        self.rendered[(id(doc), path)] = comparable
        self.rendered_docs[(id(doc), path)] = (doc, comparable)

    def _index_block(self, doc, path: tuple, block) -> None:
        """Today's rendered text of each paragraph a block is written as, the way the DOCX writer prints it."""
        from .assemble import plain
        from . import model as m
        labels = self.report.labels
        if isinstance(block, m.Paragraph):
            self._index(doc, path, plain(block.spans))
        elif isinstance(block, (m.BulletList, m.NumberedList)):
            kind = "bullets" if isinstance(block, m.BulletList) else "numbered"
            for index, item in enumerate(block.items):
                self._index(doc, path + (kind, index), plain(item))
        elif isinstance(block, m.Table):
            self._index(doc, path + ("table", "caption"), f"{labels['Table']} {block.number}. {plain(block.caption)}")
            self._index(doc, path + ("table", "header"), *(plain(cell) for cell in block.header))
            for index, row in enumerate(block.rows):
                self._index(doc, path + ("table", "rows", index), *(plain(cell) for cell in row))
        elif isinstance(block, m.Figure):
            self._index(doc, path + ("figure", "caption"),
                        f"{labels['Figure']} {block.number}. {plain(block.caption)}")
        elif isinstance(block, m.KeyFigures):
            self._index(doc, path + ("keyfigures", "title"), block.title)
            for index, item in enumerate(block.items):
                self._index(doc, path + ("keyfigures", "items", index), f"{item.label} — {item.value}")
        elif isinstance(block, m.Callout):
            self._index(doc, path + ("callout", "title"), block.title)

    def _label(self, doc) -> str | None:
        if doc is None:
            return None
        relative = doc.file.resolve().relative_to(self.raw.folder.resolve().parent)
        return f"{self.content.name}/{relative}" if self.content.name else str(relative)


def locate(reviewed: Reviewed, content: Path) -> bool:
    """Fill in file, line and key of each remark from the content the document was built from; whether every
    remark found its place."""
    from .assemble import assemble
    from .validate import load_report

    identifier, remarks = reviewed.identifier, reviewed.remarks
    report_id, _, lang = identifier.rpartition(".")
    if not report_id:
        print(f"build.py review: warning: the document names no report ('{clean(identifier)}'); remarks are "
              "listed without their content location", file=sys.stderr)
        return not remarks
    folder = content / report_id
    if Path(report_id).name != report_id or report_id in (".", "..") or not (folder / "report.yaml").is_file():
        raise UsageError(f"the document says it was built from report '{report_id}', which is not a report "
                         f"folder of {content}; pass --content DIR")
    raw = load_report(folder)
    if lang not in raw.languages:
        raise UsageError(f"the document says it is in '{lang}', which report '{report_id}' does not declare "
                         f"({', '.join(raw.languages)})")
    changed = _content_changed(reviewed.fingerprint, content, report_id, lang)
    locator = _Locator(raw, assemble(raw, lang), content)
    for remark in remarks:
        locator.fill(remark, changed)
    if reviewed.orphan_marks:
        print(f"build.py review: warning: {reviewed.orphan_marks} comment mark(s) in the text name no comment "
              "of word/comments.xml", file=sys.stderr)
    return all(remark.file for remark in remarks)


def _content_changed(stored: str, content: Path, report_id: str, lang: str) -> bool:
    """Whether the content differs from what the file was built from (its stored fingerprint); said on stderr."""
    from . import plan
    if not stored:
        print("build.py review: warning: the document has no reportgen-fingerprint property: remarks are matched "
              "by their text, in case the content changed since it was built", file=sys.stderr)
        return True
    jobs = [job for job in plan.plan(content, (lang,), ("docx",)) if job.report == report_id
            and job.edition == plan.editions.FULL]
    if jobs and plan.fingerprint(jobs[0]) == stored:
        return False
    print("build.py review: warning: the content changed since this document was built (its fingerprint "
          "differs): remarks are placed by matching the text the reviewer saw, and those whose text is gone "
          "are listed without a location", file=sys.stderr)
    return True


def main(argv: list[str], content: Path) -> int:
    import argparse
    parser = argparse.ArgumentParser(prog="build.py review",
                                     description="List the comments and tracked changes of a reviewed DOCX, "
                                                 "keyed to the content file, line and key they belong to. "
                                                 "Exit 1 when a remark cannot be located, 2 for a file that "
                                                 "cannot be read.")
    parser.add_argument("docx", type=Path, help="the DOCX that came back from a reviewer")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--content", type=Path, default=content, help="content folder (default: content/)")
    args = parser.parse_args(argv)
    try:
        reviewed = read_remarks(args.docx)
    except UNREADABLE as exc:
        reason = (exc.strerror if isinstance(exc, OSError) else None) or str(exc) or type(exc).__name__
        print(f"build.py review: error: {args.docx}: not a readable DOCX ({clean(reason)})", file=sys.stderr)
        return 2
    all_located = locate(reviewed, args.content)
    remarks = reviewed.remarks
    if args.format == "json":
        print(json.dumps([r.as_dict() for r in remarks], indent=2, ensure_ascii=False))
    else:
        for remark in remarks:
            print(remark)
        print(f"{len(remarks)} remark(s) in {args.docx}", file=sys.stderr)
    if not all_located:
        unlocated = sum(not remark.file for remark in remarks)
        print(f"build.py review: {unlocated} remark(s) could not be located in the content", file=sys.stderr)
        return 1
    return 0
