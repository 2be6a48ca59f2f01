"""What a build or a check tells the author besides errors: stale translations, old figures, other warnings.

One place decides what counts, so `--check`, a build and `--strict` agree: warnings (stale translations and
every warning the validators raise, such as sources never cited or an ageing information cut-off) fail
under --strict; notices (figures older than the report's threshold) never do. Every run ends with one
summary line. A build with nothing to rebuild reuses the summary of the last validation (kept in
output/.findings.json) as long as the ledger and the day are the same, so it stays cheap.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from . import ageing
from .plan import LEDGER, file_digest, write_json

CACHE = ".findings.json"


@dataclass
class Findings:
    stale_translations: list = field(default_factory=list)   # Problems (warnings)
    old_figures: list = field(default_factory=list)          # Problems (notices)
    other: list = field(default_factory=list)                # Problems (warnings)
    statuses: list[str] = field(default_factory=list)        # "belgium: translation fr: 40 of 52 texts ..."
    counts: dict[str, int] | None = None                     # set when read back from the cache

    def count(self) -> dict[str, int]:
        if self.counts is not None:
            return self.counts
        return {"stale translation": len(self.stale_translations), "other warning": len(self.other),
                "old figure": len(self.old_figures)}

    @property
    def warnings(self) -> int:
        """What --strict refuses: everything but the old-figure notices."""
        counts = self.count()
        return counts["stale translation"] + counts["other warning"]

    def summary(self) -> str:
        parts = [f"{n} {kind}{'' if n == 1 else 's'}" for kind, n in self.count().items() if n]
        if not parts:
            return "warnings: none"
        return f"warnings: {', '.join(parts)} (build.py --check lists them)"

    def merge(self, other: Findings) -> None:
        self.stale_translations += other.stale_translations
        self.old_figures += other.old_figures
        self.other += other.other
        self.statuses += other.statuses
        if self.counts is not None or other.counts is not None:
            mine, theirs = self.count(), other.count()
            self.counts = {kind: mine[kind] + theirs[kind] for kind in mine}


def of_report(raw, langs: tuple[str, ...] | None = None) -> Findings:
    """The findings of one validated report; stale translations only of the languages asked for."""
    from . import ledger
    from .validate import stale_figures

    found = Findings(other=[*raw.warnings, *ageing.warnings(raw.folder, raw.meta.facts_as_of)],
                     old_figures=stale_figures(raw))
    if len(raw.languages) > 1:
        for state in ledger.status(raw):
            if langs is None or state.lang in langs:
                found.statuses.append(f"{raw.meta.id}: translation {state.summary()}")
                found.stale_translations += state.stale
    return found


def cache_key(folder: Path, fingerprints: list[str], langs) -> str:
    """What the findings of a report depend on: its inputs, its ledger, the languages asked for, today."""
    ledger = folder / LEDGER
    recorded = file_digest(ledger) if ledger.is_file() else ""   # streamed, size-limited
    digest = hashlib.sha256(json.dumps([sorted(fingerprints), list(langs or ()), ageing.today().isoformat(),
                                        recorded]).encode())
    return digest.hexdigest()


def cached(output: Path, report: str, key: str) -> Findings | None:
    try:
        entry = json.loads((output / CACHE).read_text(encoding="utf-8"))[report]
        statuses, counts = entry["statuses"], entry["counts"]
        well_formed = (entry.get("key") == key and all(isinstance(s, str) for s in statuses)
                       and all(isinstance(k, str) and type(n) is int for k, n in counts.items()))
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return None   # absent, or not what this program writes: the findings are worked out again
    return Findings(statuses=list(statuses), counts=dict(counts)) if well_formed else None


def remember(output: Path, found: dict[str, tuple[str, Findings]]) -> None:
    """Keep each report's findings (by cache key) for the next run with nothing to rebuild."""
    try:
        entries = json.loads((output / CACHE).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        entries = {}
    entries = entries if isinstance(entries, dict) else {}
    for report, (key, findings) in found.items():
        entries[report] = {"key": key, "counts": findings.count(), "statuses": findings.statuses}
    write_json(output / CACHE, dict(sorted(entries.items())))
