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
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
BOLD_STYLES, ITALIC_STYLES = ("Strong", "StrongEmphasis"), ("Emphasis", "StrongEmphasis")


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
    accepted: str = ""        # the paragraph with every tracked change accepted (what `review --apply` writes)
    # (start, end, {"strong", "em", "link"}, Control or None) of each inserted run in `accepted`: how it is set
    formats: list = field(default_factory=list)


UNTAGGED = "untagged"   # Remark.content_control of a control whose tag is lost and not found in the source map


@dataclass
class Control:
    """A content control (w:sdt) met in the text: the DOCX writer puts one around each placeholder's value."""
    tag: str = ""             # its w:tag, value:gdp-growth; "" when an editor dropped it (LibreOffice 7.4 does)
    index: int = 0            # its rank among the controls of its place (paragraph, or table row)
    text: str = ""            # what it holds as built (inserted text left out)


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
    # The content control the remark is in (a comment: where its range starts): value:<figure-id>, year:<figure-id>,
    # cite:<source-id> or ref:<id>; UNTAGGED when its tag is lost; None outside any. Its text comes from data/.
    content_control: str | None = None
    place: Place | None = field(default=None, repr=False)
    end_place: Place | None = field(default=None, repr=False)
    control: Control | None = field(default=None, repr=False)
    control_span: tuple = field(default=(0, 0), repr=False)   # where in the control's text it is (start, end)

    def __post_init__(self) -> None:
        if self.control is not None and self.content_control is None:
            self.content_control = self.control.tag or UNTAGGED   # the locator looks a lost tag up in the map

    def as_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if k not in ("place", "end_place", "control")}

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}: {self.key}" if self.file else "(no content location)"
        if self.position:
            where += f" ({self.position})"
        if self.end_key and self.end_key != self.key:
            where += f" .. {self.end_key}"
        if self.content_control:
            where += (" (in a content control whose tag is lost)" if self.content_control == UNTAGGED
                      else f" (in {clean(self.content_control)})")
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


from .sourcemap import CONTENTS, COVER  # noqa: E402  (the places before the first section's bookmark)


@dataclass
class Reviewed:
    remarks: list[Remark]
    identifier: str           # 'belgium.fr'
    fingerprint: str          # the build's input fingerprint stored in the file, "" when absent
    orphan_marks: int = 0     # comment marks in the text whose comment is missing from comments.xml
    source_map: list | None = None   # the sourcemap.Entry list the file carries; None for older files


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
            return Reviewed(walk.remarks, identifier, fingerprint, walk.orphan_marks, _source_map(package, names))


