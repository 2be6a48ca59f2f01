"""Issue 6: incremental, reproducible, atomic, parallel rebuilds."""
from __future__ import annotations

import fcntl
import os
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader

from conftest import CONTENT, FIXTURES, ROOT, run_build


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory) -> Path:
    """A frozen copy of the real content, so builds compare like with like."""
    target = tmp_path_factory.mktemp("snapshot") / "content"
    shutil.copytree(CONTENT, target)
    return target


def planned(content: Path, *extra: str) -> list[str]:
    """The documents the build plans for this content (no test assumes how many reports or languages)."""
    result = run_build("--content", str(content), "--list-jobs", *extra)
    assert result.returncode == 0, result.stderr
    return [Path(job["output"]).name for job in json.loads(result.stdout)]


def mtimes(folder: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in folder.glob("*.*") if p.suffix in (".pdf", ".docx")}


def report_statuses(out: Path) -> dict[str, str]:
    documents = json.loads((out / "build-report.json").read_text())["documents"]
    return {Path(d["path"]).name: d["status"] for d in documents}


def test_two_builds_give_identical_bytes(snapshot, tmp_path):
    a = run_build("--content", str(snapshot), "--output", str(tmp_path / "a"), "--jobs", "1")
    b = subprocess.run([sys.executable, str(ROOT / "build.py"), "--content", str(snapshot), "--output",
                        str(tmp_path / "b"), "--jobs", "2"], capture_output=True, text=True,
                       env={"PATH": "/usr/bin:/bin", "PYTHONHASHSEED": "12345"})
    assert a.returncode == 0 and b.returncode == 0, a.stderr + b.stderr
    files = sorted(p.name for p in (tmp_path / "a").glob("*.*") if p.suffix in (".pdf", ".docx"))
    assert files == sorted(planned(snapshot))
    assert {"belgium-brief.en.pdf", "belgium-brief.fr.docx"} <= set(files)   # every edition, by default
    for name in files:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_noop_rewrites_nothing_and_one_french_edit_rebuilds_only_french(snapshot, tmp_path):
    content = tmp_path / "content"
    shutil.copytree(snapshot, content)
    out = tmp_path / "out"
    assert run_build("--content", str(content), "--output", str(out)).returncode == 0
    before = mtimes(out)
    documents = planned(content)
    noop = run_build("--content", str(content), "--output", str(out))
    assert noop.returncode == 0 and f"up to date: {len(documents)} document(s)" in noop.stdout
    assert noop.stdout.splitlines()[-1].startswith("warnings: ") or "warnings: " in noop.stderr
    assert mtimes(out) == before
    # The preface is part of the full report, not of the brief: only the full French documents are rebuilt.
    preface = content / "belgium" / "fr" / "preface.yaml"
    with preface.open("a", encoding="utf-8") as stream:
        stream.write("# edited\n")     # any change of a French file's bytes
    edit = run_build("--content", str(content), "--output", str(out))
    assert edit.returncode == 0, edit.stderr
    after = mtimes(out)
    changed = {name for name in after if after[name] != before[name]}
    full_french = {name for name in documents if ".fr." in name and "-brief." not in name}
    assert changed == full_french
    assert report_statuses(out) == {name: "rebuilt" if name in full_french else "up to date" for name in documents}
    # The key judgments are part of both: the French brief is rebuilt with the French report, the English not.
    judgments = content / "belgium" / "fr" / "key-judgments.yaml"
    with judgments.open("a", encoding="utf-8") as stream:
        stream.write("# edited\n")
    assert run_build("--content", str(content), "--output", str(out)).returncode == 0
    assert {name for name, status in report_statuses(out).items() if status == "rebuilt"} == {
        name for name in documents if ".fr." in name}


def test_noop_does_not_import_heavy_libraries(mini_output_copy):
    out, content = mini_output_copy
    result = subprocess.run([sys.executable, "-X", "importtime", str(ROOT / "build.py"), "--content", str(content),
                             "--output", str(out)], capture_output=True, text=True)
    assert result.returncode == 0 and "up to date" in result.stdout
    imported = result.stderr
    for heavy in ("weasyprint", "matplotlib", "docx", "pydantic"):
        assert f" {heavy}\n" not in imported and f" {heavy}." not in imported, heavy


