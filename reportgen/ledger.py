"""The translation ledger: which version of the reference-language text each translated text renders.

Every translated section title and block records a fingerprint of the reference (first declared) language's
text at the same place. When that text changes, the fingerprint no longer matches and `--check` lists the
translation as stale. `build.py --mark-translated fr` (or `fr:help-us,needs`) records the current state once
a translator has brought the texts up to date. The ledger is `translations.yaml` in the report folder.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .errors import Problem
from .load import key_path, load_yaml
from .plan import LEDGER
from .validate import RawReport, RawSection, walk_sections



@dataclass
class LanguageStatus:
    lang: str
    total: int = 0
    stale: list[Problem] = field(default_factory=list)

    @property
    def current(self) -> int:
        return self.total - len(self.stale)

    def summary(self) -> str:
        percent = 100 * self.current / self.total if self.total else 100
        return f"{self.lang}: {self.current} of {self.total} texts up to date with the reference ({percent:.0f}%)"


def fingerprint(texts: list[str]) -> str:
    return hashlib.sha256("\x1f".join(texts).encode("utf-8")).hexdigest()[:12]


def _units(sections: list[RawSection]) -> dict[str, tuple]:
    """Translatable units by key: each section title and each top-level block, with texts and location."""
    units = {}
    for section in walk_sections(sections):
        stem = section.doc.file.stem
        units[f"{stem}/{key_path(section.path + ('title',))}"] = ([section.title], section.doc, section.path)
        for block in section.blocks:
            units[f"{stem}/{key_path(block.path)}"] = (block.texts(), block.doc, block.path)
    return units


def read(raw: RawReport) -> dict:
    file = raw.folder / LEDGER
    return (load_yaml(file, dict) or {}) if file.exists() else {}   # located errors (e.g. merge conflict markers)


def status(raw: RawReport) -> list[LanguageStatus]:
    """For each translated language: how many units exist and which are stale or never recorded."""
    reference, *others = raw.languages.values()
    ref_units = _units(reference.sections)
    ledger = read(raw)
    result = []
    for language in others:
        recorded = ledger.get(language.code) or {}
        state = LanguageStatus(language.code)
        for key, (texts, doc, path) in _units(language.sections).items():
            state.total += 1
            if key not in ref_units:
                continue
            expected = fingerprint(ref_units[key][0])
            if recorded.get(key) != expected:
                why = "never recorded as translated" if key not in recorded else \
                    f"the {reference.code} text changed since it was translated"
                state.stale.append(doc.problem(path, f"translation may be stale: {why}",
                                               f"update it, then run build.py --mark-translated "
                                               f"{language.code}:{doc.file.stem}", "warning"))
        result.append(state)
    return result


def mark(raw: RawReport, lang: str, sections: list[str] | None = None) -> int:
    """Record the current reference texts as translated for `lang` (all files, or the given section files)."""
    reference = next(iter(raw.languages.values()))
    ref_units = _units(reference.sections)
    ledger = read(raw)
    recorded = ledger.setdefault(lang, {})
    count = 0
    for key in _units(raw.languages[lang].sections):
        if key in ref_units and (sections is None or key.split("/", 1)[0] in sections):
            recorded[key] = fingerprint(ref_units[key][0])
            count += 1
    ledger[lang] = dict(sorted(recorded.items()))
    header = ("# Translation ledger, written by `build.py --mark-translated`: for each translated text, a\n"
              "# fingerprint of the reference-language text it renders. Do not edit by hand.\n")
    (raw.folder / LEDGER).write_text(header + yaml.safe_dump(ledger, allow_unicode=True, sort_keys=True),
                                     encoding="utf-8")
    return count
