"""Turn a validated RawReport into one document tree per language: numbers, references, locale, typography."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from . import model as m
from .inline import RawSpan, parse_inline
from .load import key_path
from .locale import Locale
from .plan import source_date_epoch
from .schema import RECOMMENDATION_FIELDS
from .validate import RawBlock, RawLanguage, RawReport, RawSection, image_path, walk_blocks, walk_sections


@dataclass
class _Context:
    """What resolving a language's references needs: target numbers, and sources in order of citation."""

    raw: RawReport
    locale: Locale
    targets: dict[str, str] = field(default_factory=dict)       # id -> "figure 2", "section 3.1"
    source_numbers: dict[str, int] = field(default_factory=dict)
    citations: dict[str, list[str]] = field(default_factory=dict)  # source id -> anchors citing it
    block_numbers: dict[tuple, int] = field(default_factory=dict)  # (file, path) of a table/figure -> number
    anchor: str = ""

    def cite(self, source_id: str) -> int:
        number = self.source_numbers.setdefault(source_id, len(self.source_numbers) + 1)
        self.citations.setdefault(source_id, []).append(self.anchor)
        return number


def assemble(raw: RawReport, lang: str) -> m.Report:
    language = raw.languages[lang]
    locale = Locale(lang, language.tag)
    ctx = _Context(raw, locale)
    _number_targets(language, ctx)
    sections = tuple(_section(section, number, 1, ctx) for section, number in top_level(language, raw))
    sources = tuple(_source(source_id, number, ctx) for source_id, number in ctx.source_numbers.items())
    charts = tuple(block.chart for section in m.walk(sections) for block in section.blocks
                   if isinstance(block, m.Figure) and block.chart)
    return document(raw, lang, locale, sections, sources, charts)


def document(raw: RawReport, lang: str, locale: Locale, sections, sources, charts, edition=None) -> m.Report:
    """The Report of a language from its assembled parts (the full report's, or an edition's)."""
    language = raw.languages[lang]
    meta = language.meta
    return m.Report(
        id=raw.meta.id, lang=lang, tag=language.tag, title=locale.typography(meta.title),
        subtitle=locale.typography(meta.subtitle),
        classification=locale.typography(meta.classification) if meta.classification else None,
        subject=locale.typography(meta.subject or meta.subtitle), keywords=tuple(meta.keywords),
        authors=tuple(raw.meta.authors), date=raw.meta.date, date_text=locale.date(raw.meta.date),
        facts_as_of=raw.meta.facts_as_of, facts_as_of_text=locale.date(raw.meta.facts_as_of),
        version=raw.meta.version, paper=raw.meta.paper, labels=locale.labels, sections=sections,
        sources=sources, charts=charts, timestamp=_timestamp(raw.meta.date), edition=edition)


def _timestamp(date: dt.date) -> dt.datetime:
    """The documents' creation time: SOURCE_DATE_EPOCH when set (as reproducible builds expect), else the
    publication date at noon UTC; the printed date is always the report's own."""
    epoch = source_date_epoch()
    if epoch is None:
        return dt.datetime.combine(date, dt.time(12, 0))
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).replace(tzinfo=None)


def _number_targets(language: RawLanguage, ctx: _Context) -> None:
    labels = ctx.locale.labels
    tables = figures = 0

    def number_section(section: RawSection, number: str, kind: str) -> None:
        nonlocal tables, figures
        ctx.targets[section.id] = f"{labels[kind]} {number}"
        for block in walk_blocks(section.blocks):
            if block.kind == "table":
                tables += 1
                ctx.block_numbers[(block.doc.file, block.path)] = tables
                if block.payload.id:
                    ctx.targets[block.payload.id] = f"{labels['table']} {tables}"
            elif block.kind == "figure":
                figures += 1
                ctx.block_numbers[(block.doc.file, block.path)] = figures
                if block.payload.target:
                    ctx.targets[block.payload.target] = f"{labels['figure']} {figures}"
            elif block.kind == "recommendations":
                for rank, item in enumerate(block.payload.items, 1):
                    if item.id:
                        ctx.targets[item.id] = f"{labels['recommendation']} {rank}"
        for i, sub in enumerate(section.subsections, 1):
            number_section(sub, f"{number}.{i}", "section")

    for section, number in top_level(language, ctx.raw):
        number_section(section, number, "section" if number.isdigit() else "annex")


