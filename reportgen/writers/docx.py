"""Model -> DOCX with python-docx, on the styles of templates/reference.docx (never direct formatting).

One method per block kind, mirroring templates/html/blocks.html.j2. Sections and blocks carry bookmarks
named after their content ids, so a place in the Word file maps back to the YAML it came from.
"""
from __future__ import annotations

import datetime as dt
import io
import hashlib
import re
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import docx
from docx.enum.section import WD_SECTION
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from .. import libreoffice
from .. import model as m
from ..charts import WIDTH_IN, chart_height

REFERENCE = Path(__file__).resolve().parent.parent.parent / "templates" / "reference.docx"
TABLE_STYLE = "Report Table"
COVER_COLOUR = "1F4E79"      # the PDF cover's page colour (print.css)
EMPHASIS_STYLES = {frozenset({"strong"}): "Strong", frozenset({"emph"}): "Emphasis",
                   frozenset({"strong", "emph"}): "Strong Emphasis"}
DECORATIVE = ('<a:extLst xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">'
              '<a:ext uri="{C183D7F6-B498-43B3-948B-1728B52AA6E4}"><adec:decorative '
              'xmlns:adec="http://schemas.microsoft.com/office/drawing/2017/decorative" val="1"/></a:ext></a:extLst>')
STYLES = ("Title", "Subtitle", "Heading 1", "Heading 2", "Heading 3", "Body Text", "List Bullet", "List Number",
          "Caption", "Caption Label", "Figure", "Box Text", "Table Text", "Table Heading",
          "Strong", "Emphasis", "Strong Emphasis", "Title Link", "Callout Box", "Quote", "Callout Title", "Cover Line", "Source Entry", "TOC Heading", "toc 1", "toc 2",
          "Hyperlink", "Note Reference", "Header", "Footer", TABLE_STYLE,
          "Recommendation Title", "Recommendation Field", "Recommendation Label")


def bookmark_name(anchor: str) -> str:
    """Word bookmark names: a letter first, then letters, digits and underscores, at most 40 characters."""
    name = "a_" + re.sub(r"[^A-Za-z0-9]", "_", anchor)
    if len(name) <= 40:
        return name
    # Cut to Word's 40 characters, keeping a hash of the whole id: long ids that share a beginning stay apart.
    return name[:31] + "_" + hashlib.sha256(anchor.encode()).hexdigest()[:8]


def source_bookmark(number: int) -> str:
    return bookmark_name(f"source-{number}")


TOC_LEVELS = 2    # as in the PDF's contents


@dataclass
class TocEntry:
    heading: str     # the heading's text, "3.2 Title", to find it in a layout
    run: object      # the w:r holding its cached page number


