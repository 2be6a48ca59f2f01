"""Check a report folder completely, collect every problem, and raise once (like MkDocs' config checks)."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import TypeAdapter, ValidationError

from . import editions, glossary, schema
from .errors import ContentError, Problem, did_you_mean
from .fonts import unprintable
from .inline import RawSpan, parse_inline, references, refused_links
from .load import YamlDoc, key_path, read_yaml


@dataclass
class RawBlock:
    kind: str
    payload: object           # the validated value: str, list[str] or a schema model
    doc: YamlDoc
    path: tuple               # key path of the block inside its file
    children: list["RawBlock"] = field(default_factory=list)   # callout contents

    def located_texts(self) -> list[tuple[tuple, str]]:
        """Every content string of the block with its key path, in reading order."""
        p, at = self.payload, self.path + (self.kind,)
        if self.kind == "p":
            return [(at, p)]
        if self.kind in ("bullets", "numbered"):
            return [(at + (i,), item) for i, item in enumerate(p)]
        if self.kind == "table":
            return [(at + ("caption",), p.caption), *((at + ("header", i), h) for i, h in enumerate(p.header)),
                    *((at + ("rows", r, c), cell) for r, row in enumerate(p.rows) for c, cell in enumerate(row))]
        if self.kind == "figure":
            return [(at + ("caption",), p.caption), (at + ("alt",), p.alt),
                    *((at + ("labels", i), label) for i, label in enumerate(p.labels or []))]
        if self.kind == "keyfigures":
            return [(at + ("title",), p.title), *((at + ("items", i, "label"), item.label)
                                                  for i, item in enumerate(p.items))]
        if self.kind == "recommendations":
            return [(at + ("items", i, name), text) for i, item in enumerate(p.items) for name, text in item.texts()]
        return [(at + ("title",), p.title), *(pair for child in self.children for pair in child.located_texts())]

    def texts(self) -> list[str]:
        return [text for _, text in self.located_texts()]

    def references(self) -> set[tuple[str, str]]:
        refs = {ref for text in self.texts() for ref in references(parse_inline(text))}
        p = self.payload
        if self.kind == "figure":
            refs.add(("chart", p.chart) if p.chart else ("image", p.image))
        if self.kind == "keyfigures":
            refs.update(("value", item.value) for item in p.items)
        return refs

    def shape(self) -> tuple:
        """What must be equal across languages: kind, sizes, targets and references."""
        p = self.payload
        size: object = None
        if self.kind in ("bullets", "numbered"):
            size = len(p)
        elif self.kind == "table":
            size = (p.id, len(p.header), tuple(len(row) for row in p.rows))
        elif self.kind == "figure":
            size = len(p.labels) if p.labels else 0
        elif self.kind == "callout":
            size = tuple(child.shape() for child in self.children)
        elif self.kind == "recommendations":
            size = tuple((item.id, item.by, item.headline is not None) for item in p.items)
        elif self.kind == "keyfigures":
            size = p.id
        return (self.kind, size, tuple(sorted(self.references())))


@dataclass
class RawSection:
    id: str
    title: str
    blocks: list[RawBlock]
    subsections: list["RawSection"]
    doc: YamlDoc
    path: tuple


@dataclass
class RawLanguage:
    code: str
    tag: str
    meta: schema.LanguageMeta
    sections: list[RawSection]


@dataclass
class RawReport:
    folder: Path
    meta: schema.ReportMeta
    figures: dict[str, schema.FigureData]
    sources: dict[str, schema.SourceData]
    charts: dict[str, schema.ChartData]
    languages: dict[str, RawLanguage]
    files: list[Path]
    warnings: list[Problem]
    data_docs: dict = field(default_factory=dict)   # (kind, id) -> the YamlDoc defining it
    glossary: list = field(default_factory=list)    # glossary.Term, from glossary.yaml


def check(doc: YamlDoc, path: tuple, kind, value, problems: list[Problem]):
    """Validate `value` against a schema type; turn pydantic's errors into located problems."""
    try:
        return _adapter(kind).validate_python(value)
    except ValidationError as exc:
        for error in exc.errors():
            problems.append(_problem_from_pydantic(doc, path, kind, error))
        return None


_ADAPTERS: dict = {}


