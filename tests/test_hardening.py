"""Issue 7: bad and hostile input gets a precise error, exit code 2, and never touches output/."""
from __future__ import annotations

import hashlib
import os
import re
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
    elif "write_nested" in case:
        file.write_text("title: " + "[" * case["write_nested"] + "]" * case["write_nested"] + "\n", encoding="utf-8")
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
ACCEPTED_REFUSALS = ("cannot be printed", "control character", "at least 1 character", "YAML", "link target")


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
    if how == signal.SIGKILL:   # the lock still names the killed build: the next one says it takes over
        assert f"previous build (pid {build.pid}) did not finish" in result.stderr, result.stderr
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


# ---- issue 14, class 3: limits on every command -----------------------------------------------------------

def run_limited(*args: str, memory: int = 2 << 30) -> subprocess.CompletedProcess:
    """build.py with its address space capped (a wide margin: a normal run needs a few hundred MB)."""
    import resource
    limit = lambda: resource.setrlimit(resource.RLIMIT_AS, (memory, memory))  # noqa: E731
    return subprocess.run([sys.executable, str(ROOT / "build.py"), *args], capture_output=True, text=True,
                          timeout=120, preexec_fn=limit)


def test_a_huge_stray_file_in_a_report_folder_is_refused_without_being_read(tmp_path, previous_output):
    content = tmp_path / "content"
    shutil.copytree(FIXTURES / "valid", content)
    out = tmp_path / "out"
    shutil.copytree(previous_output, out)
    with open(content / "mini" / "dump.bin", "wb") as stray:
        stray.truncate(3 << 30)                          # 3 GB, sparse: costs nothing unless it is read
    started = time.perf_counter()
    result = run_limited("--content", str(content), "--output", str(out), memory=1 << 30)
    assert time.perf_counter() - started < 30
    assert result.returncode == 2 and "mini/dump.bin" in result.stderr and "over the limit" in result.stderr, \
        result.stderr


@pytest.fixture(scope="module")
def reviewed_docx(tmp_path_factory, previous_output) -> Path:
    from test_docx import add_review_marks
    target = tmp_path_factory.mktemp("reviewed") / "mini.en.reviewed.docx"
    add_review_marks(previous_output / "mini.en.docx", target)
    return target


def rezip(source: Path, target: Path, replace: dict[str, bytes]) -> None:
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for item in old.infolist():
            new.writestr(item.filename, replace.get(item.filename, old.read(item.filename)))
        for name in set(replace) - set(old.namelist()):
            new.writestr(name, replace[name])


def review(path: Path, memory: int = 1 << 30) -> subprocess.CompletedProcess:
    return run_limited("review", str(path), "--content", str(FIXTURES / "valid"), memory=memory)


@pytest.mark.parametrize("special", ["/dev/zero", "fifo", "folder"])
def test_review_reads_only_regular_files(tmp_path, special):
    path = {"/dev/zero": Path("/dev/zero"), "folder": tmp_path}.get(special, tmp_path / "pipe.docx")
    if special == "fifo":
        os.mkfifo(path)                                   # no writer: opening it for reading would wait forever
    result = review(path)
    assert result.returncode == 2 and "not a regular file" in result.stderr, result.stderr


