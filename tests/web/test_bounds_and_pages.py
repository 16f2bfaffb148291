"""Out-of-range numbers, request body limits, every page for the admin, menus without dead links."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from greenport.bootstrap import build
from greenport.config import Settings
from greenport.storage.web import LoginAttemptRow
from greenport.web.app import create_app, http_routes
from greenport.web.body_limit import BodySizeLimitMiddleware
from greenport.web.pages.base import TEMPLATES_DIR, templates
from tests.web.conftest import PARK_USER, ROLES, TOWN_A, City, bearer


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/sites/99999999999999999999", "site_id"),
        ("/api/enterprises/99999999999999999999", "enterprise_id"),
        ("/api/enterprises?offset=99999999999999999999", "offset"),
        ("/api/sites/{airA}/series?end=0001-01-01T00:00:00%2B00:00", "end"),
        ("/api/sites/{airA}/series?end=9999-12-31T23:00:00-23:00", "end"),
        ("/api/sites/{airA}/series?end=2022-06-30T00:00:00", "end"),
        ("/api/assessments/runs/99999999999999999999", "run_id"),
        ("/api/sites/0", "site_id"),
    ],
)
def test_out_of_range_numbers_answer_422_naming_the_field(city_app: Any, path: str, field: str) -> None:
    client, city = city_app
    response = client.get(path.format(**city.ids), headers=bearer(city, "city_admin"))
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["type"] == "InvalidInput" and body["field"] == field


def test_out_of_range_ids_on_pages_answer_422_not_500(lite_app: Any) -> None:
    client, city = lite_app
    for path in ("/sites/99999999999999999999", "/enterprises/99999999999999999999"):
        response = client.get(path, headers=bearer(city, "city_admin"))
        assert response.status_code == 422, path


@pytest.fixture
def small_limits_app(sqlite_url: str) -> Iterator[TestClient]:
    """An app with tiny body limits: 2 KiB for requests, 8 KiB for registry uploads."""
    container = build(
        Settings(database_url=sqlite_url, max_request_bytes=2048, max_upload_bytes=8192), migrate=True
    )
    with TestClient(create_app(container=container)) as client:
        yield client
    container.db.dispose()


def _login_attempts(client: TestClient) -> int:
    with client.app.state.container.uow() as uow:  # type: ignore[attr-defined]
        return int(uow.session.scalar(select(func.count()).select_from(LoginAttemptRow)) or 0)


def test_default_body_limits_are_one_and_twenty_mebibytes() -> None:
    settings = Settings()
    assert (settings.max_request_bytes, settings.max_upload_bytes) == (1024 * 1024, 20 * 1024 * 1024)


def test_an_oversized_body_is_refused_by_its_content_length_before_parsing(
    small_limits_app: TestClient,
) -> None:
    padding = "x" * 4000
    response = small_limits_app.post("/api/auth/login", json={"username": "a", "password": padding})
    assert response.status_code == 413
    assert response.json()["type"] == "PayloadTooLarge"
    assert _login_attempts(small_limits_app) == 0  # never reached the log-in
    small = small_limits_app.post("/api/auth/login", json={"username": "someone", "password": "x" * 10})
    assert small.status_code == 401 and _login_attempts(small_limits_app) == 1


def test_a_chunked_body_without_content_length_is_cut_at_the_limit(small_limits_app: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"username": "a", "password": "'
        for _ in range(10):
            yield b"y" * 1000
        yield b'"}'

    response = small_limits_app.post(
        "/api/auth/login", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["type"] == "PayloadTooLarge"
    assert _login_attempts(small_limits_app) == 0


def test_registry_uploads_have_their_own_larger_limit(small_limits_app: TestClient) -> None:
    limiter = next(
        m
        for m in small_limits_app.app.user_middleware  # type: ignore[attr-defined]
        if m.cls is BodySizeLimitMiddleware
    )
    assert limiter.kwargs == {"max_bytes": 2048, "upload_bytes": 8192}
    # 4 KB passes the upload limit (then the gate refuses the anonymous caller), 10 KB does not
    fits = small_limits_app.post("/api/registry/import/sites", files={"file": ("s.csv", b"a" * 4000)})
    assert fits.status_code == 401
    over = small_limits_app.post("/api/registry/import/sites", files={"file": ("s.csv", b"a" * 10000)})
    assert over.status_code == 413


def test_every_template_compiles() -> None:
    env = templates().env
    names = sorted(p.name for p in Path(TEMPLATES_DIR).glob("*.html"))
    assert "devices.html" in names
    for name in names:
        env.get_template(name)  # a duplicated block or a syntax error raises here


def _fill_page(path: str, city: City) -> str:
    values = {
        "site_id": city.ids["out1"],
        "enterprise_id": city.ids["e1"],
        "code": TOWN_A,
        "run_id": city.ids["run"],
        "unit": TOWN_A,
        "alarm_id": city.ids["alarm_out1"],
        "case_id": city.ids["case_out1"],
    }
    return re.sub(r"{(\w+)}", lambda m: str(values[m.group(1)]), path)


#: Pages of one role only (an enterprise's own dashboard), opened as that role by the page checks.
PAGE_ROLES = {"/my-firm": "enterprise"}


#: Not pages of the test city: Open311 (an API of its own, tests/web/test_open311_api.py) and the
#: follow page of a citizen's report, which needs a report (tests/web/test_report_pages.py).
NOT_CITY_PAGES = ("/open311/", "/track/{number}")


def is_city_page(path: str) -> bool:
    """A GET page the every-page checks open on the test city."""
    return not path.startswith(("/api", *NOT_CITY_PAGES))


def page_role(path: str) -> str:
    """The role the every-page checks open ``path`` as: the city admin, or the page's only role."""
    return PAGE_ROLES.get(path, "city_admin")


