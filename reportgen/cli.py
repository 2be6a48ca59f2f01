"""Command line: parse options, call the pipeline, map outcomes to exit codes (0 ok, 1 build, 2 content/usage).

The up-to-date test runs before anything heavy is imported: a rebuild with nothing to do reads only file
bytes and the manifest, and never imports the validators, WeasyPrint, python-docx or matplotlib.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from pathlib import Path

from . import libreoffice
from . import plan as planning
from .errors import ContentError, UsageError, did_you_mean

ROOT = planning.ROOT
FORMATS = ("pdf", "docx", "html")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # usage errors exit 2, in one line
        self.print_usage(sys.stderr)
        print(f"build.py: error: {message}", file=sys.stderr)
        raise SystemExit(2)


def _csv(allowed: tuple[str, ...] | None = None):
    def parse(text: str) -> tuple[str, ...]:
        items = tuple(dict.fromkeys(item.strip() for item in text.split(",") if item.strip()))
        if not items or any(allowed and item not in allowed for item in items):
            raise argparse.ArgumentTypeError(f"expected a comma-separated list of {', '.join(allowed or ('codes',))}")
        return items
    return parse


def _shard_spec(text: str) -> str:
    try:
        k, n = (int(part) for part in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError("expected K/N, e.g. 2/4") from None
    if not 1 <= k <= n:
        raise argparse.ArgumentTypeError("K/N needs 1 <= K <= N")
    return text


def _positive(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of 1 or more, not '{text}'")
    return number


COMMANDS = """commands:
  review FILE.docx [--format json]
                        list a reviewer's comments and tracked changes in a DOCX,
                        with the content file, line and key each belongs to
  review FILE.docx --apply [--dry-run] [--format json]
                        write the tracked changes into the YAML (--dry-run: print
                        them as a diff, write nothing); list those it cannot apply
  new section ID [--report NAME]
                        add a section to report.yaml and a file for it in every language
  new language CODE TAG [--report NAME]
                        declare a language (e.g. nl nl-BE), copy the texts to translate
                        and the interface labels (templates/strings/CODE.yaml)
  new report ID [--languages en:en-US,fr:fr-BE]
                        start a new report folder under content/
  redline REV [--lang L] [--output DIR] [--report NAME]
                        write <report>.<lang>.redline.docx: today's DOCX with every text
                        change since git revision REV (HEAD~3, a tag, a hash) as Word
                        tracked changes, signed with the author and date from git
