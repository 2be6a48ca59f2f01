"""Issue 13: `build.py review FILE.docx --apply [--dry-run]` writes a reviewer's tracked changes into the YAML."""
from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph
from docx.text.run import Run

from conftest import FIXTURES, run_build
from test_review import libreoffice, paragraphs, tracked

FIRST_EN = Path("mini", "en", "first.yaml")
FIRST_FR = Path("mini", "fr", "first.yaml")


def apply(path: Path, content: Path, *options: str) -> tuple[int, dict, str]:
    result = run_build("review", str(path), "--content", str(content), "--apply", "--format", "json", *options)
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, json.loads(result.stdout or "{}"), result.stderr


def replace(paragraph, old: str, new: str, change_id: int) -> None:
    """Track the replacement of `old` (inside one run) by `new`, as Word saves it: a deletion, then an
    insertion, between the two halves of the run."""
    run = next(r for r in map(lambda e: Run(e, paragraph), paragraph._p.iter(qn("w:r"))) if old in r.text)   # sdt too
    before, after = run.text.split(old, 1)
    tail = copy.deepcopy(run._r)
    run.text = before
    Run(tail, paragraph).text = after
    run._r.addnext(tail)
    if old:
        tail.addprevious(tracked("w:del", old, change_id))
    if new:
        tail.addprevious(tracked("w:ins", new, change_id + 1))


def shown_text(paragraph_element) -> str:
    """A paragraph's text, runs inside content controls (w:sdt) included, which python-docx leaves out."""
    return "".join(node.text or "" for node in paragraph_element.iter(qn("w:t")))


def first_yaml(content: Path, lang: str = "en") -> Path:
    return content / (FIRST_EN if lang == "en" else FIRST_FR)


@pytest.fixture(scope="module")
def built(mini_output) -> Path:
    return mini_output / "mini.en.docx"


def python_docx_edits(built: Path, target: Path) -> None:
    """In the first paragraph (which holds a figure value, a year, a citation and a cross-reference) a word
    replaced; in the bold list item, words added at the end with typographic quotes and apostrophe; in a
    numbered item (a plain scalar in a flow list), a word added; in the next, a comma, which a plain scalar in a
    flow list cannot hold."""
    document = docx.Document(str(built))
    replace(paragraphs(document, "Body Text")[0], "many", "a lot", 901)
    paragraphs(document, "List Bullet")[0]._p.append(tracked("w:ins", " that isn\u2019t \u201cnew\u201d", 903))
    paragraphs(document, "List Number")[1]._p.append(tracked("w:ins", " more", 904))
    paragraphs(document, "List Number")[2]._p.append(tracked("w:ins", " (or four), say", 905))
    document.save(str(target))


def test_tracked_changes_are_written_into_their_strings_only(built, tmp_path, content_copy):
    python_docx_edits(built, tmp_path / "reviewed.docx")
    before = first_yaml(content_copy).read_text(encoding="utf-8")
    code, result, stderr = apply(tmp_path / "reviewed.docx", content_copy)
    assert code == 0, stderr
    assert not result["listed"]
    assert [(c["key"], c.get("old", ""), c.get("new", "")) for c in result["applied"]] == [
        ("blocks[0]", "many", "a lot"),
        ("blocks[1].bullets[0]", "", " that isn\u2019t \u201cnew\u201d"),
        ("subsections[0].blocks[0].numbered[1]", "", " more"),
        ("subsections[0].blocks[0].numbered[2]", "", " (or four), say"),
    ]
    expected = (before.replace("Is that many?", "Is that a lot?")
                .replace('- "**Bold** item"', '- "**Bold** item that isn\'t \\"new\\""')
                .replace("[One, Two, Three]", '[One, Two more, "Three (or four), say"]'))
    assert first_yaml(content_copy).read_text(encoding="utf-8") == expected    # the rest byte for byte
    for other in (content_copy / "mini").rglob("*.yaml"):
        if other != first_yaml(content_copy):
            assert other.read_bytes() == (FIXTURES / "valid" / other.relative_to(content_copy)).read_bytes()
    assert "en is the reference language" in stderr