def _source_map(package: zipfile.ZipFile, names: set[str]) -> list | None:
    """The source map among the custom XML parts (LibreOffice renames them when it saves), or None."""
    from .sourcemap import NAMESPACE, from_element
    for name in sorted(n for n in names if n.startswith("customXml/") and n.endswith(".xml")
                       and "/_rels/" not in n)[:50]:
        found: list = []
        for event, element in _events(package, name, ("start", "end")):
            if event == "start":
                if element.getparent() is None and element.tag != f"{{{NAMESPACE}}}sourceMap":
                    break           # another custom part
                continue
            if element.tag == f"{{{NAMESPACE}}}place":
                entry = from_element(element)
                if entry is not None and len(found) < 200_000:   # a report has a few thousand places
                    found.append(entry)
                element.clear()
            elif element.tag == f"{{{NAMESPACE}}}sourceMap":
                return found
    return None


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
        self.external_links = 0                # open w:hyperlink elements to a web address
        self.passage: list[str] = []          # text since the oldest open comment range; dropped when none is
        self.passage_length = 0
        self.open_ranges: dict[str, tuple[int, Place]] = {}   # comment id -> passage offset and place of its start
        self.footnote_places: dict[str, Place] = {}
        self.controls: list[Control | None] = []   # the open content controls (None: a block-level one)
        self.control_counts: dict[tuple, int] = {}   # (anchor, place) -> controls met there

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
                                    "text": [], "accepted": [], "accepted_length": 0, "formats": []})
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
        elif tag == _w("hyperlink") and element.get(f"{{{R}}}id"):
            self.external_links += 1
        elif tag == _w("commentRangeStart"):
            self.open_ranges.setdefault(element.get(_w("id")), (self.passage_length, self.place(), self.control(),
                                                                self.control_span()))
        elif tag == _w("sdt"):
            self.controls.append(self.inline_control() if self.paragraphs else None)
        elif tag == _w("tag") and self.control() and element.getparent().tag == _w("sdtPr"):
            self.control().tag = element.get(_w("val"), "")[:200]

    def inline_control(self) -> Control:
        where = (self.place().anchor, at(self.place()))
        self.control_counts[where] = index = self.control_counts.get(where, 0) + 1
        return Control(index=index - 1)

    def control(self) -> Control | None:
        """The inline content control being read, if any."""
        return self.controls[-1] if self.controls else None

    def control_span(self, just_read: str = "") -> tuple[int, int]:
        """Where in the open control's text a remark is: at what was read so far, or over `just_read`."""
        end = len(self.control().text) if self.control() else 0
        return max(end - len(just_read), 0), end

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
                if tag == _w("t"):
                    if self.inserted_depth and len(paragraph["formats"]) < 1000:
                        end = paragraph["accepted_length"] + len(text)
                        paragraph["formats"].append((end - len(text), end, self.formats(element), self.control()))
                    paragraph["accepted_length"] += len(text)
                    if paragraph["accepted_length"] <= MAX_TEXT:
                        paragraph["accepted"].append(text)
            control = self.control()
            if control and not (tag == _w("t") and self.inserted_depth) and len(control.text) < 1000:
                control.text += text
            if tag == _w("t") and self.open_ranges:
                self.passage.append(text)
                self.passage_length += len(text)
        elif tag == _w("commentRangeEnd"):
            comment_id = element.get(_w("id"))
            start = self.open_ranges.pop(comment_id, None)
            if start is not None:
                self.comment(comment_id, start[1], "".join(self.passage)[start[0]:start[0] + MAX_TEXT],
                             self.place(), control=start[2], control_span=start[3])
            if not self.open_ranges:
                self.passage, self.passage_length = [], 0
        elif tag == _w("commentReference"):       # a point comment has only this mark (LibreOffice)
            comment_id = element.get(_w("id"))
            if comment_id not in self.open_ranges:
                self.comment(comment_id, self.place(), "", None, control=self.control(),
                             control_span=self.control_span())
        elif tag in (_w("ins"), _w("del")):
            if tag == _w("ins"):
                self.inserted_depth -= 1
            changed = _text(element)[:MAX_TEXT]
            if changed.strip():
                self.remarks.append(Remark("insertion" if tag == _w("ins") else "deletion",
                                           element.get(_w("author"), "")[:200], element.get(_w("date"), "")[:40],
                                           changed, "", None, place=self.place(), control=self.control(),
                                           control_span=self.control_span(changed if tag == _w("del") else "")))
        elif tag == _w("sdt") and self.controls:
            self.controls.pop()
        elif tag == _w("hyperlink") and element.get(f"{{{R}}}id"):
            self.external_links -= 1
        elif tag == _w("footnoteReference"):
            if len(self.footnote_places) < 10_000:
                self.footnote_places[element.get(_w("id"))] = self.place()
        elif tag == _w("p") and self.paragraphs:
            self.end_paragraph(element)

    def formats(self, text_element) -> frozenset:
        """How a run of inserted text is set: bold, italic (character style or direct), in a web link."""
        found = {"link"} if self.external_links else set()
        properties = text_element.getparent().find(_w("rPr")) if text_element.getparent() is not None else None
        if properties is not None:
            style = properties.find(_w("rStyle"))
            style = style.get(_w("val"), "") if style is not None else ""
            for name, styles, direct in (("strong", BOLD_STYLES, "b"), ("em", ITALIC_STYLES, "i")):
                switch = properties.find(_w(direct))
                if style in styles or (switch is not None and switch.get(_w("val"), "true") not in ("0", "false")):
                    found.add(name)
        return frozenset(found)

    def end_paragraph(self, element) -> None:
        paragraph = self.paragraphs.pop()
        place = paragraph["place"]
        place.text = "".join(paragraph["text"])
        place.accepted = "".join(paragraph["accepted"])
        place.formats = paragraph["formats"]
        if paragraph["inserted"] and not paragraph["kept"]:
            # All its text is the reviewer's: a new paragraph or list item after the one before it.
            self.item -= 1
            place.new, place.item = True, self.item
        if self.anchor == COVER and element.find(f"{_w('pPr')}/{_w('sectPr')}") is not None:
            self.anchor, self.item = CONTENTS, -1     # the cover is its own Word section

    def comment(self, comment_id: str, place: Place, anchored: str, end: Place | None, position: str = "",
                control: Control | None = None, control_span: tuple = (0, 0)) -> None:
        if comment_id in self.emitted:
            return
        if comment_id not in self.comments:
            self.orphan_marks += 1
            return
        self.emitted.add(comment_id)
        author, date, text = self.comments[comment_id]
        self.remarks.append(Remark("comment", author, date, text, anchored, None, position=position, place=place,
                                   end_place=end, control=control, control_span=control_span))

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