def test_review_refuses_a_zip_bomb_before_inflating_it(tmp_path, reviewed_docx):
    bomb = tmp_path / "bomb.docx"
    with zipfile.ZipFile(reviewed_docx) as package:
        document = package.read("word/document.xml")
    padding = b"<w:p/>" * (60_000_000 // 6)                # 60 MB of XML that deflates about 1000 times
    rezip(reviewed_docx, bomb, {"word/document.xml": document.replace(b"</w:body>", padding + b"</w:body>")})
    assert bomb.stat().st_size < 1_000_000
    result = review(bomb, memory=600 << 20)
    assert result.returncode == 2 and "inflates" in result.stderr, result.stderr


def test_review_of_20000_unclosed_comment_ranges_stays_small(tmp_path, reviewed_docx):
    crowded = tmp_path / "crowded.docx"
    with zipfile.ZipFile(reviewed_docx) as package:
        document = package.read("word/document.xml")
    starts = b"".join(b'<w:commentRangeStart w:id="%d"/>' % n for n in range(10_000, 30_000))
    text = b"<w:p><w:r><w:t>" + b"words " * 20 + b"</w:t></w:r></w:p>"
    body = b"<w:p>" + starts + b"</w:p>" + text * 20_000
    rezip(reviewed_docx, crowded, {"word/document.xml": document.replace(b"</w:body>", body + b"</w:body>")})
    started = time.perf_counter()
    result = review(crowded, memory=1 << 30)
    assert time.perf_counter() - started < 60
    assert result.returncode == 0 and "3 remark(s)" in result.stderr, result.stderr


def test_review_of_a_document_naming_another_language_or_a_path_is_refused(tmp_path, reviewed_docx):
    for identifier, message in (("mini.de", "does not declare"), ("../../etc/mini.en", "not a report folder"),
                                ("/etc.en", "not a report folder")):
        with zipfile.ZipFile(reviewed_docx) as package:
            core = package.read("docProps/core.xml").decode()
        changed = re.sub(r"<dc:identifier>[^<]*</dc:identifier>", f"<dc:identifier>{identifier}</dc:identifier>",
                         core)
        assert changed != core
        target = tmp_path / "renamed.docx"
        rezip(reviewed_docx, target, {"docProps/core.xml": changed.encode()})
        result = review(target)
        assert result.returncode == 2 and message in result.stderr and "internal error" not in result.stderr, \
            (identifier, result.stderr)


MUTATIONS = st.lists(st.tuples(st.sampled_from(["flip", "cut", "insert", "xml"]), st.integers(0, 1 << 30),
                               st.binary(min_size=1, max_size=64)), min_size=1, max_size=4)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutations=MUTATIONS)
def test_review_of_a_mutated_reviewed_docx_ends_in_remarks_or_a_located_error(reviewed_docx, tmp_path_factory,
                                                                              mutations):
    """Random damage to the zip bytes or to the XML inside: `review` lists remarks or says why it can't, exit 0,
    1 (a remark it cannot place) or 2, never an internal error or a traceback."""
    import contextlib
    import io
    from reportgen.cli import main
    data = reviewed_docx.read_bytes()
    with zipfile.ZipFile(reviewed_docx) as package:
        xml = package.read("word/document.xml")
    for kind, where, payload in mutations:
        if kind == "xml":                                    # damage the XML, keep a valid zip
            at = where % len(xml)
            xml = xml[:at] + payload + xml[at + len(payload) // 2:]
            continue
        if not data:                                         # cut to nothing: no byte left to damage
            break
        at = where % len(data)
        data = {"flip": lambda: data[:at] + bytes([data[at] ^ payload[0]]) + data[at + 1:],
                "cut": lambda: data[:at], "insert": lambda: data[:at] + payload + data[at:]}[kind]()
    work = tmp_path_factory.mktemp("fuzz-review")
    damaged = work / "mini.en.docx"
    if any(kind == "xml" for kind, _, _ in mutations):
        rezip(reviewed_docx, damaged, {"word/document.xml": xml})
        event("XML damaged")
    else:
        damaged.write_bytes(data)
        event("zip bytes damaged")
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["review", str(damaged), "--content", str(FIXTURES / "valid")])
    event(f"exit {code}")
    assert code in (0, 1, 2), err.getvalue()
    assert "internal error" not in err.getvalue()


# ---- issue 14, class 4: no wrong output with exit 0 ------------------------------------------------------

def _png_claiming(width: int, height: int) -> bytes:
    """A small valid PNG whose header claims another size: decoders believe the header."""
    import struct
    import zlib
    data = (FIXTURES / "valid" / "mini" / "images" / "emblem.png").read_bytes()
    header = b"IHDR" + struct.pack(">II", width, height) + data[24:29]
    return data[:12] + header + struct.pack(">I", zlib.crc32(header)) + data[33:]