def top_level(language: RawLanguage, raw: RawReport) -> list[tuple[RawSection, str]]:
    """Top-level sections with their numbers: the main sections 1..n, then the annexes lettered A, B, C."""
    annexes = set(raw.meta.annexes)
    main = [section for section in language.sections if section.id not in annexes]
    lettered = [section for section in language.sections if section.id in annexes]
    return [*((section, str(i)) for i, section in enumerate(main, 1)),
            *((section, chr(ord("A") + i)) for i, section in enumerate(lettered))]


def _origin(raw: RawReport, block_or_section) -> m.Origin:
    doc, path = block_or_section.doc, block_or_section.path
    file = doc.file.relative_to(raw.folder.parent).as_posix()
    return m.Origin(file, doc.where(path)[0] or 1, key_path(path), tuple(path))


def _section(section: RawSection, number: str, level: int, ctx: _Context) -> m.Section:
    ctx.anchor = section.id
    blocks = tuple(_block(block, f"{section.id}-{i}", ctx) for i, block in enumerate(section.blocks, 1))
    children = tuple(_section(sub, f"{number}.{i}", level + 1, ctx) for i, sub in enumerate(section.subsections, 1))
    annex = bool(number) and not number[0].isdigit()   # an edition's sections have no number
    shown = f"{ctx.locale.labels['Annex']} {number}." if annex and level == 1 else number
    return m.Section(section.id, shown, level, ctx.locale.typography(section.title), _origin(ctx.raw, section),
                     blocks, children, annex)




def _block(block: RawBlock, anchor: str, ctx: _Context):
    p = block.payload
    if block.kind == "table" and p.id:
        anchor = p.id
    elif block.kind == "figure" and p.target:
        anchor = p.target
    ctx.anchor = anchor
    origin = _origin(ctx.raw, block)
    spans = lambda text: _spans(text, ctx)  # noqa: E731 - a short alias keeps the cases readable
    if block.kind == "p":
        return m.Paragraph(anchor, origin, spans(p))
    if block.kind == "bullets":
        return m.BulletList(anchor, origin, tuple(spans(item) for item in p))
    if block.kind == "numbered":
        return m.NumberedList(anchor, origin, tuple(spans(item) for item in p))
    if block.kind == "table":
        number = ctx.block_numbers[(block.doc.file, block.path)]
        return m.Table(anchor, origin, number, spans(p.caption), tuple(spans(cell) for cell in p.header),
                       tuple(tuple(spans(cell) for cell in row) for row in p.rows))
    if block.kind == "figure":
        number = ctx.block_numbers[(block.doc.file, block.path)]
        chart = _chart(p, ctx) if p.chart else None
        image = str(image_path(ctx.raw.folder, p.image)) if p.image else None
        return m.Figure(anchor, origin, number, chart, spans(p.caption), _plain(spans(p.alt)), image)
    if block.kind == "keyfigures":
        items = tuple(_key_figure(item.label, item.value, ctx) for item in p.items)
        return m.KeyFigures(anchor, origin, ctx.locale.typography(p.title), items)
    if block.kind == "recommendations":
        return m.Recommendations(anchor, origin, tuple(_recommendation(item, rank, anchor, ctx)
                                                       for rank, item in enumerate(p.items, 1)))
    children = tuple(_block(child, f"{anchor}-{i}", ctx) for i, child in enumerate(block.children, 1))
    return m.Callout(anchor, origin, ctx.locale.typography(p.title), children)


