"""`build.py redline REV`: today's DOCX showing every text change since git revision REV as tracked changes.

The content at REV is read out of git (`git archive`, into a temporary folder: the working tree is never
touched), loaded and assembled like today's. The normal DOCX writer builds both; their places (the source
map's entries, found in each document through the content bookmarks) are aligned: equal texts first, then the
same file and key, then similar texts. A changed place is diffed word by word on its rendered runs, so kept
and inserted words keep today's formatting and deleted words their old one; a new place is marked inserted,
and an old one is put back, deleted, after the place that preceded it. Each change is signed with the author
and date of the newest commit after REV that touched its content file (see `Signatures`).
"""
from __future__ import annotations

import argparse
import copy
import datetime as dt
import difflib
import io
import re
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from docx.oxml import OxmlElement

from .errors import BuildError, ContentError, UsageError
from .plan import ROOT
from .writers.docx import DocxWriter, solid_png, source_bookmark

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
WORD = re.compile(r"\s+|\w+|[^\w\s]")   # spaces, words, each punctuation mark
CITATION_NUMBER = re.compile(r"\[\d+\]")   # renumbered citations are not a text change
PLACEHOLDER_TEXT_COUNTS = ("value:", "year:")   # content controls whose printed text is content, not a number


def _w(tag: str) -> str:
    return f"{{{W}}}{tag}"


class RedlineError(Exception):
    """The redline cannot be made as asked (no git checkout, unknown revision...): one line, exit code 2."""


# ---- command ---------------------------------------------------------------------------------------------

def main(argv: list[str], content: Path) -> int:
    p = argparse.ArgumentParser(prog="build.py redline",
                                description="Write today's DOCX with every text change since git revision REV as "
                                            "Word tracked changes: <report>.<lang>.redline.docx. Exit 2 outside a "
                                            "git checkout or for an unknown revision.")
    p.add_argument("rev", metavar="REV", help="any git revision: HEAD~3, a tag, a commit hash")
    p.add_argument("--lang", help="languages, e.g. en,fr (default: every language the report declares)")
    p.add_argument("--output", type=Path, default=ROOT / "output", help="output folder (default: output/)")
    p.add_argument("--content", type=Path, default=content, help="folder of reports (default: content/)")
    p.add_argument("--report", help="the report folder under content/ (default: every report)")
    args = p.parse_args(argv)
    langs = tuple(code.strip() for code in args.lang.split(",") if code.strip()) if args.lang else None
    try:
        folders = _folders(args.content, args.report)
        repo = Git(args.content)
        commit = repo.commit(args.rev)
        with tempfile.TemporaryDirectory(prefix="reportgen-redline-") as tmp:
            for folder in folders:
                for line in redline_report(folder, langs, args.output, repo, commit, args.rev, Path(tmp)):
                    print(line)
    except RedlineError as exc:
        print(f"build.py redline: error: {exc}", file=sys.stderr)
        return 2
    except BuildError as exc:      # the document could not be written; the previous file is kept
        print(f"build.py redline: error: {exc}", file=sys.stderr)
        return 1
    return 0


def _folders(content: Path, name: str | None) -> list[Path]:
    from .pipeline import report_folders
    if name:
        if Path(name).name != name or not (content / name / "report.yaml").is_file():
            raise RedlineError(f"no report '{name}' under {content}")
        return [content / name]
    return report_folders(content)


