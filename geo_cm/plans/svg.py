"""Small inline SVG charts for the plans dashboard, drawn on the server.

No chart library and nothing from a CDN: the intranet is offline, and a chart of twelve
points is a few lines of SVG. Coordinates are in the viewBox's user units; the charts scale
with their container (CSS sets the width).
"""

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _


def number(value) -> str:
    """A value as people write it: 1200 not 1200.0, at most three decimals (12.345 km)."""
    if value is None:
        return "—"
    value = round(float(value), 3)
    return str(int(value)) if value == int(value) else f"{value:g}"


class _Frame:
    """Maps (month 0..12, value) into a plot area with margins for the axis labels."""

    def __init__(self, width, height, left, right, top, bottom, y_max, x_max=12):
        self.width, self.height = width, height
        self.left, self.top = left, top
        self.plot_w = width - left - right
        self.plot_h = height - top - bottom
        self.y_max = y_max or 1.0
        self.x_max = x_max

    def x(self, month):
        return round(self.left + self.plot_w * month / self.x_max, 1)

    def y(self, value):
        return round(self.top + self.plot_h * (1 - float(value) / self.y_max), 1)

    def points(self, pairs):
        return " ".join(f"{self.x(m)},{self.y(v)}" for m, v in pairs)


def progress_chart(
    *, monthly: list[dict], goal: float, unit: str, label: str, year_share: float | None = None
) -> SafeString:
    """Cumulative actual per month against the expected line and the year's target.

    ``monthly`` is the ``monthly`` series of ``target_progress``: ``month`` (1..12),
    ``cumulative`` (None for months not yet reached) and ``expected``. The chart starts at
    zero on 1 January; the goal is a dashed line. ``year_share`` (0..1), when given, marks
    the day judged with a vertical line.
    """
    actual = [(m["month"], m["cumulative"]) for m in monthly if m["cumulative"] is not None]
    expected = [(m["month"], m["expected"]) for m in monthly]
    top = max([goal] + [v for _, v in actual] + [v for _, v in expected])
    frame = _Frame(320, 170, left=44, right=10, top=10, bottom=24, y_max=top * 1.08)
    parts = [
        format_html(
            '<svg class="progress-chart" viewBox="0 0 {} {}" role="img" aria-label="{}" '
            'data-goal="{}" xmlns="http://www.w3.org/2000/svg">',
            frame.width,
            frame.height,
            label,
            number(goal),
        ),
        format_html("<title>{}</title>", label),
        # Axes and the month ticks (1..12; the first point is 1 January).
        format_html(
            '<path class="axis" d="M{} {}V{}H{}" fill="none" stroke="#90a4ae"/>',
            frame.x(0),
            frame.top,
            frame.y(0),
            frame.x(12),
        ),
    ]
    for month in (1, 3, 6, 9, 12):
        parts.append(
            format_html(
                '<text class="tick" x="{}" y="{}" text-anchor="middle">{}</text>',
                frame.x(month),
                frame.height - 8,
                month,
            )
        )
    parts.append(
        format_html(
            '<text class="tick" x="{}" y="{}" text-anchor="end">0</text>',
            frame.left - 4,
            frame.y(0) + 4,
        )
    )
    parts.append(
        format_html(
            '<line class="goal" x1="{}" y1="{}" x2="{}" y2="{}" stroke="#455a64" '
            'stroke-dasharray="4 3"/>'
            '<text class="tick" x="{}" y="{}" text-anchor="end">{}</text>',
            frame.x(0),
            frame.y(goal),
            frame.x(12),
            frame.y(goal),
            frame.left - 4,
            frame.y(goal) + 4,
            number(goal),
        )
    )
    if year_share is not None and 0 <= year_share <= 1:
        parts.append(
            format_html(
                '<line class="today" x1="{x}" y1="{}" x2="{x}" y2="{}" stroke="#ef8f00" '
                'stroke-width="1"/>',
                frame.top,
                frame.y(0),
                x=frame.x(12 * year_share),
            )
        )
    parts.append(
        format_html(
            '<polyline class="expected" points="{}" fill="none" stroke="#9e9e9e" '
            'stroke-width="2" stroke-dasharray="2 3"><title>{}</title></polyline>',
            frame.points([(0, 0)] + expected),
            _("Expected"),
        )
    )
    if actual:
        parts.append(
            format_html(
                '<polyline class="actual" points="{}" fill="none" stroke="#1565c0" '
                'stroke-width="2.5"/>',
                frame.points([(0, 0)] + actual),
            )
        )
    for month, value in actual:
        parts.append(
            format_html(
                '<circle class="actual-point" cx="{}" cy="{}" r="3" fill="#1565c0" '
                'data-month="{}" data-value="{}"><title>{}</title></circle>',
                frame.x(month),
                frame.y(value),
                month,
                number(value),
                _("Month %(month)s: %(value)s %(unit)s")
                % {"month": month, "value": number(value), "unit": unit},
            )
        )
    parts.append(mark_safe("</svg>"))  # noqa: S308 - a constant closing tag
    return mark_safe("".join(str(p) for p in parts))  # noqa: S308 - every part is escaped


def trend_sparkline(*, readings: list[dict], goal: float, label: str) -> SafeString:
    """The readings of a reported indicator, oldest first, as a small line with the goal
    dashed; empty when there is nothing to draw."""
    if not readings:
        return mark_safe("")
    values = [r["value"] for r in readings]
    low, high = min(values + [goal]), max(values + [goal])
    pad = (high - low) * 0.15 or 1.0
    low, high = low - pad, high + pad
    width, height = 120, 32
    step = (width - 8) / max(len(values) - 1, 1)

    def y(v):
        return round(height - 3 - (height - 6) * (v - low) / (high - low), 1)

    points = " ".join(f"{round(4 + i * step, 1)},{y(v)}" for i, v in enumerate(values))
    last_x = round(4 + (len(values) - 1) * step, 1)
    return format_html(
        '<svg class="trend" viewBox="0 0 {w} {h}" role="img" aria-label="{label}" '
        'data-points="{n}" xmlns="http://www.w3.org/2000/svg"><title>{label}</title>'
        '<line x1="0" y1="{gy}" x2="{w}" y2="{gy}" stroke="#90a4ae" stroke-dasharray="3 2"/>'
        '<polyline points="{points}" fill="none" stroke="#1565c0" stroke-width="1.5"/>'
        '<circle cx="{lx}" cy="{ly}" r="2.5" fill="#1565c0"/></svg>',
        w=width,
        h=height,
        label=label,
        n=len(values),
        gy=y(goal),
        points=points,
        lx=last_x,
        ly=y(values[-1]),
    )
