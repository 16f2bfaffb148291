"""The cases API on the small test grid (tests/cases/grid.py), on SQLite and PostgreSQL: who sees
which case, the full loop through the API with a real JPEG and a location, a stale version
refused with nothing written, bad input named by its field, a PDF named .jpg refused, files
served only to those who can see their case."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from greenport.accounts import service as accounts
from greenport.accounts.secret_tokens import digest, new_secret
from greenport.bootstrap import Container
from greenport.cases import service as cases
from greenport.cases.model import CaseSource, Location
from greenport.config import Settings
from greenport.kernel.time import utcnow
from greenport.storage.db import Database
from greenport.storage.uow import UnitOfWork
from tests.cases.grid import MONDAY, make_grid

#: A JPEG as a phone sends it: the SOI marker and a JFIF APP0 segment (FF D8 FF E0 ...), then data.
JPEG = (
    b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + bytes(range(256)) + b"\xff\xd9"
)
PDF = b"%PDF-1.7\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
USERS = ("west1", "west2", "east1", "south1", "townofficer", "othertown", "admin", "eco", "housing", "firm")
#: A point in village WEST of the first town, one in EAST, one in the other town [degrees, WGS 84].
WEST_POINT = Location(120.2, 31.5)
EAST_POINT = Location(120.7, 31.5)
SOUTH_POINT = Location(121.5, 31.5)


@dataclass
class Served:
    client: TestClient
    tokens: dict[str, str]
    ids: dict[str, int] = field(default_factory=dict)
    now: list[Any] = field(default_factory=lambda: [MONDAY + timedelta(hours=1)])

    def headers(self, username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[username]}"}


def _open(db: Database, category: str, point: Location, description: str) -> int:
    with UnitOfWork(db) as uow:
        return cases.open_case(
            uow,
            source=CaseSource.PATROL,
            category=category,
            description=description,
            now=MONDAY,
            location=point,
        ).id


def serve_grid(db: Database, url: str) -> Iterator[Served]:
    """The grid with three cases (odour in WEST and in the other town, construction dust in
    EAST), served with bearer tokens of every user and a clock the test moves."""
    from greenport.web.app import create_app

    grid = make_grid(db)
    tokens = {}
    with UnitOfWork(db) as uow:
        for username in USERS:
            user = accounts.get_user(uow, username=username)
            token = "gp_test_" + new_secret()
            assert user.id is not None
            uow.accounts.add_token(
                digest=digest(token), name="test", user_id=user.id, expires_at=utcnow() + timedelta(days=1)
            )
            tokens[username] = token
    ids = {
        "west": _open(db, "odour", WEST_POINT, "化工厂附近有刺鼻气味"),
        "east": _open(db, "construction_dust", EAST_POINT, "工地未覆盖，扬尘严重"),
        "south": _open(db, "odour", SOUTH_POINT, "夜间异味"),
    }
    ids.update(grid.sites)
    container = Container(settings=Settings(database_url=url), db=db)
    app = create_app(container=container, migrate=False)
    served = Served(client=TestClient(app), tokens=tokens, ids=ids)
    app.state.clock = lambda: served.now[0]
    with served.client:
        yield served


@pytest.fixture
def grid_app(db: Database, database_url: str) -> Iterator[Served]:
    yield from serve_grid(db, database_url)


def _ids(body: dict[str, Any]) -> set[int]:
    return {row["id"] for row in body["data"]}


def test_each_officer_sees_the_cases_of_their_scope_and_the_public_none(grid_app: Served) -> None:
    s, ids = grid_app, grid_app.ids
    expected = {
        "admin": {ids["west"], ids["east"], ids["south"]},
        "west1": {ids["west"]},  # the routing dispatched it to the officer of WEST with fewer cases
        "east1": {ids["east"]},
        "south1": {ids["south"]},
        "townofficer": {ids["west"], ids["east"]},
        "othertown": {ids["south"]},
        "eco": {ids["west"], ids["south"]},  # odour is the eco-environment bureau's category
        "housing": {ids["east"]},  # construction dust is the housing bureau's
    }
    for username, visible in expected.items():
        body = s.client.get("/api/cases", headers=s.headers(username)).json()
        assert _ids(body) == visible and body["count"] == len(visible), username
    # a grid officer of WEST cannot open the case of EAST: 404, as if it did not exist
    hidden = s.client.get(f"/api/cases/{ids['east']}", headers=s.headers("west1"))
    assert hidden.status_code == 404 and hidden.json()["type"] == "NotFound"
    assert s.client.get(f"/api/cases/{ids['west']}", headers=s.headers("othertown")).status_code == 404
    assert s.client.get(f"/api/cases/{ids['east']}", headers=s.headers("eco")).status_code == 404
    # the public is refused at the gate, a stranger must log in
    assert s.client.get("/api/cases", headers=s.headers("firm")).status_code == 403
    assert s.client.get("/api/cases/inbox", headers=s.headers("firm")).status_code == 403
    assert s.client.get("/api/cases").status_code == 401
    # a filter naming the other town narrows, never widens
    other = s.client.get("/api/cases", params={"town_code": "320582101000"}, headers=s.headers("townofficer"))
    assert other.json() == {"data": [], "count": 0}
    filtered = s.client.get(
        "/api/cases", params={"category": "odour", "status": "dispatched"}, headers=s.headers("admin")
    ).json()
    assert _ids(filtered) == {ids["west"], ids["south"]}
    assert (
        s.client.get("/api/cases", params={"source": "alarm"}, headers=s.headers("admin")).json()["count"]
        == 0
    )
    inbox = s.client.get("/api/cases/inbox", headers=s.headers("west1")).json()
    assert [c["id"] for c in inbox["new"]] == [ids["west"]]
    assert inbox["overdue"] == [] and set(inbox) == {"new", "due_soon", "overdue"}


def test_the_full_loop_through_the_api(grid_app: Served) -> None:
    s = grid_app
    case_id = s.ids["west"]
    one = s.client.get(f"/api/cases/{case_id}", headers=s.headers("west1")).json()
    assert one["case"]["state"] == "dispatched" and one["case"]["assignee"] == "west1"
    assert one["actions"] == ["accept", "mark_misrouted", "comment"] and one["roles"] == ["handler"]
    assert [e["action"] for e in one["events"]] == ["dispatch"]
    version = one["version"]

    def act(username: str, **body: Any) -> dict[str, Any]:
        nonlocal version
        response = s.client.post(
            f"/api/cases/{case_id}/actions", json={"version": version, **body}, headers=s.headers(username)
        )
        assert response.status_code == 200, response.text
        version = response.json()["version"]
        return response.json()

    assert act("west1", action="accept")["case"]["state"] == "accepted"
    assert act("west1", action="start")["case"]["state"] == "in_progress"
    submitted = s.client.post(
        f"/api/cases/{case_id}/actions",
        data={
            "action": "submit",
            "version": str(version),
            "note": "已督促企业整改，异味消除",
            "lon": "120.21",
            "lat": "31.52",
        },
        files=[("photos", ("scene.jpg", JPEG, "image/jpeg"))],
        headers=s.headers("west1"),
    )
    assert submitted.status_code == 200, submitted.text
    body = submitted.json()
    version = body["version"]
    assert body["case"]["state"] == "submitted" and body["case"]["submitted_at"] == s.now[0].isoformat()
    last = body["events"][-1]
    assert last["action"] == "submit" and last["actor"] == "west1"
    assert last["location"] == {"lon": 120.21, "lat": 31.52}
    assert last["attachments"] == [
        {"sha256": hashlib.sha256(JPEG).hexdigest(), "size": len(JPEG), "media_type": "image/jpeg"}
    ]
    # the grid officer may not verify their own work
    refused = s.client.post(
        f"/api/cases/{case_id}/actions",
        json={"action": "verify", "version": version, "note": "ok"},
        headers=s.headers("west1"),
    )
    assert refused.status_code == 403 and refused.json()["type"] == "ActionNotPermitted"
    assert act("townofficer", action="verify", note="现场核查属实")["case"]["state"] == "verified"
    closed = s.client.post(
        f"/api/cases/{case_id}/actions",
        data={"action": "close", "version": str(version), "note": "办结", "lon": "120.2", "lat": "31.5"},
        files=[("photos", ("check.jpg", JPEG, "image/jpeg"))],
        headers=s.headers("townofficer"),
    ).json()
    assert closed["case"]["state"] == "closed" and closed["actions"] == ["reopen", "revisit", "comment"]
    assert [e["to_state"] for e in closed["events"]] == [
        "dispatched",
        "accepted",
        "in_progress",
        "submitted",
        "verified",
        "closed",
    ]
    # the photo is served, with its type and nosniff, to those who see the case, to no one else
    digest_hex = hashlib.sha256(JPEG).hexdigest()
    photo = s.client.get(f"/api/cases/files/{digest_hex}", headers=s.headers("townofficer"))
    assert photo.status_code == 200 and photo.content == JPEG
    assert photo.headers["content-type"] == "image/jpeg"
    assert photo.headers["x-content-type-options"] == "nosniff"
    assert s.client.get(f"/api/cases/files/{digest_hex}", headers=s.headers("east1")).status_code == 404
    assert s.client.get(f"/api/cases/files/{digest_hex}", headers=s.headers("othertown")).status_code == 404
    assert s.client.get("/api/cases/files/not-a-hash", headers=s.headers("admin")).status_code == 422


def _history(s: Served, case_id: int) -> list[str]:
    return [
        e["action"]
        for e in s.client.get(f"/api/cases/{case_id}", headers=s.headers("admin")).json()["events"]
    ]


def test_a_stale_version_is_refused_with_the_conflict_and_nothing_is_written(grid_app: Served) -> None:
    s, case_id = grid_app, grid_app.ids["west"]
    first = s.client.post(
        f"/api/cases/{case_id}/actions", json={"action": "accept", "version": 1}, headers=s.headers("west1")
    )
    assert first.status_code == 200 and first.json()["version"] == 2
    # a second tab, loaded at version 1, sends a comment
    stale = s.client.post(
        f"/api/cases/{case_id}/actions",
        json={"action": "comment", "version": 1, "note": "旧页面"},
        headers=s.headers("west1"),
    )
    assert stale.status_code == 409 and stale.json()["type"] == "VersionConflict"
    assert "version 1 → 2" in stale.json()["error"]
    assert _history(s, case_id) == ["dispatch", "accept"]


@pytest.mark.parametrize(
    ("body", "field_name"),
    [
        ({"version": 1}, "action"),
        ({"action": "fly", "version": 1}, "action"),
        ({"action": "accept"}, "version"),
        ({"action": "accept", "version": "one"}, "version"),
        ({"action": "comment", "version": 1, "note": "x" * 2001}, "note"),
        ({"action": "comment", "version": 1, "note": "n", "lon": 120.2}, "lat"),
        ({"action": "comment", "version": 1, "note": "n", "lon": "east", "lat": 31.5}, "lon"),
        ({"action": "comment", "version": 1, "note": "n", "lon": 200, "lat": 31.5}, "lon"),
        ({"action": "comment", "version": 1, "note": "   "}, None),  # a comment needs a note: 422
    ],
)
def test_bad_input_is_refused_naming_the_field_and_changes_nothing(
    grid_app: Served, body: dict[str, Any], field_name: str | None
) -> None:
    s, case_id = grid_app, grid_app.ids["west"]
    response = s.client.post(f"/api/cases/{case_id}/actions", json=body, headers=s.headers("west1"))
    assert response.status_code == 422, response.text
    if field_name is not None:
        assert response.json()["field"] == field_name, response.json()
    assert _history(s, case_id) == ["dispatch"]


def test_a_pdf_named_jpg_is_refused_and_nothing_is_written(grid_app: Served) -> None:
    s, case_id = grid_app, grid_app.ids["west"]
    for action in ("accept", "start"):
        version = len(_history(s, case_id))
        assert (
            s.client.post(
                f"/api/cases/{case_id}/actions",
                json={"action": action, "version": version},
                headers=s.headers("west1"),
            ).status_code
            == 200
        )
    response = s.client.post(
        f"/api/cases/{case_id}/actions",
        data={"action": "submit", "version": "3", "note": "已处理", "lon": "120.2", "lat": "31.5"},
        files=[("photos", ("scene.jpg", PDF, "image/jpeg"))],
        headers=s.headers("west1"),
    )
    assert response.status_code == 422 and response.json()["field"] == "photos"
    assert "scene.jpg" in response.json()["error"]
    assert _history(s, case_id) == ["dispatch", "accept", "start"]
    pdf_hash = hashlib.sha256(PDF).hexdigest()
    assert s.client.get(f"/api/cases/files/{pdf_hash}", headers=s.headers("admin")).status_code == 404


def test_reading_roles_may_not_act_and_other_cells_are_hidden(grid_app: Served) -> None:
    s, ids = grid_app, grid_app.ids
    body = {"action": "comment", "version": 1, "note": "看一下"}
    assert (
        s.client.post(f"/api/cases/{ids['west']}/actions", json=body, headers=s.headers("eco")).status_code
        == 403
    )
    assert (
        s.client.post(f"/api/cases/{ids['west']}/actions", json=body, headers=s.headers("firm")).status_code
        == 403
    )
    assert (
        s.client.post(f"/api/cases/{ids['east']}/actions", json=body, headers=s.headers("west1")).status_code
        == 404
    )
    # west2, an officer of the same cell, sees the case but has no part in it (not the assignee)
    assert s.client.get(f"/api/cases/{ids['west']}", headers=s.headers("west2")).json()["actions"] == []
    refused = s.client.post(f"/api/cases/{ids['west']}/actions", json=body, headers=s.headers("west2"))
    assert refused.status_code == 403
    assert _history(s, ids["west"]) == ["dispatch"]


def test_overdue_is_read_on_the_apps_clock(grid_app: Served) -> None:
    s = grid_app
    assert (
        s.client.get("/api/cases", params={"overdue": True}, headers=s.headers("admin")).json()["count"] == 0
    )
    s.now[0] = MONDAY + timedelta(days=40)
    late = s.client.get("/api/cases", params={"overdue": True}, headers=s.headers("admin")).json()
    assert late["count"] == 3 and all(row["overdue"] for row in late["data"])
    assert {
        c["id"] for c in s.client.get("/api/cases/inbox", headers=s.headers("west1")).json()["overdue"]
    } == {s.ids["west"]}


def test_an_officer_files_a_patrol_finding_with_a_photo_in_their_town_only(grid_app: Served) -> None:
    client = grid_app.client
    opened = client.post(
        "/api/cases",
        headers=grid_app.headers("west1"),
        data={"category": "open_burning", "description": "田间焚烧秸秆", "lon": "120.2", "lat": "31.5"},
        files={"photos": ("smoke.jpg", JPEG, "image/jpeg")},
    )
    assert opened.status_code == 201, opened.text
    body = opened.json()
    assert body["case"]["source"] == "patrol" and body["case"]["state"] == "dispatched"
    assert body["case"]["department"] == "市城市管理局"
    assert body["events"][0]["attachments"][0]["sha256"] == hashlib.sha256(JPEG).hexdigest()
    # the other town is not theirs; a firm may not open cases; a bad category is named
    elsewhere = {"category": "odour", "description": "外镇", "lon": 121.5, "lat": 31.5}
    assert client.post("/api/cases", headers=grid_app.headers("west1"), json=elsewhere).status_code == 403
    assert client.post("/api/cases", headers=grid_app.headers("firm"), json=elsewhere).status_code == 403
    bad = client.post("/api/cases", headers=grid_app.headers("admin"), json={**elsewhere, "category": "smog"})
    assert bad.status_code == 422 and bad.json()["field"] == "category"
    listed = client.get("/api/cases", headers=grid_app.headers("admin"), params={"source": "patrol"}).json()
    assert listed["count"] == 4  # the three of the grid and the one filed here: nothing of the refused