def redline_report(folder: Path, langs, output: Path, repo: "Git", commit: str, rev: str, tmp: Path):
    """Write the redline of each language of one report; yield the line to print for each."""
    from .assemble import assemble
    from .pipeline import source_date_epoch, write_atomically
    from .validate import load_report

    before = _load_at(repo, commit, rev, folder, langs, tmp / "rev")
    today = load_report(folder, langs)
    for lang in langs or ():
        if lang not in today.languages:
            raise UsageError(f"--lang {lang}: report '{folder.name}' does not declare it "
                             f"(declared: {', '.join(today.languages)})")
    head = None   # with edits not yet committed, HEAD's texts tell them from the committed ones
    if repo.uncommitted(repo.path(folder.name)):
        try:
            head = _load_at(repo, repo.commit("HEAD"), "HEAD", folder, langs, tmp / "head")
        except RedlineError:
            head = None
    for lang in langs or list(today.languages):
        if lang not in before.languages:
            raise RedlineError(f"report '{folder.name}' has no '{lang}' at {rev}")
        report, old_report = assemble(today, lang), assemble(before, lang)
        target = output / f"{folder.name}.{lang}.redline.docx"
        committed = _texts_by_file(assemble(head, lang)) if head and lang in head.languages else None
        signatures = Signatures(repo, commit, report.timestamp, committed)
        with source_date_epoch(report.date):
            info = write_atomically(target, lambda tmp: _write(report, old_report, output, signatures, commit, tmp))
        counts = info["changes"]
        said = (f"{counts['insertions']} insertion(s), {counts['deletions']} deletion(s)"
                if any(counts.values()) else "no text changes")
        yield f"{target}: {said} since {rev}"


def _load_at(repo: "Git", commit: str, rev: str, folder: Path, langs, into: Path):
    """The report as it was at a commit, loaded and validated by today's code."""
    from .validate import load_report
    old_folder = repo.extract(commit, folder, into, rev)
    try:
        return load_report(old_folder, langs)
    except ContentError as exc:
        first = str(exc.problems[0]).replace(f"{into}/", f"{rev}:")
        raise RedlineError(f"the content of '{folder.name}' at {rev} does not pass today's validation "
                           f"({len(exc.problems)} problem(s), the first: {first})") from None


def _texts_by_file(report) -> dict[str, set[str]]:
    from .sourcemap import entries
    found: dict[str, set[str]] = {}
    for entry in entries(report):
        found.setdefault(entry.file, set()).add(comparable(entry.text))
    return found


def _write(report, old_report, output: Path, signatures: "Signatures", commit: str, path: Path) -> dict:
    from .charts import cached_images

    images = {chart.id: cached_images(chart, output / ".cache" / "charts")["png"] for chart in report.charts}
    old_images = {chart.id: solid_png("FFFFFF") for chart in old_report.charts}   # old pictures are never shown
    old_body, old_rels = OldDocument(old_report, old_images, {}).tree()
    writer = RedlineWriter(report, images, {"redline-base": commit},
                           lambda body, relink: Redline(old_report, report, old_body, old_rels, body, relink,
                                                        signatures).apply())
    path.write_bytes(writer.build())
    return {"changes": writer.changes}


# ---- git ----------------------------------------------------------------------------------------------------

