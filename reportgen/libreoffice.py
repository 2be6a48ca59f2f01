"""LibreOffice headless as the DOCX's layout engine: where its headings land, and how many pages it has.

Each conversion runs in its own temporary folder with its own LibreOffice profile (-env:UserInstallation),
so parallel build workers never share a profile or hand their file to another worker's LibreOffice.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

TIMEOUT_SECONDS = 300


@dataclass(frozen=True)
class Layout:
    pages: int
    headings: tuple      # ((heading text, page number), ...) in document order, from the PDF outline


def soffice() -> str | None:
    return shutil.which("soffice")


def to_pdf(document: bytes, suffix: str = ".docx") -> bytes:
    """The PDF LibreOffice makes of `document`; raises RuntimeError if it fails, however it fails (it cannot be
    started, it times out, it writes no PDF), so callers have one exception to handle."""
    try:
        return _convert(document, suffix)
    except (OSError, subprocess.SubprocessError) as exc:
        raise RuntimeError(f"LibreOffice could not convert the document: {exc}") from exc


def _convert(document: bytes, suffix: str) -> bytes:
    with tempfile.TemporaryDirectory(prefix="reportgen-lo-") as folder:
        folder = Path(folder)
        source = folder / f"document{suffix}"
        source.write_bytes(document)
        command = [soffice(), "--headless", "--norestore", f"-env:UserInstallation={(folder / 'profile').as_uri()}",
                   "--convert-to", "pdf", "--outdir", str(folder), str(source)]
        result = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS,
                                stdin=subprocess.DEVNULL)
        target = folder / "document.pdf"
        if result.returncode != 0 or not target.is_file():
            raise RuntimeError(f"LibreOffice could not convert the document: {result.stderr.strip()[-300:]}")
        return target.read_bytes()


def layout(document: bytes) -> Layout:
    """Page count and heading pages of `document` as LibreOffice lays it out."""
    return pdf_layout(to_pdf(document))


def pdf_layout(pdf: bytes) -> Layout:
    """Page count and heading pages (from the outline LibreOffice writes for headings) of a PDF."""
    import io

    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    headings: list[tuple[str, int]] = []

    def walk(items) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                headings.append((item.title, reader.get_destination_page_number(item) + 1))

    walk(reader.outline)
    return Layout(len(reader.pages), tuple(headings))


def same_text(a: str, b: str) -> bool:
    return re.sub(r"\s+", " ", a).strip() == re.sub(r"\s+", " ", b).strip()
