"""`build.py review FILE.docx --apply [--dry-run]`: a reviewer's tracked changes written back into the YAML.

`review` reads each paragraph twice, as built and with every tracked change accepted, and locates it through
the source map (the content file, key and rendered text of every place). Here the two texts are diffed word by
word, and each change is mapped back onto the source string through an alignment of that string with what it
renders: markup and placeholders the reviewer did not touch are kept; an edit inside a rendered placeholder
(a figure value, a citation, a cross-reference) or in a label the templates write is listed, never applied.
The new string is written into the YAML scalar in place, in its own style (plain, quoted, block), so the rest
of the file keeps its bytes; the edited file is parsed again and must differ from the old one in that value only.
"""
from __future__ import annotations

import dataclasses
import difflib
import json
import re
import sys
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import yaml

from . import model as m
from .inline import REF_KINDS, parse_inline
from .load import key_path, parse_yaml
from .locale import Locale, quotation_marks
from .review import MAX_TEXT, Locator, Remark, Reviewed, clean

_TOKEN = re.compile(r"\w+|\s|[^\w\s]")   # words, and each space or sign on its own
_MARKUP = set("*_[]`\\")          # characters of inline markup that render as nothing


KEY_FIGURE_DASH = " — "           # between a key figure's label and value (sourcemap's text of the place)


class Unmapped(Exception):
    """An edit that cannot be written back without guessing: listed, with the reason."""


PLACEHOLDER_REASONS = {"value": "a figure's value: edit it in its data file",
                       "year": "a figure's year: edit it in its data file",
                       "cite": "a citation: edit the source in its data file",
                       "ref": "a cross-reference: its label is generated"}


class InPlaceholder(Unmapped):
    """An edit of the text a placeholder renders: a figure value, a year, a citation, a cross-reference."""

    def __init__(self, kind: str, ident: str):
        super().__init__(PLACEHOLDER_REASONS[kind])
        self.kind, self.ident = kind, ident


@dataclass
class Change:
    """One edit of a paragraph: applied to its YAML string, or listed with the reason it was not."""
    file: str                 # as printed: content/belgium/en/x.yaml
    line: int | None
    key: str
    old: str                  # the words replaced, as the reviewer saw them
    new: str                  # the words the reviewer typed
    author: str = ""
    reason: str = ""          # why it was listed; empty when applied
    control: str = ""         # the placeholder it touches: value:<id>, cite:<id>...
    data_file: str = ""       # where that value or source is defined

    def as_dict(self) -> dict:
        optional = ("reason", "control", "data_file")
        return {k: v for k, v in dataclasses.asdict(self).items() if k not in optional or v}

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}: {self.key}" if self.file else "(no content location)"
        what = (f'"{_quote(self.old)}" -> "{_quote(self.new)}"' if self.old and self.new else
                f'deleted "{_quote(self.old)}"' if self.old else f'inserted "{_quote(self.new)}"')
        by = f" by {clean(self.author)}" if self.author else ""
        why = f" [{clean(self.reason)}]" if self.reason else ""
        return f"{where}: {what}{by}{why}"


def _quote(text: str) -> str:
    text = " ".join(clean(text).split())
    return text if len(text) <= 120 else text[:119] + "…"


# ---- typography back to plain typing --------------------------------------------------------------------


def plain_typing(text: str, locale: Locale) -> str:
    """What the reviewer typed, as the author types it: the pipeline's typography undone (Locale.typography:
    ’ for ', the language's quotation marks for ", no-break and narrow no-break spaces for spaces)."""
    start, end = quotation_marks(locale.babel)
    text = re.sub(re.escape(start) + "[ \u00a0\u202f]*", '"', text)
    text = re.sub("[ \u00a0\u202f]*" + re.escape(end), '"', text)
    return text.replace("\u2019", "'").replace("\u00a0", " ").replace("\u202f", " ")


def _words(text: str) -> list[str]:
    """The text's words and signs, spacing left out: two texts that read the same compare equal."""
    return [token for token in _TOKEN.findall(text) if not token.isspace()]


# ---- a source string and what it renders ----------------------------------------------------------------


@dataclass
class Rendered:
    """The plain text a content string renders (before typography), each character with the source range
    it comes from and the markup spans (bold, italic, link) enclosing it."""
    text: str = ""
    source: list = field(default_factory=list)      # per character: (start, end) in the source string
    spans: list = field(default_factory=list)       # per character: the ids of the spans enclosing it
    bounds: dict = field(default_factory=dict)      # span id -> (start, end) in the source, delimiters included
    kinds: dict = field(default_factory=dict)       # span id -> strong | em | link
    atoms: list = field(default_factory=list)       # (start, end, kind, id) of each placeholder in `text`


