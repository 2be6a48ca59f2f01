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
    document = docx.Document(str(mini_output / "mini.en.docx"))
    numbering = document.part.numbering_part.element
    for style in ("List Bullet", "List Number"):
        num_id = document.styles[style].element.pPr.numPr.numId.val
        assert numbering.num_having_numId(num_id) is not None
    restarted = [num for num in numbering.findall(qn("w:num")) if num.find(f".//{qn('w:startOverride')}") is not None]
    numbered_lists = sum(isinstance(b, model.NumberedList) for s in walk(assemble(
        load_report(FIXTURES / "valid" / "mini"), "en").sections) for b in s.blocks)
    assert len(restarted) >= numbered_lists > 0


def toc_lines(document) -> list[tuple[str, str, str]]:
    """(style, "number title", page) of every cached contents line."""
    return [(p.style.name, normalise_spaces(p.text.rsplit("\t", 1)[0]).strip(), p.text.rsplit("\t", 1)[1])
            for p in document.paragraphs if p.style.name.startswith("toc ")]


@pytest.mark.parametrize("lang", LANGS)
def test_toc_field_is_complete_and_refreshed_on_open(real_output, reports, lang):
    document = open_docx(real_output, lang)
    instructions = [t.text for t in document.element.body.iter(qn("w:instrText"))]
    assert any(re.search(r'TOC \\o "1-2"', i) for i in instructions)
    lines = toc_lines(document)
    expected = [(f"toc {s.level}", normalise_spaces(f"{s.number} {s.title}"))
                for s in walk(reports[lang].sections) if s.level <= 2]
    expected.append(("toc 1", reports[lang].labels["sources"]))
    assert [(style, entry) for style, entry, _ in lines] == expected
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


@pytest.mark.parametrize("lang", LANGS)
def test_each_chapter_header_runs_its_title_in_a_styleref_field(real_output, reports, lang):
    document = open_docx(real_output, lang)
    report = reports[lang]
    chapters = [f"{s.number}  {s.title}" for s in report.sections] + [report.labels["sources"]]
    sections = document.sections
    assert len(sections) == 2 + len(chapters)    # the cover, the contents, then one per chapter
    for section, chapter in zip(sections[2:], chapters):
        header = section.header._element
        assert not section.header.is_linked_to_previous
        assert [i.text.strip() for i in header.iter(qn("w:instrText"))] == ["STYLEREF 1 \\* MERGEFORMAT"]
        assert "".join(t.text for t in header.iter(qn("w:t"))) == f"{report.title}{chapter}"
        assert section.footer.is_linked_to_previous     # page x of y carries on


@pytest.mark.parametrize("lang", LANGS)
def test_core_properties(real_output, reports, lang):
    props = open_docx(real_output, lang).core_properties
    report = reports[lang]
    assert props.title == report.title and props.subject == report.subject
    assert props.author == ", ".join(report.authors) and props.language == report.tag
    assert props.keywords and props.created.date() == report.date == props.modified.date()
    assert props.revision >= 1 and props.identifier == f"belgium.{lang}"


@pytest.mark.parametrize("lang", LANGS)
def test_every_picture_has_alt_text(real_output, reports, lang):
    document = open_docx(real_output, lang)
    figures = [b for s in walk(reports[lang].sections) for b in s.blocks if isinstance(b, model.Figure)]
    doc_prs = [d for d in document.element.body.iter(qn("wp:docPr")) if not is_decorative(d)]
    assert len(doc_prs) == len(figures) > 0
    assert [p.get("descr") for p in doc_prs] == [f.alt for f in figures]


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
    landed = docx_writer.pages_of_headings([entry for _, entry, _ in lines], laid_out.headings)
    assert None not in landed
    for (_, entry, page), actual in zip(lines, landed):
        assert abs(int(page) - actual) <= 1, (entry, page, actual)
    app = zipfile.ZipFile(real_output / f"belgium.{lang}.docx").read("docProps/app.xml").decode()
    assert "<Application>reportgen</Application>" in app
    assert f"<Pages>{laid_out.pages}</Pages>" in app
    assert open_docx(real_output, lang).core_properties.revision == 1


def is_decorative(doc_pr) -> bool:
    return any(e.tag.endswith("decorative") and e.get("val") == "1" for e in doc_pr.iter())


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


# ---- layout fidelity and accessibility (issue 12) ----------------------------------------------------


def body_paragraphs(document):
    """Every paragraph of the body, inside tables (boxes) too, in order."""
    return list(document.element.body.iter(qn("w:p")))


