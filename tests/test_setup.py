"""Issue 15: `python build.py` works from any Python 3 once `make build` has made .venv."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from conftest import FIXTURES, ROOT

# An interpreter without the project's packages, whatever is installed on the machine: no site-packages (-S),
# no PYTHON* variables and no script folder on the path (-I).
PLAIN_PYTHON = [sys.executable, "-I", "-S"]


def clone(tmp_path: Path, venv_python: list[str] | None) -> Path:
    """A clone of the project whose .venv/bin/python runs `venv_python` (or no .venv at all)."""
    root = tmp_path / "clone"
    root.mkdir()
    shutil.copy(ROOT / "build.py", root)
    for name in ("reportgen", "templates"):
        (root / name).symlink_to(ROOT / name)
    if venv_python:
        python = root / ".venv" / "bin" / "python"
        python.parent.mkdir(parents=True)
        python.write_text("#!/bin/sh\nexec " + " ".join(venv_python) + ' "$@"\n')
        python.chmod(0o755)
    return root


def run_plain(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*PLAIN_PYTHON, str(root / "build.py"), *args], cwd=root.parent, capture_output=True,
                          text=True, timeout=300)


def test_plain_python_lacks_the_packages():
    probe = subprocess.run([*PLAIN_PYTHON, "-c", "import markdown_it"], capture_output=True)
    assert probe.returncode != 0


def test_plain_python_re_executes_with_the_project_venv(tmp_path):
    root = clone(tmp_path, [sys.executable])
    result = run_plain(root, "--help")
    assert result.returncode == 0, result.stderr
    assert "--shard" in result.stdout
    check = run_plain(root, "--check", "--content", str(FIXTURES / "valid"))
    assert check.returncode == 0, check.stderr
    assert "content OK: mini" in check.stdout


def test_without_venv_one_line_says_to_run_make_build(tmp_path):
    root = clone(tmp_path, None)
    result = run_plain(root, "--help")
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "make build" in lines[0] and str(root) in lines[0]


def test_a_venv_without_the_packages_does_not_loop(tmp_path):
    root = clone(tmp_path, PLAIN_PYTHON)
    result = run_plain(root, "--help")
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "make build" in lines[0] and "lacks" in lines[0]