def render(source: str, placeholder) -> Rendered:
    """Align `source` with its plain text, found by parse_inline (the pipeline's own parser): its text
    characters are met in order in the source, with only markup characters between them."""
    out = Rendered()
    position = len(source) - len(source.lstrip())
    open_spans: list[int] = []

    def skip_to(index: int) -> None:
        if any(ch not in _MARKUP and not ch.isspace() for ch in source[position:index]):
            raise Unmapped("the text's markup could not be aligned with what it renders")

    def walk(spans) -> None:
        nonlocal position
        for span in spans:
            if span.kind == "text":
                for char in span.text:
                    index = position
                    while index < len(source) and source[index] != char and not (char == " " and source[index] == "\n"):
                        index += 1
                    if index == len(source):
                        raise Unmapped("the text's markup could not be aligned with what it renders")
                    skip_to(index)
                    out.text += char
                    out.source.append((index, index + 1))
                    out.spans.append(tuple(open_spans))
                    position = index + 1
            elif span.kind in REF_KINDS:
                token = f"{{{span.kind}:{span.text}}}"
                index = source.find(token, position)
                if index < 0:
                    raise Unmapped("a placeholder could not be found in the text")
                skip_to(index)
                shown = placeholder(span.kind, span.text)
                out.atoms.append((len(out.text), len(out.text) + len(shown), span.kind, span.text))
                out.text += shown
                out.source.extend([(index, index + len(token))] * len(shown))
                out.spans.extend([tuple(open_spans)] * len(shown))
                position = index + len(token)
            else:
                ident, start = len(out.bounds), _span_start(source, position, span.kind)
                out.bounds[ident], out.kinds[ident] = (start, start), span.kind
                position = start + _DELIMITER_WIDTH[span.kind]
                open_spans.append(ident)
                walk(span.children)
                open_spans.pop()
                position = _span_end(source, position, span.kind)
                out.bounds[ident] = (start, position)

    walk(parse_inline(source))
    return out


_DELIMITER_WIDTH = {"strong": 2, "em": 1, "link": 1}   # `**` or `__`, `*` or `_`, `[`


def _span_start(source: str, position: int, kind: str) -> int:
    """Where a span's opening delimiter starts (only markup may come before it)."""
    index = source.find("[", position) if kind == "link" else \
        next((i for i in range(position, len(source)) if source[i] in "*_"), -1)
    if index < 0 or source[position:index].strip("*_[`\\"):
        raise Unmapped("the text's markup could not be aligned with what it renders")
    return index


def _span_end(source: str, position: int, kind: str) -> int:
    """Where a span's closing delimiter ends: `**`, `*`, `_`, or `](url)` of a link."""
    if kind != "link":
        width = _DELIMITER_WIDTH[kind]
        if len(source) < position + width or source[position:position + width].strip("*_"):
            raise Unmapped("bold or italic markup could not be aligned with what it renders")
        return position + width
    index = source.find("](", position)
    if index < 0 or source[position:index].strip("*_`\\"):
        raise Unmapped("a link's markup could not be aligned with what it renders")
    depth, index = 0, index + 1
    while index < len(source):
        depth += {"(": 1, ")": -1}.get(source[index], 0)
        index += 1
        if depth == 0:
            return index
    raise Unmapped("a link's markup could not be aligned with what it renders")


# ---- a paragraph's edits mapped onto its source string ---------------------------------------------------


@dataclass
class Edit:
    start: int          # range in the rendered text as built (the source map's text)
    end: int
    new: str            # what the reviewer typed there, as accepted
    old: str
    formats: frozenset = frozenset()   # how the typed text is set (bold, italic, link), where every part agrees
    control: object = None             # the content control (review.Control) the typed text is in, if any


