"""`build.py review REVIEWED.docx`: list a reviewer's comments and tracked changes, keyed to the content.

Every section and block of a DOCX we write starts with a bookmark named after its content id. Reading the
reviewed file in document order, each comment range and each insertion or deletion is attributed to the last
bookmark before it; assembling the same report again maps that bookmark to the YAML file, line and key.
"""
from __future__ import annotations

import json
import os
import sys
import zipfile
import zlib
from dataclasses import asdict, dataclass
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
    item: int = 0             # paragraphs after the anchor: which item of a list

    def as_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if k != "item"}

    def __str__(self) -> str:
        place = f"{self.file}:{self.line}: {self.key}" if self.file else "(no content location)"
        what = {"comment": "comment", "insertion": "inserted", "deletion": "deleted"}[self.kind]
        quote = f' on "{_short(self.anchored_text)}"' if self.kind == "comment" and self.anchored_text else ""
        return f"{place}: {what} by {self.author or 'unknown'} {self.date[:10]}: \"{_short(self.text, 200)}\"{quote}"


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
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


def read_remarks(path: Path) -> tuple[list[Remark], str]:
    """The remarks of a reviewed DOCX, in document order, and its identifier ('belgium.fr').

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
            return _body_remarks(package, comments), identifier


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
            comments[element.get(_w("id"))] = (element.get(_w("author"), ""), element.get(_w("date"), ""),
                                              _text(element)[:MAX_TEXT])
            element.clear()
    return comments


def _identifier(package: zipfile.ZipFile) -> str:
    for _, element in _events(package, "docProps/core.xml"):
        if element.tag == f"{{{DC}}}identifier":
            return (element.text or "")[:200]
    return ""


def _body_remarks(package: zipfile.ZipFile, comments: dict) -> list[Remark]:
    """Walk document.xml once, in document order, keeping only the open comment ranges' start offsets."""
    remarks: list[Remark] = []
    anchor = None
    item = 0                          # paragraphs since the anchor: the list item a remark is in
    passage: list[str] = []           # text since the oldest open comment range; dropped when none is open
    passage_length = 0
    open_ranges: dict[str, int] = {}  # comment id -> offset in the passage where its range starts
    for event, element in _events(package, "word/document.xml", ("start", "end")):
        tag = element.tag
        if event == "start":
            if tag == _w("bookmarkStart") and element.get(_w("name"), "").startswith("a_"):
                anchor, item = element.get(_w("name")), 0   # the bookmark sits inside its first paragraph
            elif tag == _w("p"):
                item += 1
            elif tag == _w("commentRangeStart"):
                open_ranges.setdefault(element.get(_w("id")), passage_length)
            continue
        if tag == _w("t") and open_ranges:
            text = element.text or ""
            passage.append(text)
            passage_length += len(text)
        elif tag == _w("commentRangeEnd"):
            comment_id = element.get(_w("id"))
            start = open_ranges.pop(comment_id, None)
            if comment_id in comments:
                anchored = "".join(passage)[start:start + MAX_TEXT] if start is not None else ""
                author, date, text = comments[comment_id]
                remarks.append(Remark("comment", author, date, text, anchored, anchor, item=max(item, 0)))
            if not open_ranges:
                passage, passage_length = [], 0
        elif tag in (_w("ins"), _w("del")):
            changed = _text(element)[:MAX_TEXT]
            if changed.strip():
                remarks.append(_remark("insertion" if tag == _w("ins") else "deletion", element, changed, "",
                                       anchor, item))
        if tag == _w("p") and element.getparent() is not None and element.getparent().tag == _w("body"):
            element.clear()               # a finished top-level paragraph is no longer needed
            while element.getprevious() is not None:
                del element.getparent()[0]
        elif tag == _w("tbl") and element.getparent() is not None and element.getparent().tag == _w("body"):
            element.clear()
    return remarks


