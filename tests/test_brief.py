"""Issue 11: editions, and the two-page brief built from the report's own content, in both languages and formats.

The real brief is read back from the PDF (pypdf, pdffonts) and from the DOCX (python-docx, and LibreOffice
for its page count). Editions of the mini fixture test the plumbing, the fit check and the validation.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import docx
import pytest
from pypdf import PdfReader

from conftest import CONTENT, run_build
from readback import docx_text, normalise_spaces, pdf_outline_titles, pdf_text
from reportgen import editions, model
from reportgen.validate import load_report
from reportgen.writers.docx import TABLE_STYLE
from test_pdf import SHIPPED_FONTS, structure_figures

LANGS = {"en": "en-US", "fr": "fr-BE"}
NBSP = "\u00a0"


@pytest.fixture(scope="module")
def briefs():
    raw = load_report(CONTENT / "belgium")
    return {lang: editions.assemble(raw, lang, "brief") for lang in LANGS}


def brief_pdf(out: Path, lang: str) -> Path:
    return out / f"belgium-brief.{lang}.pdf"


# ---- the real brief ----------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_brief_pdf_is_one_sheet_tagged_with_fonts_embedded(real_output, briefs, lang):
    path = brief_pdf(real_output, lang)
    reader = PdfReader(path)
    assert len(reader.pages) == 2
    assert all(page.mediabox.width == pytest.approx(595.28, abs=1) for page in reader.pages)   # A4
    root = reader.trailer["/Root"]
    assert root["/Lang"] == LANGS[lang] and "/StructTreeRoot" in root
    listing = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    for line in listing.splitlines()[2:]:
        assert line.split()[-5] == "yes" and line.split()[0].split("+", 1)[1] in SHIPPED_FONTS, line
    outline = [normalise_spaces(t) for t in pdf_outline_titles(path)]
    labels = briefs[lang].labels["brief"]
    for heading in (briefs[lang].edition.parts[0].title, labels["recommendations"], labels["sources"]):
        assert normalise_spaces(heading) in outline
    figures = [p for p in briefs[lang].edition.parts if isinstance(p, model.Figure)]
    assert sorted(structure_figures(reader)) == sorted(f.alt for f in figures) and figures


@pytest.mark.parametrize("lang", LANGS)
def test_brief_holds_masthead_judgments_recommendations_figures_and_its_own_notes(real_output, briefs, lang):
    brief = briefs[lang]
    text = normalise_spaces(pdf_text(brief_pdf(real_output, lang)))
    flat = text.replace(" ", "")
    for line in (brief.title, brief.edition.kind.upper(), *brief.edition.dates,
                 brief.edition.derived_from.format(file=f"belgium.{lang}.pdf")):
        assert normalise_spaces(line).replace(" ", "") in flat, line
    recommendations = next(p for p in brief.edition.parts if isinstance(p, model.Recommendations))
    assert [item.rank for item in recommendations.items] == [1, 2, 3, 4, 5]
    for item in recommendations.items:
        assert [f.key for f in item.fields] == ["headline", "us_lead", "by"]
        assert normalise_spaces("".join(s.text for s in item.title)).replace(" ", "") in flat
    # Its own source notes: numbered from 1 in the order the brief cites them, only those it cites.
    full = load_report(CONTENT / "belgium")
    assert [s.number for s in brief.sources] == list(range(1, len(brief.sources) + 1))
    assert 5 <= len(brief.sources) < len(full.sources)
    cited = {span.number for part in brief.sections for block in part.blocks for span in _notes(block)}
    assert cited <= {s.number for s in brief.sources}


def _notes(block):
    spans = getattr(block, "spans", ())
    return [s for s in spans if isinstance(s, model.NoteRef)]


def test_french_brief_has_french_typography(real_output):
    text = pdf_text(brief_pdf(real_output, "fr"))
    assert f"{NBSP}%" in text or "\u202f%" in text
    assert re.search(r"[«] ?\S", text) is None or f"«{NBSP}" in text or "«\u202f" in text
    assert "Informations arrêtées au" in normalise_spaces(text) or "Publié le" in normalise_spaces(text)


@pytest.mark.parametrize("lang", LANGS)
def test_docx_brief_uses_the_report_styles_and_fits_two_pages_in_libreoffice(real_output, briefs, lang, tmp_path):
    path = real_output / f"belgium-brief.{lang}.docx"
    document = docx.Document(str(path))
    used = {p.style.name for p in document.paragraphs}
    assert {"Title", "Heading 1", "Body Text", "Source Entry", "Caption"} <= used
    assert TABLE_STYLE in {table.style.name for table in document.tables}   # the recommendations
    text = docx_text(path)
    for item in next(p for p in briefs[lang].edition.parts if isinstance(p, model.Recommendations)).items:
        assert "".join(s.text for s in item.title) in text
    assert f"belgium.{lang}.docx" in text
    result = subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/profile",
                             "--convert-to", "pdf", "--outdir", str(tmp_path), str(path)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert len(PdfReader(tmp_path / path.with_suffix(".pdf").name).pages) <= 2


def test_brief_is_listed_with_its_edition(real_output, tmp_path):
    result = run_build("--list-jobs", "--output", str(tmp_path))
    jobs = json.loads(result.stdout)
    assert {(j["edition"], Path(j["output"]).name) for j in jobs} >= {
        ("full", "belgium.en.pdf"), ("brief", "belgium-brief.fr.docx")}
    documents = json.loads((real_output / "build-report.json").read_text())["documents"]
    assert {d["edition"] for d in documents} == {"full", "brief"}


# ---- editions of the mini report: plumbing, fit check, validation --------------------------------------

ONE_PAGE_ASK = """
editions:
  ask:
    layout: brief
    pages: 1
    parts:
      - recommendations: [title, action, us_lead, by]
      - keyfigures: glance
      - chart: shares
