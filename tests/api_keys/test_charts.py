"""The inline SVG chart: bars, scale, accessible names, escaping."""

from __future__ import annotations

import datetime
import itertools
import re

import pytest

from apps.api_keys.charts import BAR, GAP, _nice_max, daily_usage_svg


def days(*counts: int) -> list[tuple[datetime.date, int]]:
    first = datetime.date(2026, 1, 1)
    return [(first + datetime.timedelta(days=n), c) for n, c in enumerate(counts)]


@pytest.mark.parametrize(
    ("value", "expected"), [(0, 1), (1, 1), (3, 5), (7, 10), (11, 20), (250, 500), (5000, 5000)]
)
def test_axis_maximum_is_round(value: int, expected: int) -> None:
    assert _nice_max(value) == expected


def test_one_bar_per_day_with_its_count_in_a_title() -> None:
    svg = str(daily_usage_svg(days(0, 5, 10)))

    assert svg.count("<rect") == 3
    assert "<title>2026-01-02: 5 requests</title>" in svg
    assert 'height="0"' in svg  # the empty day
    assert 'height="160"' in svg  # the busiest day fills the axis (max 10)


def test_a_tiny_count_is_still_visible() -> None:
    svg = str(daily_usage_svg(days(1, 100000)))

    assert 'height="1"' in svg


def test_the_chart_is_labelled_for_screen_readers() -> None:
    svg = str(daily_usage_svg(days(1, 2, 3), chart_id="k7"))

    assert 'role="img"' in svg
    assert 'aria-labelledby="k7-title k7-desc"' in svg
    assert '<title id="k7-title">Daily requests, 2026-01-01 to 2026-01-03 (UTC)</title>' in svg
    assert "3 days, 6 requests in all; the busiest day had 3." in svg


def test_the_chart_id_is_escaped() -> None:
    svg = str(daily_usage_svg(days(1), chart_id='"><script>'))

    assert "<script>" not in svg


def test_no_days_is_an_empty_chart() -> None:
    svg = str(daily_usage_svg([]))

    assert "<rect" not in svg
    assert "0 days, 0 requests" in svg


def test_the_svg_is_well_formed_xml() -> None:
    import xml.etree.ElementTree as ET

    root = ET.fromstring(str(daily_usage_svg(days(*range(30)))))  # noqa: S314 (our own output)

    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert len(root.findall("{http://www.w3.org/2000/svg}rect")) == 30


@pytest.mark.parametrize("count", [1, 2, 7, 8, 14, 29, 30, 31, 60])
def test_date_labels_never_crowd_and_today_is_labelled(count: int) -> None:
    chart = days(*range(count))
    svg = str(daily_usage_svg(chart))

    labels = re.findall(
        r'<text x="(\d+)" y="\d+" font-size="10" text-anchor="middle">([^<]+)<', svg
    )
    xs = [int(x) for x, _ in labels]
    assert labels[-1][1] == chart[-1][0].strftime("%m-%d")
    # Neighbouring labels are a week of bars apart (a label is about 30 px wide).
    assert all(b - a == 7 * (BAR + GAP) for a, b in itertools.pairwise(xs))