def test_every_page_renders_for_the_admin(lite_app: Any) -> None:
    """Every HTML page (GET, outside /api) answers 200 to the city admin (a page of one role only,
    such as an enterprise's own dashboard, to that role), so no template error can hide behind a
    page nobody opened; together they render every page template."""
    client, city = lite_app
    pages = [r.path for r in http_routes(client.app) if "GET" in r.methods and is_city_page(r.path)]
    assert {"/devices", "/quarantine", "/towns", "/assessments"} <= set(pages)
    for path in pages:
        response = client.get(_fill_page(path, city), headers=bearer(city, page_role(path)))
        assert response.status_code == 200, f"{path}: {response.status_code} {response.text[:300]}"
        assert response.headers["content-type"].startswith("text/html"), path


def _menu(html: str) -> list[str]:
    nav = html[html.index("<nav>") : html.index("</nav>")]
    return re.findall(r'href="([^"]+)"', nav)


@pytest.mark.parametrize("caller", [*ROLES, PARK_USER, "anonymous"])
def test_every_menu_link_opens_for_its_viewer(lite_app: Any, caller: str) -> None:
    client, city = lite_app
    headers = {} if caller == "anonymous" else bearer(city, caller)
    links = _menu(client.get("/public", headers=headers).text)
    assert "/public" in links
    for href in links:
        response = client.get(href, headers=headers)
        assert response.status_code == 200, f"{caller} is shown {href} but gets {response.status_code}"
    if caller == "department":
        assert "/quarantine" not in links and "/devices" not in links
    if caller == "city_admin":
        assert {"/quarantine", "/devices"} <= set(links)


def test_enterprise_dashboard_has_only_its_firms_park(lite_app: Any) -> None:
    client, city = lite_app
    body = client.get("/api/dashboard", headers=bearer(city, "enterprise")).json()
    assert [p["code"] for p in body["parks"]] == ["P1"]
    assert client.get("/api/parks", headers=bearer(city, "enterprise")).status_code == 403


def test_park_user_sees_only_the_park(lite_app: Any) -> None:
    client, city = lite_app
    headers = bearer(city, PARK_USER)
    firms = client.get("/api/enterprises", headers=headers).json()["data"]
    assert [f["id"] for f in firms] == [city.ids["e1"]]
    assert [s["id"] for s in client.get("/api/sites", headers=headers).json()["data"]] == [city.ids["out1"]]
    assert [p["code"] for p in client.get("/api/parks", headers=headers).json()["data"]] == ["P1"]
    assert client.get("/api/grid-cells", headers=headers).json()["data"] == []
    assert client.get(f"/api/sites/{city.ids['airA']}", headers=headers).status_code == 403
    # the city's reports cover every town: refused to a park, as its role's gate says
    bulletin = client.get("/api/reports/bulletin", params={"month": "2022-06"}, headers=headers)
    assert bulletin.status_code == 403
