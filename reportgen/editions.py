"""Editions: other documents built from the same content as the full report, such as a two-page brief.

`report.yaml` declares them under `editions:`; the full report is the implicit default edition. An edition
selects existing parts (a section, the recommendations with some of their fields, a key-figures box, a chart)
and is laid out by its own templates. This module is called at few points:

- planning (light, no heavy imports): the editions a report declares, file names, each edition's inputs;
- validation: `check()` locates every wrong definition (file:line);
- building: `assemble()` makes the edition's document tree; the PDF writer calls `check_fit()`.
"""
from __future__ import annotations

import re
from pathlib import Path

from .errors import BuildError

FULL = "full"
# layout -> the templates each format uses, relative to templates/ (the full report's are in plan.py)
LAYOUTS = {
    "brief": {
        "pdf": ("html/brief.html.j2", "html/blocks.html.j2", "fonts.css", "brief.css", "fonts/*.ttf"),
        "html": ("html/brief.html.j2", "html/blocks.html.j2", "fonts.css", "brief.css", "fonts/*.ttf"),
        "docx": ("reference.docx", "fonts/*.ttf"),
    },
}
PART_KINDS = ("section", "recommendations", "keyfigures", "chart")
RECOMMENDATION_FIELDS = ("title", "headline", "action", "us_lead", "be_partner", "deliverable", "by", "resources")


# ---- planning (light) --------------------------------------------------------------------------------


def declared(report_data: dict) -> dict[str, dict]:
    """Edition name -> definition, from report.yaml's parsed data; the full report first."""
    editions = report_data.get("editions") or {}
    return {FULL: {}, **{str(name): d for name, d in editions.items() if isinstance(d, dict)}}


def filename(report: str, edition: str, lang: str, fmt: str) -> str:
    stem = report if edition == FULL else f"{report}-{edition}"
    return f"{stem}.{lang}.{fmt}"


def templates(definition: dict, fmt: str) -> tuple[str, ...] | None:
    """The template patterns of an edition's layout for a format; None for the full report's."""
    layout = definition.get("layout")
    return LAYOUTS.get(layout, {}).get(fmt) if layout else None


def part_files(folder: Path, lang: str, definition: dict) -> list[Path]:
    """meta.yaml and the section files of `lang` that hold the edition's parts, found by a text scan so that
    planning stays light. A part this scan cannot place makes every section file an input: a needless
    rebuild at worst, never a stale document."""
    files = sorted((folder / lang).glob("*.yaml"))
    texts = {file: file.read_text(encoding="utf-8") for file in files if file.name != "meta.yaml"}
    chosen = {folder / lang / "meta.yaml"}
    for part in definition.get("parts") or []:
        pattern = _part_pattern(part)
        whole = folder / lang / f"{part.get('section')}.yaml" if isinstance(part, dict) else None
        hits = {whole} if whole in texts else {f for f, text in texts.items() if pattern and re.search(pattern, text, re.M)}
        if not hits:
            return files
        chosen |= hits
    return sorted(chosen)


def _part_pattern(part) -> str | None:
    """A line that only the file holding this part contains."""
    if not isinstance(part, dict) or len(part) != 1:
        return None
    (kind, value), = part.items()
    value = re.escape(str(value))
    return {"section": rf"^[\s-]*id:\s*['\"]?{value}['\"]?\s*$",
            "recommendations": r"^[\s-]*recommendations:",
            "keyfigures": rf"^[\s-]*id:\s*['\"]?{value}['\"]?\s*$",
            "chart": rf"^[\s-]*chart:\s*['\"]?{value}['\"]?\s*$"}.get(kind)


# ---- validation ----------------------------------------------------------------------------------------


def find_part(language, part):
    """The RawSection or RawBlock of `language` that an edition part names, or None."""
    from .validate import walk_blocks, walk_sections

    if part.kind == "section":
        return next((s for s in walk_sections(language.sections) if s.id == part.section), None)
    blocks = [b for s in walk_sections(language.sections) for b in walk_blocks(s.blocks)]
    if part.kind == "recommendations":
        return next((b for b in blocks if b.kind == "recommendations"), None)
    if part.kind == "keyfigures":
        return next((b for b in blocks if b.kind == "keyfigures" and b.payload.id == part.keyfigures), None)
    return next((b for b in blocks if b.kind == "figure" and b.payload.chart == part.chart), None)


