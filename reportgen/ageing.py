"""The ageing warning: a report whose information cut-off (`facts_as_of`) is over six months old.

A warning like the validators' (see findings.py): --check and every build print it, a build with nothing to
rebuild through the findings cache (kept per day), and --strict refuses it.
"""
from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

from .errors import Problem

AGEING_MONTHS = 6


def today() -> dt.date:
    """The day reports are read against; REPORTGEN_TODAY=YYYY-MM-DD sets it (for tests and re-runs)."""
    value = os.environ.get("REPORTGEN_TODAY")
    return dt.date.fromisoformat(value) if value else dt.date.today()


def months_between(start: dt.date, end: dt.date) -> int:
    """Whole months from start to end: 31 May to 30 November is 5, to 1 December is 6."""
    return (end.year - start.year) * 12 + end.month - start.month - (end.day < start.day)


def warnings(folder: Path, cut_off: dt.date, on: dt.date | None = None) -> list[Problem]:
    """The warning, located on the facts_as_of line of report.yaml, or nothing while the report is current."""
    months = months_between(cut_off, on or today())
    if months < AGEING_MONTHS:
        return []
    file = Path(folder) / "report.yaml"
    lines = file.read_text(encoding="utf-8").splitlines()
    line = next((i for i, row in enumerate(lines, 1) if re.match(r"facts_as_of\s*:", row)), None)
    return [Problem(file, line, 1 if line else None, "facts_as_of",
                    f"the information cut-off {cut_off} is {months} months old (more than {AGEING_MONTHS}): "
                    "the report is ageing", "update the facts, then move facts_as_of forward", "warning")]
