"""`build.py redline REV`: a known edit, committed in a temporary git repository, read back from the DOCX XML."""
from __future__ import annotations

import io
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pypdf
import pytest
from lxml import etree

from conftest import FIXTURES, run_build
from reportgen import libreoffice

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = {"w": W}
EDITOR, EDITED_AT = "Bob Reviewer", "2026-11-02T10:30:00+01:00"   # the known edit's commit
EDITED_UTC = "2026-11-02T09:30:00Z"


def git(repo: Path, *args: str, author: tuple[str, str] = ("Alice Author", "2026-10-01T09:00:00Z")) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": author[0], "GIT_AUTHOR_EMAIL": "author@example.org",
           "GIT_AUTHOR_DATE": author[1], "GIT_COMMITTER_NAME": "Committer", "GIT_COMMITTER_EMAIL": "c@example.org",
           "GIT_COMMITTER_DATE": author[1], "GIT_CONFIG_GLOBAL": "/dev/null"}
    return subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True).stdout


def edit(file: Path, old: str, new: str) -> None:
    text = file.read_text(encoding="utf-8")
    assert old in text, old
    file.write_text(text.replace(old, new), encoding="utf-8")


def known_edit(content: Path) -> None:
    """One paragraph's words changed, a list item deleted, a paragraph added, a table row added, a subsection
    (the chapter's last) removed."""
    first = content / "mini" / "en" / "first.yaml"
    edit(first, "Is that many? Yes: see", "Is that a lot? Certainly: see")
    edit(first, "- numbered: [One, Two, Three]", "- numbered: [One, Three]\n      - p: A brand new paragraph about defense.")
    edit(content / "mini" / "en" / "second.yaml", '- [Euroclear, "{value:money}"]',
         '- [Euroclear, "{value:money}"]\n        - [Clearstream, none]')
    notes = content / "mini" / "en" / "notes.yaml"
    edit(notes, "  - id: notes-b\n    title: Second Notes\n    blocks:\n      - p: Nothing more.\n", "")
    edit(notes, "; its second part is {ref:notes-b}, after", ", after")


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    """History: a README only (no report), the mini report (Alice), the known edit (Bob, a known date)."""
    root = tmp_path_factory.mktemp("redline") / "repo"
    root.mkdir()
    git(root, "init", "-q")
    git(root, "config", "user.name", "Dora Local")
    (root / "README").write_text("reports\n")
    git(root, "add", "README")
    git(root, "commit", "-qm", "start")
    shutil.copytree(FIXTURES / "valid", root / "content")
    git(root, "add", "content")
    git(root, "commit", "-qm", "the mini report")
    known_edit(root / "content")
    git(root, "commit", "-qam", "the known edit", author=(EDITOR, EDITED_AT))
    return root