Run `build.py review --help`, `build.py new --help` or `build.py redline --help` for their options.
"""


def parser() -> argparse.ArgumentParser:
    p = _Parser(prog="build.py", description="Build the policy reports under content/ into PDF and DOCX.",
                usage="build.py [options]\n       build.py review FILE.docx [--apply [--dry-run]] [--format json]\n"
                      "       build.py new section|language|report ...\n"
                      "       build.py redline REV [--lang L] [--output DIR]", epilog=COMMANDS,
                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--lang", type=_csv(), help="languages to build, e.g. en,fr (default: all declared)")
    p.add_argument("--format", type=_csv(FORMATS), default=("pdf", "docx"),
                   help="formats: pdf,docx,html (default: pdf,docx; html is the PDF's source, for preview)")
    p.add_argument("--content", type=Path, default=ROOT / "content", help="folder of reports (default: content/)")
    p.add_argument("--output", type=Path, default=ROOT / "output", help="output folder (default: output/)")
    p.add_argument("--edition", type=_csv(),
                   help="editions to build, e.g. brief,full (default: every edition each report declares)")
    p.add_argument("--check", action="store_true", help="validate the content only; write nothing")
    p.add_argument("--strict", action="store_true",
                   help="fail on any warning (stale translations, sources never cited, ...), with or without "
                        "--check; old-figure notices never fail")
    p.add_argument("--mark-translated", metavar="LANG[:SECTION,...]",
                   help="record LANG's texts (or those of the given section files) as translated from the current "
                        "reference-language texts, in each report's translations.yaml")
    p.add_argument("--force", action="store_true", help="rebuild every document, even those up to date")
    p.add_argument("--verify-docx", action="store_true",
                   help="also lay out each DOCX edition that has a page limit (the brief) in LibreOffice and fail "
                        "it, as the PDF, when it overflows (about 1.5 s a document; for scheduled builds)")
    p.add_argument("-j", "--jobs", type=_positive, default=os.cpu_count() or 1,
                   help="documents built in parallel worker processes (default: the number of cores)")
    p.add_argument("--list-jobs", action="store_true", help="print the independent jobs as JSON and exit")
    p.add_argument("--shard", type=_shard_spec, metavar="K/N", help="build only the K-th of N shares of the jobs")
    p.add_argument("--watch", action="store_true", help="rebuild what an edit touches, until interrupted")
    p.add_argument("-q", "--quiet", action="store_true",
                   help="print only errors and warnings, and the summary line when there is something to fix or "
                        "refresh")
    p.add_argument("-v", "--verbose", action="store_true", help="print details of each step")
    return p


def main(argv: list[str]) -> int:
    """Run the command; an unexpected failure is one line (the traceback only with -v), exit code 1."""
    signal.signal(signal.SIGTERM, signal.default_int_handler)   # a plain `kill` stops cleanly, like Ctrl-C
    try:
        return _main(argv)
    except KeyboardInterrupt:
        print("build.py: interrupted; finished documents are in place, unfinished ones untouched", file=sys.stderr)
        return 1
    except UsageError as exc:
        print(f"build.py: error: {exc}", file=sys.stderr)
        return 2
    except ContentError as exc:   # wherever it is found, invalid content is reported, never an internal error
        return _report_problems(exc)
    except Exception as exc:  # noqa: BLE001 - the user gets a sentence, not a traceback
        if "-v" in argv or "--verbose" in argv:
            raise
        print(f"build.py: internal error: {type(exc).__name__}: {exc} (run with -v for details)", file=sys.stderr)
        return 1


def _main(argv: list[str]) -> int:
    if argv[:1] == ["new"]:
        from .scaffold import main as new
        return new(argv[1:], ROOT / "content")
    if argv[:1] == ["review"]:
        from .review import main as review
        return review(argv[1:], ROOT / "content")
    if argv[:1] == ["redline"]:
        from .redline import main as redline
        return redline(argv[1:], ROOT / "content")
    args = parser().parse_args(argv)
    if args.check or args.mark_translated:
        return _check(args)
    if args.watch:
        from .watch import watch
        return watch(args, build)
    return build(args)


def _say(args):
    return (lambda *a, **k: None) if args.quiet else print


def _report_problems(exc) -> int:
    for problem in exc.problems:
        print(problem, file=sys.stderr)
    print(f"{len(exc.problems)} problem(s) in the content; nothing was written.", file=sys.stderr)
    return 2


def _check(args) -> int:
    from . import findings
    from .errors import ContentError
    from .pipeline import load_all, report_folders

    say = _say(args)
    try:
        reports, _ = load_all(report_folders(args.content), args.lang)
    except ContentError as exc:
        return _report_problems(exc)
    if args.mark_translated:
        return _mark_translated(reports, args.mark_translated, say)
    found = findings.Findings()
    for raw in reports.values():
        found.merge(findings.of_report(raw, args.lang))
    for line in found.statuses:
        say(line)
    for notice in found.old_figures:
        say(notice)
    for warning in found.stale_translations + found.other:
        print(warning, file=sys.stderr)
    if _refused(args, found, "failing"):
        return 2
    say(f"content OK: {', '.join(reports)}")
    _say_summary(args, found)
    return 0


def _refused(args, found, outcome: str) -> bool:
    """--strict, the same with or without --check: any warning fails the run."""
    if args.strict and found.warnings:
        print(f"{found.summary()}; --strict: {outcome}.", file=sys.stderr)
        return True
    return False


def _say_summary(args, found) -> None:
    """The last line of every run; shown even with --quiet when there is something to refresh."""
    if found.warnings or found.count()["old figure"]:
        print(found.summary(), file=sys.stderr if args.quiet else sys.stdout)
    else:
        _say(args)(found.summary())


def _findings(args, jobs, fingerprints, loaded: dict):
    """Findings of every planned report: fresh for those validated in this run, else from the cache of the
    last validation, else validated now (the cache is per day, so date-dependent warnings stay current)."""
    from . import findings

    fingerprints_of: dict = {}
    for job in jobs:
        fingerprints_of.setdefault(job.folder, []).append(fingerprints[job])
    total, fresh, missing = findings.Findings(), {}, {}
    for folder, fps in fingerprints_of.items():
        key = findings.cache_key(folder, fps, args.lang)
        found = findings.of_report(loaded[folder.name], args.lang) if folder.name in loaded else \
            findings.cached(args.output, folder.name, key)
        if found is None:
            missing[folder] = key
            continue
        if folder.name in loaded:
            fresh[folder.name] = (key, found)
        total.merge(found)
    if missing:
        from .pipeline import load_all
        reports, _ = load_all(sorted(missing), args.lang)
        for folder, key in missing.items():
            found = findings.of_report(reports[folder.name], args.lang)
            fresh[folder.name] = (key, found)
            total.merge(found)
    if fresh:
        findings.remember(args.output, fresh)
    return total


def build(args) -> int:
    started = time.perf_counter()
    say = _say(args)
    planning.check_output(args.content, args.output)
    if args.verify_docx and not libreoffice.soffice():
        print("build.py: error: --verify-docx lays the DOCX out in LibreOffice, and `soffice` is not installed "
              "(Debian: apt-get install libreoffice-writer-nogui)", file=sys.stderr)
        return 2
    try:
        jobs = planning.plan(args.content, args.lang, args.format, args.edition)
    except ContentError as exc:   # returned, not raised: --watch reports it and keeps watching
        return _report_problems(exc)
    if args.shard:
        jobs = planning.shard(jobs, args.shard)
    output = args.output
    manifest = planning.Manifest(output)
    fingerprints = {job: planning.fingerprint(job, _layout_check(args, job)) for job in jobs}
    if args.list_jobs:
        print(json.dumps([job.describe(output, fp, manifest.is_current(job, fp, output))
                          for job, fp in fingerprints.items()], indent=2))
        return 0
    work = [(job, fp) for job, fp in fingerprints.items() if args.force or not manifest.is_current(job, fp, output)]
    if args.verbose:
        print(f"planned {len(jobs)} document(s) in {time.perf_counter() - started:.2f} s; to build: "
              f"{', '.join(job.filename for job, _ in work) or 'none'}")
    unplanned = _folders_without_jobs(args.content, jobs, args.lang, args.shard)
    if not work and not unplanned:
        if not jobs:
            print("build.py: error: nothing to build (no report declares the requested languages and editions)",
                  file=sys.stderr)
            return 2
        try:
            found = _findings(args, jobs, fingerprints, {})
        except ContentError as exc:
            return _report_problems(exc)
        say(f"up to date: {len(jobs)} document(s) in {output} ({time.perf_counter() - started:.2f} s)")
        if _refused(args, found, "failing"):
            return 2
        _say_summary(args, found)
        return 0
    return _build(args, jobs, work, manifest, fingerprints, unplanned, started)


def _layout_check(args, job) -> str:
    """A brief DOCX checked in LibreOffice is another build than an unchecked one: --verify-docx on a file
    built without it rebuilds (and so checks) it."""
    return "docx layout verified" if args.verify_docx and job.fmt == "docx" and job.definition.get("pages") else ""


def _folders_without_jobs(content: Path, jobs, langs, shard) -> list[Path]:
    """Report folders whose report.yaml could not even be read: validation must run to explain why."""
    if shard or not content.is_dir():
        return [] if content.is_dir() else [content]
    planned = {job.folder for job in jobs}
    return [p for p in sorted(content.iterdir()) if (p / "report.yaml").is_file() and p not in planned
            and langs is None]


def _build(args, jobs, work, manifest, fingerprints, unplanned, started) -> int:
    from .errors import BuildError, ContentError
    from .pipeline import Progress, build_lock, load_all, report_folders, run

    say = _say(args)
    folders = sorted({job.folder for job, _ in work} | set(unplanned))
    try:
        if not args.content.is_dir() or not folders:
            report_folders(args.content)
        loading = time.perf_counter()
        reports, _ = load_all(folders, args.lang)
        found = _findings(args, jobs, fingerprints, reports)
    except ContentError as exc:
        return _report_problems(exc)
    if args.verbose:
        files = sum(len(raw.files) for raw in reports.values())
        print(f"validated {len(reports)} report(s), {files} files, in {time.perf_counter() - loading:.2f} s; "
              f"building with {min(max(1, args.jobs), len(work))} worker(s)")
    for warning in found.other:
        print(warning, file=sys.stderr)
    for line in found.statuses:
        say(line)
    if args.strict and found.warnings:
        for warning in found.stale_translations:
            print(warning, file=sys.stderr)
    if _refused(args, found, "nothing was written"):
        return 2
    progress = Progress(len(work), args.quiet, verbose=args.verbose)
    try:
        with build_lock(args.output):
            summaries = run(work, reports, args.output, max(1, args.jobs), progress.done, args.verify_docx)
            by_file = {s["path"]: s for s in summaries}
            for job, _ in work:
                summary = by_file[str(args.output / job.filename)]
                if summary["status"] == "rebuilt":
                    manifest.record(job, summary)
            manifest.save()
            _write_build_report(args.output, fingerprints, work, by_file, manifest)
    except BuildError as exc:
        print(f"build.py: error: {exc}", file=sys.stderr)
        return 1
    failed = sum(s["status"] == "failed" for s in summaries)
    built = len(summaries) - failed
    say(f"{built} document(s) written, {len(fingerprints) - len(work)} up to date"
        + (f", {failed} failed" if failed else "") + f" ({time.perf_counter() - started:.1f} s)")
    found.other += [warning for s in summaries for warning in s.get("warnings", [])]   # printed as they came
    if _refused(args, found, "failing"):
        return 2
    _say_summary(args, found)
    # An edition that does not fit its pages is a content problem (exit 2), like invalid content.
    return max((s.get("exit_code", 1) for s in summaries if s["status"] == "failed"), default=0)


def _write_build_report(output: Path, fingerprints, work, by_file, manifest) -> None:
    rebuilt = {job for job, _ in work}
    documents = []
    for job, fp in fingerprints.items():
        path = str(output / job.filename)
        if job in rebuilt:
            entry = {k: v for k, v in by_file[path].items() if k != "warnings"}
        else:
            recorded = manifest.entries.get(job.filename, {})
            entry = {"path": path, "report": job.report, "edition": job.edition, "lang": job.lang, "format": job.fmt,
                     "fingerprint": fp,
                     "pages": recorded.get("pages"), "bytes": recorded.get("bytes"), "seconds": 0.0,
                     "status": "up to date"}
        documents.append(entry)
    planning.write_json(output / "build-report.json", {"documents": documents})


def _mark_translated(reports: dict, spec: str, say) -> int:
    """Record translations; a language or section no report has (a typo) is refused before anything is
    recorded. With several reports, the language and sections apply to the reports that have them."""
    from . import ledger

    lang, _, files = spec.partition(":")
    sections = [f.strip() for f in files.split(",") if f.strip()] or None
    translating = [raw for raw in reports.values() if lang in list(raw.languages)[1:]]
    if not translating:
        known = sorted({code for raw in reports.values() for code in list(raw.languages)[1:]})
        print(f"build.py: error: --mark-translated {spec}: no report translates into '{lang}' (translated "
              f"languages: {', '.join(known) or 'none'})", file=sys.stderr)
        return 2
    names = {raw.meta.id: list(raw.meta.sections) + list(getattr(raw.meta, "annexes", [])) for raw in translating}
    known_sections = sorted({name for values in names.values() for name in values})
    unknown = [section for section in sections or () if section not in known_sections]
    if unknown:
        suggestion = did_you_mean(unknown[0], known_sections)
        print(f"build.py: error: --mark-translated {spec}: no section {', '.join(repr(u) for u in unknown)}"
              + (f"; {suggestion}" if suggestion else "")
              + f" (sections: {', '.join(known_sections)})", file=sys.stderr)
        return 2
    for raw in translating:
        mine = [section for section in sections if section in names[raw.meta.id]] if sections else None
        if mine != []:
            count = ledger.mark(raw, lang, mine)
            say(f"{raw.meta.id}: recorded {count} {lang} texts as translated")
    return 0
