"""Plan the documents to write, build them, and put each in place atomically.

Like MkDocs' build(): gather every report, validate and assemble the whole model first, and only then
write, so nothing is written from an inconsistent state.
"""
from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from .assemble import assemble
from .errors import BuildError, ContentError, Problem
from .validate import RawReport, load_report


@dataclass(frozen=True)
class Job:
    report: str         # report id (its folder name)
    lang: str
    fmt: str

    @property
    def filename(self) -> str:
        return f"{self.report}.{self.lang}.{self.fmt}"


@dataclass
class Options:
    content: Path
    output: Path
    langs: tuple[str, ...] | None = None     # None: every declared language
    formats: tuple[str, ...] = ("pdf", "docx")


def report_folders(content: Path) -> list[Path]:
    if not content.is_dir():
        raise ContentError([Problem(content, None, None, "", "content folder not found",
                                    "pass --content DIR pointing at a folder of reports")])
    folders = sorted(p for p in content.iterdir() if (p / "report.yaml").is_file())
    if not folders:
        raise ContentError([Problem(content, None, None, "", "no report found (no */report.yaml)",
                                    "each report is a folder with a report.yaml")])
    return folders


def load_all(options: Options) -> tuple[dict[str, RawReport], list[Problem]]:
    """Load and validate every report; raise one ContentError with all their problems."""
    reports, problems, warnings = {}, [], []
    for folder in report_folders(options.content):
        try:
            raw = load_report(folder)
        except ContentError as exc:
            problems.extend(exc.problems)
            continue
        reports[folder.name] = raw
        warnings.extend(raw.warnings)
        for lang in options.langs or ():
            if lang not in raw.languages:
                problems.append(Problem(folder / "report.yaml", None, None, "languages",
                                        f"--lang {lang}: the report does not declare this language",
                                        f"declared: {', '.join(raw.languages)}"))
    if problems:
        raise ContentError(problems)
    return reports, warnings


def plan(reports: dict[str, RawReport], options: Options) -> list[Job]:
    return [Job(name, lang, fmt) for name, raw in reports.items()
            for lang in (options.langs or tuple(raw.languages)) for fmt in options.formats]


def build_job(raw: RawReport, job: Job, output: Path, models: dict | None = None,
              images: dict | None = None) -> dict:
    """Write one document atomically; return its summary (path, pages, bytes, seconds)."""
    from .writers import IMAGE_FORMAT, writer
    from .writers.html import render_charts

    started = time.perf_counter()
    key = (job.report, job.lang)
    report = models[key] if models is not None and key in models else assemble(raw, job.lang)
    image_key = (job.report, job.lang, IMAGE_FORMAT[job.fmt])
    if images is not None and image_key in images:
        charts = images[image_key]
    else:
        charts = render_charts(report, IMAGE_FORMAT[job.fmt])
        if images is not None:
            images[image_key] = charts
    target = output / job.filename
    info = write_atomically(target, lambda tmp: writer(job.fmt)(report, tmp, charts))
    return {"path": str(target), "pages": info.get("pages"), "bytes": target.stat().st_size,
            "seconds": round(time.perf_counter() - started, 2), "warnings": info.get("warnings", [])}


def write_atomically(target: Path, write) -> dict:
    """Write to a temporary file beside `target`, then rename: a failure leaves the old file as it was."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(handle)
    tmp = Path(name)
    try:
        info = write(tmp) or {}
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
        return info
    except Exception as exc:
        raise BuildError(f"{target.name}: {type(exc).__name__}: {exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)
