"""Issue 13: `build.py review` places every remark of a reviewed DOCX, or says it cannot (exit 1)."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import docx
import pytest
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn

from conftest import FIXTURES, run_build

MINI = FIXTURES / "valid" / "mini"
REVIEWER = (("w:author", "Jane Reviewer"), ("w:date", "2026-11-20T10:00:00Z"))


def review(path: Path, content: Path = FIXTURES / "valid") -> tuple[int, list[dict], str]:
    result = run_build("review", str(path), "--content", str(content), "--format", "json")
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, json.loads(result.stdout or "[]"), result.stderr


def tracked(tag: str, text: str, change_id: int):
    """A w:ins or w:del holding one run of text."""
    change = OxmlElement(tag)
    for key, value in (("w:id", str(change_id)), *REVIEWER):
        change.set(qn(key), value)
    run, node = OxmlElement("w:r"), OxmlElement("w:delText" if tag == "w:del" else "w:t")
    node.text = text
    node.set(qn("xml:space"), "preserve")
    run.append(node)
    change.append(run)
    return change


def paragraphs(document, style: str) -> list:
    return [p for p in document.paragraphs if p.style.name == style]


def point_comment(document, paragraph, text: str):
    """A comment with no selection, as LibreOffice saves one: only the w:commentReference in the text."""
    comment = document.add_comment(paragraph.runs, text=text, author="Lee Office", initials="LO")
    for tag in ("w:commentRangeStart", "w:commentRangeEnd"):
        for mark in document.element.body.iter(qn(tag)):
            if mark.get(qn("w:id")) == str(comment.comment_id):
                mark.getparent().remove(mark)
    return comment


@pytest.fixture(scope="module")
def built(mini_output) -> Path:
    return mini_output / "mini.en.docx"


def placed(remarks: list[dict]) -> dict[str, tuple]:
    return {r["text"]: (r["file"], r["key"], r["position"], r["end_key"]) for r in remarks}


def python_docx_review(built: Path, target: Path) -> None:
    """A remark of each kind `review` must place, made with python-docx at the XML level."""
    document = docx.Document(str(built))
    bullets = paragraphs(document, "List Bullet")
    # An insertion typed before the first run of a list's first item, ahead of our bookmark (as LibreOffice does).
    bookmark = bullets[0]._p.find(qn("w:bookmarkStart"))
    bookmark.addprevious(tracked("w:ins", "Very ", 801))
    # A list item the reviewer added after the first bullet, with a comment on the one after it.
    added = parse_xml(f"<w:p {nsdecls('w')}/>")
    added.append(bullets[0]._p.find(qn("w:pPr")).__copy__())
    added.append(tracked("w:ins", "A new bullet", 802))
    bullets[0]._p.addnext(added)
    document.add_comment(bullets[1].runs, text="second bullet", author="Jane Reviewer")
    point_comment(document, paragraphs(document, "Title")[0], "cover title")
    point_comment(document, paragraphs(document, "Caption")[0], "figure caption")
    table = next(t for t in document.tables if t.rows[0].cells[0].text == "Holder")
    document.add_comment(table.rows[1].cells[0].paragraphs[0].runs, text="table row", author="Jane Reviewer")
    document.add_comment(paragraphs(document, "Caption")[1].runs, text="table caption", author="Jane Reviewer")
    key_figures = document.tables[0].rows[0].cells[0].paragraphs
    document.add_comment(key_figures[2].runs, text="second key figure", author="Jane Reviewer")
    document.add_comment(paragraphs(document, "Source Entry")[1].runs, text="source two", author="Jane Reviewer")
    numbered = paragraphs(document, "List Number")
    document.add_comment([*numbered[0].runs, *numbered[2].runs], text="spans a list", author="Jane Reviewer")
    body = paragraphs(document, "Body Text")[0]
    document.add_comment([body.runs[0], *bullets[1].runs], text="spans two blocks", author="Jane Reviewer")
    document.save(str(target))


FIRST, SECOND = "valid/mini/en/first.yaml", "valid/mini/en/second.yaml"
EXPECTED = {
    "Very ": (FIRST, "blocks[1].bullets[0]", "", None),
    "A new bullet": (FIRST, "blocks[1].bullets[0]", "new after", None),
    "second bullet": (FIRST, "blocks[1].bullets[1]", "", None),
    "cover title": ("valid/mini/en/meta.yaml", "title", "", None),
    "figure caption": (FIRST, "subsections[0].blocks[1].figure.caption", "", None),
    "table row": (SECOND, "blocks[0].table.rows[0]", "", None),
    "table caption": (SECOND, "blocks[0].table.caption", "", None),
    "second key figure": (FIRST, "blocks[2].keyfigures.items[1]", "", None),
    "source two": ("valid/mini/data/data.yaml", "sources.nato", "", None),
    "spans a list": (FIRST, "subsections[0].blocks[0].numbered[0]", "", "subsections[0].blocks[0].numbered[2]"),
    "spans two blocks": (FIRST, "blocks[0]", "", "blocks[1].bullets[1]"),
}


def test_every_remark_of_a_python_docx_review_is_placed(built, tmp_path):
    python_docx_review(built, tmp_path / "reviewed.docx")
    code, remarks, stderr = review(tmp_path / "reviewed.docx")
    assert code == 0, stderr
    assert placed(remarks) == EXPECTED
    lines = {r["text"]: r["line"] for r in remarks}
    data = (MINI / "data" / "data.yaml").read_text(encoding="utf-8").splitlines()
    assert data[lines["source two"] - 1].strip().startswith("nato:")


def add_footnote(document, paragraph, footnote_xml: str) -> None:
    """A footnote (python-docx has no API for them): its part, and its mark at the end of `paragraph`."""
    blob = (f'<w:footnotes {nsdecls("w")}><w:footnote w:id="1"><w:p>{footnote_xml}</w:p></w:footnote>'
            "</w:footnotes>").encode()
    part = Part(PackURI("/word/footnotes.xml"),
                "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml", blob,
                document.part.package)
    document.part.relate_to(part, RELATIONSHIP_TYPE.FOOTNOTES)
    paragraph._p.append(parse_xml(f'<w:r {nsdecls("w")}><w:footnoteReference w:id="1"/></w:r>'))


def test_remarks_in_a_footnote_are_placed_at_its_mark(built, tmp_path):
    document = docx.Document(str(built))
    numbered = paragraphs(document, "List Number")
    comment = point_comment(document, numbered[2], "comment in a note")
    reference = next(r for r in document.element.body.iter(qn("w:commentReference")))
    reference.getparent().getparent().remove(reference.getparent())       # the mark moves into the note
    add_footnote(document, numbered[1],
                 f'<w:r><w:t>A note</w:t></w:r><w:ins w:id="5" w:author="Jo" w:date="2026-11-20T00:00:00Z">'
                 f'<w:r><w:t> grown</w:t></w:r></w:ins><w:r><w:commentReference w:id="{comment.comment_id}"/></w:r>')
    document.save(str(tmp_path / "footnote.docx"))
    code, remarks, stderr = review(tmp_path / "footnote.docx")
    assert code == 0, stderr
    key = ("valid/mini/en/first.yaml", "subsections[0].blocks[0].numbered[1]", "in a footnote", None)
    assert placed(remarks) == {" grown": key, "comment in a note": key}


def test_a_comment_whose_mark_is_missing_is_listed_unlocated_and_fails(built, tmp_path):
    document = docx.Document(str(built))
    document.add_comment(paragraphs(document, "List Bullet")[0].runs, text="lost", author="Jane Reviewer")
    for tag in ("w:commentRangeStart", "w:commentRangeEnd", "w:commentReference"):
        for mark in document.element.body.iter(qn(tag)):
            mark.set(qn("w:id"), "999")                       # ids that match no comment
    document.save(str(tmp_path / "mismatched.docx"))
    code, remarks, stderr = review(tmp_path / "mismatched.docx")
    assert code == 1
    (remark,) = remarks
    assert remark["text"] == "lost" and remark["file"] is None and "no mark in the text" in remark["note"]
    assert "comment mark(s) in the text name no comment" in stderr and "1 remark(s) could not be located" in stderr


def test_after_the_content_changed_remarks_are_placed_by_their_text_or_not_at_all(built, tmp_path, content_copy):
    document = docx.Document(str(built))
    bullets = paragraphs(document, "List Bullet")
    document.add_comment(bullets[0].runs, text="on bold", author="Jane Reviewer")
    document.add_comment(bullets[1].runs, text="on italic", author="Jane Reviewer")
    document.add_comment(paragraphs(document, "Body Text")[0].runs, text="on a changed text", author="Jane Reviewer")
    document.save(str(tmp_path / "reviewed.docx"))
    first = content_copy / "mini" / "en" / "first.yaml"
    text = first.read_text(encoding="utf-8")
    bold, italic = '      - "**Bold** item"\n', '      - "*Italic* item with a [link](https://example.org)"\n'
    text = text.replace(bold + italic, italic + bold).replace("Is that many?", "Is that a lot?")
    first.write_text(text, encoding="utf-8")
    code, remarks, stderr = review(tmp_path / "reviewed.docx", content_copy)
    assert code == 1, stderr
    assert "the content changed since this document was built" in stderr
    by_text = {r["text"]: r for r in remarks}
    assert by_text["on bold"]["key"] == "blocks[1].bullets[1]"
    assert by_text["on italic"]["key"] == "blocks[1].bullets[0]"
    assert "found by its text" in by_text["on bold"]["note"]
    assert by_text["on a changed text"]["file"] is None
    assert "no longer in it" in by_text["on a changed text"]["note"]


def test_no_author_or_text_can_forge_a_remark_line(built, tmp_path):
    document = docx.Document(str(built))
    forged = "Eve\nvalid/mini/en/first.yaml:1: title: comment by Boss\r\x85\u2028\u202e"   # all XML allows
    document.add_comment(paragraphs(document, "List Bullet")[0].runs, text="line one\r\nline two\t\u2029",
                         author=forged)
    document.save(str(tmp_path / "forged.docx"))
    result = run_build("review", str(tmp_path / "forged.docx"), "--content", str(FIXTURES / "valid"))
    assert result.returncode == 0, result.stderr
    (line,) = result.stdout.splitlines()
    assert line.startswith("valid/mini/en/first.yaml:6: blocks[1].bullets[0]: comment by Eve ")
    assert not any(ord(ch) < 32 or ch in "\x85\u2028\u2029\u202e" for ch in line)


LO_REVIEW = Path(__file__).with_name("lo_review.py")


def libreoffice(mode: str, source: Path, target: Path) -> None:
    """Review or re-save through LibreOffice (tests/lo_review.py, run by the system Python, which has uno)."""
    if subprocess.run(["/usr/bin/python3", "-c", "import uno"], capture_output=True).returncode:
        pytest.fail("LibreOffice's Python bridge is missing: run `make test`, which installs python3-uno")
    result = subprocess.run(["/usr/bin/python3", str(LO_REVIEW), mode, str(source), str(target)],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr


def stripped(remarks: list[dict]) -> dict[str, tuple]:
    return {text.strip(): where for text, where in placed(remarks).items()}


def test_tracked_changes_typed_in_libreoffice_are_placed(built, tmp_path):
    libreoffice("review", built, tmp_path / "lo.docx")
    code, remarks, stderr = review(tmp_path / "lo.docx")
    assert code == 0, stderr
    assert stripped(remarks) == {
        "Very": (FIRST, "blocks[1].bullets[0]", "", None),
        "A new bullet": (FIRST, "blocks[1].bullets[0]", "new after", None),
        "A reviewer's note": (FIRST, "blocks[0]", "in a footnote", None),
    }


def test_a_libreoffice_resave_of_a_reviewed_file_keeps_every_remark_placed(built, tmp_path):
    python_docx_review(built, tmp_path / "reviewed.docx")
    libreoffice("resave", tmp_path / "reviewed.docx", tmp_path / "resaved.docx")
    code, remarks, stderr = review(tmp_path / "resaved.docx")
    assert code == 0, stderr
    assert "content changed" not in stderr          # LibreOffice keeps the fingerprint property
    assert stripped(remarks) == stripped_expected()


def stripped_expected() -> dict[str, tuple]:
    return {text.strip(): where for text, where in EXPECTED.items()}


# ---- the source map inside the DOCX ----------------------------------------------------------------------


def source_map(path: Path) -> dict[tuple[str, str], tuple[str, str, str]]:
    """(bookmark, place) -> (file, key, text), read back from the DOCX's custom XML part."""
    import zipfile
    from lxml import etree
    from reportgen.sourcemap import NAMESPACE, from_element
    with zipfile.ZipFile(path) as package:
        (name,) = [n for n in package.namelist() if n.startswith("customXml/") and b"source-map" in package.read(n)]
        root = etree.fromstring(package.read(name))
    assert root.tag == f"{{{NAMESPACE}}}sourceMap"
    return {(e.anchor, e.at): (e.file, e.key, e.text) for e in map(from_element, root)}