"""


@pytest.fixture
def mini_with_ask(content_copy) -> Path:
    report = content_copy / "mini"
    with open(report / "report.yaml", "a", encoding="utf-8") as stream:
        stream.write(ONE_PAGE_ASK)
    for lang in ("en", "fr"):
        first = report / lang / "first.yaml"
        first.write_text(first.read_text(encoding="utf-8").replace("  - keyfigures:\n", "  - keyfigures:\n      id: glance\n"),
                         encoding="utf-8")
    return content_copy


def test_edition_option_picks_editions_and_names_files(mini_with_ask, tmp_path):
    out = tmp_path / "out"
    result = run_build("--content", str(mini_with_ask), "--output", str(out), "--edition", "ask", "--format", "pdf")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.glob("*.pdf")) == ["mini-ask.en.pdf", "mini-ask.fr.pdf"]
    assert "wrote" in result.stdout and "mini-ask.en.pdf" in result.stdout
    assert len(PdfReader(out / "mini-ask.en.pdf").pages) == 1
    shard = run_build("--content", str(mini_with_ask), "--output", str(out), "--list-jobs", "--shard", "1/2")
    assert {j["edition"] for j in json.loads(shard.stdout)} <= {"full", "ask"}
    every = run_build("--content", str(mini_with_ask), "--output", str(out), "--format", "pdf")
    assert every.returncode == 0, every.stderr
    assert sorted(p.name for p in out.glob("*.pdf")) == ["mini-ask.en.pdf", "mini-ask.fr.pdf", "mini.en.pdf",
                                                         "mini.fr.pdf"]
    assert "up to date" in every.stdout   # the ask was already built


def _lengthen_the_ask(content) -> None:
    """Both languages (parity) get a recommendation action far too long for the one-page ask."""
    for lang, word in (("en", "Longer"), ("fr", "Plus long")):
        second = content / "mini" / lang / "second.yaml"
        text = second.read_text(encoding="utf-8")
        action = re.search(r"action: (.*)\n", text).group(1)
        second.write_text(text.replace(f"action: {action}", f"action: {action} " + f"{word} text. " * 400, 1),
                          encoding="utf-8")


def test_an_unknown_edition_is_a_usage_error_naming_the_declared_ones(mini_with_ask, tmp_path):
    result = run_build("--content", str(mini_with_ask), "--output", str(tmp_path / "out"), "--edition", "full,aks")
    assert result.returncode == 2
    assert "--edition full,aks: no report declares 'aks'; did you mean 'ask'? (editions: ask, full)" in result.stderr
    assert not (tmp_path / "out").exists()


def test_an_edition_that_overflows_fails_and_keeps_the_previous_file(mini_with_ask, tmp_path):
    out = tmp_path / "out"
    assert run_build("--content", str(mini_with_ask), "--output", str(out), "--edition", "ask",
                     "--format", "pdf").returncode == 0
    before = (out / "mini-ask.fr.pdf").read_bytes()
    _lengthen_the_ask(mini_with_ask)
    result = run_build("--content", str(mini_with_ask), "--output", str(out), "--edition", "ask", "--format", "pdf")
    assert result.returncode == 2
    match = re.search(r"mini-ask\.fr: (\d+) pages, must fit on 1 \(about (\d+) lines too long\)", result.stderr)
    assert match and int(match.group(1)) >= 2 and int(match.group(2)) > 10, result.stderr
    assert (out / "mini-ask.fr.pdf").read_bytes() == before


def test_verify_docx_lays_the_docx_edition_out_in_libreoffice_and_refuses_an_overflow(mini_with_ask, tmp_path):
    out = tmp_path / "out"
    args = ("--content", str(mini_with_ask), "--output", str(out), "--edition", "ask", "--format", "docx", "-v")
    plain = run_build(*args)
    assert plain.returncode == 0, plain.stderr
    assert "page count not checked" in plain.stdout
    verified = run_build(*args, "--verify-docx")   # the same content, now checked: rebuilt, not "up to date"
    assert verified.returncode == 0, verified.stderr
    assert "page count from LibreOffice's layout" in verified.stdout
    assert re.search(r"wrote \S+mini-ask\.fr\.docx \(1 page,", verified.stdout), verified.stdout
    before = (out / "mini-ask.fr.docx").read_bytes()
    _lengthen_the_ask(mini_with_ask)
    result = run_build(*args, "--verify-docx")
    assert result.returncode == 2
    match = re.search(r"mini-ask\.fr\.docx: (\d+) pages in LibreOffice, must fit on 1", result.stderr)
    assert match and int(match.group(1)) >= 2, result.stderr
    assert (out / "mini-ask.fr.docx").read_bytes() == before
    assert run_build(*args).returncode == 0   # without the check, the build does not lay it out


EDITION_ERRORS = [
    ("- section: nowhere", "unknown section 'nowhere'"),
    ("- chart: nochart", "unknown chart 'nochart'"),
    ("- keyfigures: missing", "no keyfigures block has the id 'missing'"),
    ("- recommendations: [title, owner]", "should be 'title', 'headline', 'action'"),
    ("- section: second", "{ref:shares} points outside the 'ask' edition"),
]


@pytest.mark.parametrize("part, message", EDITION_ERRORS)
def test_check_locates_wrong_edition_parts(mini_with_ask, part, message):
    report = mini_with_ask / "mini" / "report.yaml"
    text = report.read_text(encoding="utf-8")
    if "second" in part:   # a text of the part refers to a figure the edition does not hold
        second = mini_with_ask / "mini" / "en" / "second.yaml"
        second.write_text(second.read_text(encoding="utf-8").replace("Start with {ref:rec-talks}.",
                                                                     "Start with {ref:shares}."), encoding="utf-8")
        text = text.replace("      - chart: shares\n", "")
    report.write_text(text.replace("      - keyfigures: glance\n", f"      {part}\n"), encoding="utf-8")
    result = run_build("--content", str(mini_with_ask), "--check")
    assert result.returncode == 2
    line = next(line for line in result.stderr.splitlines() if message in line)
    assert re.match(r".*(report|second)\.yaml:\d+:\d+: error: ", line), line
