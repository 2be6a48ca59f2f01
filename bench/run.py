#!/usr/bin/env python3
"""Benchmark of the build: prints medians of wall time and peak memory on this machine. Not a test.

Measures: a cold full build (4 documents) with --jobs 1 and --jobs 2; a cold build of the brief edition
(its 4 documents) beside it, without and with --verify-docx, and the brief's documents against the full
report's within one cold build of both (start-up, validation and the chart are then shared, as in a real run); a no-op rebuild; a rebuild after one
French paragraph is edited; the floor, WeasyPrint alone rendering the two generated HTML files in one
process; and a scale run of N copies of the report. Prints the ratios the targets are stated in.

    .venv/bin/python bench/run.py [--runs 3] [--scale 1,4,16]
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
FLOOR = """
import sys
from weasyprint import HTML
for source, target in zip(sys.argv[1::2], sys.argv[2::2]):
    HTML(filename=source, base_url={templates!r}).write_pdf(target, pdf_variant="pdf/ua-1")
"""


# Runs a command and prints the peak RSS of its largest process (itself or a worker) as the last line.
PEAK = ("import resource, subprocess, sys; code = subprocess.call(sys.argv[1:]); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(code)")


SOURCES = """
import sys
from pathlib import Path
from reportgen.assemble import assemble
from reportgen.validate import load_report
from reportgen.writers import html
raw = load_report(Path(sys.argv[1]))
for lang in raw.languages:
    source = html.render(assemble(raw, lang), linked=True)
    Path(sys.argv[2], f"belgium.{lang}.html").write_text(source, encoding="utf-8")
