"""Issue 3: the real proposal is complete, sourced, current and spelled right, in both languages."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from pypdf import PdfReader

from conftest import CONTENT, run_build
from reportgen import ledger
from reportgen.assemble import assemble
from reportgen.model import walk
from reportgen.text import report_texts
from reportgen.validate import load_report, walk_blocks, walk_sections

REPORT = CONTENT / "belgium"
# Every declared language is spell-checked, with the Hunspell dictionary named after its tag (fr-BE -> fr_BE).
LANGUAGES = yaml.safe_load((REPORT / "report.yaml").read_text(encoding="utf-8"))["languages"]
# Phrases of the source notes that are instructions to the writer, or facts they get wrong.
HUNSPELL_DIRS = ("/usr/share/hunspell", "/usr/share/myspell/dicts", "/usr/share/myspell")
FORBIDDEN = ["single most important section", "should equally match", "List them all", "as a second term did not",
             "hypothetical", "hypothétique", "Prime Minister is Alexander De Croo", "Premier ministre Alexander De Croo",
             "Cette section doit"]


@pytest.fixture(scope="module")
def raw():
    return load_report(REPORT)


@pytest.fixture(scope="module")
def reports(raw):
    return {lang: assemble(raw, lang) for lang in raw.languages}


def words(report) -> int:
    return sum(len(re.findall(r"\w+", text)) for text in report_texts(report))


def test_every_source_is_cited_and_every_figure_sourced(raw):
    assert raw.warnings == []       # unused sources are warnings
    for figure_id, figure in raw.figures.items():
        assert figure.source in raw.sources and figure.year, figure_id


def test_no_instruction_text_and_no_stale_facts(reports):
    for report in reports.values():
        text = "\n".join(report_texts(report))
        for phrase in FORBIDDEN:
            assert phrase.lower() not in text.lower(), (report.lang, phrase)


def test_no_section_is_empty(reports):
    for report in reports.values():
        for section in walk(report.sections):
            assert section.blocks or section.children, section.id


def test_every_part_of_the_notes_is_covered(raw):
    ids = {s.id for s in walk_sections(raw.languages["en"].sections)}
    for required in ["preface", "summary", "key-judgments", "why-belgium", "relationship", "recommendations",
                     "feasibility-risks", "overview", "frameworks", "briefs"]:
        assert required in ids


def test_word_counts_are_close(reports):
    en, fr = words(reports["en"]), words(reports["fr"])
    assert en > 9000
    assert abs(en - fr) / max(en, fr) < 0.25, (en, fr)


def test_pdfs_run_to_a_full_document(real_output):
    for lang in ("en", "fr"):
        assert len(PdfReader(real_output / f"belgium.{lang}.pdf").pages) >= 20


def test_translations_are_recorded_in_the_ledger(raw):
    for state in ledger.status(raw):
        assert state.stale == [], state.stale[:3]


def test_editing_english_makes_french_stale(tmp_path):
    copy = tmp_path / "content"
    shutil.copytree(CONTENT, copy)
    file = copy / "belgium" / "en" / "preface.yaml"
    text = file.read_text(encoding="utf-8")
    file.write_text(text.replace("This proposal is written for", "Indeed, this proposal is written for", 1),
                    encoding="utf-8")
    result = run_build("--content", str(copy), "--check")
    assert result.returncode == 0
    assert "fr/preface.yaml" in result.stderr and "stale" in result.stderr
    assert "translation fr: " in result.stdout
    strict = run_build("--content", str(copy), "--check", "--strict")
    assert strict.returncode == 2


def test_old_figures_are_listed_by_check():
    result = run_build("--check")
    assert "notice: figure 'defence-gdp-2017' is from 2017" in result.stdout
    assert "nato-member-since" not in result.stdout       # a year that is itself the fact never goes stale


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_spelling(reports, lang):
    dictionary = LANGUAGES[lang].replace("-", "_")
    if not any(Path(folder, f"{dictionary}.dic").is_file() for folder in HUNSPELL_DIRS):
        pytest.skip(f"no Hunspell dictionary '{dictionary}' installed: add its Debian package (e.g. "
                    f"hunspell-{lang}) to TEST_DEBS in the Makefile to spell-check '{lang}'")
    words_file = REPORT / f"spelling.{lang}.txt"
    text = "\n".join(report_texts(reports[lang]))
    text = re.sub(r"https?://\S+", " ", text).replace("\u202f", " ").replace("\u00a0", " ")
    result = subprocess.run(["hunspell", "-d", dictionary, "-p", str(words_file), "-l"], input=text,
                            capture_output=True, text=True, check=True)
    unknown = sorted(set(result.stdout.split()))
    assert unknown == [], f"{len(unknown)} unknown words: {unknown[:80]}"
