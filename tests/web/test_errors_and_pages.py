"""One error shape on every error path; page contexts match their templates; CSRF; log-in limits."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from greenport.web.pages import assessments, base, dashboard, monitoring, public, registry, reports
from greenport.web.pages import auth as auth_pages
from tests.web.conftest import PASSWORD, bearer

PAGE_CONTEXTS = {
    "login.html": auth_pages.LoginContext,
    "error.html": base.ErrorContext,
    "dashboard.html": dashboard.DashboardContext,
    "_dashboard_live.html": dashboard.DashboardContext,
    "firm_dashboard.html": dashboard.FirmDashboardContext,
    "site.html": monitoring.SiteContext,
    "quarantine.html": monitoring.QuarantineContext,
    "devices.html": monitoring.DevicesContext,
    "towns.html": registry.TownsContext,
    "town.html": registry.TownContext,
    "enterprises.html": registry.EnterprisesContext,
    "enterprise.html": registry.EnterpriseContext,
    "public.html": public.PublicContext,
    "assessments.html": assessments.AssessmentsContext,
    "assessment_run.html": assessments.RunContext,
    "assessment_unit.html": assessments.BreakdownContext,
    "reports.html": reports.ReportsContext,
}


def test_every_template_reads_only_declared_context_fields() -> None:
    for template, context in PAGE_CONTEXTS.items():
        text = (base.TEMPLATES_DIR / template).read_text(encoding="utf-8")
        used = set(re.findall(r"ctx\.(\w+)", text))
        declared = {f.name for f in dataclasses.fields(context)}
        assert used <= declared, f"{template} reads undeclared {used - declared}"
        if not template.startswith("_") and template != "dashboard.html":
            assert declared <= used, f"{template} never shows {declared - used}"
    listed = {p.name for p in base.TEMPLATES_DIR.glob("*.html")} - {"base.html"}
    assert listed == set(PAGE_CONTEXTS), "every page template has a context in this test"


def _assert_shape(body: dict[str, Any]) -> None:
    assert isinstance(body["error"], str) and body["error"]
    assert isinstance(body["type"], str)


def test_error_shape_on_every_error_path(lite_app: Any) -> None:
    client, city = lite_app
    cases = [
        client.get("/api/towns"),  # 401
        client.get("/api/devices", headers=bearer(city, "bureau_analyst")),  # 403
        client.get("/api/enterprises/99999", headers=bearer(city, "city_admin")),  # 404 domain
        client.get("/api/no/such/route"),  # 404 router
        client.get("/api/enterprises/abc", headers=bearer(city, "city_admin")),  # 422 validation
        client.get("/api/reports/bulletin", headers=bearer(city, "city_admin")),  # 422 missing query
        client.delete("/api/towns", headers=bearer(city, "city_admin")),  # 405
        client.get("/api/towns", headers={"Authorization": "Bearer wrong"}),  # 401 bad token
    ]
    assert [r.status_code for r in cases] == [401, 403, 404, 404, 422, 422, 405, 401]
    for response in cases:
        _assert_shape(response.json())
    assert cases[4].json()["field"] == "enterprise_id"
    assert cases[5].json()["field"] == "month"


def _login(client: Any, username: str, password: str) -> Any:
    client.get("/login")
    token = client.cookies.get("gp_csrf")
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token, "next": "/"},
        follow_redirects=False,
    )


def test_login_page_sets_session_and_pages_render_in_both_languages(lite_app: Any) -> None:
    client, city = lite_app
    assert client.get("/", follow_redirects=False).status_code == 303
    response = _login(client, "bureau_analyst", PASSWORD)
    assert response.status_code == 303
    for path in (
        "/",
        "/towns",
        "/enterprises",
        f"/enterprises/{city.ids['e1']}",
        f"/sites/{city.ids['airA']}",
        "/quarantine",
        "/public",
        "/towns/320582100000",
    ):
        page = client.get(path)
        assert page.status_code == 200, path
        assert "生态" in client.get("/").text or "一张图" in client.get("/").text
    assert "The one map" in client.get("/?lang=en").text
    assert "The one map" in client.get("/").text  # the cookie remembers English
    assert client.get("/devices").status_code == 403


def test_csrf_is_required_for_cookie_posts(lite_app: Any) -> None:
    client, city = lite_app
    assert _login(client, "city_admin", PASSWORD).status_code == 303
    url = f"/api/devices/{city.ids['dev_airA']}/active"
    assert client.post(url, json={"active": False}).status_code == 403
    ok = client.post(url, json={"active": False}, headers={"X-CSRF-Token": client.cookies.get("gp_csrf")})
    assert ok.status_code == 200 and ok.json()["active"] is False
    audit = client.get("/api/audit").json()["data"]
    assert audit[0]["entity"] == "device" and audit[0]["username"] == "city_admin"
    assert audit[0]["detail"] == {"mn": ok.json()["mn"], "from": True, "to": False}


def test_login_is_rate_limited_per_username(lite_app: Any) -> None:
    client, _city = lite_app
    for _ in range(5):
        assert (
            client.post("/api/auth/login", json={"username": "department", "password": "nope"}).status_code
            == 401
        )
    blocked = client.post("/api/auth/login", json={"username": "department", "password": PASSWORD})
    assert blocked.status_code == 429 and blocked.json()["type"] == "TooManyAttempts"
    assert (
        client.post("/api/auth/login", json={"username": "town_officer", "password": PASSWORD}).status_code
        == 200
    )


def test_registry_import_from_a_page_form_goes_through_the_service(lite_app: Any) -> None:
    client, _city = lite_app
    assert _login(client, "city_admin", PASSWORD).status_code == 303
    token = client.cookies.get("gp_csrf")
    refused = client.post("/api/registry/import/enterprises", files={"file": ("e.csv", b"x\n1\n")})
    assert refused.status_code == 403  # no CSRF token
    bad = client.post(
        "/api/registry/import/enterprises",
        data={"csrf_token": token},
        files={"file": ("e.csv", b"name\nfirm\n")},
    )
    assert bad.status_code == 422
    body = bad.json()
    assert body["type"] == "InvalidRows" and body["errors"], body


def test_a_route_without_a_gate_is_refused(lite_app: Any) -> None:
    import pytest
    from fastapi import APIRouter

    from greenport.web.app import check_gates

    client, _city = lite_app
    check_gates(client.app)
    router = APIRouter(prefix="/api")

    @router.get("/ungated")
    def ungated() -> dict[str, str]:
        return {}

    client.app.include_router(router)
    with pytest.raises(RuntimeError, match="/api/ungated"):
        check_gates(client.app)


def test_a_refused_credential_reaches_the_login_page_without_a_loop(lite_app: Any) -> None:
    client, _city = lite_app
    wrong = {"Authorization": "Bearer wrong"}
    first = client.get("/", headers=wrong, follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"].startswith("/login")
    login = client.get(first.headers["location"], headers=wrong, follow_redirects=False)
    assert login.status_code == 200 and "password" in login.text
    # the JSON API still tells an integration that its token is wrong
    assert client.get("/api/dashboard", headers=wrong).status_code == 401
    assert client.get("/api/public/air", headers=wrong).status_code == 401