def at(place: Place) -> str:
    """A place's name in the source map under its anchor: p<n> the n-th paragraph, r<n> the n-th table row."""
    return f"r{place.row}" if place.row >= 0 else f"p{place.item}"


def _tag_from_map(control: Control, entry, span: tuple[int, int]) -> str:
    """The tag of a control whose tag an editor dropped, from the source map's record of its place: the control
    at the same rank if it holds the same text, else the one tag of the controls there holding that text. LibreOffice
    7.4 also merges a control with the one right after it (a value and its citation): then the recorded controls
    whose texts make up this one, and the one strictly holding `span` (an edit at their border is in neither)."""
    recorded = entry.controls if not isinstance(entry, str) else ()
    if control.index < len(recorded) and recorded[control.index][1] == control.text:
        return recorded[control.index][0]
    tags = {tag for tag, text in recorded if text == control.text}
    if len(tags) == 1:
        return tags.pop()
    merged = {tag for first in range(len(recorded)) for tag in _holding(recorded[first:], control.text, span)}
    return merged.pop() if len(merged) == 1 else UNTAGGED


def _holding(recorded, text: str, span: tuple[int, int]) -> list[str]:
    """If the texts of the first controls of `recorded` make up `text`, the tag of the one strictly holding span."""
    position, inside = 0, []
    for tag, piece in recorded:
        if not piece or not text.startswith(piece, position):
            return []
        start, end = span
        if (position < start < position + len(piece) if start == end
                else position <= start and end <= position + len(piece)):
            inside.append(tag)
        position += len(piece)
        if position == len(text):
            return inside if len(inside) == 1 else []
    return []


def _comparable(text: str) -> str:
    """Text reduced to its words: typography, citation numbers and spacing differ between builds."""
    return re.sub(r"[\W\d_]+", "", unicodedata.normalize("NFKC", text)).casefold()


class Locator:
    """Resolves places through the source map the DOCX carries (what the reviewer saw), or today's for a file
    built before maps existed, and checks each against today's content when that changed."""

    def __init__(self, raw, report, content: Path, built: list | None):
        from .load import read_yaml
        from .sourcemap import entries
        from .validate import walk_sections
        from .writers.docx import source_bookmark
        self.content, self.built_map = content, built is not None
        self.raw, self.report = raw, report
        today = entries(report)
        self.today = {(e.anchor, e.at): e for e in today}
        self.places = {(e.anchor, e.at): e for e in built} if built is not None else self.today
        self.anchors = {anchor for anchor, _ in self.places}
        self.sources_heading = source_bookmark(0)
        self.by_key = {(e.file, e.path): e for e in today}
        self.by_text: dict[str, list] = {}
        for entry in today:
            self.by_text.setdefault(_comparable(entry.text), []).append(entry)
        relative = lambda file: file.relative_to(raw.folder.parent).as_posix()  # noqa: E731
        self.docs = {relative(section.doc.file): section.doc
                     for language in raw.languages.values() for section in walk_sections(language.sections)}
        self.docs.update({relative(doc.file): doc for doc in raw.data_docs.values()})
        problems: list = []
        for file in [raw.folder / "report.yaml", *sorted(raw.folder.glob("*/meta.yaml"))]:
            doc = read_yaml(file, problems)
            if doc is not None:
                self.docs[relative(file)] = doc

    def resolve(self, place: Place | None):
        """The source-map entry of a place, or why it has none."""
        if place is None or place.anchor is None:
            return "not in a part of the document the report's content fills"
        if place.anchor == CONTENTS:
            return "in the table of contents, which is made from the section titles"
        if place.anchor == self.sources_heading:
            return "in the Sources heading or its note, which the templates write"
        entry = self.places.get((place.anchor, at(place)))
        if entry is None:
            return ("in text the report does not have (below the part it follows)" if place.anchor in self.anchors
                    else f"its bookmark {place.anchor} names nothing the report built")
        if entry.file not in self.docs:
            return f"the source map names {entry.file}, which is not a file of the report"
        return entry

    def find(self, place: Place | None, changed: bool):
        """The source-map entry of a place as the reviewer saw it and the entry holding that text today, or
        why there is none."""
        built = self.resolve(place)
        if isinstance(built, str):
            return built
        today = self._today(built, place) if changed else built
        return today if isinstance(today, str) else (built, today)

    def fill(self, remark: Remark, changed: bool) -> None:
        from .load import key_path
        if remark.content_control == UNTAGGED and remark.control is not None:
            remark.content_control = _tag_from_map(remark.control, self.resolve(remark.place), remark.control_span)
        found = self.find(remark.place, changed)
        if isinstance(found, str):
            remark.note = remark.note or found
            return
        built, entry = found
        if (built.file, built.path) != (entry.file, entry.path):
            remark.note = "found by its text: the content changed since the build"
        doc = self.docs.get(entry.file)
        remark.file = f"{self.content.name}/{entry.file}" if self.content.name else entry.file
        remark.line = doc.where(entry.path)[0] if doc is not None else None
        remark.key = key_path(entry.path)
        if remark.place.new:
            remark.position = "new after" + (f", {remark.position}" if remark.position else "")
        end = self.resolve(remark.end_place) if remark.end_place is not None else None
        if end is not None and not isinstance(end, str) and (end.file, end.path) != (entry.file, entry.path):
            remark.end_key = (f"{end.file}:" if end.file != entry.file else "") + key_path(end.path)

    def _today(self, entry, place: Place):
        """Where the text the reviewer saw is in today's content: at the same key if it still reads so, else
        the one key that does (a paragraph added, moved or removed above shifts the rest)."""
        if not self.built_map:   # a file from before source maps: only its paragraph's text to go by
            seen = _comparable(place.text)
            now = self.by_key.get((entry.file, entry.path))
            if now is not None and _comparable(now.text) and seen.endswith(_comparable(now.text)):
                return now
            return ("the content changed since the build, and this file has no source map to find the text by: "
                    "rebuild and send it again")
        wanted = _comparable(entry.text)
        now = self.by_key.get((entry.file, entry.path))
        if now is not None and _comparable(now.text) == wanted:
            return now
        matches = self.by_text.get(wanted, [])
        if len(matches) == 1:
            return matches[0]
        return ("the content changed since the build and this text is " +
                ("in several places" if matches else "no longer in it"))


