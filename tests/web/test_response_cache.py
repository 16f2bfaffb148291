"""The hot path (``greenport.web.response_cache``): cached whole answers for the polled dashboard and the
public pages must equal the routes' answers, keep scopes apart, carry each viewer's own CSRF
token, follow new data without a client waiting, and drop a revoked credential.

Ages are read from a fake clock that only the test moves, so no outcome depends on how long the
machine takes between two lines."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import delete

from greenport.accounts.secret_tokens import digest
from greenport.kernel.time import utcnow
from greenport.web import auth
from greenport.web.response_cache import CSRF_PLACEHOLDER, MAX_AGE_SECONDS, HotCache
from tests.web.conftest import PASSWORD, bearer

HOT_PATHS = ("/api/dashboard", "/", "/fragments/dashboard", "/api/public/air", "/api/public/water", "/public")


class FakeClock:
    """A monotonic clock [s] that stands still until the test advances it."""

    def __init__(self, start: float = 0.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def _hot(client: Any) -> HotCache:
    hot: HotCache = client.app.state.hot
    return hot


@pytest.fixture
def app(lite_app: Any) -> Any:
    client, city = lite_app
    hot = _hot(client)
    hot.check_seconds = 3600.0  # the test drives the refresh cycles itself
    hot.clock = clock = FakeClock()  # before the first body is made: every age is on this clock
    client.app.state.principal_cache.clock = clock  # the principal cache's TTL too
    return client, city


def _codes(body: dict[str, Any]) -> set[str]:
    return {s["code"] for s in body["sites"]}


def test_hot_answers_equal_the_routes_and_keep_scopes_apart(app: Any) -> None:
    client, city = app
    hot = _hot(client)
    seen: dict[str, set[str]] = {}
    for role in ("city_admin", "bureau_analyst", "town_officer", "grid_officer", "enterprise"):
        first = client.get("/api/dashboard", headers=bearer(city, role))
        hits = hot.hits
        second = client.get("/api/dashboard", headers=bearer(city, role))
        assert first.status_code == second.status_code == 200, role
        assert hot.hits == hits + 1, f"{role}: the second answer comes from the hot path"
        assert second.content == first.content
        seen[role] = _codes(second.json())
    assert seen["city_admin"] == seen["bureau_analyst"] == {"AIRA", "AIRB", "WATERA", "OUT1", "OUT2"}
    assert seen["town_officer"] == seen["grid_officer"] == {"AIRA", "WATERA", "OUT1"}
    assert "OUT2" not in seen["enterprise"] and "OUT1" in seen["enterprise"]
    # refused callers are never answered from the cache, however warm it is
    for _ in range(2):
        assert client.get("/api/dashboard", headers=bearer(city, "public")).status_code == 403
        assert client.get("/api/dashboard").status_code == 401
        wrong = client.get(
            "/fragments/dashboard", headers={"Authorization": "Bearer wrong"}, follow_redirects=False
        )
        assert wrong.status_code in (303, 401)  # pages send a stranger to the log-in page
    # every hot route answers the same from the route and from the cache
    for path in HOT_PATHS:
        first = client.get(path, headers=bearer(city, "town_officer"))
        hits = hot.hits
        second = client.get(path, headers=bearer(city, "town_officer"))
        assert first.status_code == second.status_code == 200, path
        assert hot.hits == hits + 1, path
        if path in ("/", "/public"):  # the page carries the client's CSRF token
            token = client.cookies.get(auth.CSRF_COOKIE)
            assert token and token in second.text and CSRF_PLACEHOLDER not in second.text
        else:
            assert second.content == first.content, path


def test_a_cached_page_carries_the_viewers_own_csrf_token(app: Any) -> None:
    client, _city = app
    client.get("/login")
    sent = client.post(
        "/login",
        data={
            "username": "bureau_analyst",
            "password": PASSWORD,
            "csrf_token": client.cookies.get(auth.CSRF_COOKIE),
            "next": "/",
        },
        follow_redirects=False,
    )
    assert sent.status_code == 303
    hot = _hot(client)
    hits = hot.hits
    for token in ("tok-one", "tok-two", 'x"><script>'):
        client.cookies.set(auth.CSRF_COOKIE, token)
        page = client.get("/")
        assert page.status_code == 200
        assert CSRF_PLACEHOLDER not in page.text
        if token.isalnum() or "-" in token:
            assert f'name="csrf-token" content="{token}"' in page.text
        assert '<script>"' not in page.text and 'x"><script>' not in page.text
        assert page.headers.get("set-cookie") is None  # the browser keeps its token
    assert hot.hits >= hits + 2  # the later visits were served from the cache
    assert client.get("/public").status_code == 200


def test_new_data_rebuild_the_answers_in_the_background(app: Any) -> None:
    from greenport.storage.monitoring import ObservationRow, pack_measurements

    client, city = app
    hot = _hot(client)
    headers = bearer(city, "bureau_analyst")
    before = {s["code"]: s["state"] for s in client.get("/api/dashboard", headers=headers).json()["sites"]}
    etag = client.get("/api/dashboard", headers=headers).headers["etag"]
    assert before["AIRA"] == "offline"
    assert client.get("/api/dashboard", headers={**headers, "If-None-Match": etag}).status_code == 304
    clock: FakeClock = hot.clock  # type: ignore[assignment]
    clock.advance(MAX_AGE_SECONDS - 0.5)  # however slow the machine, the bodies are this old
    assert hot.cycle() is False  # nothing arrived and not yet MAX_AGE_SECONDS: nothing rebuilt
    with client.app.state.container.uow() as uow:
        uow.session.add(
            ObservationRow(
                data_time=utcnow() - timedelta(minutes=5),
                device_id=city.ids["dev_airA"],
                period="rtd",
                site_id=city.ids["airA"],
                n_values=1,
                measurements=pack_measurements({"pm2_5": [30.0, "N"]}),
            )
        )
    # until the refresher runs, pollers keep the previous document (no request computes)
    assert client.get("/api/dashboard", headers=headers).headers["etag"] == etag
    assert hot.cycle() is True
    after = client.get("/api/dashboard", headers=headers)
    assert after.headers["etag"] != etag
    assert {s["code"]: s["state"] for s in after.json()["sites"]}["AIRA"] == "normal"
    assert 'data-site="AIRA" data-state="normal"' in client.get("/fragments/dashboard", headers=headers).text
    assert hot.cycle() is False  # just rebuilt, nothing new
    clock.advance(MAX_AGE_SECONDS)
    assert hot.cycle() is True  # MAX_AGE_SECONDS passed: rebuilt even without new data
    assert hot.cycle() is False
    assert hot.cycle(force=True) is True
    hot.invalidate()  # a write the data version does not see: rebuilt at the next check
    assert hot.cycle() is True


def test_a_revoked_token_is_refused_after_the_background_check(app: Any) -> None:
    from greenport.storage.web import ApiTokenRow

    client, city = app
    headers = bearer(city, "department")
    assert client.get("/api/dashboard", headers=headers).status_code == 200
    with client.app.state.container.uow() as uow:
        uow.session.execute(
            delete(ApiTokenRow).where(ApiTokenRow.digest == digest(city.tokens["department"]))
        )
    cache = client.app.state.principal_cache
    cache.clock.advance(cache.ttl + 1)  # expired: the next call triggers the background check
    deadline = time.monotonic() + 10
    statuses = []
    while time.monotonic() < deadline:
        statuses.append(client.get("/api/dashboard", headers=headers).status_code)
        if statuses[-1] == 401:
            break
        time.sleep(0.05)
    assert statuses[-1] == 401, statuses
    assert set(statuses) <= {200, 401}
    assert client.get("/", headers=headers, follow_redirects=False).status_code in (303, 401)
