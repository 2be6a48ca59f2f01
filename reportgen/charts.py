"""Charts drawn from the figures with matplotlib: SVG for the PDF, PNG for the DOCX, rendered once each.

Output is deterministic (fixed SVG hash salt, no dates or software tags) so builds stay byte-identical.
Text in the SVG is drawn as paths: the PDF needs no font beyond those it embeds for the body text.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
from functools import lru_cache
from pathlib import Path

from .model import Chart
from .plan import TEMPORARY

FONTS = Path(__file__).resolve().parent.parent / "templates" / "fonts"
ACCENT, MUTED, GUIDE = "#1f4e79", "#8fa9c4", "#b23a48"
WIDTH_IN, HEIGHT_IN = 6.3, 2.9
MAX_CACHED_BYTES = 20_000_000   # a chart is tens of KiB: anything this big in the cache is not ours


@lru_cache(maxsize=1)
def _matplotlib():
    """Matplotlib's object API on the Agg canvas: pyplot (and its GUI machinery) is never imported."""
    import matplotlib
    from matplotlib import font_manager
    for file in sorted(FONTS.glob("NotoSans-*.ttf")):
        font_manager.fontManager.addfont(str(file))
    matplotlib.rcParams.update({
        "font.family": "Noto Sans", "font.size": 9, "svg.hashsalt": "report", "svg.fonttype": "path",
        "axes.spines.top": False, "axes.spines.right": False, "axes.edgecolor": "#555555",
        "axes.titlesize": 10, "figure.dpi": 100,
        "text.parse_math": False, "text.usetex": False,   # labels are drawn literally: "$5 or $6" stays so
    })
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    return Figure, FigureCanvasAgg


def render(chart: Chart) -> dict[str, bytes]:
    """The chart drawn once and saved as SVG (for the PDF) and PNG (for Word): {'svg': ..., 'png': ...}."""
    Figure, Canvas = _matplotlib()
    fig = Figure(figsize=(WIDTH_IN, chart_height(chart)))
    Canvas(fig)
    ax = fig.add_subplot()
    _draw(ax, chart)
    fig.tight_layout()
    images = {}
    for fmt, metadata in (("svg", {"Date": None, "Creator": None}), ("png", {"Software": None})):
        buffer = io.BytesIO()
        fig.savefig(buffer, format=fmt, dpi=200, metadata=metadata)
        images[fmt] = buffer.getvalue()
    return images


def cached_images(chart: Chart, cache: Path) -> dict[str, bytes]:
    """render(chart), kept on disk by content: PDF and DOCX jobs, in any process, share one rendering.

    Each cached file is named by the hash of what it draws and verified against the hash of its own bytes
    (recorded in a .sha256 file written last): a truncated or edited cache entry is drawn again, never used.
    """
    key = hashlib.sha256(repr(chart).encode() + Path(__file__).read_bytes()).hexdigest()[:24]
    stem = cache / f"{chart.id}-{key}"
    files = {fmt: stem.with_suffix(f".{fmt}") for fmt in ("svg", "png")}
    cached = _verified(files, stem.with_suffix(".sha256"))
    if cached:
        return cached
    images = render(chart)
    cache.mkdir(parents=True, exist_ok=True)
    for fmt, file in files.items():
        _write(file, images[fmt])
    _write(stem.with_suffix(".sha256"), json.dumps({fmt: _sha256(data) for fmt, data in images.items()}).encode())
    return images


def _verified(files: dict[str, Path], hashes: Path) -> dict[str, bytes] | None:
    try:
        if any(file.stat().st_size > MAX_CACHED_BYTES for file in files.values()):
            return None
        expected = json.loads(hashes.read_bytes()[:1000])
        images = {fmt: file.read_bytes() for fmt, file in files.items()}
    except (OSError, ValueError):
        return None
    if not isinstance(expected, dict) or any(expected.get(fmt) != _sha256(data) for fmt, data in images.items()):
        return None
    return images


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _write(file: Path, data: bytes) -> None:
    handle, name = tempfile.mkstemp(dir=file.parent, prefix=f".{file.name}.", suffix=TEMPORARY)
    with os.fdopen(handle, "wb") as stream:
        stream.write(data)
    os.chmod(name, 0o644)
    os.replace(name, file)


def chart_height(chart: Chart) -> float:
    """Horizontal bar charts grow with their bars; the others keep one height."""
    return min(HEIGHT_IN, 0.6 * len(chart.points) + 0.7) if chart.type == "barh" else HEIGHT_IN


def _draw(ax, chart: Chart) -> None:
    labels = [p.label for p in chart.points]
    values = [p.value for p in chart.points]
    scale = _scale(values + [g.value for g in chart.guides])
    shown = [v / scale for v in values]
    colors = [ACCENT] * len(values)
    if chart.type == "barh":
        bars = ax.barh(labels[::-1], shown[::-1], color=colors, height=0.55)
        ax.bar_label(bars, labels=[p.text for p in chart.points][::-1], padding=4)
        ax.set_xticks([])
        ax.spines["bottom"].set_visible(False)
        ax.set_xlim(0, max(shown) * 1.6)   # room for the value labels after the longest bar
    elif chart.type == "line":
        ax.plot(labels, shown, color=ACCENT, marker="o")
        for x, y, point in zip(labels, shown, chart.points):
            ax.annotate(point.text, (x, y), textcoords="offset points", xytext=(0, 6), ha="center")
    else:
        bars = ax.bar(labels, shown, color=colors, width=0.6)
        ax.bar_label(bars, labels=[p.text for p in chart.points], padding=3)
        ax.set_yticks([])
        ax.spines["left"].set_visible(False)
        top = max(shown + [g.value / scale for g in chart.guides])
        ax.set_ylim(0, top * 1.2)
    for guide in chart.guides:
        y = guide.value / scale
        draw = ax.axvline if chart.type == "barh" else ax.axhline
        draw(y, color=GUIDE, linestyle="--", linewidth=1)
        if chart.type != "barh":
            ax.annotate(guide.text, (1.0, y), xycoords=("axes fraction", "data"), xytext=(2, 0),
                        textcoords="offset points", va="center", color=GUIDE, fontsize=8)


def _scale(values: list[float]) -> float:
    biggest = max(abs(v) for v in values) if values else 1
    return 1e9 if biggest >= 1e9 else 1e6 if biggest >= 1e6 else 1
