"""Issue 10 (code): the recommendations block, the information cut-off, annexes and the enforced glossary.

Built on the mini fixture through the real CLI and read back from the PDF (pypdf) and the DOCX (python-docx).
Error cases live in fixtures/invalid.yaml (test_hardening.py runs them).
"""
from __future__ import annotations

import datetime as dt
import re

import docx
import pytest
from pypdf import PdfReader

from conftest import FIXTURES, run_build
from readback import docx_bookmarks, normalise_spaces, paragraph_text, pdf_outline_titles, pdf_text
from reportgen.assemble import assemble
from reportgen.validate import load_report
from reportgen.writers.docx import bookmark_name

MINI = FIXTURES / "valid" / "mini"
CARDS = {
    "en": [("1", "Hold one yearly dialogue", "Deadline: December 2026"),
           ("2", "Share the assets ledger", "Deadline: March 31, 2027"),
           ("3", "Run a joint drill", "Deadline: June 2027")],
    "fr": [("1", "Tenir un seul dialogue annuel", "Échéance : décembre 2026"),
           ("2", "Partager le registre des avoirs", "Échéance : 31 mars 2027"),
           ("3", "Organiser un exercice commun", "Échéance : juin 2027")],
}
LABELS = {"en": ["Action:", "U.S. lead:", "Belgian partner:", "Deliverable:", "Deadline:", "Resources:"],
          "fr": ["Action :", "Chef de file américain :", "Partenaire belge :", "Livrable :", "Échéance :",
                 "Moyens :"]}
REF = {"en": "Start with recommendation 1.", "fr": "Commencer par la recommandation 1."}


# ---- recommendations ------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["en", "fr"])
def test_recommendations_print_as_numbered_cards_in_the_pdf(mini_output, lang):
    text = normalise_spaces(pdf_text(mini_output / f"mini.{lang}.pdf"))
    assert REF[lang] in text
    position = 0
    for rank, title, deadline in CARDS[lang]:
        card = text.index(f"{rank} {title}", position)
        for label in LABELS[lang]:
            assert label in text[card:card + 600], (title, label)
        assert deadline in text[card:card + 600]
        position = card
    assert "Chef de file américain : Département d’État" in text if lang == "fr" else \
        "U.S. lead: Department of State, Bureau of European Affairs" in text


def test_recommendation_cards_are_kept_whole_by_the_stylesheet(mini_output):
    html = (mini_output / "mini.en.html").read_text(encoding="utf-8")
    assert html.count('<article class="recommendation"') == 3
    assert 'id="rec-talks"' in html and 'id="rec-drill"' in html
    css = (FIXTURES.parent.parent / "templates" / "print.css").read_text(encoding="utf-8")
    assert "page-break-inside: avoid" in css.split(".recommendation {")[1].split("}")[0]


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_recommendations_in_word_use_named_styles_only(mini_output, lang):
    path = mini_output / f"mini.{lang}.docx"
    document = docx.Document(str(path))
    cards = [p for p in document.paragraphs if p.style.name.startswith("Recommendation")]
    titles = [p for p in cards if p.style.name == "Recommendation Title"]
    assert [p.text for p in titles] == [f"{rank}.\t{title}" for rank, title, _ in CARDS[lang]]
    fields = [p for p in cards if p.style.name == "Recommendation Field"]
    assert len(fields) == 3 * 6
    for index, paragraph in enumerate(fields):
        label = LABELS[lang][index % 6]
        assert normalise_spaces(paragraph.text).startswith(label + " "), paragraph.text
        first_run = paragraph.runs[0]
        assert first_run.style.name == "Recommendation Label" and first_run.bold is None   # bold by its style
        assert paragraph.paragraph_format.left_indent is None        # indents come from the style
    assert [normalise_spaces(p.text) for p in fields[4::6]] == [deadline for *_, deadline in CARDS[lang]]
    # A card stays on one page: its paragraphs keep with the next, the last field of each card does not.
    assert all(p.paragraph_format.keep_with_next is False for p in fields[5::6])
    style = document.styles["Recommendation Field"]
    assert style.paragraph_format.keep_with_next and style.paragraph_format.keep_together
    assert bookmark_name("rec-talks") in docx_bookmarks(path) and bookmark_name("rec-drill") in docx_bookmarks(path)