def test_french_typography_is_turned_back_into_plain_typing(mini_output, tmp_path, content_copy):
    document = docx.Document(str(mini_output / "mini.fr.docx"))
    body = paragraphs(document, "Body Text")[0]
    replace(body, "beaucoup", "\u00ab\u00a0vraiment\u00a0\u00bb beaucoup", 905)
    paragraphs(document, "List Bullet")[0]._p.append(tracked("w:ins", " (l\u2019essentiel\u202f!)", 907))
    document.save(str(tmp_path / "fr.docx"))
    before = first_yaml(content_copy, "fr").read_text(encoding="utf-8")
    code, result, stderr = apply(tmp_path / "fr.docx", content_copy)
    assert code == 0, (result, stderr)
    after = first_yaml(content_copy, "fr").read_text(encoding="utf-8")
    assert after == before.replace("Est-ce beaucoup ?", 'Est-ce "vraiment" beaucoup ?').replace(
        '- "Élément en **gras**"', '- "Élément en **gras** (l\'essentiel !)"')
    assert "reference language" not in stderr


def test_changes_typed_in_libreoffice_are_applied(built, tmp_path, content_copy):
    libreoffice("edit", built, tmp_path / "lo.docx")
    before = first_yaml(content_copy).read_text(encoding="utf-8")
    code, result, stderr = apply(tmp_path / "lo.docx", content_copy)
    assert code == 0, (result, stderr)
    # LibreOffice sets a word typed before "Bold" in bold too (the Strong style): it goes inside the markup.
    assert first_yaml(content_copy).read_text(encoding="utf-8") == (
        before.replace("Is that many?", "Is that a lot?").replace('- "**Bold** item"', '- "**Very Bold** item"'))


@pytest.mark.parametrize("style, expected", [(None, '"Very **Bold** item"'), ("Strong", '"**Very Bold** item"')])
def test_text_typed_at_the_edge_of_bold_goes_inside_it_only_when_typed_bold(built, tmp_path, content_copy, style,
                                                                          expected):
    document = docx.Document(str(built))
    insertion = tracked("w:ins", "Very ", 911)
    if style:
        properties = insertion.find(qn("w:r")).get_or_add_rPr()
        properties.style = style
    bullet = paragraphs(document, "List Bullet")[0]
    bullet.runs[0]._r.addprevious(insertion)
    document.save(str(tmp_path / "edge.docx"))
    code, _, stderr = apply(tmp_path / "edge.docx", content_copy)
    assert code == 0, stderr
    assert f"      - {expected}\n" in first_yaml(content_copy).read_text(encoding="utf-8")


@pytest.mark.parametrize("old, new, control, data_file", [
    ("11.8\u00a0million", "12 million", "value:pop", "data/data.yaml"),
    ("(2025)", "(2026)", "year:pop", "data/data.yaml"),
])
def test_an_edit_inside_a_placeholder_is_listed_with_its_id_and_data_file(built, tmp_path, content_copy, old, new,
                                                                          control, data_file):
    document = docx.Document(str(built))
    body = paragraphs(document, "Body Text")[0]
    replace(body, old.strip("()"), new.strip("()"), 907)
    document.save(str(tmp_path / "value.docx"))
    before = first_yaml(content_copy).read_bytes()
    code, result, stderr = apply(tmp_path / "value.docx", content_copy)
    assert code == 1, stderr
    (listed,) = result["listed"]
    assert listed["control"] == control and listed["data_file"].endswith(f"mini/{data_file}")
    assert listed["key"] == "blocks[0]" and "data file" in listed["reason"]
    assert not result["applied"] and first_yaml(content_copy).read_bytes() == before


def test_a_change_to_a_text_edited_since_the_build_is_listed(built, tmp_path, content_copy):
    python_docx_edits(built, tmp_path / "reviewed.docx")
    first = first_yaml(content_copy)
    first.write_text(first.read_text(encoding="utf-8").replace("Is that many?", "Is it many?"), encoding="utf-8")
    before = first.read_text(encoding="utf-8")
    code, result, stderr = apply(tmp_path / "reviewed.docx", content_copy)
    assert code == 1, stderr
    assert [c["key"] for c in result["listed"]] == ["blocks[0]"]
    assert "no longer in it" in result["listed"][0]["reason"]
    assert len(result["applied"]) == 3 and "Is it many?" in first.read_text(encoding="utf-8")
    assert first.read_text(encoding="utf-8") != before


