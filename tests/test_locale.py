"""Locale formatting and French typography (reportgen.locale)."""
from __future__ import annotations

import datetime as dt

import pytest

from reportgen.locale import NBSP, NNBSP, Locale, french_spacing

EN, FR = Locale("en", "en-US"), Locale("fr", "fr-BE")


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


def test_dates():
    assert EN.date(dt.date(2026, 11, 24)) == "November 24, 2026"
    assert FR.date(dt.date(2026, 11, 24)) == "24 novembre 2026"


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