@pytest.mark.parametrize("lang", LANGS)
def test_hyphenation_is_on_with_the_document_language(real_output, reports, lang):
    document = open_docx(real_output, lang)
    hyphenation = document.settings.element.find(qn("w:autoHyphenation"))
    assert hyphenation is not None and hyphenation.get(qn("w:val")) == "true"
    body = document.styles["Body Text"].element
    assert body.find(f".//{qn('w:lang')}").get(qn("w:val")) == reports[lang].tag
    assert document.styles["Heading 1"].element.find(f".//{qn('w:suppressAutoHyphens')}") is not None


@pytest.mark.parametrize("lang", LANGS)
def test_tables_have_content_widths_a_table_style_a_repeated_header_and_a_description(real_output, reports, lang):
    document = open_docx(real_output, lang)
    data_tables = [t for t in document.tables if t.style.name == docx_writer.TABLE_STYLE]
    expected = [b for s in walk(reports[lang].sections) for b in s.blocks if isinstance(b, model.Table)]
    assert len(data_tables) == len(expected) > 0
    for table in data_tables:
        tbl_pr = table._tbl.tblPr
        assert tbl_pr.find(qn("w:tblCaption")).get(qn("w:val"))
        assert tbl_pr.find(qn("w:tblDescription")).get(qn("w:val"))
        assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
        widths = [int(c.get(qn("w:w"))) for c in table._tbl.tblGrid.findall(qn("w:gridCol"))]
        assert len(set(widths)) > 1                      # from the content, not equal shares
        for index, row in enumerate(table.rows):
            for cell in row.cells:
                for paragraph in cell.paragraphs:
                    assert paragraph.style.name == ("Table Text" if index else "Table Heading")


def test_column_widths_follow_the_content():
    short, long_text = "1949", "Permanently shut down on 23 September 2022 after forty years"
    widths = docx_writer.column_widths([["Unit", "Status"], [short, long_text]], 9000)
    assert sum(widths) == 9000 and widths[1] > 3 * widths[0]
    words = docx_writer.column_widths([["a" * 30, "b" * 30]], 2000)    # too wide: shares of the minimum
    assert sum(words) == 2000 and abs(words[0] - words[1]) <= 1


@pytest.mark.parametrize("lang", LANGS)
def test_callout_content_sits_inside_its_box(real_output, reports, lang):
    document = open_docx(real_output, lang)
    boxes = [t for t in document.tables if t.style.name == "Callout Box"]
    callouts = [b for s in walk(reports[lang].sections) for b in s.blocks if isinstance(b, (model.Callout,
                                                                                             model.KeyFigures))]
    assert len(boxes) == len(callouts) > 0
    for box, block in zip(boxes, callouts):
        paragraphs = box.cell(0, 0).paragraphs
        assert paragraphs[0].style.name == "Callout Title" and normalise_spaces(paragraphs[0].text) == \
            normalise_spaces(block.title)
        if isinstance(block, model.Callout):
            lists = sum(len(b.items) for b in block.blocks if isinstance(b, (model.BulletList, model.NumberedList)))
            assert sum(p.style.name.startswith("List") for p in paragraphs) == lists


@pytest.mark.parametrize("lang", LANGS)
def test_no_empty_spacer_paragraphs_and_no_skipped_heading_levels(real_output, lang):
    document = open_docx(real_output, lang)
    for p in body_paragraphs(document):
        has_content = any(t.text for t in p.iter(qn("w:t"))) or p.find(f".//{qn('w:drawing')}") is not None
        carries_section_break = p.find(f"{qn('w:pPr')}/{qn('w:sectPr')}") is not None
        assert has_content or carries_section_break, "an empty paragraph"
    level = 0
    for paragraph in document.paragraphs:
        if paragraph.style.name.startswith("Heading "):
            new = int(paragraph.style.name.split()[-1])
            assert new <= level + 1, paragraph.text
            level = new


@pytest.mark.parametrize("lang", LANGS)
def test_bold_and_italic_come_from_character_styles(real_output, lang):
    document = open_docx(real_output, lang)
    direct = [r for r in document.element.body.iter(qn("w:r")) if r.rPr is not None
              and (r.rPr.find(qn("w:b")) is not None or r.rPr.find(qn("w:i")) is not None)]
    assert direct == []
    used = {r.rPr.find(qn("w:rStyle")).get(qn("w:val")) for r in document.element.body.iter(qn("w:r"))
            if r.rPr is not None and r.rPr.find(qn("w:rStyle")) is not None}
    assert {"Strong", "Emphasis"} <= used


