"""Validate, then build documents (in worker processes when asked) and put each in place atomically.

Like MkDocs' build(): every report that has work is loaded and validated first, and only then is anything
written, so nothing is written from an inconsistent state. A document is written to a temporary file beside
its target and renamed into place, so a failure leaves the previous file untouched.
"""
from __future__ import annotations

import fcntl
import multiprocessing
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from pathlib import Path

from . import __version__
from .assemble import assemble
from .errors import BuildError, ContentError, Problem
from .plan import Job, tool_versions
from .validate import RawReport, load_report

_REPORTS: dict[str, RawReport] = {}   # set before workers fork, so they inherit the validated content


def report_folders(content: Path) -> list[Path]:
    if not content.is_dir():
        raise ContentError([Problem(content, None, None, "", "content folder not found",
                                    "pass --content DIR pointing at a folder of reports")])
    folders = sorted(p for p in content.iterdir() if (p / "report.yaml").is_file())
    if not folders:
        raise ContentError([Problem(content, None, None, "", "no report found (no */report.yaml)",
                                    "each report is a folder with a report.yaml")])
    return folders


def load_all(folders: list[Path], langs: tuple[str, ...] | None) -> tuple[dict[str, RawReport], list[Problem]]:
    """Load and validate the given reports; raise one ContentError with all their problems."""
    reports, problems, warnings = {}, [], []
    for folder in folders:
        try:
            raw = load_report(folder)
        except ContentError as exc:
            problems.extend(exc.problems)
            continue
        reports[folder.name] = raw
        warnings.extend(raw.warnings)
        for lang in langs or ():
            if lang not in raw.languages:
                problems.append(Problem(folder / "report.yaml", None, None, "languages",
                                        f"--lang {lang}: the report does not declare this language",
                                        f"declared: {', '.join(raw.languages)}"))
    if problems:
        raise ContentError(problems)
    return reports, warnings


@contextmanager
def build_lock(output: Path):
    """One build at a time per output folder; a second one stops at once with a clear message."""
    output.mkdir(parents=True, exist_ok=True)
    with open(output / ".lock", "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise BuildError(f"another build (pid {holder}) is writing to {output}; wait for it to finish")
        handle.truncate(0)
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield
        finally:
            handle.truncate(0)


def provenance(fingerprint: str) -> dict[str, str]:
    tools = "; ".join(f"{name} {version}" for name, version in tool_versions().items())
    return {"fingerprint": fingerprint, "generator": f"reportgen {__version__}", "tools": tools}


def build_job(job: Job, output: Path, fingerprint: str) -> dict:
    """Write one document atomically; return its summary for the build report."""
    from .charts import cached_images
    from .writers import IMAGE_FORMAT, writer

    started = time.perf_counter()
    raw = _REPORTS[job.report]
    report = assemble(raw, job.lang)
    images = {chart.id: cached_images(chart, output / ".cache" / "charts")[IMAGE_FORMAT[job.fmt]]
              for chart in report.charts}
    target = output / job.filename
    with source_date_epoch(report.date):
        info = write_atomically(target, lambda tmp: writer(job.fmt)(report, tmp, images, provenance(fingerprint)))
    return {"path": str(target), "report": job.report, "lang": job.lang, "format": job.fmt,
            "fingerprint": fingerprint, "pages": info.get("pages"), "bytes": target.stat().st_size,
            "seconds": round(time.perf_counter() - started, 2), "status": "rebuilt",
            "warnings": info.get("warnings", []), "details": info.get("details", [])}


@contextmanager
def source_date_epoch(date):
    """SOURCE_DATE_EPOCH for the libraries that stamp times (fontTools stamps each font subset it writes):
    the caller's value if set, else the report's date; restored afterwards, so it never leaks into planning."""
    import calendar
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = previous or str(calendar.timegm(date.timetuple()))
    try:
        yield
    finally:
        if previous is None:
            del os.environ["SOURCE_DATE_EPOCH"]


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


def _run_one(job: Job, output: Path, fingerprint: str) -> dict:
    try:
        return build_job(job, output, fingerprint)
    except BuildError as exc:
        return {"path": str(output / job.filename), "status": "failed", "error": str(exc), "fingerprint": fingerprint}


def run(work: list[tuple[Job, str]], reports: dict[str, RawReport], output: Path, workers: int, on_done) -> list[dict]:
    """Build every (job, fingerprint); call on_done(job, summary) as each finishes; return the summaries."""
    _REPORTS.clear()
    _REPORTS.update(reports)
    summaries = []
    if workers <= 1 or len(work) <= 1:
        for job, fingerprint in work:
            summary = _run_one(job, output, fingerprint)
            on_done(job, summary)
            summaries.append(summary)
        return summaries
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=min(workers, len(work)), mp_context=context) as pool:
        futures = {pool.submit(_run_one, job, output, fingerprint): job for job, fingerprint in work}
        for future in as_completed(futures):
            job = futures[future]
            try:
                summary = future.result()
            except Exception as exc:  # a worker that died (out of memory, killed) is a failed document
                summary = {"path": str(output / job.filename), "status": "failed", "error": f"worker failed: {exc}"}
            on_done(job, summary)
            summaries.append(summary)
    return summaries


class Progress:
    """A live status line on a terminal; plain lines under cron and CI; nothing but errors when quiet."""

    def __init__(self, total: int, quiet: bool, stream=None, verbose: bool = False):
        self.total, self.quiet, self.stream, self.count = total, quiet, stream or sys.stdout, 0
        self.verbose = verbose and not quiet
        self.live = self.stream.isatty() and not quiet

    def done(self, job: Job, summary: dict) -> None:
        self.count += 1
        if summary["status"] == "failed":
            self._clear()
            print(f"build.py: error: {summary['error']}; the previous file, if any, was kept", file=sys.stderr)
            return
        for message in summary.get("warnings", []):
            self._clear()
            print(f"{job.filename}: warning: {message}", file=sys.stderr)
        if self.quiet:
            return
        pages = f"{summary['pages']} pages, " if summary.get("pages") else ""
        line = f"wrote {summary['path']} ({pages}{summary['bytes'] / 1024:.0f} KiB, {summary['seconds']:.1f} s)"
        self._clear()
        print(line, file=self.stream)
        if self.verbose:
            for detail in summary.get("details", []):
                print(f"  {detail}", file=self.stream)
        if self.live and self.count < self.total:
            print(f"[{self.count}/{self.total}] building…", end="\r", file=self.stream, flush=True)

    def _clear(self) -> None:
        if self.live:
            print(" " * 40, end="\r", file=self.stream)