def _recommendation(item, rank: int, list_anchor: str, ctx: _Context) -> m.Recommendation:
    ctx.anchor = item.id or f"{list_anchor}-{rank}"
    labels, typo = ctx.locale.labels["recommendation_fields"], ctx.locale.typography

    def field(key: str) -> m.RecommendationField:
        spans = (m.Text(ctx.locale.deadline(item.by)),) if key == "by" else _spans(getattr(item, key), ctx)
        return m.RecommendationField(key, typo(f"{labels[key]}:"), spans)

    return m.Recommendation(ctx.anchor, rank, _spans(item.title, ctx),
                            tuple(field(key) for key in RECOMMENDATION_FIELDS))


def _key_figure(label: str, figure_id: str, ctx: _Context) -> m.KeyFigure:
    figure = ctx.raw.figures[figure_id]
    value = ctx.locale.typography(ctx.locale.figure(figure.value, figure.unit, figure.approx))
    return m.KeyFigure(_plain(_spans(label, ctx)), value, ctx.cite(figure.source), figure_id, figure.source)


def _chart(block, ctx: _Context) -> m.Chart:
    chart = ctx.raw.charts[block.chart]
    locale = ctx.locale

    def point(figure_id: str, label: str | None) -> m.ChartPoint:
        figure = ctx.raw.figures[figure_id]
        text = locale.figure(figure.value, figure.unit)
        return m.ChartPoint(label or str(figure.year), figure.value, text)

    labels = [_plain(_spans(label, ctx)) for label in block.labels] if block.labels else [None] * len(chart.points)
    points = tuple(point(f, label) for f, label in zip(chart.points, labels))
    guides = tuple(point(f, None) for f in chart.guides)
    return m.Chart(block.chart, chart.type, chart.unit, points, guides, locale.lang)


def _source(source_id: str, number: int, ctx: _Context) -> m.Source:
    source = ctx.raw.sources[source_id]
    typo = ctx.locale.typography
    when = ctx.locale.date(source.date) if source.date else str(source.year)
    languages = ctx.raw.meta.languages
    code = source.lang or next(iter(languages))
    doc = ctx.raw.data_docs.get(("sources", source_id))
    origin = m.Origin(doc.file.relative_to(ctx.raw.folder.parent).as_posix(), doc.where(("sources", source_id))[0]
                      or 1, key_path(("sources", source_id)), ("sources", source_id)) if doc else None
    return m.Source(number, source_id, typo(source.title), typo(source.publisher), when, source.url,
                    tuple(dict.fromkeys(ctx.citations.get(source_id, ()))), languages.get(code, code), origin)


# ---- inline ------------------------------------------------------------------------------------------


def _spans(text: str, ctx: _Context) -> m.Spans:
    return _finish(tuple(_span(span, ctx) for span in parse_inline(text)), ctx.locale)


def _span(span: RawSpan, ctx: _Context):
    figures = ctx.raw.figures
    if span.kind == "text":
        return m.Text(span.text)
    if span.kind == "value":
        figure = figures[span.text]
        return m.Text(ctx.locale.figure(figure.value, figure.unit, figure.approx), f"value:{span.text}")
    if span.kind == "year":
        return m.Text(str(figures[span.text].year), f"year:{span.text}")
    if span.kind == "cite":
        return m.NoteRef(ctx.cite(span.text), span.text)
    if span.kind == "ref":
        return m.CrossRef(span.text, ctx.targets[span.text])
    children = tuple(_span(child, ctx) for child in span.children)
    if span.kind == "strong":
        return m.Strong(children)
    if span.kind == "em":
        return m.Emph(children)
    return m.Link(span.href, children)


