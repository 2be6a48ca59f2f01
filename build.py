#!/usr/bin/env python3
"""Build the reports under content/ into PDF, DOCX (and HTML) documents. See README.md for the options.

Runs from any Python 3: when the packages the pipeline needs are missing from the interpreter that started
it (`python build.py` with the system Python), it re-executes itself with the project's .venv, which
`make build` creates.
"""
import importlib.util
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
REEXEC_FLAG = "REPORTGEN_REEXECUTED"     # set before re-executing, so a broken .venv cannot loop
NEEDED = ("yaml", "babel", "markdown_it", "pydantic", "jinja2")   # the light ones; the rest come with them


def _missing_packages() -> list[str]:
    return [name for name in NEEDED if importlib.util.find_spec(name) is None]


def _use_project_python(missing: list[str]) -> None:
    """Re-execute with .venv/bin/python (same arguments); or say in one line what to run, and exit 2."""
    if not VENV_PYTHON.exists():
        sys.stderr.write(f"build.py: the project is not set up (no {VENV_PYTHON}): run `make build` in {ROOT} "
                         "first\n")
        sys.exit(2)
    if os.environ.get(REEXEC_FLAG):
        sys.stderr.write(f"build.py: {VENV_PYTHON} lacks {', '.join(missing)}: run `make build` in {ROOT} "
                         "to reinstall the project's packages\n")
        sys.exit(2)
    os.environ[REEXEC_FLAG] = "1"
    # Not resolved: .venv/bin/python is a symlink, and only its unresolved path makes Python use the venv.
    os.execv(str(VENV_PYTHON), [str(VENV_PYTHON), str(ROOT / "build.py"), *sys.argv[1:]])


if __name__ == "__main__":
    missing = _missing_packages()
    if missing:
        _use_project_python(missing)
    if str(ROOT) not in sys.path:   # e.g. under `python -I`, which leaves the script's folder out
        sys.path.insert(0, str(ROOT))
    from reportgen.cli import main
    sys.exit(main(sys.argv[1:]))