# ---- information cut-off --------------------------------------------------------------------------------

CUT_OFF = {"en": "Information as of December 31, 2025", "fr": "Informations arrêtées au 31 décembre 2025"}


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_both_covers_print_the_information_cut_off(mini_output, lang):
    cover = normalise_spaces(PdfReader(mini_output / f"mini.{lang}.pdf").pages[0].extract_text())
    assert CUT_OFF[lang] in cover
    document = docx.Document(str(mini_output / f"mini.{lang}.docx"))
    cover_lines = [normalise_spaces(p.text) for p in document.paragraphs[:8]
                   if p.style.name in ("Cover Line", "Cover Date")]   # the cut-off has its own, bold style
    assert CUT_OFF[lang] in cover_lines
    assert any("2026" in line for line in cover_lines if line != CUT_OFF[lang])   # the publication date too


def test_the_model_exposes_the_cut_off():
    report = assemble(load_report(MINI), "fr")
    assert report.facts_as_of == dt.date(2025, 12, 31) and report.facts_as_of_text == "31 décembre 2025"


@pytest.mark.parametrize("today, warned", [("2026-06-30", False), ("2026-07-01", True), ("2027-03-01", True)])
def test_check_and_builds_warn_when_the_cut_off_is_over_six_months_old(monkeypatch, tmp_path, today, warned):
    monkeypatch.setenv("REPORTGEN_TODAY", today)
    warning = "mini/report.yaml:3:1: warning: the information cut-off 2025-12-31 is"
    check = run_build("--content", str(MINI.parent), "--check")
    build = run_build("--content", str(MINI.parent), "--output", str(tmp_path), "--format", "html")
    for result in (check, build):
        assert result.returncode == 0, result.stderr
        assert (warning in result.stderr) == warned
        assert ("the report is ageing" in result.stderr) == warned
    # A build with nothing to rebuild still counts it (from the findings of the day).
    noop = run_build("--content", str(MINI.parent), "--output", str(tmp_path), "--format", "html")
    assert "up to date" in noop.stdout
    counted = re.search(r"(\d+) other warnings?", noop.stdout + noop.stderr)
    assert (int(counted.group(1)) if counted else 0) == int(warned), noop.stdout + noop.stderr


# ---- annexes --------------------------------------------------------------------------------------------

ANNEX = {"en": ("Annex A.", "This is annex A; its second part is section A.2, after the section A.1."),
         "fr": ("Annexe A.", "Voici l’annexe A ; sa deuxième partie est la section A.2, après la section A.1.")}
ANNEX_TITLES = {"en": ("Notes", "First Notes", "Second Notes"), "fr": ("Notes", "Premières notes", "Secondes notes")}


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_annexes_are_lettered_in_the_pdf_its_contents_and_references(mini_output, lang):
    word, sentence = ANNEX[lang]
    title, first, second = ANNEX_TITLES[lang]
    reader = PdfReader(mini_output / f"mini.{lang}.pdf")
    contents = normalise_spaces(reader.pages[1].extract_text())
    for entry in (f"{word} {title}", f"A.1 {first}", f"A.2 {second}"):
        assert entry in contents
    assert contents.index("2 ") < contents.index(word)          # main sections keep their numbers, first
    outline = [normalise_spaces(title) for title in pdf_outline_titles(mini_output / f"mini.{lang}.pdf")]
    assert f"{word} {title}" in outline and f"A.2 {second}" in outline
    assert sentence in normalise_spaces(pdf_text(mini_output / f"mini.{lang}.pdf"))


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_annexes_are_lettered_in_word_headings_and_contents(mini_output, lang):
    word, sentence = ANNEX[lang]
    title, first, second = ANNEX_TITLES[lang]
    document = docx.Document(str(mini_output / f"mini.{lang}.docx"))
    headings = [(p.style.name, normalise_spaces(p.text)) for p in document.paragraphs
                if p.style.name.startswith("Heading")]
    assert headings[-4:-1] == [("Heading 1", f"{word} {title}"), ("Heading 2", f"A.1 {first}"),
                               ("Heading 2", f"A.2 {second}")]
    assert ("Heading 1", "2 " + ("Second Section" if lang == "en" else "Deuxième section")) in headings
    contents = [normalise_spaces(p.text.replace("\t", " ")) for p in document.paragraphs
                if p.style.name.startswith("toc ")]
    assert f"{word} {title} " in " | ".join(contents) and any(c.startswith(f"A.2 {second}") for c in contents)
    assert sentence in [normalise_spaces(paragraph_text(p)) for p in document.paragraphs]


