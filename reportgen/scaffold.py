"""`build.py new section|language|report`: the files a new part of the content needs, so that the README's
recipes are commands that work as written. report.yaml is edited as text (its comments and layout stay),
and nothing that exists is ever overwritten."""
from __future__ import annotations

import argparse
import datetime as dt
import re
import shutil
import sys
from pathlib import Path

import yaml

from .locale import STRINGS_DIR, strings_file

ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
TAG = re.compile(r"^[a-z]{2}-[A-Z]{2}$")


class ScaffoldError(Exception):
    """A request that cannot be carried out as asked (exit code 2)."""


def main(argv: list[str], content: Path) -> int:
    p = argparse.ArgumentParser(prog="build.py new", description="Create the files of a new section, language "
                                "or report, and declare it in report.yaml.")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--content", type=Path, default=content, help="folder of reports (default: content/)")
    kinds = p.add_subparsers(dest="kind", required=True, metavar="section|language|report")
    section = kinds.add_parser("section", parents=[common],
                               help="add a top-level section to a report, in every language")
    section.add_argument("id", help="the section id, e.g. outlook (lowercase letters, digits, hyphens)")
    section.add_argument("--report", help="the report folder under content/ (needed when there are several)")
    language = kinds.add_parser("language", parents=[common], help="add a language: declared, texts copied from the reference "
                                "language for translation, interface labels copied from English")
    language.add_argument("code", help="the language code, e.g. nl")
    language.add_argument("tag", help="its locale, e.g. nl-BE (formats of numbers, dates, quotes come from it)")
    language.add_argument("--report", help="the report folder under content/ (needed when there are several)")
    report = kinds.add_parser("report", parents=[common], help="start a new report folder with one section")
    report.add_argument("id", help="the report id, also its folder and output name, e.g. nato-summit")
    report.add_argument("--languages", default="en:en-US",
                        help="CODE:TAG,... the first is the reference language (default: en:en-US)")
    args = p.parse_args(argv)
    try:
        if args.kind == "section":
            return new_section(_report(args.content, args.report), args.id)
        if args.kind == "language":
            return new_language(_report(args.content, args.report), args.code, args.tag)
        return new_report(args.content, args.id, args.languages)
    except ScaffoldError as exc:
        print(f"build.py new: error: {exc}", file=sys.stderr)
        return 2


def _report(content: Path, name: str | None) -> Path:
    folders = sorted(p for p in content.glob("*/report.yaml")) if content.is_dir() else []
    if name:
        if not (content / name / "report.yaml").is_file():
            raise ScaffoldError(f"no report '{name}' under {content} (reports: "
                                f"{', '.join(f.parent.name for f in folders) or 'none'})")
        return content / name
    if len(folders) != 1:
        raise ScaffoldError(f"say which report with --report NAME (reports under {content}: "
                            f"{', '.join(f.parent.name for f in folders) or 'none'})")
    return folders[0].parent


def _meta(folder: Path) -> dict:
    return yaml.safe_load((folder / "report.yaml").read_text(encoding="utf-8")) or {}


def _check_id(kind: str, value: str) -> None:
    if not ID.match(value):
        raise ScaffoldError(f"'{value}' is not a valid {kind} id: use lowercase letters, digits and hyphens")


def new_section(folder: Path, section_id: str) -> int:
    _check_id("section", section_id)
    meta = _meta(folder)
    if section_id in (meta.get("sections") or []) + (meta.get("annexes") or []):
        raise ScaffoldError(f"{folder.name} already has a section '{section_id}'")
    files = [folder / code / f"{section_id}.yaml" for code in meta["languages"]]
    for file in files:
        if file.exists():
            raise ScaffoldError(f"{file} exists already")
    title = section_id.replace("-", " ").capitalize()
    for file in files:
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(f"title: {title}\nblocks:\n  - p: Write the text of this section here.\n", encoding="utf-8")
    _edit(folder / "report.yaml", lambda text: add_to_list(text, "sections", section_id))
    print(f"added section '{section_id}' to {folder.name}: write it in " + ", ".join(str(f) for f in files))
    return 0