def _adapter(kind) -> TypeAdapter:
    """Building a TypeAdapter compiles a validator: do it once per schema type, not once per value."""
    key = repr(kind)
    if key not in _ADAPTERS:
        _ADAPTERS[key] = TypeAdapter(kind)
    return _ADAPTERS[key]


def _problem_from_pydantic(doc: YamlDoc, path: tuple, kind, error: dict) -> Problem:
    loc = path + tuple(part for part in error["loc"] if not str(part).startswith(("function-", "constrained")))
    if error["type"] == "extra_forbidden":
        key = str(loc[-1])
        allowed = _allowed_keys(kind, error["loc"][:-1])
        return doc.problem(loc, f"unknown key '{key}'",
                           did_you_mean(key, allowed, f"allowed keys: {', '.join(allowed)}"))
    if error["type"] == "missing":
        return doc.problem(loc[:-1], f"missing required key '{loc[-1]}'", f"add '{loc[-1]}:' here")
    message = error["msg"].removeprefix("Value error, ")
    hint = {"string_type": "quote the value to make it text",
            "string_too_short": "write the text, or remove the key",
            "too_short": f"give at least {error.get('ctx', {}).get('min_length', 1)} item(s)",
            "too_long": f"keep at most {error.get('ctx', {}).get('max_length')} items",
            "string_pattern_mismatch": "ids use lowercase letters, digits and hyphens",
            "date_from_datetime_parsing": "write the date as YYYY-MM-DD",
            "date_type": "write the date as YYYY-MM-DD"}.get(error["type"], "")
    return doc.problem(loc, message[0].lower() + message[1:], hint)


def _allowed_keys(kind, loc: tuple) -> list[str]:
    model = kind
    for part in loc:
        fields = getattr(model, "model_fields", None)
        if fields and part in fields:
            annotation = fields[part].annotation
            model = next((a for a in getattr(annotation, "__args__", (annotation,))
                          if hasattr(a, "model_fields")), annotation)
    fields = getattr(model, "model_fields", {})
    return sorted(fields)


# ---------------------------------------------------------------------------------------------- files


def load_report(folder: Path, langs: tuple[str, ...] | None = None) -> RawReport:
    """Read and check one report folder; raise ContentError listing every problem.

    With `langs` (--lang en), the problems of the other languages do not stop the build: each such language
    gets one warning saying what it lacks, so a writer can preview an English draft before the French exists.
    """
    problems: list[Problem] = []
    files: list[Path] = []
    docs: list[YamlDoc] = []

    def read(file: Path) -> YamlDoc | None:
        files.append(file)
        doc = read_yaml(file, problems)
        docs.extend([doc] if doc else [])
        return doc

    report_doc = read(folder / "report.yaml") if (folder / "report.yaml").is_file() else None
    if report_doc is None:
        if not (folder / "report.yaml").is_file():
            problems.append(Problem(folder / "report.yaml", None, None, "", "file not found",
                                    "every report folder needs a report.yaml"))
        raise ContentError(problems)
    meta = check(report_doc, (), schema.ReportMeta, report_doc.data, problems)
    if meta is None:
        raise ContentError(problems)

    figures, sources, charts, data_where, broken = _load_data(folder, read, problems)
    terms = glossary.load(folder, list(meta.languages), read, check, problems)
    languages = {}
    set_aside: dict[str, list[Problem]] = {code: [] for code in meta.languages if langs and code not in langs}
    for code, tag in meta.languages.items():
        _check_language_setup(report_doc, code, tag, set_aside.get(code, problems))
        language = _load_language(folder, code, tag, meta, read, set_aside.get(code, problems))
        if language:
            languages[code] = language
    for extra in sorted(p for p in folder.iterdir() if p.is_dir() and p.name not in meta.languages
                        and p.name != "data" and any(p.glob("*.yaml"))):   # a folder of texts, not of images
        problems.append(report_doc.problem(("languages",), f"folder '{extra.name}/' is not a declared language",
                                           f"add '{extra.name}: <tag>' under languages, or remove the folder"))
    # Cross-checks run on whatever loaded, so one run reports everything it can.
    _check_data(data_where, figures, sources, charts, problems, broken)
    _check_references(languages, figures, sources, charts, problems, broken)
    _check_parity(list(languages.values()), problems)
    editions.check(report_doc, meta, languages, charts, problems)
    for doc in docs:   # every string may be printed (titles, authors, sources, captions, labels): check them all
        for path, text in _strings(doc.data, ()):
            _check_printable(doc, path, text, problems)
    for code, aside in set_aside.items():
        aside += [p for p in problems if Path(p.file).is_relative_to(folder / code)]
    problems = [p for p in problems if not any(p in aside for aside in set_aside.values())]
    if problems:
        raise ContentError(problems)
    report = RawReport(folder, meta, figures, sources, charts, languages, files, [], data_where, terms)
    report.warnings = _unused_sources(report, data_where) + [
        _not_ready(folder, code, aside, langs) for code, aside in set_aside.items() if aside] + glossary.warnings(report)
    return report


