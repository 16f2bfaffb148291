"""One error shape on every error path; page contexts match their templates; CSRF; log-in limits."""

from __future__ import annotations

import dataclasses
import re
from types import SimpleNamespace
from typing import Any

from greenport.web import i18n
from greenport.web.pages import alarms, assessments, base, dashboard, monitoring, public, registry, reports
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
    "alarms.html": alarms.AlarmsContext,
    "alarm.html": alarms.AlarmContext,
    "alarm_rules.html": alarms.AlarmRulesContext,
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


def _error_text(page: Any) -> tuple[str, str]:
    message = re.search(r'<p class="error" id="error-message"[^>]*>(.*?)</p>', page.text, re.S)
    field = re.search(r'<p class="muted" id="error-field">(.*?)</p>', page.text, re.S)
    return (message.group(1) if message else "", field.group(1) if field else "")


def test_error_pages_explain_in_the_page_language(lite_app: Any) -> None:
    """403, 404 and 422 pages say what happened in the page's language (not the developer's
    English message), keeping only the field to mend."""
    client, _city = lite_app
    assert _login(client, "bureau_analyst", PASSWORD).status_code == 303
    cases = {
        403: ("/devices", "您无权打开此页面", "You are not allowed to open this page"),
        404: ("/no/such/page", "不存在", "does not exist"),
        422: ("/sites/abc", "输入有误", "Some input is invalid"),
    }
    for status, (path, chinese, english) in cases.items():
        zh = client.get(path, params={"lang": "zh"})
        assert zh.status_code == status, path
        message, field = _error_text(zh)
        assert chinese in message and not re.search(r"[A-Za-z]{3,}", message), (path, message)
        en = client.get(path, params={"lang": "en"})
        message_en, field_en = _error_text(en)
        assert english in message_en and not re.search(r"[\u4e00-\u9fff]", message_en), (path, message_en)
        if status == 422:
            assert "字段" in field and "site_id" in field and "site_id" in field_en, (field, field_en)
    assert "Not Found" not in client.get("/no/such/page", params={"lang": "zh"}).text


def test_pages_show_figures_rounded_as_the_field_reports_them() -> None:
    """AQI integers, PM2.5 in whole µg/m³, CO to 0.1 mg/m³, ratios to 0.1 %: never 35.4999."""
    data = {
        "geojson": {"type": "FeatureCollection", "features": []},
        "sites": [
            {
                "id": 1, "code": "airA", "name": "点位A", "kind": "air_station", "state": "over_limit",
                "lon": 120.5, "lat": 31.9, "aqi": 51.0,
                "exceedances": [
                    {"parameter": "co", "value": 1.2499999, "limit": 1.0, "unit": "mg/m³", "standard": "",
                     "averaging": "hour"},
                ],
            }
        ],
        "counts": {"normal": 0, "over_limit": 1, "offline": 0},
        "current": {"aqi": 51.0, "hour": "2026-06-01T10:00:00+08:00", "category_zh": "良", "category_en": "Moderate"},
        "water": [],
        "year": {"good_day_ratio": 82.44999, "good_day_target": 83.6, "pm2_5_mean": 35.4999, "pm2_5_target": 35.0,
                 "start": "2026-01-01", "end": "2026-06-01"},
        "generated_at": "2026-06-01T10:05:00+08:00",
        "data_until": "2026-06-01T10:00:00+08:00",
        "alarms": {"open": 0, "by_severity": {}, "newest": [], "by_site": {}},
    }  # fmt: skip
    templates = base.templates()
    with i18n.language("zh"):
        html = templates.get_template("_dashboard_live.html").render(
            ctx=dashboard._context(data, "zh"), chrome=SimpleNamespace(lang="zh")
        )
    assert 'id="kpi-aqi">51<' in html
    assert 'id="kpi-pm25">35<' in html and "35.4999" not in html
    assert 'id="kpi-good">82.4%<' in html and "82.44999" not in html
    assert "1.2 &gt; 1.0 mg/m³" in html and "1.2499999" not in html
    charts_json = dashboard._context(data, "zh")
    assert charts_json.pm25_chart["series"][0]["data"] == [35]
    assert charts_json.good_days_chart["series"][0]["data"] == [82.4]