class Git:
    """The checkout holding the content folder."""

    def __init__(self, content: Path):
        self.content = content.resolve()
        found = self._run("rev-parse", "--show-toplevel", "--show-prefix", cwd=self.content, check=False)
        if found.returncode != 0:
            raise RedlineError(f"{content} is not inside a git checkout: a redline compares with a git revision")
        top, prefix = (found.stdout.splitlines() + ["", ""])[:2]
        self.top, self.prefix = Path(top), prefix

    def _run(self, *args: str, cwd: Path | None = None, check: bool = True, binary: bool = False):
        try:
            result = subprocess.run(["git", *args], cwd=cwd or self.top, capture_output=True, text=not binary,
                                    timeout=300)
        except (OSError, subprocess.SubprocessError) as exc:
            raise RedlineError(f"git could not run ({exc})") from None
        if check and result.returncode != 0:
            error = result.stderr.decode(errors="replace") if binary else result.stderr
            raise RedlineError(f"git {args[0]} failed: {' '.join(error.split())[:300]}")
        return result

    def commit(self, rev: str) -> str:
        found = self._run("rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}", check=False)
        if found.returncode != 0 or not found.stdout.strip():
            raise RedlineError(f"unknown git revision '{rev}'")
        return found.stdout.strip()

    def path(self, file: str) -> str:
        """A content file ('belgium/en/first.yaml', relative to the content folder) as git names it."""
        return self.prefix + file

    def extract(self, commit: str, folder: Path, into: Path, rev: str) -> Path:
        """The report folder as it was at `commit`, written under `into` (same folder name)."""
        listed = self._run("ls-tree", "--name-only", commit, "--", self.path(f"{folder.name}/report.yaml"))
        if not listed.stdout.strip():
            raise RedlineError(f"report '{folder.name}' did not exist at {rev} (no {self.path(folder.name)}/"
                               "report.yaml)")
        archive = self._run("archive", "--format=tar", commit, "--", self.path(folder.name), binary=True)
        try:
            with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
                tar.extractall(into, filter="data")     # no links out of the folder, no special files
        except (tarfile.TarError, OSError) as exc:
            raise RedlineError(f"the content of '{folder.name}' at {rev} could not be read out of git ({exc})") from None
        return into / self.prefix / folder.name

    def newest(self, commit: str, path: str) -> tuple[str, int] | None:
        """Author and author time of the newest commit after `commit` touching `path`."""
        found = self._run("log", "-1", "--format=%an%x00%at", f"{commit}..HEAD", "--", path).stdout.strip()
        if not found:
            return None
        author, _, stamp = found.partition("\0")
        return author, int(stamp)

    def uncommitted(self, path: str) -> bool:
        return bool(self._run("status", "--porcelain", "--", path).stdout.strip())

    def user(self) -> str:
        return self._run("config", "user.name", check=False).stdout.strip() or "unknown"


class Signatures:
    """Who made a change, and when: the author and author date of the newest commit after REV that touched the
    change's content file (else, for a text changed through a file it uses, e.g. a figure in data/, the newest
    commit on the report folder). A change not yet committed (its text differs from HEAD's) is signed with
    `git config user.name` and dated with the report's date, so the same tree gives the same bytes."""

    def __init__(self, repo: Git, commit: str, report_time: dt.datetime, head_texts: dict | None):
        self.repo, self.commit, self.report_time, self.head_texts = repo, commit, report_time, head_texts
        self._known: dict[str, tuple[str, str] | None] = {}

    def of(self, file: str, text: str, deleted: bool = False) -> tuple[str, str]:
        """The signature of a change that leaves `text` (or, `deleted`, removes it) in `file`."""
        if self.head_texts is not None:
            committed = (text in self.head_texts.get(file, ())) != deleted
        else:
            committed = not self.repo.uncommitted(self.repo.path(file))
        if not committed:
            return self.repo.user(), _iso(self.report_time)
        return self._newest(file) or self._newest(file.split("/")[0]) or (self.repo.user(), _iso(self.report_time))

    def _newest(self, file: str) -> tuple[str, str] | None:
        if file not in self._known:
            newest = self.repo.newest(self.commit, self.repo.path(file))
            self._known[file] = newest and (newest[0], _iso(dt.datetime.fromtimestamp(newest[1], dt.timezone.utc)))
        return self._known[file]


def _iso(moment: dt.datetime) -> str:
    """w:date: UTC, whole seconds, 'Z' (as Word writes it)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return moment.replace(microsecond=0).isoformat() + "Z"


# ---- the two documents ---------------------------------------------------------------------------------------

class OldDocument(DocxWriter):
    """The old version through the same writer: its body only (no fonts, layout or extra parts)."""

    def tree(self):
        self._body()
        rels = {rel.rId: rel.target_ref for rel in self.document.part.rels.values() if rel.is_external}
        return self.body, rels


class RedlineWriter(DocxWriter):
    """Today's document, its body marked by `mark(body, relink)` before anything is laid out or saved."""

    def __init__(self, report, images, provenance, mark):
        super().__init__(report, images, provenance)
        self.mark, self.changes = mark, {}

    def _body(self) -> None:
        super()._body()
        self.changes = self.mark(self.body, self._relink)

    def _relink(self, url: str) -> str:
        """A relationship to an old link's URL in today's file (a deleted link keeps working)."""
        from docx.opc.constants import RELATIONSHIP_TYPE
        return self.document.part.relate_to(url, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)


