"""HTML -> PDF through WeasyPrint: tagged (PDF/UA), fonts and assets from templates/ only, no network."""
from __future__ import annotations

import hashlib
import logging
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlparse

from .. import editions
from ..model import Report
from . import html as html_writer

TEMPLATES = html_writer.TEMPLATES


def _local_fetcher():
    from weasyprint.urls import URLFetcher

    class LocalFetcher(URLFetcher):
        """Serves data: URIs and files inside templates/; refuses everything else (no network, no /etc)."""

        def fetch(self, url, headers=None):
            scheme = urlparse(url).scheme
            if scheme == "data":
                return super().fetch(url, headers)
            if scheme == "file":
                target = Path(unquote(urlparse(url).path)).resolve()
                if target.is_relative_to(TEMPLATES.resolve()) and target.is_file():
                    return super().fetch(url, headers)
            raise ValueError(f"refused to fetch {url}: only the project's own files are used")

    return LocalFetcher()


class _Collector(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def collected_warnings():
    """WeasyPrint reports font fallbacks, bad CSS and refused URLs through logging: keep them."""
    logger = logging.getLogger("weasyprint")
    collector = _Collector()
    logger.addHandler(collector)
    propagate, logger.propagate = logger.propagate, False
    try:
        yield collector.messages
    finally:
        logger.removeHandler(collector)
        logger.propagate = propagate


def provenance_xmp(provenance: dict[str, str]) -> bytes:
    """An XMP packet part naming the build's input fingerprint and tool versions."""
    from xml.sax.saxutils import escape
    fields = "".join(f"<rg:{key}>{escape(value)}</rg:{key}>" for key, value in sorted(provenance.items()))
    return (f'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" '
            f'xmlns:rg="{PROVENANCE_NS}">{fields}</rdf:Description></rdf:RDF>').encode("utf-8")


PROVENANCE_NS = "urn:reportgen:provenance:1"


def write(report: Report, path: Path, images: dict[str, bytes] | None = None, provenance: dict | None = None) -> dict:
    from weasyprint import HTML

    source = html_writer.render(report, images, linked=True)
    with collected_warnings() as warnings:
        document = HTML(string=source, base_url=TEMPLATES.as_uri() + "/", url_fetcher=_local_fetcher()).render()
        editions.check_fit(document, report)   # an edition longer than it may be is not written
        if provenance:
            document.metadata.xmp_metadata.append(provenance_xmp(provenance))
        # A stable file identifier (not WeasyPrint's random one): same input, same bytes.
        identifier = hashlib.sha256(source.encode("utf-8")).hexdigest()[:32].encode("ascii")
        data = document.write_pdf(pdf_variant="pdf/ua-1", pdf_identifier=identifier)
    path.write_bytes(with_header_scope(data))
    return {"pages": len(document.pages), "warnings": warnings}


def with_header_scope(data: bytes) -> bytes:
    """The PDF with /Scope on its table header cells (see pdf_tables), saved with an /ID computed from the
    content (qpdf would otherwise draw a random one): same input, same bytes."""
    import io

    import pikepdf

    from ..pdf_tables import add_header_scope
    with pikepdf.open(io.BytesIO(data)) as pdf:
        if not add_header_scope(pdf):
            return data
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.preserve)
        return out.getvalue()
