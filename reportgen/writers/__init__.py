"""Writers: each module has `write(report, path, images) -> info` for one format.

Adding a format is one module and one line in FORMATS. Modules are imported on first use, so a run that
writes nothing never imports WeasyPrint or python-docx.
"""
from __future__ import annotations

import importlib

FORMATS = {"pdf": "pdf", "docx": "docx", "html": "html"}   # format -> module in this package
IMAGE_FORMAT = {"pdf": "svg", "html": "svg", "docx": "png"}   # what each format embeds for a chart


def writer(fmt: str):
    return importlib.import_module(f"{__name__}.{FORMATS[fmt]}").write
