"""Make templates/reference.docx: the Word styles the DOCX writer uses (run: python -m reportgen.reference_docx).

The reference document is data, as in Pandoc: the writer only names styles and never formats directly, so
an organisation can restyle every report by editing this one file in Word. This script is how the shipped
file was made, kept so a change to the house style is reviewable.
"""
from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT, WD_TAB_LEADER
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

ACCENT = RGBColor(0x1F, 0x4E, 0x79)
MUTED = RGBColor(0x5A, 0x65, 0x70)
WHITE = RGBColor(0xFF, 0xFF, 0xFF)
COVER_TEXT = RGBColor(0xDC, 0xE6, 0xF0)
BOX_FILL, RULE = "E8EEF5", "B8C4D0"
SERIF, SANS = "Charis SIL", "Noto Sans"
TEXT_WIDTH_MM = 210 - 24 - 22      # A4 less the left and right margins set in build()
TOC_LEVELS = {1: (0, 9, 10), 2: (9, 12, 9.5), 3: (21, 15, 9.5)}   # level: indent, number width (mm), size (pt)
OUTPUT = Path(__file__).resolve().parent.parent / "templates" / "reference.docx"


LEADING = {SERIF: 1.45, SANS: 1.3}   # line height / font size, as print.css sets it for the PDF


def _font(style, name: str, size: float, bold: bool = False, color: RGBColor | None = None,
          leading: float | None = None) -> None:
    """Family, size, weight, colour, and an exact line height: "multiple" spacing would scale each font's own
    line gap (Charis SIL's is 1.64 em), making the Word file a third longer than the PDF."""
    if style.type == WD_STYLE_TYPE.PARAGRAPH:
        style.paragraph_format.line_spacing = Pt(round(size * (leading or LEADING[name]), 1))
    style.font.name = name
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), name)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:cstheme", "w:eastAsiaTheme"):
        fonts.attrib.pop(qn(attr), None)
    style.font.size = Pt(size)
    style.font.bold = bold
    if color is not None:
        style.font.color.rgb = color


def _shading(style, fill: str) -> None:
    ppr = style.element.get_or_add_pPr()
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    ppr.append(shd)


def _border(style, side: str, color: str, size: int) -> None:
    """A paragraph border on one side (size in eighths of a point); set before spacing, as the schema orders it."""
    ppr = style.element.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    line = OxmlElement(f"w:{side}")
    for key, value in (("w:val", "single"), ("w:sz", str(size)), ("w:space", "8" if side == "left" else "4"),
                       ("w:color", color)):
        line.set(qn(key), value)
    borders.append(line)
    ppr.append(borders)


PPR_AFTER_HYPHENS = ("kinsoku", "wordWrap", "overflowPunct", "topLinePunct", "autoSpaceDE", "autoSpaceDN", "bidi",
                     "adjustRightInd", "snapToGrid", "spacing", "ind", "contextualSpacing", "mirrorIndents",
                     "suppressOverlap", "jc", "textDirection", "textAlignment", "textboxTightWrap", "outlineLvl",
                     "divId", "cnfStyle", "rPr", "sectPr", "pPrChange")


def _no_hyphenation(style) -> None:
    ppr = style.element.get_or_add_pPr()
    if ppr.find(qn("w:suppressAutoHyphens")) is None:
        ppr.insert_element_before(OxmlElement("w:suppressAutoHyphens"), *(f"w:{t}" for t in PPR_AFTER_HYPHENS))


def _no_border(style) -> None:
    ppr = style.element.get_or_add_pPr()
    for borders in ppr.findall(qn("w:pBdr")):
        ppr.remove(borders)


def _no_letter_spacing(style) -> None:
    rpr = style.element.get_or_add_rPr()
    for spacing in rpr.findall(qn("w:spacing")):
        rpr.remove(spacing)


def _box_border(style) -> None:
    """A thin light rule around the text, like the PDF cover's classification label."""
    for side in ("top", "left", "bottom", "right"):
        _border(style, side, "DCE6F0", 4)