def test_dry_run_prints_a_diff_and_writes_nothing(built, tmp_path, content_copy):
    python_docx_edits(built, tmp_path / "reviewed.docx")
    document = docx.Document(str(tmp_path / "reviewed.docx"))
    document.add_comment(paragraphs(document, "List Bullet")[1].runs, text="Cite this?", author="Jane Reviewer")
    document.save(str(tmp_path / "reviewed.docx"))
    before = {file: file.read_bytes() for file in content_copy.rglob("*") if file.is_file()}
    result = run_build("review", str(tmp_path / "reviewed.docx"), "--content", str(content_copy), "--apply",
                       "--dry-run")
    assert result.returncode == 0, result.stderr
    name = str(first_yaml(content_copy))
    assert f"--- {name}\n+++ {name}\n" in result.stdout
    assert "-      Belgium has {value:pop} inhabitants ({year:pop}) {cite:stat}. Is that many?" in result.stdout
    assert "+      Belgium has {value:pop} inhabitants ({year:pop}) {cite:stat}. Is that a lot?" in result.stdout
    assert "to do: content/mini/en/first.yaml:7: blocks[1].bullets[1]: comment by Jane Reviewer" in result.stdout
    code, result, stderr = apply(tmp_path / "reviewed.docx", content_copy, "--dry-run")
    assert code == 0, stderr
    assert [(c["text"], c["key"]) for c in result["comments"]] == [("Cite this?", "blocks[1].bullets[1]")]
    assert len(result["applied"]) == 4 and "+      Belgium has" in result["diff"]
    assert {file: file.read_bytes() for file in content_copy.rglob("*") if file.is_file()} == before


def test_a_file_that_is_not_ours_exits_2(tmp_path, content_copy):
    (tmp_path / "notes.docx").write_text("not a zip")
    docx.Document().save(str(tmp_path / "foreign.docx"))
    for name in ("notes.docx", "foreign.docx"):
        result = run_build("review", str(tmp_path / name), "--content", str(content_copy), "--apply")
        assert result.returncode == 2, result.stderr
        assert "Traceback" not in result.stderr


def test_the_round_trip_apply_then_rebuild_holds_the_accepted_text(built, tmp_path, content_copy):
    python_docx_edits(built, tmp_path / "reviewed.docx")
    code, _, stderr = apply(tmp_path / "reviewed.docx", content_copy)
    assert code == 0, stderr
    result = run_build("--content", str(content_copy), "--output", str(tmp_path / "out"), "--format", "docx",
                       "--lang", "en")
    assert result.returncode == 0, result.stderr
    document = docx.Document(str(tmp_path / "out" / "mini.en.docx"))
    texts = [shown_text(p._p) for p in document.paragraphs]
    reviewed = docx.Document(str(tmp_path / "reviewed.docx"))
    accepted = [shown_text(_accepted(p._p)) for p in reviewed.paragraphs]
    for index in range(len(texts)):
        assert texts[index] == accepted[index]
    assert any("inhabitants (2025)[1]. Is that a lot? Yes: see figure" in text for text in texts)
    assert "Bold item that isn\u2019t \u201cnew\u201d" in texts
    assert "Two more" in texts and "Three (or four), say" in texts


def _accepted(paragraph_element):
    """A copy of a paragraph with its tracked changes accepted: deletions dropped, insertions kept."""
    element = copy.deepcopy(paragraph_element)
    for deleted in list(element.iter(qn("w:del"))):
        deleted.getparent().remove(deleted)
    return element


