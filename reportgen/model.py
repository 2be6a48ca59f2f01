"""The document tree both writers walk: one Report per language, frozen once assembled."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Union


# ---- inline spans ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Text:
    text: str
    origin: str | None = None   # the placeholder it renders, "value:gdp-growth" or "year:gdp-growth"; None for prose


@dataclass(frozen=True)
class Strong:
    children: tuple


@dataclass(frozen=True)
class Emph:
    children: tuple


@dataclass(frozen=True)
class Link:
    href: str
    children: tuple


@dataclass(frozen=True)
class NoteRef:
    """A citation: the number of a source in the document's numbered source list."""
    number: int
    source_id: str

    @property
    def origin(self) -> str | None:
        """The placeholder it renders, "cite:nbb-2025" (None for a key figure's note, written without an id)."""
        return f"cite:{self.source_id}" if self.source_id else None


@dataclass(frozen=True)
class CrossRef:
    """A resolved reference to a section, table, figure or recommendation: 'figure 2', « tableau 1 »."""
    target: str
    label: str

    @property
    def origin(self) -> str:
        """The placeholder it renders: "ref:rec-x"."""
        return f"ref:{self.target}"


Inline = Union[Text, Strong, Emph, Link, NoteRef, CrossRef]
Spans = tuple  # tuple[Inline, ...]


# ---- blocks ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Origin:
    """Where a section or block comes from, so a place in an output maps back to the source."""
    file: str           # path relative to the content folder's parent, e.g. belgium/en/help-us.yaml
    line: int
    key: str            # key path inside the file, e.g. subsections[1].blocks[2]
    path: tuple = field(default=(), compare=False)   # the same key path as a tuple


@dataclass(frozen=True)
class Paragraph:
    anchor: str
    origin: Origin
    spans: Spans


@dataclass(frozen=True)
class BulletList:
    anchor: str
    origin: Origin
    items: tuple        # tuple[Spans, ...]


@dataclass(frozen=True)
class NumberedList:
    anchor: str
    origin: Origin
    items: tuple


@dataclass(frozen=True)
class Table:
    anchor: str
    origin: Origin
    number: int
    caption: Spans
    header: tuple       # tuple[Spans, ...]
    rows: tuple         # tuple[tuple[Spans, ...], ...]


@dataclass(frozen=True)
class ChartPoint:
    label: str
    value: float
    text: str           # the value formatted for the language


@dataclass(frozen=True)
class Chart:
    id: str
    type: str           # bar | barh | line
    unit: str
    points: tuple       # tuple[ChartPoint, ...]
    guides: tuple       # tuple[ChartPoint, ...]
    lang: str


@dataclass(frozen=True)
class Figure:
    anchor: str
    origin: Origin
    number: int
    chart: Chart | None          # a chart drawn from the figures, or
    caption: Spans
    alt: str
    image: str | None = None     # an image file inside the report folder (absolute path, checked)


@dataclass(frozen=True)
class KeyFigure:
    label: str
    value: str
    source_number: int
    figure_id: str = ""     # the figure whose value it prints, and that figure's source (the DOCX tags both)
    source_id: str = ""

    def value_and_note(self) -> tuple:
        """Its value and its note as spans, each with the placeholder origin it renders."""
        return (Text(self.value, f"value:{self.figure_id}" if self.figure_id else None),
                NoteRef(self.source_number, self.source_id))


@dataclass(frozen=True)
class KeyFigures:
    anchor: str
    origin: Origin
    title: str
    items: tuple        # tuple[KeyFigure, ...]


@dataclass(frozen=True)
class Callout:
    anchor: str
    origin: Origin
    title: str
    blocks: tuple


@dataclass(frozen=True)
class RecommendationField:
    key: str            # action | us_lead | be_partner | deliverable | by | resources
    label: str          # the language's label, with its colon: "U.S. lead:", « Échéance : »
    spans: Spans


@dataclass(frozen=True)
class Recommendation:
    anchor: str         # its id when it has one ({ref:} target), else the list's anchor and its rank
    rank: int
    title: Spans
    fields: tuple       # tuple[RecommendationField, ...], in printing order


@dataclass(frozen=True)
class Recommendations:
    """The report's one ranked list of recommendations, printed as numbered cards."""
    anchor: str
    origin: Origin
    items: tuple        # tuple[Recommendation, ...]


Block = Union[Paragraph, BulletList, NumberedList, Table, Figure, KeyFigures, Callout, Recommendations]


@dataclass(frozen=True)
class Section:
    id: str
    number: str         # as printed before the title: "3", "3.2"; annexes "Annex A." / « Annexe A. », "A.2"
    level: int          # 1 for top-level sections
    title: str
    origin: Origin
    blocks: tuple
    children: tuple     # tuple[Section, ...]
    annex: bool = False # an annex (report.yaml annexes:) or part of one


@dataclass(frozen=True)
class Source:
    number: int
    id: str
    title: str
    publisher: str
    year: str           # the publication year, or its full date in the language's format
    url: str | None
    cited_from: tuple   # anchors of the places citing it, for back-links
    lang: str = ""      # the title's language tag (the source's `lang:`, else the report's first language)
    origin: Origin | None = None   # where it is defined: its data/*.yaml file and key (for `review`)


@dataclass(frozen=True)
class Edition:
    """What an edition other than the full report adds: its parts in order, and what its masthead says."""
    name: str           # "brief"
    layout: str         # the templates laying it out
    pages: int | None   # the most pages it may take
    parts: tuple        # Sections and blocks, in reading order
    kind: str           # what it is, in the language: "Policy brief"
    dates: tuple        # masthead lines: publication date, information cut-off, version
    derived_from: str   # the line naming the full report; {file} is the full report's file name
    full_report: str    # the full report's file name without its extension: "belgium.fr"


@dataclass(frozen=True)
class Report:
    id: str
    lang: str           # "fr"
    tag: str            # "fr-BE"
    title: str
    subtitle: str
    classification: str | None
    subject: str
    keywords: tuple
    authors: tuple
    date: dt.date                   # publication date
    date_text: str
    facts_as_of: dt.date            # information cut-off: the text is true as of this day
    facts_as_of_text: str
    version: str
    paper: str
    labels: dict = field(hash=False, compare=False)
    sections: tuple = ()
    sources: tuple = ()
    charts: tuple = ()  # every Chart used, in order
    timestamp: dt.datetime | None = None   # when the files say they were made (UTC): SOURCE_DATE_EPOCH, else date
    edition: Edition | None = None   # None for the full report


def walk(sections) -> "iter[Section]":
    """Sections depth-first, in reading order."""
    for section in sections:
        yield section
        yield from walk(section.children)
