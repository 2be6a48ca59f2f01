"""Which documents to build, what each depends on, and whether it is already up to date.

Deliberately light: it imports neither the validators nor any writer, so a rebuild with nothing to do
finishes in a fraction of a second. Every input of a document is hashed into its fingerprint: the content
files of its language, the language-neutral data, the templates of its format, the fonts, the package's own
code and the versions of the libraries that draw it. The manifest in the output folder remembers the
fingerprint each file was built from.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from stat import S_ISREG

from . import editions
from .errors import ContentError, UsageError, did_you_mean
from .load import read_yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
CODE = ROOT / "reportgen"
MANIFEST = ".manifest.json"
TEMPORARY = ".tmp"   # every temporary file of a build ends so: the next build removes those a killed one left
FORMAT_TEMPLATES = {
    "pdf": ("html/*.j2", "fonts.css", "print.css", "fonts/*.ttf"),
    "html": ("html/*.j2", "fonts.css", "print.css", "fonts/*.ttf"),
    "docx": ("reference.docx", "fonts/*.ttf"),
}
TOOLS = ("weasyprint", "pydyf", "fonttools", "python-docx", "jinja2", "pyyaml", "babel", "markdown-it-py",
         "pydantic", "matplotlib", "pyicu")
FORMAT_ORDER = {"pdf": 0, "docx": 1, "html": 2}   # slowest first, so parallel workers finish together


@dataclass(frozen=True, order=True)
class Job:
    report: str
    lang: str
    fmt: str
    folder: Path
    edition: str = editions.FULL
    definition: dict = field(default_factory=dict, compare=False, hash=False, repr=False)  # from report.yaml

    @property
    def filename(self) -> str:
        return editions.filename(self.report, self.edition, self.lang, self.fmt)

    def describe(self, output: Path, fingerprint: str, up_to_date: bool) -> dict:
        return {"report": self.report, "edition": self.edition, "lang": self.lang, "format": self.fmt,
                "output": str(output / self.filename), "fingerprint": fingerprint, "up_to_date": up_to_date}


def declared_languages(folder: Path, problems: list) -> list[str]:
    """The languages report.yaml declares; [] and a located problem when it cannot be read."""
    return _declared(folder, problems)[0]


def _declared(folder: Path, problems: list) -> tuple[list[str], dict[str, dict]]:
    """The languages and editions report.yaml declares; ([], {}) and a located problem when it cannot be read."""
    doc = read_yaml(folder / "report.yaml", problems)   # the same safe, limited reader as validation
    if doc is None:
        return [], {}
    languages = doc.data.get("languages") if isinstance(doc.data, dict) else None
    if not isinstance(languages, dict) or not languages:
        problems.append(doc.problem(("languages",), "no languages declared",
                                    "declare them as a map: languages: {en: en-US, fr: fr-BE}"))
        return [], {}
    return [str(lang) for lang in languages], editions.declared(doc.data)


def plan(content: Path, langs: tuple[str, ...] | None, formats: tuple[str, ...],
         only_editions: tuple[str, ...] | None = None) -> list[Job]:
    """Every (report, edition, language, format) job, every edition unless `only_editions` picks some; a report
    whose report.yaml cannot be read fails the whole run, whatever --lang or --shard select, so a broken
    report is never skipped silently."""
    jobs, problems, known = [], [], set()
    for folder in sorted(p for p in content.iterdir() if (p / "report.yaml").is_file()) if content.is_dir() else []:
        languages, declared = _declared(folder, problems)
        known.update(declared)
        for edition, definition in declared.items():
            if only_editions is not None and edition not in only_editions:
                continue
            jobs.extend(Job(folder.name, lang, fmt, folder, edition, definition)
                        for lang in languages if langs is None or lang in langs for fmt in formats)
    if problems:
        raise ContentError(problems)
    _check_editions_exist(only_editions, known)
    return sorted(jobs, key=lambda j: (FORMAT_ORDER[j.fmt], j.edition != editions.FULL, j.report, j.lang, j.edition))


def _check_editions_exist(wanted: tuple[str, ...] | None, known: set[str]) -> None:
    """--edition names only editions some report declares: a typo is a usage error, not "nothing to build"."""
    unknown = [name for name in wanted or () if name not in known]
    if unknown and known:
        suggestion = did_you_mean(unknown[0], sorted(known))
        raise UsageError(f"--edition {','.join(wanted)}: no report declares {', '.join(map(repr, unknown))}"
                         + (f"; {suggestion}" if suggestion else "") + f" (editions: {', '.join(sorted(known))})")


# Relative cost of a document by format, measured on the real report: a PDF takes about four DOCX.
FORMAT_COST = {"pdf": 4.0, "docx": 1.0, "html": 0.1}


def expected_cost(job: Job) -> float:
    """The format's cost, scaled by the size of the language's texts (a long report costs more; an edition
    counts only the files holding its parts)."""
    files = (job.folder / job.lang).glob("*.yaml") if job.edition == editions.FULL else \
        editions.part_files(job.folder, job.lang, job.definition)
    texts = sum(p.stat().st_size for p in files)
    return FORMAT_COST[job.fmt] * (1 + texts / 50_000)


def shard(jobs: list[Job], spec: str) -> list[Job]:
    """The K-th of N shares ('K/N', K from 1), balanced by expected cost: costliest jobs first, each to the
    share with the least work so far. Deterministic, so every machine of a CI matrix agrees on the split."""
    k, n = (int(part) for part in spec.split("/"))
    costs = {job: expected_cost(job) for job in jobs}
    loads = [0.0] * n
    mine = []
    for job in sorted(jobs, key=lambda j: (-costs[j], j.report, j.edition, j.lang, j.fmt)):
        share = min(range(n), key=lambda i: loads[i])
        loads[share] += costs[job]
        if share == k - 1:
            mine.append(job)
    return sorted(mine, key=lambda j: (FORMAT_ORDER[j.fmt], j.edition != editions.FULL, j.report, j.lang, j.edition))


LEDGER = "translations.yaml"   # the translation ledger (ledger.py), kept here so light modules can name it
NOT_INPUTS = (LEDGER, "spelling.")   # report files that do not change any document


def input_files(job: Job) -> list[Path]:
    """Every file a document depends on: its report folder (minus other languages), templates, fonts, code.
    An edition other than the full report depends only on the content files holding its parts."""
    if job.edition != editions.FULL:
        return _edition_input_files(job)
    folder = job.folder
    other_languages = {p for p in folder.iterdir() if p.is_dir() and p.name not in (job.lang, "data")
                       and (p / "meta.yaml").exists()}
    files = sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(NOT_INPUTS)
                   and not any(p.is_relative_to(d) for d in other_languages))
    files.append(TEMPLATES / "strings" / f"{job.lang}.yaml")
    for pattern in FORMAT_TEMPLATES[job.fmt]:
        files.extend(sorted(TEMPLATES.glob(pattern)))
    files.extend(sorted(CODE.rglob("*.py")))
    return files


def _edition_input_files(job: Job) -> list[Path]:
    folder = job.folder
    files = [folder / "report.yaml", *sorted(p for p in (folder / "data").rglob("*") if p.is_file())]
    files += editions.part_files(folder, job.lang, job.definition)
    files.append(TEMPLATES / "strings" / f"{job.lang}.yaml")
    for pattern in editions.templates(job.definition, job.fmt) or FORMAT_TEMPLATES[job.fmt]:
        files.extend(sorted(TEMPLATES.glob(pattern)))
    files.extend(sorted(CODE.rglob("*.py")))
    return files


MAX_INPUT_BYTES = 100_000_000   # far above any real input (YAML ≤ 2 MB, images ≤ 5 MB, fonts, documents)


class InputTooLarge(UsageError):
    pass


@lru_cache(maxsize=None)
def _digest(path: Path, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):   # streamed: memory stays flat
            digest.update(chunk)
    return digest.hexdigest()


def file_digest(path: Path, limit: int = MAX_INPUT_BYTES) -> str:
    """sha256 of a regular file's bytes, read in chunks; a file over `limit` is refused before it is read."""
    stat = path.stat()
    if not S_ISREG(stat.st_mode):
        raise InputTooLarge(f"{path}: not a regular file; remove it from the report folder")
    if stat.st_size > limit:
        raise InputTooLarge(f"{path}: {stat.st_size:,} bytes, over the limit of {limit:,} for a report's files; "
                            "move it out of the report folder")
    return _digest(path, stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=1)
