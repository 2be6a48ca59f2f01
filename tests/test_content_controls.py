"""Issue 13, item 1: every placeholder the DOCX prints sits in a locked, tagged Word content control (w:sdt), and
`review` names the control a remark falls in, also after LibreOffice (which drops the tags) re-saved the file."""
from __future__ import annotations

import copy
import dataclasses
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn
from docx.text.run import Run

from conftest import CONTENT, FIXTURES, ROOT
from readback import docx_controls, normalise_spaces, pdf_text
from reportgen import editions, model as m
from reportgen.locale import Locale
from reportgen.validate import load_report
from reportgen.writers.docx import bookmark_name, source_bookmark
from test_review import libreoffice, review, tracked

LANGS = ("en", "fr")
EDITIONS = {"full": "belgium", "brief": "belgium-brief"}


def origins(node) -> list[str]:
    """The placeholders a model node renders (spans, blocks, sections, an edition's parts), each once."""
    if isinstance(node, (tuple, list)):
        return [origin for child in node for origin in origins(child)]
    if isinstance(node, m.KeyFigure):
        return origins(node.value_and_note())
    if isinstance(node, (m.Text, m.NoteRef, m.CrossRef)):
        return [node.origin] if node.origin else []
    if dataclasses.is_dataclass(node) and not isinstance(node, (m.Origin, m.Chart)):
        return [origin for f in dataclasses.fields(node) for origin in origins(getattr(node, f.name))]
    return []


@pytest.fixture(scope="module")
def raw():
    return load_report(CONTENT / "belgium")


def report_of(raw, edition: str, lang: str) -> m.Report:
    return editions.assemble(raw, lang, editions.FULL if edition == "full" else edition)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("edition", EDITIONS)
def test_every_placeholder_is_one_locked_tagged_inline_control(real_output, raw, edition, lang):
    report = report_of(raw, edition, lang)
    expected = Counter(origins(report.edition.parts if report.edition else report.sections))
    assert expected["cite:" + report.sources[0].id] and any(o.startswith("value:") for o in expected)
    controls = docx_controls(real_output / f"{EDITIONS[edition]}.{lang}.docx")
    assert Counter(c["tag"] for c in controls) == expected
    assert [c["id"] for c in controls] == [str(n) for n in range(1, len(controls) + 1)]   # a counter: reproducible
    titles = report.labels["content_controls"]
    for control in controls:
        kind, _, ident = control["tag"].partition(":")
        assert control["alias"] == titles[kind].format(id=ident)
        assert control["lock"] == "contentLocked" and not control["placeholder"] and control["in_paragraph"]


def printed_forms(pdf: str) -> tuple[str, str]:
    """The PDF's text with spaces normalised, once as extracted and once with the words hyphenated at a line's end
    joined again (WeasyPrint hyphenates with U+2010)."""
    text = pdf.replace("\u00ad", "")
    return normalise_spaces(text), normalise_spaces(re.sub(r"(?<=\w)[\u2010-]\n(?=\w)", "", text))


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("edition", EDITIONS)
def test_each_control_holds_what_its_tag_names_and_the_pdf_prints_it(real_output, raw, edition, lang):
    report = report_of(raw, edition, lang)
    locale = Locale(lang, report.tag)
    numbers = {source.id: source.number for source in report.sources}
    labels = {span.target: span.label for span in _spans(report) if isinstance(span, m.CrossRef)}
    printed = printed_forms(pdf_text(real_output / f"{EDITIONS[edition]}.{lang}.pdf"))
    controls = docx_controls(real_output / f"{EDITIONS[edition]}.{lang}.docx")
    for control in controls:
        kind, _, ident = control["tag"].partition(":")
        text = control["text"]
        if kind == "value":
            figure = raw.figures[ident]
            assert text == locale.typography(locale.figure(figure.value, figure.unit, figure.approx)), control
        elif kind == "year":
            assert text == str(raw.figures[ident].year), control
        elif kind == "cite":
            assert (text, control["link"]) == (f"[{numbers[ident]}]", source_bookmark(numbers[ident])), control
        else:
            assert (text, control["link"]) == (labels[ident], bookmark_name(ident)), control
        assert any(normalise_spaces(text) in form for form in printed), control


