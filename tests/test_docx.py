"""Issue 5: reviewer-ready Word files, and the review loop back to the content."""
from __future__ import annotations

import json
import re
import subprocess
import zipfile
from pathlib import Path

import docx
import pytest
from docx.enum.text import WD_TAB_ALIGNMENT, WD_TAB_LEADER
from docx.oxml.ns import qn
from pypdf import PdfReader

from conftest import CONTENT, FIXTURES, run_build
from readback import docx_bookmarks, docx_citations, docx_text, normalise_spaces, pdf_citations
from reportgen import libreoffice, model
from reportgen.assemble import assemble
from reportgen.model import walk
from reportgen.validate import load_report
from reportgen.writers import docx as docx_writer

LANGS = ("en", "fr")
REFERENCE = docx_writer.REFERENCE


@pytest.fixture(scope="module")
def reports():
    raw = load_report(CONTENT / "belgium")
    return {lang: assemble(raw, lang) for lang in LANGS}


def open_docx(out: Path, lang: str):
    return docx.Document(str(out / f"belgium.{lang}.docx"))


def test_every_style_the_writer_names_exists_in_the_reference():
    names = {style.name for style in docx.Document(str(REFERENCE)).styles}
    assert set(docx_writer.STYLES) <= names


def test_every_block_kind_has_an_html_macro_and_a_docx_method():
    template = (REFERENCE.parent / "html" / "blocks.html.j2").read_text(encoding="utf-8")
    for kind in (model.Paragraph, model.BulletList, model.NumberedList, model.Table, model.Figure,
                 model.KeyFigures, model.Callout, model.Recommendations):
        snake = re.sub(r"(?<!^)(?=[A-Z])", "_", kind.__name__).lower()
        assert f"macro {snake}(" in template, kind
        assert hasattr(docx_writer.DocxWriter, snake), kind


def test_lists_use_real_numbering_and_each_numbered_list_restarts(mini_output):
    # On the mini report, which holds every block kind (the real one may have no numbered list).
    document = docx.Document(str(mini_output / "mini.en.docx"))
    numbering = document.part.numbering_part.element
    for style in ("List Bullet", "List Number"):
        num_id = document.styles[style].element.pPr.numPr.numId.val
        assert numbering.num_having_numId(num_id) is not None
    restarted = [num for num in numbering.findall(qn("w:num")) if num.find(f".//{qn('w:startOverride')}") is not None]
    numbered_lists = sum(isinstance(b, model.NumberedList) for s in walk(assemble(
        load_report(FIXTURES / "valid" / "mini"), "en").sections) for b in s.blocks)
    assert len(restarted) >= numbered_lists > 0


def toc_lines(document) -> list[tuple[str, str, str, str]]:
    """(style, number, title, page) of every cached contents line."""
    return [(p.style.name, *p.text.split("\t")) for p in document.paragraphs if p.style.name.startswith("toc ")]


@pytest.mark.parametrize("lang", LANGS)
def test_toc_field_is_complete_and_refreshed_on_open(real_output, reports, lang):
    document = open_docx(real_output, lang)
    instructions = [t.text for t in document.element.body.iter(qn("w:instrText"))]
    assert any(re.search(r'TOC \\o "1-2"', i) for i in instructions)
    lines = toc_lines(document)
    expected = [(f"toc {s.level}", s.number, s.title) for s in walk(reports[lang].sections) if s.level <= 2]
    expected.append(("toc 1", "", reports[lang].labels["sources"]))
    assert [(style, number, normalise_spaces(title)) for style, number, title, _ in lines] == \
        [(style, number, normalise_spaces(title)) for style, number, title in expected]
    pages = [int(page) for *_, page in lines]
    assert pages == sorted(pages) and pages[0] >= 3
    update = document.settings.element.find(qn("w:updateFields"))
    assert update is not None and update.get(qn("w:val")) == "true"


