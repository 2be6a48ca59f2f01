"""Locale formatting and French typography (reportgen.locale)."""
from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from pypdf import PdfReader

from conftest import FIXTURES, run_build
from reportgen.locale import NBSP, NNBSP, STRINGS_DIR, Locale, french_spacing

EN, FR, DE = Locale("en", "en-US"), Locale("fr", "fr-BE"), Locale("de", "de-DE")


@pytest.mark.parametrize("value, unit, approx, en, fr", [
    (11825551, "people", False, f"11.8{NBSP}million", f"11,8{NBSP}millions"),
    (671.4e9, "USD", False, f"$671.4{NBSP}billion", f"671,4{NBSP}milliards de dollars"),
    (1e9, "EUR", False, f"€1{NBSP}billion", f"1{NBSP}milliard d’euros"),
    (977e6, "EUR", True, f"about €977{NBSP}million", f"environ 977{NBSP}millions d’euros"),
    (1.29, "percent", False, "1.29%", f"1,29{NNBSP}%"),
    (56615, "USD", False, "$56,615", f"56{NNBSP}615{NBSP}dollars"),
    (2025, "year", False, "2025", "2025"),
    (82.3, "years", False, f"82.3{NBSP}years", f"82,3{NBSP}ans"),
    (96, "score100", False, "96/100", "96/100"),
    (322, "number", False, "322", "322"),
])
def test_figures_are_formatted_per_locale(value, unit, approx, en, fr):
    assert EN.figure(value, unit, approx) == en
    assert FR.figure(value, unit, approx) == fr


@pytest.mark.parametrize("value, unit, approx, de", [
    (1.29, "percent", False, f"1,29{NBSP}%"),
    (185e9, "EUR", True, f"etwa 185{NBSP}Milliarden Euro"),
    (1e9, "EUR", False, f"1{NBSP}Milliarde Euro"),            # CLDR's plural rules: one ...
    (1.8e9, "EUR", False, f"1,8{NBSP}Milliarden Euro"),        # ... and other (French says "1,8 milliard")
    (1.23e6, "people", False, f"1,2{NBSP}Millionen"),
    (56615, "USD", False, f"56.615{NBSP}US-Dollar"),
    (82.3, "years", False, f"82,3{NBSP}Jahre"),
])
def test_german_formats_come_from_cldr(value, unit, approx, de):
    assert DE.figure(value, unit, approx) == de


def test_plurals_of_scale_words_follow_cldr():
    assert FR.figure(1.8e9, "EUR") == f"1,8{NBSP}milliard d’euros"
    assert FR.figure(1.23e6, "people") == f"1,2{NBSP}million"
    assert EN.figure(1e6, "people") == f"1{NBSP}million"


def test_strings_files_hold_words_only():
    """Formats come from CLDR: no strings file may carry a number, currency, percent or quote pattern."""
    for file in STRINGS_DIR.glob("*.yaml"):
        text = file.read_text(encoding="utf-8")
        for pattern in ("{amount}", "{symbol}", "{scale}", "quotes:", "percent:", "million:", "billion:"):
            assert pattern not in text, f"{file.name}: {pattern}"


def test_a_german_report_gets_german_forms(tmp_path):
    out = tmp_path / "out"
    result = run_build("--content", str(FIXTURES / "german"), "--output", str(out), "--format", "html,pdf")
    assert result.returncode == 0, result.stderr
    text = html.unescape(re.sub(r"<[^>]+>", "", (out / "kurz.de.html").read_text(encoding="utf-8")))
    for form in (f"1,29{NBSP}%", f"etwa 185{NBSP}Milliarden Euro", f"1{NBSP}Milliarde Euro",
                 f"1,8{NBSP}Milliarden Euro", "„Bericht“", "Informationsstand: 31. Dezember 2025",
                 "Veröffentlicht am 15. Januar 2026"):
        assert form in text, form
    pdf = " ".join(page.extract_text() for page in PdfReader(out / "kurz.de.pdf").pages)
    pdf = re.sub(r"\s+", " ", pdf.replace(NBSP, " "))
    assert "etwa 185 Milliarden Euro" in pdf and "„Bericht“" in pdf and "Quellen" in pdf


def test_dates():
    assert EN.date(dt.date(2026, 11, 24)) == "November 24, 2026"
    assert FR.date(dt.date(2026, 11, 24)) == "24 novembre 2026"
    assert DE.date(dt.date(2026, 11, 24)) == "24. November 2026"


@pytest.mark.parametrize("text, expected", [
    ("Oui : non", f"Oui{NBSP}: non"),
    ("Oui: non", f"Oui{NBSP}: non"),
    ("Vraiment ? Oui ; non !", f"Vraiment{NNBSP}? Oui{NNBSP}; non{NNBSP}!"),
    ("« OTAN »", f"«{NBSP}OTAN{NBSP}»"),
    ("«OTAN»", f"«{NBSP}OTAN{NBSP}»"),
    ("à 12:30, voir https://example.org", "à 12:30, voir https://example.org"),
])
def test_french_spacing(text, expected):
    assert french_spacing(text) == expected


def test_typography_curls_apostrophes_and_leaves_english_spacing():
    assert FR.typography("l'OTAN") == "l’OTAN"
    assert EN.typography("Belgium's view: yes") == "Belgium’s view: yes"


def test_typed_quotes_become_the_language_quotes():
    assert EN.typography('an "open strategic autonomy" too') == "an “open strategic autonomy” too"
    assert FR.typography('une "autonomie" ici') == f"une «{NBSP}autonomie{NBSP}» ici"
    assert DE.typography('der "Bericht"') == "der „Bericht“"
