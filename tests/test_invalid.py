"""Issue 2: invalid content exits 2, names file and line, and leaves output/ untouched."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from conftest import run_build


def snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def edit(file: Path, old: str, new: str) -> None:
    text = file.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {file}"
    file.write_text(text.replace(old, new, 1), encoding="utf-8")


BREAKAGES = {
    "bad indentation": ("en/first.yaml", "subsections:\n  - id: first-detail\n    title: Detail",
                        "subsections:\n  - id: first-detail\n   title: Detail", "en/first.yaml", 15),
    "unknown key": ("en/first.yaml", "    title: Detail", "    titel: Detail", "en/first.yaml", 15),
    "wrong type": ("data/data.yaml", "share: {value: 1.29,", "share: {value: [1.29],", "data/data.yaml", 3),
    "unknown figure": ("en/second.yaml", '"{value:money}"', '"{value:monney}"', "en/second.yaml", 8),
}


@pytest.mark.parametrize("case", BREAKAGES, ids=list(BREAKAGES))
def test_invalid_content_is_reported_and_nothing_is_written(content_copy, tmp_path, case):
    file, old, new, named, line = BREAKAGES[case]
    out = tmp_path / "out"
    assert run_build("--content", str(content_copy), "--output", str(out), "--format", "docx").returncode == 0
    before = snapshot(out)
    edit(content_copy / "mini" / file, old, new)
    result = run_build("--content", str(content_copy), "--output", str(out))
    assert result.returncode == 2, result.stderr
    assert f"{named}:{line}" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(out) == before


def test_unknown_key_suggests_the_right_one(content_copy, tmp_path):
    edit(content_copy / "mini" / "en" / "first.yaml", "    title: Detail", "    titel: Detail")
    result = run_build("--content", str(content_copy), "--check")
    assert "unknown key 'titel'" in result.stderr and "did you mean 'title'" in result.stderr


def test_section_missing_in_french(content_copy, tmp_path):
    (content_copy / "mini" / "fr" / "second.yaml").unlink()
    result = run_build("--content", str(content_copy), "--output", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "fr/second.yaml" in result.stderr and "missing in language 'fr'" in result.stderr
    assert not (tmp_path / "out").exists()


def test_subsection_missing_in_french_names_the_id(content_copy):
    file = content_copy / "mini" / "fr" / "first.yaml"
    text = file.read_text(encoding="utf-8")
    file.write_text(text.split("subsections:")[0], encoding="utf-8")
    result = run_build("--content", str(content_copy), "--check")
    assert result.returncode == 2
    assert "subsection 'first-detail'" in result.stderr and "fr/first.yaml" in result.stderr


def test_block_parity_names_the_difference(content_copy):
    edit(content_copy / "mini" / "fr" / "first.yaml", "{cite:stat}", "")
    result = run_build("--content", str(content_copy), "--check")
    assert result.returncode == 2
    assert "fr/first.yaml:3" in result.stderr and "missing {cite:stat}" in result.stderr


def test_all_problems_are_reported_together(content_copy):
    edit(content_copy / "mini" / "en" / "first.yaml", "    title: Detail", "    titel: Detail")
    edit(content_copy / "mini" / "en" / "second.yaml", '"{value:money}"', '"{value:monney}"')
    result = run_build("--content", str(content_copy), "--check")
    assert "titel" in result.stderr and "monney" in result.stderr


def test_usage_errors_exit_2():
    assert run_build("--format", "odt").returncode == 2
    assert run_build("--lang", "de", "--check").returncode == 2


def test_check_writes_nothing(content_copy, tmp_path):
    result = run_build("--content", str(content_copy), "--check", "--output", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "out").exists()


# ---- the YAML loader: libyaml's parser gives what PyYAML's own does ---------------------------------------

def _composed(text: str, loader) -> list:
    """Every node of a document: kind, tag, value, style and where it starts and ends."""
    import yaml
    found, stack = [], [yaml.compose(text, Loader=loader)]
    while stack:
        node = stack.pop()
        if node is None:
            continue
        value = node.value if isinstance(node, yaml.ScalarNode) else None
        found.append((type(node).__name__, node.tag, value, getattr(node, "style", None), node.flow_style
                      if not isinstance(node, yaml.ScalarNode) else None, node.start_mark.index,
                      node.start_mark.line, node.start_mark.column, node.end_mark.index))
        if isinstance(node, yaml.MappingNode):
            stack += [item for pair in node.value for item in pair]
        elif isinstance(node, yaml.SequenceNode):
            stack += node.value
    return found


ROOT = Path(__file__).resolve().parent.parent
YAML_FILES = sorted([*ROOT.glob("content/**/*.yaml"), *ROOT.glob("tests/fixtures/valid/**/*.yaml"),
                     *ROOT.glob("templates/strings/*.yaml")])


@pytest.mark.parametrize("file", YAML_FILES, ids=lambda f: str(f.relative_to(ROOT)))
def test_libyaml_and_pyyaml_compose_every_file_alike(file):
    """The build parses with libyaml when PyYAML has it (five times faster) and falls back to PyYAML's Python
    parser; review --apply edits strings at the marks either gives, so both must agree to the character."""
    from reportgen import load
    if load._Loader is load._PythonLoader:
        pytest.skip("PyYAML was built without libyaml")
    text = file.read_text(encoding="utf-8")
    assert _composed(text, load._LibyamlLoader) == _composed(text, load._PythonLoader)