def test_toc_styles_have_a_dot_leader_page_tab_and_hanging_indents():
    styles = docx.Document(str(REFERENCE)).styles
    previous_number_start = -1
    for level in (1, 2, 3):
        style = styles[f"toc {level}"].paragraph_format
        leaders = [stop for stop in style.tab_stops if stop.leader == WD_TAB_LEADER.DOTS]
        assert len(leaders) == 1 and leaders[0].alignment == WD_TAB_ALIGNMENT.RIGHT
        # hanging: the number starts left of the title, and wrapped lines align with the title
        assert style.first_line_indent < 0
        assert style.left_indent in [stop.position for stop in style.tab_stops]
        number_start = style.left_indent + style.first_line_indent
        assert number_start > previous_number_start
        previous_number_start = number_start


@pytest.mark.parametrize("lang, word", [("en", "of"), ("fr", "sur")])
def test_footer_has_page_x_of_y_fields_and_cover_has_no_header(real_output, lang, word):
    document = open_docx(real_output, lang)
    body_section = document.sections[1]
    footer = body_section.footer._element
    fields = " ".join(t.text for t in footer.iter(qn("w:instrText")))
    assert "PAGE" in fields and "NUMPAGES" in fields
    assert f" {word} " in "".join(t.text or "" for t in footer.iter(qn("w:t")))
    assert "".join(t.text or "" for t in document.sections[0].header._element.iter(qn("w:t"))) == ""
    assert len(document.sections) == 2


@pytest.mark.parametrize("lang", LANGS)
def test_core_properties(real_output, reports, lang):
    props = open_docx(real_output, lang).core_properties
    report = reports[lang]
    assert props.title == report.title and props.subject == report.subject
    assert props.author == ", ".join(report.authors) and props.language == report.tag
    assert props.keywords and props.created.date() == report.date == props.modified.date()
    assert props.revision >= 1 and props.identifier == f"belgium.{lang}"


@pytest.mark.parametrize("lang", LANGS)
def test_every_picture_has_alt_text_and_every_table_repeats_its_header(real_output, reports, lang):
    document = open_docx(real_output, lang)
    figures = [b for s in walk(reports[lang].sections) for b in s.blocks if isinstance(b, model.Figure)]
    doc_prs = list(document.element.body.iter(qn("wp:docPr")))
    assert len(doc_prs) == len(figures) > 0
    assert [p.get("descr") for p in doc_prs] == [f.alt for f in figures]
    for table in document.tables:
        header = table.rows[0]._tr.trPr
        assert header is not None and header.find(qn("w:tblHeader")) is not None


@pytest.mark.parametrize("lang", LANGS)
def test_bookmarks_for_every_section(real_output, reports, lang):
    marks = set(docx_bookmarks(real_output / f"belgium.{lang}.docx"))
    for section in walk(reports[lang].sections):
        assert docx_writer.bookmark_name(section.id) in marks


@pytest.mark.parametrize("lang", LANGS)
def test_citations_are_the_pdfs_numbers_linked_to_their_source_entry(real_output, lang):
    path = real_output / f"belgium.{lang}.docx"
    cited = docx_citations(path)
    assert [number for number, _ in cited] == pdf_citations(real_output / f"belgium.{lang}.pdf")
    assert len(cited) > 20
    document = docx.Document(str(path))
    entries = {}
    for paragraph in document.paragraphs:
        for mark in paragraph._p.iter(qn("w:bookmarkStart")):
            entries[mark.get(qn("w:name"))] = paragraph
    for number, anchor in cited:
        entry = entries[anchor]
        assert entry.style.name == "Source Entry" and entry.text.startswith(f"{number}."), (number, anchor)
    assert "footnotes" not in " ".join(zipfile.ZipFile(path).namelist())