@pytest.fixture(scope="module")
def redline(repo, tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    out = tmp_path_factory.mktemp("redline-out")
    result = run_build("redline", "HEAD~1", "--lang", "en", "--content", str(repo / "content"), "--output", str(out))
    assert result.returncode == 0, result.stderr
    return out / "mini.en.redline.docx", result


def body(docx: Path):
    with zipfile.ZipFile(docx) as package:
        return etree.fromstring(package.read("word/document.xml")).find("w:body", NS)


def text(element, tags=("t", "delText")) -> str:
    return "".join(node.text or "" for node in element.iter(*(f"{{{W}}}{tag}" for tag in tags)))


def changes(element, kind: str) -> list[str]:
    """The text of each w:ins or w:del holding runs (paragraph and row marks left out)."""
    return [text(change) for change in element.iter(f"{{{W}}}{kind}") if len(change)]


def paragraph_with(root, words: str, exact: bool = False):
    found = [p for p in root.iter(f"{{{W}}}p") if (words == text(p) if exact else words in text(p))]
    assert len(found) == 1, (words, len(found))
    return found[0]


def test_the_changed_words_are_tracked_word_by_word_with_author_and_date_from_git(redline):
    docx, result = redline
    paragraph = paragraph_with(body(docx), "Belgium has")
    assert changes(paragraph, "del") == ["many? Yes"]          # the colon after them is kept
    assert changes(paragraph, "ins") == ["a lot? Certainly"]
    assert text(paragraph, ("t",)).startswith("Belgium has") and "Is that a lot? Certainly: see" in text(paragraph, ("t",))
    for change in paragraph.iter(f"{{{W}}}ins", f"{{{W}}}del"):
        assert (change.get(f"{{{W}}}author"), change.get(f"{{{W}}}date")) == (EDITOR, EDITED_UTC)
    assert "since HEAD~1" in result.stdout and "insertion" in result.stdout


def test_kept_and_inserted_words_keep_todays_formatting(redline):
    paragraph = paragraph_with(body(redline[0]), "Belgium has")
    inserted_run = paragraph.find("w:ins/w:r", NS)
    kept_run = next(r for r in paragraph.findall("w:r", NS) if "Belgium has" in text(r))
    assert inserted_run.find("w:rPr/w:lang", NS).get(f"{{{W}}}val") == "en-US"
    assert etree.tostring(inserted_run.find("w:rPr", NS)) == etree.tostring(kept_run.find("w:rPr", NS))


def test_a_removed_list_item_is_put_back_deleted_at_its_old_place(redline):
    root = body(redline[0])
    removed = paragraph_with(root, "Two", exact=True)
    assert text(removed, ("t",)) == "" and changes(removed, "del") == ["Two"]
    assert removed.find("w:pPr/w:rPr/w:del", NS) is not None       # its paragraph mark too
    assert text(removed.getprevious()) == "One" and text(removed.getnext()) == "Three"
    assert removed.find("w:pPr/w:pStyle", NS).get(f"{{{W}}}val") == "ListNumber"
    assert removed.find("w:pPr/w:numPr/w:numId", NS).get(f"{{{W}}}val") == \
        removed.getprevious().find("w:pPr/w:numPr/w:numId", NS).get(f"{{{W}}}val")   # in today's list


def test_an_added_paragraph_and_table_row_are_insertions(redline):
    root = body(redline[0])
    added = paragraph_with(root, "A brand new paragraph")
    assert changes(added, "ins") == ["A brand new paragraph about defense."]
    assert added.find("w:pPr/w:rPr/w:ins", NS) is not None
    row = next(tr for tr in root.iter(f"{{{W}}}tr") if "Clearstream" in text(tr))
    assert row.find("w:trPr/w:ins", NS) is not None and changes(row, "ins") == ["Clearstream", "none"]


def test_untouched_paragraphs_have_no_changes(redline):
    root = body(redline[0])
    changed = [text(p) for p in root.iter(f"{{{W}}}p") if p.find(".//w:ins", NS) is not None
               or p.find(".//w:del", NS) is not None]
    assert changed == ["Belgium has 11.8\xa0million inhabitants (2025)[1]. Is that many? Yesa lot? Certainly: see figure 1.",
                       "Two", "A brand new paragraph about defense.", "Clearstream", "none",
                       "This is annex A; its second part is section A.2, after the section A.1.",
                       "A.2  Second Notes", "Nothing more."]


def test_a_removed_subsection_is_put_back_deleted_at_its_chapters_end(redline):
    root = body(redline[0])
    heading, paragraph = paragraph_with(root, "A.2  Second Notes"), paragraph_with(root, "Nothing more.")
    assert text(heading.getprevious()) == "Nothing to add." and heading.getnext() is paragraph
    assert changes(heading, "del") == ["A.2  Second Notes"] and changes(paragraph, "del") == ["Nothing more."]
    assert heading.find("w:pPr/w:pStyle", NS).get(f"{{{W}}}val") == "Heading2"
    assert heading.find(".//w:bookmarkStart", NS) is None          # the old bookmark is not put back
    # The chapter's section break stays on its last paragraph, so the Sources still start a new page.
    assert paragraph.find("w:pPr/w:sectPr", NS) is not None
    assert heading.getprevious().find("w:pPr/w:sectPr", NS) is None
    reference = paragraph_with(root, "This is annex A")
    assert "".join(changes(reference, "del")) == "; its second part is section A.2"   # text, then inside the link
    assert changes(reference, "ins") == []


def test_the_redline_is_reproducible(redline, repo, tmp_path):
    result = run_build("redline", "HEAD~1", "--lang", "en", "--content", str(repo / "content"),
                       "--output", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "mini.en.redline.docx").read_bytes() == redline[0].read_bytes()


def test_libreoffice_shows_the_tracked_changes(redline):
    if not libreoffice.soffice():
        pytest.fail("LibreOffice (soffice) is not installed: run `make test`, which installs it")
    pdf = pypdf.PdfReader(io.BytesIO(libreoffice.to_pdf(redline[0].read_bytes())))
    shown = " ".join(" ".join((page.extract_text() or "").split()) for page in pdf.pages)
    assert "a lot? Certainly:" in shown and "A brand new paragraph about defense." in shown
    assert "Two" in shown and "many? Yes" in shown       # deletions are shown struck through, not dropped


def test_uncommitted_edits_are_signed_by_the_git_user_on_the_reports_date(repo, tmp_path):
    copy = tmp_path / "repo"
    shutil.copytree(repo, copy)
    edit(copy / "content" / "mini" / "en" / "notes.yaml", "Nothing to add.", "Nothing to add here.")
    edit(copy / "content" / "mini" / "data" / "data.yaml", "value: 185e9", "value: 190e9")   # a figure's value
    result = run_build("redline", "HEAD~1", "--lang", "en", "--content", str(copy / "content"),
                       "--output", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    root = body(tmp_path / "out" / "mini.en.redline.docx")
    mine = paragraph_with(root, "Nothing to add")
    assert changes(mine, "del") == [] and changes(mine, "ins") == [" here"]   # words and punctuation apart
    assert {(c.get(f"{{{W}}}author"), c.get(f"{{{W}}}date")) for c in mine.iter(f"{{{W}}}ins", f"{{{W}}}del")} == \
        {("Dora Local", "2026-01-15T12:00:00Z")}      # the mini report's date
    committed = paragraph_with(root, "Belgium has").find("w:ins", NS)   # the committed edit keeps its commit
    assert committed.get(f"{{{W}}}author") == EDITOR
    value = next(tr for tr in root.iter(f"{{{W}}}tr") if "Euroclear" in text(tr))   # printed by {value:money}
    assert "185" in "".join(changes(value, "del")) and "190" in "".join(changes(value, "ins"))
    assert {c.get(f"{{{W}}}author") for c in value.iter(f"{{{W}}}ins", f"{{{W}}}del")} == {"Dora Local"}
    for control in value.iter(f"{{{W}}}sdt"):       # the value's content control keeps its tag
        assert control.find("w:sdtPr/w:tag", NS).get(f"{{{W}}}val") == "value:money"


def test_no_change_since_rev_writes_the_redline_and_says_so(repo, tmp_path):
    result = run_build("redline", "HEAD", "--lang", "en", "--content", str(repo / "content"), "--output", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "no text changes since HEAD" in result.stdout
    root = body(tmp_path / "mini.en.redline.docx")
    assert root.find(".//w:ins", NS) is None and root.find(".//w:del", NS) is None


@pytest.mark.parametrize("rev, message", [
    ("no-such-rev", "unknown git revision 'no-such-rev'"),
    ("HEAD~2", "report 'mini' did not exist at HEAD~2"),
])
def test_an_unknown_rev_or_one_without_the_report_is_a_one_line_error(repo, tmp_path, rev, message):
    result = run_build("redline", rev, "--content", str(repo / "content"), "--output", str(tmp_path))
    assert result.returncode == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not list(tmp_path.iterdir())


def test_outside_a_git_checkout_is_a_one_line_error(content_copy, tmp_path):
    result = run_build("redline", "HEAD", "--content", str(content_copy), "--output", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "not inside a git checkout" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_help_lists_the_redline_command():
    result = run_build("--help")
    assert "redline REV" in result.stdout
