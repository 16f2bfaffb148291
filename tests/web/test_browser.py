"""End to end in a real headless Chromium (Playwright, Debian /usr/bin/chromium).

Steps: log in as a bureau analyst; a frame from the simulator changes the dashboard; open a
site page; run an assessment and open a town's breakdown; download the bulletin PDF and read
its text; log in as an enterprise user and fail to open another firm's page.

A real uvicorn serves the app and a real HJ 212 ingest server (greenport.ingest) listens on
127.0.0.1; the HJ 212 simulator (greenport.ingest.simulator, its own encoder) sends frames of
one air station over TCP while the analyst watches the dashboard, which updates by HTMX polling.
"""

from __future__ import annotations

import asyncio
import io
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import (
    DEVICE_PASSWORD,
    PASSWORD,
    TOWN_A,
    TOWN_B,
    City,
    _seed,
    _seed_alarms,
    _seed_assessments,
)

pytestmark = pytest.mark.browser

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    path = os.environ.get("GREENPORT_TEST_CHROMIUM") or shutil.which("chromium") or ""
    if not path or not Path(path).exists():
        if os.environ.get("CI") == "true":
            pytest.fail("CI must provide Chromium (GREENPORT_TEST_CHROMIUM, see .ci/run)")
        pytest.skip("no Chromium: set GREENPORT_TEST_CHROMIUM or install chromium")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LoopThread:
    """An asyncio loop in a thread (for the ingest server)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Any, timeout: float = 30) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.fixture
def live(tmp_path: Path) -> Iterator[dict[str, Any]]:
    chromium = chromium_path()
    import uvicorn

    from greenport.bootstrap import build
    from greenport.config import Settings
    from greenport.ingest.server import IngestConfig, IngestServer
    from greenport.web.app import create_app

    settings = Settings(database_url=f"sqlite:///{tmp_path / 'e2e.db'}")
    container = build(settings, migrate=True)
    city = City()
    _seed(container, city)
    _seed_assessments(container, city)
    _seed_alarms(container, city)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(container=container), host="127.0.0.1", port=port, log_level="warning")
    )
    web_thread = threading.Thread(target=server.run, daemon=True)
    web_thread.start()
    loop = LoopThread()
    ingest = IngestServer(container.db, IngestConfig(port=0, aggregate_interval=0, commit_interval=0.002))
    loop.run(ingest.start())
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield {
            "base": f"http://127.0.0.1:{port}",
            "city": city,
            "ingest_port": ingest.port,
            "chromium": chromium,
            "container": container,
        }
    finally:
        loop.run(ingest.close())
        loop.stop()
        server.should_exit = True
        web_thread.join(10)
        container.db.dispose()


def _login(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("#login-submit")
    page.wait_for_selector("#who", timeout=30000)


def test_analyst_and_enterprise_in_a_real_browser(live: dict[str, Any]) -> None:
    from playwright.sync_api import sync_playwright
    from pypdf import PdfReader

    from greenport.ingest.simulator import SimConfig, SimDevice, simulate

    base, city = live["base"], live["city"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=live["chromium"], args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            _login(page, base, "bureau_analyst")
            assert page.url.rstrip("/") == base, page.inner_text("main")
            row = page.locator("tr[data-site=AIRA]")
            assert row.get_attribute("data-state") == "offline"
            offline_before = int(page.inner_text("#count-offline"))

            # a simulated data logger sends real-time frames over TCP to the ingest server
            mn = f"MN{city.ids['airA']:010d}"
            with ThreadPoolExecutor(1) as pool:  # Playwright's sync API owns this thread's loop
                result = pool.submit(
                    asyncio.run,
                    simulate(
                        [SimDevice(mn=mn, password=DEVICE_PASSWORD, site_kind="air_station")],
                        SimConfig(
                            port=live["ingest_port"],
                            rate=5,
                            duration=0.6,
                            step=30,
                            start=datetime.now(UTC) - timedelta(minutes=2),
                            drain=10,
                        ),
                    ),
                ).result(60)
            assert getattr(result, "acknowledged", 1)
            page.wait_for_selector("tr[data-site=AIRA][data-state=normal]", timeout=40000)
            assert int(page.inner_text("#count-offline")) == offline_before - 1

            # the site page shows the values just received, with their device flags
            page.click("tr[data-site=AIRA] a")
            page.wait_for_selector("#site-name")
            assert "AIRA" in page.inner_text("#site-name")
            assert page.locator("table >> text=细颗粒物(PM2.5)").count() >= 1

            # run an assessment for 2022 and open a town's breakdown
            page.goto(f"{base}/assessments")
            page.select_option("#system-select", "town_eco_performance")
            page.fill("#period-input", "2022")
            page.fill("input[name=uncertainty]", "20")
            with page.expect_navigation():
                page.click("#run-submit")
            if page.locator("#error-status").count():
                pytest.fail(page.inner_text("main"))
            page.wait_for_selector("#results", timeout=60000)
            assert "2022" in page.inner_text("#run-title")
            assert page.locator("#comparison").count() == 1  # compared with the 2021 run
            # the charts drawn: totals, radars of the selected units (labelled), the audit heat map
            for chart_id in ("totals", "radar-1", "audit-heatmap"):
                page.wait_for_selector(f"#{chart_id} canvas", timeout=20000)
            assert page.locator("#audit-indicators tr[data-indicator]").count() > 0
            # select only town B for a radar: one radar, town B's
            page.uncheck(f"tr[data-unit='{TOWN_A}'] input[name=units]")
            page.check(f"tr[data-unit='{TOWN_B}'] input[name=units]")
            with page.expect_navigation():
                page.click("#radar-submit")
            page.wait_for_selector("#radar-1 canvas", timeout=20000)
            assert page.locator("#radars .chart").count() == 1
            assert page.get_attribute("#radar-1", "data-unit") == TOWN_B
            # search the table: only town A's row is left
            page.fill("#search-input", "杨舍")
            with page.expect_navigation():
                page.click("#search-submit")
            assert page.locator("#results tr[data-unit]").count() == 1
            page.click(f"#results tr[data-unit='{TOWN_A}'] a")
            page.wait_for_selector("#breakdown")
            assert "杨舍镇" in page.inner_text("#breakdown-title")
            assert float(page.inner_text("#breakdown-total")) > 0
            # the enterprise list filtered by town B: only e2
            page.goto(f"{base}/enterprises")
            page.select_option("#filter-town", TOWN_B)
            with page.expect_navigation():
                page.click("#filter-submit")
            assert page.locator("#enterprises tr[data-enterprise]").count() == 1
            assert page.get_attribute("#enterprises tr[data-enterprise]", "data-enterprise") == str(
                city.ids["e2"]
            )

            # the bulletin PDF, downloaded with the analyst's session
            response = page.request.get(f"{base}/api/reports/bulletin?month=2022-06&format=pdf")
            assert response.status == 200
            text = "".join(pg.extract_text() for pg in PdfReader(io.BytesIO(response.body())).pages)
            assert "环境质量月报" in text and "56.7" in text

            # an enterprise user cannot open another firm's page
            ent = browser.new_page()
            _login(ent, base, "enterprise")
            ent.goto(f"{base}/enterprises/{city.ids['e1']}")
            assert "企业e1" in ent.inner_text("#enterprise-name")
            ent.goto(f"{base}/enterprises/{city.ids['e2']}")
            assert ent.inner_text("#error-status") == "403"
        finally:
            browser.close()
