"""The brief layout in Word: the full report's DOCX writer and Word styles, laid out for one A4 sheet.

The brief uses the same named styles as the report (Title, Heading 1, Body Text, Quote, Source Entry, the
recommendation styles, the table style), so a Word user finds the same style gallery. Its styles part tunes
them for two pages (smaller type, no page break before Heading 1, no cover spacing): a style change in this
document, not direct formatting of its paragraphs.
"""
from __future__ import annotations

from docx.enum.style import WD_STYLE_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from .. import libreoffice
from .. import model as m
from ..errors import BuildError
from ..reference_docx import ACCENT, MUTED
from ..editions import DoesNotFit, filename
from .docx import TABLE_STYLE, DocxWriter, _table_description, bookmark_name, source_bookmark

MARGIN_MM = 14
TEXT_WIDTH_MM = 210 - 2 * MARGIN_MM
RANK_MM, TITLE_MM, DATE_MM = 12, 86, 24
TWIPS_PER_MM = 1440 / 25.4
CHART_WIDTH_MM = 118
BRIEF_LEADING = 1.3   # line height / font size: a little tighter than the report's 1.45 (serif) and 1.3 (sans)
TEXT_FIELDS = ("headline", "action", "deliverable", "resources")   # shown under the title, in its cell
STYLE_SIZES = {"Normal": 9, "Body Text": 9, "Title": 17, "Subtitle": 9.5, "Heading 1": 11.5, "Quote": 8.5,
               "Callout Title": 8.5, "Cover Line": 7.5, "Source Entry": 7, "Caption": 7.5,
               "Recommendation Title": 8.5, "Recommendation Field": 8, "Header": 7, "Footer": 7}