def check(report_doc, meta, languages: dict, charts: dict, problems: list) -> None:
    """Every part of every edition names something that exists, and texts it uses refer only inside it."""
    from .validate import _suggest, walk_blocks, walk_sections

    for name, edition in meta.editions.items():
        at = ("editions", name)
        if name == FULL:
            problems.append(report_doc.problem(at, f"'{FULL}' is the full report's edition, always built",
                                               "give the edition another name"))
        for language in languages.values():
            inside: set[str] = set()
            found = []
            for i, part in enumerate(edition.parts):
                target = find_part(language, part)
                if target is None:
                    if language is next(iter(languages.values())):   # report it once, not per language
                        problems.append(report_doc.problem(at + ("parts", i, part.kind),
                                                           *_missing(part, language, charts, _suggest)))
                    continue
                found.append(target)
                inside |= _targets(target, walk_sections, walk_blocks)
            for target in found:
                _check_references_inside(name, target, inside, walk_sections, walk_blocks, problems)


def _missing(part, language, charts, suggest) -> tuple[str, str]:
    from .validate import walk_blocks, walk_sections

    if part.kind == "section":
        ids = [s.id for s in walk_sections(language.sections)]
        return f"unknown section '{part.section}'", suggest(part.section, ids)
    if part.kind == "recommendations":
        return "the report has no recommendations block", "add one, or remove this part"
    if part.kind == "keyfigures":
        ids = [b.payload.id for s in walk_sections(language.sections) for b in walk_blocks(s.blocks)
               if b.kind == "keyfigures" and b.payload.id]
        return (f"no keyfigures block has the id '{part.keyfigures}'",
                f"did you mean '{ids[0]}'?" if ids else "give the keyfigures block an id: line")
    if part.chart not in charts:
        return f"unknown chart '{part.chart}'", suggest(part.chart, charts)
    return (f"chart '{part.chart}' is shown by no figure of the report",
            "the edition borrows the caption and alt text of the figure showing it")


def _targets(target, walk_sections, walk_blocks) -> set[str]:
    """The {ref:} targets an edition part brings with it: its recommendations, figures and tables (sections
    are not numbered in an edition, so a reference to one would print nothing useful)."""
    ids = set()
    for block in _blocks(target, walk_sections, walk_blocks):
        p = block.payload
        if block.kind == "recommendations":
            ids |= {item.id for item in p.items if item.id}
        elif block.kind == "figure" and p.target:
            ids.add(p.target)
        elif block.kind == "table" and p.id:
            ids.add(p.id)
    return ids


def _blocks(target, walk_sections, walk_blocks) -> list:
    """Every block of a part: a section's, with its subsections', or the part itself."""
    if hasattr(target, "subsections"):
        return [b for s in walk_sections([target]) for b in walk_blocks(s.blocks)]
    return list(walk_blocks([target]))


def _check_references_inside(name, target, inside, walk_sections, walk_blocks, problems) -> None:
    from .inline import parse_inline, references

    for block in _blocks(target, walk_sections, walk_blocks):
        for path, text in block.located_texts():
            for kind, key in references(parse_inline(text)):
                if kind == "ref" and key not in inside:
                    problems.append(block.doc.problem(
                        path, f"{{ref:{key}}} points outside the '{name}' edition, which uses this text",
                        "the edition is read on its own: name the place in words, or add its part to the edition"))


# ---- building ------------------------------------------------------------------------------------------


def assemble(raw, lang: str, edition: str = FULL):
    """The document tree of one edition in one language."""
    from .assemble import assemble as assemble_full

    if edition == FULL:
        return assemble_full(raw, lang)
    return _assemble_edition(raw, lang, edition)