@pytest.fixture
def mini_output_copy(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(FIXTURES / "valid", content)
    out = tmp_path / "out"
    assert run_build("--content", str(content), "--output", str(out)).returncode == 0
    return out, content


def test_failed_build_keeps_previous_files_and_manifest(mini_output_copy, monkeypatch, capsys):
    out, content = mini_output_copy
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    from reportgen import cli
    from reportgen.writers import pdf

    def broken(report, path, images=None, provenance=None):
        path.write_bytes(b"%PDF-1.7 half a file")
        raise RuntimeError("template error injected by the test")

    monkeypatch.setattr(pdf, "write", broken)
    code = cli.main(["--content", str(content), "--output", str(out), "--force", "--jobs", "1", "--format", "pdf"])
    assert code == 1
    err = capsys.readouterr().err
    assert "mini.en.pdf" in err and "template error injected" in err and "previous file" in err
    after = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    for name in ("mini.en.pdf", "mini.fr.pdf", ".manifest.json"):
        assert after[name] == before[name], name
    assert not list(out.glob("*.tmp")) and not list(out.glob(".*.tmp"))


def test_second_build_at_once_is_refused(mini_output_copy):
    out, content = mini_output_copy
    with open(out / ".lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        handle.write(str(os.getpid()))   # a live holder (a dead one's lock is taken over)
        handle.flush()
        result = run_build("--content", str(content), "--output", str(out), "--force")
    assert result.returncode == 1
    assert f"another build (pid {os.getpid()})" in result.stderr


def test_shards_cover_every_job_exactly_once(tmp_path):
    content = tmp_path / "content"
    for name in ("one", "two", "three"):
        shutil.copytree(FIXTURES / "valid" / "mini", content / name)
    def jobs(*extra):
        result = run_build("--content", str(content), "--output", str(tmp_path / "out"), "--list-jobs",
                           "--format", "pdf,docx,html", *extra)
        assert result.returncode == 0, result.stderr
        return [(j["report"], j["lang"], j["format"]) for j in json.loads(result.stdout)]
    everything = jobs()
    assert len(everything) == 3 * 2 * 3
    for n in (1, 2, 4, 7):
        shards = [jobs("--shard", f"{k}/{n}") for k in range(1, n + 1)]
        flat = [job for shard in shards for job in shard]
        assert sorted(flat) == sorted(everything) and len(flat) == len(set(flat))


def test_provenance_in_pdf_and_docx(mini_output_copy):
    out, _ = mini_output_copy
    documents = json.loads((out / "build-report.json").read_text())["documents"]
    for document in documents:
        path = Path(document["path"])
        if path.suffix == ".pdf":
            xmp = PdfReader(path).trailer["/Root"]["/Metadata"].get_object().get_data().decode()
            assert document["fingerprint"] in xmp and "weasyprint 70" in xmp.lower()
        else:
            custom = zipfile.ZipFile(path).read("docProps/custom.xml").decode()
            assert document["fingerprint"] in custom and "python-docx" in custom


def test_docx_zip_entries_have_fixed_timestamps(mini_output_copy):
    out, _ = mini_output_copy
    stamps = {info.date_time for info in zipfile.ZipFile(out / "mini.en.docx").infolist()}
    assert stamps == {(2026, 1, 15, 0, 0, 0)}


def test_watch_rebuilds_what_an_edit_touches(mini_output_copy):
    out, content = mini_output_copy
    process = subprocess.Popen([sys.executable, str(ROOT / "build.py"), "--content", str(content), "--output",
                                str(out), "--watch", "--jobs", "1"], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    import threading
    guard = threading.Timer(180, process.kill)   # a watcher that never answers fails the test, not the run
    guard.start()
    try:
        def read_until(fragment: str) -> None:
            for line in process.stdout:
                lines.append(line)
                if fragment in line:
                    return
            raise AssertionError("".join(lines))
        read_until("up to date")
        preface = content / "mini" / "fr" / "first.yaml"
        preface.write_text(preface.read_text(encoding="utf-8").replace("Détail", "Détails"), encoding="utf-8")
        read_until("document(s) written")
    finally:
        guard.cancel()
        process.terminate()
        process.wait(timeout=30)
    output = "".join(lines)
    assert "changed:" in output and "fr/first.yaml" in output
    assert f"wrote {out / 'mini.fr.pdf'}" in output and "mini.en.pdf" not in output.split("changed:")[1]


def test_a_build_in_process_does_not_change_the_next_plan(mini_output_copy):
    from reportgen import cli
    out, content = mini_output_copy
    args = ["--content", str(content), "--output", str(out), "--jobs", "1", "--force", "--format", "docx"]
    assert cli.main(args) == 0
    import os
    assert "SOURCE_DATE_EPOCH" not in os.environ
    assert cli.main(args[:-3]) == 0      # no --force: everything is up to date
    statuses = report_statuses(out)
    assert set(statuses.values()) <= {"up to date", "rebuilt"}


def test_shards_are_balanced_by_expected_cost(tmp_path):
    """A PDF costs about four DOCX: each share gets its part of the PDFs, not all DOCX on one machine."""
    content = tmp_path / "content"
    for name in ("one", "two"):
        shutil.copytree(FIXTURES / "valid" / "mini", content / name)
    for n in (2, 4):
        shares = [planned(content, "--shard", f"{k}/{n}") for k in range(1, n + 1)]
        pdfs = [sum(name.endswith(".pdf") for name in share) for share in shares]
        docx = [sum(name.endswith(".docx") for name in share) for share in shares]
        assert pdfs == [4 // n] * n and docx == [4 // n] * n, shares


@pytest.mark.parametrize("value", ["0", "-2", "two"])
def test_impossible_job_counts_are_usage_errors(value):
    result = run_build("--jobs", value, "--check")
    assert result.returncode == 2
    assert "--jobs" in result.stderr and "1 or more" in result.stderr


def test_help_lists_the_commands():
    result = run_build("--help")
    assert result.returncode == 0
    assert "review FILE.docx" in result.stdout


@pytest.mark.parametrize("spec, says", [("fr:frist", "did you mean 'first'"), ("de", "no report translates into 'de'"),
                                        ("en", "no report translates into 'en'"), ("fr:first,nope", "'nope'")])
def test_mark_translated_refuses_unknown_languages_and_sections(content_copy, spec, says):
    ledger = content_copy / "mini" / "translations.yaml"
    result = run_build("--content", str(content_copy), "--mark-translated", spec)
    assert result.returncode == 2 and says in result.stderr
    assert not ledger.exists()


def test_strict_means_the_same_for_a_build_and_a_check(content_copy, tmp_path):
    """The mini report's French was never marked translated: stale translations are warnings."""
    out = tmp_path / "out"
    for extra in (("--check",), ("--format", "html")):
        result = run_build("--content", str(content_copy), "--output", str(out), "--strict", *extra)
        assert result.returncode == 2, extra
        assert "stale translation" in result.stderr and "--strict" in result.stderr
    assert not list(out.glob("*.html"))
    build = run_build("--content", str(content_copy), "--output", str(out), "--format", "html")
    assert build.returncode == 0
    summary = build.stdout.splitlines()[-1]
    assert summary.startswith("warnings: ") and "stale translation" in summary and "old figure" in summary
    assert run_build("--content", str(content_copy), "--mark-translated", "fr").returncode == 0
    noop = run_build("--content", str(content_copy), "--output", str(out), "--format", "html")
    assert noop.returncode == 0, noop.stderr
    assert "up to date" in noop.stdout and "stale translation" not in noop.stdout + noop.stderr
    assert noop.stdout.splitlines()[-1].startswith("warnings: ")
    quiet = run_build("--content", str(content_copy), "--output", str(out), "--format", "html", "--quiet")
    assert quiet.stdout == "" and quiet.stderr.splitlines()[-1].startswith("warnings: ")
    assert "old figure" in quiet.stderr.splitlines()[-1]


def test_html_preview_carries_only_the_fonts_and_characters_it_uses(tmp_path):
    import base64
    import io
    import re

    from fontTools.ttLib import TTFont

    out = tmp_path / "out"
    result = run_build("--content", str(FIXTURES / "valid"), "--output", str(out), "--format", "html")
    assert result.returncode == 0, result.stderr
    page = (out / "mini.fr.html").read_text(encoding="utf-8")
    assert len(page.encode()) < 600_000          # was 7.7 MB with every font whole
    faces = re.findall(r"@font-face \{ font-family: \"([^\"]+)\"; src: url\(data:font/woff2;base64,([^)]+)\)", page)
    assert {family for family, _ in faces} == {"Charis SIL", "Noto Sans"}   # no Hebrew or Arabic face
    for family, data in faces:
        font = TTFont(io.BytesIO(base64.b64decode(data)))
        cmap = font.getBestCmap()
        assert all(ord(c) in cmap for c in "éèàç«»’ "), family
        assert ord("Ж") not in cmap and len(cmap) < 250, family
