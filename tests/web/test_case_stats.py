"""Grid statistics on the small test grid (tests/cases/grid.py): the figures of a Beijing calendar
year per town, officer, cell and department, each row followed down to exactly the cases it
counts (``/cases?town=<code>&period=<year>``), within the caller's scope; bad periods named; the
page in Chinese with its map; an assessment's case indicator linked to its cases."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from greenport.cases import service as cases
from greenport.cases.model import CaseSource, Location
from greenport.kernel.errors import InvalidInput
from greenport.storage.db import Database
from greenport.storage.uow import UnitOfWork
from tests.cases.grid import OTHER_TOWN, TOWN
from tests.web.conftest import TOWN_A, City, bearer
from tests.web.test_cases_api import JPEG, WEST_POINT, Served, serve_grid

#: 2025-01-01 00:30 Beijing: in 2025 by the Beijing calendar, still 2024 in UTC.
NEW_YEAR_NIGHT = datetime(2024, 12, 31, 16, 30, tzinfo=UTC)
#: 2024-12-31 23:30 Beijing: the last hour of 2024.
OLD_YEAR_NIGHT = datetime(2024, 12, 31, 15, 30, tzinfo=UTC)


@dataclass
class StatsGrid:
    served: Served
    db: Database


def _open_at(db: Database, moment: datetime, description: str, point: Location = WEST_POINT) -> int:
    with UnitOfWork(db) as uow:
        return cases.open_case(
            uow,
            source=CaseSource.CITIZEN,
            category="odour",
            description=description,
            now=moment,
            location=point,
        ).id


def _with_year_boundary(db: Database, url: str) -> Iterator[StatsGrid]:
    for served in serve_grid(db, url):
        served.ids["new_year"] = _open_at(db, NEW_YEAR_NIGHT, "元旦凌晨异味")
        served.ids["old_year"] = _open_at(db, OLD_YEAR_NIGHT, "除夕前夜异味")
        yield StatsGrid(served, db)


@pytest.fixture
def stats_grid(db: Database, database_url: str) -> Iterator[StatsGrid]:
    yield from _with_year_boundary(db, database_url)


@pytest.fixture
def stats_pages(sqlite_url: str) -> Iterator[StatsGrid]:
    from greenport.storage.migrate import upgrade

    upgrade(sqlite_url)
    db = Database.from_url(sqlite_url)
    try:
        yield from _with_year_boundary(db, sqlite_url)
    finally:
        db.dispose()


def _close_west_case(s: Served) -> None:
    """The loop of the WEST case through the API at the served clock (closed the day it opened)."""
    case_id = s.ids["west"]
    version = 1
    steps: list[tuple[str, dict[str, Any], bool]] = [
        ("west1", {"action": "accept"}, False),
        ("west1", {"action": "start"}, False),
        ("west1", {"action": "submit", "note": "已整改", "lon": "120.2", "lat": "31.5"}, True),
        ("townofficer", {"action": "verify", "note": "属实"}, False),
        ("townofficer", {"action": "close", "note": "办结", "lon": "120.2", "lat": "31.5"}, True),
    ]
    for username, fields, with_photo in steps:
        response = s.client.post(
            f"/api/cases/{case_id}/actions",
            data={**fields, "version": str(version)},
            files=[("photos", ("scene.jpg", JPEG, "image/jpeg"))] if with_photo else None,
            headers=s.headers(username),
        )
        assert response.status_code == 200, response.text
        version = response.json()["version"]


def _groups(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {g["key"]: g for g in body["groups"]}


def _ids(body: dict[str, Any]) -> set[int]:
    return {row["id"] for row in body["data"]}


def test_a_towns_row_counts_the_beijing_year_and_links_to_exactly_its_cases(stats_grid: StatsGrid) -> None:
    s, ids = stats_grid.served, stats_grid.served.ids
    _close_west_case(s)
    body = s.client.get(
        "/api/cases/stats", params={"by": "town", "period": "2025"}, headers=s.headers("admin")
    )
    assert body.status_code == 200, body.text
    report = body.json()
    town = _groups(report)[TOWN]
    # west, east and the case opened at 00:30 on New Year's Day in Beijing (16:30 UTC the day before)
    assert town["received"] == 3 and town["closed"] == 1 and town["on_time_rate"] == 100.0
    assert town["reopened_share"] == 0.0 and town["town_code"] == TOWN
    assert town["overdue_open"] == 1  # the New Year's case, due in January, still open in March
    assert _groups(report)[OTHER_TOWN]["received"] == 1 and report["total"]["received"] == 4
    assert report["period"] == "2025" and report["since"] == "2024-12-31T16:00:00+00:00"
    assert town["cases_link"] == f"/cases?town={TOWN}&period=2025&status="
    # the cases behind the row: the API's list with the same filters, and the page the link opens
    behind = s.client.get(
        "/api/cases", params={"town_code": TOWN, "period": "2025"}, headers=s.headers("admin")
    ).json()
    assert _ids(behind) == {ids["west"], ids["east"], ids["new_year"]} and behind["count"] == town["received"]
    page = s.client.get(town["cases_link"], headers=s.headers("admin"))
    assert page.status_code == 200
    part = page.text.split('id="case-list"', 1)[1].split("</table>", 1)[0]
    assert {int(i) for i in re.findall(r'data-case="(\d+)"', part)} == _ids(behind)
    # the last hour of 2024 in Beijing belongs to 2024
    last_year = s.client.get(
        "/api/cases/stats", params={"by": "town", "period": "2024"}, headers=s.headers("admin")
    ).json()
    assert {k: g["received"] for k, g in _groups(last_year).items()} == {TOWN: 1}
    assert _ids(s.client.get("/api/cases", params={"period": "2024"}, headers=s.headers("admin")).json()) == {
        ids["old_year"]
    }
    # the department's cases: construction dust is the housing bureau's category
    housing = s.client.get(
        "/api/cases", params={"department": "市住房和城乡建设局"}, headers=s.headers("admin")
    ).json()
    assert _ids(housing) == {ids["east"]}
    by_department = _groups(
        s.client.get(
            "/api/cases/stats", params={"by": "department", "period": "2025"}, headers=s.headers("admin")
        ).json()
    )
    assert {k: g["received"] for k, g in by_department.items()} == {
        "市生态环境局": 3,
        "市住房和城乡建设局": 1,
    }
    assert by_department["市住房和城乡建设局"]["cases_link"] == (
        "/cases?department=%E5%B8%82%E4%BD%8F%E6%88%BF%E5%92%8C%E5%9F%8E%E4%B9%A1%E5%BB%BA%E8%AE%BE%E5%B1%80"
        "&period=2025&status="
    )


def test_each_caller_counts_only_the_cases_of_their_scope(stats_grid: StatsGrid) -> None:
    s = stats_grid.served

    def keys(username: str, by: str) -> set[str]:
        response = s.client.get(
            "/api/cases/stats", params={"by": by, "period": "2025"}, headers=s.headers(username)
        )
        assert response.status_code == 200, f"{username}: {response.text}"
        return set(_groups(response.json()))

    assert keys("townofficer", "town") == {TOWN}
    assert keys("othertown", "town") == {OTHER_TOWN}
    assert keys("eco", "department") == {"市生态环境局"}
    assert keys("housing", "department") == {"市住房和城乡建设局"}
    assert keys("east1", "cell") == {"G320582100202"}
    assert keys("west1", "officer") <= {"west1", "west2"}
    assert s.client.get("/api/cases/stats", headers=s.headers("firm")).status_code == 403
    assert s.client.get("/api/cases/stats").status_code == 401


def test_a_bad_period_or_grouping_is_named(stats_grid: StatsGrid) -> None:
    s = stats_grid.served
    for path in ("/api/cases/stats", "/api/cases"):
        for period in ("25", "2025-Q1", "1899"):
            refused = s.client.get(path, params={"period": period}, headers=s.headers("admin"))
            assert refused.status_code == 422, (path, period)
            assert refused.json()["field"] == "period" and "calendar year" in refused.json()["error"]
    grouping = s.client.get("/api/cases/stats", params={"by": "village"}, headers=s.headers("admin"))
    assert grouping.status_code == 422
    for path in ("/cases", "/cases/stats"):
        page = s.client.get(path, params={"period": "last year"}, headers=s.headers("admin"))
        assert page.status_code == 422 and "period" in page.text, path
    with UnitOfWork(stats_grid.db) as uow, pytest.raises(InvalidInput) as refused_here:
        cases.list_cases(uow, principal=_admin(stats_grid), now=NEW_YEAR_NIGHT, period="2025-13")
    assert refused_here.value.field == "period"


def _admin(grid: StatsGrid) -> Any:
    from greenport.accounts import service as accounts

    with UnitOfWork(grid.db) as uow:
        return accounts.principal_of(uow, accounts.get_user(uow, username="admin"))


def test_the_stats_page_in_chinese_with_its_map_and_the_current_beijing_year(stats_pages: StatsGrid) -> None:
    s = stats_pages.served
    _close_west_case(s)
    page = s.client.get("/cases/stats", headers=s.headers("townofficer"))
    assert page.status_code == 200
    assert "网格工单统计 · 2025" in page.text and "按时办结率" in page.text
    assert 'href="/cases/stats"' in page.text  # in the menu
    rows = re.findall(r'<tr data-key="(\w+)"><td><a href="([^"]+)">([^<]+)</a>', page.text)
    assert rows == [(TOWN, f"/cases?town={TOWN}&amp;period=2025&amp;status=", "金港镇")]
    assert '<td class="on-time">100.0 %</td>' in page.text
    charts = json.loads(page.text.split('class="gp-charts">', 1)[1].split("</script>", 1)[0])
    town_map = charts["charts"]["stats-map"]["series"][0]
    assert town_map["type"] == "map" and town_map["data"] == [{"name": "金港镇", "value": 100.0}]
    assert [f["properties"]["name"] for f in next(iter(charts["maps"].values()))["features"]] == ["金港镇"]
    officers = s.client.get("/cases/stats", params={"by": "officer"}, headers=s.headers("townofficer"))
    assert 'data-by="officer"' in officers.text and ">west1</a>" in officers.text
    english = s.client.get("/cases/stats", params={"lang": "en"}, headers=s.headers("eco"))
    assert "Grid statistics · 2025" in english.text and "On-time closure rate" in english.text
    # the year of the app's clock in Beijing: 00:30 on New Year's Day is already the new year
    s.now[0] = datetime(2025, 12, 31, 16, 30, tzinfo=UTC)
    s.client.cookies.clear()  # the English page kept its language in a cookie
    assert "网格工单统计 · 2026" in s.client.get("/cases/stats", headers=s.headers("admin")).text
    assert s.client.get("/cases/stats", headers=s.headers("firm")).status_code == 403


def test_an_assessments_case_indicator_links_to_the_towns_cases(lite_app: tuple[Any, City]) -> None:
    client, city = lite_app
    page = client.get(
        f"/assessments/runs/{city.ids['run']}/units/{TOWN_A}", headers=bearer(city, "city_admin")
    )
    assert page.status_code == 200
    links = re.findall(r'class="cases-link" href="([^"]+)"', page.text)
    # grid_case_on_time_rate and grid_case_satisfaction, of the run's year
    assert links == [f"/cases?town={TOWN_A}&amp;period=2021&amp;status="] * 2
    followed = client.get(links[0].replace("&amp;", "&"), headers=bearer(city, "city_admin"))
    assert followed.status_code == 200 and 'id="case-list"' in followed.text


def test_a_departments_case_indicator_links_to_the_departments_cases(lite_app: tuple[Any, City]) -> None:
    from greenport.assessments import service as assessments
    from greenport.demo.assessments import demo_values

    client, city = lite_app
    with client.app.state.container.uow() as uow:
        values = demo_values("department_eco_performance", "2022")
        assessments.record_values(uow, system_id="department_eco_performance", period="2022", values=values)
        run = assessments.run_assessment(uow, system_id="department_eco_performance", period="2022")
    page = client.get(f"/assessments/runs/{run.id}/units/市生态环境局", headers=bearer(city, "city_admin"))
    assert page.status_code == 200
    links = re.findall(r'class="cases-link" href="([^"]+)"', page.text)
    assert links == [
        "/cases?department=%E5%B8%82%E7%94%9F%E6%80%81%E7%8E%AF%E5%A2%83%E5%B1%80&amp;period=2022&amp;status="
    ]
