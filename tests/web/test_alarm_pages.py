"""The alarm pages on the test city's real alarms (``_seed_alarms``): the console in scope, the
acknowledge form with its CSRF token, the map's rings, the site page's panel; and, in a real
headless Chromium, a town officer acknowledging an alarm through the console."""

from __future__ import annotations

import re
from typing import Any

import pytest

from greenport.web import charts
from tests.web.conftest import PASSWORD, bearer
from tests.web.test_browser import CHROMIUM_ARGS, _login, live  # noqa: F401  (the live server fixture)


def _rows(html: str) -> set[int]:
    return {int(i) for i in re.findall(r'<tr data-alarm="(\d+)"', html)}


def test_console_lists_the_scope_filters_and_offers_forms_to_officers_only(lite_app: Any) -> None:
    client, city = lite_app
    town_a = {city.ids["alarm_out1"], city.ids["offline_out1"]}
    officer = client.get("/alarms", headers=bearer(city, "town_officer")).text
    assert _rows(officer) == town_a
    assert (
        'class="inline ack-form"' in officer and "烟气二氧化硫 SO₂" in officer and "实时超标预警" in officer
    )
    assert '<td id="count-open">2</td>' in officer
    admin = client.get("/alarms", params={"severity": "major"}, headers=bearer(city, "city_admin")).text
    assert _rows(admin) == {city.ids["offline_out1"], city.ids["offline_out2"]}
    department = client.get("/alarms", headers=bearer(city, "department")).text
    assert len(_rows(department)) == 4 and "ack-form" not in department  # reads, never acknowledges
    firm = client.get(f"/alarms/{city.ids['alarm_out1']}", headers=bearer(city, "enterprise")).text
    assert 'id="explanation-form"' in firm and 'id="ack-form"' not in firm
    assert (
        client.get(f"/alarms/{city.ids['alarm_out2']}", headers=bearer(city, "enterprise")).status_code == 404
    )
    assert client.get("/alarms", headers=bearer(city, "public")).status_code == 403
    assert client.get("/alarm-rules", headers=bearer(city, "bureau_analyst")).status_code == 200
    assert client.get("/alarm-rules", headers=bearer(city, "town_officer")).status_code == 403


def test_the_form_needs_the_csrf_token_and_then_acknowledges(lite_app: Any) -> None:
    client, city = lite_app
    client.get("/login")
    token = client.cookies.get("gp_csrf")
    login = client.post(
        "/login",
        data={"username": "grid_officer", "password": PASSWORD, "csrf_token": token, "next": "/"},
        follow_redirects=False,
    )
    assert login.status_code == 303
    token = client.cookies.get("gp_csrf")  # the log-in gives the session its own token
    alarm_id = city.ids["alarm_out1"]
    refused = client.post(f"/alarms/{alarm_id}/ack", data={"note": "无令牌"}, follow_redirects=False)
    assert refused.status_code == 403
    done = client.post(
        f"/alarms/{alarm_id}/ack", data={"note": "现场核查", "csrf_token": token}, follow_redirects=False
    )
    assert done.status_code == 303 and done.headers["location"] == f"/alarms/{alarm_id}"
    page = client.get(f"/alarms/{alarm_id}").text
    assert "grid_officer" in page and "现场核查" in page
    too_long = client.post(
        f"/alarms/{alarm_id}/silence",
        data={"until": "2099-01-01T00:00", "reason": "检修", "csrf_token": token},
        follow_redirects=False,
    )
    assert too_long.status_code == 422 and "until" in too_long.text


def test_the_map_rings_sites_with_open_alarms_and_the_site_page_lists_them(lite_app: Any) -> None:
    client, city = lite_app
    dashboard = client.get("/api/dashboard", headers=bearer(city, "town_officer")).json()
    assert set(dashboard["alarms"]["by_site"]) == {str(city.ids["out1"])}
    assert dashboard["alarms"]["open"] == 2
    page = client.get("/", headers=bearer(city, "town_officer")).text
    charts_json = re.search(
        r'<script type="application/json" class="gp-charts" id="live-charts">(.*?)</script>', page
    )
    assert charts_json is not None
    import json

    rings = json.loads(charts_json.group(1))["charts"]["map"]["series"][0]
    [ring] = rings["data"]
    assert ring["site_id"] == city.ids["out1"] and "实时超标预警 烟气二氧化硫 SO₂" in ring["name"]
    assert ring["itemStyle"]["borderColor"] == charts.SEVERITY_COLOURS["major"]  # offline is the worst
    site = client.get(f"/sites/{city.ids['out1']}", headers=bearer(city, "town_officer")).text
    panel = site[site.index('id="site-alarms"') :]
    assert {int(i) for i in re.findall(r'<li data-alarm="(\d+)"', panel)} == {
        city.ids["alarm_out1"],
        city.ids["offline_out1"],
    }
    assert 'id="site-state" data-state="offline"' in site


@pytest.mark.browser
def test_a_town_officer_acknowledges_an_alarm_in_a_real_browser(live: dict[str, Any]) -> None:  # noqa: F811
    from playwright.sync_api import sync_playwright

    base, city = live["base"], live["city"]  # the live city carries the test city's alarms
    alarm_id = city.ids["alarm_out1"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=live["chromium"], args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            _login(page, base, "town_officer")
            page.goto(f"{base}/alarms")
            row = page.locator(f"tr[data-alarm='{alarm_id}']")
            assert row.get_attribute("data-state") == "firing"
            assert page.locator(f"tr[data-alarm='{city.ids['alarm_out2']}']").count() == 0  # town B's
            page.wait_for_selector("#alarms-by-town canvas", timeout=20000)
            row.locator("input[name=note]").fill("已电话联系企业，正在排查")
            with page.expect_navigation():
                row.locator(".ack-form button").click()
            assert page.url.endswith("/alarms")
            assert page.locator(f"tr[data-alarm='{alarm_id}'] td.acked").inner_text() == "town_officer"
            page.click(f"tr[data-alarm='{alarm_id}'] a[href='/alarms/{alarm_id}']")
            page.wait_for_selector("#alarm-facts")
            assert "town_officer" in page.inner_text("#alarm-acked")
            assert "已电话联系企业，正在排查" in page.inner_text("#alarm-acked")
            assert page.locator("#alarm-events tr[data-event=acknowledged]").count() == 1
            page.wait_for_selector("#alarm-series canvas", timeout=20000)  # the series with its limit
            assert errors == []
        finally:
            browser.close()