def word_edits(before: str, after: str, runs: list = ()) -> list[Edit]:
    """The reviewer's changes as a word diff: the smallest runs of whole words and signs replaced. `runs` are
    the inserted runs of `after` (review's Place.formats: start, end, formats, content control)."""
    a, b = _TOKEN.findall(before), _TOKEN.findall(after)
    offsets, new_offsets = _offsets(a), _offsets(b)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return [Edit(offsets[i1], offsets[i2], "".join(b[j1:j2]), "".join(a[i1:i2]),
                 _common_format(runs, new_offsets[j1], new_offsets[j2], after),
                 _control(runs, new_offsets[j1], new_offsets[j2]))
            for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"]


def _equivalents(edit: Edit, text: str, limit: int = 20):
    """The edit, then the same edit one place over and further while that reads the same: an insertion or
    deletion beside the text it begins or ends with ('in  x' less ' x' is 'in x' less 'x '). A diff picks one
    of these positions at random among equal spaces; the first that lies in the content is the one meant."""
    yield edit
    if edit.old and edit.new:
        return
    for step in (1, -1):
        moved = edit
        for _ in range(limit):
            moved = _moved(moved, text, step)
            if moved is None:
                break
            yield moved


def _moved(edit: Edit, text: str, step: int) -> Edit | None:
    """The edit one character right (step 1) or left (-1), if it reads the same there; else None."""
    start, end = edit.start + step, edit.end + step
    if not edit.new:                         # a deletion: text[start:end] goes instead
        if step == 1 and edit.end < len(text) and text[edit.start] == text[edit.end]:
            return dataclasses.replace(edit, start=start, end=end, old=text[start:end])
        if step == -1 and edit.start > 0 and text[edit.start - 1] == text[edit.end - 1]:
            return dataclasses.replace(edit, start=start, end=end, old=text[start:end])
        return None
    if step == 1 and edit.start < len(text) and edit.new[0] == text[edit.start]:
        return dataclasses.replace(edit, start=start, end=start, new=edit.new[1:] + text[edit.start])
    if step == -1 and edit.start > 0 and edit.new[-1] == text[edit.start - 1]:
        return dataclasses.replace(edit, start=start, end=start, new=text[edit.start - 1] + edit.new[:-1])
    return None


def _offsets(tokens: list[str]) -> list[int]:
    offsets = [0]
    for token in tokens:
        offsets.append(offsets[-1] + len(token))
    return offsets


def _control(runs: list, start: int, end: int):
    """The content control of the first inserted run in [start, end) that was typed in one, if any."""
    return next((control for run_start, run_end, _, control in runs
                 if control is not None and run_start < end and start < run_end), None)


def _common_format(runs: list, start: int, end: int, text: str) -> frozenset:
    """The formatting every visible character of text[start:end] was typed with."""
    found = None
    for run_start, run_end, run_formats, _ in runs:
        if run_start < end and start < run_end and text[max(start, run_start):min(end, run_end)].strip():
            found = run_formats if found is None else found & run_formats
    return found or frozenset()


def _boundaries(shown: str, rendered: str) -> list[int | None]:
    """For each position of the text as shown (with typography), the same position in the rendered text
    before typography; None inside a typographic change, where no position corresponds."""
    mapping: list[int | None] = [None] * (len(shown) + 1)
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, shown, rendered, autojunk=False).get_opcodes():
        if tag == "equal":
            for k in range(i2 - i1 + 1):
                mapping[i1 + k] = j1 + k
        else:
            mapping[i1] = j1 if mapping[i1] is None else mapping[i1]
            mapping[i2] = j2
    return mapping


def source_range(rendered: Rendered, start: int, end: int, source: str, formats: frozenset = frozenset(),
                 deleting: bool = False) -> tuple[int, int]:
    """The range of the source string that renders [start, end): whole spans taken along when a deletion
    empties them, an insertion put inside the bold, italic or link beside it only when it was typed so.
    Unmapped when no range does it alone."""
    struck = deleting and _strikes_words(rendered, start, end)
    for atom_start, atom_end, kind, ident in rendered.atoms:
        inside = atom_start < end and start < atom_end if start < end else atom_start < start < atom_end
        if inside and not (struck and start <= atom_start and atom_end <= end):
            raise InPlaceholder(kind, ident)
    if start == end:
        return (_insertion_point(rendered, start, source, formats),) * 2
    first, last = rendered.source[start][0], rendered.source[end - 1][1]
    for ident, (span_start, span_end) in rendered.bounds.items():
        covered = [i for i, spans in enumerate(rendered.spans) if ident in spans]
        within = [i for i in covered if start <= i < end]
        if deleting and within and len(within) == len(covered):
            first, last = min(first, span_start), max(last, span_end)
        elif first < span_start < last or first < span_end < last:
            raise Unmapped("the change crosses the edge of bold, italic or link text")
    return first, last


def _strikes_words(rendered: Rendered, start: int, end: int) -> bool:
    """Whether a deletion strikes words of the text itself, not only what placeholders print: a struck
    sentence takes its placeholders along; a value or citation deleted on its own is a change of the data."""
    own = list(rendered.text[start:end])
    for atom_start, atom_end, _, _ in rendered.atoms:
        for index in range(max(atom_start, start), min(atom_end, end)):
            own[index - start] = " "
    return bool(re.search(r"\w", "".join(own)))


