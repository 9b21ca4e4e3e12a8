"""Bar charts as geometry for inline SVG, drawn by the server.

No chart library and no script: the page works on a closed network, without
JavaScript, and prints. ``templates/_charts.html`` turns a ``BarChart`` into SVG with a
title and a description for screen readers, a legend, and the same numbers as a table.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from credit_service.web.i18n import translate

PALETTE = ("#0b5cad", "#d4731c", "#2e8540", "#8a3ffc", "#b42318", "#52606d")
WIDTH = 640  # site.css shows the table instead where a figure is narrower
PLOT_TOP = 12
VALUE_AXIS = 40  # room for the value ticks (vertical) or category labels (horizontal)
CATEGORY_ROOM = 34  # room under a vertical chart for the category labels
HORIZONTAL_LABEL = 110
HORIZONTAL_LABEL_CHARS = 8  # the Chinese characters that fit HORIZONTAL_LABEL at 12 px
ROW = 26  # height of one category in a horizontal chart


@dataclass(frozen=True)
class Series:
    name: str
    values: tuple[float, ...]


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    color: str
    label: str  # "category · series: value", the bar's tooltip


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str
    anchor: str = "middle"
    full: str = ""  # the whole text of a shortened label (its tooltip)


@dataclass(frozen=True)
class GridLine:
    x1: float
    y1: float
    x2: float
    y2: float


@dataclass(frozen=True)
class BarChart:
    id: str
    title: str
    summary: str
    categories: tuple[str, ...]
    series: tuple[Series, ...]
    width: int
    height: int
    bars: tuple[Bar, ...]
    labels: tuple[Label, ...]
    grid: tuple[GridLine, ...]
    colors: tuple[str, ...]
    unit: str = ""

    @property
    def rows(self) -> list[tuple[str, list[float]]]:
        """The data as table rows: category, then one value per series."""
        return [(c, [s.values[i] for s in self.series]) for i, c in enumerate(self.categories)]


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 × 10^k at or above ``value`` (1 for nothing)."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    return next(f * power for f in (1, 2, 2.5, 5, 10) if f * power >= value)


def bar_chart(
    chart_id: str,
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    stacked: bool = False,
    horizontal: bool = False,
    unit: str = "",
) -> BarChart:
    """A grouped (or stacked) bar chart; horizontal suits long category names on phones.

    :raises ValueError: a series whose length differs from the categories.
    """
    for s in series:
        if len(s.values) != len(categories):
            raise ValueError(f"series {s.name!r} has {len(s.values)} values for {len(categories)}")
    totals = [
        sum(s.values[i] for s in series)
        if stacked
        else max((s.values[i] for s in series), default=0)
        for i in range(len(categories))
    ]
    whole = all(float(v).is_integer() for s in series for v in s.values)
    top = max(nice_ceiling(max(totals, default=0)), 4 if whole else 0)
    layout = _horizontal if horizontal else _vertical
    width, height, bars, labels, grid = layout(categories, series, top, stacked, whole)
    colors = tuple(PALETTE[i % len(PALETTE)] for i in range(len(series)))
    return BarChart(
        id=chart_id,
        title=title,
        summary=_summary(categories, series, unit),
        categories=tuple(categories),
        series=tuple(series),
        width=width,
        height=height,
        bars=tuple(bars),
        labels=tuple(labels),
        grid=tuple(grid),
        colors=colors,
        unit=unit,
    )


def _ticks(top: float, whole: bool) -> list[float]:
    """Gridline values from 0 to ``top``: four steps, or five when four would put a
    fraction on an axis of whole numbers (counts are never 2.5)."""
    steps = 5 if whole and (top / 4) != int(top / 4) else 4
    return [top * k / steps for k in range(steps + 1)]


def _fmt(value: float) -> str:
    return f"{value:g}" if value != int(value) else f"{int(value)}"


def _segments(series: Sequence[Series], i: int, stacked: bool, slot: float):  # type: ignore[no-untyped-def]
    """(series index, offset along the value axis, thickness offset, thickness) per bar."""
    if stacked:
        base = 0.0
        for k, s in enumerate(series):
            yield k, base, slot * 0.15, slot * 0.7
            base += s.values[i]
        return
    thickness = slot * 0.8 / max(len(series), 1)
    for k, _ in enumerate(series):
        yield k, 0.0, slot * 0.1 + k * thickness, thickness


def _vertical(categories, series, top, stacked, whole):  # type: ignore[no-untyped-def]
    height = 260
    plot_w = WIDTH - VALUE_AXIS - 8
    plot_h = height - PLOT_TOP - CATEGORY_ROOM
    slot = plot_w / max(len(categories), 1)
    bars, labels, grid = [], [], []
    for tick in _ticks(top, whole):
        y = PLOT_TOP + plot_h - plot_h * tick / top
        grid.append(GridLine(VALUE_AXIS, y, WIDTH - 8, y))
        labels.append(Label(VALUE_AXIS - 6, y + 4, _fmt(tick), "end"))
    for i, category in enumerate(categories):
        x0 = VALUE_AXIS + i * slot
        labels.append(Label(x0 + slot / 2, height - CATEGORY_ROOM + 16, category))
        for k, offset, start, thickness in _segments(series, i, stacked, slot):
            value = series[k].values[i]
            h = plot_h * value / top
            y = PLOT_TOP + plot_h - plot_h * offset / top - h
            bars.append(
                Bar(
                    x0 + start,
                    y,
                    thickness,
                    h,
                    PALETTE[k % len(PALETTE)],
                    _tip(category, series[k], value),
                )
            )
    return WIDTH, height, bars, labels, grid


def _fitted(category: str) -> tuple[str, str]:
    """A horizontal chart's category label, cut to its label column, and the whole text
    when cut (the table under the chart always has the whole name)."""
    if len(category) <= HORIZONTAL_LABEL_CHARS:
        return category, ""
    return category[: HORIZONTAL_LABEL_CHARS - 1] + "…", category


def _horizontal(categories, series, top, stacked, whole):  # type: ignore[no-untyped-def]
    height = PLOT_TOP + ROW * max(len(categories), 1) + 24
    plot_w = WIDTH - HORIZONTAL_LABEL - 16
    plot_bottom = height - 24
    bars, labels, grid = [], [], []
    for tick in _ticks(top, whole):
        x = HORIZONTAL_LABEL + plot_w * tick / top
        grid.append(GridLine(x, PLOT_TOP, x, plot_bottom))
        labels.append(Label(x, height - 8, _fmt(tick)))
    for i, category in enumerate(categories):
        y0 = PLOT_TOP + i * ROW
        text, full = _fitted(category)
        labels.append(Label(HORIZONTAL_LABEL - 6, y0 + ROW / 2 + 4, text, "end", full))
        for k, offset, start, thickness in _segments(series, i, stacked, ROW):
            value = series[k].values[i]
            bars.append(
                Bar(
                    HORIZONTAL_LABEL + plot_w * offset / top,
                    y0 + start,
                    plot_w * value / top,
                    thickness,
                    PALETTE[k % len(PALETTE)],
                    _tip(category, series[k], value),
                )
            )
    return WIDTH, height, bars, labels, grid


def _tip(category: str, series: Series, value: float) -> str:
    return translate("chart.tip", category=category, series=series.name, value=_fmt(value))


def _summary(categories: Sequence[str], series: Sequence[Series], unit: str) -> str:
    """One sentence a screen reader can say: the largest value of each series."""
    parts = []
    for s in series:
        if not s.values:
            continue
        i = max(range(len(s.values)), key=lambda j: s.values[j])
        parts.append(
            translate(
                "chart.highest",
                series=s.name,
                category=categories[i],
                value=_fmt(s.values[i]),
                unit=unit,
            )
        )
    return translate("chart.separator").join(parts) or translate("chart.no_data")