def _not_ready(folder: Path, code: str, problems: list[Problem], langs) -> Problem:
    """One warning for a language left out with --lang, naming the files it lacks."""
    missing = [f"{code}/"] if not (folder / code).is_dir() else \
        sorted({str(Path(p.file).relative_to(folder)) for p in problems
                if p.line is None and Path(p.file).is_relative_to(folder / code)})
    others = len(problems) - len(missing)
    lacks = ", ".join(filter(None, [f"it lacks {', '.join(missing)}" if missing else "",
                                    f"{others} other problem(s)" if others else ""]))
    return Problem(folder / "report.yaml", None, None, "languages", f"language '{code}' is not ready ({lacks}); "
                   f"left out, as --lang {','.join(langs)} asks", f"build.py --check --lang {code} lists its problems",
                   "warning")


def _check_language_setup(report_doc: YamlDoc, code: str, tag: str, problems: list[Problem]) -> None:
    """A declared language needs a locale CLDR knows (its formats) and templates/strings/<code>.yaml with
    every label the English file has."""
    from babel import Locale, UnknownLocaleError

    from .locale import STRINGS_DIR, strings_file
    try:
        Locale.parse(tag.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        problems.append(report_doc.problem(("languages", code), f"'{tag}' is not a locale CLDR knows",
                                           "use a language-COUNTRY tag such as de-DE or nl-BE"))
    file = strings_file(code)
    if not file.is_file():
        problems.append(report_doc.problem(("languages", code), f"no interface labels for '{code}': "
                                           f"{file.relative_to(STRINGS_DIR.parent.parent)} does not exist",
                                           f"copy templates/strings/en.yaml to {file.name} and translate the labels"))
        return
    doc = read_yaml(file, problems)
    reference = read_yaml(STRINGS_DIR / "en.yaml", [])
    if doc is None or reference is None:
        return
    if not isinstance(doc.data, dict):
        problems.append(doc.problem((), "expected a mapping of labels", "copy templates/strings/en.yaml"))
        return
    missing = [key for key in reference.data if key not in doc.data]
    if missing:
        problems.append(doc.problem((), f"labels missing: {', '.join(missing)}",
                                    "copy them from templates/strings/en.yaml and translate them"))


def _load_data(folder: Path, read, problems: list[Problem]):
    figures: dict = {}
    sources: dict = {}
    charts: dict = {}
    where: dict[tuple[str, str], YamlDoc] = {}
    broken: set[tuple[str, str]] = set()
    for file in sorted((folder / "data").glob("*.yaml")):
        doc = read(file)
        if doc is None:
            continue
        for kind, items in _data_entries(doc, problems):
            target = {"figures": figures, "sources": sources, "charts": charts}[kind]
            for key, value in items.items():
                if value is None:   # invalid, already reported: still known, so not reported again where used
                    broken.add((kind, key))
                    continue
                if key in target:
                    first = where[(kind, key)]
                    problems.append(doc.problem((kind, key), f"duplicate id '{key}' (also in "
                                                f"{first.file.name} line {first.where((kind, key))[0]})",
                                                "give one of them another id"))
                target[key] = value
                where[(kind, key)] = doc
    return figures, sources, charts, where, broken


DATA_KINDS = {"figures": schema.FigureData, "sources": schema.SourceData, "charts": schema.ChartData}


def _data_entries(doc: YamlDoc, problems: list[Problem]):
    """(kind, {id: entry, or None when invalid}) for each kind of a data file. Each entry is checked on its
    own: one misspelled key costs that entry only, not the whole file and every reference to its entries."""
    data = doc.data
    if not isinstance(data, dict) or any(key not in DATA_KINDS or not isinstance(value or {}, dict)
                                         for key, value in data.items()):
        shape = {key: {} if key in DATA_KINDS and isinstance(value, dict) else value
                 for key, value in data.items()} if isinstance(data, dict) else data
        check(doc, (), schema.DataFile, shape, problems)   # the file's own shape: top-level keys, mappings
        if not isinstance(data, dict):
            return
    for kind, model in DATA_KINDS.items():
        items = data.get(kind) or {}
        if isinstance(items, dict):
            yield kind, {key: _data_entry(doc, kind, model, key, value, problems) for key, value in items.items()}


def _data_entry(doc: YamlDoc, kind: str, model, key, value, problems: list[Problem]):
    valid_id = check(doc, (kind,), dict[schema.Id, object], {key: None}, problems) is not None
    entry = check(doc, (kind, key), model, value, problems)
    return entry if valid_id else None


def _data_problem(where: dict, kind: str, key: str, path: tuple, message: str, hint: str,
                  severity: str = "error") -> Problem:
    return where[(kind, key)].problem((kind, key) + path, message, hint, severity)


def _check_data(where: dict, figures, sources, charts, problems: list[Problem], broken=frozenset()) -> None:
    for key, figure in figures.items():
        if figure.source not in sources and ("sources", figure.source) not in broken:
            problems.append(_data_problem(where, "figures", key, ("source",), f"unknown source '{figure.source}'",
                                          _suggest(figure.source, sources)))
    for key, chart in charts.items():
        for field_name in ("points", "guides"):
            for index, figure_id in enumerate(getattr(chart, field_name)):
                if ("figures", figure_id) in broken:
                    continue
                if figure_id not in figures:
                    problems.append(_data_problem(where, "charts", key, (field_name, index),
                                                  f"unknown figure '{figure_id}'", _suggest(figure_id, figures)))
                elif figures[figure_id].unit != chart.unit:
                    problems.append(_data_problem(where, "charts", key, (field_name, index),
                                                  f"figure '{figure_id}' is in {figures[figure_id].unit}, "
                                                  f"the chart in {chart.unit}", "chart figures of one unit"))


def _suggest(key: str, known) -> str:
    return did_you_mean(key, known, "define it in data/*.yaml")


def _load_language(folder: Path, code: str, tag: str, meta, read, problems) -> RawLanguage | None:
    lang_dir = folder / code
    if not lang_dir.is_dir():
        problems.append(Problem(folder / "report.yaml", None, None, "languages",
                                f"language '{code}' is declared but {code}/ does not exist",
                                f"create {code}/ with meta.yaml and one file per section"))
        return None
    meta_doc = read(lang_dir / "meta.yaml") if (lang_dir / "meta.yaml").is_file() else None
    if meta_doc is None and not (lang_dir / "meta.yaml").is_file():
        problems.append(Problem(lang_dir / "meta.yaml", None, None, "", "file not found",
                                "give the title and subtitle of this language"))
    language_meta = check(meta_doc, (), schema.LanguageMeta, meta_doc.data, problems) if meta_doc else None
    sections = []
    for section_id in [*meta.sections, *meta.annexes]:
        file = lang_dir / f"{section_id}.yaml"
        if not file.is_file():
            problems.append(Problem(file, None, None, "", f"section '{section_id}' (listed in report.yaml) is "
                                    f"missing in language '{code}'", f"create {code}/{section_id}.yaml"))
            continue
        doc = read(file)
        if doc is not None:
            section = _section(doc, (), section_id, schema.SectionFile, problems)
            if section:
                sections.append(section)
    listed = set(meta.sections) | set(meta.annexes) | {"meta"}
    for file in sorted(lang_dir.glob("*.yaml")):
        if file.stem not in listed:
            problems.append(Problem(file, None, None, "", f"'{file.stem}' is not listed in report.yaml sections "
                                    "or annexes", "add it to sections: (or annexes:) in report.yaml, or remove "
                                    "the file"))
    if language_meta is None:
        return None
    return RawLanguage(code, tag, language_meta, sections)


def _section(doc: YamlDoc, path: tuple, section_id: str, kind, problems) -> RawSection | None:
    data = check(doc, path, kind, _at(doc.data, path), problems)
    if data is None:
        return None
    blocks = [b for i, raw in enumerate(data.blocks) if (b := _block(doc, path + ("blocks", i), raw, problems))]
    subsections = [s for i, raw in enumerate(data.subsections)
                   if (s := _section(doc, path + ("subsections", i), "", schema.Subsection, problems))]
    return RawSection(getattr(data, "id", section_id), data.title, blocks, subsections, doc, path)


def _at(data, path: tuple):
    for part in path:
        data = data[part]
    return data


def _block(doc: YamlDoc, path: tuple, raw, problems: list[Problem]) -> RawBlock | None:
    kinds = ", ".join(schema.BLOCK_KINDS)
    if not isinstance(raw, dict) or len(raw) != 1:
        found = f"keys {', '.join(map(str, raw))}" if isinstance(raw, dict) else type(raw).__name__
        problems.append(doc.problem(path, f"a block must be one key naming its kind, found {found}",
                                    f"start the block with one of: {kinds}"))
        return None
    (kind, value), = raw.items()
    if kind not in schema.BLOCK_KINDS:
        problems.append(doc.problem(path + (kind,), f"unknown block kind '{kind}'",
                                    did_you_mean(kind, schema.BLOCK_KINDS, f"use one of: {kinds}")))
        return None
    payload = check(doc, path + (kind,), schema.BLOCK_KINDS[kind], value, problems)
    if payload is None:
        return None
    children = []
    if kind == "callout":
        children = [b for i, child in enumerate(payload.blocks)
                    if (b := _block(doc, path + (kind, "blocks", i), child, problems))]
        for child in children:
            if child.kind not in ("p", "bullets", "numbered"):
                problems.append(doc.problem(child.path, f"a callout holds paragraphs and lists, not '{child.kind}'",
                                            "move it out of the callout"))
    return RawBlock(kind, payload, doc, path, children)


# ------------------------------------------------------------------------------------ cross-checks


def walk_sections(sections: list[RawSection]):
    for section in sections:
        yield section
        yield from walk_sections(section.subsections)


def walk_blocks(blocks: list[RawBlock]):
    for block in blocks:
        yield block
        yield from walk_blocks(block.children)


def _check_references(languages, figures, sources, charts, problems: list[Problem], broken=frozenset()) -> None:
    """Every reference resolves. An entry of data/ that is itself invalid (in `broken`) counts as known: its
    error is reported once, where it is."""
    data_kind = {"value": "figures", "year": "figures", "cite": "sources", "chart": "charts"}
    for language in languages.values():
        targets: dict[str, tuple] = {}

        def define(key: str, doc: YamlDoc, path: tuple) -> None:
            if key in targets:
                first_doc, first_path = targets[key]
                problems.append(doc.problem(path, f"duplicate id '{key}' (also in {first_doc.file.name} line "
                                            f"{first_doc.where(first_path)[0]})", "ids must be unique"))
            targets[key] = (doc, path)

        for section in walk_sections(language.sections):
            define(section.id, section.doc, section.path + (("id",) if section.path else ()))
            for block in walk_blocks(section.blocks):
                if block.kind == "table" and block.payload.id:
                    define(block.payload.id, block.doc, block.path + ("table", "id"))
                if block.kind == "figure" and block.payload.target:
                    define(block.payload.target, block.doc, block.path + ("figure", "id" if block.payload.id else "chart"))
                if block.kind == "recommendations":
                    for i, item in enumerate(block.payload.items):
                        if item.id:
                            define(item.id, block.doc, block.path + ("recommendations", "items", i, "id"))
        _check_one_recommendations_list(language, problems)
        known = {"value": figures, "year": figures, "cite": sources, "ref": targets, "chart": charts}
        what = {"value": "figure", "year": "figure", "cite": "source",
                "ref": "section, table, figure or recommendation"}
        where_defined = {"value": "define it under figures: in data/*.yaml",
                         "year": "define it under figures: in data/*.yaml",
                         "cite": "define it under sources: in data/*.yaml",
                         "ref": "give a section, table (id:), figure (chart:) or recommendation (id:) this id"}
        for section in walk_sections(language.sections):
            for block in walk_blocks(section.blocks):
                for path, text in block.located_texts():
                    for href in refused_links(parse_inline(text)):
                        problems.append(block.doc.problem(path, f"link target '{href}' is not an http, https or "
                                                          "mailto URL", "link to a web page (https://...) or an "
                                                          "e-mail address (mailto:...); point inside the report "
                                                          "with {ref:id}"))
                    for kind, key in references(parse_inline(text)):
                        if key not in known[kind] and (data_kind.get(kind), key) not in broken:
                            problems.append(block.doc.problem(
                                path, f"unknown {what[kind]} '{key}' in {{{kind}:{key}}}",
                                did_you_mean(key, known[kind], where_defined[kind])))
                if block.kind == "figure" and block.payload.image:
                    problem = image_problem(block.doc.file.parent.parent, block.payload.image)
                    if problem:
                        problems.append(block.doc.problem(block.path + ("figure", "image"), *problem))
                if block.kind == "figure" and block.payload.chart and block.payload.chart not in charts \
                        and ("charts", block.payload.chart) not in broken:
                    problems.append(block.doc.problem(block.path + ("figure", "chart"),
                                                      f"unknown chart '{block.payload.chart}'",
                                                      _suggest(block.payload.chart, charts)))
                if block.kind == "keyfigures":
                    for i, item in enumerate(block.payload.items):
                        if item.value not in figures and ("figures", item.value) not in broken:
                            problems.append(block.doc.problem(block.path + ("keyfigures", "items", i, "value"),
                                                              f"unknown figure '{item.value}'",
                                                              _suggest(item.value, figures)))
                if block.kind == "figure":
                    chart = charts.get(block.payload.chart)
                    labels = block.payload.labels
                    if chart and labels and len(labels) != len(chart.points):
                        problems.append(block.doc.problem(block.path + ("figure", "labels"),
                                                          f"{len(labels)} labels for {len(chart.points)} points",
                                                          "give one label per point of the chart"))


def _check_one_recommendations_list(language: RawLanguage, problems: list[Problem]) -> None:
    """One ranked list per report: a second list would compete with the first for the reader's attention."""
    lists = [block for section in walk_sections(language.sections) for block in walk_blocks(section.blocks)
             if block.kind == "recommendations"]
    first = lists[0] if lists else None
    for other in lists[1:]:
        problems.append(other.doc.problem(other.path, "a second recommendations list (the first is in "
                                          f"{language.code}/{first.doc.file.name} line {first.doc.where(first.path)[0]})",
                                          "a report has one ranked list: merge the two, and point to it with {ref:}"))


def _strings(data, path: tuple):
    """(key path, text) of every string value in a file's data."""
    if isinstance(data, str):
        yield path, data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from _strings(value, path + (key,))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _strings(value, path + (index,))


def _check_printable(doc: YamlDoc, path: tuple, text: str, problems: list[Problem]) -> None:
    missing = unprintable(text)
    if missing:
        shown = ", ".join(f"{c} (U+{ord(c):04X} {unicodedata.name(c, 'unnamed')})" for c in missing[:5])
        problems.append(doc.problem(path, f"cannot be printed with the report's fonts: {shown}",
                                    "remove or replace the character (emoji and rare scripts are not covered), "
                                    "or add a font that has it to templates/fonts/"))


IMAGE_TYPES = {".png": b"\x89PNG\r\n\x1a\n", ".jpg": b"\xff\xd8\xff", ".jpeg": b"\xff\xd8\xff"}
MAX_IMAGE_BYTES = 5_000_000


def image_path(folder: Path, value: str) -> Path:
    return (folder / value).resolve()


def image_problem(folder: Path, value: str) -> tuple[str, str] | None:
    """Why an image reference is refused, or None: only files inside the report folder, never a URL."""
    hint = "put the image in the report's folder (e.g. images/map.png) and give its relative path"
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", value):
        return f"image '{value}' is a URL; images are never fetched", hint
    if value.startswith(("/", "\\")) or Path(value).is_absolute():
        return f"image '{value}' is an absolute path", hint
    if ".." in Path(value).parts:
        return f"image '{value}' points outside the report folder", hint
    try:
        target = image_path(folder, value)
    except (RuntimeError, OSError):   # Python raises RuntimeError on a symbolic link loop
        return f"image '{value}' is a symbolic link that never reaches a file (a loop)", hint
    if not target.is_relative_to(folder.resolve()):
        return f"image '{value}' leads outside the report folder (through a symbolic link)", hint
    if not target.is_file():
        return f"image '{value}' not found", hint
    magic = IMAGE_TYPES.get(target.suffix.lower())
    if magic is None:
        return f"image '{value}' is not PNG or JPEG", "convert it to PNG"
    if target.stat().st_size > MAX_IMAGE_BYTES:
        return f"image '{value}' is over {MAX_IMAGE_BYTES // 1_000_000} MB", "reduce its resolution"
    with open(target, "rb") as stream:
        if not stream.read(len(magic)) == magic:
            return f"image '{value}' is not a valid {target.suffix[1:].upper()} file", "export it again"
    return _decoding_problem(target, value)


MAX_IMAGE_SIDE, MAX_IMAGE_PIXELS = 10_000, 25_000_000   # a full-page image at 600 dpi is about 5000 x 7000


def _decoding_problem(target: Path, value: str) -> tuple[str, str] | None:
    """Decode the whole image: a truncated file or a pixel bomb is refused here, not dropped by a writer."""
    from PIL import Image
    try:
        with Image.open(target) as image:
            width, height = image.size
            if max(width, height) > MAX_IMAGE_SIDE or width * height > MAX_IMAGE_PIXELS:
                return (f"image '{value}' is {width} x {height} pixels, over the limit of {MAX_IMAGE_SIDE:,} a side "
                        f"and {MAX_IMAGE_PIXELS:,} in all", "reduce its resolution")
            image.load()
    except Image.DecompressionBombError:   # Pillow's own, far higher, limit: refused before reading the size
        return (f"image '{value}' has more pixels than Pillow allows, far over the limit of {MAX_IMAGE_PIXELS:,}",
                "reduce its resolution")
    except (OSError, SyntaxError, ValueError) as exc:
        return f"image '{value}' cannot be decoded ({exc})", "the file is damaged or truncated: export it again"
    return None


def _check_parity(languages: list[RawLanguage], problems: list[Problem]) -> None:
    """Every language must hold the same sections and blocks as the first one declared.

    What already has an error (in either language) is not compared: a typo in an English block is reported
    once, in the English file, not again as a difference in the French one."""
    if len(languages) < 2:
        return
    faulty = _Faults(problems)
    reference = languages[0]
    for other in languages[1:]:
        _compare_matching(reference, reference.sections, other, other.sections, problems, faulty)


class _Faults:
    """Where problems were found: (file, key path); a place is faulty if a problem lies at or under it."""

    def __init__(self, problems: list[Problem]):
        self.keys = {(str(p.file), p.key) for p in problems}

    def within(self, doc: YamlDoc, path: tuple) -> bool:
        base = key_path(path)
        return any(file == str(doc.file) and (not base or key == base or key.startswith((base + ".", base + "[")))
                   for file, key in self.keys)


def _compare_matching(ref_lang, ref_sections: list[RawSection], lang, sections: list[RawSection], problems,
                      faulty: _Faults) -> None:
    """Compare the sections both languages have (by id); missing ones are reported by the caller."""
    theirs = {section.id: section for section in sections}
    for ref_section in ref_sections:
        if ref_section.id in theirs:
            _compare_sections(ref_lang, ref_section, lang, theirs[ref_section.id], problems, faulty)


def _compare_sections(ref_lang, ref: RawSection, lang, sec: RawSection, problems, faulty: _Faults) -> None:
    if not any(faulty.within(s.doc, s.path + ("subsections",)) for s in (ref, sec)):
        _compare_subsection_ids(ref_lang, ref, lang, sec, problems)
    if not any(faulty.within(s.doc, s.path + ("blocks",)) for s in (ref, sec)):
        _compare_blocks(ref_lang, ref, lang, sec, problems)
    _compare_matching(ref_lang, ref.subsections, lang, sec.subsections, problems, faulty)


def _compare_subsection_ids(ref_lang, ref: RawSection, lang, sec: RawSection, problems) -> None:
    ref_file = f"{ref_lang.code}/{ref.doc.file.name}"
    ref_ids = [s.id for s in ref.subsections]
    ids = [s.id for s in sec.subsections]
    for missing in [i for i in ref_ids if i not in ids]:
        line = ref.doc.where(ref.subsections[ref_ids.index(missing)].path)[0]
        problems.append(sec.doc.problem(sec.path, f"subsection '{missing}' of {ref_file} (line {line}) is "
                                        f"missing in '{lang.code}'", "translate it here, in the same place"))
    for extra in [i for i in ids if i not in ref_ids]:
        problems.append(sec.doc.problem(sec.subsections[ids.index(extra)].path,
                                        f"subsection '{extra}' is not in {ref_file}",
                                        f"add it to {ref_file} too, or remove it"))
    if [i for i in ids if i in ref_ids] != [i for i in ref_ids if i in ids]:
        problems.append(sec.doc.problem(sec.path, f"subsections are not in the order of {ref_file}: "
                                        f"{', '.join(ref_ids)}", "reorder them"))


def _compare_blocks(ref_lang, ref: RawSection, lang, sec: RawSection, problems) -> None:
    ref_file = f"{ref_lang.code}/{ref.doc.file.name}"
    if len(ref.blocks) != len(sec.blocks):
        problems.append(sec.doc.problem(sec.path + ("blocks",) if sec.blocks else sec.path,
                                        f"{len(sec.blocks)} blocks here, {len(ref.blocks)} in {ref_file} "
                                        f"(line {ref.doc.where(ref.path + ('blocks',))[0]})",
                                        "both languages need the same blocks in the same order"))
    for ref_block, block in zip(ref.blocks, sec.blocks):
        if ref_block.shape() != block.shape():
            problems.append(block.doc.problem(block.path, _shape_difference(ref_block, block) +
                                              f" (compare {ref_file} line {ref_block.doc.where(ref_block.path)[0]})",
                                              "both languages need the same block kinds, sizes and references"))


def _shape_difference(ref: RawBlock, block: RawBlock) -> str:
    if ref.kind != block.kind:
        return f"this block is a '{block.kind}', the other language has a '{ref.kind}'"
    if ref.kind == "recommendations" and ref.shape()[1] != block.shape()[1]:
        return ("these recommendations differ from the other language's in number, ids or 'by' dates: "
                f"{_listed(block)} here, {_listed(ref)} there")
    ref_refs, refs = ref.references(), block.references()
    if ref_refs != refs:
        parts = []
        if ref_refs - refs:
            parts.append("missing " + ", ".join(f"{{{k}:{i}}}" for k, i in sorted(ref_refs - refs)))
        if refs - ref_refs:
            parts.append("extra " + ", ".join(f"{{{k}:{i}}}" for k, i in sorted(refs - ref_refs)))
        return "references differ from the other language: " + "; ".join(parts)
    return f"this '{block.kind}' differs in size (items, rows or columns) from the other language's"


def _listed(block: RawBlock) -> str:
    return "[" + ", ".join(f"{item.id or '-'} by {item.by}" for item in block.payload.items) + "]"


def _unused_sources(report: RawReport, where: dict) -> list[Problem]:
    used = set()
    for language in report.languages.values():
        for section in walk_sections(language.sections):
            for block in walk_blocks(section.blocks):
                for kind, key in block.references():
                    if kind == "cite":
                        used.add(key)
    warnings = []
    for key in report.sources:
        if key not in used:
            warnings.append(_data_problem(where, "sources", key, (), f"source '{key}' is never cited",
                                          "cite it with {cite:" + key + "} or remove it", "warning"))
    return warnings


def stale_figures(report: RawReport) -> list[Problem]:
    """Figures whose year is older than the report's threshold: notices telling authors what to refresh.

    Years that are themselves the fact (unit 'year', such as "NATO member since 1949") never go stale.
    """
    limit = report.meta.date.year - report.meta.stale_after_years
    return [report.data_docs[("figures", key)].problem(
                ("figures", key, "year"), f"figure '{key}' is from {figure.year}, more than "
                f"{report.meta.stale_after_years} years before the report's date",
                "refresh it with a newer value if one exists", "notice")
            for key, figure in report.figures.items() if figure.unit != "year" and figure.year < limit]