def _spans(report: m.Report):
    """Every inline span of a report's parts, depth first."""
    stack = [report.edition.parts if report.edition else report.sections]
    while stack:
        node = stack.pop()
        if isinstance(node, (tuple, list)):
            stack.extend(node)
        elif isinstance(node, (m.Text, m.NoteRef, m.CrossRef)):
            yield node
        elif dataclasses.is_dataclass(node) and not isinstance(node, (m.Origin, m.Chart)):
            stack.extend(getattr(node, f.name) for f in dataclasses.fields(node))


@pytest.mark.parametrize("lang, spans, expected", [
    ("fr", ["taux ", ("5\u202f%", "value:a"), ": hausse ; « ", ("2024", "year:a"), " » !"],
     ["taux ", ("5\u202f%", "value:a"), "\u00a0: hausse\u202f; «\u00a0", ("2024", "year:a"), "\u00a0»\u202f!"]),
    ("en", ['the "', ("5%", "value:a"), '" figure'], ["the \u201c", ("5%", "value:a"), "\u201d figure"]),
    ("en", ["in ", ("2024", "year:a"), "'s budget"], ["in ", ("2024", "year:a"), "\u2019s budget"]),
])
def test_typography_still_sees_across_a_value_and_leaves_it_a_span_of_its_own(lang, spans, expected):
    """Quotes paired around a value, an apostrophe after it, a French no-break space added after it: what the
    typography adds at a value's edge goes to the prose, so the control holds exactly the value."""
    from reportgen.assemble import _finish
    make = lambda items: tuple(m.Text(*item) if isinstance(item, tuple) else m.Text(item) for item in items)  # noqa: E731
    locale = Locale(lang, {"en": "en-US", "fr": "fr-BE"}[lang])
    assert _finish(make(spans), locale) == make(expected)


# ---- review: a remark inside a control is named with its tag ------------------------------------------------

FIRST = "valid/mini/en/first.yaml"


def control_runs(document, tag: str, nth: int = 0) -> list:
    """The runs (lxml) inside the nth content control with this tag."""
    found = [sdt for sdt in document.element.body.iter(qn("w:sdt"))
             if sdt.find(f"{qn('w:sdtPr')}/{qn('w:tag')}").get(qn("w:val")) == tag]
    return list(found[nth].find(qn("w:sdtContent")).iter(qn("w:r")))


def review_inside_controls(built: Path, target: Path) -> None:
    """A reviewer's edits where Word refuses them (the controls are locked), as another editor would save them: an
    insertion inside the population's value, the year deleted, and a comment on a reference; in the value of a
    key figure, which its note follows, a digit typed in its middle and a word at its end."""
    document = docx.Document(str(built))
    control_runs(document, "value:pop")[0].addnext(tracked("w:ins", " (approx.)", 901))
    (value,) = control_runs(document, "value:pop", 1)
    value.addnext(tracked("w:ins", " people", 903))
    tail = copy.deepcopy(value)
    value.find(qn("w:t")).text, tail.find(qn("w:t")).text = value.find(qn("w:t")).text.split("\u00a0")
    tail.find(qn("w:t")).text = "\u00a0" + tail.find(qn("w:t")).text
    value.addnext(tail)
    value.addnext(tracked("w:ins", "5", 904))
    (year,) = control_runs(document, "year:pop")
    deletion = tracked("w:del", year.find(qn("w:t")).text, 902)
    deletion[0].insert(0, year.find(qn("w:rPr")).__copy__())
    year.addnext(deletion)
    year.getparent().remove(year)
    (reference,) = control_runs(document, "ref:shares")
    paragraph = next(p for p in document.paragraphs if reference in p._p.iter(qn("w:r")))
    document.add_comment([Run(reference, paragraph)], text="Which figure?", author="Jane Reviewer")
    document.add_comment(paragraph.runs[-1:], text="outside", author="Jane Reviewer")
    document.save(str(target))


