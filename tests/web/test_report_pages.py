"""The citizens' pages: /report files a report (CSRF as the log-in form, errors drawn again with
what was typed), answered with a tracking number; /track follows it without the officer or the
contact, and after closure the reporter rates it once. A real-browser test (phone viewport) drives
the same through Chromium."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from greenport.cases import service as cases
from greenport.cases.model import Location
from greenport.storage.uow import UnitOfWork
from tests.cases.grid import MONDAY, WEST, make_grid
from tests.web.test_open311_api import PHOTO, Clock, grid_app  # noqa: F401  (the fixture)


def _csrf(client: TestClient, path: str = "/report") -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text[:300]
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


def _file(client: TestClient, **fields: str) -> Any:
    data = {"csrf_token": _csrf(client), "category": "odour", "description": "夜里有刺鼻气味", **fields}
    return client.post("/report", data=data, files={"photos": ("smell.jpg", PHOTO, "image/jpeg")})


def _close(grid: Any, case_id: int) -> None:
    """The officers take the case through to closure with evidence."""
    evidence = {
        "note": "已现场处理",
        "photos": [(PHOTO, "done.jpg", "image/jpeg")],
        "location": Location(120.25, 31.5),
    }
    with UnitOfWork(grid.db) as uow:
        case = cases.get_case(uow, principal=grid.principal("admin"), case_id=case_id).case
    officer = case.assignee
    assert officer is not None
    for who, action, extra in (
        (officer, "accept", {}),
        (officer, "start", {}),
        (officer, "submit", evidence),
        ("townofficer", "verify", {"note": "核查属实"}),
        ("townofficer", "close", evidence),
    ):
        with UnitOfWork(grid.db) as uow:
            current = cases.get_case(uow, principal=grid.principal(who), case_id=case_id).case
            cases.act(
                uow,
                principal=grid.principal(who),
                case_id=case_id,
                action=action,
                expected_version=current.version,
                now=MONDAY,
                **extra,
            )


def test_a_citizen_files_a_report_and_reads_its_tracking_number(grid_app: Any) -> None:  # noqa: F811
    client, _, _ = grid_app
    form = client.get("/report").text
    assert 'accept="image/*"' in form and "异味扰民" in form and "西村" in form
    answer = _file(client, lon="120.25", lat="31.5", address="西村桥边", contact="13800000000")
    assert answer.status_code == 200, answer.text[:500]
    number = re.search(r'id="tracking-number">([^<]+)<', answer.text)
    assert number is not None and number.group(1).startswith("GP20250303-")
    page = client.get(f"/track/{number.group(1).lower()}")
    assert page.status_code == 200 and "夜里有刺鼻气味" in page.text and "已受理" in page.text
    assert "13800000000" not in page.text and "west1" not in page.text and "west2" not in page.text
    assert 'id="rate-form"' not in page.text  # not before closure
    assert client.get(f"/track?number={number.group(1)}", follow_redirects=False).headers["location"] == (
        f"/track/{number.group(1)}"
    )


def test_a_report_by_village_without_a_point_is_routed_there(grid_app: Any) -> None:  # noqa: F811
    client, grid, _ = grid_app
    answer = _file(client, division_code=WEST)
    assert answer.status_code == 200, answer.text[:500]
    with UnitOfWork(grid.db) as uow:
        found = cases.public_reports(uow, opened_from=MONDAY, opened_until=MONDAY)
    assert [c.division_code for c in found] == [WEST]


def test_a_refused_report_is_drawn_again_with_what_was_typed_and_nothing_is_stored(grid_app: Any) -> None:  # noqa: F811
    client, grid, _ = grid_app
    answer = _file(client, description="", address="港城路 8 号")
    assert answer.status_code == 422
    assert 'data-field="location"' in answer.text and "港城路 8 号" in answer.text
    answer = _file(client, lon="100", lat="20")
    assert answer.status_code == 422 and 'data-field="location"' in answer.text
    with UnitOfWork(grid.db) as uow:
        assert cases.public_reports(uow, opened_from=MONDAY, opened_until=MONDAY) == []


def test_a_report_without_the_csrf_token_is_refused(grid_app: Any) -> None:  # noqa: F811
    client, _, _ = grid_app
    client.get("/report")
    answer = client.post("/report", data={"category": "odour", "description": "x", "division_code": WEST})
    assert answer.status_code == 403


def test_too_many_reports_from_one_address_answer_429(grid_app: Any) -> None:  # noqa: F811
    client, _, _ = grid_app
    statuses = [_file(client, division_code=WEST).status_code for _ in range(cases.REPORTS_PER_WINDOW + 2)]
    assert statuses[0] == 200 and statuses[-1] == 429


def test_after_closure_the_reporter_rates_once(grid_app: Any) -> None:  # noqa: F811
    client, grid, _ = grid_app
    number = re.search(r'id="tracking-number">([^<]+)<', _file(client, lon="120.25", lat="31.5").text)
    assert number is not None
    with UnitOfWork(grid.db) as uow:
        case_id = cases.track(uow, tracking_number=number.group(1)).case.id
    _close(grid, case_id)
    page = client.get(f"/track/{number.group(1)}").text
    assert "已办结" in page and 'id="rate-form"' in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    rated = client.post(
        f"/track/{number.group(1)}/rate", data={"csrf_token": token.group(1), "rating": "4", "note": "及时"}
    )
    assert rated.status_code == 200 and "★★★★☆" in rated.text and 'id="rate-form"' not in rated.text
    again = client.post(f"/track/{number.group(1)}/rate", data={"csrf_token": token.group(1), "rating": "1"})
    assert again.status_code == 409
    with UnitOfWork(grid.db) as uow:
        assert cases.track(uow, tracking_number=number.group(1)).case.rating == 4


def test_an_unknown_tracking_number_answers_404_on_the_lookup_page(grid_app: Any) -> None:  # noqa: F811
    client, _, _ = grid_app
    answer = client.get("/track/GP20250303-AAAAAAAA")
    assert answer.status_code == 404 and 'id="track-number"' in answer.text


# --- a real browser --------------------------------------------------------------------------------


@pytest.fixture
def live_grid(sqlite_url: str) -> Iterator[dict[str, Any]]:
    import uvicorn

    from greenport.bootstrap import build
    from greenport.config import Settings
    from greenport.web.app import create_app
    from tests.web.test_browser import chromium_path, free_port

    chromium = chromium_path()
    container = build(Settings(database_url=sqlite_url), migrate=True)
    grid = make_grid(container.db)
    app = create_app(container=container)
    app.state.clock = Clock(MONDAY)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield {"base": f"http://127.0.0.1:{port}", "grid": grid, "chromium": chromium}
    finally:
        server.should_exit = True
        thread.join(10)
        container.db.dispose()


@pytest.mark.browser
def test_a_citizen_reports_on_a_phone_follows_and_rates(live_grid: dict[str, Any], tmp_path: Any) -> None:
    from playwright.sync_api import sync_playwright

    base, grid = live_grid["base"], live_grid["grid"]
    photo = tmp_path / "smoke.jpg"
    photo.write_bytes(PHOTO)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=live_grid["chromium"], args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(f"{base}/report")
            page.select_option("#report-category", "odour")
            page.wait_for_selector("#report-map canvas")
            box = page.locator("#report-map").bounding_box()
            assert box is not None
            page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)  # tap the map
            assert page.input_value("#report-lon") and page.input_value("#report-lat")
            page.fill("#report-lon", "120.25")  # the place typed precisely, in the west village
            page.fill("#report-lat", "31.5")
            page.fill("#report-address", "西村桥边")
            page.fill("#report-description", "河边有刺鼻的化工味")
            page.set_input_files("#report-photos", str(photo))
            with page.expect_navigation():
                page.click("#report-submit")
            number = page.inner_text("#tracking-number")
            assert number.startswith("GP20250303-"), page.inner_text("main")
            with page.expect_navigation():
                page.click("#track-link")
            assert page.inner_text("#track-stage") == "已受理"
            assert page.locator("#rate-form").count() == 0

            with UnitOfWork(grid.db) as uow:
                case_id = cases.track(uow, tracking_number=number).case.id
            _close(grid, case_id)

            page.goto(f"{base}/track")
            page.fill("#track-number", number)
            with page.expect_navigation():
                page.click("#track-submit")
            assert page.inner_text("#track-stage") == "已办结"
            page.check("#rate-form input[name=rating][value='5']")
            with page.expect_navigation():
                page.click("#rate-submit")
            assert "★★★★★" in page.inner_text("#track-rating")
            assert errors == []
        finally:
            browser.close()
