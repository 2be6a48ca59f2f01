"""The report's fonts inside the DOCX, so Word and LibreOffice render it with them on any machine.

ECMA-376 Part 1, 17.8.1: each face is a font part whose first 32 bytes are XORed with a GUID key, declared in
the font table (w:embedRegular / Bold / Italic / BoldItalic with w:fontKey). Only the faces the document uses
are embedded, each subset (HarfBuzz) to the characters the document prints plus what a reviewer types when
editing (Latin-1, Latin Extended-A, typographic punctuation), which keeps the file well under its 3 MB budget.
"""
from __future__ import annotations

import hashlib
import io
import uuid
from pathlib import Path

from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from ..fonts import FONTS

FILES = {"Charis SIL": "CharisSIL", "Noto Sans": "NotoSans"}
SUFFIX = {(False, False): "Regular", (True, False): "Bold", (False, True): "Italic", (True, True): "BoldItalic"}
EMBED_TAGS = {(False, False): "w:embedRegular", (True, False): "w:embedBold", (False, True): "w:embedItalic",
              (True, True): "w:embedBoldItalic"}
EDITING = frozenset([*range(0x20, 0x7F), *range(0xA0, 0x180), *range(0x2010, 0x2027), 0x2030, 0x2039, 0x203A,
                     0x20AC, 0x2212, 0x2022])
FONT_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.obfuscatedFont"
FONT_RELATIONSHIP = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/font"
Face = tuple  # (family, bold, italic)


def _flag(rpr, tag: str) -> bool | None:
    element = rpr.find(qn(tag)) if rpr is not None else None
    if element is None:
        return None
    return element.get(qn("w:val"), "true") not in ("0", "false", "off")


class StyleResolver:
    """Family, bold and italic of a run, through its run style, paragraph style and their basedOn chains."""

    def __init__(self, styles_element):
        self.styles = {s.get(qn("w:styleId")): s for s in styles_element.findall(qn("w:style"))}
        self.default_paragraph = next((sid for sid, s in self.styles.items() if s.get(qn("w:default")) in ("1", "true")
                                       and s.get(qn("w:type")) == "paragraph"), None)
        defaults = styles_element.find(qn("w:docDefaults"))
        rpr = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}") if defaults is not None else None
        self.defaults = self._apply((None, False, False), rpr)
        self._cache: dict[str, tuple] = {}

    @staticmethod
    def _apply(face: tuple, rpr) -> tuple:
        family, bold, italic = face
        if rpr is None:
            return face
        fonts = rpr.find(qn("w:rFonts"))
        if fonts is not None and fonts.get(qn("w:ascii")):
            family = fonts.get(qn("w:ascii"))
        b, i = _flag(rpr, "w:b"), _flag(rpr, "w:i")
        return family, bold if b is None else b, italic if i is None else i

    def style(self, style_id: str | None, base: tuple) -> tuple:
        if style_id is None or style_id not in self.styles:
            return base
        key = (style_id, base)
        if key not in self._cache:
            element = self.styles[style_id]
            parent = element.find(qn("w:basedOn"))
            inherited = self.style(parent.get(qn("w:val")), base) if parent is not None else base
            self._cache[key] = self._apply(inherited, element.find(qn("w:rPr")))
        return self._cache[key]

    def run(self, paragraph_style: str | None, r) -> tuple:
        face = self.style(paragraph_style or self.default_paragraph, self.defaults)
        rpr = r.find(qn("w:rPr"))
        run_style = rpr.find(qn("w:rStyle")) if rpr is not None else None
        if run_style is not None:
            face = self.style(run_style.get(qn("w:val")), face)
        return self._apply(face, rpr)


def used_faces(document) -> dict[Face, set[str]]:
    """Each face of the shipped families the document prints, with the characters printed in it."""
    resolver = StyleResolver(document.styles.element)
    roots = [document.element.body]
    for section in document.sections:
        roots += [section.header._element, section.footer._element]
    faces: dict[Face, set[str]] = {}
    for root in roots:
        for p in root.iter(qn("w:p")):
            style = p.find(f"{qn('w:pPr')}/{qn('w:pStyle')}")
            style_id = style.get(qn("w:val")) if style is not None else None
            for r in p.iter(qn("w:r")):
                text = "".join(t.text or "" for t in r.iter(qn("w:t")))
                face = resolver.run(style_id, r)
                if face[0] in FILES and (text or not faces.get(face)):
                    faces.setdefault(face, set()).update(text)
    return faces