def test_editing_the_reference_language_makes_the_translation_stale(built, tmp_path, content_copy):
    marked = run_build("--content", str(content_copy), "--mark-translated", "fr")
    assert marked.returncode == 0, marked.stderr
    check = run_build("--content", str(content_copy), "--check")
    assert "first.yaml" not in check.stdout + check.stderr
    python_docx_edits(built, tmp_path / "reviewed.docx")
    code, _, stderr = apply(tmp_path / "reviewed.docx", content_copy)
    assert code == 0, stderr
    check = run_build("--content", str(content_copy), "--check")
    stale = [line for line in (check.stdout + check.stderr).splitlines() if "translation may be stale" in line]
    assert any("fr/first.yaml" in line and "blocks[0]" in line and "the en text changed" in line for line in stale)
    assert any("fr/first.yaml" in line and "blocks[1]" in line for line in stale)
    assert not any("second.yaml" in line for line in stale)


def delete_run(paragraph_element, text: str, change_id: int) -> None:
    """Track the deletion of the run whose text is `text`, wherever it sits (a link, a content control)."""
    strike(next(t for t in paragraph_element.iter(qn("w:t")) if t.text == text), change_id)


def strike(node, change_id: int) -> None:
    """Track the deletion of the run holding the w:t `node`."""
    run = node.getparent()
    node.tag = qn("w:delText")
    deletion = tracked("w:del", "", change_id)
    deletion.remove(deletion[0])
    run.addprevious(deletion)
    deletion.append(run)


def test_deleting_all_of_a_link_deletes_its_markup(built, tmp_path, content_copy):
    document = docx.Document(str(built))
    delete_run(paragraphs(document, "List Bullet")[1]._p, "link", 921)
    document.save(str(tmp_path / "link.docx"))
    code, _, stderr = apply(tmp_path / "link.docx", content_copy)
    assert code == 0, stderr
    assert '      - "*Italic* item with a"\n' in first_yaml(content_copy).read_text(encoding="utf-8")


def test_what_cannot_be_applied_is_listed_and_left_alone(built, tmp_path, content_copy):
    document = docx.Document(str(built))
    body = paragraphs(document, "Body Text")[0]._p
    delete_run(body, "[1]", 931)                                       # a citation
    delete_run(body, "figure 1", 933)                                  # a cross-reference
    caption = paragraphs(document, "Caption")[0]
    caption.runs[0]._r.addprevious(tracked("w:ins", "See ", 935))      # the label "Figure 1." the template writes
    added = copy.deepcopy(paragraphs(document, "List Number")[0]._p)   # a list item the reviewer added
    for run in added.findall(qn("w:r")):
        added.remove(run)
    added.append(tracked("w:ins", "Four", 937))
    paragraphs(document, "List Number")[2]._p.addnext(added)
    delete_run(paragraphs(document, "List Number")[0]._p, "One", 939)   # a whole item deleted
    document.save(str(tmp_path / "listed.docx"))
    before = {file: file.read_bytes() for file in content_copy.rglob("*.yaml")}
    code, result, stderr = apply(tmp_path / "listed.docx", content_copy)
    assert code == 1, stderr
    listed = {c["old"] or c["new"]: c for c in result["listed"]}
    assert set(listed) == {"[1]", "figure 1", "See ", "Four", "One"} and not result["applied"]
    assert "whole paragraph" in listed["One"]["reason"]
    assert listed["[1]"]["control"] == "cite:stat" and listed["[1]"]["data_file"].endswith("mini/data/data.yaml")
    assert listed["figure 1"]["control"] == "ref:shares"
    assert "label" in listed["See "]["reason"] and listed["See "]["key"].endswith("figure.caption")
    assert "added" in listed["Four"]["reason"]
    assert {file: file.read_bytes() for file in content_copy.rglob("*.yaml")} == before


def test_text_typed_inside_a_content_control_at_its_edge_is_listed(built, tmp_path, content_copy):
    """Beside the figure's value, inside its control: the text reads as if typed after it, but belongs to it."""
    document = docx.Document(str(built))
    body = paragraphs(document, "Body Text")[0]._p
    control = next(sdt for sdt in body.iter(qn("w:sdt"))
                   if sdt.find(f"{qn('w:sdtPr')}/{qn('w:tag')}").get(qn("w:val")) == "value:pop")
    control.find(qn("w:sdtContent")).append(tracked("w:ins", " or so", 941))
    document.save(str(tmp_path / "control.docx"))
    before = first_yaml(content_copy).read_bytes()
    code, result, stderr = apply(tmp_path / "control.docx", content_copy)
    assert code == 1, stderr
    (listed,) = result["listed"]
    assert (listed["new"], listed["control"]) == (" or so", "value:pop")
    assert listed["data_file"].endswith("mini/data/data.yaml") and first_yaml(content_copy).read_bytes() == before


