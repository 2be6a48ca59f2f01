"""Issue 15: an error is reported once, at its cause, and a draft in one language can be previewed alone."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import run_build


def edit(file: Path, old: str, new: str) -> None:
    text = file.read_text(encoding="utf-8")
    assert old in text, old
    file.write_text(text.replace(old, new, 1), encoding="utf-8")


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ": error: " in line]


@pytest.mark.parametrize("entry, typo, hints, not_again", [
    ("pop: {value: 11825551, unit: people, year: 2025, source: stat}", ("source: stat", "soruce: stat"),
     ("unknown key 'soruce'", "did you mean 'source'"), "unknown figure"),
    ("nato: {title: Defence expenditure, publisher: NATO, year: 2024}", ("year: 2024", "yaer: 2024"),
     ("unknown key 'yaer'",), "unknown source 'nato'"),
], ids=["figure", "source"])
def test_a_bad_data_entry_costs_only_that_entry(content_copy, entry, typo, hints, not_again):
    """A misspelled key costs that entry only: no cascade where the figure or source is used."""
    data = content_copy / "mini" / "data" / "data.yaml"
    edit(data, entry, entry.replace(*typo))
    result = run_build("--content", str(content_copy), "--check")
    assert result.returncode == 2
    errors = error_lines(result.stderr)
    assert errors and all(line.startswith(str(data)) for line in errors), errors
    assert all(hint in result.stderr for hint in hints) and not_again not in result.stderr
    assert "unknown figure" not in result.stderr and "unknown source" not in result.stderr


def test_an_english_typo_is_reported_against_the_english_file_only(content_copy):
    english = content_copy / "mini" / "en" / "first.yaml"
    edit(english, "  - bullets:", "  - bulets:")
    edit(english, "{cite:stat}", "{cite:stta}")
    result = run_build("--content", str(content_copy), "--check")
    assert result.returncode == 2
    errors = error_lines(result.stderr)
    assert len(errors) == 2, errors
    assert all("en/first.yaml" in line for line in errors), errors
    assert "did you mean 'bullets'" in result.stderr and "did you mean 'stat'" in result.stderr


def test_english_builds_while_french_is_missing(content_copy, tmp_path):
    (content_copy / "mini" / "fr" / "second.yaml").unlink()
    out = tmp_path / "out"
    english = run_build("--content", str(content_copy), "--output", str(out), "--lang", "en", "--format", "html")
    assert english.returncode == 0, english.stderr
    assert (out / "mini.en.html").is_file() and not (out / "mini.fr.html").exists()
    warnings = [line for line in english.stderr.splitlines() if ": warning: " in line and "'fr'" in line]
    assert len(warnings) == 1 and "fr/second.yaml" in warnings[0], english.stderr
    assert re.search(r"warnings: .*\d+ other warning", english.stdout)   # the summary counts it
    strict = run_build("--content", str(content_copy), "--output", str(tmp_path / "strict"), "--lang", "en",
                       "--format", "html", "--strict")
    assert strict.returncode == 2 and "fr/second.yaml" in strict.stderr
    everything = run_build("--content", str(content_copy), "--output", str(tmp_path / "all"), "--format", "html")
    assert everything.returncode == 2
    assert "error: section 'second' (listed in report.yaml) is missing in language 'fr'" in everything.stderr


def test_a_language_without_interface_labels_is_a_located_error(content_copy):
    report = content_copy / "mini" / "report.yaml"
    edit(report, "languages: {en: en-US, fr: fr-BE}", "languages: {en: en-US, fr: fr-BE, xx: xx-XX}")
    result = run_build("--content", str(content_copy), "--check")
    assert result.returncode == 2
    assert re.search(r"report\.yaml:\d+:\d+: error: no interface labels for 'xx': templates/strings/xx\.yaml does "
                     r"not exist \(at languages\.xx\)\. Hint: copy templates/strings/en\.yaml", result.stderr)
    assert "'xx-XX' is not a locale CLDR knows" in result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