@pytest.fixture(scope="module")
def libreoffice_pdfs(real_output, tmp_path_factory):
    """LibreOffice's rendering of each DOCX, standing in for Word (private profile, as the build does)."""
    if not libreoffice.soffice():
        pytest.fail("LibreOffice (soffice) is not installed: run `make test`, which installs it")
    out = tmp_path_factory.mktemp("lo")
    for lang in LANGS:
        (out / f"belgium.{lang}.pdf").write_bytes(libreoffice.to_pdf((real_output / f"belgium.{lang}.docx").read_bytes()))
    return out


@pytest.mark.parametrize("lang", LANGS)
def test_libreoffice_opens_the_docx_with_headings_and_a_similar_page_count(libreoffice_pdfs, real_output, reports,
                                                                           lang):
    converted = libreoffice_pdfs / f"belgium.{lang}.pdf"
    reader = PdfReader(converted)
    text = normalise_spaces(" ".join(page.extract_text() for page in reader.pages))
    for section in reports[lang].sections:
        assert normalise_spaces(section.title) in text
    assert pdf_citations(converted) == pdf_citations(real_output / f"belgium.{lang}.pdf")
    weasy = len(PdfReader(real_output / f"belgium.{lang}.pdf").pages)
    assert 0.9 * weasy <= len(reader.pages) <= 1.1 * weasy


def add_review_marks(source: Path, target: Path) -> None:
    """Comments (through python-docx, as Word stores them) and a tracked insertion, at known places."""
    from docx.oxml import OxmlElement
    document = docx.Document(str(source))
    paragraphs = document.paragraphs
    bullet = next(p for p in paragraphs if p.style.name == "List Bullet")
    numbered = [p for p in paragraphs if p.style.name == "List Number"][1]
    document.add_comment(bullet.runs, text="Is this still true?", author="Jane Reviewer", initials="JR")
    document.add_comment(numbered.runs, text="Reword", author="Jo Reader", initials="JO")
    body = next(p for p in paragraphs if p.style.name == "Body Text" and p.text)
    insertion = OxmlElement("w:ins")
    for key, value in (("w:id", "901"), ("w:author", "Jane Reviewer"), ("w:date", "2026-11-20T10:00:00Z")):
        insertion.set(qn(key), value)
    run, text = OxmlElement("w:r"), OxmlElement("w:t")
    text.text = " (added)"
    run.append(text)
    insertion.append(run)
    body._p.append(insertion)
    document.save(str(target))


@pytest.mark.parametrize("lang", LANGS)
def test_review_maps_comments_back_to_content_keys(mini_output, tmp_path, lang):
    reviewed = tmp_path / f"reviewed.{lang}.docx"
    add_review_marks(mini_output / f"mini.{lang}.docx", reviewed)
    result = run_build("review", str(reviewed), "--content", str(FIXTURES / "valid"), "--format", "json")
    assert result.returncode == 0, result.stderr
    remarks = json.loads(result.stdout)
    found = {(r["kind"], r["author"], r["file"], r["key"]) for r in remarks}
    assert found == {
        ("insertion", "Jane Reviewer", f"valid/mini/{lang}/first.yaml", "blocks[0]"),
        ("comment", "Jane Reviewer", f"valid/mini/{lang}/first.yaml", "blocks[1].bullets[0]"),
        ("comment", "Jo Reader", f"valid/mini/{lang}/first.yaml", "subsections[0].blocks[0].numbered[1]"),
    }
    lines = {r["key"]: r["line"] for r in remarks}
    source = (FIXTURES / "valid" / "mini" / lang / "first.yaml").read_text(encoding="utf-8").splitlines()
    assert "**" in source[lines["blocks[1].bullets[0]"] - 1]      # the bullet's own line
    text = run_build("review", str(reviewed), "--content", str(FIXTURES / "valid"))
    assert f"valid/mini/{lang}/first.yaml:" in text.stdout and "Is this still true?" in text.stdout