def tool_versions() -> dict[str, str]:
    versions = {}
    for name in TOOLS:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "absent"
    return versions


MAX_EPOCH = 253_402_300_799   # 9999-12-31T23:59:59Z, the last second the documents' date fields can hold


def source_date_epoch() -> int | None:
    """SOURCE_DATE_EPOCH (reproducible-builds.org), checked: whole seconds since 1970-01-01 UTC; None if unset."""
    text = os.environ.get("SOURCE_DATE_EPOCH", "")
    if not text:
        return None
    if not (text.isascii() and text.isdigit()) or int(text) > MAX_EPOCH:
        raise UsageError(f"SOURCE_DATE_EPOCH={text!r}: expected whole seconds since 1970-01-01 UTC, from 0 to "
                         f"{MAX_EPOCH} (e.g. SOURCE_DATE_EPOCH=$(git log -1 --format=%ct))")
    return int(text)


def fingerprint(job: Job, extra: str = "") -> str:
    """sha256 over every input of the job: file paths and contents, tool versions, format and options."""
    source_date_epoch()   # a malformed value is a usage error before anything is built
    digest = hashlib.sha256()
    identity = [job.report, job.lang, job.fmt] + ([job.edition] if job.edition != editions.FULL else [])
    digest.update(json.dumps({"job": identity, "tools": tool_versions(),
                              "epoch": os.environ.get("SOURCE_DATE_EPOCH", ""), "extra": extra}).encode())
    for file in input_files(job):
        label = file.relative_to(job.folder.parent) if file.is_relative_to(job.folder.parent) else \
            file.relative_to(ROOT)
        state = file_digest(file) if file.exists() else "absent"   # a missing input is for validation to report
        digest.update(f"\0{label}\0{state}".encode())
    return digest.hexdigest()


