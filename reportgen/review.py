"""`build.py review REVIEWED.docx`: list a reviewer's comments and tracked changes, keyed to the content.

Every section and block of a DOCX we write starts with a bookmark named after its content id. Reading the
reviewed file in document order, each comment range and each insertion or deletion is attributed to the last
bookmark before it; assembling the same report again maps that bookmark to the YAML file, line and key.
"""
from __future__ import annotations

import json
import sys
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path

from lxml import etree

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


def read_remarks(path: Path) -> tuple[list[Remark], str]:
    """The remarks of a reviewed DOCX, in document order, and its identifier ('belgium.fr')."""
    with zipfile.ZipFile(path) as package:
        body = etree.fromstring(package.read("word/document.xml"))
        names = set(package.namelist())
        comments = {}
        if "word/comments.xml" in names:
            for comment in etree.fromstring(package.read("word/comments.xml")).iter(_w("comment")):
                comments[comment.get(_w("id"))] = comment
        identifier = ""
        if "docProps/core.xml" in names:
            found = etree.fromstring(package.read("docProps/core.xml")).find(f"{{{DC}}}identifier")
            identifier = found.text if found is not None and found.text else ""

    remarks: list[Remark] = []
    anchor = None
    item = 0                       # paragraphs since the anchor: the list item a remark is in
    open_ranges: dict[str, list[str]] = {}
    for element in body.iter():
        tag = element.tag
        if tag == _w("bookmarkStart") and element.get(_w("name"), "").startswith("a_"):
            anchor, item = element.get(_w("name")), 0   # the bookmark sits inside its first paragraph
        elif tag == _w("p"):
            item += 1
        elif tag == _w("commentRangeStart"):
            open_ranges[element.get(_w("id"))] = []
        elif tag == _w("t") and open_ranges:
            for pieces in open_ranges.values():
                pieces.append(element.text or "")
        elif tag == _w("commentRangeEnd"):
            comment_id = element.get(_w("id"))
            comment = comments.get(comment_id)
            if comment is not None:
                remarks.append(_remark("comment", comment, _text(comment),
                                       "".join(open_ranges.pop(comment_id, [])), anchor, item))
        elif tag in (_w("ins"), _w("del")):
            changed = _text(element)
            if changed.strip():
                remarks.append(_remark("insertion" if tag == _w("ins") else "deletion", element, changed, "",
                                       anchor, item))
    return remarks, identifier


def _remark(kind: str, element, text: str, anchored: str, anchor: str | None, item: int) -> Remark:
    return Remark(kind, element.get(_w("author"), ""), element.get(_w("date"), ""), text, anchored, anchor,
                  item=max(item, 0))


def locate(remarks: list[Remark], identifier: str, content: Path) -> None:
    """Fill in file, line and key of each remark from the content the document was built from."""
    from .assemble import assemble
    from .model import Callout, walk
    from .load import key_path
    from .validate import load_report, walk_sections
    from .writers.docx import bookmark_name

    report_id, _, lang = identifier.rpartition(".")
    folder = content / report_id
    if not report_id or not (folder / "report.yaml").is_file():
        return
    raw = load_report(folder)
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
    docs = {section.doc.file.resolve(): section.doc
            for language in raw.languages.values() for section in walk_sections(language.sections)}
    for remark in remarks:
        if remark.anchor not in places:
            continue
        origin, suffix, block = places[remark.anchor]
        path = origin.path + ((suffix,) if suffix else ())
        kind = type(block).__name__ if block is not None else ""
        if kind in ("BulletList", "NumberedList"):
            items = len(block.items)
            path += ("bullets" if kind == "BulletList" else "numbered", min(remark.item, items - 1))
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
    except (OSError, KeyError, zipfile.BadZipFile, etree.XMLSyntaxError) as exc:
        print(f"build.py review: error: {args.docx}: not a readable DOCX ({exc})", file=sys.stderr)
        return 2
    locate(remarks, identifier, args.content)
    if args.format == "json":
        print(json.dumps([r.as_dict() for r in remarks], indent=2, ensure_ascii=False))
    else:
        for remark in remarks:
            print(remark)
        print(f"{len(remarks)} remark(s) in {args.docx}", file=sys.stderr)
    return 0
