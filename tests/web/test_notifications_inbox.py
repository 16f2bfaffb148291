"""``GET /api/notifications`` and ``POST /api/notifications/read``: a user's own rows only; the POST
needs the CSRF token with a session."""

from __future__ import annotations

from typing import Any

from greenport.notifications import service as notifications
from greenport.notifications.routes import shipped_routes
from greenport.web import auth
from tests.notifications.conftest import NOW, make_notice
from tests.web.conftest import PASSWORD, TOWN_A, TOWN_B, bearer


def _alarm_ids(body: dict[str, Any]) -> list[int]:
    """The alarm notices of an inbox (the seeded city's cases have notices of their own)."""
    return [row["subject_id"] for row in body["data"] if row["topic"] == "alarm"]


def _read_everything(client: Any, city: Any, role: str) -> None:
    rows = client.get("/api/notifications", headers=bearer(city, role)).json()["data"]
    ids = [row["id"] for row in rows]
    if ids:
        client.post("/api/notifications/read", json={"ids": ids}, headers=bearer(city, role))


def test_the_inbox_shows_the_callers_own_rows_and_marks_only_them_read(lite_app: Any) -> None:
    client, city = lite_app
    for role in ("town_officer", "city_admin"):  # the notices of the seeded cases, already seen
        _read_everything(client, city, role)
    with client.app.state.container.uow() as uow:
        notifications.enqueue(
            uow, notice=make_notice(town_code=TOWN_A), routes=shipped_routes().routes, now=NOW
        )
        notifications.enqueue(
            uow,
            notice=make_notice(town_code=TOWN_B, subject_id=13, dedupe_key="alarm:13:firing"),
            routes=shipped_routes().routes,
            now=NOW,
        )
    officer = client.get("/api/notifications", headers=bearer(city, "town_officer")).json()
    assert _alarm_ids(officer) == [12] and officer["unread"] == 1
    admin = client.get("/api/notifications", headers=bearer(city, "city_admin")).json()
    assert _alarm_ids(admin) == [13, 12]
    # the admin's row of alarm 13, not the officer's; the officer's row of alarm 12
    foreign = next(r["id"] for r in admin["data"] if r["topic"] == "alarm" and r["subject_id"] == 13)
    mine = next(r["id"] for r in officer["data"] if r["topic"] == "alarm" and r["subject_id"] == 12)
    marked = client.post(
        "/api/notifications/read", json={"ids": [foreign, mine]}, headers=bearer(city, "town_officer")
    )
    assert marked.json() == {"ok": True, "marked": 1}
    assert (
        client.get(
            "/api/notifications", params={"unread": "true"}, headers=bearer(city, "town_officer")
        ).json()["data"]
        == []
    )
    assert (
        client.get(
            "/api/notifications", params={"unread": "true"}, headers=bearer(city, "city_admin")
        ).json()["unread"]
        == 2
    )
    assert client.get("/api/notifications", headers=bearer(city, "public")).status_code == 403


def test_marking_read_with_a_session_needs_the_csrf_token(lite_app: Any) -> None:
    client, _ = lite_app
    login = client.post("/api/auth/login", json={"username": "town_officer", "password": PASSWORD})
    assert login.status_code == 200
    assert client.post("/api/notifications/read", json={"ids": [1]}).status_code == 403
    ok = client.post(
        "/api/notifications/read", json={"ids": [1]}, headers={auth.CSRF_HEADER: login.json()["csrf_token"]}
    )
    assert ok.status_code == 200