def _assemble_edition(raw, lang: str, name: str):
    from . import assemble as a
    from . import model as m
    from .locale import Locale

    definition = raw.meta.editions[name]
    language = raw.languages[lang]
    locale = Locale(lang, language.tag)
    ctx = a._Context(raw, locale)
    labels = locale.labels
    targets = [find_part(language, part) for part in definition.parts]
    _number_targets(targets, ctx)
    parts = []
    for part, target in zip(definition.parts, targets):
        if part.kind == "section":
            parts.append(a._section(target, "", 1, ctx))
        elif part.kind == "recommendations":
            parts.append(_recommendations(target, part.recommendations, ctx))
        else:
            parts.append(a._block(target, part.keyfigures or f"{name}-{part.chart}", ctx))
    sections = tuple(p for p in parts if isinstance(p, m.Section))
    sources = tuple(a._source(source_id, number, ctx) for source_id, number in ctx.source_numbers.items())
    charts = tuple(p.chart for p in parts if isinstance(p, m.Figure) and p.chart)
    edition = m.Edition(name, definition.layout, definition.pages, tuple(parts), **_masthead(raw, locale))
    return a.document(raw, lang, locale, sections, sources, charts, edition=edition)


def _number_targets(targets: list, ctx) -> None:
    """Number the edition's own figures and tables, and label the only {ref:} targets it has (check() refuses
    the others): its recommendations, figures and tables."""
    from .validate import walk_blocks, walk_sections

    labels, counts = ctx.locale.labels, {"figure": 0, "table": 0}
    for target in targets:
        for block in _blocks(target, walk_sections, walk_blocks):
            p = block.payload
            if block.kind == "recommendations":
                ctx.targets.update({item.id: f"{labels['recommendation']} {rank}"
                                    for rank, item in enumerate(p.items, 1) if item.id})
            elif block.kind in counts and (block.doc.file, block.path) not in ctx.block_numbers:
                counts[block.kind] += 1
                ctx.block_numbers[(block.doc.file, block.path)] = counts[block.kind]
                target_id = p.target if block.kind == "figure" else p.id
                if target_id:
                    ctx.targets[target_id] = f"{labels[block.kind]} {counts[block.kind]}"


def _masthead(raw, locale) -> dict:
    """Publication date and information cut-off first: a reader must know how current the brief is."""
    labels, typo = locale.labels, locale.typography
    dates = (labels["published"].format(date=locale.date(raw.meta.date)),
             labels["facts_as_of"].format(date=locale.date(raw.meta.facts_as_of)),
             f"{labels['version']} {raw.meta.version}")
    return {"kind": typo(labels["brief"]["kind"]), "dates": tuple(typo(line) for line in dates),
            "derived_from": typo(labels["brief"]["derived_from"].replace("{version}", raw.meta.version)),
            "full_report": f"{raw.meta.id}.{locale.lang}"}


def _recommendations(block, fields, ctx):
    """The ranked list with the fields the edition shows; `headline` falls back to the full action."""
    from . import assemble as a
    from . import model as m

    labels = ctx.locale.labels["recommendation_fields"]
    items = []
    for rank, item in enumerate(block.payload.items, 1):
        ctx.anchor = item.id or f"{block.path}-{rank}"
        shown = []
        for key in fields:
            if key == "title":
                continue
            if key == "by":
                spans = (m.Text(ctx.locale.deadline(item.by)),)
            else:
                spans = a._spans((item.headline or item.action) if key == "headline" else getattr(item, key), ctx)
            label = labels["action" if key == "headline" else key]
            shown.append(m.RecommendationField(key, ctx.locale.typography(f"{label}:"), spans))
        title = a._spans(item.title, ctx) if "title" in fields else ()
        items.append(m.Recommendation(ctx.anchor, rank, title, tuple(shown)))
    return m.Recommendations("recommendations", a._origin(ctx.raw, block), tuple(items))


class DoesNotFit(BuildError):
    """An edition takes more pages than it may: nothing is written (exit code 2, like invalid content)."""
    exit_code = 2


def check_fit(document, report) -> None:
    """Raise DoesNotFit when a laid-out WeasyPrint document is longer than its edition allows; the overflow
    is counted in lines of text laid out on the extra pages."""
    edition = report.edition
    if edition is None or edition.pages is None or len(document.pages) <= edition.pages:
        return
    lines = sum(_lines(page._page_box) for page in document.pages[edition.pages:])
    name = f"{filename(report.id, edition.name, report.lang, 'x')[:-2]}"
    raise DoesNotFit(f"{name}: {len(document.pages)} pages, must fit on {edition.pages} "
                     f"(about {max(lines, 1)} lines too long)")


def _lines(box) -> int:
    from weasyprint.formatting_structure import boxes

    if isinstance(box, boxes.LineBox):
        return 1
    return sum(_lines(child) for child in getattr(box, "children", ()))