def places(body) -> dict[tuple[str, str], object]:
    """(bookmark, 'p<n>' | 'r<n>') -> the w:p or w:tr there, counted as `review` counts (see sourcemap.py)."""
    from .sourcemap import CONTENTS, COVER
    found: dict = {}
    anchor, item, row, previous = COVER, -1, -1, None
    for element in body.iter(_w("p"), _w("tr"), _w("bookmarkStart")):
        tag = element.tag
        if tag == _w("tr"):
            row += 1
            found.setdefault((anchor, f"r{row}"), element)
        elif tag == _w("p"):
            if anchor == COVER and previous is not None and previous.find(f"{_w('pPr')}/{_w('sectPr')}") is not None:
                anchor, item = CONTENTS, -1      # the cover is its own Word section
            previous = element
            item += 1
            if row < 0:
                found.setdefault((anchor, f"p{item}"), element)
        elif element.get(_w("name"), "").startswith("a_"):
            anchor, item, row = element.get(_w("name")), 0, -1
            paragraph = element.getparent()
            if paragraph.tag == _w("p"):
                found[(anchor, "p0")] = paragraph
    return found


# ---- alignment -----------------------------------------------------------------------------------------------

@dataclass
class Place:
    entry: object        # sourcemap.Entry
    element: object      # its w:p or w:tr
    kind: str            # 'p' | 'r'

    @property
    def comparable(self) -> str:
        return comparable(self.entry.text)


def comparable(text: str) -> str:
    """A place's text as compared: spacing evened out, citation numbers (renumbered by other edits) left out."""
    return " ".join(CITATION_NUMBER.sub("", text).split())


def located(report, body) -> list[Place]:
    from .sourcemap import entries
    where = places(body)
    return [Place(entry, where[(entry.anchor, entry.at)], entry.at[0]) for entry in entries(report)
            if (entry.anchor, entry.at) in where]


def align(old: list[Place], new: list[Place]) -> list[tuple[int | None, int | None]]:
    """Pairs (old index, new index), None on one side for a place only the other has: equal texts are matched
    first (in order), then, between them, the same file and key, then the most similar text (ratio >= 0.5)."""
    key = lambda place: (place.entry.file, place.kind, place.comparable)  # noqa: E731
    matcher = difflib.SequenceMatcher(None, [key(p) for p in old], [key(p) for p in new], autojunk=False)
    pairs: list = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            pairs += zip(range(i1, i2), range(j1, j2))
            continue
        olds, news = list(range(i1, i2)), list(range(j1, j2))
        for i in list(olds):
            same = [j for j in news if (new[j].entry.file, new[j].entry.path, new[j].kind)
                    == (old[i].entry.file, old[i].entry.path, old[i].kind)]
            if same:
                pairs.append((i, same[0]))
                olds.remove(i)
                news.remove(same[0])
        for i in list(olds):
            scored = [(difflib.SequenceMatcher(None, old[i].comparable, new[j].comparable).ratio(), j) for j in news
                      if new[j].kind == old[i].kind and new[j].entry.file == old[i].entry.file]
            best = max(scored, default=(0, None))
            if best[0] >= 0.5:
                pairs.append((i, best[1]))
                olds.remove(i)
                news.remove(best[1])
        pairs += [(i, None) for i in olds] + [(None, j) for j in news]
    return pairs


# ---- marking ------------------------------------------------------------------------------------------------

