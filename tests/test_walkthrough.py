"""Issue 15: the README's "How to…" recipes work as written.

The recipes are read from README.md (each is the ```sh block after a `<!-- walkthrough: NAME -->` marker)
and run with bash, one after the other, in a fresh copy of the project whose report is the small fixture
report, under the name the README uses. As on a new machine after `make build`: `python3` on the PATH has
none of the project's packages (build.py must restart itself with .venv), and .venv/bin/python is the
interpreter running these tests. A recipe that changes, or stops working, fails here.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from conftest import FIXTURES, ROOT

RECIPES = ("add-figure", "add-section", "add-language", "add-report")
NBSP, NNBSP = "\u00a0", "\u202f"


def readme_recipes() -> dict[str, str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return dict(re.findall(r"<!-- walkthrough: ([a-z-]+) -->\n```sh\n(.*?)```", text, re.S))


def executable(file: Path, command: str) -> None:
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(f'#!/bin/sh\nexec {command} "$@"\n')
    file.chmod(0o755)


@pytest.fixture(scope="module")
def clone(tmp_path_factory) -> tuple[Path, dict]:
    base = tmp_path_factory.mktemp("walkthrough")
    root = base / "reports"
    root.mkdir()
    shutil.copy(ROOT / "build.py", root)
    for name in ("reportgen", "templates"):
        shutil.copytree(ROOT / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(FIXTURES / "valid" / "mini", root / "content" / "belgium")
    executable(root / ".venv" / "bin" / "python", sys.executable)          # what `make build` made
    executable(base / "bin" / "python3", f"{sys.executable} -I -S")        # a Python without the packages
    env = {**os.environ, "PATH": f"{base / 'bin'}:{os.environ['PATH']}"}
    env.pop("PYTHONPATH", None)
    return root, env


def pdf_text(file: Path) -> str:
    text = " ".join(page.extract_text() for page in PdfReader(file).pages)
    return re.sub(r"\s+", " ", text.replace(NBSP, " ").replace(NNBSP, " "))


def run_recipe(name: str, clone) -> subprocess.CompletedProcess:
    root, env = clone
    recipe = readme_recipes()[name]
    result = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", recipe], cwd=root, env=env, capture_output=True,
                            text=True, timeout=900)
    assert result.returncode == 0, f"recipe {name} failed:\n{recipe}\n{result.stdout}\n{result.stderr}"
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr
    return result


def test_the_readme_has_the_four_recipes():
    assert set(RECIPES) <= set(readme_recipes())


def test_add_a_figure_and_a_section(clone):
    root, _ = clone
    run_recipe("add-figure", clone)
    result = run_recipe("add-section", clone)
    assert "warnings: " in result.stdout.splitlines()[-1]
    english, french = pdf_text(root / "output" / "belgium.en.pdf"), pdf_text(root / "output" / "belgium.fr.pdf")
    assert "Outlook" in english and "1.29% of its GDP on defense in 2024" in english
    assert "Perspectives" in french and "1,29 % de son PIB" in french
    assert (root / "output" / "belgium.en.docx").is_file() and (root / "output" / "belgium.fr.docx").is_file()


def test_add_a_language(clone):
    root, _ = clone
    run_recipe("add-language", clone)
    assert "nl: nl-BE" in (root / "content" / "belgium" / "report.yaml").read_text(encoding="utf-8")
    assert (root / "templates" / "strings" / "nl.yaml").is_file()
    assert (root / "content" / "belgium" / "spelling.nl.txt").is_file()
    dutch = pdf_text(root / "output" / "belgium.nl.pdf")
    assert "1,29% of its GDP" in dutch            # Dutch number format, on the English text not yet translated
    assert "15 januari 2026" in dutch             # the date in Dutch, from CLDR
    assert (root / "output" / "belgium.nl.docx").is_file()


def test_add_a_report(clone):
    root, _ = clone
    run_recipe("add-report", clone)
    for lang in ("en", "fr"):
        for fmt in ("pdf", "docx"):
            assert (root / "output" / f"nato-summit.{lang}.{fmt}").is_file(), (lang, fmt)
    assert "Background" in pdf_text(root / "output" / "nato-summit.en.pdf")
    noop = subprocess.run(["python3", "build.py"], cwd=root, env=clone[1], capture_output=True, text=True)
    assert noop.returncode == 0 and "up to date" in noop.stdout, noop.stderr


def test_new_edits_report_yaml_in_either_style_and_keeps_comments():
    from reportgen.scaffold import add_to_list, add_to_mapping

    block = ("id: belgium\nlanguages:\n  en: en-US   # reference\n  fr: fr-BE\nsections:      # order\n"
             "  - preface\n  # the analysis\n  - analysis\n\nannexes:\n  - overview\n")
    edited = add_to_mapping(add_to_list(block, "sections", "outlook"), "languages", "nl", "nl-BE")
    assert edited == ("id: belgium\nlanguages:\n  en: en-US   # reference\n  fr: fr-BE\n  nl: nl-BE\n"
                      "sections:      # order\n  - preface\n  # the analysis\n  - analysis\n  - outlook\n\n"
                      "annexes:\n  - overview\n")
    flow = "languages: {en: en-US}   # one\nsections: [a, b]\n"
    assert add_to_mapping(add_to_list(flow, "sections", "c"), "languages", "fr", "fr-BE") == \
        "languages: {en: en-US, fr: fr-BE}   # one\nsections: [a, b, c]\n"