def new_language(folder: Path, code: str, tag: str) -> int:
    from babel import Locale, UnknownLocaleError

    _check_id("language", code)
    if not TAG.match(tag):
        raise ScaffoldError(f"'{tag}' is not a locale tag: write language-COUNTRY, e.g. nl-BE")
    try:
        Locale.parse(tag.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        raise ScaffoldError(f"'{tag}' is not a locale CLDR knows") from None
    meta = _meta(folder)
    if code in meta["languages"] or (folder / code).exists():
        raise ScaffoldError(f"{folder.name} already has a language '{code}' (or a folder {code}/)")
    reference = next(iter(meta["languages"]))
    shutil.copytree(folder / reference, folder / code)
    labels = strings_file(code)
    if not labels.exists():
        labels.write_text(f"# Interface labels for '{code}' documents: translate the values (keep the keys and the "
                          "{placeholders}).\n" + (STRINGS_DIR / "en.yaml").read_text(encoding="utf-8"),
                          encoding="utf-8")
    words = folder / f"spelling.{code}.txt"
    if not words.exists():
        words.write_text("", encoding="utf-8")
    _edit(folder / "report.yaml", lambda text: add_to_mapping(text, "languages", code, tag))
    print(f"added language '{code}' ({tag}) to {folder.name}: translate {folder / code}/*.yaml (copied from "
          f"{reference}/) and the labels in {labels}")
    return 0


def new_report(content: Path, report_id: str, languages: str) -> int:
    _check_id("report", report_id)
    pairs = [item.split(":", 1) for item in languages.split(",") if item.strip()]
    if not pairs or any(len(pair) != 2 or not ID.match(pair[0]) or not TAG.match(pair[1]) for pair in pairs):
        raise ScaffoldError(f"--languages {languages}: write CODE:TAG pairs, e.g. en:en-US,fr:fr-BE")
    folder = content / report_id
    if folder.exists():
        raise ScaffoldError(f"{folder} exists already")
    today = dt.date.today().isoformat()
    (folder / "data").mkdir(parents=True)
    (folder / "report.yaml").write_text(
        f"id: {report_id}\ndate: {today}          # the publication date printed on the cover\n"
        f"facts_as_of: {today}   # the information cut-off: the text is true as of this day\n"
        f'version: "0.1"\nauthors:\n  - Your name\npaper: A4\nlanguages:\n'
        + "".join(f"  {code}: {tag}\n" for code, tag in pairs)
        + "sections:                 # order of the top-level sections; each is <lang>/<id>.yaml\n"
          "  - introduction\n", encoding="utf-8")
    (folder / "data" / "data.yaml").write_text("figures: {}\nsources: {}\n", encoding="utf-8")
    for code, _ in pairs:
        (folder / code).mkdir()
        (folder / code / "meta.yaml").write_text(f"title: {report_id.replace('-', ' ').title()}\n"
                                                 "subtitle: Write the subtitle here\n", encoding="utf-8")
        (folder / code / "introduction.yaml").write_text(
            "title: Introduction\nblocks:\n  - p: Write the text of this section here.\n", encoding="utf-8")
        (folder / f"spelling.{code}.txt").write_text("", encoding="utf-8")
    print(f"created report '{report_id}' in {folder}")
    return 0


def _edit(file: Path, change) -> None:
    file.write_text(change(file.read_text(encoding="utf-8")), encoding="utf-8")


def add_to_list(text: str, key: str, item: str) -> str:
    """Add an item to a top-level list, in flow style ([a, b]) or block style (- a), keeping comments."""
    return _add(text, key, item, "[]", lambda indent: f"{indent}- {item}\n")


def add_to_mapping(text: str, key: str, name: str, value: str) -> str:
    """Add a pair to a top-level mapping, in flow style ({a: b}) or block style (a: b), keeping comments."""
    return _add(text, key, f"{name}: {value}", "{}", lambda indent: f"{indent}{name}: {value}\n")


def _add(text: str, key: str, flow_item: str, brackets: str, block_line) -> str:
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if re.match(rf"^{key}:(\s|$)", line)), None)
    if start is None:
        raise ScaffoldError(f"report.yaml has no '{key}:'")
    value = lines[start].split(":", 1)[1].split("#", 1)[0].strip()
    if value.startswith(brackets[0]):
        close = lines[start].rindex(brackets[1])
        inside = lines[start][lines[start].index(brackets[0]) + 1:close].strip()
        lines[start] = lines[start][:close].rstrip() + (", " if inside else "") + flow_item + lines[start][close:]
        return "".join(lines)
    end, indent = start + 1, "  "
    while end < len(lines) and (lines[end].startswith((" ", "\t")) or not lines[end].strip()):
        if lines[end].strip() and not lines[end].lstrip().startswith("#"):
            indent = lines[end][:len(lines[end]) - len(lines[end].lstrip())]
        end += 1
    while end > start + 1 and not lines[end - 1].strip():   # keep blank lines after the block where they were
        end -= 1
    lines.insert(end, block_line(indent))
    return "".join(lines)