# ---- glossary -------------------------------------------------------------------------------------------

def glossary_warnings(folder) -> list[str]:
    return [str(w) for w in load_report(folder).warnings if "glossary" in w.message]


def test_the_mini_report_follows_its_glossary():
    assert glossary_warnings(MINI) == []


def test_a_translation_without_the_agreed_term_is_named_with_file_line_and_both_terms(content_copy):
    edit(content_copy / "mini" / "fr" / "second.yaml", "Tenir un *seul* dialogue annuel", "Tenir un *seul* échange")
    edit(content_copy / "mini" / "fr" / "first.yaml", "Dépenses de défense", "Budget de la défense")
    found = glossary_warnings(content_copy / "mini")
    assert len(found) == 2, found
    assert any("fr/second.yaml:23:11: warning: glossary: the en text (en/second.yaml line 23) says 'yearly "
               "dialogue', this fr text has no 'dialogue annuel'" in f and "glossary.yaml line 2" in f for f in found)
    # Case-insensitive on both sides; every accepted form is named.
    assert any("fr/first.yaml:" in f and "says 'Defense spending'" in f and
               "no 'dépenses de défense' or 'dépenses militaires'" in f for f in found), found


def test_any_accepted_form_in_any_case_satisfies_the_glossary(content_copy):
    edit(content_copy / "mini" / "fr" / "first.yaml", "Dépenses de défense", "DÉPENSES MILITAIRES")
    assert glossary_warnings(content_copy / "mini") == []


def test_terms_match_whole_words_only(content_copy):
    edit(content_copy / "mini" / "en" / "second.yaml", "Hold *one* yearly dialogue", "Hold *one* yearly dialogues")
    edit(content_copy / "mini" / "fr" / "second.yaml", "Tenir un *seul* dialogue annuel", "Tenir un *seul* échange")
    assert glossary_warnings(content_copy / "mini") == []


def test_check_warns_and_strict_fails_on_a_glossary_miss(content_copy):
    edit(content_copy / "mini" / "fr" / "second.yaml", "Tenir un *seul* dialogue annuel", "Tenir un *seul* échange")
    check = run_build("--content", str(content_copy), "--check")
    assert check.returncode == 0 and "mini/fr/second.yaml:23:11: warning: glossary:" in check.stderr
    strict = run_build("--content", str(content_copy), "--check", "--strict")
    assert strict.returncode == 2 and "mini/fr/second.yaml:23:11: warning: glossary:" in strict.stderr


def test_the_glossary_is_an_input_of_every_document():
    from reportgen import plan
    for job in plan.plan(MINI.parent, None, ("pdf", "docx")):
        assert MINI / "glossary.yaml" in plan.input_files(job)


def edit(file, old: str, new: str) -> None:
    text = file.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {file}"
    file.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_review_maps_a_comment_on_a_card_to_its_field(mini_output, tmp_path):
    import json
    document = docx.Document(str(mini_output / "mini.fr.docx"))
    fields = [p for p in document.paragraphs if p.style.name == "Recommendation Field"]
    document.add_comment(fields[6 + 1].runs, text="Quel service ?", author="Jane Reviewer", initials="JR")
    document.save(str(tmp_path / "reviewed.docx"))
    result = run_build("review", str(tmp_path / "reviewed.docx"), "--content", str(MINI.parent), "--format", "json")
    assert result.returncode == 0, result.stderr
    (remark,) = json.loads(result.stdout)
    assert (remark["file"], remark["key"]) == ("valid/mini/fr/second.yaml", "blocks[4].recommendations.items[1].us_lead")
    source = (MINI / "fr" / "second.yaml").read_text(encoding="utf-8").splitlines()
    assert source[remark["line"] - 1].strip().startswith("us_lead:")