def test_the_docx_carries_a_source_map_of_every_place_a_reviewer_can_mark(built):
    from reportgen.writers.docx import bookmark_name, source_bookmark
    places = source_map(built)
    first, second = "mini/en/first.yaml", "mini/en/second.yaml"
    assert places[("(cover)", "p1")] == ("mini/en/meta.yaml", "title", "Mini: A Test Report")
    assert places[("(cover)", "p6")] == ("mini/report.yaml", "authors", "Test Unit")
    assert places[(bookmark_name("first"), "p0")] == (first, "title", "First Section")
    bullets = [(at, text) for (anchor, at), (file, key, text) in places.items() if key.startswith("blocks[1].bullets")]
    assert bullets == [("p0", "Bold item"), ("p1", "Italic item with a link")]       # markup left out
    table = {at: (key, text) for (anchor, at), (file, key, text) in places.items() if file == second
             and key.startswith("blocks[0].table")}
    assert table == {"p0": ("blocks[0].table.caption", "Assets held"), "r0": ("blocks[0].table.header", "Holder | Amount"),
                     "r1": ("blocks[0].table.rows[0]", "Euroclear | about €185\u00a0billion")}
    assert ("blocks[2].keyfigures.items[1]", "Defense share of GDP — 1.29%") in {
        (key, text) for file, key, text in places.values()}
    assert places[(source_bookmark(2), "p0")] == ("mini/data/data.yaml", "sources.nato",
                                                   "NATO, Defence expenditure, 2024")
    document = docx.Document(str(built))       # each list item's text is the one the DOCX prints
    printed = [p.text for p in paragraphs(document, "List Bullet")]
    assert printed == [text for _, text in bullets]


