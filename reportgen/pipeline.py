"""Validate, then build documents (in worker processes when asked) and put each in place atomically.

Like MkDocs' build(): every report that has work is loaded and validated first, and only then is anything
written, so nothing is written from an inconsistent state. A document is written to a temporary file beside
its target and renamed into place, so a failure leaves the previous file untouched.
"""
from __future__ import annotations

import ctypes
import fcntl
import multiprocessing
import os
import signal
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager, suppress
from pathlib import Path

from . import __version__
from . import editions
from .errors import BuildError, ContentError, Problem
from .plan import TEMPORARY, Job, file_digest, tool_versions
from .validate import RawReport, load_report

_REPORTS: dict[str, RawReport] = {}   # set before workers fork, so they inherit the validated content
_VERIFY_DOCX_FIT = False               # --verify-docx, set the same way


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
            raw = load_report(folder, langs)
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
        problems.extend(problem for lang in raw.languages
                        for problem in anchor_problems(_assembled(raw, lang), raw.folder.parent))
    if problems:
        raise ContentError(problems)
    return reports, warnings


_ASSEMBLED: dict[tuple, object] = {}   # (report folder, language, edition) -> document tree, inherited by workers


def _assembled(raw: RawReport, lang: str, edition: str = editions.FULL):
    key = (str(raw.folder), lang, edition)
    if key not in _ASSEMBLED or _ASSEMBLED[key][0] is not raw:
        _ASSEMBLED[key] = (raw, editions.assemble(raw, lang, edition))
    return _ASSEMBLED[key][1]


RESERVED_ANCHORS = ("toc-title", "sources")   # element ids the report template itself uses


def anchor_problems(report, root: Path) -> list[Problem]:
    """Every anchor of a document, explicit id or generated name ('<section>-<n>', 'source-<n>'), and its Word
    bookmark must be unique: a clash sends a cross-reference, a bookmark or a review comment to the wrong block."""
    from .model import walk
    from .writers.docx import bookmark_name

    taken: dict[str, tuple[str, object]] = {}   # anchor or bookmark -> (anchor, origin of its owner)
    for anchor in RESERVED_ANCHORS + tuple(f"source-{source.number}" for source in report.sources):
        taken[anchor] = taken[bookmark_name(anchor)] = (anchor, None)
    problems = []
    for anchor, origin in _anchors(walk(report.sections)):
        for key in dict.fromkeys((anchor, bookmark_name(anchor))):
            if key in taken:
                problems.append(_clash(root, anchor, origin, *taken[key]))
                break
        else:
            taken[anchor] = taken[bookmark_name(anchor)] = (anchor, origin)
    return problems


def _anchors(nodes, origin=None):
    """(anchor, origin) of every section, block and anchored item, in reading order."""
    for node in nodes:
        own = getattr(node, "origin", None) or origin
        anchor = getattr(node, "anchor", None) or (getattr(node, "id", None) if hasattr(node, "level") else None)
        if anchor:
            yield anchor, own
        for children in ("blocks", "items"):
            inner = getattr(node, children, ())
            yield from _anchors([child for child in inner if hasattr(child, "__dataclass_fields__")], own)


def _clash(root: Path, anchor: str, origin, first: str, first_origin) -> Problem:
    def where(place):
        return f"{place.file} line {place.line} ({place.key})" if place else "the report's own template"
    same = "the same id" if anchor == first else f"'{first}', the same Word bookmark after shortening"
    return Problem(root / origin.file, origin.line, None, origin.key,
                   f"id '{anchor}' clashes with {same}, used by {where(first_origin)}",
                   "ids of sections, tables, figures and recommendations must differ from each other and from "
                   "the generated names '<section id>-<n>' (the n-th block) and 'source-<n>': choose another id")


_LOCK_FDS: list[int] = []   # the lock's descriptor, which worker processes close (they must not hold the lock)


@contextmanager
def build_lock(output: Path, notice=None):
    """One build at a time per output folder; a second one stops at once with a clear message.

    The lock is an flock on output/.lock, released by the kernel when its holder dies, so a killed build
    never blocks the next one; the pid written inside only names the holder. Whoever takes the lock removes
    the temporary files a killed build left behind, on the way in and on the way out.
    """
    notice = notice or (lambda message: print(f"build.py: notice: {message}", file=sys.stderr))
    output.mkdir(parents=True, exist_ok=True)
    handle = _acquire(output / ".lock", notice)
    _LOCK_FDS.append(handle.fileno())
    try:
        remove_temporaries(output)
        yield
    finally:
        _LOCK_FDS.remove(handle.fileno())
        remove_temporaries(output)
        handle.truncate(0)
        handle.close()


def _acquire(file: Path, notice):
    for attempt in range(2):
        handle = open(file, "a+", encoding="utf-8")
        holder = _holder(handle)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if holder is None or _alive(holder) or attempt:
                handle.close()
                raise BuildError(f"another build (pid {holder or 'unknown'}) is writing to {file.parent}; "
                                 "wait for it to finish") from None
            # Its owner is gone, yet a process it left (an orphaned worker) still holds the lock: start a new
            # lock file, unless another build already did.
            notice(f"{file}: its owner (pid {holder}) is no longer running; taking the lock over")
            with suppress(FileNotFoundError):
                if os.stat(file).st_ino == os.fstat(handle.fileno()).st_ino:
                    file.unlink()
            handle.close()
            continue
        if holder and holder != os.getpid():
            notice(f"the previous build (pid {holder}) did not finish; removing what it left behind")
        handle.truncate(0)
        handle.write(str(os.getpid()))
        handle.flush()
        return handle
    raise AssertionError("unreachable")


