"""Which characters the shipped fonts can print: text outside them would come out as empty boxes.

WeasyPrint draws such a character as .notdef and, worse, then writes the whole font with a custom encoding,
so the PDF's text can no longer be copied or read aloud. Validation therefore refuses those characters.
"""
from __future__ import annotations

import unicodedata
from functools import lru_cache
from pathlib import Path

FONTS = Path(__file__).resolve().parent.parent / "templates" / "fonts"


@lru_cache(maxsize=1)
def coverage() -> frozenset[int]:
    from fontTools.ttLib import TTFont
    points: set[int] = set()
    for file in sorted(FONTS.glob("*.ttf")):
        points.update(TTFont(str(file), lazy=True).getBestCmap())
    return frozenset(points)


def unprintable(text: str) -> list[str]:
    """Characters of `text` no shipped font has (invisible format characters and whitespace excepted)."""
    if text.isascii():
        return []
    covered = coverage()
    return sorted({c for c in text if ord(c) not in covered and not c.isspace()
                   and unicodedata.category(c) != "Cf" and c not in "\ufe0e\ufe0f"}, key=ord)