class Redline:
    """Marks today's body with the changes from the old one."""

    def __init__(self, old_report, report, old_body, old_rels: dict, body, relink, signatures: Signatures):
        self.old, self.new = located(old_report, old_body), located(report, body)
        self.old_rels, self.relink, self.signatures = old_rels, relink, signatures
        self.citations = {source_bookmark(s.number): s.id for s in report.sources}
        self.old_citations = {source_bookmark(s.number): s.id for s in old_report.sources}
        ids = [int(e.get(_w("id"))) for e in body.iter(_w("bookmarkStart")) if (e.get(_w("id")) or "").isdigit()]
        self.next_id = max(ids, default=0) + 1
        self.counts = {"insertions": 0, "deletions": 0}
        self.tables_put_back: list = []

    def apply(self) -> dict:
        pairs = align(self.old, self.new)
        partner = self.partner = {i: j for i, j in pairs if i is not None and j is not None}
        for i, j in pairs:
            if i is not None and j is not None:
                self.changed(self.old[i], self.new[j])
            elif j is not None:
                self.inserted(self.new[j])
        cursor = None
        for i, old in enumerate(self.old):     # put back what was removed, in its old order
            if i in partner:
                cursor = self.new[partner[i]].element
            elif self._shown(old):
                cursor = self.removed(old, cursor)
        return self.counts

    # -- one place of each kind

    def changed(self, old: Place, new: Place) -> None:
        if old.comparable == new.comparable:
            return
        signature = self.signatures.of(new.entry.file, new.comparable)
        if new.kind == "p":
            self._diff_paragraph(old.element, new.element, signature)
            return
        old_cells, new_cells = old.element.findall(_w("tc")), new.element.findall(_w("tc"))
        if len(old_cells) != len(new_cells):
            self.inserted(new)
            self.removed(old, new.element)
            return
        for old_cell, new_cell in zip(old_cells, new_cells):
            for old_p, new_p in zip(old_cell.findall(_w("p")), new_cell.findall(_w("p"))):
                self._diff_paragraph(old_p, new_p, signature)

    def inserted(self, new: Place) -> None:
        signature = self.signatures.of(new.entry.file, new.comparable)
        if new.kind == "r":
            _row_mark(new.element, self._change("ins", signature))
        for paragraph in _paragraphs(new.element):
            self._track_all(paragraph, "ins", signature)
            _paragraph_mark(paragraph, self._change("ins", signature))
        self.counts["insertions"] += 1

    def removed(self, old: Place, cursor):
        """Put the old place back after `cursor` (the kept place before it), all deleted; the new cursor."""
        signature = self.signatures.of(old.entry.file, old.comparable, deleted=True)
        if old.kind == "r":
            return self._removed_row(old, cursor, signature)
        clone = self._deleted_copy(old.element, signature)
        _place_after(cursor, clone, old.element, self.new)
        _renumber(clone)
        self.counts["deletions"] += 1
        return clone

    def _removed_row(self, old: Place, cursor, signature):
        table = _ancestor(old.element, "tbl")
        kept = [i for i, p in enumerate(self.old) if p.kind == "r" and _ancestor(p.element, "tbl") is table
                and i in self.partner]
        if not kept:      # the whole table went: put it back once, every row deleted
            if any(table is done for done in self.tables_put_back):
                return cursor
            self.tables_put_back.append(table)
            clone = self._deleted_copy(table, signature)
            for row in clone.iter(_w("tr")):
                _row_mark(row, self._change("del", signature))
            _place_after(cursor, clone, table, self.new)
            self.counts["deletions"] += 1
            return clone
        clone = self._deleted_copy(old.element, signature)
        _row_mark(clone, self._change("del", signature))
        if cursor is not None and cursor.tag == _w("tr"):
            cursor.addnext(clone)
        else:       # the header went: before today's first row of that table
            self.new[self.partner[kept[0]]].element.addprevious(clone)
        self.counts["deletions"] += 1
        return clone

    def _shown(self, old: Place) -> bool:
        """A figure's picture paragraph (its alt text) is not put back: the old picture is not in today's file."""
        return not (old.entry.path and old.entry.path[-1] == "figure")

    # -- words

    def _diff_paragraph(self, old_p, new_p, signature) -> None:
        old_atoms, new_atoms = self._atoms(old_p, self.old_citations), self._atoms(new_p, self.citations)
        if [a.key for a in old_atoms] == [a.key for a in new_atoms]:
            return
        out: list = []
        for op, i1, i2, j1, j2 in _word_changes(old_atoms, new_atoms):
            if op == "equal":
                out += [(atom, "keep") for atom in new_atoms[j1:j2]]
                continue
            if i2 > i1 and any(a.text.strip() or a.run is None for a in old_atoms[i1:i2]):
                self.counts["deletions"] += 1
            if j2 > j1 and any(a.text.strip() or a.run is None for a in new_atoms[j1:j2]):
                self.counts["insertions"] += 1
            out += [(atom, "del") for atom in old_atoms[i1:i2]] + [(atom, "ins") for atom in new_atoms[j1:j2]]
        for child in list(new_p):
            if child.tag != _w("pPr"):
                new_p.remove(child)
        for element in self._emit(out, signature):
            new_p.append(element)
        _merge_changes(new_p)

    def _atoms(self, paragraph, citations: dict) -> list["Atom"]:
        """The paragraph's content in comparable pieces: words and spaces of plain runs, and whole pieces for
        everything else (links, content controls, fields, tabs, bookmarks)."""
        atoms: list[Atom] = []
        for child in paragraph:
            tag = child.tag
            if tag == _w("pPr"):
                continue
            if tag == _w("r"):
                for part in child:
                    if part.tag == _w("rPr"):
                        continue
                    if part.tag == _w("t"):
                        atoms += [Atom(word, child, part, word) for word in WORD.findall(part.text or "")]
                    else:
                        atoms.append(Atom(_opaque_key(part), child, part, ""))
            else:
                atoms.append(Atom(self._element_key(child, citations), None, child, _text(child)))
        return atoms

    def _element_key(self, element, citations: dict) -> tuple:
        tag = element.tag.rsplit("}", 1)[-1]
        if tag == "hyperlink":
            anchor = element.get(_w("anchor"))
            if anchor in citations:
                return ("cite", citations[anchor])
            if anchor:
                return ("link", anchor)
            return ("href", _text(element))
        if tag == "sdt":
            alias = element.find(f"{_w('sdtPr')}/{_w('tag')}")
            name = alias.get(_w("val")) if alias is not None else ""
            counts = name.startswith(PLACEHOLDER_TEXT_COUNTS) or not name
            return ("sdt", name, _text(element) if counts else "")
        if tag in ("bookmarkStart", "bookmarkEnd"):   # by name: ids are counted over the whole document
            return (tag, element.get(_w("name")) or "")
        return (tag, _text(element))

    def _emit(self, out, signature) -> list:
        """The new paragraph content: consecutive pieces of one run in one state share a run; inserted and
        deleted ones are wrapped in w:ins / w:del."""
        elements: list = []
        last = None          # (state, source run, run made)
        for atom, state in out:
            if atom.run is None:
                last = None
                made = self._whole(atom.part, state, signature)
                if made is not None:
                    elements.append(made)
                continue
            if atom.part.find(f".//{_w('drawing')}") is not None and state == "del":
                continue     # an old picture: its image is not in today's file
            if last is not None and last[0] == state and last[1] is atom.run:
                run = last[2]
            else:
                run = OxmlElement("w:r")
                rpr = atom.run.find(_w("rPr"))
                if rpr is not None:
                    run.append(copy.deepcopy(rpr))
                wrapper = run
                if state != "keep":
                    wrapper = self._change(state, signature)
                    wrapper.append(run)
                elements.append(wrapper)
                last = (state, atom.run, run)
            _add_piece(run, atom, state)
        return elements

    def _whole(self, element, state: str, signature):
        """A whole piece (link, content control, bookmark, ...) as kept, inserted or deleted."""
        if state == "keep" or (state == "ins" and element.tag.endswith("}bookmarkEnd")):
            return element
        if state == "del" and element.tag in (_w("bookmarkStart"), _w("bookmarkEnd")):
            return None
        made = copy.deepcopy(element) if state == "del" else element
        if state == "del":
            self._adopt(made)
        self._track_all(made, state, signature)
        return made

    # -- whole elements

    def _track_all(self, element, state: str, signature) -> None:
        """Wrap every run inside `element` (a paragraph, link or content control) in a change."""
        for run in list(element.iter(_w("r"))):
            parent = run.getparent()
            if parent.tag in (_w("ins"), _w("del")):
                continue
            if state == "del":
                _to_deleted(run)
            wrapper = self._change(state, signature)
            run.addprevious(wrapper)
            wrapper.append(run)
        if element.tag == _w("p"):
            _merge_changes(element)

    def _deleted_copy(self, element, signature):
        """A copy of an old paragraph, row or table, all deleted, fit for today's file."""
        clone = copy.deepcopy(element)
        self._adopt(clone)
        for paragraph in _paragraphs(clone):
            self._track_all(paragraph, "del", signature)
            _paragraph_mark(paragraph, self._change("del", signature))
        return clone

    def _adopt(self, element) -> None:
        """Old content made valid in today's file: no bookmarks (their names are today's), content control ids,
        pictures or section breaks; links to URLs re-related here."""
        for node in list(element.iter(_w("bookmarkStart"), _w("bookmarkEnd"), _w("sectPr"), _w("id"))):
            if node.tag != _w("id") or node.getparent().tag == _w("sdtPr"):   # a content control's id is unique
                node.getparent().remove(node)
        for run in list(element.iter(_w("r"))):
            if run.find(f".//{_w('drawing')}") is not None:
                run.getparent().remove(run)
        for link in element.iter(_w("hyperlink")):
            rid = link.get(f"{{{R}}}id")
            if rid:
                url = self.old_rels.get(rid)
                if url:
                    link.set(f"{{{R}}}id", self.relink(url))
                else:
                    del link.attrib[f"{{{R}}}id"]

    def _change(self, state: str, signature):
        element = OxmlElement("w:ins" if state == "ins" else "w:del")
        element.set(_w("id"), str(self.next_id))
        element.set(_w("author"), signature[0])
        element.set(_w("date"), signature[1])
        self.next_id += 1
        return element