class BriefDocxWriter(DocxWriter):
    def _body(self) -> None:
        self._tune_styles()
        self._page()
        self._masthead()
        parts = self.report.edition.parts
        for index, part in enumerate(parts):
            self._part(part, _starts_page_two(parts, index, self.report.edition.pages))
        self._brief_sources()

    def _paginate(self) -> None:
        """With --verify-docx, the page count from LibreOffice's layout: a brief that it puts on more pages
        than the edition allows is not written, as for the PDF. Without it, no layout pass (it is most of the
        brief's DOCX build time): the page count is left out of the file and the tests check the layout."""
        edition = self.report.edition
        if not self.verify_fit:
            self._app_properties(None)
            self.details.append("page count not checked (--verify-docx lays the brief out in LibreOffice)")
            return
        name = filename(self.report.id, edition.name, self.report.lang, "docx")
        try:
            laid_out = libreoffice.layout(self._save())
        except RuntimeError as exc:
            raise BuildError(f"{name}: LibreOffice could not lay out the brief to check its pages: {exc}") from exc
        self.pages = laid_out.pages
        self._app_properties(laid_out.pages)
        self.details.append("page count from LibreOffice's layout")
        if edition.pages and laid_out.pages > edition.pages:
            raise DoesNotFit(f"{name}: {laid_out.pages} pages in LibreOffice, must fit on {edition.pages}")

    def _tune_styles(self) -> None:
        styles = self.document.styles
        for name, size in STYLE_SIZES.items():
            style = styles[name]
            style.font.size = Pt(size)
            if style.type == WD_STYLE_TYPE.PARAGRAPH:   # the reference's exact line heights, for the new size
                style.paragraph_format.line_spacing = Pt(round(size * BRIEF_LEADING, 1))
        styles["Normal"].paragraph_format.space_after = Pt(3)
        # The report prints these on its blue cover; the brief's masthead is on white paper.
        styles["Title"].font.color.rgb = ACCENT
        styles["Subtitle"].font.color.rgb = styles["Cover Line"].font.color.rgb = MUTED
        styles["Title"].paragraph_format.space_before = Pt(0)
        styles["Title"].paragraph_format.space_after = Pt(2)
        styles["Subtitle"].paragraph_format.space_after = Pt(3)
        heading = styles["Heading 1"].paragraph_format
        heading.page_break_before, heading.space_before, heading.space_after = False, Pt(6), Pt(3)
        for name in ("Recommendation Title", "Recommendation Field"):
            fmt = styles[name].paragraph_format
            fmt.left_indent = fmt.first_line_indent = Mm(0)
            fmt.space_before, fmt.space_after, fmt.keep_with_next = Pt(0), Pt(1), False
            border = styles[name].element.pPr.find(qn("w:pBdr"))
            if border is not None:
                styles[name].element.pPr.remove(border)
        styles["Source Entry"].paragraph_format.space_after = Pt(0)
        styles["Source Entry"].paragraph_format.left_indent = Mm(5)
        styles["Source Entry"].paragraph_format.first_line_indent = Mm(-5)

    def _page(self) -> None:
        section = self.document.sections[0]
        section.top_margin = section.bottom_margin = section.left_margin = section.right_margin = Mm(MARGIN_MM)
        section.header_distance = section.footer_distance = Mm(6)
        section.different_first_page_header_footer = True   # the masthead is page 1's header
        self._header(section, None)
        self._footer(section)

    def _masthead(self) -> None:
        report, edition = self.report, self.report.edition
        kind = edition.kind.upper() + (f"  ·  {report.classification.upper()}" if report.classification else "")
        self._paragraph("Cover Line", [m.Text(kind)])
        self._paragraph("Title", [m.Text(report.title)])
        self._paragraph("Subtitle", [m.Text(report.subtitle)])
        self._paragraph("Cover Line", [m.Text("  ·  ".join(edition.dates))])

    def _part(self, part, new_page: bool = False) -> None:
        if isinstance(part, m.Section):
            heading = self._paragraph("Heading 1", [m.Text(part.title)])
            self._bookmark(heading, bookmark_name(part.id))
            for block in part.blocks:
                self.block(block)
            for child in part.children:
                self.section(child)
        elif isinstance(part, m.Recommendations):
            self._recommendations_table(part, new_page)
        elif isinstance(part, m.Figure):
            self.figure(part, "Body Text")
            self._shrink_last_picture(CHART_WIDTH_MM)
        else:
            self.block(part)

    def _recommendations_table(self, block: m.Recommendations, new_page: bool) -> None:
        labels = self.report.labels
        heading = self._paragraph("Heading 1", [m.Text(labels["brief"]["recommendations"])])
        heading.paragraph_format.page_break_before = new_page
        self._bookmark(heading, bookmark_name(block.anchor))
        columns = [f.key for f in block.items[0].fields if f.key not in TEXT_FIELDS]
        header = [labels["brief"]["rank"], labels["brief"]["recommendation"],
                  *(labels["recommendation_fields"][key] for key in columns)]
        widths = [RANK_MM, TITLE_MM, *_short_column_widths(columns)]
        table = self._table(1 + len(block.items), [int(w * TWIPS_PER_MM) for w in widths], TABLE_STYLE,
                            first_row=True)
        for cell, text in zip(table.rows[0].cells, header):
            self._cell(cell.paragraphs[0], "Table Heading", [m.Text(text)])
        for row, item in zip(table.rows[1:], block.items):
            cells = row.cells
            self._cell(cells[0].paragraphs[0], "Recommendation Title", [m.Text(str(item.rank))])
            title = self._cell(cells[1].paragraphs[0], "Recommendation Title", item.title)
            self._bookmark(title, bookmark_name(item.anchor))
            fields = {f.key: f for f in item.fields}
            for key in (k for k in TEXT_FIELDS if k in fields):
                self._cell(cells[1].add_paragraph(), "Recommendation Field", fields[key].spans)
            for cell, key in zip(cells[2:], columns):
                self._cell(cell.paragraphs[0], "Table Text", fields[key].spans)
        _repeat_header_and_keep_rows(table)
        _table_description(table, labels["brief"]["recommendations"], "")

    def _cell(self, paragraph, style: str, spans):
        paragraph._p.get_or_add_pPr().get_or_add_pStyle().val = self._style_id(style)
        self._runs(paragraph, spans)
        return paragraph

    def _shrink_last_picture(self, width_mm: float) -> None:
        """Scale the chart just added to the brief's width, keeping its proportions."""
        extent = self.body.findall(".//" + qn("wp:extent"))[-1]
        cx, cy = int(extent.get("cx")), int(extent.get("cy"))
        new_cx = int(Mm(width_mm))
        for element in (extent, self.body.findall(".//" + qn("a:ext"))[-1]):
            element.set("cx", str(new_cx))
            element.set("cy", str(cy * new_cx // cx))

    def _brief_sources(self) -> None:
        labels, edition = self.report.labels, self.report.edition
        heading = self._paragraph("Heading 1", [m.Text(labels["brief"]["sources"])])
        self._bookmark(heading, source_bookmark(0))
        for source in self.report.sources:
            paragraph = self._paragraph("Source Entry", [
                m.Text(f"{source.number}.\t{source.publisher}, "), m.Emph((m.Text(source.title),)),
                m.Text(f", {source.year}.")])
            self._bookmark(paragraph, source_bookmark(source.number))
        line = edition.derived_from.format(file=f"{edition.full_report}.docx")
        self._paragraph("Caption", [m.Text(line)])


def _starts_page_two(parts, index: int, pages: int | None) -> bool:
    """Page 1 the judgment, page 2 what to do about it: in a two-page edition, recommendations that follow a
    section and a key-figures block open page 2 (brief.css: .pages-2 .part-section + .part-keyfigures +
    .part-recommendations)."""
    return (pages == 2 and isinstance(parts[index], m.Recommendations) and index >= 2
            and isinstance(parts[index - 2], m.Section) and isinstance(parts[index - 1], m.KeyFigures))


def _short_column_widths(columns: list[str]) -> list[float]:
    """The deadline gets a narrow column; the other short fields (owners) share what is left."""
    others = [key for key in columns if key != "by"]
    rest = TEXT_WIDTH_MM - RANK_MM - TITLE_MM - (DATE_MM if "by" in columns else 0)
    return [DATE_MM if key == "by" else rest / len(others) for key in columns]


def _repeat_header_and_keep_rows(table) -> None:
    """The header row repeats on each page; no row is split across pages."""
    for index, row in enumerate(table.rows):
        trpr = row._tr.get_or_add_trPr()
        trpr.append(OxmlElement("w:cantSplit"))
        if index == 0:
            repeat = OxmlElement("w:tblHeader")
            repeat.set(qn("w:val"), "true")
            trpr.append(repeat)
