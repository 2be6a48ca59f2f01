"""Issue 3: the real proposal is complete, sourced, current and spelled right, in both languages."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import docx
import pytest
import yaml
from pypdf import PdfReader

from conftest import CONTENT, run_build
from readback import normalise_spaces, pdf_text
from reportgen import ledger, model
from reportgen.assemble import assemble
from reportgen.inline import parse_inline, references
from reportgen.locale import Locale
from reportgen.model import walk
from reportgen.text import block_texts, report_texts
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
    assert [w for w in raw.warnings if "glossary" not in w.message] == []   # unused sources are warnings
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


# ---- issue 10: the corrected edition ----------------------------------------------------------------------

COUNT_WORDS = {"en": {3: "three", 4: "four", 5: "five", 6: "six", 7: "seven"},
               "fr": {3: "trois", 4: "quatre", 5: "cinq", 6: "six", 7: "sept"}}
RECOMMENDATIONS = {"en": "recommendations", "fr": "recommandations"}
CUT_OFF = {"en": "Information as of May 31, 2026", "fr": "Informations arrêtées au 31 mai 2026"}


def test_the_translation_follows_the_glossary(raw):
    assert [str(w) for w in raw.warnings if "glossary" in w.message] == []


def test_the_english_pdf_is_a_third_shorter(real_output):
    count = len(pdf_text(real_output / "belgium.en.pdf").split())
    assert 9000 <= count <= 15000, count


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_no_figure_value_is_printed_more_than_three_times(raw, lang):
    """Renderings of figure values in the text ({value:} spans, key figures, table cells), counted by what
    the reader sees ('€185 billion'), so two figures printing the same value count together."""
    locale = Locale(lang, raw.languages[lang].tag)
    printed: dict[str, list[str]] = {}
    for section in walk_sections(raw.languages[lang].sections):
        for block in walk_blocks(section.blocks):
            ids = [key for text in block.texts() for kind, key in references(parse_inline(text)) if kind == "value"]
            if block.kind == "keyfigures":
                ids += [item.value for item in block.payload.items]
            for figure_id in ids:
                figure = raw.figures[figure_id]
                printed.setdefault(locale.figure(figure.value, figure.unit), []).append(figure_id)
    over = {value: ids for value, ids in printed.items() if len(ids) > 3}
    assert over == {}, over


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_summary_states_the_number_of_recommendations_in_words(reports, lang):
    report = reports[lang]
    lists = [block for section in walk(report.sections) for block in section.blocks
             if isinstance(block, model.Recommendations)]
    assert len(lists) == 1
    summary = next(section for section in report.sections if section.id == "summary")
    text = normalise_spaces(" ".join(t for section in walk([summary]) for block in section.blocks
                                     for t in block_texts(block))).lower()
    expected = f"{COUNT_WORDS[lang][len(lists[0].items)]} {RECOMMENDATIONS[lang]}"
    assert expected in text, expected
    for count, word in COUNT_WORDS[lang].items():
        if count != len(lists[0].items):
            assert f"{word} {RECOMMENDATIONS[lang]}" not in text, word


def test_the_cut_off_is_31_may_2026(raw):
    assert str(raw.meta.facts_as_of) == "2026-05-31" and raw.meta.facts_as_of <= raw.meta.date


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_every_cover_shows_the_cut_off(real_output, lang):
    cover = normalise_spaces(PdfReader(real_output / f"belgium.{lang}.pdf").pages[0].extract_text())
    assert CUT_OFF[lang] in cover
    document = docx.Document(str(real_output / f"belgium.{lang}.docx"))
    assert CUT_OFF[lang] in [normalise_spaces(p.text) for p in document.paragraphs[:8]]


def test_key_judgments_come_first_with_three_to_five_paragraphs(reports):
    for report in reports.values():
        ids = [section.id for section in report.sections]
        assert ids.index("key-judgments") <= 2, ids
        section = report.sections[ids.index("key-judgments")]
        paragraphs = [b for s in walk([section]) for b in s.blocks if isinstance(b, model.Paragraph)]
        assert 3 <= len(paragraphs) <= 5, len(paragraphs)


def test_annexes_are_the_overview_the_frameworks_and_the_briefs(raw, reports):
    assert raw.meta.annexes == ["overview", "frameworks", "briefs"]
    assert [s.number for s in reports["en"].sections[-3:]] == ["Annex A.", "Annex B.", "Annex C."]
    assert [s.number for s in reports["fr"].sections[-3:]] == ["Annexe A.", "Annexe B.", "Annexe C."]