MANIFEST_ENTRY = {"fingerprint": str, "sha256": str, "bytes": int}
MAX_MANIFEST_BYTES = 10_000_000


class Manifest:
    """output/.manifest.json: for each file, the fingerprint it was built from and the sha256 of its bytes.

    A document is up to date only if its bytes still hash to what was written: a hand edit that keeps the
    size and the time is caught. A manifest that is not what this program writes is ignored with a notice
    (every document is then rebuilt), never trusted and never fatal.
    """

    def __init__(self, output: Path, notice=None):
        self.file = output / MANIFEST
        self.entries: dict = {}
        notice = notice or (lambda message: print(f"build.py: notice: {message}", file=sys.stderr))
        try:
            if self.file.stat().st_size > MAX_MANIFEST_BYTES:
                raise ValueError(f"over {MAX_MANIFEST_BYTES:,} bytes")
            data = json.loads(self.file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return
        except (OSError, ValueError, RecursionError) as exc:
            notice(f"{self.file}: unreadable ({exc}); ignored, the documents will be rebuilt")
            return
        if not isinstance(data, dict):
            notice(f"{self.file}: not a manifest (a JSON {type(data).__name__}); ignored, the documents will be "
                   "rebuilt")
            return
        self.entries = {name: entry for name, entry in data.items() if _is_entry(entry)}
        if len(self.entries) != len(data):
            notice(f"{self.file}: {len(data) - len(self.entries)} entries of the wrong shape ignored; those "
                   "documents will be rebuilt")

    def is_current(self, job: Job, fingerprint_: str, output: Path) -> bool:
        entry = self.entries.get(job.filename)
        target = output / job.filename
        if not entry or entry["fingerprint"] != fingerprint_ or not target.is_file():
            return False
        try:
            return target.stat().st_size == entry["bytes"] and file_digest(target) == entry["sha256"]
        except InputTooLarge:
            return False

    def record(self, job: Job, summary: dict) -> None:
        self.entries[job.filename] = {key: summary[key] for key in ("fingerprint", "sha256", "bytes", "pages")}

    def save(self) -> None:
        write_json(self.file, dict(sorted(self.entries.items())))


def _is_entry(entry) -> bool:
    return isinstance(entry, dict) and all(type(entry.get(key)) is kind for key, kind in MANIFEST_ENTRY.items())


def check_output(content: Path, output: Path) -> None:
    """Refuse an output folder that is a file, or lies inside the inputs: every build would change its inputs."""
    if output.exists() and not output.is_dir():
        raise UsageError(f"--output {output}: is a file, not a folder")
    resolved = output.resolve()
    for name, folder in (("the content folder", content), ("templates/", TEMPLATES), ("the code", CODE)):
        if resolved.is_relative_to(folder.resolve()):
            raise UsageError(f"--output {output}: lies inside {name} ({folder}), so every build would change "
                             "its own inputs; choose a folder outside it")


def write_json(file: Path, data) -> None:
    """Write JSON atomically (temporary file, then rename)."""
    file.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{file.name}.", suffix=TEMPORARY, dir=file.parent)
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        json.dump(data, stream, indent=2, ensure_ascii=False)
        stream.write("\n")
    os.chmod(name, 0o644)
    os.replace(name, file)


__all__ = ["Job", "Manifest", "plan", "shard", "fingerprint", "write_json", "asdict"]
