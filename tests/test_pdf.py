"""Issue 4: print-quality, accessible PDF."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from conftest import CONTENT, FIXTURES, run_build
from readback import normalise_spaces, pdf_outline_titles
from reportgen import model
from reportgen.assemble import assemble
from reportgen.model import walk
from reportgen.validate import load_report

LANGS = {"en": "en-US", "fr": "fr-BE"}
SHIPPED_FONTS = {"Charis-SIL", "Charis-SIL-Bold", "Charis-SIL-Italic", "Charis-SIL-Bold-Italic", "Noto-Sans",
                 "Noto-Sans-Bold", "Noto-Sans-Italic", "Noto-Sans-Bold-Italic"}


@pytest.fixture(scope="module")
def reports():
    raw = load_report(CONTENT / "belgium")
    return {lang: assemble(raw, lang) for lang in LANGS}


def pdf(out: Path, lang: str) -> Path:
    return out / f"belgium.{lang}.pdf"


@pytest.mark.parametrize("lang", LANGS)
def test_every_font_is_embedded_and_shipped_with_the_repo(real_output, lang):
    listing = subprocess.run(["pdffonts", str(pdf(real_output, lang))], capture_output=True, text=True,
                             check=True).stdout.splitlines()[2:]
    assert listing
    for line in listing:
        name, embedded = line.split()[0], line.split()[-5]
        assert embedded == "yes", line
        assert name.split("+", 1)[1] in SHIPPED_FONTS, line


@pytest.mark.parametrize("lang", LANGS)
def test_outline_language_title_and_tags(real_output, reports, lang):
    path = pdf(real_output, lang)
    reader = PdfReader(path)
    root = reader.trailer["/Root"]
    assert root["/Lang"] == LANGS[lang]
    assert "/StructTreeRoot" in root
    assert reader.metadata.title == reports[lang].title
    assert reader.metadata.author and reader.metadata.subject and "/Keywords" in reader.metadata
    assert reader.metadata["/CreationDate"].startswith("D:" + reports[lang].date.strftime("%Y%m%d"))
    outline = [normalise_spaces(t) for t in pdf_outline_titles(path)]
    for section in reports[lang].sections:
        assert normalise_spaces(f"{section.number} {section.title}") in outline
    assert normalise_spaces(reports[lang].title) not in outline   # the cover title is not a chapter


@pytest.mark.parametrize("lang", LANGS)
def test_contents_page_numbers_are_where_the_headings_land(real_output, reports, lang):
    reader = PdfReader(pdf(real_output, lang))
    contents = normalise_spaces(" ".join(reader.pages[i].extract_text() for i in (1, 2)))
    checked = 0
    for section in walk(reports[lang].sections):
        if section.level > 2:
            continue
        title = normalise_spaces(f"{section.number} {section.title}")
        match = re.search(re.escape(title) + r" ?\.+ ?(\d+)", contents)
        assert match, title
        page = int(match.group(1))
        landed = normalise_spaces(reader.pages[page - 1].extract_text())
        assert normalise_spaces(section.title) in landed, (title, page)
        checked += 1
    assert checked > 20


def structure_figures(reader: PdfReader) -> list[str]:
    found = []

    def walk_tree(element) -> None:
        element = element.get_object()
        if isinstance(element, dict):
            if element.get("/S") == "/Figure":
                found.append(element.get("/Alt"))
            kids = element.get("/K")
            for kid in kids if isinstance(kids, list) else [kids] if kids is not None else []:
                walk_tree(kid)

    walk_tree(reader.trailer["/Root"]["/StructTreeRoot"])
    return found


@pytest.mark.parametrize("lang", LANGS)
def test_every_figure_has_alt_text_in_the_document_language(real_output, reports, lang):
    figures = [b for s in walk(reports[lang].sections) for b in s.blocks if isinstance(b, model.Figure)]
    alts = structure_figures(PdfReader(pdf(real_output, lang)))
    assert len(alts) == len(figures) > 0
    assert sorted(alts) == sorted(f.alt for f in figures)


def test_french_paragraphs_hyphenate(real_output):
    lines = subprocess.run(["pdftotext", str(pdf(real_output, "fr")), "-"], capture_output=True, text=True,
                           check=True).stdout.splitlines()
    hyphenated = [line for line in lines if line.endswith("\u2010")]
    assert len(hyphenated) > 50


def test_letter_paper_is_a_per_report_option(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(FIXTURES / "valid", content)
    report = content / "mini" / "report.yaml"
    report.write_text(report.read_text(encoding="utf-8") + "paper: Letter\n", encoding="utf-8")
    assert run_build("--content", str(content), "--output", str(tmp_path / "out"), "--format", "pdf").returncode == 0
    box = PdfReader(tmp_path / "out" / "mini.en.pdf").pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)


def test_a4_by_default(real_output):
    box = PdfReader(pdf(real_output, "en")).pages[3].mediabox
    assert (round(float(box.width) / 72 * 25.4), round(float(box.height) / 72 * 25.4)) == (210, 297)


# ---- PDF/UA: table header scope, and pdfua clean (issue 12) ------------------------------------------


def pdfua_findings(path: Path) -> list[dict]:
    import json
    import sys
    result = subprocess.run([sys.executable, "-m", "pdfua", "check", "--format", "json", str(path)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode in (0, 1, 2, 3), result.stderr
    report = json.loads(result.stdout)
    return report["findings"]


@pytest.mark.parametrize("lang", LANGS)
def test_pdfua_reports_no_findings(real_output, mini_output, lang):
    for path in (pdf(real_output, lang), real_output / f"belgium-brief.{lang}.pdf", mini_output / f"mini.{lang}.pdf"):
        assert pdfua_findings(path) == [], path


def header_cells(path: Path) -> list:
    import pikepdf
    found = []

    def walk(element, parents) -> None:
        if isinstance(element, pikepdf.Array):
            for kid in element:
                walk(kid, parents)
            return
        if not isinstance(element, pikepdf.Dictionary) or "/S" not in element:
            return
        if element.S == pikepdf.Name.TH:
            attributes = element.get("/A")
            attributes = [attributes] if isinstance(attributes, pikepdf.Dictionary) else list(attributes or [])
            scopes = [str(a.get("/Scope")) for a in attributes if a.get("/O") == pikepdf.Name.Table]
            found.append((parents[-2], scopes))
        kids = element.get("/K")
        for kid in (list(kids) if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []):
            walk(kid, parents + [str(element.S)])

    with pikepdf.open(path) as document:
        walk(document.Root.StructTreeRoot.K, [])
    return found


@pytest.mark.parametrize("lang", LANGS)
def test_table_header_cells_carry_a_column_scope(real_output, reports, lang):
    cells = header_cells(pdf(real_output, lang))
    tables = [b for s in walk(reports[lang].sections) for b in s.blocks if isinstance(b, model.Table)]
    assert len(cells) == sum(len(t.header) for t in tables) > 0
    assert all(parent == "/THead" and scopes == ["/Column"] for parent, scopes in cells)


def test_header_scope_post_pass_on_a_hand_made_tree():
    """A TH in the head heads its column; a TH among data cells heads its row; an existing /Scope stays."""
    import pikepdf

    from reportgen.pdf_tables import add_header_scope
    document = pikepdf.new()

    def element(kind, kids=(), **extra):
        return document.make_indirect(pikepdf.Dictionary(S=pikepdf.Name(kind), K=pikepdf.Array(list(kids)), **extra))

    head_th = element("/TH", A=pikepdf.Dictionary(O=pikepdf.Name.Table))
    row_th, data = element("/TH"), element("/TD")
    kept = element("/TH", A=pikepdf.Array([pikepdf.Dictionary(O=pikepdf.Name.Table, Scope=pikepdf.Name.Both)]))
    table = element("/Table", [element("/THead", [element("/TR", [head_th])]),
                               element("/TBody", [element("/TR", [row_th, data]), element("/TR", [kept])])])
    document.Root.StructTreeRoot = pikepdf.Dictionary(K=table)
    assert add_header_scope(document) == 2
    assert head_th.A.Scope == pikepdf.Name.Column and row_th.A.Scope == pikepdf.Name.Row
    assert kept.A[0].Scope == pikepdf.Name.Both