def _word_changes(old: list, new: list) -> list[tuple]:
    """Opcodes of the word diff, cleaned up as diff-match-patch's semantic cleanup does: a kept stretch no longer
    than the changes on both sides of it is folded into them, so a reworded phrase reads as one deletion and one
    insertion ('many? Yes' -> 'a lot? Certainly'), not as words interleaved around a kept space, '?' or 'the'."""
    matcher = difflib.SequenceMatcher(None, [a.key for a in old], [a.key for a in new], autojunk=False)
    codes = [list(code) for code in matcher.get_opcodes()]
    size = lambda atoms: sum(len(a.text) or 1 for a in atoms)  # noqa: E731
    changed = lambda code: max(size(old[code[1]:code[2]]), size(new[code[3]:code[4]]))  # noqa: E731
    index = 1
    while index < len(codes) - 1:
        before, kept, after = codes[index - 1:index + 2]
        if kept[0] == "equal" and before[0] != "equal" and after[0] != "equal" \
                and size(old[kept[1]:kept[2]]) <= min(changed(before), changed(after)):
            codes[index - 1:index + 2] = [["replace", before[1], after[2], before[3], after[4]]]
            index = max(1, index - 1)
            continue
        index += 1
    return [tuple(code) for code in codes]


@dataclass
class Atom:
    key: object
    run: object          # the w:r it comes from; None for a whole element (link, content control, ...)
    part: object         # the run's child (w:t, w:tab, ...) or the whole element
    text: str