def _insertion_point(rendered: Rendered, at: int, source: str, formats: frozenset) -> int:
    """Where text typed between two rendered characters goes: inside the bold, italic or link text that
    ends before it or starts after it when it was typed so (LibreOffice carries the formatting on), else
    outside, after the markup that closes there and before the markup that opens."""
    before = rendered.spans[at - 1] if at > 0 else ()
    after = rendered.spans[at] if at < len(rendered.spans) else ()
    common = 0
    while common < min(len(before), len(after)) and before[common] == after[common]:
        common += 1
    depth = _depth(rendered, before, common, formats)
    if depth > common or len(after) == common:
        if depth == len(before):
            return rendered.source[at - 1][1] if at > 0 else len(source) - len(source.lstrip())
        return rendered.bounds[before[depth]][1]
    depth = _depth(rendered, after, common, formats)
    return rendered.source[at][0] if depth == len(after) else rendered.bounds[after[depth]][0]


def _depth(rendered: Rendered, spans: tuple, common: int, formats: frozenset) -> int:
    """How many of `spans` (outermost first) the typed text stays inside: those beyond `common` whose kind
    it was typed with."""
    depth = common
    while depth < len(spans) and rendered.kinds[spans[depth]] in formats:
        depth += 1
    return depth


def apply_edits(source: str, edits: list[tuple[int, int, str]]) -> str:
    """The source string with each (start, end, new) range replaced; a space doubled by a deletion is dropped."""
    for start, end, new in sorted(edits, reverse=True):
        if not new and start > 0 and source[start - 1:start] == " " and source[end:end + 1] in (" ", ""):
            start -= 1
        elif not new and start == 0:
            end = len(source) - len(source[end:].lstrip(" "))
        source = source[:start] + new + source[end:]
    return source


# ---- YAML scalars edited in place ------------------------------------------------------------------------


