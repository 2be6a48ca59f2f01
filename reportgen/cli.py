"""Command line: parse options, call the pipeline, map outcomes to exit codes (0 ok, 1 build, 2 content/usage)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .errors import BuildError, ContentError
from . import ledger
from .pipeline import Options, build_job, load_all, plan
from .validate import stale_figures

ROOT = Path(__file__).resolve().parent.parent
FORMATS = ("pdf", "docx", "html")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # usage errors exit 2, as argparse does, but in one line
        self.print_usage(sys.stderr)
        print(f"build.py: error: {message}", file=sys.stderr)
        raise SystemExit(2)


def _csv(allowed: tuple[str, ...] | None = None):
    def parse(text: str) -> tuple[str, ...]:
        items = tuple(dict.fromkeys(item.strip() for item in text.split(",") if item.strip()))
        bad = [item for item in items if allowed and item not in allowed]
        if bad or not items:
            raise argparse.ArgumentTypeError(f"expected a comma-separated list of {', '.join(allowed or ('codes',))}")
        return items
    return parse


def parser() -> argparse.ArgumentParser:
    p = _Parser(prog="build.py", description="Build the policy reports under content/ into PDF and DOCX.")
    p.add_argument("--lang", type=_csv(), help="languages to build, e.g. en,fr (default: all declared)")
    p.add_argument("--format", type=_csv(FORMATS), default=("pdf", "docx"),
                   help="formats: pdf,docx,html (default: pdf,docx; html is the PDF's source, for preview)")
    p.add_argument("--content", type=Path, default=ROOT / "content", help="folder of reports (default: content/)")
    p.add_argument("--output", type=Path, default=ROOT / "output", help="output folder (default: output/)")
    p.add_argument("--check", action="store_true", help="validate the content only; write nothing")
    p.add_argument("--strict", action="store_true", help="treat warnings (stale translations, unused sources) as errors")
    p.add_argument("--mark-translated", metavar="LANG[:SECTION,...]",
                   help="record LANG's texts (or those of the given section files) as translated from the current "
                        "reference-language texts, in each report's translations.yaml")
    p.add_argument("-q", "--quiet", action="store_true", help="print only errors")
    p.add_argument("-v", "--verbose", action="store_true", help="print details of each step")
    return p


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    options = Options(args.content, args.output, args.lang, args.format)
    say = (lambda *a: None) if args.quiet else print
    try:
        reports, warnings = load_all(options)
    except ContentError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"{len(exc.problems)} problem(s) in the content; nothing was written.", file=sys.stderr)
        return 2
    if args.mark_translated:
        return _mark_translated(reports, args.mark_translated, say)
    warnings += _translation_report(reports, detailed=args.check, say=say)
    if args.check:
        for name, raw in reports.items():
            for notice in stale_figures(raw):
                say(notice)
    for warning in warnings:
        print(warning, file=sys.stderr)
    if args.strict and warnings:
        print(f"{len(warnings)} warning(s) and --strict: nothing was written.", file=sys.stderr)
        return 2
    if args.check:
        say(f"content OK: {', '.join(reports)} ({len(warnings)} warning(s))")
        return 0
    failures = 0
    models: dict = {}
    images: dict = {}
    for job in plan(reports, options):
        try:
            summary = build_job(reports[job.report], job, options.output, models, images)
        except BuildError as exc:
            failures += 1
            print(f"build.py: error: {exc}; the previous file, if any, was kept", file=sys.stderr)
            continue
        for message in summary["warnings"]:
            print(f"{job.filename}: warning: {message}", file=sys.stderr)
        pages = f"{summary['pages']} pages, " if summary["pages"] else ""
        say(f"wrote {summary['path']} ({pages}{summary['bytes'] / 1024:.0f} KiB, {summary['seconds']:.1f} s)")
    return 1 if failures else 0


def _translation_report(reports: dict, detailed: bool, say) -> list:
    """Summaries of each translation's state; the stale texts themselves as warnings when `detailed`."""
    stale = []
    for raw in reports.values():
        if len(raw.languages) < 2:
            continue
        for state in ledger.status(raw):
            if detailed or state.stale:
                say(f"{raw.meta.id}: translation {state.summary()}")
            stale.extend(state.stale)
    return stale if detailed else []


def _mark_translated(reports: dict, spec: str, say) -> int:
    lang, _, files = spec.partition(":")
    sections = [f.strip() for f in files.split(",") if f.strip()] or None
    for raw in reports.values():
        if lang not in raw.languages or lang == next(iter(raw.languages)):
            print(f"build.py: error: {raw.meta.id}: '{lang}' is not a translated language of this report",
                  file=sys.stderr)
            return 2
        count = ledger.mark(raw, lang, sections)
        say(f"{raw.meta.id}: recorded {count} {lang} texts as translated")
    return 0
