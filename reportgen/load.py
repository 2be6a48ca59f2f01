"""Read YAML safely, keeping the line and column of every key so errors can point at them."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from stat import S_ISREG

import yaml

from .errors import Problem

MAX_FILE_BYTES = 2_000_000
MAX_NODES = 200_000  # bounds alias expansion ("billion laughs") as well as plain size
MAX_DEPTH = 100      # content nests about ten levels deep; far deeper would exhaust Python's stack

Path_ = tuple  # a key path such as ("blocks", 3, "p")


@dataclass
class YamlDoc:
    """A parsed YAML file: its data and, for every key path, where it starts in the file."""

    file: Path
    data: object
    marks: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    # The file's text and its composed node tree, whose marks `review --apply` edits one scalar in place by.
    text: str = field(default="", repr=False, compare=False)
    node: object = field(default=None, repr=False, compare=False)

    def where(self, path: Path_) -> tuple[int | None, int | None]:
        """Line and column of `path`, or of its nearest ancestor the file records."""
        path = tuple(path)
        while path not in self.marks and path:
            path = path[:-1]
        return self.marks.get(path, (None, None))

    def problem(self, path: Path_, message: str, hint: str = "", severity: str = "error") -> Problem:
        line, column = self.where(path)
        return Problem(self.file, line, column, key_path(path), message, hint, severity)


def key_path(path: Path_) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


class _Builder:
    """Turns a composed node tree into Python data, recording marks and catching duplicate keys."""

    def __init__(self, doc: YamlDoc, problems: list[Problem]):
        self.doc, self.problems, self.nodes = doc, problems, 0
        self.constructor = yaml.constructor.SafeConstructor()

    def build(self, node, path: Path_):
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _TooBig()
        self.doc.marks.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
        try:
            return self.constructor.construct_object(node, deep=True)
        except ValueError as exc:   # e.g. a date that does not exist: 2026-02-30
            self.problems.append(self.doc.problem(path, f"invalid value '{node.value}': {exc}",
                                                  "write dates as YYYY-MM-DD, or quote the value to keep it text"))
            return node.value

    def _mapping(self, node, path: Path_) -> dict:
        result: dict = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                self.problems.append(self.doc.problem(path, "YAML merge keys (<<) are not supported",
                                                      "write the keys out"))
                continue
            key = self.constructor.construct_object(key_node, deep=True)
            key = str(key) if not isinstance(key, str) else key
            if key in result:
                first = self.doc.marks.get(path + (key,), (None,))[0]
                self.problems.append(Problem(
                    self.doc.file, key_node.start_mark.line + 1, key_node.start_mark.column + 1,
                    key_path(path + (key,)), f"duplicate key '{key}' (first defined on line {first})",
                    "YAML keeps only the last one: remove or rename one of them"))
            self.doc.marks[path + (key,)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            result[key] = self.build(value_node, path + (key,))
        return result


_CONFLICT = re.compile(r"^<{7}(?: |$)", re.MULTILINE)


class _TooBig(Exception):
    pass


class _TooDeep(Exception):
    def __init__(self, mark):
        self.mark = mark


class _DepthLimit:
    """Composes at most MAX_DEPTH levels of nesting (located, instead of a RecursionError)."""

    depth = 0

    def compose_node(self, parent, index):
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise _TooDeep(self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


class _PythonLoader(_DepthLimit, yaml.SafeLoader):
    """The safe loader, in pure Python."""


_Loader = _PythonLoader
if yaml.__with_libyaml__:
    class _LibyamlLoader(_DepthLimit, yaml.composer.Composer, yaml.cyaml.CParser, yaml.constructor.SafeConstructor,
                         yaml.resolver.Resolver):
        """libyaml's scanner and parser (five times faster than PyYAML's Python ones), under PyYAML's own
        composer, so that the nesting limit above still applies node by node."""

        def __init__(self, stream):
            yaml.cyaml.CParser.__init__(self, stream)
            yaml.composer.Composer.__init__(self)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)

        def compose_scalar_node(self, anchor):
            node = super().compose_scalar_node(anchor)
            node.style = node.style or None   # libyaml says '' for a plain scalar, PyYAML None
            return node

    _Loader = _LibyamlLoader


def load_yaml(file: Path, kind: type | None = None):
    """The data of a YAML file read through read_yaml's checks (None if it is empty), of type `kind` if given;
    a ContentError, located, if it is bad."""
    from .errors import ContentError
    problems: list[Problem] = []
    doc = read_yaml(file, problems, allow_empty=True)
    if doc is not None and kind and doc.data is not None and not isinstance(doc.data, kind):
        problems.append(doc.problem((), f"expected a {'mapping' if kind is dict else kind.__name__}, found a "
                                    f"{type(doc.data).__name__}", "compare it with the documentation"))
    if doc is None or problems:
        raise ContentError(problems)
    return doc.data


def read_yaml(file: Path, problems: list[Problem], allow_empty: bool = False) -> YamlDoc | None:
    """Parse `file`; on failure append a located problem and return None."""
    try:
        raw = _read_limited(file)
    except OSError as exc:
        problems.append(Problem(file, None, None, "", f"cannot be read: {exc.strerror or exc}",
                                "make it a plain file (not a folder, device, or broken or looping symbolic link)"))
        return None
    if len(raw) > MAX_FILE_BYTES:
        problems.append(Problem(file, None, None, "", f"file is over the limit of {MAX_FILE_BYTES:,} bytes",
                                "split it into several section files"))
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        problems.append(Problem(file, line, None, "", f"text is not valid UTF-8 (byte {raw[exc.start]:#04x})",
                                "save the file as UTF-8"))
        return None
    return parse_yaml(file, text, problems, allow_empty)


def parse_yaml(file: Path, text: str, problems: list[Problem], allow_empty: bool = False) -> YamlDoc | None:
    """Parse the text of `file` (read_yaml's checks after reading); on failure append a located problem and
    return None."""
    doc = YamlDoc(file, None, text=text)
    conflict = _CONFLICT.search(text)
    if conflict:
        problems.append(Problem(file, text.count("\n", 0, conflict.start()) + 1, 1, "", "unresolved merge "
                                "conflict (a line git marks with <<<<<<<)", "keep the right side, delete the "
                                "<<<<<<<, ======= and >>>>>>> lines, then build again"))
        return None
    try:
        node = yaml.compose(text, Loader=_Loader)
    except (_TooDeep, yaml.MarkedYAMLError) as exc:
        if isinstance(exc, _TooDeep) or "maximum nesting depth" in (exc.problem or ""):   # libyaml stops at 1000
            mark = exc.mark if isinstance(exc, _TooDeep) else exc.problem_mark
            problems.append(Problem(file, mark.line + 1, mark.column + 1, "", f"nested more than {MAX_DEPTH} "
                                    "levels deep", "flatten the structure: content never needs this depth"))
            return None
        _syntax_problem(file, text, exc, problems)
        return None
    except yaml.reader.ReaderError as exc:   # a character YAML refuses, before any parsing
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        problems.append(Problem(file, line, column, "", f"contains the control character U+{exc.character:04X}, "
                                "which YAML and DOCX files cannot hold", "delete it (it often comes from text "
                                "pasted from e-mail or a web page)"))
        return None
    except yaml.YAMLError as exc:
        problems.append(Problem(file, None, None, "", f"YAML syntax: {exc}", "check the file's syntax"))
        return None
    doc.node = node
    if node is None and allow_empty:
        return doc
    if node is None:
        problems.append(Problem(file, 1, None, "", "file is empty", "add the content or remove the file"))
        return None
    try:
        doc.data = _Builder(doc, problems).build(node, ())
    except _TooBig:
        problems.append(Problem(file, None, None, "", f"file expands to more than {MAX_NODES:,} values "
                                "(aliases nested too deep?)", "do not use nested YAML aliases"))
        return None
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        problems.append(Problem(file, mark.line + 1 if mark else None, mark.column + 1 if mark else None,
                                "", f"YAML value: {exc.problem}", "quote the value to keep it as text"))
        return None
    return doc


def _syntax_problem(file: Path, text: str, exc: yaml.MarkedYAMLError, problems: list[Problem]) -> None:
    mark = exc.problem_mark or exc.context_mark
    if exc.context_mark and "end of stream" in (exc.problem or ""):
        mark = exc.context_mark   # an unclosed quote or bracket: point where it was opened
    message = " ".join(filter(None, [exc.context, exc.problem]))
    problems.append(Problem(file, mark.line + 1 if mark else None, mark.column + 1 if mark else None, "",
                            f"YAML syntax: {message}", _yaml_hint(text, mark)))


def _read_limited(file: Path) -> bytes:
    """At most MAX_FILE_BYTES + 1 bytes of a regular file: a huge file or a device is never read whole."""
    with open_regular(file) as stream:
        return stream.read(MAX_FILE_BYTES + 1)


def open_regular(file: Path):
    """Open a regular file for reading; refuse devices, folders and pipes (opened without blocking, so a pipe
    with no writer cannot hang the program) with an OSError saying so."""
    fd = os.open(file, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    if not S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError(0, "not a regular file (a device, folder or pipe)", str(file))
    os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


def _yaml_hint(text: str, mark) -> str:
    if mark is None:
        return "check the file's syntax"
    line = text.splitlines()[mark.line] if mark.line < len(text.splitlines()) else ""
    if "\t" in line:
        return "YAML forbids tabs for indentation: use spaces"
    if line.count('"') % 2 or line.count("'") % 2:
        return "a quote is not closed on this line"
    if ": " in line.split(":", 1)[-1]:
        return "a value containing ': ' must be quoted, or written as a block (>-)"
    return "check the indentation of this line and the one before it"