class DocxWriter:
    def __init__(self, report: m.Report, images: dict[str, bytes], provenance: dict[str, str],
                 verify_fit: bool = False):
        self.report, self.images, self.provenance = report, images, provenance
        self.verify_fit = verify_fit   # an edition with a page limit: lay it out in LibreOffice and check it
        self.sources = {source.number: source for source in report.sources}
        self._style_ids: dict[str, str] = {}
        self.document = docx.Document(str(REFERENCE))
        self.body = self.document.element.body
        self.toc: list[TocEntry] = []
        self.container = self.document   # where paragraphs go: the body, or the cell of a box
        self._after_table = False
        self.details: list[str] = []   # what -v prints about this document
        self.pages = 0
        self._bookmark_id = 0
        self._control_id = 0
        for element in list(self.body):
            if element.tag != qn("w:sectPr"):
                self.body.remove(element)

    # ---- document ------------------------------------------------------------------------------------

    def build(self) -> bytes:
        self._language()
        self._body()
        self._properties()
        self._custom_properties()
        self._source_map()
        self._update_fields_on_open()
        self._setting("w:autoHyphenation")    # with the language set in every style, as the PDF hyphenates
        self._fonts()
        self._paginate()
        return self._save()

    def _save(self) -> bytes:
        buffer = io.BytesIO()
        self.document.save(buffer)
        return normalized_zip(buffer.getvalue(), self.report.timestamp)

    def _body(self) -> None:
        """The full report's body; an edition's layout (docx_brief.py) replaces it."""
        self._cover()
        self._contents()
        for section in self.report.sections:
            self.section(section)
        self._sources()

    def _paginate(self) -> None:
        """Page numbers of the contents and the page count, from LibreOffice's layout when it is installed
        (first pass with estimates, same digits, so the layout it measures is the final one), else estimated."""
        estimate = estimated_pages(self.report)
        self._set_pages([estimate.get(entry.heading) for entry in self.toc], estimate["pages"])
        how = "estimated (LibreOffice is not installed)"
        if libreoffice.soffice():
            try:
                laid_out = libreoffice.layout(self._save())
            except RuntimeError as exc:
                how = f"estimated ({exc})"
            else:
                found = pages_of_headings([entry.heading for entry in self.toc], laid_out.headings)
                self._set_pages(found, laid_out.pages)
                missing = sum(page is None for page in found)
                how = "from LibreOffice's layout" + (f" ({missing} heading(s) not found, left blank)" if missing else "")
        self.details.append(f"contents page numbers and page count {how}")

    def _set_pages(self, pages: list[int | None], total: int) -> None:
        for entry, page in zip(self.toc, pages):
            entry.run.find(qn("w:t")).text = str(page) if page else ""
        self.pages = total
        self._app_properties(total)

    def _language(self) -> None:
        """The document language in the defaults and every style, so Word's spell-checker picks it."""
        styles = self.document.styles.element
        defaults = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
        _set_lang(defaults, self.report.tag)
        for style in styles.findall(qn("w:style")):
            if style.get(qn("w:type")) in ("paragraph", "character"):
                rpr = style.find(qn("w:rPr"))
                if rpr is None:
                    rpr = OxmlElement("w:rPr")
                    style.append(rpr)
                _set_lang(rpr, self.report.tag)

    def _cover(self) -> None:
        report, labels = self.report, self.report.labels
        if report.classification:
            self._paragraph("Cover Label", [m.Text(report.classification.upper())])
        title = self._paragraph("Title", [m.Text(report.title)])
        if not report.classification:
            title.paragraph_format.space_before = Pt(160)   # where the label would have pushed it
        self._paragraph("Subtitle", [m.Text(report.subtitle)])
        self._paragraph("Cover Date", [m.Text(labels["facts_as_of"].format(date=report.facts_as_of_text))])
        for line in (labels["published"].format(date=report.date_text),
                     f"{labels['version']} {report.version} · {labels['language_name']}",
                     f"{labels['prepared_by']} {', '.join(report.authors)}"):
            last = self._paragraph("Cover Line", [m.Text(line)])
        self._cover_background()
        # The cover is its own Word section, with no header or footer; the contents start the next one.
        contents = self._section_break()
        contents.different_first_page_header_footer = False
        self.document.sections[0].header.is_linked_to_previous = False
        self._header(contents, None)
        self._footer(contents)

    def _section_break(self):
        """A new Word section on a new page. python-docx puts the break in an empty paragraph of its own; it
        moves into the previous paragraph (no empty spacer paragraph), unless that is a table."""
        new = self.document.add_section(WD_SECTION.NEW_PAGE)
        breaker = self.body[-2]
        previous = breaker.getprevious()
        if previous is not None and previous.tag == qn("w:p") and previous.find(f".//{qn('w:fldChar')}") is None:
            ppr = previous.find(qn("w:pPr"))
            if ppr is None:
                ppr = OxmlElement("w:pPr")
                previous.insert(0, ppr)
            ppr.append(breaker.find(f"{qn('w:pPr')}/{qn('w:sectPr')}"))
            breaker.getparent().remove(breaker)
        return new

    def _cover_background(self) -> None:
        """The PDF cover's accent-blue page: a full-page picture behind the cover's text, marked decorative
        (a page colour would colour every page)."""
        section = self.document.sections[0]
        paragraph = self.document.paragraphs[0]
        run = paragraph.add_run()
        run.add_picture(io.BytesIO(solid_png(COVER_COLOUR)), width=section.page_width, height=section.page_height)
        inline = run._r.find(f".//{qn('wp:inline')}")
        anchor = docx.oxml.parse_xml(
            f'<wp:anchor {docx.oxml.ns.nsdecls("wp")} distT="0" distB="0" distL="0" distR="0" simplePos="0" '
            'relativeHeight="0" behindDoc="1" locked="1" layoutInCell="1" allowOverlap="1"><wp:simplePos x="0" y="0"/>'
            '<wp:positionH relativeFrom="page"><wp:posOffset>0</wp:posOffset></wp:positionH>'
            '<wp:positionV relativeFrom="page"><wp:posOffset>0</wp:posOffset></wp:positionV></wp:anchor>')
        anchor.append(inline.find(qn("wp:extent")))
        anchor.append(docx.oxml.parse_xml(f'<wp:effectExtent {docx.oxml.ns.nsdecls("wp")} l="0" t="0" r="0" b="0"/>'))
        anchor.append(OxmlElement("wp:wrapNone"))
        doc_pr = inline.find(qn("wp:docPr"))
        doc_pr.set("name", "Cover background")
        doc_pr.append(docx.oxml.parse_xml(DECORATIVE))
        for child in (doc_pr, inline.find(qn("wp:cNvGraphicFramePr")), inline.find(qn("a:graphic"))):
            anchor.append(child)
        inline.getparent().replace(inline, anchor)

    def _header(self, section, running: str | None) -> None:
        """The report title, and on the right the running chapter title (as the PDF's top-right corner): each
        chapter is a Word section whose header holds a STYLEREF field to Heading 1 (level-based, so it works in
        Word of any interface language), cached with that chapter's heading, which is what readers that do not
        evaluate fields (LibreOffice) show."""
        section.header.is_linked_to_previous = False
        header = section.header.paragraphs[0]
        header.style = self.document.styles["Header"]
        self._runs(header, [m.Text(self.report.title)])
        if running:
            _run(header, "\t", self.report.tag)
            _field(header, "STYLEREF 1 \\* MERGEFORMAT", running, self.report.tag)

    def _footer(self, section) -> None:
        """Page x of y; later sections inherit it (linked to the previous section)."""
        section.footer.is_linked_to_previous = False
        footer = section.footer.paragraphs[0]
        footer.style = self.document.styles["Footer"]
        for part in re.split(r"(\{page\}|\{pages\})", self.report.labels["page_of"]):
            if part == "{page}":
                _field(footer, "PAGE", "1", self.report.tag)
            elif part == "{pages}":
                _field(footer, "NUMPAGES", "1", self.report.tag)
            elif part:
                _run(footer, part, self.report.tag)

    def _chapter(self, text: str):
        """A chapter (Heading 1) starts a new Word section, so its header can name it."""
        self._after_table = False
        self._header(self._section_break(), text)
        heading = self._add_paragraph("Heading 1")
        _run(heading, text, self.report.tag)
        return heading

    def _contents(self) -> None:
        """The TOC field with a complete cached result (titles, dot leaders, page numbers), as Word shows it
        before any refresh; the page numbers are filled in by _paginate once the whole document exists."""
        labels, tag = self.report.labels, self.report.tag
        self._paragraph("TOC Heading", [m.Text(labels["contents"])])
        entries = [(s.level, s.number, s.title, bookmark_name(s.id))
                   for s in m.walk(self.report.sections) if s.level <= TOC_LEVELS]
        entries.append((1, "", labels["sources"], source_bookmark(0)))
        for index, (level, number, title, bookmark) in enumerate(entries):
            # "Annexe A." is wider than the number column: a space after it, so the tab reaches the leader.
            gap = " " if len(number) > 5 else "\t"
            paragraph = self._add_paragraph(f"toc {level}")
            if index == 0:
                _field_begin(paragraph, f'TOC \\o "1-{TOC_LEVELS}" \\h \\z \\u')
            link = _hyperlink(paragraph, bookmark)
            _run(link, f"{number}{gap}{title}\t", tag)
            page = _field(link, f"PAGEREF {bookmark} \\h", "0", tag)
            self.toc.append(TocEntry(f"{number} {title}".strip(), page._r))
        _field_end(paragraph)

    # ---- sections and blocks -------------------------------------------------------------------------

    def section(self, section: m.Section) -> None:
        text = f"{section.number}  {section.title}"
        if section.level == 1:
            heading = self._chapter(text)
        else:
            heading = self._add_paragraph(f"Heading {section.level}")
            _run(heading, text, self.report.tag)
        self._bookmark(heading, bookmark_name(section.id))
        for block in section.blocks:
            self.block(block)
        for child in section.children:
            self.section(child)

    def block(self, block, style: str = "Body Text") -> None:
        method = {m.Paragraph: self.paragraph, m.BulletList: self.bullet_list, m.NumberedList: self.numbered_list,
                  m.Table: self.table, m.Figure: self.figure, m.KeyFigures: self.key_figures,
                  m.Callout: self.callout, m.Recommendations: self.recommendations}[type(block)]
        method(block, style)

    def paragraph(self, block: m.Paragraph, style: str) -> None:
        paragraph = self._paragraph(style, block.spans)
        self._bookmark(paragraph, bookmark_name(block.anchor))

    def bullet_list(self, block: m.BulletList, style: str) -> None:
        for index, item in enumerate(block.items):
            paragraph = self._paragraph("List Bullet", item)
            if index == 0:
                self._bookmark(paragraph, bookmark_name(block.anchor))

    def numbered_list(self, block: m.NumberedList, style: str) -> None:
        num_id = self._restarted_numbering("List Number")
        for index, item in enumerate(block.items):
            paragraph = self._paragraph("List Number", item)
            _set_num(paragraph, num_id)
            if index == 0:
                self._bookmark(paragraph, bookmark_name(block.anchor))

    def table(self, block: m.Table, style: str) -> None:
        caption = self._caption(self.report.labels["Table"], "Table", block.number, block.caption)
        caption.paragraph_format.keep_with_next = True
        self._bookmark(caption, bookmark_name(block.anchor))
        from ..assemble import plain
        rows = [block.header, *block.rows]
        widths = column_widths([[plain(cell) for cell in row] for row in rows], self._text_width())
        table = self._table(len(rows), widths, TABLE_STYLE, first_row=True)
        for index, (row, spans_row) in enumerate(zip(table.rows, rows)):
            for cell, spans in zip(row.cells, spans_row):
                paragraph = cell.paragraphs[0]
                paragraph._p.get_or_add_pPr().get_or_add_pStyle().val = self._style_id(
                    "Table Text" if index else "Table Heading")
                self._runs(paragraph, spans)
            trpr = row._tr.get_or_add_trPr()
            trpr.append(OxmlElement("w:cantSplit"))
            if index == 0:
                repeat = OxmlElement("w:tblHeader")     # repeated on every page the table spans
                repeat.set(qn("w:val"), "true")
                trpr.append(repeat)
        _table_description(table, f"{self.report.labels['Table']} {block.number}", plain(block.caption))

    def figure(self, block: m.Figure, style: str) -> None:
        paragraph = self._add_paragraph("Figure")
        run = paragraph.add_run()
        if block.chart is not None:
            run.add_picture(io.BytesIO(self.images[block.chart.id]), width=Mm(WIDTH_IN * 25.4),
                            height=Mm(chart_height(block.chart) * 25.4))
        else:
            run.add_picture(block.image, width=Mm(WIDTH_IN * 25.4))
        doc_pr = run._r.find(".//" + qn("wp:docPr"))
        doc_pr.set("descr", block.alt)
        doc_pr.set("title", plain_caption(block))
        self._bookmark(paragraph, bookmark_name(block.anchor))
        self._caption(self.report.labels["Figure"], "Figure", block.number, block.caption)

    def key_figures(self, block: m.KeyFigures, style: str) -> None:
        with self._box(block.title):
            title = self._paragraph("Callout Title", [m.Text(block.title)])
            self._bookmark(title, bookmark_name(block.anchor))
            for item in block.items:
                value, note = item.value_and_note()
                self._paragraph("Box Text", [m.Text(f"{item.label} — "), m.Strong((value,)), note])

    def callout(self, block: m.Callout, style: str) -> None:
        with self._box(block.title):
            title = self._paragraph("Callout Title", [m.Text(block.title)])
            self._bookmark(title, bookmark_name(block.anchor))
            for child in block.blocks:
                self.block(child, "Box Text")

    @contextmanager
    def _box(self, title: str):
        """A shaded box (a one-cell table in the Callout Box style) that the blocks written inside go into,
        lists included, as the PDF's callouts hold their lists."""
        table = self._table(1, [self._text_width()], "Callout Box", first_row=False)
        cell = table.cell(0, 0)
        placeholder = cell.paragraphs[0]._p
        _table_description(table, title, title)
        self.container = cell
        try:
            yield
        finally:
            self.container = self.document
            placeholder.getparent().remove(placeholder)

    def _table(self, rows: int, widths: list[int], style: str, first_row: bool):
        """A table with fixed column widths (twips), its style, and its look (header row or none)."""
        table = self.document.add_table(rows=rows, cols=len(widths))
        table.style = self.document.styles[style]
        tbl_pr = table._tbl.tblPr
        tbl_pr.find(qn("w:tblW")).set(qn("w:w"), str(sum(widths)))
        tbl_pr.find(qn("w:tblW")).set(qn("w:type"), "dxa")
        layout = OxmlElement("w:tblLayout")
        layout.set(qn("w:type"), "fixed")
        tbl_pr.insert_element_before(layout, "w:tblCellMar", "w:tblLook", "w:tblCaption", "w:tblDescription")
        look = tbl_pr.find(qn("w:tblLook"))
        if look is None:
            look = OxmlElement("w:tblLook")
            tbl_pr.insert_element_before(look, "w:tblCaption", "w:tblDescription")
        for key in list(look.attrib):
            del look.attrib[key]
        for key, on in (("firstRow", first_row), ("lastRow", False), ("firstColumn", False), ("lastColumn", False),
                        ("noHBand", True), ("noVBand", True)):
            look.set(qn(f"w:{key}"), "1" if on else "0")
        for grid_col, width in zip(table._tbl.tblGrid.findall(qn("w:gridCol")), widths):
            grid_col.set(qn("w:w"), str(width))
        for row in table.rows:
            for cell, width in zip(row.cells, widths):
                tc_w = cell._tc.get_or_add_tcPr().get_or_add_tcW()
                tc_w.set(qn("w:w"), str(width))
                tc_w.set(qn("w:type"), "dxa")
        self._after_table = True
        return table

    def _text_width(self) -> int:
        """The body's text width in twips."""
        section = self.document.sections[-1]
        return int((section.page_width - section.left_margin - section.right_margin) / 635)

    def recommendations(self, block: m.Recommendations, style: str) -> None:
        """Numbered cards: the rank and title, then one labelled paragraph per field; the styles keep each
        card on one page (keep with next, except after the card's last field)."""
        for item in block.items:
            title = self._paragraph("Recommendation Title", [m.Text(f"{item.rank}.\t"), *item.title])
            self._bookmark(title, bookmark_name(item.anchor))
            if item is block.items[0]:   # the list's own anchor, for the review loop
                self._bookmark(title, bookmark_name(block.anchor))
            for field in item.fields:
                paragraph = self._add_paragraph("Recommendation Field")
                _style_run(_run(paragraph, f"{field.label} ", self.report.tag)._r, "RecommendationLabel")
                self._runs(paragraph, field.spans)
            paragraph.paragraph_format.keep_with_next = False

    def _sources(self) -> None:
        labels = self.report.labels
        heading = self._chapter(labels["sources"])
        self._bookmark(heading, source_bookmark(0))
        self._paragraph("Body Text", [m.Text(labels["notes_intro"])])
        tag = self.report.tag
        for source in self.report.sources:
            paragraph = self._paragraph("Source Entry", [m.Text(f"{source.number}.\t{source.publisher}, ")])
            # The title in its own language; linked to the source when it has a URL (meaningful link text),
            # the URL then printed as plain text for readers of a printed copy.
            title_tag = source.lang or tag
            if source.url:
                link = _hyperlink(paragraph, None, source.url, self.document.part)
                _style_run(_run(link, source.title, title_tag)._r, self._style_id("Title Link"))
            else:
                _style_run(_run(paragraph, source.title, title_tag)._r, self._style_id("Emphasis"))
            self._runs(paragraph, [m.Text(f", {source.year}" + (f", {source.url}" if source.url else "") + ".")])
            self._bookmark(paragraph, source_bookmark(source.number))

    # ---- helpers -------------------------------------------------------------------------------------

    def _style_id(self, style: str) -> str:
        """A style's id, looked up once per name (python-docx searches the whole styles part on every call)."""
        style_id = self._style_ids.get(style)
        if style_id is None:
            style_id = self._style_ids[style] = self.document.styles[style].style_id
        return style_id

    def _add_paragraph(self, style: str):
        paragraph = self.container.add_paragraph()
        paragraph._p.get_or_add_pPr().get_or_add_pStyle().val = self._style_id(style)
        if self._after_table and self.container is self.document:
            self._after_table = False
            if not style.startswith("Heading"):   # room after a table, as its bottom margin in the PDF
                paragraph.paragraph_format.space_before = Pt(9)
        return paragraph

    def _paragraph(self, style: str, spans):
        paragraph = self._add_paragraph(style)
        self._runs(paragraph, spans)
        return paragraph

    def _runs(self, parent, spans, emphasis: frozenset = frozenset(), link_style: str | None = None) -> None:
        """Spans as runs; bold and italic through the Strong / Emphasis character styles, never direct."""
        tag = self.report.tag
        for span in spans:
            if isinstance(span, m.Text):
                run = _run(self._control(parent, span.origin), span.text, tag)
                style = link_style or EMPHASIS_STYLES.get(emphasis)
                if style:
                    _style_run(run._r, self._style_id(style))
            elif isinstance(span, m.Strong):
                self._runs(parent, span.children, emphasis | {"strong"}, link_style)
            elif isinstance(span, m.Emph):
                self._runs(parent, span.children, emphasis | {"emph"}, link_style)
            elif isinstance(span, m.Link):
                link = _hyperlink(parent, None, span.href, self.document.part)
                self._runs(link, span.children, emphasis, "Hyperlink")
            elif isinstance(span, m.NoteRef):
                self._citation(self._control(parent, span.origin), span.number)
            elif isinstance(span, m.CrossRef):
                link = _hyperlink(self._control(parent, span.origin), bookmark_name(span.target))
                _style_run(_run(link, span.label, tag)._r, self._style_id("Hyperlink"))

    def _citation(self, parent, source_number: int) -> None:
        """"[n]": the number of the source's entry in the Sources list, linked to that entry, as in the PDF."""
        link = _hyperlink(parent, source_bookmark(source_number))
        _style_run(_run(link, f"[{source_number}]", self.report.tag)._r, self._style_id("Note Reference"))

    def _control(self, parent, origin: str | None):
        """Where a span's runs go: for a placeholder's value ("value:gdp-growth", "cite:nbb-2025"), a locked inline
        content control titled and tagged with it, so Word shows where the value comes from and refuses edits to
        it (`review` lists any made anyway, with the tag); else `parent` itself."""
        if not origin:
            return parent
        kind, _, ident = origin.partition(":")
        self._control_id += 1    # a counter, not Word's random ids: rebuilds stay byte-identical
        properties = OxmlElement("w:sdtPr")   # children in the schema's order (CT_SdtPr)
        for name, value in (("w:alias", self.report.labels["content_controls"][kind].format(id=ident)),
                            ("w:tag", origin), ("w:id", str(self._control_id)), ("w:lock", "contentLocked")):
            element = OxmlElement(name)
            element.set(qn("w:val"), value)
            properties.append(element)
        control, content = OxmlElement("w:sdt"), OxmlElement("w:sdtContent")
        control.append(properties)
        control.append(content)
        _element(parent).append(control)
        return content

    def _caption(self, label: str, sequence: str, number: int, spans):
        paragraph = self._add_paragraph("Caption")
        label_style = self._style_id("Caption Label")
        _style_run(_run(paragraph, f"{label} ", self.report.tag)._r, label_style)
        _style_run(_field(paragraph, f"SEQ {sequence} \\* ARABIC", str(number), self.report.tag)._r, label_style)
        _style_run(_run(paragraph, ". ", self.report.tag)._r, label_style)
        self._runs(paragraph, spans)
        return paragraph

    def _bookmark(self, paragraph, name: str) -> None:
        self._bookmark_id += 1
        start = OxmlElement("w:bookmarkStart")
        start.set(qn("w:id"), str(self._bookmark_id))
        start.set(qn("w:name"), name)
        end = OxmlElement("w:bookmarkEnd")
        end.set(qn("w:id"), str(self._bookmark_id))
        ppr = paragraph._p.find(qn("w:pPr"))
        index = 1 if ppr is not None else 0
        paragraph._p.insert(index, start)
        paragraph._p.append(end)

    def _restarted_numbering(self, style_name: str) -> int:
        """A new w:num on the style's abstract numbering, restarting at 1, so each list counts from 1."""
        numbering = self.document.part.numbering_part.element
        style = self.document.styles[style_name].element
        style_num = style.pPr.numPr.numId.val
        abstract = numbering.num_having_numId(style_num).abstractNumId.val
        num = numbering.add_num(abstract)
        override = num.add_lvlOverride(ilvl=0)
        override.add_startOverride(1)
        return num.numId

    def _properties(self) -> None:
        report = self.report
        props = self.document.core_properties
        props.title = report.title
        props.subject = report.subject
        props.author = ", ".join(report.authors)
        props.keywords = ", ".join(report.keywords)
        props.language = report.tag
        props.comments = ""
        props.category = ""
        props.last_modified_by = ", ".join(report.authors)
        moment = report.timestamp
        props.created = props.modified = props.last_printed = moment
        props.revision = 1          # saves of this file, not the report's version (that is props.version)
        props.identifier = f"{report.id}.{report.lang}"
        props.version = report.version

    def _app_properties(self, pages: int | None) -> None:
        """docProps/app.xml as this program wrote it (python-docx's template claims Word, one page); the page
        count only when a layout gave it."""
        from ..text import report_texts
        words = sum(len(text.split()) for text in report_texts(self.report))
        xml = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
               '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" '
               'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
               f'<Application>reportgen</Application><DocSecurity>0</DocSecurity>'
               + (f'<Pages>{pages}</Pages>' if pages else '') +
               f'<Words>{words}</Words><ScaleCrop>false</ScaleCrop><LinksUpToDate>false</LinksUpToDate>'
               '<SharedDoc>false</SharedDoc><HyperlinksChanged>false</HyperlinksChanged></Properties>')
        package = self.document.part.package
        part = next(rel.target_part for rel in package.rels.values() if rel.reltype.endswith("/extended-properties"))
        part._blob = xml.encode("utf-8")

    def _custom_properties(self) -> None:
        """docProps/custom.xml: the build's input fingerprint and tool versions (File > Properties > Custom)."""
        if not self.provenance:
            return
        from docx.opc.constants import RELATIONSHIP_TYPE
        from xml.sax.saxutils import escape
        props = "".join(
            f'<property fmtid="{{D5CDD505-2E9C-101B-9397-08002B2CF9AE}}" pid="{pid}" name="reportgen-{key}">'
            f"<vt:lpwstr>{escape(value)}</vt:lpwstr></property>"
            for pid, (key, value) in enumerate(sorted(self.provenance.items()), start=2))
        xml = ('<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
               f'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">{props}</Properties>')
        blob = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + xml).encode("utf-8")
        self._add_part(self.document.part.package, "/docProps/custom.xml",
                       "application/vnd.openxmlformats-officedocument.custom-properties+xml", blob,
                       RELATIONSHIP_TYPE.CUSTOM_PROPERTIES)

    def _source_map(self) -> None:
        """customXml/reportgen-source-map.xml: the content file, key and text behind every place a reviewer can mark (see
        reportgen/sourcemap.py), so `review` resolves a returned file against what the reviewer saw."""
        from .. import sourcemap
        self._add_part(self.document.part, "/customXml/reportgen-source-map.xml", "application/xml",
                       sourcemap.to_xml(sourcemap.entries(self.report)),
                       "http://schemas.openxmlformats.org/officeDocument/2006/relationships/customXml")

    def _add_part(self, owner, partname: str, content_type: str, blob: bytes, reltype: str) -> str:
        """A part python-docx has no API for (custom properties, fonts), related from `owner`; its rId."""
        from docx.opc.packuri import PackURI
        from docx.opc.part import Part
        return owner.relate_to(Part(PackURI(partname), content_type, blob, self.document.part.package), reltype)

    def _fonts(self) -> None:
        """The used faces of the report's fonts inside the file (see docx_fonts), and Word told to keep them."""
        from .docx_fonts import embed
        embedded = embed(self.document, self._add_part)
        self._setting("w:embedTrueTypeFonts")
        self._setting("w:saveSubsetFonts")
        self.details.append("fonts embedded: " + ", ".join(embedded))

    def _update_fields_on_open(self) -> None:
        self._setting("w:updateFields")

    def _setting(self, tag: str, value: str = "true") -> None:
        """Set a w:settings child, inserted where the schema orders it (Word rejects misordered settings)."""
        settings = self.document.settings.element
        element = settings.find(qn(tag))
        if element is None:
            element = OxmlElement(tag)
            rank = SETTINGS_ORDER.index(tag.split(":")[1])
            later = [child for child in settings if _local(child.tag) in SETTINGS_ORDER
                     and SETTINGS_ORDER.index(_local(child.tag)) > rank]
            if later:
                later[0].addprevious(element)
            else:
                settings.append(element)
        element.set(qn("w:val"), value)


