"""Plain text of a whole report, in reading order: for word counts, spelling checks and search."""
from __future__ import annotations

from . import model as m
from .assemble import plain


def block_texts(block) -> list[str]:
    if isinstance(block, m.Paragraph):
        return [plain(block.spans)]
    if isinstance(block, (m.BulletList, m.NumberedList)):
        return [plain(item) for item in block.items]
    if isinstance(block, m.Table):
        return [plain(block.caption), *(plain(c) for c in block.header),
                *(plain(c) for row in block.rows for c in row)]
    if isinstance(block, m.Figure):
        return [plain(block.caption), block.alt, *(p.label for p in block.chart.points)] if block.chart else \
            [plain(block.caption), block.alt]
    if isinstance(block, m.KeyFigures):
        return [block.title, *(f"{i.label} {i.value}" for i in block.items)]
    if isinstance(block, m.Recommendations):
        return [text for item in block.items for text in (
            f"{item.rank} {plain(item.title)}", *(f"{f.label} {plain(f.spans)}" for f in item.fields))]
    return [block.title, *(t for child in block.blocks for t in block_texts(child))]


def report_texts(report: m.Report) -> list[str]:
    texts = [report.title, report.subtitle]
    for section in m.walk(report.sections):
        texts.append(section.title)
        for block in section.blocks:
            texts.extend(block_texts(block))
    return texts