@pytest.mark.parametrize("lang", LANGS)
def test_links_have_meaningful_text_and_are_underlined(real_output, lang):
    document = open_docx(real_output, lang)
    for link in document.element.body.iter(qn("w:hyperlink")):
        text = "".join(t.text or "" for t in link.iter(qn("w:t")))
        assert not re.match(r"(https?://|www\.)", text.strip()), text
    assert document.styles["Hyperlink"].font.underline


def test_source_titles_carry_their_own_language(real_output, reports):
    document = open_docx(real_output, "fr")
    sources = reports["fr"].sources
    entries = [p for p in document.paragraphs if p.style.name == "Source Entry"]
    assert len(entries) == len(sources)
    for paragraph, source in zip(entries, sources):
        title_runs = [r for r in paragraph._p.iter(qn("w:r")) if source.title in "".join(
            t.text or "" for t in r.iter(qn("w:t")))]
        assert title_runs and title_runs[0].find(f".//{qn('w:lang')}").get(qn("w:val")) == (source.lang or "fr-BE")
    assert {s.lang for s in sources} >= {"en-US"}


@pytest.mark.parametrize("lang", LANGS)
def test_cover_is_coloured_like_the_pdf(real_output, lang):
    document = open_docx(real_output, lang)
    cover = document.sections[0]
    anchors = list(document.element.body.iter(qn("wp:anchor")))
    assert len(anchors) == 1 and anchors[0].get("behindDoc") == "1"
    extent = anchors[0].find(qn("wp:extent"))
    assert (int(extent.get("cx")), int(extent.get("cy"))) == (cover.page_width, cover.page_height)
    assert is_decorative(anchors[0].find(qn("wp:docPr")))
    assert str(document.styles["Title"].font.color.rgb) == "FFFFFF"


def luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


# Where a style's text is printed, if not on the white page (WCAG 2 contrast, computed from styles.xml).
BACKGROUNDS = {"Title": "1F4E79", "Subtitle": "1F4E79", "Cover Line": "1F4E79", "Cover Label": "1F4E79",
               "Cover Date": "1F4E79", "Table Heading": "1F4E79",
               "Callout Title": "E8EEF5", "Box Text": "E8EEF5", "Quote": "E8EEF5"}


def style_colour(style) -> str:
    while style is not None:
        colour = style.element.find(f"{qn('w:rPr')}/{qn('w:color')}")
        if colour is not None and colour.get(qn("w:val")) not in (None, "auto"):
            return colour.get(qn("w:val")).upper()
        style = style.base_style
    return "000000"


@pytest.mark.parametrize("lang", LANGS)
def test_every_text_style_has_at_least_4_5_to_1_contrast(real_output, lang):
    document = open_docx(real_output, lang)
    checked = 0
    for style in document.styles:
        if style.type not in (1, 2):       # paragraph and character styles
            continue
        background = BACKGROUNDS.get(style.name, "FFFFFF")
        ratio = contrast(style_colour(style), background)
        assert ratio >= 4.5, (style.name, style_colour(style), background, round(ratio, 2))
        checked += 1
    assert checked > 40
    # links and citations on the boxes' tint too
    for name in ("Hyperlink", "Note Reference"):
        assert contrast(style_colour(document.styles[name]), "E8EEF5") >= 4.5


@pytest.mark.parametrize("lang", LANGS)
def test_document_title_and_language_are_set(real_output, reports, lang):
    props = open_docx(real_output, lang).core_properties
    assert props.title == reports[lang].title and props.language == reports[lang].tag


def test_verbose_output_says_where_the_contents_page_numbers_come_from(tmp_path):
    import os
    import sys
    content = FIXTURES / "valid"
    laid_out = run_build("--content", str(content), "--output", str(tmp_path / "lo"), "--format", "docx",
                         "--lang", "en", "-v")
    assert laid_out.returncode == 0, laid_out.stderr
    assert "contents page numbers and page count from LibreOffice's layout" in laid_out.stdout
    assert "fonts embedded: Charis SIL Regular" in laid_out.stdout
    # Without LibreOffice on the PATH: an estimate, and -v says so.
    bare = subprocess.run([sys.executable, str(REFERENCE.parent.parent / "build.py"), "--content", str(content),
                           "--output", str(tmp_path / "bare"), "--format", "docx", "--lang", "en", "-v"],
                          capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PATH": str(Path(sys.executable).parent)})
    assert bare.returncode == 0, bare.stderr
    assert "estimated (LibreOffice is not installed)" in bare.stdout
    pages = [p.text.split("\t")[-1] for p in docx.Document(str(tmp_path / "bare" / "mini.en.docx")).paragraphs
             if p.style.name.startswith("toc ")]
    assert pages and all(page.isdigit() for page in pages)