def find_node(root, path: tuple):
    node = root
    for part in path:
        if isinstance(node, yaml.MappingNode):
            node = next((value for key, value in node.value if key.value == str(part)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            return None
        if node is None:
            return None
    return node


def _units(text: str, node) -> list[tuple[int, int, str]]:
    """The scalar's characters in the file, as (start, end, value) pieces whose values make up its value:
    escapes, doubled quotes, folded line breaks and indentation are pieces of their own."""
    start, end, style = node.start_mark.index, node.end_mark.index, node.style
    if style in ('"', "'"):
        start, end = start + 1, end - 1
    elif style in ("|", ">"):
        start = text.index("\n", start) + 1
        first_line = next((line for line in text[start:end].split("\n") if line.strip()), "")
        indent = len(first_line) - len(first_line.lstrip(" "))
    units, index = [], start
    while index < end:
        char = text[index]
        if char in " \t\n" and style not in ("|", ">"):
            stop = index
            while stop < end and text[stop] in " \t\n":
                stop += 1
            breaks = text.count("\n", index, stop)
            value = text[index:stop] if not breaks else " " if breaks == 1 else "\n" * (breaks - 1)
            units.append((index, stop, value))
            index = stop
        elif style == '"' and char == "\\":
            length = {"x": 4, "u": 6, "U": 10}.get(text[index + 1], 2)
            units.append((index, index + length, yaml.safe_load(f'"{text[index:index + length]}"')))
            index += length
        elif style == "'" and text.startswith("''", index):
            units.append((index, index + 2, "'"))
            index += 2
        elif style in ("|", ">") and (index == start or text[index - 1] == "\n") and char == " ":
            stop = index
            while stop < end and stop - index < indent and text[stop] == " ":
                stop += 1
            units.append((index, stop, ""))           # the block's indentation
            index = stop
        elif style in ("|", ">") and char == "\n":
            units.append((index, index + 1, _block_break(text, index, end, style)))
            index += 1
        else:
            units.append((index, index + 1, char))
            index += 1
    return _trailing(units, node.value) or [(start, start, "")]


def _block_break(text: str, index: int, end: int, style: str) -> str:
    """A line break of a block scalar: kept in `|`; in `>`, a space between two lines of text, nothing before
    an empty line, and a line break for each empty line."""
    if style == "|":
        return "\n"
    line_start = text.rfind("\n", 0, index) + 1
    if not text[line_start:index].strip():
        return "\n"
    next_end = text.find("\n", index + 1)
    following = text[index + 1:next_end if next_end >= 0 else end]
    return " " if following.strip() else ""


def _trailing(units: list, value: str) -> list:
    """A block scalar's final line breaks follow its chomping indicator, not its text: its last piece
    carries what the value has there."""
    joined = "".join(piece for _, _, piece in units)
    if joined == value or not units:
        return units
    while units and not units[-1][2].strip():
        units.pop()
    joined = "".join(piece for _, _, piece in units)
    if not value.startswith(joined):
        raise Unmapped("the YAML scalar could not be read piece by piece")
    end = units[-1][1] if units else 0
    return [*units, (end, end, value[len(joined):])]


def _encode(new: str, style) -> str:
    if style == '"':
        return json.dumps(new, ensure_ascii=False)[1:-1]
    if style == "'":
        return new.replace("'", "''")
    return new


def edit_scalar(text: str, node, edits: list[tuple[int, int, str]]) -> str:
    """The file's text with value ranges of one scalar replaced in place, in the scalar's own style."""
    units = _units(text, node)
    start_of_value = units[0][0] if units else node.end_mark.index
    value_starts, position = [], 0
    for unit in units:
        value_starts.append(position)
        position += len(unit[2])

    def raw(index: int, at_end: bool) -> int:
        for number, ((start, end, piece), first) in enumerate(zip(units, value_starts)):
            if first <= index < first + len(piece):
                if len(piece) > 1 and index != (first + len(piece) - 1 if at_end else first):
                    raise Unmapped("the change falls inside a folded line break of the YAML text")
                if not at_end:
                    return start
                for _, following_end, following in units[number + 1:]:   # a line break's next indentation
                    if following:
                        break
                    end = following_end
                return end
        return next((end for _, end, piece in reversed(units) if piece), start_of_value)

    for start, end, new in sorted(edits, reverse=True):
        raw_start = raw(start, False)
        raw_end = raw(end - 1, True) if end > start else raw_start
        text = text[:raw_start] + _encode(new, node.style) + text[raw_end:]
    return text


# ---- the whole command ----------------------------------------------------------------------------------


def _in_control(tag: str) -> Unmapped:
    """The reason an edit typed in a content control is not applied: the placeholder its tag names."""
    kind, _, ident = tag.partition(":")
    if kind in PLACEHOLDER_REASONS and ident:
        return InPlaceholder(kind, ident)
    return Unmapped("inside a content control whose tag is lost: edit the value where it is defined")


@dataclass
class Target:
    """The YAML string a paragraph shows, with what it renders aligned to what the document shows."""
    doc: object               # the YamlDoc of the file
    path: tuple               # the string's key path in it
    source: str
    shown: str                # the text the reviewer saw (the source map's, in the returned file)
    offset: int               # where `shown` starts in the paragraph (after a label such as "Figure 1. ")
    rendered: Rendered
    after: tuple | None = None     # the placeholder printed after `shown` (a key figure's value), if any

    @cached_property
    def mapping(self) -> list[int | None]:
        """Positions of the text shown mapped to the rendered text (typography told apart)."""
        return _boundaries(self.shown, self.rendered.text)

    def source_edit(self, edit: Edit, locale: Locale) -> tuple[int, int, str, int, int]:
        """The range of the source string an edit replaces, the plainly typed text it puts there, and the
        range of the rendered text it replaces."""
        start, end = edit.start - self.offset, edit.end - self.offset
        if self.after and end > len(self.shown) + len(KEY_FIGURE_DASH):
            raise InPlaceholder(*self.after)
        if start < 0 or end > len(self.shown):
            raise Unmapped("in a label or number the templates write, not in the content")
        mapping = self.mapping
        if mapping[start] is None or mapping[end] is None:
            raise Unmapped("the change falls inside the pipeline's typography")
        first, last = source_range(self.rendered, mapping[start], mapping[end], self.source, edit.formats,
                                   deleting=not edit.new)
        return first, last, plain_typing(edit.new, locale), mapping[start], mapping[end]


class Applier:
    """Turns located paragraphs with tracked changes into new strings of their YAML files."""

    def __init__(self, locator: Locator, changed: bool, repo: Path):
        self.locator, self.changed, self.repo = locator, changed, repo
        report = locator.report
        self.locale = Locale(report.lang, report.tag)
        self.numbers = {source.id: source.number for source in report.sources}
        self.labels = _cross_reference_labels(report.sections)
        self.applied: list[Change] = []
        self.listed: list[Change] = []
        self.strings: dict[str, dict[tuple, str]] = {}   # file as shown -> key path -> its new string
        self.docs: dict = {}                              # file as shown -> its YamlDoc
        self.by_string: dict[tuple, list[Change]] = {}    # (file as shown, key path) -> the changes made there

    def placeholder(self, kind: str, ident: str) -> str:
        """What a placeholder prints, before typography (as assemble renders it)."""
        raw = self.locator.raw
        if kind == "value":
            figure = raw.figures[ident]
            return self.locale.figure(figure.value, figure.unit, figure.approx)
        if kind == "year":
            return str(raw.figures[ident].year)
        if kind == "cite":
            return f"[{self.numbers.get(ident, '?')}]"
        return self.labels.get(ident, ident)

    def data_file(self, kind: str, ident: str) -> str:
        doc = self.locator.raw.data_docs.get(("sources" if kind == "cite" else "figures", ident))
        return self._shown(doc.file) if doc is not None else ""

    def _shown(self, file: Path) -> str:
        """A file as printed: relative to the repository when inside it."""
        try:
            return file.resolve().relative_to(self.repo).as_posix()
        except ValueError:
            return str(file)

    def paragraph(self, place, remarks: list[Remark]) -> None:
        """Apply the accepted changes of one paragraph to its string, each edit that maps; list the others."""
        edits = word_edits(place.text, place.accepted, place.formats)
        if not edits:
            return
        where = self._where(place, remarks)
        try:
            target = self._target(place)
        except Unmapped as exc:
            self.listed.extend(Change(**where, old=e.old, new=e.new, reason=str(exc)) for e in edits)
            return
        controls = {id(r.control): r.content_control for r in remarks if r.control is not None}
        mapped = []
        for edit in edits:
            change = Change(**where, old=edit.old, new=edit.new)
            try:
                if edit.control is not None:      # typed inside a placeholder's content control
                    raise _in_control(controls.get(id(edit.control)) or edit.control.tag)
                mapped.append((change, edit, self._source_edit(target, edit, place.text)))
            except Unmapped as exc:
                change.reason = str(exc)
                if isinstance(exc, InPlaceholder):
                    change.control, change.data_file = f"{exc.kind}:{exc.ident}", self.data_file(exc.kind, exc.ident)
                self.listed.append(change)
        if mapped:
            self._record(target, mapped)

    def _source_edit(self, target: Target, edit: Edit, text: str) -> tuple:
        """The edit mapped onto the source string, at the first of its equivalent positions that maps."""
        first_failure = None
        for candidate in _equivalents(edit, text):
            try:
                return target.source_edit(candidate, self.locale)
            except Unmapped as exc:
                first_failure = first_failure or exc
        raise first_failure

    def _where(self, place, remarks: list[Remark]) -> dict:
        """File, line, key and authors of a paragraph's changes: where the text is today, else (when it is not
        in today's content) where the reviewer saw it."""
        first = remarks[0]
        where = dict(file=first.file or "", line=first.line, key=first.key or "",
                     author=", ".join(dict.fromkeys(r.author for r in remarks if r.author)))
        built = self.locator.resolve(place) if not first.file else None
        if built is not None and not isinstance(built, str):
            folder = self.locator.content.name
            where.update(file=f"{folder}/{built.file}" if folder else built.file, key=key_path(built.path))
        return where

    def _target(self, place) -> Target:
        """The YAML string a paragraph shows, or Unmapped with the reason there is none to edit."""
        if place.new:
            raise Unmapped("a paragraph the reviewer added: copy it into the YAML by hand")
        if not place.accepted.strip():
            raise Unmapped("the reviewer deleted the whole paragraph: remove it from the YAML by hand")
        if len(place.text) >= MAX_TEXT:
            raise Unmapped("the paragraph is too long to apply")
        found = self.locator.find(place, self.changed)
        if isinstance(found, str):
            raise Unmapped(found)
        built, entry = found
        doc = self.locator.docs.get(entry.file)
        path, shown, after = tuple(entry.path), built.text, None      # the text as the reviewer saw it
        value = _value(doc.data, path) if doc is not None else None
        if isinstance(value, dict) and isinstance(value.get("p"), str):
            path, value = path + ("p",), value["p"]
        elif isinstance(value, list) and place.row >= 0:       # a table row: the cell this paragraph is in
            index = _cell(shown, place.text, len(value))
            path, value, shown = path + (index,), value[index], shown.split(" | ")[index]
        elif isinstance(value, dict) and {"label", "value"} <= set(value) and KEY_FIGURE_DASH in shown:
            after = ("value", str(value["value"]))                 # a key figure: its label, then its value
            path, value, shown = path + ("label",), value["label"], shown.rsplit(KEY_FIGURE_DASH, 1)[0]
        offset = place.text.find(shown) if shown else -1
        if offset < 0:
            raise Unmapped("the paragraph does not read as the source map recorded (changed without tracking?)")
        if not isinstance(value, str) or entry.path[:1] == ("sources",):
            raise Unmapped("not running text of the content (a figure, date, list or source): "
                           "apply it by hand")
        rendered = render(value, self.placeholder)
        if not _reads_alike(shown, rendered, self.locale):
            raise Unmapped("the text changed since the build and no longer reads as the reviewer saw it")
        return Target(doc, path, value, shown, offset, rendered, after)

    def _record(self, target: Target, mapped: list) -> None:
        """The paragraph's new string, kept only if it renders as the reviewer's accepted text."""
        changes = [change for change, _, _ in mapped]
        self.applied.extend(changes)
        file = self._shown(target.doc.file)
        if target.path in self.strings.get(file, {}):
            self._list(changes, "another paragraph of the document maps to the same text")
            return
        new = apply_edits(target.source, [source_edit[:3] for _, _, source_edit in mapped])
        expected = target.rendered.text           # what the string renders today, with the reviewer's edits
        for _, _, (_, _, typed, start, end) in sorted(mapped, key=lambda item: -item[2][3]):
            expected = expected[:start] + typed + expected[end:]
        try:
            again = render(new, self.placeholder).text
        except Unmapped:
            again = None
        if again is None or _words(plain_typing(again, self.locale)) != _words(plain_typing(expected, self.locale)):
            self._list(changes, "could not be mapped onto the markup without changing other text")
            return
        self.strings.setdefault(file, {})[target.path] = new
        self.docs[file] = target.doc
        self.by_string[(file, target.path)] = changes

    def _list(self, changes: list[Change], reason: str) -> None:
        for change in changes:
            change.reason = reason
            self.applied.remove(change)
        self.listed.extend(changes)

    def new_texts(self) -> dict[str, tuple[str, str]]:
        """Each edited file's text before and after. Strings are edited in place one by one, from the end of
        the file, each checked by reading the file back: a string that does not read back as intended is
        left as it was and its changes listed."""
        result = {}
        for shown, strings in self.strings.items():
            doc = self.docs[shown]
            text, expected = doc.text, json.loads(json.dumps(doc.data, default=str))
            nodes = sorted(((find_node(doc.node, path), path, new) for path, new in strings.items()),
                           key=lambda item: -item[0].start_mark.index if item[0] is not None else 0)
            for node, path, new in nodes:
                try:
                    if not isinstance(node, yaml.ScalarNode):
                        raise Unmapped("the text is not one YAML string")
                    _set(expected, path, new)
                    text = _edit_in_place(doc, text, node, new, expected)
                except Unmapped as exc:
                    _set(expected, path, node.value)
                    self._list(self.by_string[(shown, path)], str(exc))
            if text != doc.text:
                result[shown] = (doc.text, text)
        return result


def _edit_in_place(doc, text: str, node, new: str, expected) -> str:
    """The file's text with one string edited in place and read back. A plain one-line string that can no
    longer be plain (the reviewer typed ': ' or ' #', or a comma in a [flow, list]) is double-quoted."""
    edited = edit_scalar(text, node, _value_edits(node.value, new))
    if _reads_back(doc, edited, expected):
        return edited
    if node.style is None and node.start_mark.line == node.end_mark.line:
        quoted = text[:node.start_mark.index] + json.dumps(new, ensure_ascii=False) + text[node.end_mark.index:]
        if _reads_back(doc, quoted, expected):
            return quoted
    raise Unmapped("the YAML file, edited in place, would not read back as this change")


def _reads_back(doc, text: str, expected) -> bool:
    problems: list = []
    again = parse_yaml(doc.file, text, problems)
    return again is not None and not problems and json.loads(json.dumps(again.data, default=str)) == expected


def _value_edits(old: str, new: str) -> list[tuple[int, int, str]]:
    """The character ranges of `old` to replace to make `new` (a character diff: the smallest YAML edit)."""
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    return [(i1, i2, new[j1:j2]) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"]


def _reads_alike(shown: str, rendered: Rendered, locale: Locale) -> bool:
    """Whether the text the reviewer saw reads as the string renders today, but for what its placeholders
    print (a citation renumbered, a figure updated since the build)."""
    back = _boundaries(rendered.text, shown)
    seen, now = list(shown), list(rendered.text)
    for start, end, _, _ in rendered.atoms:
        if back[start] is None or back[end] is None or back[start] >= back[end]:
            return False
        now[start:end] = ["\ue000"] + [""] * (end - start - 1)
        seen[back[start]:back[end]] = ["\ue000"] + [""] * (back[end] - back[start] - 1)
    return _words(plain_typing("".join(seen), locale)) == _words(plain_typing("".join(now), locale))


def _cell(row: str, paragraph: str, cells: int) -> int:
    """Which cell of a table row (its cells' texts joined by ' | ' in the source map) a paragraph shows."""
    texts = row.split(" | ")
    matches = [i for i, text in enumerate(texts) if text == paragraph] if len(texts) == cells else []
    if len(matches) != 1:
        raise Unmapped("the table cell cannot be told from the others of its row: apply it by hand")
    return matches[0]


def _value(data, path: tuple):
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _set(data, path: tuple, value) -> None:
    for part in path[:-1]:
        data = data[part]
    data[path[-1]] = value


def _cross_reference_labels(node, found: dict | None = None) -> dict[str, str]:
    """Target id -> the label a cross-reference to it prints ('figure 1'), from the assembled report."""
    found = {} if found is None else found
    if isinstance(node, m.CrossRef):
        found[node.target] = node.label
    elif isinstance(node, (tuple, list)):
        for child in node:
            _cross_reference_labels(child, found)
    elif dataclasses.is_dataclass(node) and not isinstance(node, type):
        for item in dataclasses.fields(node):
            _cross_reference_labels(getattr(node, item.name), found)
    return found


# ---- the command ----------------------------------------------------------------------------------------


def _write(file: Path, text: str) -> None:
    """Replace a content file atomically (the pipeline's helper), keeping its permissions."""
    from .pipeline import write_atomically
    mode = file.stat().st_mode & 0o7777
    write_atomically(file, lambda tmp: tmp.write_bytes(text.encode("utf-8")) and None)
    file.chmod(mode)


def _diff_names(name: str) -> tuple[str, str]:
    """git's a/ and b/ for a file of the repository; a file outside it keeps its absolute path."""
    return (name, name) if Path(name).is_absolute() else (f"a/{name}", f"b/{name}")


def run(reviewed: Reviewed, content: Path, repo: Path, output_format: str, dry_run: bool) -> int:
    """Apply (or with dry_run, show) the accepted changes; list the rest and the comments. The exit code:
    0 every change applied, 1 some listed instead, 2 a document that names no report of ours."""
    from .review import locator
    found = locator(reviewed, content)
    if found is None:
        print(f"build.py review: error: the document names no report ('{clean(reviewed.identifier)}'): it was not "
              "built by build.py, so there is nothing to apply it to", file=sys.stderr)
        return 2
    places, changed = found
    for remark in reviewed.remarks:
        places.fill(remark, changed)
    applier = Applier(places, changed, repo.resolve())
    paragraphs: dict[int, list[Remark]] = {}
    for remark in reviewed.remarks:
        if remark.kind == "comment":
            continue
        if "footnote" in remark.position or remark.place is None:
            applier.listed.append(Change(remark.file or "", remark.line, remark.key or "",
                                         remark.text if remark.kind == "deletion" else "",
                                         remark.text if remark.kind == "insertion" else "", remark.author,
                                         "in a footnote, which the content does not have" if "footnote" in
                                         remark.position else remark.note or "no content location"))
        else:
            paragraphs.setdefault(id(remark.place), []).append(remark)
    for remarks in paragraphs.values():
        applier.paragraph(remarks[0].place, remarks)
    texts = applier.new_texts()
    comments = [remark for remark in reviewed.remarks if remark.kind == "comment"]
    diff = "".join("".join(difflib.unified_diff(old.splitlines(True), new.splitlines(True), *_diff_names(name)))
                   for name, (old, new) in texts.items())
    if output_format == "json":
        result = {"applied": [c.as_dict() for c in applier.applied], "listed": [c.as_dict() for c in applier.listed],
                  "comments": [r.as_dict() for r in comments]}
        if dry_run:
            result["diff"] = diff
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        for change in applier.applied:
            print(f"{'would apply' if dry_run else 'applied'}: {change}")
        for change in applier.listed:
            where = f" ({change.control}, defined in {change.data_file})" if change.data_file else \
                f" ({change.control})" if change.control else ""
            print(f"not applied: {change}{where}")
        for remark in comments:
            print(f"to do: {remark}")
        if dry_run:
            print(diff, end="")
    if not dry_run:
        for name, (_, new) in texts.items():
            _write(applier.docs[name].file, new)
    verb = "would be applied to" if dry_run else "applied to"
    print(f"{len(applier.applied)} change(s) {verb} {len(texts)} file(s), {len(applier.listed)} not applied, "
          f"{len(comments)} comment(s) to do", file=sys.stderr)
    reference = next(iter(places.raw.languages))
    if texts and places.report.lang == reference and len(places.raw.languages) > 1:
        print(f"build.py review: note: {reference} is the reference language: the translations of the edited "
              "texts are now stale (build.py --check lists them)", file=sys.stderr)
    return 1 if applier.listed else 0
