"""Small server-rendered SVG charts: no JavaScript, accessible (a title and description), numbers also in a table."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from html import escape

from liaison.core.money import format_pence


@dataclass
class StepChart:
    svg: str
    summary: str


def balance_step_chart(points: list[tuple[dt.date, int]], *, title: str, width: int = 640,
                       height: int = 220) -> StepChart:
    """A step chart of a balance (pence) over time. `points` are (date, balance after that date's movement)."""
    if not points:
        return StepChart("", "No movements yet.")
    pad_left, pad_right, pad_top, pad_bottom = 70, 16, 12, 34
    dates = [p[0] for p in points]
    start, end = min(dates), max(dates)
    span = max((end - start).days, 1)
    top = max(max(p[1] for p in points), 1)
    inner_w, inner_h = width - pad_left - pad_right, height - pad_top - pad_bottom

    def x(day: dt.date) -> float:
        return pad_left + inner_w * ((day - start).days / span)

    def y(pence: int) -> float:
        return pad_top + inner_h * (1 - pence / top)

    path = [f"M{x(points[0][0]):.1f},{y(points[0][1]):.1f}"]
    for (_, before), (day, after) in zip(points, points[1:], strict=False):
        path.append(f"H{x(day):.1f}V{y(after):.1f}")
    summary = (f"From {format_pence(points[0][1])} on {start:%d %B %Y} to {format_pence(points[-1][1])} on "
               f"{end:%d %B %Y}.")
    ticks = "".join(
        f'<text x="{pad_left - 6}" y="{y(v) + 4:.1f}" text-anchor="end" class="liaison-chart__tick">'
        f"{escape(format_pence(v))}</text>" for v in (0, top // 2, top))
    labels = (f'<text x="{pad_left}" y="{height - 10}" class="liaison-chart__tick">{start:%d %b %Y}</text>'
              f'<text x="{width - pad_right}" y="{height - 10}" text-anchor="end" class="liaison-chart__tick">'
              f"{end:%d %b %Y}</text>")
    svg = (f'<svg class="liaison-chart" viewBox="0 0 {width} {height}" role="img" aria-labelledby="chart-title '
           f'chart-desc" xmlns="http://www.w3.org/2000/svg"><title id="chart-title">{escape(title)}</title>'
           f'<desc id="chart-desc">{escape(summary)}</desc>'
           f'<line x1="{pad_left}" y1="{pad_top + inner_h}" x2="{width - pad_right}" y2="{pad_top + inner_h}" '
           f'stroke="#505a5f"/><line x1="{pad_left}" y1="{pad_top}" x2="{pad_left}" y2="{pad_top + inner_h}" '
           f'stroke="#505a5f"/>{ticks}{labels}'
           f'<path d="{"".join(path)}" fill="none" stroke="#1d70b8" stroke-width="3"/></svg>')
    return StepChart(svg, summary)


@dataclass
class BarChart:
    svg: str
    summary: str


def percent_bar_chart(points: list[tuple[str, float | None]], *, title: str, chart_id: str, width: int = 360,
                      height: int = 170) -> BarChart:
    """Bars of a percentage (0 to 100) for labelled points (months), for small multiples: `chart_id` makes the
    title and description ids unique on a page. A point with no value (nothing to measure) has no bar, and the
    description says so; the numbers are also in a table next to the chart."""
    pad_left, pad_right, pad_top, pad_bottom = 34, 6, 10, 30
    inner_w, inner_h = width - pad_left - pad_right, height - pad_top - pad_bottom
    n = max(len(points), 1)
    slot = inner_w / n
    bar = max(slot * 0.7, 2)

    def y(percent: float) -> float:
        return pad_top + inner_h * (1 - percent / 100)

    parts = []
    for v in (0, 50, 100):
        parts.append(f'<line x1="{pad_left}" y1="{y(v):.1f}" x2="{width - pad_right}" y2="{y(v):.1f}" '
                     f'stroke="#b1b4b6" stroke-width="1"/>'
                     f'<text x="{pad_left - 4}" y="{y(v) + 4:.1f}" text-anchor="end" class="liaison-chart__tick">'
                     f"{v}%</text>")
    described = []
    for i, (label, value) in enumerate(points):
        x = pad_left + slot * i + (slot - bar) / 2
        if value is not None:
            parts.append(f'<rect x="{x:.1f}" y="{y(value):.1f}" width="{bar:.1f}" '
                         f'height="{max(pad_top + inner_h - y(value), 0.5):.1f}" fill="#1d70b8"/>')
            described.append(f"{label}: {value:g}%")
        else:
            described.append(f"{label}: nothing decided")
        if n <= 12:
            parts.append(f'<text x="{x + bar / 2:.1f}" y="{height - 12}" text-anchor="middle" '
                         f'class="liaison-chart__tick">{escape(label[:3])}</text>')
    summary = "Percentage met by month. " + "; ".join(described) + "." if points else "Nothing measured yet."
    svg = (f'<svg class="liaison-chart liaison-chart--small" viewBox="0 0 {width} {height}" role="img" '
           f'aria-labelledby="{chart_id}-title {chart_id}-desc" xmlns="http://www.w3.org/2000/svg">'
           f'<title id="{chart_id}-title">{escape(title)}</title><desc id="{chart_id}-desc">{escape(summary)}</desc>'
           f'{"".join(parts)}</svg>')
    return BarChart(svg, summary)
