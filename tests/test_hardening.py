"""Issue 7: bad and hostile input gets a precise error, exit code 2, and never touches output/."""
from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
import unicodedata
import zipfile
from collections import Counter
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from conftest import FIXTURES, ROOT, run_build

CASES = yaml.safe_load((FIXTURES / "invalid.yaml").read_text(encoding="utf-8"))


def snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def previous_output(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("previous") / "out"
    assert run_build("--content", str(FIXTURES / "valid"), "--output", str(out)).returncode == 0
    return out


def break_report(content: Path, case: dict) -> None:
    file = content / "mini" / case["file"]
    if "replace" in case:
        old, new = case["replace"]
        text = file.read_text(encoding="utf-8")
        assert old in text, f"{case['name']}: {old!r} not in {file}"
        file.write_text(text.replace(old, new, 1), encoding="utf-8")
    elif "write" in case:
        file.write_text(case["write"], encoding="utf-8")
    elif "bytes" in case:
        file.write_bytes(case["bytes"])
    else:
        file.write_text("title: " + "x" * case["write_size"] + "\nsubtitle: s\n", encoding="utf-8")


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_bad_input_is_reported_precisely_and_output_is_untouched(case, tmp_path, previous_output):
    content = tmp_path / "content"
    shutil.copytree(FIXTURES / "valid", content)
    out = tmp_path / "out"
    shutil.copytree(previous_output, out)
    before = snapshot(out)
    break_report(content, case)
    started = time.perf_counter()
    result = run_build("--content", str(content), "--output", str(out))
    assert time.perf_counter() - started < 60          # fails fast, never hangs
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    where = f"mini/{case['file']}" + (f":{case['line']}:" if case["line"] else ":")
    assert where in result.stderr, result.stderr
    assert case["message"] in result.stderr, result.stderr
    assert snapshot(out) == before
    check = run_build("--content", str(content), "--check")
    assert check.returncode == 2 and where in check.stderr and ": error: " in check.stderr


def test_symlink_out_of_the_report_is_refused(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(FIXTURES / "valid", content)
    image = content / "mini" / "images" / "emblem.png"
    image.unlink()
    image.symlink_to("/etc/passwd")
    result = run_build("--content", str(content), "--check")
    assert result.returncode == 2 and "through a symbolic link" in result.stderr


def test_the_pdf_fetcher_refuses_the_network_and_files_outside_templates():
    from reportgen.writers.pdf import _local_fetcher
    fetcher = _local_fetcher()
    for url in ("https://example.org/logo.png", "http://169.254.169.254/", "file:///etc/passwd",
                "ftp://example.org/x"):
        with pytest.raises(ValueError, match="refused"):
            fetcher.fetch(url)
    from reportgen.writers.pdf import TEMPLATES
    assert fetcher.fetch((TEMPLATES / "print.css").as_uri()) is not None


# ---- fuzzing the whole path with random Unicode -----------------------------------------------------------

# Any character but surrogates, plus hand-picked hard cases: combining marks, right-to-left text, emoji,
# very long words, empty strings, zero-width characters, markup look-alikes.
# Half of the examples stay within the scripts the shipped fonts cover, so most reach both writers.
PRINTABLE = st.one_of(*(st.characters(min_codepoint=lo, max_codepoint=hi, exclude_categories=("Cs", "Cn"))
                        for lo, hi in [(0x20, 0x24F), (0x300, 0x36F), (0x370, 0x3FF), (0x400, 0x4FF),
                                       (0x5D0, 0x5EA), (0x621, 0x64A), (0x2000, 0x206F), (0x20A0, 0x20BF)]))
TEXT = st.text(PRINTABLE, max_size=80) | st.text(st.characters(exclude_categories=("Cs",)), max_size=60) | st.sampled_from(
    ["", "a" * 300, "e\u0301\u0302\u0303 o\u0308", "שלום עולם", "مرحبا بالعالم", "👩‍👩‍👧 🇧🇪", "x\u200bx",
     "<script>alert(1)</script> {{ 7*7 }} {% raw %}", "Ünïcödé «ça» — ‘quotes’ “here”"])
ACCEPTED_REFUSALS = ("cannot be printed", "control character", "at least 1 character", "YAML")


def write_text_into_report(folder: Path, text: str) -> None:
    for lang in ("en", "fr"):
        section = {"title": "Fuzz", "blocks": [{"p": text}]}
        (folder / lang / "second.yaml").write_text(yaml.safe_dump(section, allow_unicode=True), encoding="utf-8")


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=TEXT)
def test_random_unicode_is_refused_precisely_or_comes_out_of_both_writers(tmp_path_factory, text):
    import docx
    from pypdf import PdfReader
    from reportgen.assemble import assemble, plain
    from reportgen.errors import ContentError
    from reportgen.validate import load_report
    from reportgen.writers import docx as docx_writer, pdf as pdf_writer

    work = tmp_path_factory.mktemp("fuzz")
    shutil.copytree(FIXTURES / "valid" / "mini", work / "mini")
    write_text_into_report(work / "mini", text)
    try:
        raw = load_report(work / "mini")
    except ContentError as exc:
        event("refused by validation")
        for problem in exc.problems:
            assert problem.line and any(reason in problem.message for reason in ACCEPTED_REFUSALS), str(problem)
        return
    event("written by both writers")
    report = assemble(raw, "en")
    expected = plain(report.sections[1].blocks[0].spans)
    docx_writer.write(report, work / "f.docx")
    texts = [p.text for p in docx.Document(str(work / "f.docx")).paragraphs]
    assert expected in texts
    pdf_writer.write(report, work / "f.pdf")
    extracted = visible("".join(page.extract_text() for page in PdfReader(work / "f.pdf").pages))
    # Every letter comes back; right-to-left runs may be extracted in visual order, so compare as multisets.
    assert not Counter(visible(expected)) - Counter(extracted)


def visible(text: str) -> str:
    """What a reader can expect back from a PDF: letters and digits, normalised."""
    return "".join(c for c in unicodedata.normalize("NFKC", text) if c.isalnum())


# ---- issue 14, class 1: process faults ----------------------------------------------------------------------

def _children(pid: int) -> list[int]:
    """Live child processes of `pid`, read from /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


def _running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _wait_until(condition, seconds: float):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    return condition()


def _parallel_build(out: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(ROOT / "build.py"), "--content", str(FIXTURES / "valid"),
                             "--output", str(out), "-j", "2", "--force"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM], ids=["kill -9", "kill"])
def test_workers_die_with_their_parent_and_the_next_build_succeeds(tmp_path, how):
    out = tmp_path / "out"
    build = _parallel_build(out)
    workers = _wait_until(lambda: len(_children(build.pid)) >= 2 and _children(build.pid), 60)
    assert workers, "the build never started its two workers"
    build.send_signal(how)
    stderr = build.communicate(timeout=60)[1]
    assert _wait_until(lambda: not any(map(_running, workers)), 30), "workers outlived their parent"
    if how == signal.SIGTERM:   # handled like Ctrl-C: a sentence, exit 1, and its own temporary files removed
        assert build.returncode == 1 and "interrupted" in stderr and "Traceback" not in stderr, stderr
        assert not list(out.glob(".*.tmp"))
    (out / ".mini.en.pdf.k1ll3d.tmp").write_bytes(b"half a PDF")   # as a worker killed mid-write leaves it
    result = run_build("--content", str(FIXTURES / "valid"), "--output", str(out), "-j", "2")
    assert result.returncode == 0, result.stderr
    assert not list(out.glob(".*.tmp")) and not list((out / ".cache" / "charts").glob(".*.tmp"))
    assert len(list(out.glob("mini.*.*"))) == 4


def test_a_lock_held_by_an_orphan_of_a_dead_build_is_taken_over(tmp_path):
    """A process that inherited the lock (an orphaned worker of an older version) outlives the build whose pid
    the lock file names: the next build takes the lock over with a notice instead of failing every night."""
    out = tmp_path / "out"
    out.mkdir()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    (out / ".lock").write_text(dead)
    holder = subprocess.Popen([sys.executable, "-c", "import fcntl, sys, time\n"
                               f"f = open({str(out / '.lock')!r}, 'a'); fcntl.flock(f, fcntl.LOCK_EX)\n"
                               "print('locked', flush=True); time.sleep(120)"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        result = run_build("--content", str(FIXTURES / "valid"), "--output", str(out), "--format", "docx")
        assert result.returncode == 0, result.stderr
        assert f"pid {dead}" in result.stderr and "taking the lock over" in result.stderr
        busy = (out / ".lock").read_text()
        assert busy == ""   # released at the end
    finally:
        holder.kill()
        holder.wait()


def test_a_live_build_still_blocks_a_second_one(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    holder = subprocess.Popen([sys.executable, "-c", "import fcntl, os, time\n"
                               f"f = open({str(out / '.lock')!r}, 'a+'); fcntl.flock(f, fcntl.LOCK_EX)\n"
                               "f.write(str(os.getpid())); f.flush(); print('locked', flush=True); time.sleep(120)"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        result = run_build("--content", str(FIXTURES / "valid"), "--output", str(out), "--format", "docx")
        assert result.returncode == 1 and f"another build (pid {holder.pid})" in result.stderr, result.stderr
    finally:
        holder.kill()
        holder.wait()


# ---- issue 14, class 2: state that can rot ----------------------------------------------------------------

@pytest.fixture
def built_copy(tmp_path, previous_output) -> Path:
    out = tmp_path / "out"
    shutil.copytree(previous_output, out)
    return out


def _build_into(out: Path, *extra: str):
    return run_build("--content", str(FIXTURES / "valid"), "--output", str(out), *extra)


def test_a_corrupt_chart_cache_is_drawn_again(built_copy):
    from PIL import Image
    charts = built_copy / ".cache" / "charts"
    for cached in charts.glob("*.png"):
        cached.write_bytes(cached.read_bytes()[:100])        # truncated, as a full disk leaves it
    for cached in charts.glob("*.svg"):
        cached.write_text("<svg/>")                           # valid, but not the chart
    result = _build_into(built_copy, "--force", "--format", "docx")
    assert result.returncode == 0, result.stderr
    for cached in charts.glob("*.png"):
        Image.open(cached).load()                             # whole again
    with zipfile.ZipFile(built_copy / "mini.en.docx") as package:
        embedded = [package.read(n) for n in package.namelist() if n.startswith("word/media/")]
    assert any(len(data) > 1000 and data in {c.read_bytes() for c in charts.glob("*.png")} for data in embedded)


@pytest.mark.parametrize("manifest", ['[1, 2, 3]', '{"mini.en.pdf": "x"}', '{"mini.en.pdf": {"bytes": "9"}}',
                                      '{not json', '"text"'])
def test_a_manifest_of_the_wrong_shape_is_ignored_with_a_notice(built_copy, manifest):
    (built_copy / ".manifest.json").write_text(manifest)
    result = _build_into(built_copy)
    assert result.returncode == 0, result.stderr
    assert "notice" in result.stderr and ".manifest.json" in result.stderr and "Traceback" not in result.stderr
    assert "4 document(s) written" in result.stdout
    again = _build_into(built_copy)
    assert "up to date: 4" in again.stdout and "notice" not in again.stderr


def test_a_hand_edit_that_keeps_size_and_time_is_rebuilt(built_copy):
    document = built_copy / "mini.en.pdf"
    original = document.read_bytes()
    stat = document.stat()
    middle = len(original) // 2
    document.write_bytes(original[:middle] + bytes([original[middle] ^ 1]) + original[middle + 1:])
    os.utime(document, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert document.stat().st_size == stat.st_size
    result = _build_into(built_copy)
    assert result.returncode == 0 and "1 document(s) written" in result.stdout, result.stdout
    assert document.read_bytes() == original


@pytest.mark.parametrize("where", ["content", "content/mini", "templates", "reportgen/sub"])
def test_an_output_folder_inside_the_inputs_is_refused(tmp_path, where):
    content = tmp_path / "content"
    shutil.copytree(FIXTURES / "valid", content)
    out = content / where.removeprefix("content").lstrip("/") if where.startswith("content") else ROOT / where
    result = run_build("--content", str(content), "--output", str(out))
    assert result.returncode == 2 and "lies inside" in result.stderr and "Traceback" not in result.stderr
    assert not list(out.glob("mini.*")) and not (out / ".manifest.json").exists()


def test_an_output_that_is_a_file_is_refused(tmp_path):
    file = tmp_path / "out.pdf"
    file.write_text("not a folder")
    result = run_build("--content", str(FIXTURES / "valid"), "--output", str(file))
    assert result.returncode == 2 and "is a file" in result.stderr, result.stderr
