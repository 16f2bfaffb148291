"""Every role lands on a page it can use, and an enterprise user gets its own firm's dashboard (issue 14).

Landing pages come from the menu's one gate table (``web/pages/base.py`` MENU): the public role
lands on 信息公开, an enterprise user on its own dashboard, the staff on the city's map.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from greenport.kernel.time import PeriodKind
from greenport.monitoring.model import Aggregate
from greenport.storage.registry import SiteRow
from tests.web.conftest import PASSWORD, ROLES, bearer

LANDING = {"public": "/public", "enterprise": "/my-firm"}


def _nav_links(html: str) -> list[str]:
    nav = re.search(r"<nav.*?</nav>", html, re.S)
    assert nav is not None
    return re.findall(r'href="(/[^"?]*)"', nav.group(0))


@pytest.mark.parametrize("role", ROLES)
def test_every_role_lands_on_a_page_it_can_use_and_every_menu_link_opens(lite_app: Any, role: str) -> None:
    client, city = lite_app
    home = client.get("/", headers=bearer(city, role))
    assert home.status_code == 200, f"{role}: {home.status_code}"
    assert home.url.path == LANDING.get(role, "/")
    for link in _nav_links(home.text):
        if link in ("/login", "/logout"):
            continue
        page = client.get(link, headers=bearer(city, role))
        assert page.status_code == 200, f"{role} is offered {link}, which answers {page.status_code}"


def test_the_public_role_logs_in_and_lands_on_the_public_page(lite_app: Any) -> None:
    client, _city = lite_app
    form = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    landed = client.post(
        "/login", data={"username": "public", "password": PASSWORD, "csrf_token": token.group(1), "next": "/"}
    )
    assert landed.status_code == 200 and landed.url.path == "/public"
    assert 'id="public-good"' in landed.text


def test_the_enterprise_dashboard_shows_its_outlets_against_their_limits(lite_app: Any) -> None:
    client, city = lite_app
    out1 = city.ids["out1"]
    hour = datetime(2022, 6, 30, 14, tzinfo=UTC)  # 22:00 Beijing time
    with client.app.state.container.uow() as uow:
        # a sintering machine head under steel ultra-low emission (环大气〔2019〕35号: SO2 35 mg/m³)
        uow.session.execute(
            update(SiteRow)
            .where(SiteRow.id == out1)
            .values(emission_standard="steel_ultra_low", process="sintering_head")
        )
        uow.monitoring.put_aggregates(
            [
                Aggregate(hour - timedelta(hours=1), out1, PeriodKind.HOUR, "flue_so2", 20.0, 60, True),
                Aggregate(hour, out1, PeriodKind.HOUR, "flue_so2", 41.0, 60, True),
                Aggregate(hour, out1, PeriodKind.HOUR, "flue_nox", 30.0, 60, True),
            ]
        )
    page = client.get("/my-firm", headers=bearer(city, "enterprise"))
    assert page.status_code == 200
    html = page.text
    assert '<h1 id="firm-name">企业e1' in html
    assert 'data-site="OUT1"' in html and 'data-site="OUT2"' not in html  # only its own outlets
    assert "化工园" not in html and "高新园" not in html  # no park drawn
    so2 = re.search(
        r'<tr class="over"><td>烟气二氧化硫 SO₂</td><td>2022-06-30 22:00</td><td>41 mg/m³</td>\s*<td>35 mg/m³</td>',
        html,
    )
    assert so2 is not None, "the newest SO2 mean (by name, not code) over its 35 mg/m³ limit"
    assert re.search(r"<tr><td>烟气氮氧化物 NOₓ</td>.*?<td>30 mg/m³</td>\s*<td>50 mg/m³</td>", html, re.S)
    # its own open alarms (the test city's exceedance and offline alarms at OUT1), not firm e2's
    shown = {int(i) for i in re.findall(r'<li data-alarm="(\d+)"', html)}
    assert shown == {city.ids["alarm_out1"], city.ids["offline_out1"]}
    assert 'id="count-alarms">2<' in html
    # the demo's per-mu run has not been stored in the test city: no class is made up
    assert 'id="no-evaluation"' in html and 'id="firm-class"' not in html
    # staff may not open it; the enterprise may not open the city's map
    assert client.get("/my-firm", headers=bearer(city, "bureau_analyst")).status_code == 403
    assert client.get("/", headers=bearer(city, "enterprise"), follow_redirects=False).status_code == 303