"""


def timed(command: list[str]) -> tuple[float, int, subprocess.CompletedProcess]:
    """Wall seconds and the peak RSS (MiB) of the largest process the command ran."""
    started = time.perf_counter()
    result = subprocess.run([PY, "-c", PEAK, *command], capture_output=True, text=True, cwd=ROOT)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"failed: {' '.join(command)}\n{result.stderr}")
    peak = int(result.stderr.strip().splitlines()[-1]) // 1024
    return seconds, peak, result


def build(content: Path, output: Path, *extra: str) -> list[str]:
    return [PY, str(ROOT / "build.py"), "--content", str(content), "--output", str(output), "-q", *extra]


def median_of(runs: int, prepare, command, after=lambda: None) -> tuple[float, int]:
    """Median seconds and largest peak of `runs` runs; prepare() before each, after() once each has run."""
    times, peaks = [], []
    for _ in range(runs):
        prepare()
        seconds, peak, _ = timed(command())
        after()
        times.append(seconds)
        peaks.append(peak)
    return statistics.median(times), max(peaks)


def copies(work: Path, n: int) -> Path:
    content = work / f"content-{n}"
    if not content.exists():
        for i in range(n):
            shutil.copytree(ROOT / "content" / "belgium", content / f"belgium{i:02d}")
    return content


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--scale", default="1,4,16")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="reportgen-bench-"))
    content = work / "content"
    shutil.copytree(ROOT / "content", content)
    out = work / "out"
    fresh = lambda: shutil.rmtree(out, ignore_errors=True)  # noqa: E731 - cold: no manifest, no chart cache
    rows = {}

    full = ("--edition", "full")   # the report's 4 documents; the brief is measured on its own below
    rows["cold, --jobs 1"] = median_of(args.runs, fresh, lambda: build(content, out, "--jobs", "1", *full))
    rows["cold, --jobs 2"] = median_of(args.runs, fresh, lambda: build(content, out, "--jobs", "2", *full))
    rows["cold brief, --jobs 1 (4 documents)"] = median_of(
        args.runs, fresh, lambda: build(content, out, "--jobs", "1", "--edition", "brief"))
    rows["cold brief, --jobs 1, --verify-docx"] = median_of(
        args.runs, fresh, lambda: build(content, out, "--jobs", "1", "--edition", "brief", "--verify-docx"))
    editions_in_one_run = []   # (brief documents' seconds, full documents' seconds) of one cold build of both

    def record_seconds_by_edition() -> None:
        documents = json.loads((out / "build-report.json").read_text())["documents"]
        editions_in_one_run.append(tuple(sum(d["seconds"] for d in documents if d["edition"] == edition)
                                         for edition in ("brief", "full")))
    rows["cold, every edition, --jobs 1"] = median_of(args.runs, fresh, lambda: build(content, out, "--jobs", "1"),
                                                      after=record_seconds_by_edition)
    build_all = lambda: subprocess.run(build(content, out), check=True, cwd=ROOT)  # noqa: E731 - every edition
    rows["no-op rebuild"] = median_of(args.runs, build_all, lambda: build(content, out))

    preface = content / "belgium" / "fr" / "preface.yaml"
    original = preface.read_text(encoding="utf-8")
    state = {"n": 0}

    def edit_one_paragraph() -> None:
        state["n"] += 1
        preface.write_text(original.replace("title:", f"# edit {state['n']}\ntitle:", 1), encoding="utf-8")

    rows["one French paragraph edited"] = median_of(args.runs, edit_one_paragraph, lambda: build(content, out))
    statuses = {Path(d["path"]).name: d["status"]
                for d in json.loads((out / "build-report.json").read_text())["documents"]}

    # The floor renders exactly the HTML the PDF writer hands WeasyPrint (stylesheet and fonts linked from
    # templates/, charts inline), not the self-contained preview of --format html, whose inlined fonts cost more.
    html = work / "html"
    html.mkdir()
    subprocess.run([PY, "-c", SOURCES, str(content / "belgium"), str(html)], check=True, cwd=ROOT)
    floor_script = FLOOR.format(templates=str(ROOT / "templates") + "/")
    pairs = []
    for lang in ("en", "fr"):
        pairs += [str(html / f"belgium.{lang}.html"), str(work / f"floor.{lang}.pdf")]
    rows["floor: WeasyPrint alone, 2 HTML files"] = median_of(args.runs, lambda: None,
                                                             lambda: [PY, "-c", floor_script, *pairs])

    print(f"\nreportgen benchmark ({args.runs} runs each, medians; peak = largest process RSS)\n")
    print(f"{'measure':44} {'seconds':>8} {'peak MiB':>9}")
    for name, (seconds, peak) in rows.items():
        print(f"{name:44} {seconds:8.2f} {peak:9d}")
    print(f"\none French edit rebuilt: {', '.join(n for n, s in sorted(statuses.items()) if s == 'rebuilt')}")

    floor = rows["floor: WeasyPrint alone, 2 HTML files"][0]
    print(f"\nfull build / floor, --jobs 1: {rows['cold, --jobs 1'][0] / floor:.2f}   (target <= 1.30)")
    print(f"full build / floor, --jobs 2: {rows['cold, --jobs 2'][0] / floor:.2f}   (target <= 0.75)")
    print(f"jobs-2 / jobs-1:              {rows['cold, --jobs 2'][0] / rows['cold, --jobs 1'][0]:.2f}")
    print(f"no-op rebuild:                {rows['no-op rebuild'][0]:.2f} s (target < 0.5 s)")
    brief = rows["cold brief, --jobs 1 (4 documents)"][0] / rows["cold, --jobs 1"][0]
    print(f"brief / full report, cold, --jobs 1: {brief:.2f}   (target <= 0.25)")
    verified = rows["cold brief, --jobs 1, --verify-docx"][0] / rows["cold, --jobs 1"][0]
    print(f"  the same with --verify-docx (Word fit laid out in LibreOffice): {verified:.2f}")
    within = statistics.median(brief_s / full_s for brief_s, full_s in editions_in_one_run)
    print(f"brief / full report, its own documents' seconds in one cold build of both, --jobs 1: {within:.2f}"
          "   (target <= 0.25)")

    print("\nscale: N copies of the report (4 documents each), one cold run each")
    print(f"{'N':>3} {'jobs':>4} {'seconds':>8} {'s/document':>11} {'peak MiB':>9}")
    per_doc = {}
    for n in (int(x) for x in args.scale.split(",")):
        scaled = copies(work, n)
        for jobs in (1, 2):
            target = work / f"scale-{n}-{jobs}"
            shutil.rmtree(target, ignore_errors=True)
            seconds, peak, _ = timed(build(scaled, target, "--jobs", str(jobs), *full))
            per_doc[(n, jobs)] = seconds / (4 * n)
            print(f"{n:3d} {jobs:4d} {seconds:8.1f} {per_doc[(n, jobs)]:11.2f} {peak:9d}")
    ns = sorted({n for n, _ in per_doc})
    for jobs in (1, 2):
        base = per_doc[(ns[0], jobs)]
        spread = ", ".join(f"N={n}: {per_doc[(n, jobs)] / base:.2f}" for n in ns)
        print(f"time per document relative to N={ns[0]}, --jobs {jobs}: {spread}   (target within 0.85-1.15)")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
