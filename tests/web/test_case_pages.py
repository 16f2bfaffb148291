"""The case pages on the small test grid: the inbox and the list, the case page with a form per
allowed action, an action sent from the page with a photo and a location, a stale page's version
conflict shown on the case page as it is now, the dispatcher's board, who may open which."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from greenport.storage.db import Database
from tests.web.test_cases_api import JPEG, Served, serve_grid


@pytest.fixture
def grid_pages(sqlite_url: str) -> Iterator[Served]:
    from greenport.storage.migrate import upgrade

    upgrade(sqlite_url)
    db = Database.from_url(sqlite_url)
    try:
        yield from serve_grid(db, sqlite_url)
    finally:
        db.dispose()


def _rows(html: str, table: str) -> list[int]:
    part = html.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
    return [int(i) for i in re.findall(r'data-case="(\d+)"', part)]


def test_inbox_and_list_show_the_officers_cases_in_chinese(grid_pages: Served) -> None:
    s = grid_pages
    page = s.client.get("/cases", headers=s.headers("west1"))
    assert page.status_code == 200
    assert _rows(page.text, "inbox-new") == [s.ids["west"]] and _rows(page.text, "case-list") == [
        s.ids["west"]
    ]
    assert "待处理" in page.text and "我的待办" in page.text
    assert "异味扰民" in page.text and "已派遣" in page.text
    town = s.client.get("/cases", params={"category": "construction_dust"}, headers=s.headers("townofficer"))
    assert _rows(town.text, "case-list") == [s.ids["east"]]
    english = s.client.get("/cases", params={"lang": "en"}, headers=s.headers("west1"))
    assert "Odour nuisance" in english.text and "dispatched" in english.text


def test_the_case_page_offers_a_form_per_allowed_action_and_acts(grid_pages: Served) -> None:
    s, case_id = grid_pages, grid_pages.ids["west"]
    page = s.client.get(f"/cases/{case_id}", headers=s.headers("west1"))
    assert page.status_code == 200
    assert re.findall(r'data-action="(\w+)"', page.text) == ["accept", "mark_misrouted", "comment"]
    assert 'name="version" value="1"' in page.text and 'id="case-map"' in page.text
    for action, version in (("accept", 1), ("start", 2)):
        done = s.client.post(
            f"/cases/{case_id}/act",
            data={"action": action, "version": str(version)},
            headers=s.headers("west1"),
            follow_redirects=False,
        )
        assert done.status_code == 303 and done.headers["location"] == f"/cases/{case_id}"
    page = s.client.get(f"/cases/{case_id}", headers=s.headers("west1")).text
    submit_form = page.split('data-action="submit"', 1)[1].split("</form>", 1)[0]
    assert 'accept="image/*"' in submit_form and 'name="lon"' in submit_form and "use-location" in submit_form
    sent = s.client.post(
        f"/cases/{case_id}/act",
        data={"action": "submit", "version": "3", "note": "已整改", "lon": "120.2", "lat": "31.5"},
        files=[("photos", ("scene.jpg", JPEG, "image/jpeg"))],
        headers=s.headers("west1"),
        follow_redirects=False,
    )
    assert sent.status_code == 303
    shown = s.client.get(f"/cases/{case_id}", headers=s.headers("west1")).text
    assert 'data-state="submitted"' in shown and 'class="thumb"' in shown and "120.2, 31.5" in shown


def test_a_stale_page_gets_the_conflict_on_the_case_as_it_is_now(grid_pages: Served) -> None:
    s, case_id = grid_pages, grid_pages.ids["west"]
    s.client.post(
        f"/cases/{case_id}/act", data={"action": "accept", "version": "1"}, headers=s.headers("west1")
    )
    stale = s.client.post(
        f"/cases/{case_id}/act", data={"action": "accept", "version": "1"}, headers=s.headers("west1")
    )
    assert stale.status_code == 409
    assert 'id="case-error" data-type="VersionConflict"' in stale.text
    assert "已有人处理了此工单" in stale.text
    assert 'name="version" value="2"' in stale.text  # the page as it is now, ready to act again
    history = s.client.get(f"/api/cases/{case_id}", headers=s.headers("admin")).json()["events"]
    assert [e["action"] for e in history] == ["dispatch", "accept"]


def test_who_may_open_which_case_page_and_the_board(grid_pages: Served) -> None:
    s, ids = grid_pages, grid_pages.ids
    assert s.client.get(f"/cases/{ids['east']}", headers=s.headers("west1")).status_code == 404
    assert s.client.get(f"/cases/{ids['east']}", headers=s.headers("eco")).status_code == 404
    assert s.client.get("/cases", headers=s.headers("firm")).status_code == 403
    assert s.client.get("/cases/board", headers=s.headers("west1")).status_code == 403
    board = s.client.get("/cases/board", headers=s.headers("townofficer"))
    assert board.status_code == 200
    assert 'data-column="new"' in board.text and 'data-column="overdue"' in board.text
    assert (
        s.client.post(
            f"/cases/{ids['west']}/act",
            data={"action": "comment", "version": "1", "note": "x"},
            headers=s.headers("eco"),
        ).status_code
        == 403
    )


def test_a_grid_officer_files_a_patrol_finding_from_the_form_and_a_refusal_keeps_what_was_typed(
    grid_pages: Served,
) -> None:
    s = grid_pages
    inbox = s.client.get("/cases", headers=s.headers("west1"))
    assert 'id="patrol-link"' in inbox.text and "巡查上报" in inbox.text
    assert 'id="patrol-link"' not in s.client.get("/cases", headers=s.headers("eco")).text
    page = s.client.get("/cases/new", headers=s.headers("west1"))
    assert page.status_code == 200 and 'name="category"' in page.text and 'capture="environment"' in page.text
    assert s.client.get("/cases/new", headers=s.headers("eco")).status_code == 403
    fields = {"category": "open_burning", "description": "田间焚烧秸秆", "lon": "121.5", "lat": "31.5"}
    refused = s.client.post("/cases/new", data=fields, headers=s.headers("west1"))  # the other town
    assert (
        refused.status_code == 403 and "田间焚烧秸秆" in refused.text and 'id="patrol-error"' in refused.text
    )
    filed = s.client.post(
        "/cases/new",
        data={**fields, "lon": "120.2"},
        files=[("photos", ("smoke.jpg", JPEG, "image/jpeg"))],
        headers=s.headers("west1"),
        follow_redirects=False,
    )
    assert filed.status_code == 303
    shown = s.client.get(filed.headers["location"], headers=s.headers("west1"))
    assert (
        shown.status_code == 200 and "田间焚烧秸秆" in shown.text and 'data-state="dispatched"' in shown.text
    )