def _add_piece(run, atom: Atom, state: str) -> None:
    """Append one piece to a run being made: words join the run's last text element."""
    if atom.part.tag == _w("t"):
        name = "w:delText" if state == "del" else "w:t"
        last = run[-1] if len(run) else None
        if last is not None and last.tag == _w(name.split(":")[1]):
            last.text += atom.text
            return
        text = OxmlElement(name)
        text.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
        text.text = atom.text
        run.append(text)
        return
    piece = copy.deepcopy(atom.part)
    run.append(piece)
    if state == "del":
        _to_deleted(run)


def _opaque_key(part) -> tuple:
    tag = part.tag.rsplit("}", 1)[-1]
    if tag == "fldChar":
        return (tag, part.get(_w("fldCharType")))
    return (tag, part.text or "")


def _text(element) -> str:
    return "".join(node.text or "" for node in element.iter(_w("t"), _w("delText")))


def _to_deleted(run) -> None:
    for name, deleted in (("t", "delText"), ("instrText", "delInstrText")):
        for node in run.iter(_w(name)):
            node.tag = _w(deleted)


def _merge_changes(paragraph) -> None:
    """Adjacent changes of the same kind and signature become one (as Word saves them)."""
    previous = None
    for child in list(paragraph):
        if (previous is not None and child.tag == previous.tag and child.tag in (_w("ins"), _w("del"))
                and child.get(_w("author")) == previous.get(_w("author"))
                and child.get(_w("date")) == previous.get(_w("date"))):
            for run in list(child):
                previous.append(run)
            paragraph.remove(child)
            continue
        previous = child


