"""The reports page (报告): choose a month/year and a format, download through /api/reports."""

from __future__ import annotations

import io
import re
from typing import Any

from openpyxl import load_workbook

from tests.web.conftest import PASSWORD, bearer


def _login(client: Any, username: str) -> None:
    client.get("/login")
    response = client.post(
        "/login",
        data={
            "username": username,
            "password": PASSWORD,
            "csrf_token": client.cookies.get("gp_csrf"),
            "next": "/",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303


def test_a_bureau_user_downloads_the_bulletin_from_the_reports_page(lite_app: Any) -> None:
    client, _city = lite_app
    _login(client, "bureau_analyst")
    home = client.get("/").text
    assert 'href="/reports"' in home and "报告" in home  # in the menu
    page = client.get("/reports")
    assert page.status_code == 200
    html = page.text
    assert "环境质量月报" in html and "生态成绩单" in html
    assert 'action="/api/reports/bulletin"' in html and 'action="/api/reports/scorecard"' in html
    assert 'name="month" required value="2022-06"' in html  # the latest month with data, preselected
    assert re.findall(r'<option value="(\w+)">', html) == ["pdf", "xlsx", "docx"] * 2
    # what the browser sends when the form is submitted: the cookie session and a GET of the route
    document = client.get("/api/reports/bulletin", params={"month": "2022-06", "format": "xlsx"})
    assert document.status_code == 200
    assert 'filename="bulletin-2022-06.xlsx"' in document.headers["content-disposition"]
    assert "主要污染物浓度及同比" in load_workbook(io.BytesIO(document.content)).sheetnames
    english = client.get("/reports?lang=en").text
    assert "Monthly environmental quality bulletin" in english and "环境质量月报" not in english


def test_the_page_has_the_gate_of_the_report_routes(lite_app: Any) -> None:
    """Who may not have the reports neither sees the menu entry nor opens the page."""
    client, city = lite_app
    for role in ("enterprise", "park_department", "town_officer"):
        api = client.get("/api/reports/bulletin", params={"month": "2022-06"}, headers=bearer(city, role))
        page = client.get("/reports", headers=bearer(city, role))
        home = client.get("/", headers=bearer(city, role))
        assert api.status_code == page.status_code == 403, role
        assert 'href="/reports"' not in home.text, role
    ok = client.get("/reports", headers=bearer(city, "bureau_analyst"))
    assert ok.status_code == 200
