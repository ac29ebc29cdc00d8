"""Charts as geometry: pure functions from figures to the shapes templates/chart_*.svg draw.

Drawn on the server as SVG (no chart library in the browser, no CDN; it works offline on the LAN
and in a screenshot). Sized for a 390-px phone: 360 wide, scaled by the viewBox.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

WIDTH = 360
ROW = 26  # one horizontal bar
LABEL = 96  # room for a product or group name left of its bar


@dataclass(frozen=True)
class HBar:
    label: str
    text: str  # the figure written after the bar: "12盒" or "12盒 · ¥360"
    y: float
    width: float


@dataclass(frozen=True)
class HBars:
    title: str
    bars: tuple[HBar, ...]
    height: float
    label_width: float = LABEL
    bar_height: float = ROW - 8


def hbars(title: str, items: Sequence[tuple[str, float, str]], limit: int = 12) -> HBars:
    """Horizontal bars, longest first: (label, value, text)."""
    shown = sorted(items, key=lambda i: -i[1])[:limit]
    top = max((v for _, v, _ in shown), default=0) or 1
    room = WIDTH - LABEL - 70  # the text after the longest bar must fit
    bars = tuple(HBar(label[:8], text, 4 + i * ROW, max(2.0, room * value / top)) for i, (label, value, text)
                 in enumerate(shown))
    return HBars(title, bars, 8 + len(bars) * ROW)


@dataclass(frozen=True)
class Segment:
    y: float
    height: float
    series: int  # which colour: 0, 1, ...


@dataclass(frozen=True)
class Column:
    x: float
    width: float
    segments: tuple[Segment, ...]
    label: str  # under the column ('' for most hours)
    total: float
    label_x: float  # where the label starts: under the column, kept inside the chart


@dataclass(frozen=True)
class Columns:
    title: str
    columns: tuple[Column, ...]
    height: float
    plot_height: float
    top: float  # the largest total, written on the axis
    legend: tuple[str, ...]


def _text_width(text: str) -> float:
    """About how wide 11-px text is: a Chinese character twice a digit."""
    return sum(11.0 if ord(c) > 0x2E80 else 6.0 for c in text)


def columns(title: str, slots: Sequence[tuple[str, Sequence[float]]], legend: Sequence[str] = (),
            plot_height: float = 140) -> Columns:
    """Columns, one per slot (label, values per series), stacked; labels are drawn where not empty."""
    top = max((sum(values) for _, values in slots), default=0) or 1
    n = max(len(slots), 1)
    step = (WIDTH - 30) / n
    width = min(max(step * 0.8, 1.0), 40.0)  # a few campaigns: columns, not walls
    cols = []
    for i, (label, values) in enumerate(slots):
        y = plot_height
        segments = []
        for s, v in enumerate(values):
            h = plot_height * v / top
            y -= h
            if h > 0:
                segments.append(Segment(y, h, s))
        x = 30 + i * step + (step - width) / 2
        label_x = min(x, WIDTH - _text_width(label) - 2)  # a label near the right edge stays inside
        cols.append(Column(x, width, tuple(segments), label, sum(values), label_x))
    return Columns(title, tuple(cols), plot_height + 22, plot_height, top, tuple(legend))