def _right_tab_only(style) -> None:
    tabs = style.paragraph_format.tab_stops
    tabs.clear_all()
    tabs.add_tab_stop(Mm(TEXT_WIDTH_MM), WD_TAB_ALIGNMENT.RIGHT)


def _report_font_bullets(document) -> None:
    """Bullets drawn as U+2022 in the body font, not Symbol's private-use glyph (absent on most machines)."""
    numbering = document.part.numbering_part.element
    for level in numbering.iter(qn("w:lvl")):
        if level.find(qn("w:numFmt")).get(qn("w:val")) != "bullet":
            continue
        level.find(qn("w:lvlText")).set(qn("w:val"), "\u2022")
        fonts = level.find(f"{qn('w:rPr')}/{qn('w:rFonts')}")
        if fonts is not None:
            for attr in ("w:ascii", "w:hAnsi", "w:cs"):
                fonts.set(qn(attr), SERIF)
            fonts.attrib.pop(qn("w:hint"), None)


TABLE_STYLES = """
<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">
<w:style w:type="table" w:customStyle="1" w:styleId="ReportTable"><w:name w:val="Report Table"/>
 <w:basedOn w:val="TableNormal"/><w:uiPriority w:val="59"/>
 <w:tblPr><w:tblBorders><w:bottom w:val="single" w:sz="4" w:space="0" w:color="{rule}"/>
  <w:insideH w:val="single" w:sz="4" w:space="0" w:color="{rule}"/></w:tblBorders>
  <w:tblCellMar><w:top w:w="74" w:type="dxa"/><w:left w:w="113" w:type="dxa"/><w:bottom w:w="74" w:type="dxa"/>
  <w:right w:w="113" w:type="dxa"/></w:tblCellMar></w:tblPr>
 <w:tblStylePr w:type="firstRow"><w:rPr><w:b/><w:color w:val="FFFFFF"/></w:rPr><w:tblPr/>
  <w:tcPr><w:shd w:val="clear" w:color="auto" w:fill="{accent}"/></w:tcPr></w:tblStylePr>
</w:style>
<w:style w:type="table" w:customStyle="1" w:styleId="CalloutBox"><w:name w:val="Callout Box"/>
 <w:basedOn w:val="TableNormal"/><w:uiPriority w:val="59"/>
 <w:tblPr><w:tblBorders><w:left w:val="single" w:sz="24" w:space="0" w:color="{accent}"/></w:tblBorders>
  <w:tblCellMar><w:top w:w="170" w:type="dxa"/><w:left w:w="227" w:type="dxa"/><w:bottom w:w="113" w:type="dxa"/>
  <w:right w:w="227" w:type="dxa"/></w:tblCellMar></w:tblPr>
 <w:tcPr><w:shd w:val="clear" w:color="auto" w:fill="{fill}"/></w:tcPr>
</w:style>
</w:styles>"""


def _table_styles(document, normal) -> None:
    """Report Table (header row white on the accent blue, 8.9:1; rules between rows) and Callout Box (a shaded
    one-cell table with a left rule, so a callout's lists sit inside the box), with their paragraph styles."""
    from docx.oxml import parse_xml
    xml = TABLE_STYLES.format(rule=RULE, accent=str(ACCENT), fill=BOX_FILL)
    for style in parse_xml(xml):
        document.styles.element.append(style)
    styles = document.styles
    text = styles.add_style("Table Text", WD_STYLE_TYPE.PARAGRAPH)
    text.base_style = normal
    _font(text, SANS, 8.5)
    text.paragraph_format.space_after = Pt(0)
    text.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.LEFT
    heading = styles.add_style("Table Heading", WD_STYLE_TYPE.PARAGRAPH)
    heading.base_style = text
    heading.font.bold = True
    heading.font.color.rgb = WHITE
    heading.paragraph_format.keep_with_next = True