# ---- page estimate, where LibreOffice is not installed -------------------------------------------------

PAGE_HEIGHT_PT = 700            # A4 less the margins
LINE_PT, CHARS_PER_LINE = 18, 95  # a body line with its share of paragraph spacing; characters per line


def estimated_pages(report: m.Report) -> dict:
    """Heading text -> page, and "pages": a rough layout (lines of body text per page, a new page at each
    chapter). Used only without LibreOffice, and said so in -v output."""
    from ..text import block_texts
    pages: dict = {}
    page, used = 2, 0.0                       # the cover, then the contents
    used += (2 + sum(1 for s in m.walk(report.sections) if s.level <= TOC_LEVELS)) * 16

    def place(height: float) -> None:
        nonlocal page, used
        if used + height > PAGE_HEIGHT_PT:
            page, used = page + 1, 0.0
        used += height

    def chapter(title: str) -> None:
        nonlocal page, used
        page, used = page + 1, 40.0
        pages[title] = page

    for section in m.walk(report.sections):
        if section.level == 1:
            chapter(f"{section.number} {section.title}")
        else:
            place(30)
            pages[f"{section.number} {section.title}"] = page
        for block in section.blocks:
            if isinstance(block, m.Figure):
                place((chart_height(block.chart) if block.chart else 3.5) * 72 + 30)
            for text in block_texts(block) if not isinstance(block, m.Figure) else ():
                place((len(text) // CHARS_PER_LINE + 1) * LINE_PT)
    chapter(report.labels["sources"])
    for source in report.sources:
        place(2 * LINE_PT)
    pages["pages"] = page
    return pages


def pages_of_headings(headings: list[str], laid_out: tuple) -> list[int | None]:
    """Each heading's page, found in order among the (text, page) pairs of a layout's outline."""
    found, position = [], 0
    for heading in headings:
        for index in range(position, len(laid_out)):
            if libreoffice.same_text(laid_out[index][0], heading):
                found.append(laid_out[index][1])
                position = index + 1
                break
        else:
            found.append(None)
    return found


# ---- tables -------------------------------------------------------------------------------------------

CHAR_TWIPS, CELL_PADDING_TWIPS = 86, 260   # a character of 8.5 pt Noto Sans, on average; a cell's side margins


def column_widths(rows: list[list[str]], total: int) -> list[int]:
    """Column widths (twips) from the content, as a browser's automatic table layout: each column gets at least
    its longest word; what is left goes to the columns in proportion to how much more their longest text needs."""
    columns = list(zip(*rows))
    natural = [max(len(text) for text in column) * CHAR_TWIPS + CELL_PADDING_TWIPS for column in columns]
    minimum = [max((len(word) for text in column for word in text.split()), default=1) * CHAR_TWIPS
               + CELL_PADDING_TWIPS for column in columns]
    if sum(natural) <= total:
        widths = [n * total / sum(natural) for n in natural]
    elif sum(minimum) >= total:
        widths = [n * total / sum(minimum) for n in minimum]
    else:
        spare = [n - low for n, low in zip(natural, minimum)]
        widths = [low + (total - sum(minimum)) * extra / sum(spare) for low, extra in zip(minimum, spare)]
    widths = [int(w) for w in widths]
    widths[-1] += total - sum(widths)
    return widths


def _table_description(table, caption: str, description: str) -> None:
    """w:tblCaption and w:tblDescription: what Word's accessibility checker and screen readers announce."""
    tbl_pr = table._tbl.tblPr
    for tag, value in (("w:tblCaption", caption), ("w:tblDescription", description)):
        element = OxmlElement(tag)
        element.set(qn("w:val"), value)
        tbl_pr.append(element)


def solid_png(rgb: str) -> bytes:
    """A one-pixel PNG of one colour (a background stretched to the page)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" + bytes.fromhex(rgb)))
            + chunk(b"IEND", b""))


def plain_caption(block: m.Figure) -> str:
    from ..assemble import plain
    return plain(block.caption)


# ---- low-level WordprocessingML -------------------------------------------------------------------------

SETTINGS_ORDER = (  # CT_Settings, ECMA-376 Part 1, 17.15.1.78
    "writeProtection view zoom removePersonalInformation removeDateAndTime doNotDisplayPageBoundaries "
    "displayBackgroundShape printPostScriptOverText printFractionalCharacterWidth printFormsData embedTrueTypeFonts "
    "embedSystemFonts saveSubsetFonts saveFormsData mirrorMargins alignBordersAndEdges bordersDoNotSurroundHeader "
    "bordersDoNotSurroundFooter gutterAtTop hideSpellingErrors hideGrammaticalErrors activeWritingStyle proofState "
    "formsDesign attachedTemplate linkStyles stylePaneFormatFilter stylePaneSortMethod documentType mailMerge "
    "revisionView trackRevisions doNotTrackMoves doNotTrackFormatting documentProtection autoFormatOverride "
    "styleLockTheme styleLockQFSet defaultTabStop autoHyphenation consecutiveHyphenLimit hyphenationZone "
    "doNotHyphenateCaps showEnvelope summaryLength clickAndTypeStyle defaultTableStyle evenAndOddHeaders "
    "bookFoldRevPrinting bookFold bookFoldPrintingSheets drawingGridHorizontalSpacing drawingGridVerticalSpacing "
    "displayHorizontalDrawingGridEvery displayVerticalDrawingGridEvery doNotUseMarginsForDrawingGridOrigin "
    "drawingGridHorizontalOrigin drawingGridVerticalOrigin doNotShadeFormData noPunctuationKerning "
    "characterSpacingControl printTwoOnOne strictFirstAndLastChars noLineBreaksAfter noLineBreaksBefore "
    "savePreviewPicture doNotValidateAgainstSchema saveInvalidXml ignoreMixedContent alwaysShowPlaceholderText "
    "doNotDemarcateInvalidXml saveXmlDataOnly useXSLTWhenSaving saveThroughXslt showXMLTags "
    "alwaysMergeEmptyNamespace updateFields hdrShapeDefaults footnotePr endnotePr compat docVars rsids mathPr "
    "attachedSchema themeFontLang clrSchemeMapping doNotIncludeSubdocsInStats doNotAutoCompressPictures "
    "forceUpgrade captions readModeInkLockDown smartTagType schemaLibrary shapeDefaults doNotEmbedSmartTags "
    "decimalSymbol listSeparator").split()


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _set_lang(rpr, tag: str) -> None:
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), tag)
    lang.set(qn("w:eastAsia"), tag)
    lang.set(qn("w:bidi"), tag)


class _RunProxy:
    """A minimal run wrapper for runs made inside hyperlinks, where python-docx has no Run object."""

    def __init__(self, r):
        self._r = r


def _element(parent):
    """The XML element of a python-docx paragraph, or the element itself (a hyperlink)."""
    return parent._p if hasattr(parent, "_p") else parent


def _run(parent, text: str, tag: str):
    """A run with text and language, inside a paragraph (python-docx object) or a raw element."""
    element = _element(parent)
    r = OxmlElement("w:r")
    rpr = OxmlElement("w:rPr")
    r.append(rpr)
    _set_lang(rpr, tag)
    pieces = text.split("\t")
    for index, piece in enumerate(pieces):
        if index:
            r.append(OxmlElement("w:tab"))
        if piece:
            t = OxmlElement("w:t")
            t.text = piece
            t.set(qn("xml:space"), "preserve")
            r.append(t)
    element.append(r)
    return _RunProxy(r)


def _style_run(r, style_id: str) -> None:
    rpr = r.find(qn("w:rPr"))
    if rpr is None:
        rpr = OxmlElement("w:rPr")
        r.insert(0, rpr)
    style = rpr.find(qn("w:rStyle"))
    if style is None:
        style = OxmlElement("w:rStyle")
        rpr.insert(0, style)
    style.set(qn("w:val"), style_id)


def _hyperlink(parent, anchor: str | None, url: str | None = None, part=None):
    element = _element(parent)
    link = OxmlElement("w:hyperlink")
    if url:
        rel = part.relate_to(url, docx.opc.constants.RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
        link.set(qn("r:id"), rel)
    else:
        link.set(qn("w:anchor"), anchor)
        link.set(qn("w:history"), "1")
    element.append(link)
    return link


def _fld_char(kind: str):
    r = OxmlElement("w:r")
    char = OxmlElement("w:fldChar")
    char.set(qn("w:fldCharType"), kind)
    r.append(char)
    return r


def _field_begin(paragraph, instruction: str) -> None:
    p = _element(paragraph)
    p.append(_fld_char("begin"))
    r = OxmlElement("w:r")
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    r.append(instr)
    p.append(r)
    p.append(_fld_char("separate"))


def _field_end(paragraph) -> None:
    _element(paragraph).append(_fld_char("end"))


def _field(paragraph, instruction: str, cached: str, tag: str):
    """A complete field (PAGE, NUMPAGES, SEQ...) with a cached result that readers show before a refresh."""
    _field_begin(paragraph, instruction)
    run = _run(paragraph, cached, tag)
    _field_end(paragraph)
    return run


def _set_num(paragraph, num_id: int) -> None:
    ppr = paragraph._p.get_or_add_pPr()
    num_pr = ppr.get_or_add_numPr()
    num_pr.get_or_add_ilvl().val = 0
    num_pr.get_or_add_numId().val = num_id


def normalized_zip(data: bytes, date: dt.date) -> bytes:
    """Rewrite the DOCX zip with fixed entry timestamps, so equal input gives byte-identical files."""
    stamp = (min(max(date.year, 1980), 2107), date.month, date.day, 0, 0, 0)   # what a zip can hold
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, source.read(info.filename))
    return out.getvalue()


def write(report: m.Report, path: Path, images: dict[str, bytes] | None = None, provenance: dict | None = None,
          verify_fit: bool = False) -> dict:
    if images is None:
        from .html import render_charts
        images = render_charts(report, "png")
    if report.edition is not None:
        from .docx_brief import BriefDocxWriter as writer_class
    else:
        writer_class = DocxWriter
    writer = writer_class(report, images, provenance or {}, verify_fit)
    path.write_bytes(writer.build())
    return {"pages": writer.pages, "details": writer.details}
