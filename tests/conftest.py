"""Shared fixtures: builds are run once per session, through the real CLI, into temporary folders."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
CONTENT = ROOT / "content"

# The ageing warning depends on today's date; the suite must not. Tests of that warning set their own day.
os.environ.setdefault("REPORTGEN_TODAY", "2026-11-25")


def run_build(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "build.py"), *args], cwd=cwd, capture_output=True,
                          text=True, timeout=900)


@pytest.fixture(scope="session")
def real_output(tmp_path_factory) -> Path:
    """The real report, built once in every format."""
    out = tmp_path_factory.mktemp("real")
    result = run_build("--output", str(out), "--format", "pdf,docx,html")
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture(scope="session")
def mini_output(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("mini")
    result = run_build("--content", str(FIXTURES / "valid"), "--output", str(out), "--format", "pdf,docx,html")
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture
def content_copy(tmp_path) -> Path:
    """A writable copy of the mini report, for tests that break it."""
    target = tmp_path / "content"
    shutil.copytree(FIXTURES / "valid", target)
    return target