def locator(reviewed: Reviewed, content: Path) -> tuple[Locator, bool] | None:
    """The locator of the report a document was built from, and whether its content changed since; None when
    the document names no report."""
    from .assemble import assemble
    from .validate import load_report

    report_id, _, lang = reviewed.identifier.rpartition(".")
    if not report_id:
        return None
    folder = content / report_id
    if Path(report_id).name != report_id or report_id in (".", "..") or not (folder / "report.yaml").is_file():
        raise UsageError(f"the document says it was built from report '{report_id}', which is not a report "
                         f"folder of {content}; pass --content DIR")
    raw = load_report(folder)
    if lang not in raw.languages:
        raise UsageError(f"the document says it is in '{lang}', which report '{report_id}' does not declare "
                         f"({', '.join(raw.languages)})")
    changed = _content_changed(reviewed.fingerprint, content, report_id, lang)
    return Locator(raw, assemble(raw, lang), content, reviewed.source_map), changed


def locate(reviewed: Reviewed, content: Path) -> bool:
    """Fill in file, line and key of each remark from the content the document was built from; whether every
    remark found its place."""
    found = locator(reviewed, content)
    if found is None:
        print(f"build.py review: warning: the document names no report ('{clean(reviewed.identifier)}'); remarks "
              "are listed without their content location", file=sys.stderr)
        return not reviewed.remarks
    places, changed = found
    for remark in reviewed.remarks:
        places.fill(remark, changed)
    if reviewed.orphan_marks:
        print(f"build.py review: warning: {reviewed.orphan_marks} comment mark(s) in the text name no comment "
              "of word/comments.xml", file=sys.stderr)
    return all(remark.file for remark in reviewed.remarks)


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
    parser.add_argument("--apply", action="store_true",
                        help="write the tracked insertions and deletions into the YAML of their paragraphs; list "
                             "those that cannot be (in a figure value, citation or reference, or text changed "
                             "since the build: exit 1) and the comments, as a to-do list")
    parser.add_argument("--dry-run", action="store_true",
                        help="with --apply: print the changes as a unified diff of the YAML files; write nothing")
    args = parser.parse_args(argv)
    if args.dry_run and not args.apply:
        parser.error("--dry-run goes with --apply")
    try:
        reviewed = read_remarks(args.docx)
    except UNREADABLE as exc:
        reason = (exc.strerror if isinstance(exc, OSError) else None) or str(exc) or type(exc).__name__
        print(f"build.py review: error: {args.docx}: not a readable DOCX ({clean(reason)})", file=sys.stderr)
        return 2
    if args.apply:
        from .apply import run
        return run(reviewed, args.content, content.parent, args.format, args.dry_run)
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
