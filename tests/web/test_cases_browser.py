"""A case's loop in a real headless Chromium (Playwright, Debian /usr/bin/chromium), as the officers
do it on the pages (issue 17, "what must hold": the grid officer accepts and submits with evidence;
the town officer verifies).

The small test city of tests/web/conftest.py with its seeded cases: the case at town A's outlet is
dispatched to ``grid_officer`` (the officer of town A's cell). The grid officer logs in, opens the
case from their inbox, accepts, starts and submits it with a real JPEG chosen in the file input and
a location typed in; the town officer logs in, verifies and closes it (closure's evidence is the
submission it verified); the history then shows every step, each by its officer, and the grid
statistics count the case closed on time, with the town's row leading back to it. A real uvicorn serves
the app; its clock is fixed (``app.state.clock``) so the deadlines do not depend on the wall clock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import TOWN_A, City, _seed, _seed_cases
from tests.web.test_browser import CHROMIUM_ARGS, _login, chromium_path, free_port
from tests.web.test_pages_per_role import ARTIFACTS

pytestmark = pytest.mark.browser

#: A real 32 x 24 px JPEG (tests/data/SOURCES.md).
SCENE_JPEG = Path(__file__).resolve().parents[1] / "data" / "cases" / "scene.jpg"
#: The served app's time: Monday 2 March 2026, 11:00 Beijing, two hours after the cases were opened.
CLOCK = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
#: Where the officers were when they acted [degrees, WGS 84]: at the outlet of town A.
LON, LAT = "120.55", "31.95"


@pytest.fixture
def served_cases(tmp_path: Path) -> Iterator[dict[str, Any]]:
    chromium = chromium_path()
    import uvicorn

    from greenport.bootstrap import build
    from greenport.config import Settings
    from greenport.web.app import create_app

    container = build(Settings(database_url=f"sqlite:///{tmp_path / 'cases.db'}"), migrate=True)
    city = City()
    _seed(container, city)
    _seed_cases(container, city)
    app = create_app(container=container)
    app.state.clock = lambda: CLOCK
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):  # wait for the socket to listen (not a timing assumption of the test)
        if server.started:
            break
        time.sleep(0.05)
    try:
        yield {"base": f"http://127.0.0.1:{port}", "city": city, "chromium": chromium}
    finally:
        server.should_exit = True
        thread.join(10)
        container.db.dispose()


def _act(page: Any, action: str, *, note: str = "", photo: bool = False, location: bool = False) -> None:
    """Fill the form of ``action`` on the case page as a person would and send it."""
    form = page.locator(f"form.case-action[data-action={action}]")
    if note:
        form.locator("textarea[name=note]").fill(note)
    if photo:
        form.locator("input[name=photos]").set_input_files(str(SCENE_JPEG))
    if location:
        form.locator("input[name=lon]").fill(LON)
        form.locator("input[name=lat]").fill(LAT)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()


def _state(page: Any) -> str:
    state: str = page.locator("#case-state").get_attribute("data-state")
    return state


def test_the_grid_officer_handles_and_the_town_officer_closes_a_case(served_cases: dict[str, Any]) -> None:
    from playwright.sync_api import sync_playwright

    base, city = served_cases["base"], served_cases["city"]
    case_id = city.ids["case_out1"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=served_cases["chromium"], args=CHROMIUM_ARGS)
        try:
            errors: list[str] = []
            officer = browser.new_context().new_page()
            officer.on("pageerror", lambda exc: errors.append(str(exc)))
            _login(officer, base, "grid_officer")
            officer.goto(f"{base}/cases")
            waiting = officer.locator(f"#inbox-new tr[data-case='{case_id}']")
            assert waiting.get_attribute("data-state") == "dispatched"
            with officer.expect_navigation():
                waiting.locator("a").click()
            assert officer.url == f"{base}/cases/{case_id}" and _state(officer) == "dispatched"

            _act(officer, "accept")
            assert _state(officer) == "accepted"
            _act(officer, "start")
            assert _state(officer) == "in_progress"
            _act(officer, "submit", note="已督促企业停产整改，黑烟消除", photo=True, location=True)
            assert _state(officer) == "submitted", officer.inner_text("main")[:500]
            submitted = officer.locator("#case-events tr[data-event=submit]")
            assert f"{LON}, {LAT}" in submitted.inner_text()
            # the photo is stored and served back to the browser as the JPEG it is (32 x 24 px)
            thumb = submitted.locator("img.thumb")
            thumb.wait_for()
            officer.wait_for_function(
                "img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle()
            )
            assert thumb.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [32, 24]
            # the grid officer may not verify their own work: no such button
            assert officer.locator("form.case-action[data-action=verify]").count() == 0

            town = browser.new_context().new_page()
            town.on("pageerror", lambda exc: errors.append(str(exc)))
            _login(town, base, "town_officer")
            town.goto(f"{base}/cases/{case_id}")
            assert _state(town) == "submitted"
            _act(town, "verify", note="现场核查属实")
            assert _state(town) == "verified"
            # closure's evidence is the submission it verified (transitions.csv): a note closes it
            _act(town, "close", note="办结")
            assert _state(town) == "closed", town.inner_text("main")[:500]

            timeline = town.locator("#case-events tr[data-event]")
            steps = timeline.evaluate_all("rows => rows.map(r => r.dataset.event)")
            assert steps == ["dispatch", "accept", "start", "submit", "verify", "close"]
            rows = timeline.all_inner_texts()
            assert all("grid_officer" in rows[i] for i in (1, 2, 3))
            assert all("town_officer" in rows[i] for i in (4, 5))
            assert "已办结" in rows[5]
            # the grid statistics count it, closed on time, drawn on the map; the row opens the case
            town.goto(f"{base}/cases/stats?period=2026")
            row = town.locator(f"#stats-table tr[data-key='{TOWN_A}']")
            assert row.locator("td.on-time").inner_text() == "100.0 %"
            town.wait_for_selector("#stats-map canvas")
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            town.screenshot(path=str(ARTIFACTS / "town_officer-cases-stats-closed.png"), full_page=True)
            with town.expect_navigation():
                row.locator("a").click()
            assert town.locator(f"#case-list tr[data-case='{case_id}']").count() == 1
            # the grid officer's page, reloaded, shows the case closed
            officer.reload()
            assert _state(officer) == "closed"
            assert errors == []
        finally:
            browser.close()
