"""The report opened in headless Chromium, as a person would open it.

Debian's chromium is driven through the DevTools protocol by Playwright (its own
browser downloads are not used). A machine without Chromium fails this test
with the command that installs it: a report nobody checked in a browser is not done.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Browser, ConsoleMessage, Error, Request, sync_playwright

from tests.report.conftest import EmbeddedRun

CHROMIUM = Path(os.environ.get("FRONTIER_CHROMIUM", "/usr/bin/chromium"))
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
]
FIGURES = {
    "fig-bands",
    "fig-band-history",
    "fig-pass-metrics",
    "fig-rounds",
    "fig-lineage",
    "fig-bank",
}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.is_file():
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}: run scripts/ensure-chromium "
            "(apt-get install -y --no-install-recommends chromium) or set FRONTIER_CHROMIUM"
        )
    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=FLAGS, headless=True, timeout=30_000
            )
        except Error as exc:
            pytest.fail(f"Chromium at {CHROMIUM} did not start headless: {exc}")
        yield browser
        browser.close()


def test_the_report_opens_in_chromium_without_errors_with_every_figure_drawn(
    browser: Browser, embedded: EmbeddedRun, tmp_path: Path
) -> None:
    page = browser.new_page(viewport={"width": 1360, "height": 900})
    problems: list[str] = []
    requests: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            problems.append(f"console {message.type}: {message.text}")

    def on_request(request: Request) -> None:
        requests.append(request.url)

    page.on("console", on_console)
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on("request", on_request)
    page.goto(embedded.html_path.as_uri(), wait_until="load")

    assert problems == []
    assert all(url.startswith(("file:", "data:")) for url in requests), requests
    drawn = page.eval_on_selector_all(
        "figure img",
        """els => els.map(e => ({
            figure: e.closest('figure').id, complete: e.complete,
            width: e.naturalWidth, height: e.naturalHeight,
            shown: e.getBoundingClientRect().width }))""",
    )
    assert {d["figure"] for d in drawn} == FIGURES
    for d in drawn:
        assert d["complete"] and d["width"] > 0 and d["height"] > 0 and d["shown"] > 0, d
    assert page.evaluate("typeof window.__pwned") == "undefined"

    shot = tmp_path / "report.png"
    page.screenshot(path=str(shot), full_page=True)
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = Image.open(io.BytesIO(data)).size
    assert width == 1360 and height > 2000


def test_a_canary_link_opens_its_embedded_trace(browser: Browser, embedded: EmbeddedRun) -> None:
    page = browser.new_page()
    page.goto(embedded.html_path.as_uri(), wait_until="load")
    link = page.locator("a.trace-link").first
    anchor = (link.get_attribute("href") or "").removeprefix("#")
    assert anchor
    assert page.evaluate("id => document.getElementById(id).open", anchor) is False
    link.click()
    # the page opens the trace on `hashchange`, which fires after the click returns
    page.wait_for_function("id => document.getElementById(id).open", arg=anchor, timeout=10_000)
    assert page.evaluate("id => document.getElementById(id).open", anchor) is True
    assert page.locator(f"[id='{anchor}'] pre").is_visible()