ON_ACCENT = {"Title", "Subtitle", "Cover Line", "Cover Label", "Cover Date", "Table Heading"}   # styles printed on the accent blue


def _relative_luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _accessible_colours(document) -> None:
    """Every text style at least 4.5:1 against white (WCAG AA): the template's built-in styles that fall short
    (Heading 4-9, Subtle Emphasis, Intense Quote... in #4F81BD or grey) take the accent colour."""
    for style in document.styles.element.findall(qn("w:style")):
        colour = style.find(f"{qn('w:rPr')}/{qn('w:color')}")
        name = style.find(qn("w:name")).get(qn("w:val"))
        if colour is None or name in ON_ACCENT or colour.get(qn("w:val")) in (None, "auto"):
            continue
        if 1.05 / (_relative_luminance(colour.get(qn("w:val"))) + 0.05) < 4.5:
            colour.set(qn("w:val"), str(ACCENT))
            for attr in ("w:themeColor", "w:themeShade", "w:themeTint"):
                colour.attrib.pop(qn(attr), None)


def _doc_defaults(document) -> None:
    rpr = document.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    fonts = rpr.find(qn("w:rFonts"))
    for attr in list(fonts.attrib):
        del fonts.attrib[attr]
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), SERIF)


FONT_FILES = {SERIF: ("CharisSIL-Regular.ttf", "roman"), SANS: ("NotoSans-Regular.ttf", "swiss")}


def _font_table(document) -> None:
    """Declare the two families with their PANOSE class, so Word substitutes a like font where they are absent."""
    from fontTools.ttLib import TTFont
    part = next(rel.target_part for rel in document.part.rels.values() if rel.reltype.endswith("/fontTable"))
    from lxml import etree
    root = etree.fromstring(part.blob)
    for name, (file, family) in FONT_FILES.items():
        panose = TTFont(str(OUTPUT.parent / "fonts" / file))["OS/2"].panose
        digits = "".join(f"{getattr(panose, field):02X}" for field in (
            "bFamilyType", "bSerifStyle", "bWeight", "bProportion", "bContrast", "bStrokeVariation",
            "bArmStyle", "bLetterForm", "bMidline", "bXHeight"))
        font = etree.SubElement(root, qn("w:font"))
        font.set(qn("w:name"), name)
        for tag, value in (("w:panose1", digits), ("w:charset", "00"), ("w:family", family),
                           ("w:pitch", "variable")):
            etree.SubElement(font, qn(tag)).set(qn("w:val"), value)
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _drop_thumbnail(document) -> None:
    """python-docx's template carries a thumbnail of an empty page, which file browsers would show."""
    package = document.part.package
    for key, rel in list(package.rels.items()):
        if rel.reltype.endswith("/thumbnail"):
            del package.rels[key]


def _recommendation_styles(styles, normal) -> None:
    """A recommendation card: a numbered title and labelled fields, all kept together on one page."""
    title = styles.add_style("Recommendation Title", WD_STYLE_TYPE.PARAGRAPH)
    title.base_style = normal
    _font(title, SANS, 11, bold=True, color=ACCENT)
    _border(title, "top", "1F4E79", 12)
    fmt = title.paragraph_format
    fmt.space_before, fmt.space_after, fmt.keep_with_next, fmt.keep_together = Pt(10), Pt(3), True, True
    fmt.left_indent, fmt.first_line_indent = Mm(7), Mm(-7)
    fmt.tab_stops.add_tab_stop(Mm(7), WD_TAB_ALIGNMENT.LEFT)
    field = styles.add_style("Recommendation Field", WD_STYLE_TYPE.PARAGRAPH)
    field.base_style = normal
    title.next_paragraph_style = field
    fmt = field.paragraph_format
    fmt.left_indent, fmt.space_after, fmt.keep_with_next, fmt.keep_together = Mm(7), Pt(2), True, True
    label = styles.add_style("Recommendation Label", WD_STYLE_TYPE.CHARACTER)
    label.element.set(qn("w:styleId"), "RecommendationLabel")
    label.font.name = SANS
    label.font.bold = True
    label.font.size = Pt(9)
    label.font.color.rgb = ACCENT


