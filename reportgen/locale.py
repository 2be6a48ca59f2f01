"""Locale formatting and typography: the one place where text meets a language's rules.

Every format comes from the Unicode CLDR, through Babel (numbers, percent, currency, compact "185 billion"
forms with the language's plural rules, units, dates) and ICU (quotation marks), so a new language needs no
formatting patterns: templates/strings/<lang>.yaml holds interface words only. Two rules CLDR does not
carry live here: French typography (no-break spaces) and the French "de" after a scale word
("185 milliards d'euros").
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property, lru_cache
from pathlib import Path

from babel import Locale as CLDR
from babel.dates import format_date, format_skeleton
from babel.numbers import format_decimal, format_percent, get_currency_name, \
    get_currency_symbol
from babel.units import format_unit

from .load import load_yaml

NBSP = "\u00a0"     # before « : », inside guillemets, between an amount and its unit
NNBSP = "\u202f"    # narrow no-break space: before ; ! ? % (and Babel's French digit grouping)
COMPACT_FROM = 1e6  # from a million up, amounts are written "11.8 million"

STRINGS_DIR = Path(__file__).resolve().parent.parent / "templates" / "strings"


def strings_file(lang: str) -> Path:
    return STRINGS_DIR / f"{lang}.yaml"


@lru_cache(maxsize=None)
def strings(lang: str) -> dict:
    """The interface labels of a language, from templates/strings/<lang>.yaml."""
    file = strings_file(lang)
    if not file.is_file():
        raise FileNotFoundError(f"{file}: no interface labels for language '{lang}'; copy en.yaml and translate it")
    return load_yaml(file, dict)   # the safe, limited reader (validation has checked it, with locations)


@lru_cache(maxsize=None)
def quotation_marks(babel_id: str) -> tuple[str, str]:
    """The language's outer quotation marks, from CLDR's delimiters (through ICU: Babel does not carry them)."""
    import icu
    data = icu.LocaleData(babel_id)
    kind = icu.ULocaleDataDelimiterType
    return data.getDelimiter(kind.QUOTATION_START), data.getDelimiter(kind.QUOTATION_END)


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

    @cached_property
    def _cldr(self) -> CLDR:
        return CLDR.parse(self.babel)

    def number(self, value: float, digits: int = 2) -> str:
        return format_decimal(_exact(value, digits), locale=self.babel, decimal_quantization=False)

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
        if unit == "year":
            return str(int(value))
        if unit == "percent":
            text = format_percent(_exact(value, 2) / 100, locale=self.babel, decimal_quantization=False)
            return text.replace(NBSP + "%", NNBSP + "%") if self.lang == "fr" else text
        if unit == "years":
            text = format_unit(_exact(value, 1), "duration-year", length="long", locale=self.babel,
                               format="#,##0.#")
            return _join_unit(text)
        if unit == "score100":
            return f"{self.number(value, 0)}/100"
        if unit in ("EUR", "USD"):
            return self._money(value, unit)
        return self._amount(value, digits=1)

    def _amount(self, value: float, digits: int) -> str:
        """'11.8 million' (CLDR's long compact form and plural) from a million up, else '56,615'."""
        if abs(value) < COMPACT_FROM:
            return self.number(value, 0 if float(value).is_integer() else 2)
        return _join_unit(self._compact_long(value, digits))

    def _compact_long(self, value: float, digits: int) -> str:
        """CLDR's long compact form ('1.8 billion', '1,8 milliard', '1,8 Milliarden'): the pattern of the
        largest magnitude reached, in the plural form of the number as printed. (Babel's own
        format_compact_decimal picks '1 milliards' in French: it misses the 'one' form when CLDR also has an
        explicit '1' form for thousands.)"""
        forms = self._cldr.compact_decimal_formats["long"]
        magnitude = max(int(m) for m in forms["other"] if abs(value) >= int(m))
        zeros = forms["other"][str(magnitude)].pattern.count("0")
        scaled = _exact(Decimal(str(value)) / (magnitude // 10 ** (zeros - 1)), digits)
        count = "1" if scaled == 1 and str(magnitude) in forms.get("1", {}) else self._cldr.plural_form(scaled)
        pattern = forms.get(count, {}).get(str(magnitude)) or forms["other"][str(magnitude)]
        return pattern.apply(scaled, self._cldr, decimal_quantization=False)

    def _money(self, value: float, currency: str) -> str:
        """Where CLDR puts the currency sign first, the sign ('€185 billion', '$56,615'); where it puts it
        after the amount, the currency's name ('185 milliards d’euros', '185 Milliarden Euro')."""
        amount = self._amount(value, digits=2)
        pattern = self._cldr.currency_formats["standard"].pattern.split(";")[0]
        prefix = pattern[:len(pattern) - len(pattern.lstrip("¤\u00a0 "))]
        if prefix:
            return prefix.replace("¤", get_currency_symbol(currency, self.babel)) + amount
        name = self._currency_name(currency, value)
        if abs(value) >= COMPACT_FROM and self.lang == "fr":
            return f"{amount} {'d’' if name[:1].lower() in 'aeiouyéh' else 'de '}{name}"
        return f"{amount}{' ' if abs(value) >= COMPACT_FROM else NBSP}{name}"

    def _currency_name(self, currency: str, value: float) -> str:
        """The name used in running text: the strings file's word if it gives one (French 'dollars' rather
        than CLDR's 'dollars des États-Unis'), else CLDR's, in the plural form the amount takes."""
        override = self.labels.get("currency_names", {}).get(currency)
        if override:
            return override
        return get_currency_name(currency, count=_exact(value, 0), locale=self.babel)

    def typography(self, text: str) -> str:
        """Apply the language's typographic conventions to a piece of running text."""
        text = _APOSTROPHE.sub("\u2019", text)
        start, end = quotation_marks(self.babel)
        text = _STRAIGHT_QUOTES.sub(lambda m: start + m.group(1) + end, text)
        return french_spacing(text) if self.lang == "fr" else text


def _exact(value: float, digits: int) -> Decimal:
    """The value rounded to `digits` decimals, without trailing zeros (so CLDR's plural rules see '1', not
    '1.0', and 2.0 prints as '2')."""
    exact = round(Decimal(str(value)), digits)
    return exact.quantize(Decimal(1)) if exact == exact.to_integral() else exact.normalize()


def _join_unit(text: str) -> str:
    """Keep an amount and the word after it on one line: '11.8 million', '82,3 ans'."""
    return re.sub(r"(?<=\d) (?=\D)", NBSP, text, count=1)


_APOSTROPHE = re.compile(r"(?<=\w)'(?=\w|$)")   # at the end of a run: before a {ref:}, « l'annexe A »
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