EXPECTED = {" (approx.)": ("insertion", "value:pop"), "Which figure?": ("comment", "ref:shares"),
            "outside": ("comment", None), "deleted year": ("deletion", "year:pop"),
            " people": ("insertion", "value:pop"), "5": ("insertion", "value:pop")}


def in_controls(remarks: list[dict]) -> dict:
    return {r["text"]: (r["kind"], r["content_control"]) for r in remarks if r["kind"] != "deletion"} | {
        "deleted year": next((r["kind"], r["content_control"]) for r in remarks if r["kind"] == "deletion")}


def test_a_remark_inside_a_content_control_is_reported_with_its_tag(mini_output, tmp_path):
    review_inside_controls(mini_output / "mini.en.docx", tmp_path / "reviewed.docx")
    code, remarks, stderr = review(tmp_path / "reviewed.docx")
    assert code == 0, stderr
    assert in_controls(remarks) == EXPECTED
    assert {r["key"] for r in remarks} == {"blocks[0]", "blocks[2].keyfigures.items[0]"}
    assert {r["file"] for r in remarks} == {FIRST}
    listed = subprocess.run([sys.executable, str(ROOT / "build.py"), "review", str(tmp_path / "reviewed.docx"),
                             "--content", str(FIXTURES / "valid")], capture_output=True, text=True).stdout
    assert f"{FIRST}:3: blocks[0] (in value:pop): inserted by Jane Reviewer 2026-11-20" in listed


def test_after_a_libreoffice_resave_the_lost_tags_come_from_the_source_map(mini_output, tmp_path):
    """LibreOffice 7.4 keeps the controls when it saves, but not their tag, title or lock: `review` finds the tag
    of the control a remark is in through the source map the file carries (the control's rank and text). A value
    and the citation right after it come back as one control holding both: a remark there is listed as in a control
    whose tag is lost when it sits at their border, never under a guessed tag."""
    review_inside_controls(mini_output / "mini.en.docx", tmp_path / "reviewed.docx")
    libreoffice("resave", tmp_path / "reviewed.docx", tmp_path / "resaved.docx")
    inline = [c for c in docx_controls(tmp_path / "resaved.docx") if c["in_paragraph"]]   # not its contents' control
    assert "11.85\u00a0million people[1]" in [c["text"] for c in inline]
    assert not any(c["tag"] for c in inline)   # if a later LibreOffice keeps the tags, review reads them directly
    code, remarks, stderr = review(tmp_path / "resaved.docx")
    assert code == 0, stderr
    assert in_controls(remarks) == EXPECTED | {" people": ("insertion", "untagged")}
    listed = subprocess.run([sys.executable, str(ROOT / "build.py"), "review", str(tmp_path / "resaved.docx"),
                             "--content", str(FIXTURES / "valid")], capture_output=True, text=True).stdout
    assert "keyfigures.items[0] (in a content control whose tag is lost): inserted" in listed


def test_two_builds_of_the_controls_give_identical_bytes(tmp_path):
    for name, seed in (("a", "1"), ("b", "2")):
        result = subprocess.run([sys.executable, str(ROOT / "build.py"), "--content", str(FIXTURES / "valid"),
                                 "--output", str(tmp_path / name), "--format", "docx", "--lang", "en"],
                                capture_output=True, text=True, env={"PATH": "/usr/bin:/bin", "PYTHONHASHSEED": seed,
                                                                     "REPORTGEN_TODAY": "2026-11-25"})
        assert result.returncode == 0, result.stderr
    assert (tmp_path / "a" / "mini.en.docx").read_bytes() == (tmp_path / "b" / "mini.en.docx").read_bytes()
    assert docx_controls(tmp_path / "a" / "mini.en.docx")