def build() -> Document:
    document = Document()
    _doc_defaults(document)
    styles = document.styles

    normal = styles["Normal"]
    _font(normal, SERIF, 10.5)
    normal.paragraph_format.space_after = Pt(6)
    normal.paragraph_format.widow_control = True
    body = styles["Body Text"]
    body.base_style = normal
    body.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY

    # Title, Subtitle and Cover Line are the cover's: light on the accent-blue page, as on the PDF's cover.
    _font(styles["Title"], SANS, 28, bold=True, color=WHITE, leading=1.15)
    styles["Title"].paragraph_format.space_before = Pt(0)     # Title is used on the cover only
    styles["Title"].paragraph_format.space_after = Pt(18)
    _no_border(styles["Title"])
    _font(styles["Subtitle"], SANS, 14, color=COVER_TEXT)
    styles["Subtitle"].font.italic = False
    _no_letter_spacing(styles["Subtitle"])
    styles["Subtitle"].paragraph_format.space_after = Pt(70)
    for level, size in ((1, 17), (2, 12.5), (3, 11)):
        heading = styles[f"Heading {level}"]
        _font(heading, SANS, size, bold=True, color=ACCENT, leading=1.2)
        heading.paragraph_format.keep_with_next = True
        heading.paragraph_format.space_before = Pt(18 if level == 1 else 10)
        heading.paragraph_format.space_after = Pt(6)
        heading.font.italic = False
    styles["Heading 1"].paragraph_format.page_break_before = True

    _font(styles["Caption"], SANS, 8.5, color=MUTED)
    styles["Caption"].font.italic = False
    for name in ("List Bullet", "List Number"):
        styles[name].base_style = normal
        styles[name].paragraph_format.space_after = Pt(3)
    quote = styles["Quote"]
    _font(quote, SERIF, 10.5, color=RGBColor(0x1A, 0x1A, 0x1A))
    quote.font.italic = False
    _shading(quote, "E8EEF5")
    _border(quote, "left", "1F4E79", 24)
    quote.paragraph_format.left_indent = Mm(3)
    quote.paragraph_format.right_indent = Mm(3)
    quote.paragraph_format.keep_together = True

    callout_title = styles.add_style("Callout Title", WD_STYLE_TYPE.PARAGRAPH)
    callout_title.base_style = normal
    _font(callout_title, SANS, 10, bold=True, color=ACCENT)
    callout_title.paragraph_format.keep_with_next = True
    callout_title.paragraph_format.space_after = Pt(2)

    box_text = styles.add_style("Box Text", WD_STYLE_TYPE.PARAGRAPH)
    box_text.base_style = normal
    callout_title.next_paragraph_style = box_text
    box_text.paragraph_format.space_after = Pt(3)
    _table_styles(document, normal)

    figure = styles.add_style("Figure", WD_STYLE_TYPE.PARAGRAPH)
    figure.base_style = normal
    figure.paragraph_format.line_spacing = 1.0     # single: an exact line height would crop the picture
    figure.paragraph_format.keep_with_next = True  # with its caption
    figure.paragraph_format.space_before = Pt(6)

    cover = styles.add_style("Cover Line", WD_STYLE_TYPE.PARAGRAPH)
    cover.base_style = normal
    _font(cover, SANS, 10, color=COVER_TEXT)
    label = styles.add_style("Cover Label", WD_STYLE_TYPE.PARAGRAPH)   # the classification, boxed, as the PDF
    label.base_style = cover
    _font(label, SANS, 9, color=COVER_TEXT)
    label.paragraph_format.space_before = Pt(110)
    label.paragraph_format.space_after = Pt(30)
    _box_border(label)
    cover_date = styles.add_style("Cover Date", WD_STYLE_TYPE.PARAGRAPH)   # "Information as of": what counts
    cover_date.base_style = cover
    _font(cover_date, SANS, 12, bold=True, color=WHITE)
    source = styles.add_style("Source Entry", WD_STYLE_TYPE.PARAGRAPH)
    source.base_style = normal
    _font(source, SERIF, 8.5)
    source.paragraph_format.left_indent = Mm(8)
    source.paragraph_format.first_line_indent = Mm(-8)
    source.paragraph_format.space_after = Pt(3)

    _recommendation_styles(styles, normal)

    _font(styles["TOC Heading"], SANS, 17, bold=True, color=ACCENT)
    for level, (indent, number_width, size) in TOC_LEVELS.items():
        toc = styles.add_style(f"toc {level}", WD_STYLE_TYPE.PARAGRAPH)
        toc.element.set(qn("w:styleId"), f"TOC{level}")
        toc.base_style = normal
        toc.next_paragraph_style = normal
        _font(toc, SANS, size, bold=level == 1)
        # Hanging indent: the number in the margin, wrapped lines under the title, not the number; the
        # right indent keeps long titles off the page-number column, which the dot-leader tab reaches.
        toc.paragraph_format.left_indent = Mm(indent + number_width)
        toc.paragraph_format.first_line_indent = Mm(-number_width)
        toc.paragraph_format.right_indent = Mm(12)
        toc.paragraph_format.space_after = Pt(4 if level == 1 else 2)
        toc.paragraph_format.tab_stops.add_tab_stop(Mm(indent + number_width), WD_TAB_ALIGNMENT.LEFT)
        toc.paragraph_format.tab_stops.add_tab_stop(Mm(TEXT_WIDTH_MM), WD_TAB_ALIGNMENT.RIGHT, WD_TAB_LEADER.DOTS)

    link = styles.add_style("Hyperlink", WD_STYLE_TYPE.CHARACTER)
    link.font.color.rgb = ACCENT
    link.font.underline = True          # links differ from the text by more than colour
    title_link = styles.add_style("Title Link", WD_STYLE_TYPE.CHARACTER)
    title_link.base_style = link
    title_link.font.italic = True
    strong_emphasis = styles.add_style("Strong Emphasis", WD_STYLE_TYPE.CHARACTER)
    strong_emphasis.font.bold = strong_emphasis.font.italic = True
    caption_label = styles.add_style("Caption Label", WD_STYLE_TYPE.CHARACTER)
    caption_label.font.bold = True
    caption_label.font.color.rgb = ACCENT
    note = styles.add_style("Note Reference", WD_STYLE_TYPE.CHARACTER)
    note.font.superscript = True
    note.font.color.rgb = ACCENT
    for name in ("Header", "Footer"):
        _font(styles[name], SANS, 8, color=MUTED)
    _right_tab_only(styles["Header"])   # title on the left, running section title on the right
    for name in ("Title", "Subtitle", "Cover Line", "Cover Label", "Cover Date", "Heading 1", "Heading 2", "Heading 3", "Caption", "TOC Heading",
                 "toc 1", "toc 2", "toc 3", "Callout Title", "Table Text", "Header", "Footer"):
        _no_hyphenation(styles[name])    # as in the PDF, where sans-serif display text is not hyphenated
    _report_font_bullets(document)
    _accessible_colours(document)

    _font_table(document)
    _drop_thumbnail(document)
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(25), Mm(24)
    section.left_margin, section.right_margin = Mm(24), Mm(22)
    return document


def main() -> None:
    """Saved with fixed zip timestamps, so rerunning the script changes the file only if a style changed."""
    import datetime as dt
    import io

    from .writers.docx import normalized_zip
    buffer = io.BytesIO()
    build().save(buffer)
    OUTPUT.write_bytes(normalized_zip(buffer.getvalue(), dt.date(2024, 1, 1)))
    print(f"wrote {OUTPUT}")


if __name__ == "__main__":
    main()