def _paragraphs(element) -> list:
    return [element] if element.tag == _w("p") else list(element.iter(_w("p")))


def _paragraph_mark(paragraph, change) -> None:
    """The paragraph mark inserted or deleted (w:pPr/w:rPr/w:ins|w:del), so accepting joins or removes it."""
    ppr = paragraph.find(_w("pPr"))
    if ppr is None:
        ppr = OxmlElement("w:pPr")
        paragraph.insert(0, ppr)
    rpr = ppr.find(_w("rPr"))
    if rpr is None:
        rpr = OxmlElement("w:rPr")
        later = [child for child in ppr if child.tag in (_w("sectPr"), _w("pPrChange"))]
        if later:
            later[0].addprevious(rpr)
        else:
            ppr.append(rpr)
    rpr.insert(0, change)


def _row_mark(row, change) -> None:
    """A table row inserted or deleted (w:trPr/w:ins|w:del)."""
    trpr = row.find(_w("trPr"))
    if trpr is None:
        trpr = OxmlElement("w:trPr")
        row.insert(1 if row.find(_w("tblPrEx")) is not None else 0, trpr)
    change_of_row = trpr.find(_w("trPrChange"))
    if change_of_row is not None:
        change_of_row.addprevious(change)
    else:
        trpr.append(change)


def _renumber(paragraph) -> None:
    """A put-back list item joins the list of its neighbour (the old file's list ids mean nothing here)."""
    old = paragraph.find(f"{_w('pPr')}/{_w('numPr')}")
    if old is None:
        return
    for neighbour in (paragraph.getprevious(), paragraph.getnext()):
        found = neighbour.find(f"{_w('pPr')}/{_w('numPr')}") if neighbour is not None else None
        if found is not None:
            old.getparent().replace(old, copy.deepcopy(found))
            return
    old.getparent().remove(old)


def _ancestor(element, tag: str):
    parent = element.getparent()
    while parent is not None and parent.tag != _w(tag):
        parent = parent.getparent()
    return parent


def _depth(element) -> int:
    """How many tables (boxes) hold the element."""
    depth, parent = 0, element.getparent()
    while parent is not None:
        depth += parent.tag == _w("tbl")
        parent = parent.getparent()
    return depth


def _place_after(cursor, clone, old_element, new_places: list[Place]) -> None:
    """Insert a put-back paragraph or table after `cursor`, at the old element's box depth; with no cursor (it
    came first), before today's first place."""
    if cursor is None:
        if new_places:
            new_places[0].element.addprevious(clone)
        return
    while cursor.tag != _w("body") and (_depth(cursor) > _depth(old_element) or cursor.tag == _w("tr")
                                        or cursor.getparent().tag not in (_w("body"), _w("tc"))):
        cursor = cursor.getparent()
    if cursor.tag == _w("body"):
        return
    if cursor.tag == _w("p") and clone.tag == _w("p"):
        moved = cursor.find(f"{_w('pPr')}/{_w('sectPr')}")
        if moved is not None:      # a chapter's last paragraph: the section break moves to the put-back one
            ppr = clone.find(_w("pPr"))
            ppr.append(moved)
    cursor.addnext(clone)