@pytest.mark.parametrize("damage, message", [
    (lambda png: png[: len(png) // 2], "cannot be decoded"),
    (lambda png: _png_claiming(30_000, 30_000), "over the limit of 25,000,000"),
    (lambda png: _png_claiming(12_000, 100), "12000 x 100 pixels, over the limit"),
    (lambda png: png[:8] + b"\0" * 200, "cannot be decoded"),
], ids=["truncated", "pixel bomb", "too wide", "garbage after the signature"])
def test_images_are_decoded_at_validation(content_copy, tmp_path, damage, message):
    image = content_copy / "mini" / "images" / "emblem.png"
    image.write_bytes(damage(image.read_bytes()))
    result = run_build("--content", str(content_copy), "--output", str(tmp_path / "out"))
    assert result.returncode == 2 and "mini/en/second.yaml:15" in result.stderr and message in result.stderr, \
        result.stderr
    assert not (tmp_path / "out").exists()


def test_an_image_symlink_loop_is_a_located_error(content_copy):
    image = content_copy / "mini" / "images" / "emblem.png"
    image.unlink()
    image.symlink_to(image.name)
    result = run_build("--content", str(content_copy), "--check")
    assert result.returncode == 2 and "mini/en/second.yaml:15" in result.stderr and "loop" in result.stderr, \
        result.stderr


def test_chart_labels_are_drawn_literally():
    import matplotlib
    from reportgen.charts import _matplotlib, render
    from reportgen.model import Chart, ChartPoint
    _matplotlib()
    chart = Chart("c", "bar", "USD", (ChartPoint("$5 or $6", 5.0, "$5"), ChartPoint("x_1^2", 6.0, "$6")), (), "en")
    with matplotlib.rc_context({"svg.fonttype": "none"}):   # text as text, to read it back
        svg = render(chart)["svg"].decode()
    assert "$5 or $6" in svg and "x_1^2" in svg


def rename_ids(content: Path, renames: dict[str, str]) -> None:
    """Rename ids in every language, references included, so only the renaming itself can be wrong."""
    for file in (content / "mini").glob("*/*.yaml"):
        text = file.read_text(encoding="utf-8")
        for old, new in renames.items():
            text = text.replace(old, new)
        file.write_text(text, encoding="utf-8")


@pytest.mark.parametrize("old, new, line", [("money-table", "first-2", 3), ("first-detail", "source-1", 14),
                                            ("rec-talks", "second-2", 20)],
                         ids=["table id = a block's generated name", "section id = a source's anchor",
                              "recommendation id = a block's generated name"])
def test_an_id_equal_to_another_or_to_a_generated_name_is_refused(content_copy, tmp_path, old, new, line):
    rename_ids(content_copy, {old: new})
    result = run_build("--content", str(content_copy), "--output", str(tmp_path / "out"))
    file = "second" if old != "first-detail" else "first"
    assert result.returncode == 2 and f"mini/en/{file}.yaml:{line}:" in result.stderr, result.stderr
    assert f"'{new}'" in result.stderr and "Traceback" not in result.stderr


def test_long_ids_sharing_their_beginning_get_distinct_bookmarks(content_copy, tmp_path):
    import docx
    from docx.oxml.ns import qn
    long_ids = {"first-detail": "a-very-long-identifier-that-goes-on-and-on-one",
                "money-table": "a-very-long-identifier-that-goes-on-and-on-two"}
    rename_ids(content_copy, long_ids)
    result = run_build("--content", str(content_copy), "--output", str(tmp_path), "--format", "docx")
    assert result.returncode == 0, result.stderr
    body = docx.Document(str(tmp_path / "mini.en.docx")).element.body
    names = [mark.get(qn("w:name")) for mark in body.iter(qn("w:bookmarkStart"))]
    assert len(names) == len(set(names)) and all(len(name) <= 40 for name in names)
    links = {link.get(qn("w:anchor")) for link in body.iter(qn("w:hyperlink")) if link.get(qn("w:anchor"))}
    assert links <= set(names)
    from reportgen.writers.docx import bookmark_name
    one, two = (bookmark_name(i) for i in long_ids.values())
    assert one != two and one[:31] == two[:31] and {one, two} <= set(names)


def test_a_report_that_cannot_be_read_fails_every_run(content_copy, tmp_path):
    broken = content_copy / "broken"
    shutil.copytree(content_copy / "mini", broken)
    (broken / "report.yaml").write_text("languages: {en: en-US\n")
    for options in ([], ["--lang", "en"], ["--shard", "1/2"], ["--shard", "2/2"], ["--list-jobs"]):
        result = run_build("--content", str(content_copy), "--output", str(tmp_path / "out"), *options)
        assert result.returncode == 2 and "broken/report.yaml:" in result.stderr, (options, result.stderr)


# ---- issue 14, class 6: every failure located ---------------------------------------------------------------

@pytest.mark.parametrize("command", [["--check"], [], ["--mark-translated", "fr"]])
def test_conflict_markers_in_translations_yaml_are_located(content_copy, tmp_path, command):
    ledger = content_copy / "mini" / "translations.yaml"
    ledger.write_text("# ledger\n<<<<<<< HEAD\nfr: {}\n=======\nfr: {first/title: abc}\n>>>>>>> theirs\n")
    result = run_build("--content", str(content_copy), "--output", str(tmp_path / "out"), *command)
    assert result.returncode == 2, result.stderr
    assert "mini/translations.yaml:2:1: error: unresolved merge conflict" in result.stderr, result.stderr
    assert "internal error" not in result.stderr


def test_a_translation_ledger_of_the_wrong_shape_is_located(content_copy):
    (content_copy / "mini" / "translations.yaml").write_text("- just\n- a list\n")
    result = run_build("--content", str(content_copy), "--check")
    assert result.returncode == 2 and "mini/translations.yaml:1" in result.stderr and "expected a mapping" in \
        result.stderr, result.stderr


# ---- issue 14, class 7: reproducible over time ----------------------------------------------------------------

def _locked() -> dict[str, tuple[str, int]]:
    """requirements.lock: normalised name -> (version, number of hashes)."""
    text = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    entries = re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)((?:\s*\\\n\s*--hash=sha256:[0-9a-f]{64})*)", text, re.MULTILINE)
    return {_normalised(name): (version, hashes.count("--hash=")) for name, version, hashes in entries}


def _normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_the_lock_file_pins_every_pin_of_pyproject_with_hashes():
    import tomllib
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pins = [*project["dependencies"], *(d for deps in project["optional-dependencies"].values() for d in deps)]
    locked = _locked()
    assert len(locked) > len(pins)                       # the transitive packages are there too
    for pin in pins:
        name, _, version = pin.partition("==")
        assert version, f"{pin}: pyproject.toml pins every direct dependency exactly"
        assert locked.get(_normalised(name), ("absent",))[0] == version, \
            f"{pin}: requirements.lock differs; run the pip-compile command at its top"
    assert all(count >= 1 for _, count in locked.values())
    assert "--extra-index-url" not in (ROOT / "requirements.lock").read_text() and "file:" not in \
        (ROOT / "requirements.lock").read_text()


def test_the_environment_is_the_locked_one():
    from importlib import metadata
    different = {name: (version, metadata.version(name)) for name, (version, _) in _locked().items()
                 if metadata.version(name) != version}
    assert not different, f"installed versions differ from requirements.lock (run make): {different}"


@pytest.mark.parametrize("value", ["yesterday", "-1", "1.5", "253402300800", " 17"])
def test_a_malformed_source_date_epoch_is_a_usage_error(tmp_path, value):
    result = subprocess.run([sys.executable, str(ROOT / "build.py"), "--content", str(FIXTURES / "valid"),
                             "--output", str(tmp_path / "out")], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "SOURCE_DATE_EPOCH": value})
    assert result.returncode == 2 and "SOURCE_DATE_EPOCH" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_source_date_epoch_sets_the_files_timestamps_not_the_printed_date(tmp_path):
    import datetime as dt
    import docx
    from pypdf import PdfReader
    epoch = 1_700_000_000                                 # 2023-11-14 22:13:20 UTC
    result = subprocess.run([sys.executable, str(ROOT / "build.py"), "--content", str(FIXTURES / "valid"),
                             "--output", str(tmp_path), "--lang", "en"], capture_output=True, text=True,
                            timeout=600, env={**os.environ, "SOURCE_DATE_EPOCH": str(epoch)})
    assert result.returncode == 0, result.stderr
    moment = dt.datetime(2023, 11, 14, 22, 13, 20)
    properties = docx.Document(str(tmp_path / "mini.en.docx")).core_properties
    assert properties.created.replace(tzinfo=None) == moment == properties.modified.replace(tzinfo=None)
    with zipfile.ZipFile(tmp_path / "mini.en.docx") as package:
        assert {info.date_time[:3] for info in package.infolist()} == {(2023, 11, 14)}
    pdf = PdfReader(tmp_path / "mini.en.pdf")
    assert pdf.metadata["/CreationDate"].startswith("D:20231114221320")
    assert "January 15, 2026" in pdf.pages[0].extract_text()   # the printed date is the report's
