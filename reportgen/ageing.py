"""The ageing warning: a report whose information cut-off (`facts_as_of`) is over six months old.

Light on purpose (YAML only, no validation), so even a build with nothing to rebuild, the usual nightly
case, tells the owner the report is ageing. Not made an error by --strict: content does not become invalid
with time, and a scheduled build should still publish.
"""
from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import yaml

from .errors import Problem

AGEING_MONTHS = 6


def today() -> dt.date:
    """The day reports are read against; REPORTGEN_TODAY=YYYY-MM-DD sets it (for tests and re-runs)."""
    value = os.environ.get("REPORTGEN_TODAY")
    return dt.date.fromisoformat(value) if value else dt.date.today()


def months_between(start: dt.date, end: dt.date) -> int:
    """Whole months from start to end: 31 May to 30 November is 5, to 1 December is 6."""
    return (end.year - start.year) * 12 + end.month - start.month - (end.day < start.day)


def warnings(folders, on: dt.date | None = None) -> list[Problem]:
    on = on or today()
    found = []
    for folder in folders:
        file = Path(folder) / "report.yaml"
        try:
            text = file.read_text(encoding="utf-8")
            cut_off = yaml.safe_load(text).get("facts_as_of")
        except Exception:  # an unreadable report.yaml: validation says why
            continue
        if not isinstance(cut_off, dt.date) or months_between(cut_off, on) < AGEING_MONTHS:
            continue
        line = next((i for i, row in enumerate(text.splitlines(), 1) if re.match(r"facts_as_of\s*:", row)), None)
        found.append(Problem(file, line, 1 if line else None, "facts_as_of",
                             f"the information cut-off {cut_off} is {months_between(cut_off, on)} months old "
                             f"(more than {AGEING_MONTHS}): the report is ageing",
                             "update the facts, then move facts_as_of forward", "warning"))
    return found