def _finish(spans: tuple, locale: Locale) -> tuple:
    """Apply typography once per run of neighbouring text (quotes and French spacing look across a placeholder's
    value), keeping each placeholder's value a span of its own."""
    finished: list = []
    texts: list = []
    for span in spans:
        if isinstance(span, m.Text):
            texts.append(span)
            continue
        if isinstance(span, m.NoteRef) and texts:   # a note number hangs on the word before it
            texts[-1] = m.Text(texts[-1].text.rstrip(" "), texts[-1].origin)
        finished.extend(_typeset(texts, locale))
        texts = []
        if isinstance(span, (m.Strong, m.Emph, m.Link)):
            span = type(span)(*(_children_args(span, locale)))
        finished.append(span)
    finished.extend(_typeset(texts, locale))
    return tuple(finished)


def _typeset(texts: list, locale: Locale) -> list:
    """Neighbouring Text spans after typography of their joined text: one span when all are prose, else each
    placeholder's value apart (what typography added at its edges, a no-break space, goes to the prose)."""
    joined = "".join(span.text for span in texts)
    result = locale.typography(joined)
    if not any(span.origin for span in texts):
        return [m.Text(result)] if texts else []
    aligned = _Alignment(joined, result) if result != joined else None
    out, start, position = [], 0, 0
    for index, span in enumerate(texts):
        end = position + len(span.text)
        if index == len(texts) - 1:
            stop = len(result)
        else:   # text typography inserted at the border goes to the prose side
            stop = aligned.position(end, before=bool(span.origin)) if aligned else end
        piece = result[start:stop]
        if piece:
            if out and not span.origin and not out[-1].origin:
                out[-1] = m.Text(out[-1].text + piece)
            else:
                out.append(m.Text(piece, span.origin))
        start, position = stop, end
    return out


class _Alignment:
    """Where an offset of a text lands in its typeset version. Typography replaces and adds only spaces and
    punctuation: letters and digits keep their order, so an offset is found in the gap between the same two of
    them, and only that short gap is aligned character by character."""

    def __init__(self, before: str, after: str):
        self.before, self.after = before, after
        self.letters = [i for i, ch in enumerate(before) if ch.isalnum()]
        self.typeset = [i for i, ch in enumerate(after) if ch.isalnum()]
        if [before[i] for i in self.letters] != [after[i] for i in self.typeset]:   # not mere typography
            self.letters, self.typeset = [], []

    def position(self, offset: int, before: bool) -> int:
        """The typeset offset; `before`: ahead of what typography inserted at this place, else after it."""
        from bisect import bisect_left
        from difflib import SequenceMatcher
        k = bisect_left(self.letters, offset)
        start, gap_start = (self.letters[k - 1] + 1, self.typeset[k - 1] + 1) if k else (0, 0)
        end, gap_end = ((self.letters[k], self.typeset[k]) if k < len(self.letters)
                        else (len(self.before), len(self.after)))
        local = offset - start
        matcher = SequenceMatcher(None, self.before[start:end], self.after[gap_start:gap_end], autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "insert" and i1 == local:
                return gap_start + (j1 if before else j2)
            if i1 <= local < i2:
                return gap_start + j1 + min(local - i1, j2 - j1)
        return gap_end


def _children_args(span, locale: Locale) -> tuple:
    children = _finish(span.children, locale)
    return (span.href, children) if isinstance(span, m.Link) else (children,)


def plain(spans) -> str:
    """The text of spans as a reader sees it (notes as their numbers)."""
    out = []
    for span in spans:
        if isinstance(span, m.Text):
            out.append(span.text)
        elif isinstance(span, m.CrossRef):
            out.append(span.label)
        elif isinstance(span, m.NoteRef):
            out.append(f"[{span.number}]")
        else:
            out.append(plain(span.children))
    return "".join(out)


def _plain(spans) -> str:
    """Text for places that hold no markup (alt text, labels): notes are dropped."""
    return "".join(plain((s,)) for s in spans if not isinstance(s, m.NoteRef)).strip()