def _holder(handle) -> int | None:
    handle.seek(0)
    text = handle.read(32).strip()
    return int(text) if text.isdigit() else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_temporaries(output: Path) -> None:
    """Remove the temporary files of earlier, killed builds (call only while holding the lock)."""
    for folder in (output, output / ".cache" / "charts"):
        for stale in folder.glob(f".*{TEMPORARY}"):
            stale.unlink(missing_ok=True)


def provenance(fingerprint: str) -> dict[str, str]:
    tools = "; ".join(f"{name} {version}" for name, version in tool_versions().items())
    return {"fingerprint": fingerprint, "generator": f"reportgen {__version__}", "tools": tools}


def build_job(job: Job, output: Path, fingerprint: str) -> dict:
    """Write one document atomically; return its summary for the build report."""
    from .charts import cached_images
    from .writers import IMAGE_FORMAT, writer

    started = time.perf_counter()
    raw = _REPORTS[job.report]
    report = _assembled(raw, job.lang, job.edition)
    images = {chart.id: cached_images(chart, output / ".cache" / "charts")[IMAGE_FORMAT[job.fmt]]
              for chart in report.charts}
    target = output / job.filename
    options = {"verify_fit": True} if job.fmt == "docx" and _VERIFY_DOCX_FIT else {}
    with source_date_epoch(report.date):
        info = write_atomically(target, lambda tmp: writer(job.fmt)(report, tmp, images, provenance(fingerprint),
                                                                    **options))
    return {"path": str(target), "report": job.report, "edition": job.edition, "lang": job.lang, "format": job.fmt,
            "fingerprint": fingerprint, "pages": info.get("pages"), "bytes": target.stat().st_size,
            "sha256": file_digest(target),
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
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=TEMPORARY, dir=target.parent)
    os.close(handle)
    tmp = Path(name)
    try:
        info = write(tmp) or {}
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
        return info
    except BuildError:   # already says which document and why (e.g. an edition that does not fit)
        raise
    except Exception as exc:
        raise BuildError(f"{target.name}: {type(exc).__name__}: {exc or 'no details given'}") from exc
    finally:
        tmp.unlink(missing_ok=True)


def _run_one(job: Job, output: Path, fingerprint: str) -> dict:
    try:
        return build_job(job, output, fingerprint)
    except BuildError as exc:
        return {"path": str(output / job.filename), "status": "failed", "error": str(exc), "fingerprint": fingerprint,
                "exit_code": getattr(exc, "exit_code", 1)}


def run(work: list[tuple[Job, str]], reports: dict[str, RawReport], output: Path, workers: int, on_done,
        verify_docx: bool = False) -> list[dict]:
    """Build every (job, fingerprint); call on_done(job, summary) as each finishes; return the summaries.
    verify_docx: lay out each DOCX edition with a page limit in LibreOffice and fail it if it overflows."""
    global _VERIFY_DOCX_FIT
    _REPORTS.clear()
    _REPORTS.update(reports)
    _VERIFY_DOCX_FIT = verify_docx   # read by build_job in this process or in the forked workers
    summaries = []
    if workers <= 1 or len(work) <= 1:
        for job, fingerprint in work:
            summary = _run_one(job, output, fingerprint)
            on_done(job, summary)
            summaries.append(summary)
        return summaries
    context = multiprocessing.get_context("fork")
    pool = ProcessPoolExecutor(max_workers=min(workers, len(work)), mp_context=context,
                               initializer=_worker_started, initargs=(os.getpid(), tuple(_LOCK_FDS)))
    try:
        futures = {pool.submit(_run_one, job, output, fingerprint): job for job, fingerprint in work}
        for future in as_completed(futures):
            job = futures[future]
            try:
                summary = future.result()
            except Exception as exc:  # a worker that died (out of memory, killed) is a failed document
                summary = {"path": str(output / job.filename), "status": "failed", "error": f"worker failed: {exc}"}
            on_done(job, summary)
            summaries.append(summary)
    except BaseException:   # Ctrl-C, SIGTERM or a bug: stop the workers now rather than after their jobs
        for process in multiprocessing.active_children():
            process.kill()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown()
    return summaries


PR_SET_PDEATHSIG = 1


def _worker_started(parent: int, lock_fds: tuple[int, ...]) -> None:
    """In each worker: die with the parent, leave signals to it, and do not hold the build lock."""
    for fd in lock_fds:   # an orphaned worker holding the inherited lock would block every later build
        with suppress(OSError):
            os.close(fd)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # the parent handles Ctrl-C and stops the workers
    try:
        if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL) != 0:
            raise OSError(ctypes.get_errno(), "prctl")
    except (OSError, AttributeError):   # not Linux: watch the parent instead
        threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()
    if os.getppid() != parent:   # the parent died before prctl took effect
        os._exit(1)


def _exit_with_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(1)


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
        count = summary.get("pages")
        pages = f"{count} page{'s' if count != 1 else ''}, " if count else ""
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
