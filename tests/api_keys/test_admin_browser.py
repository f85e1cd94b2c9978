"""The usage pages in a real browser: Debian's headless Chromium driven by Playwright.

A staff user signs in through the login form, opens the usage overview and a key's page;
the chart's date labels must not overlap (their rendered bounding boxes), the bars must be
drawn, and "Last used" must read like the other dates. Screenshots are saved: under
BROWSER_SCREENSHOTS when it names a folder, else in the test's temporary folder (printed).

Chromium comes from the system (`apt-get install chromium`), never from Playwright's own
download; without it these tests are skipped, unless CI is set, which requires it.
"""

from __future__ import annotations

import datetime
import io
import itertools
import os
import re
import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from apps.api_keys.models import DailyRefusals, DailyUsage, KeyMeter
from tests.api_keys.clock import START, FakeClock
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a-staff-password-for-tests"
BAR_COLOUR = (0x41, 0x76, 0x90)  # apps/api_keys/charts.py
# "Jan. 14, 2026, noon", "Dec. 5, 2026, 1:05 a.m.": Django's DATETIME_FORMAT in English.
ADMIN_DATETIME = re.compile(r"^[A-Z][a-z]{2,4}\.? \d{1,2}, \d{4}, [\w:. ]+$")


def chromium_path() -> str | None:
    """The system Chromium: CHROMIUM_PATH, Debian's binary, or one on PATH."""
    for candidate in (
        os.environ.get("CHROMIUM_PATH"),
        "/usr/lib/chromium/chromium",  # Debian's real binary (/usr/bin/chromium wraps it)
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture(scope="module")
def chromium() -> str:
    executable = chromium_path()
    if executable is None:
        message = "Chromium is not installed (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(f"{message}: required when CI is set")
        pytest.skip(f"{message}; the browser tests are skipped. Set CI=1 to require it.")
    return executable


def in_browser(executable: str, steps: Callable[[Any], None]) -> None:
    """Run `steps(browser)` in a thread of its own: Playwright's sync API runs an event loop,
    and Django refuses database calls from a thread that has one (the test's fixtures)."""
    from playwright.sync_api import sync_playwright

    failures: list[BaseException] = []

    def run() -> None:
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=executable, headless=True)
                try:
                    steps(browser)
                finally:
                    browser.close()
        except BaseException as exc:  # re-raised in the test's thread
            failures.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    worker.join(300)  # a bound against a hung browser only
    assert not worker.is_alive(), "the browser did not finish in 300 s"
    if failures:
        raise failures[0]


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("BROWSER_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def used_key(make_key, make_plan, clock: FakeClock) -> Any:
    """A key with 30 days of history, today's requests, refusals; its plan near its quota."""
    plan = make_plan(name="Silver", limit=500)
    key = make_key(plan=plan)
    for n in range(1, 30):
        day = START.date() - datetime.timedelta(days=n)
        DailyUsage.objects.create(key=key, date=day, count=(n * 37) % 200 + 5)
    DailyRefusals.objects.create(key=key, date=START.date(), throttled=3, quota_refused=2)
    KeyMeter.objects.filter(pk=key.pk).update(
        day=START.date(),
        day_count=120,
        period_start=START.replace(hour=0),
        period_count=450,
        last_used_at=START,
    )
    UserFactory(username="staff", password=PASSWORD, is_staff=True, is_superuser=True)
    return key


def signed_in_page(browser: Any, base_url: str, next_path: str) -> Any:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{base_url}/admin/login/?next={next_path}")
    page.fill("#id_username", "staff")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{base_url}{next_path}")
    return page


def assert_labels_apart(page: Any, chart: str, last_label: str) -> None:
    """The chart's date labels, as drawn: none overlaps the next; the last is today's."""
    labels = page.locator(f"{chart} svg text[text-anchor=middle]")
    boxes = [labels.nth(i).bounding_box() for i in range(labels.count())]
    texts = [labels.nth(i).text_content() for i in range(labels.count())]
    assert len(boxes) >= 4, texts
    assert texts[-1] == last_label
    ordered = sorted(boxes, key=lambda box: box["x"])
    for left, right in itertools.pairwise(ordered):
        assert left["x"] + left["width"] <= right["x"], (texts, boxes)
    svg = page.locator(f"{chart} svg").bounding_box()
    assert ordered[-1]["x"] + ordered[-1]["width"] <= svg["x"] + svg["width"]  # not clipped


def assert_bars_drawn(page: Any, chart: str, path: Path) -> None:
    """The chart as rendered: saved, and the bars' colour is in it."""
    png = page.locator(f"{chart} svg").screenshot(path=str(path))
    with Image.open(io.BytesIO(png)) as image:
        colours = image.convert("RGB").getcolors(maxcolors=1 << 16) or []
    assert any(colour == BAR_COLOUR for _, colour in colours)


def test_the_overview_in_a_browser(
    chromium: str, live_server: Any, used_key: Any, screenshots: Path
) -> None:
    in_browser(
        chromium, lambda browser: overview_steps(browser, live_server.url, used_key.pk, screenshots)
    )
    print(f"screenshots in {screenshots}")


def overview_steps(browser: Any, base_url: str, key_pk: int, screenshots: Path) -> None:
    page = signed_in_page(browser, base_url, "/admin/api_keys/apikey/usage/")

    assert page.locator("h1").text_content() == "API usage, last 30 days"
    assert_labels_apart(page, "#usage-totals", START.strftime("%m-%d"))
    assert_bars_drawn(page, "#usage-totals", screenshots / "usage-overview-chart.png")
    closest = page.locator("#usage-closest tbody tr").first
    assert "450 / 500" in closest.inner_text()
    assert closest.locator("meter").get_attribute("value") == "90"
    page.screenshot(path=str(screenshots / "usage-overview.png"), full_page=True)
    page.locator(f'#usage-keys a[href$="/apikey/{key_pk}/change/"]').click()
    page.wait_for_url(re.compile(rf".*/apikey/{key_pk}/change/$"))


def test_the_key_page_in_a_browser(
    chromium: str, live_server: Any, used_key: Any, screenshots: Path
) -> None:
    in_browser(
        chromium, lambda browser: key_page_steps(browser, live_server.url, used_key.pk, screenshots)
    )


def key_page_steps(browser: Any, base_url: str, key_pk: int, screenshots: Path) -> None:
    page = signed_in_page(browser, base_url, f"/admin/api_keys/apikey/{key_pk}/change/")

    assert_labels_apart(page, "#daily-usage", START.strftime("%m-%d"))
    assert_bars_drawn(page, "#daily-usage", screenshots / "key-usage-chart.png")
    last_used = page.locator(".field-last_used .readonly").inner_text().strip()
    created = page.locator(".field-created .readonly").inner_text().strip()
    assert ADMIN_DATETIME.match(created), created
    assert ADMIN_DATETIME.match(last_used), last_used
    assert last_used == "Jan. 14, 2026, noon"
    page.screenshot(path=str(screenshots / "key-page.png"), full_page=True)
