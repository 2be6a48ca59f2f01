"""Issue 2: the pipeline end to end, on the real report and on the mini fixture."""
from __future__ import annotations

import re
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn

from conftest import CONTENT, FIXTURES
from readback import (docx_bookmarks, docx_headings, docx_text, html_section_ids, normalise_spaces,
                      pdf_anchor_order, pdf_outline_titles, pdf_text)
from reportgen.assemble import assemble
from reportgen.model import walk
from reportgen.validate import load_report
from reportgen.writers.docx import bookmark_name

CASES = [("real", CONTENT / "belgium", "belgium"), ("mini", FIXTURES / "valid" / "mini", "mini")]


@pytest.fixture(params=CASES, ids=[c[0] for c in CASES])
def built(request):
    name, folder, report_id = request.param
    out = request.getfixturevalue(f"{name}_output")
    raw = load_report(folder)
    return out, raw, report_id


def test_four_documents_are_written(built):
    out, raw, report_id = built
    for lang in ("en", "fr"):
        for fmt in ("pdf", "docx"):
            path = out / f"{report_id}.{lang}.{fmt}"
            assert path.is_file() and path.stat().st_size > 10_000, path


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_pdf_has_title_and_headings_in_order(built, lang):
    out, raw, report_id = built
    report = assemble(raw, lang)
    pdf = out / f"{report_id}.{lang}.pdf"
    text = normalise_spaces(pdf_text(pdf))
    assert normalise_spaces(report.title) in text
    outline = [normalise_spaces(t) for t in pdf_outline_titles(pdf)]
    expected = [normalise_spaces(f"{s.number} {s.title}") for s in walk(report.sections)]
    found = [t for t in outline if t in expected]
    assert found == expected


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_docx_has_heading_styles_and_language(built, lang):
    out, raw, report_id = built
    report = assemble(raw, lang)
    path = out / f"{report_id}.{lang}.docx"
    headings = [(style, normalise_spaces(text)) for style, text in docx_headings(path)]
    expected = [(f"Heading {s.level}", normalise_spaces(f"{s.number} {s.title}")) for s in walk(report.sections)]
    assert [h for h in headings if h in expected] == expected
    document = docx.Document(str(path))
    defaults = document.styles.element.find(qn("w:docDefaults")).find(".//" + qn("w:lang"))
    assert defaults.get(qn("w:val")) == report.tag
    langs = {el.get(qn("w:val")) for p in document.paragraphs if p.style.name != "Source Entry"
             for el in p._p.iter(qn("w:lang"))}
    assert langs == {report.tag}     # source titles carry their own language (test_docx)
    assert document.core_properties.language == report.tag


def test_same_sections_in_same_order_in_all_documents(built):
    out, raw, report_id = built
    ids = [s.id for s in walk(assemble(raw, "en").sections)]
    for lang in ("en", "fr"):
        assert html_section_ids(out / f"{report_id}.{lang}.html") == ids
        assert pdf_anchor_order(out / f"{report_id}.{lang}.pdf", ids) == ids
        marks = docx_bookmarks(out / f"{report_id}.{lang}.docx")
        assert [m for m in marks if m in {bookmark_name(i) for i in ids}] == [bookmark_name(i) for i in ids]


def test_french_typography(built):
    out, raw, report_id = built
    for text in (docx_text(out / f"{report_id}.fr.docx"), pdf_text(out / f"{report_id}.fr.pdf")):
        assert not re.search(r" [:;?!]", text), re.search(r".{30} [:;?!]", text)
        assert not re.search(r"« ", text) and not re.search(r" »", text)
    docx_body = docx_text(out / f"{report_id}.fr.docx")
    assert re.search("\u202f[;?!]", docx_body) and re.search("\u00a0:", docx_body)
    if "«" in docx_body:
        assert re.search("«\u00a0", docx_body) and re.search("\u00a0»", docx_body)


def test_english_keeps_plain_spaces(mini_output):
    text = docx_text(mini_output / "mini.en.docx")
    assert "Yes: see figure 1" in text and "\u202f" not in text


def test_hostile_text_is_shown_not_executed(mini_output):
    for lang in ("en", "fr"):
        html = (mini_output / f"mini.{lang}.html").read_text(encoding="utf-8")
        paragraph = re.search(r'<p id="second-2-1">(.*?)</p>', html, re.S).group(1)
        assert "&lt;b&gt;" in paragraph and "{{ 7*7 }}" in paragraph and "49" not in paragraph
        text = normalise_spaces(docx_text(mini_output / f"mini.{lang}.docx"))
        assert "<b>" in text and "{{ 7*7 }}" in text
