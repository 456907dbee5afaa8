"""Line charts of the admin's reports: the coordinates are computed here, the SVG is drawn
by an autoescaped template (admin/personalization/chart.html), so a variant or campaign
named like markup stays text."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.template.loader import render_to_string
from django.utils.safestring import SafeString

COLORS = ("#6b7280", "#2563eb", "#d97706", "#059669", "#9333ea")
WIDTH, HEIGHT, PAD = 640, 220, 40
TEMPLATE = "admin/personalization/chart.html"


@dataclass(frozen=True)
class Line:
    """One series: its name, colour and points ("x,y x,y …")."""

    name: str
    color: str
    points: str


@dataclass(frozen=True)
class Chart:
    """What the template draws: lines, an optional interval band, the zero line, and the
    value and day at each end of the axes (formatted by the template, in the active
    language)."""

    title: str
    lines: list[Line]
    band: str
    zero_y: str
    high: float
    low: float
    first: Any
    last: Any
    percent: bool
    width: int = WIDTH
    height: int = HEIGHT
    pad: int = PAD

    @property
    def right(self) -> int:
        return self.width - self.pad

    @property
    def high_y(self) -> int:
        return self.pad // 2 + 4

    @property
    def low_y(self) -> int:
        return self.height - self.pad // 2

    @property
    def axis_y(self) -> int:
        return self.height - 4


def _scale(values: list[float]) -> tuple[Callable[[float], float], float, float]:
    low, high = min(values), max(values)
    if high == low:
        high, low = high + 1e-9 + abs(high) * 0.1, low - abs(low) * 0.1 - 1e-9
    pad = PAD // 2
    return (lambda v: pad + (HEIGHT - 2 * pad) * (1 - (v - low) / (high - low))), low, high


def _points(pairs: list[tuple[float, float]]) -> str:
    """SVG coordinates: numbers only, always with a decimal point (never localized)."""
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in pairs)


def chart(title: str, days: Sequence[Any], series: list[tuple[str, list[float | None]]],
          band: tuple[list[float | None], list[float | None]] | None = None,
          percent: bool = True) -> Chart | None:
    """The chart's geometry, or None when there is nothing to draw."""
    values = [v for _, s in series for v in s if v is not None]
    if band:
        values += [v for v in band[0] + band[1] if v is not None]
    if not days or not values:
        return None
    values.append(0.0)
    y, low, high = _scale(values)
    step = (WIDTH - 2 * PAD) / max(len(days) - 1, 1)

    def at(i: int, v: float) -> tuple[float, float]:
        return PAD + i * step, y(v)

    lines = [Line(name, COLORS[n % len(COLORS)],
                  _points([at(i, v) for i, v in enumerate(s) if v is not None]))
             for n, (name, s) in enumerate(series)]
    polygon = ""
    if band:
        top = [at(i, v) for i, v in enumerate(band[1]) if v is not None]
        bottom = [at(i, v) for i, v in enumerate(band[0]) if v is not None][::-1]
        if top and bottom:
            polygon = _points(top + bottom)
    return Chart(title=title, lines=lines, band=polygon, zero_y=f"{y(0):.1f}", high=high,
                 low=low, first=days[0], last=days[-1], percent=percent)


def line_chart(title: str, days: Sequence[Any], series: list[tuple[str, list[float | None]]],
               band: tuple[list[float | None], list[float | None]] | None = None,
               percent: bool = True) -> SafeString:
    """An accessible SVG line chart: one line per series, an optional interval band, a zero
    line, and a title and description for screen readers."""
    return render_to_string(TEMPLATE, {"chart": chart(title, days, series, band, percent)})