@pytest.mark.parametrize("lang", LANGS)
def test_toc_page_numbers_match_libreoffices_pagination(libreoffice_pdfs, real_output, lang):
    laid_out = libreoffice.pdf_layout((libreoffice_pdfs / f"belgium.{lang}.pdf").read_bytes())
    lines = toc_lines(open_docx(real_output, lang))
    landed = docx_writer.pages_of_headings([f"{number} {title}".strip() for _, number, title, _ in lines],
                                           laid_out.headings)
    assert None not in landed
    for (_, number, title, page), actual in zip(lines, landed):
        assert abs(int(page) - actual) <= 1, (number, title, page, actual)
    app = zipfile.ZipFile(real_output / f"belgium.{lang}.docx").read("docProps/app.xml").decode()
    assert "<Application>reportgen</Application>" in app
    assert f"<Pages>{laid_out.pages}</Pages>" in app
    assert open_docx(real_output, lang).core_properties.revision == 1


def embedded_fonts(path: Path) -> dict[tuple[str, str], bytes]:
    """(family, embed tag) -> the de-obfuscated font (ECMA-376 Part 1, 17.8.1), read back independently."""
    from lxml import etree
    package = zipfile.ZipFile(path)
    table = etree.fromstring(package.read("word/fontTable.xml"))
    rels = etree.fromstring(package.read("word/_rels/fontTable.xml.rels"))
    targets = {rel.get("Id"): rel.get("Target") for rel in rels}
    found = {}
    for font in table.findall(qn("w:font")):
        for embed in font:
            if not embed.tag.endswith(("embedRegular", "embedBold", "embedItalic", "embedBoldItalic")):
                continue
            key = embed.get(qn("w:fontKey")).strip("{}").replace("-", "")
            key_bytes = bytes.fromhex(key)[::-1]
            data = bytearray(package.read("word/" + targets[embed.get(qn("r:id"))]))
            for i in range(32):
                data[i] ^= key_bytes[i % 16]
            found[(font.get(qn("w:name")), embed.tag.split("}")[1])] = bytes(data)
    return found


@pytest.mark.parametrize("lang", LANGS)
def test_fonts_are_embedded_obfuscated_subset_and_cover_the_text(real_output, lang):
    import io

    from fontTools.ttLib import TTFont
    path = real_output / f"belgium.{lang}.docx"
    assert path.stat().st_size <= 3 * 1024 * 1024
    fonts = embedded_fonts(path)
    assert {("Charis SIL", "embedRegular"), ("Charis SIL", "embedBold"), ("Charis SIL", "embedItalic"),
            ("Noto Sans", "embedRegular"), ("Noto Sans", "embedBold")} <= set(fonts)
    covered = set()
    for (family, _), data in fonts.items():
        font = TTFont(io.BytesIO(data))          # a wrong key would leave a corrupt table directory
        assert font["name"].getDebugName(1) == family
        assert len(font.getGlyphOrder()) < 1500  # subset (the shipped faces have 2,000-4,000 glyphs)
        covered |= set(font.getBestCmap())
    text = docx_text(path)
    assert {c for c in text if not c.isspace()} - {chr(c) for c in covered} == set()
    settings = zipfile.ZipFile(path).read("word/settings.xml").decode()
    assert "<w:embedTrueTypeFonts" in settings and "<w:saveSubsetFonts" in settings


@pytest.mark.parametrize("lang", LANGS)
def test_libreoffice_renders_with_the_embedded_fonts_only(libreoffice_pdfs, lang):
    installed = subprocess.run(["fc-list", ":", "family"], capture_output=True, text=True).stdout
    assert "Charis SIL" not in installed, "the report fonts are installed system-wide: this test proves nothing"
    listing = subprocess.run(["pdffonts", str(libreoffice_pdfs / f"belgium.{lang}.pdf")], capture_output=True,
                             text=True, check=True).stdout.splitlines()[2:]
    families = {line.split()[0].split("+", 1)[1].split("-")[0] for line in listing}
    assert families == {"CharisSIL", "NotoSans"}, listing