GRAPHITE_TABLES = ("Silf", "Silt", "Glat", "Gloc", "Feat", "Sill")   # Charis SIL's Graphite: Word uses OpenType


def subset(face: Face, characters: set[str]) -> bytes:
    """The face cut down to `characters` (and EDITING) by HarfBuzz's subsetter, which is a hundred times faster
    than fontTools' on Charis SIL's large layout tables and gives byte-identical output for the same input."""
    import uharfbuzz as hb
    family, bold, italic = face
    font = hb.Face(hb.Blob.from_file_path(str(FONTS / f"{FILES[family]}-{SUFFIX[bold, italic]}.ttf")))
    request = hb.SubsetInput()
    request.unicode_set.update(sorted(EDITING | {ord(c) for c in characters}))
    # Keep every name (the family names Word and LibreOffice match on) and every layout feature (ligatures,
    # kerning, small figures as in the PDF): these sets start with HarfBuzz's defaults, so empty, then invert.
    for keep_all in (request.name_id_set, request.name_lang_id_set, request.layout_feature_tag_set):
        keep_all.clear()
        keep_all.invert()
    request.drop_table_tag_set.update(int.from_bytes(tag.encode("ascii"), "big") for tag in GRAPHITE_TABLES)
    request.flags = hb.SubsetFlags.NOTDEF_OUTLINE
    result = hb.subset(font, request)
    if result is None:
        raise RuntimeError(f"HarfBuzz could not subset {family} {SUFFIX[bold, italic]}")
    return bytes(result.blob.data)


def font_key(data: bytes) -> str:
    """A GUID derived from the font bytes: the same document gets the same key (reproducible bytes)."""
    return "{" + str(uuid.UUID(bytes=hashlib.sha256(data).digest()[:16])).upper() + "}"


def obfuscate(data: bytes, key: str) -> bytes:
    """ECMA-376 Part 1, 17.8.1: XOR the first 32 bytes with the key's 16 bytes, read from its end."""
    hex_digits = key.strip("{}").replace("-", "")
    key_bytes = bytes(int(hex_digits[i:i + 2], 16) for i in range(30, -1, -2))
    head = bytes(b ^ key_bytes[i % 16] for i, b in enumerate(data[:32]))
    return head + data[32:]


def embed(document, add_part) -> list[str]:
    """Embed the used faces; `add_part(owner, partname, content_type, blob, reltype) -> rId`. Returns what
    was embedded, e.g. ['Charis SIL Regular (41 KiB)', ...]."""
    font_table = next(rel.target_part for rel in document.part.rels.values() if rel.reltype.endswith("/fontTable"))
    from lxml import etree
    root = etree.fromstring(font_table.blob)
    declared = {f.get(qn("w:name")): f for f in root.findall(qn("w:font"))}
    embedded = []
    for index, (face, characters) in enumerate(sorted(used_faces(document).items()), start=1):
        family, bold, italic = face
        data = subset(face, characters)
        key = font_key(data)
        rel_id = add_part(font_table, f"/word/fonts/font{index}.odttf", FONT_CONTENT_TYPE,
                          obfuscate(data, key), FONT_RELATIONSHIP)
        font = declared.get(family)
        if font is None:
            font = declared[family] = etree.SubElement(root, qn("w:font"))
            font.set(qn("w:name"), family)
        reference = etree.Element(qn(EMBED_TAGS[bold, italic]))
        reference.set(qn("r:id"), rel_id)
        reference.set(qn("w:fontKey"), key)
        reference.set(qn("w:subsetted"), "true")
        _insert_in_order(font, reference)
        embedded.append(f"{family} {SUFFIX[bold, italic]} ({len(data) // 1024} KiB)")
    font_table._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    return embedded


FONT_CHILDREN = ("altName", "panose1", "charset", "family", "notTrueType", "pitch", "sig", "embedRegular",
                 "embedBold", "embedItalic", "embedBoldItalic")


def _insert_in_order(font, child) -> None:
    """w:font's children have a fixed order in the schema (Word refuses a file that breaks it)."""
    rank = {qn(f"w:{name}"): i for i, name in enumerate(FONT_CHILDREN)}
    position = len(font)
    for i, existing in enumerate(font):
        if rank.get(existing.tag, 99) > rank[child.tag]:
            position = i
            break
    font.insert(position, child)
