"""The shape of every content file, as pydantic models: types, required keys, no unknown keys.

Blocks are a mapping with exactly one kind key (`p`, `bullets`, ...); `validate.py` dispatches on that key
and checks the payload against the model of that kind.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

from pydantic import (AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, ValidationInfo,
                      field_validator, model_validator)

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _no_control_characters(text: str) -> str:
    match = _CONTROL.search(text)
    if match:
        raise ValueError(f"contains the control character U+{ord(match.group()):04X}, which a DOCX file "
                         "cannot hold; delete it (it often comes from text pasted from e-mail)")
    return text


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1),
                 AfterValidator(_no_control_characters)]
Id = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$")]
UNITS = ("percent", "EUR", "USD", "number", "people", "years", "year", "seats", "score100")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


RecommendationPart = Literal["title", "headline", "action", "us_lead", "be_partner", "deliverable", "by", "resources"]


class EditionPart(Strict):
    """One part of an edition: a section (or subsection) by id, the recommendations with the fields shown,
    a key-figures block by id, or a chart by id (shown with the caption and alt text of its figure)."""
    section: Id | None = None
    recommendations: list[RecommendationPart] | None = Field(default=None, min_length=1)
    keyfigures: Id | None = None
    chart: Id | None = None

    @model_validator(mode="after")
    def _one_kind(self):
        if len(self.model_fields_set) != 1:
            raise ValueError("a part names exactly one of section, recommendations, keyfigures, chart")
        return self

    @property
    def kind(self) -> str:
        return next(iter(self.model_fields_set))


class Edition(Strict):
    layout: Literal["brief"]
    pages: int | None = Field(default=None, ge=1)   # the most pages it may take: the build checks it
    parts: list[EditionPart] = Field(min_length=1)


class ReportMeta(Strict):
    id: Id
    date: dt.date               # the publication date
    facts_as_of: dt.date        # the information cut-off: the text is true as of this day
    version: Text
    authors: list[Text] = Field(min_length=1)
    paper: Literal["A4", "Letter"] = "A4"
    stale_after_years: int = Field(default=4, ge=1)
    languages: dict[Id, Annotated[str, StringConstraints(pattern=r"^[a-z]{2}-[A-Z]{2}$")]] = Field(min_length=1)
    sections: list[Id] = Field(min_length=1)
    annexes: list[Id] = []      # top-level parts after the sections, lettered A, B, C
    editions: dict[Id, Edition] = {}   # documents other than the full report, e.g. a brief (editions.py)

    @field_validator("annexes")
    @classmethod
    def _annexes_are_not_sections(cls, value: list[str], info: ValidationInfo) -> list[str]:
        both = [key for key in value if key in (info.data.get("sections") or [])]
        if both:
            raise ValueError(f"'{both[0]}' is listed both in sections and in annexes: list it once")
        return value

    @field_validator("facts_as_of")
    @classmethod
    def _cut_off_before_publication(cls, value: dt.date, info: ValidationInfo) -> dt.date:
        date = info.data.get("date")
        if date and value > date:
            raise ValueError(f"facts_as_of ({value}) is after the publication date ({date}): the information "
                             "cut-off cannot be later than the report")
        return value


class FigureData(Strict):
    value: float
    unit: Literal[UNITS]  # type: ignore[valid-type]
    year: int = Field(ge=1000, le=2200)
    source: Id
    approx: bool = False


class SourceData(Strict):
    title: Text
    publisher: Text
    year: int | Text
    date: dt.date | None = None     # the day it was published, printed in the language's format when given
    url: Annotated[str, StringConstraints(pattern=r"^https?://\S+$")] | None = None
    lang: Annotated[str, StringConstraints(pattern=r"^[a-z]{2}(-[A-Z]{2})?$")] | None = None  # the title's language

    @model_validator(mode="after")
    def _date_in_year(self):
        if self.date and str(self.date.year) != str(self.year):
            raise ValueError(f"date {self.date} is not in year {self.year}: make them agree")
        return self


class ChartData(Strict):
    type: Literal["bar", "barh", "line"]
    unit: Literal[UNITS]  # type: ignore[valid-type]
    points: list[Id] = Field(min_length=1)
    guides: list[Id] = []


class DataFile(Strict):
    figures: dict[Id, FigureData] = {}
    sources: dict[Id, SourceData] = {}
    charts: dict[Id, ChartData] = {}


class LanguageMeta(Strict):
    title: Text
    subtitle: Text
    classification: Text | None = None
    subject: Text | None = None
    keywords: list[Text] = []


class TableBlock(Strict):
    id: Id | None = None
    caption: Text
    header: list[Text] = Field(min_length=1)
    rows: list[list[Text]] = Field(min_length=1)


class FigureBlock(Strict):
    """A chart drawn from the figures (`chart:`), or an image file of the report's folder (`image:`)."""
    chart: Id | None = None
    image: Text | None = None
    id: Id | None = None
    caption: Text
    alt: Text
    labels: list[Text] | None = None

    @model_validator(mode="after")
    def _one_source(self):
        if (self.chart is None) == (self.image is None):
            raise ValueError("a figure needs exactly one of 'chart' (an id from data/) or 'image' (a file path)")
        return self

    @property
    def target(self) -> str | None:
        """The id {ref:} uses for this figure."""
        return self.id or self.chart


