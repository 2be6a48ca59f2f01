"""Review a DOCX the way a LibreOffice user does, through LibreOffice's Python UNO bridge.

Run with the system Python, which has `uno` (Debian package python3-uno), not the project's venv:

    /usr/bin/python3 tests/lo_review.py resave|review|edit IN.docx OUT.docx

`review` records tracked changes as a LibreOffice user types them: an insertion at the start of the first
bullet (LibreOffice saves it ahead of the block's bookmark), a new bullet after it, and a footnote at the end of
the body's first paragraph. `edit` records the edits `review --apply` writes back: a word replaced in the body's
first paragraph (found with LibreOffice's search) and a word typed at the start of the first bullet. `resave` opens and saves a file with LibreOffice, nothing changed: what comes back
from a reviewer who comments in LibreOffice. (LibreOffice 7.4 headless, listening for UNO, crashes on any
comment, inserted or loaded, so the tests add comments with python-docx and re-save them through LibreOffice's
command line, which handles them.)
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import uno
from com.sun.star.beans import PropertyValue
from com.sun.star.text.ControlCharacter import PARAGRAPH_BREAK


def prop(name, value):
    item = PropertyValue()
    item.Name, item.Value = name, value
    return item


def connect(pipe: str):
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    for _ in range(120):
        try:
            return resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
        except Exception:   # noqa: BLE001  (NoConnectException until LibreOffice listens)
            time.sleep(0.5)
    raise SystemExit("LibreOffice did not start")


def paragraphs(document):
    enumeration = document.Text.createEnumeration()
    while enumeration.hasMoreElements():
        element = enumeration.nextElement()
        if element.supportsService("com.sun.star.text.Paragraph"):
            yield element


def review(document) -> None:
    """Tracked changes as a LibreOffice user types them (paragraphs are fetched again after each edit: the
    objects of an earlier enumeration go stale and LibreOffice crashes on them)."""
    text = document.getText()
    bullets = lambda: [p for p in paragraphs(document) if "Bullet" in p.ParaStyleName]  # noqa: E731
    document.RecordChanges = True
    text.insertString(bullets()[0].getStart(), "Very ", False)
    cursor = text.createTextCursorByRange(bullets()[0].getStart())
    cursor.gotoEndOfParagraph(False)
    text.insertControlCharacter(cursor, PARAGRAPH_BREAK, False)
    text.insertString(cursor, "A new bullet", False)
    body = next(p for p in paragraphs(document) if p.ParaStyleName in ("Body Text", "Text body") and p.String)
    footnote = document.createInstance("com.sun.star.text.Footnote")
    text.insertTextContent(body.getEnd(), footnote, False)
    note = footnote.getText()
    note.insertString(note.getStart(), "A reviewer's note", False)


def edit(document) -> None:
    """Tracked edits of the text, as a LibreOffice user types them."""
    document.RecordChanges = True
    search = document.createSearchDescriptor()
    search.SearchString, search.SearchWords = "many", True
    document.findFirst(search).setString("a lot")
    bullet = next(p for p in paragraphs(document) if "Bullet" in p.ParaStyleName)
    document.getText().insertString(bullet.getStart(), "Very ", False)


def resave(source: Path, target: Path, folder: Path) -> None:
    """Open and save with LibreOffice's own command line (Word 2007 XML filter), nothing changed."""
    working = folder / source.name
    shutil.copyfile(source, working)
    subprocess.run(["soffice", "--headless", "--norestore", f"-env:UserInstallation={(folder / 'profile').as_uri()}",
                    "--convert-to", "docx:MS Word 2007 XML", "--outdir", str(folder / "out"), str(working)],
                   check=True, stdin=subprocess.DEVNULL, capture_output=True, timeout=300)
    shutil.copyfile(folder / "out" / source.name, target)


def main(mode: str, source: Path, target: Path) -> None:
    if mode == "resave":
        with tempfile.TemporaryDirectory(prefix="lo-resave-") as folder:
            return resave(source, target, Path(folder))
    with tempfile.TemporaryDirectory(prefix="lo-review-") as folder:
        pipe = f"lo_review_{Path(folder).name}"
        office = subprocess.Popen(
            ["soffice", "--headless", "--norestore", "--nologo", "--nodefault",
             f"-env:UserInstallation={(Path(folder) / 'profile').as_uri()}", f"--accept=pipe,name={pipe};urp;"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)   # soffice starts soffice.bin: the whole group is ended below
        try:
            context = connect(pipe)
            desktop = context.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", context)
            working = Path(folder) / source.name     # LibreOffice leaves lock files beside what it opens
            shutil.copyfile(source, working)
            document = desktop.loadComponentFromURL(working.as_uri(), "_blank", 0, ())
            if document is None:
                raise SystemExit(f"LibreOffice could not open {source}")
            {"review": review, "edit": edit}[mode](document)
            document.storeToURL(target.resolve().as_uri(), (prop("FilterName", "MS Word 2007 XML"),))
            document.close(True)
            try:
                desktop.terminate()
            except Exception:   # noqa: BLE001  (the bridge drops as LibreOffice quits)
                pass
            office.wait(timeout=60)
        finally:
            try:
                os.killpg(office.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            office.wait()


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]))