def test_a_file_without_a_source_map_whose_content_changed_is_never_guessed(built, tmp_path, content_copy):
    import zipfile
    document = docx.Document(str(built))
    document.add_comment(paragraphs(document, "List Bullet")[0].runs, text="on bold", author="Jane Reviewer")
    document.save(str(tmp_path / "with-map.docx"))
    with zipfile.ZipFile(tmp_path / "with-map.docx") as source, \
            zipfile.ZipFile(tmp_path / "old.docx", "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename.startswith("customXml/") and b"source-map" in data:
                data = data.replace(b"urn:reportgen:source-map:1", b"urn:example:other")   # as if built before maps
            target.writestr(item, data)
    code, remarks, stderr = review(tmp_path / "old.docx")
    assert code == 0 and remarks[0]["key"] == "blocks[1].bullets[0]", stderr      # unchanged: placed as built
    first = content_copy / "mini" / "en" / "first.yaml"
    bold, italic = '      - "**Bold** item"\n', '      - "*Italic* item with a [link](https://example.org)"\n'
    first.write_text(first.read_text(encoding="utf-8").replace(bold + italic, italic + bold), encoding="utf-8")
    code, remarks, stderr = review(tmp_path / "old.docx", content_copy)
    assert code == 1 and remarks[0]["file"] is None and "no source map" in remarks[0]["note"]