class KeyFigure(Strict):
    label: Text
    value: Id


class KeyFiguresBlock(Strict):
    id: Id | None = None            # lets an edition pick this box
    title: Text
    items: list[KeyFigure] = Field(min_length=1)


def _deadline(value: object) -> str:
    """`by:` of a recommendation: YYYY-MM or YYYY-MM-DD (YAML reads the latter as a date), kept as text."""
    text = value.isoformat() if isinstance(value, dt.date) else str(value)
    match = re.fullmatch(r"(\d{4})-(\d{2})(?:-(\d{2}))?", text)
    if not match:
        raise ValueError(f"'{text}' is not a month (YYYY-MM) or a day (YYYY-MM-DD)")
    year, month, day = (int(part) if part else 1 for part in match.groups())
    try:
        dt.date(year, month, day)
    except ValueError:
        raise ValueError(f"'{text}' is not a real date") from None
    return text


Deadline = Annotated[object, AfterValidator(_deadline)]


class Recommendation(Strict):
    id: Id | None = None
    title: Text
    action: Text
    us_lead: Text
    be_partner: Text
    deliverable: Text
    by: Deadline
    resources: Text
    headline: Text | None = None    # the action in one line, for short editions (the brief)

    def texts(self) -> list[tuple[str, str]]:
        """(field, text) of every field holding content text, in reading order."""
        return [(name, getattr(self, name)) for name in RECOMMENDATION_TEXTS if getattr(self, name) is not None]


RECOMMENDATION_TEXTS = ("title", "action", "us_lead", "be_partner", "deliverable", "resources", "headline")
RECOMMENDATION_FIELDS = ("action", "us_lead", "be_partner", "deliverable", "by", "resources")  # printed, in order


class RecommendationsBlock(Strict):
    """The report's one ranked list of recommendations, each with an owner, a deliverable and a deadline."""
    items: list[Recommendation] = Field(min_length=3, max_length=7)


class CalloutBlock(Strict):
    title: Text
    blocks: list[dict] = Field(min_length=1)


BLOCK_KINDS: dict[str, object] = {
    "p": Text,
    "bullets": Annotated[list[Text], Field(min_length=1)],
    "numbered": Annotated[list[Text], Field(min_length=1)],
    "table": TableBlock,
    "figure": FigureBlock,
    "callout": CalloutBlock,
    "keyfigures": KeyFiguresBlock,
    "recommendations": RecommendationsBlock,
}


GlossaryForms = Annotated[list[Text], Field(min_length=1)]
GlossaryFile = Annotated[list[dict[Id, Text | GlossaryForms]], Field(min_length=1)]   # glossary.py


class SectionFile(Strict):
    title: Text
    blocks: list[dict] = []
    subsections: list[dict] = []


class Subsection(SectionFile):
    id: Id