def _remark(kind: str, element, text: str, anchored: str, anchor: str | None, item: int) -> Remark:
    return Remark(kind, element.get(_w("author"), ""), element.get(_w("date"), ""), text, anchored, anchor,
                  item=max(item, 0))


def locate(remarks: list[Remark], identifier: str, content: Path) -> None:
    """Fill in file, line and key of each remark from the content the document was built from."""
    from .assemble import assemble
    from .model import Callout, Recommendations, walk
    from .schema import RECOMMENDATION_FIELDS
    from .load import key_path
    from .validate import load_report, walk_sections
    from .writers.docx import bookmark_name

    report_id, _, lang = identifier.rpartition(".")
    if not report_id:
        print(f"build.py review: warning: the document names no report ('{identifier}'); remarks are listed "
              "without their content location", file=sys.stderr)
        return
    folder = content / report_id
    if Path(report_id).name != report_id or report_id in (".", "..") or not (folder / "report.yaml").is_file():
        raise UsageError(f"the document says it was built from report '{report_id}', which is not a report "
                         f"folder of {content}; pass --content DIR")
    raw = load_report(folder)
    if lang not in raw.languages:
        raise UsageError(f"the document says it is in '{lang}', which report '{report_id}' does not declare "
                         f"({', '.join(raw.languages)})")
    report = assemble(raw, lang)
    places = {}
    for section in walk(report.sections):
        places[bookmark_name(section.id)] = (section.origin, "title", None)
        blocks = list(section.blocks)
        while blocks:
            block = blocks.pop(0)
            places[bookmark_name(block.anchor)] = (block.origin, None, block)
            if isinstance(block, Callout):
                blocks[:0] = list(block.blocks)
            if isinstance(block, Recommendations):   # each card has its own bookmark, on its title
                for index, card in enumerate(block.items):
                    places[bookmark_name(card.anchor)] = (block.origin, ("recommendations", "items", index), card)
    docs = {section.doc.file.resolve(): section.doc
            for language in raw.languages.values() for section in walk_sections(language.sections)}
    for remark in remarks:
        if remark.anchor not in places:
            continue
        origin, suffix, block = places[remark.anchor]
        path = origin.path + ((suffix,) if isinstance(suffix, str) else suffix or ())
        kind = type(block).__name__ if block is not None else ""
        if kind in ("BulletList", "NumberedList"):
            items = len(block.items)
            path += ("bullets" if kind == "BulletList" else "numbered", min(remark.item, items - 1))
        if kind == "Recommendation":   # the card's title paragraph, then one paragraph per field
            parts = ("title", *RECOMMENDATION_FIELDS)
            path += (parts[min(remark.item, len(parts) - 1)],)
        doc = docs.get((raw.folder.parent / origin.file).resolve())
        remark.file = f"{content.name}/{origin.file}" if content.name else origin.file
        remark.line = (doc.where(path)[0] if doc else None) or origin.line
        remark.key = key_path(path)


def main(argv: list[str], content: Path) -> int:
    import argparse
    parser = argparse.ArgumentParser(prog="build.py review",
                                     description="List the comments and tracked changes of a reviewed DOCX, "
                                                 "keyed to the content file, line and key they belong to.")
    parser.add_argument("docx", type=Path, help="the DOCX that came back from a reviewer")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--content", type=Path, default=content, help="content folder (default: content/)")
    args = parser.parse_args(argv)
    try:
        remarks, identifier = read_remarks(args.docx)
    except UNREADABLE as exc:
        reason = (exc.strerror if isinstance(exc, OSError) else None) or str(exc) or type(exc).__name__
        print(f"build.py review: error: {args.docx}: not a readable DOCX ({reason})", file=sys.stderr)
        return 2
    locate(remarks, identifier, args.content)
    if args.format == "json":
        print(json.dumps([r.as_dict() for r in remarks], indent=2, ensure_ascii=False))
    else:
        for remark in remarks:
            print(remark)
        print(f"{len(remarks)} remark(s) in {args.docx}", file=sys.stderr)
    return 0
