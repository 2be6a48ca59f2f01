"""Locale formatting (Babel) and French typography: the one place where text meets a language's rules."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml
from babel.dates import format_date, format_skeleton
from babel.numbers import format_decimal

NBSP = "\u00a0"     # before « : » and inside guillemets
NNBSP = "\u202f"    # narrow no-break space: before ; ! ? (and Babel's French digit grouping)

STRINGS_DIR = Path(__file__).resolve().parent.parent / "templates" / "strings"


@lru_cache(maxsize=None)
def strings(lang: str) -> dict:
    """The interface labels of a language, from templates/strings/<lang>.yaml."""
    file = STRINGS_DIR / f"{lang}.yaml"
    if not file.is_file():
        raise FileNotFoundError(f"{file}: no interface labels for language '{lang}'; copy en.yaml and translate it")
    return yaml.safe_load(file.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Locale:
    lang: str           # "fr"
    tag: str            # "fr-BE"

    @property
    def babel(self) -> str:
        return self.tag.replace("-", "_")

    @property
    def labels(self) -> dict:
        return strings(self.lang)

    def number(self, value: float, digits: int = 2) -> str:
        pattern = "#,##0" + ("." + "#" * digits if digits else "")
        return format_decimal(value, format=pattern, locale=self.babel)

    def date(self, value: dt.date) -> str:
        return format_date(value, format="long", locale=self.babel)

    def deadline(self, text: str) -> str:
        """A YYYY-MM or YYYY-MM-DD deadline in words: 'December 2026', « décembre 2026 »."""
        if len(text) > 7:
            return self.date(dt.date.fromisoformat(text))
        year, month = map(int, text.split("-"))
        return format_skeleton("yMMMM", dt.date(year, month, 1), locale=self.babel)

    def figure(self, value: float, unit: str, approx: bool = False) -> str:
        """A figure's value as printed in running text: '€185 billion', '185 milliards d’euros'."""
        text = self._figure(value, unit)
        return f"{self.labels['about']} {text}" if approx else text

    def _figure(self, value: float, unit: str) -> str:
        labels = self.labels
        if unit == "year":
            return str(int(value))
        if unit == "percent":
            return labels["percent"].format(amount=self.number(value))
        if unit == "years":
            return labels["years"].format(amount=self.number(value, 1))
        if unit == "score100":
            return labels["score100"].format(amount=self.number(value, 0))
        if unit in ("EUR", "USD"):
            return self._money(value, unit)
        amount, scale = self._scaled(value, digits=1)
        return f"{amount}{NBSP}{scale}" if scale else amount

    def _scaled(self, value: float, digits: int = 2) -> tuple[str, str]:
        """Large values as an amount and a scale word ('11.8', 'million'), kept together by the caller."""
        for size, key in ((1e9, "billion"), (1e6, "million")):
            if abs(value) >= size:
                scaled = value / size
                singular, plural = self.labels[key]
                return self.number(scaled, digits), singular if abs(scaled) < 2 else plural
        return self.number(value, 0 if float(value).is_integer() else 2), ""

    def _money(self, value: float, currency: str) -> str:
        labels = self.labels
        amount, scale = self._scaled(value)
        names = {"symbol": labels["currency_symbol"][currency], "name": labels["currency_name"][currency],
                 "of_name": labels.get("currency_of_name", {}).get(currency, "")}
        pattern = labels["money_scaled"] if scale else labels["money"]
        return pattern.format(amount=amount, scale=scale, **names).replace(f"{amount} ", f"{amount}{NBSP}")

    def typography(self, text: str) -> str:
        """Apply the language's typographic conventions to a piece of running text."""
        text = _APOSTROPHE.sub("\u2019", text)
        quotes = self.labels.get("quotes", "\u201c\u201d")
        text = _STRAIGHT_QUOTES.sub(lambda m: quotes[0] + m.group(1) + quotes[1], text)
        return french_spacing(text) if self.lang == "fr" else text


_APOSTROPHE = re.compile(r"(?<=\w)'(?=\w)")
_STRAIGHT_QUOTES = re.compile(r'"([^"\n]+)"')   # a pair of typed quotes within one run of text
_SPACE_BEFORE_HIGH = re.compile(r"[ \u00a0\u202f]*([;!?])(?=\s|$|[»)\]])")
# A colon takes a no-break space: replace a typed space, or add one after a word (not in 12:30 or http://).
_SPACE_BEFORE_COLON = re.compile(r"(?:[ \u00a0\u202f]+|(?<=[\w»)\]%])):(?=\s|$)")
_OPEN_GUILLEMET = re.compile(r"«[ \u00a0\u202f]*")
_CLOSE_GUILLEMET = re.compile(r"[ \u00a0\u202f]*»")


def french_spacing(text: str) -> str:
    """No-break spaces of French typography: narrow before ; ! ?, normal before : and inside « »."""
    text = _SPACE_BEFORE_HIGH.sub(lambda m: NNBSP + m.group(1), text)
    text = _SPACE_BEFORE_COLON.sub(NBSP + ":", text)
    text = _OPEN_GUILLEMET.sub("«" + NBSP, text)
    return _CLOSE_GUILLEMET.sub(NBSP + "»", text)