def test_a_libreoffice_resave_of_a_reviewed_file_applies_the_same(built, tmp_path, content_copy):
    python_docx_edits(built, tmp_path / "reviewed.docx")
    libreoffice("resave", tmp_path / "reviewed.docx", tmp_path / "resaved.docx")
    before = first_yaml(content_copy).read_text(encoding="utf-8")
    code, result, stderr = apply(tmp_path / "resaved.docx", content_copy)
    assert code == 0, (result, stderr)
    assert first_yaml(content_copy).read_text(encoding="utf-8") == (
        before.replace("Is that many?", "Is that a lot?")
        .replace('- "**Bold** item"', '- "**Bold** item that isn\'t \\"new\\""')
        .replace("[One, Two, Three]", '[One, Two more, "Three (or four), say"]'))


def test_a_table_cell_is_edited_in_its_row(built, tmp_path, content_copy):
    document = docx.Document(str(built))
    table = next(t for t in document.tables if t.rows[0].cells[0].text == "Holder")
    table.rows[0].cells[0].paragraphs[0]._p.append(tracked("w:ins", " name", 951))
    table.rows[1].cells[0].paragraphs[0]._p.append(tracked("w:ins", " Bank", 953))
    document.save(str(tmp_path / "table.docx"))
    second = content_copy / "mini" / "en" / "second.yaml"
    before = second.read_text(encoding="utf-8")
    code, result, stderr = apply(tmp_path / "table.docx", content_copy)
    assert code == 0, (result, stderr)
    assert [c["key"] for c in result["applied"]] == ["blocks[0].table.header", "blocks[0].table.rows[0]"]
    assert second.read_text(encoding="utf-8") == before.replace("[Holder, Amount]", "[Holder name, Amount]").replace(
        '[Euroclear, "{value:money}"]', '[Euroclear Bank, "{value:money}"]')


def test_a_paragraph_moved_since_the_build_is_edited_where_it_is_now(built, tmp_path, content_copy):
    document = docx.Document(str(built))
    paragraphs(document, "List Bullet")[0]._p.append(tracked("w:ins", " first", 961))
    document.save(str(tmp_path / "moved.docx"))
    first = first_yaml(content_copy)
    bold, italic = '      - "**Bold** item"\n', '      - "*Italic* item with a [link](https://example.org)"\n'
    first.write_text(first.read_text(encoding="utf-8").replace(bold + italic, italic + bold), encoding="utf-8")
    before = first.read_text(encoding="utf-8")
    code, result, stderr = apply(tmp_path / "moved.docx", content_copy)
    assert code == 0, (result, stderr)
    assert result["applied"][0]["key"] == "blocks[1].bullets[1]"
    assert first.read_text(encoding="utf-8") == before.replace(bold, '      - "**Bold** item first"\n')


def test_a_key_figure_label_is_edited_and_its_value_listed(built, tmp_path, content_copy):
    document = docx.Document(str(built))
    key_figures = document.tables[0].rows[0].cells[0].paragraphs
    replace(key_figures[1], "Population", "Residents", 971)
    replace(key_figures[2], "1.29", "1.3", 973)
    document.save(str(tmp_path / "keyfigures.docx"))
    before = first_yaml(content_copy).read_text(encoding="utf-8")
    code, result, stderr = apply(tmp_path / "keyfigures.docx", content_copy)
    assert code == 1, (result, stderr)
    assert [(c["key"], c["new"]) for c in result["applied"]] == [("blocks[2].keyfigures.items[0]", "Residents")]
    (listed,) = result["listed"]
    assert listed["control"] == "value:share" and listed["data_file"].endswith("mini/data/data.yaml")
    assert first_yaml(content_copy).read_text(encoding="utf-8") == before.replace(
        "{label: Population, value: pop}", "{label: Residents, value: pop}")


