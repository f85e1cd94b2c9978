"""A server-rendered SVG bar chart of daily requests: no JavaScript, no CDN, accessible."""

from __future__ import annotations

import datetime

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

BAR = 18
GAP = 4
HEIGHT = 160
LEFT = 56  # room for the y-axis labels
BOTTOM = 24  # room for the date labels
RIGHT = 16  # room for the half of today's label that reaches past its bar
TOP = 12


# A date label is drawn under every LABEL_EVERY-th bar: 7 bars (154 px) apart, far wider
# than a label ("12-31" at 10 px is about 30 px), so no two can overlap.
LABEL_EVERY = 7


def labelled(index: int, count: int) -> bool:
    """Whether bar `index` of `count` gets a date label: the last (today) and every 7th back.

    Counting from the first bar instead (0, 7, ..., 28) and adding the last put the labels of
    the last two days of a 30-day chart one bar (22 px) apart, on top of each other.
    """
    return (count - 1 - index) % LABEL_EVERY == 0


def _nice_max(value: int) -> int:
    """A round axis maximum at or above `value` (1, 2, 5 x 10^n)."""
    if value <= 0:
        return 1
    magnitude = 1
    while True:
        for step in (1, 2, 5):
            if step * magnitude >= value:
                return step * magnitude
        magnitude *= 10


def daily_usage_svg(
    days: list[tuple[datetime.date, int]], *, chart_id: str = "usage"
) -> SafeString:
    """Bars of requests per day; each bar has a <title> with its date and count.

    The <svg> is role="img" with <title> and <desc>, so screen readers announce a
    summary; the admin template also renders the same numbers as a table.
    """
    top = _nice_max(max((count for _, count in days), default=0))
    width = LEFT + len(days) * (BAR + GAP) + RIGHT
    total = sum(count for _, count in days)
    first, last = (days[0][0], days[-1][0]) if days else (None, None)
    bars = format_html_join(
        "",
        '<rect x="{}" y="{}" width="{}" height="{}" fill="#417690">'
        "<title>{}: {} requests</title></rect>",
        (_bar(index, day, count, top) for index, (day, count) in enumerate(days)),
    )
    labels = format_html_join(
        "",
        '<text x="{}" y="{}" font-size="10" text-anchor="middle">{}</text>',
        (
            (LEFT + index * (BAR + GAP) + BAR // 2, TOP + HEIGHT + 16, day.strftime("%m-%d"))
            for index, (day, _) in enumerate(days)
            if labelled(index, len(days))
        ),
    )
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{w}" height="{h}" '
        'viewBox="0 0 {w} {h}" aria-labelledby="{id}-title {id}-desc">'
        '<title id="{id}-title">Daily requests, {first} to {last} (UTC)</title>'
        '<desc id="{id}-desc">{n} days, {total} requests in all; the busiest day had {top_real}.'
        "</desc>"
        '<line x1="{left}" y1="{top}" x2="{left}" y2="{base}" stroke="#767676"/>'
        '<line x1="{left}" y1="{base}" x2="{w}" y2="{base}" stroke="#767676"/>'
        '<text x="{lx}" y="{ty}" font-size="10" text-anchor="end">{axis_max}</text>'
        '<text x="{lx}" y="{base}" font-size="10" text-anchor="end">0</text>'
        "{bars}{labels}</svg>",
        w=width,
        h=TOP + HEIGHT + BOTTOM,
        id=chart_id,
        first=first,
        last=last,
        n=len(days),
        total=total,
        top_real=max((count for _, count in days), default=0),
        left=LEFT - 4,
        top=TOP,
        base=TOP + HEIGHT,
        lx=LEFT - 8,
        ty=TOP + 4,
        axis_max=top,
        bars=bars,
        labels=labels,
    )


def _bar(index: int, day: datetime.date, count: int, top: int) -> tuple[object, ...]:
    height = round(HEIGHT * count / top)
    if count and height == 0:
        height = 1  # a day with requests is never invisible
    x = LEFT + index * (BAR + GAP)
    return (x, TOP + HEIGHT - height, BAR, height, day.isoformat(), count)
