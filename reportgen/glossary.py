"""The enforced glossary: terms every translation must render one agreed way.

`<report>/glossary.yaml` is a list of entries keyed by language code, e.g. `{en: core defense, fr: défense
proprement dite}`; a value may be a list of accepted forms. When a text of the reference language (the first
declared) uses an entry's term (case-insensitive, whole words), the matching text of each other language
(same section, block and place in the block) must contain one of that language's forms (case-insensitive).
Each miss is a warning naming the translation's file and line and both terms; --strict makes it an error.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from . import schema
from .errors import Problem
from .inline import parse_inline, plain_text

FILE = "glossary.yaml"


@dataclass(frozen=True)
class Term:
    forms: dict          # language code -> tuple of accepted forms
    line: int            # where the entry is in glossary.yaml

    def pattern(self, lang: str) -> re.Pattern:
        """The reference forms as whole words, in any case."""
        alternatives = "|".join(re.escape(_normal(form)) for form in self.forms[lang])
        return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def load(folder: Path, languages: list[str], read, check, problems: list[Problem]) -> list[Term]:
    """The glossary's terms, or [] when the report has none; bad entries become located problems."""
    if not (folder / FILE).is_file():
        return []
    doc = read(folder / FILE)
    entries = check(doc, (), schema.GlossaryFile, doc.data, problems) if doc is not None else None
    terms = []
    for index, entry in enumerate(entries or []):
        unknown = [code for code in entry if code not in languages]
        for code in unknown:
            problems.append(doc.problem((index, code), f"'{code}' is not a language of the report",
                                        f"use the codes of report.yaml: {', '.join(languages)}"))
        if languages[0] not in entry:
            problems.append(doc.problem((index,), f"this entry has no '{languages[0]}' term (the reference "
                                        "language's term is what the check looks for)", f"add '{languages[0]}: ...'"))
        elif len(entry) < 2:
            problems.append(doc.problem((index,), "this entry gives no translation",
                                        "add the term of at least one other language"))
        elif not unknown:
            forms = {code: (value,) if isinstance(value, str) else tuple(value) for code, value in entry.items()}
            terms.append(Term(forms, doc.where((index,))[0]))
    return terms


def warnings(report) -> list[Problem]:
    """Every translated text that lacks the agreed rendering of a term its reference text uses."""
    reference = next(iter(report.meta.languages))
    if not report.glossary or reference not in report.languages:
        return []
    file = report.folder / FILE
    patterns = [(term, term.pattern(reference)) for term in report.glossary]
    found = []
    for code, language in report.languages.items():
        if code == reference:
            continue
        for ref_doc, ref_path, ref_text, doc, path, text in _pairs(report.languages[reference].sections,
                                                                   language.sections):
            plain_ref, plain = _normal(ref_text), _normal(text).casefold()
            for term, pattern in patterns:
                forms = term.forms.get(code)
                match = pattern.search(plain_ref) if forms else None
                if match and not any(_normal(form).casefold() in plain for form in forms):
                    wanted = " or ".join(f"'{form}'" for form in forms)
                    found.append(doc.problem(path, f"glossary: the {reference} text ({reference}/"
                                             f"{ref_doc.file.name} line {ref_doc.where(ref_path)[0]}) says "
                                             f"'{match.group()}', this {code} text has no {wanted}",
                                             f"use the agreed term, or add the form used here to {file.name} "
                                             f"line {term.line}", "warning"))
    return found


def _pairs(ref_sections, sections):
    """(ref doc, ref path, ref text, doc, path, text) of every text both languages hold at the same place."""
    theirs = {section.id: section for section in sections}
    for ref in ref_sections:
        other = theirs.get(ref.id)
        if other is None:
            continue
        yield ref.doc, ref.path + ("title",), ref.title, other.doc, other.path + ("title",), other.title
        yield from _block_pairs(ref.blocks, other.blocks)
        yield from _pairs(ref.subsections, other.subsections)


def _block_pairs(ref_blocks, blocks):
    for ref, block in zip(ref_blocks, blocks):
        if ref.kind == block.kind:
            for (ref_path, ref_text), (path, text) in zip(ref.located_texts(), block.located_texts()):
                yield ref.doc, ref_path, ref_text, block.doc, path, text


def _normal(text: str) -> str:
    """Plain text (markup and data references dropped), typographic apostrophes and spaces made plain."""
    return re.sub(r"[\s\u00a0\u202f]+", " ", plain_text(parse_inline(text)).replace("\u2019", "'")).strip()