def test_a_struck_sentence_takes_its_placeholder_along(built, tmp_path, content_copy):
    """Content controls are locked against editing, not against deletion: a reviewer can strike a sentence
    holding a cross-reference, and the placeholder goes with it."""
    document = docx.Document(str(built))
    body = paragraphs(document, "Body Text")[0]
    replace(body, " Is that many? Yes: see ", "", 981)
    delete_run(body._p, "figure 1", 983)
    last = list(body._p.iter(qn("w:t")))[-1]
    assert last.text == "."
    strike(last, 985)
    document.save(str(tmp_path / "struck.docx"))
    before = first_yaml(content_copy).read_text(encoding="utf-8")
    code, result, stderr = apply(tmp_path / "struck.docx", content_copy)
    assert code == 0, (result, stderr)
    assert first_yaml(content_copy).read_text(encoding="utf-8") == before.replace(
        " Is that many? Yes: see {ref:shares}.", "")


def test_an_edit_still_applies_when_only_citation_numbers_moved_since_the_build(built, tmp_path, content_copy):
    """The author cited a source earlier in the report after sending the file: later citations are renumbered,
    so the text the reviewer saw reads '[2]' where today's reads '[1]'. The words are the same: apply."""
    document = docx.Document(str(built))
    callout = next(Paragraph(p, document._body) for p in document.element.body.iter(qn("w:p"))
                   if "shows it" in shown_text(p))           # in the callout box (a table)
    assert "shows it[2]" in shown_text(callout._p)
    replace(callout, "shows", "proves", 991)
    document.save(str(tmp_path / "renumbered.docx"))
    second = content_copy / "mini" / "en" / "second.yaml"
    for lang in ("en", "fr"):                  # both languages cite the same sources
        first = first_yaml(content_copy, lang)
        text = first.read_text(encoding="utf-8")
        assert "({year:pop}) {cite:stat}" in text
        first.write_text(text.replace("({year:pop}) {cite:stat}", "({year:pop}) {cite:nato} {cite:stat}"),
                         encoding="utf-8")
    before = second.read_text(encoding="utf-8")
    code, result, stderr = apply(tmp_path / "renumbered.docx", content_copy)
    assert code == 0, (result, stderr)
    assert second.read_text(encoding="utf-8") == before.replace("shows it {cite:nato}", "proves it {cite:nato}")


def test_a_word_deleted_at_the_end_of_a_folded_line(built, tmp_path, content_copy):
    """In a `>` block, the line break after the word is a space of the text: the lines may join, the
    indentation of the next one never becomes text."""
    first = first_yaml(content_copy)
    folded = first.read_text(encoding="utf-8").replace(" Is that many?", " Is that\n      many?")
    first.write_text(folded, encoding="utf-8")
    document = docx.Document(str(built))
    replace(paragraphs(document, "Body Text")[0], "that ", "", 995)
    document.save(str(tmp_path / "folded.docx"))
    code, result, stderr = apply(tmp_path / "folded.docx", content_copy)
    assert code == 0, (result, stderr)
    assert first.read_text(encoding="utf-8") in (folded.replace(" that\n", "\n"), folded.replace("that\n      ", ""))
    from reportgen.load import load_yaml
    assert load_yaml(first)["blocks"][0]["p"].endswith("{cite:stat}. Is many? Yes: see {ref:shares}.")


def test_an_insertion_the_word_diff_puts_in_a_label_slides_into_the_text(built, tmp_path, content_copy):
    """'1  First Section' + '“new” ' before 'First': a word diff may put the insertion before the label's
    second space ('1 ' + ' “new”' + ' First'); the same insertion one space over is in the title."""
    document = docx.Document(str(built))
    replace(paragraphs(document, "Heading 1")[0], "First", "\u201cnew\u201d First", 997)
    document.save(str(tmp_path / "heading.docx"))
    code, result, stderr = apply(tmp_path / "heading.docx", content_copy)
    assert code == 0, (result, stderr)
    assert first_yaml(content_copy).read_text(encoding="utf-8").startswith('title: "\\"new\\" First Section"\n')
