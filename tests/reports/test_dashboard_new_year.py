"""The dashboard and 信息公开 across a midnight and a new year with live data (issue 14).

The live simulator stores each hour as it comes; at midnight Beijing time on 1 January 2027 the
first hour of the year is stored incomplete and marked invalid (GB 3095-2012 Table 4). A screen
must keep showing the latest period that has valid data (31 December 2026, 23:00, and the year
2026), name it, and move to the new day or year only once that has valid data of its own.
The clock is injected (``now``); the data are the test city's two air stations (tests/web/conftest.py).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from greenport.accounts.model import ANONYMOUS, CITY, DISCLOSED
from greenport.kernel.time import CHINA_TZ, PeriodKind, local_day_bounds
from greenport.monitoring.model import Aggregate
from greenport.reports import dashboard
from greenport.web.api.public import public_air
from greenport.web.pages import dashboard as dashboard_page
from greenport.web.pages.base import page_chrome, render_bytes

#: Hourly means of a clean winter night [µg/m³; CO mg/m³]: AQI 50-ish, a good day.
HOURLY = {"pm2_5": 30.0, "pm10": 50.0, "so2": 8.0, "no2": 25.0, "co": 0.6, "o3": 40.0}
DAILY = {"pm2_5": 30.0, "pm10": 50.0, "so2": 8.0, "no2": 25.0, "co": 0.6, "o3_8h": 60.0}
NEW_YEAR = datetime(2027, 1, 1, tzinfo=CHINA_TZ)


def _local(text: str) -> datetime:
    """A Beijing wall-clock time as aware UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=CHINA_TZ).astimezone(UTC)


def _hour(site_ids: list[int], start: datetime, *, valid: bool = True) -> list[Aggregate]:
    n_values = 60 if valid else 12  # an incomplete first hour: 12 minutes of data
    return [
        Aggregate(start.astimezone(UTC), site, PeriodKind.HOUR, parameter, value, n_values, valid)
        for site in site_ids
        for parameter, value in HOURLY.items()
    ]


def _day(site_ids: list[int], day: date, *, valid: bool = True) -> list[Aggregate]:
    start, _ = local_day_bounds(day)
    return [
        Aggregate(start, site, PeriodKind.DAY, parameter, value, 24 if valid else 1, valid)
        for site in site_ids
        for parameter, value in DAILY.items()
    ]


def _store_december_and_the_first_invalid_hour(uow: Any, site_ids: list[int]) -> None:
    aggregates: list[Aggregate] = []
    for day in range(1, 32):
        aggregates += _day(site_ids, date(2026, 12, day))
    for hour in range(48):  # 30 and 31 December, every hour valid
        aggregates += _hour(site_ids, NEW_YEAR - timedelta(hours=48 - hour))
    aggregates += _hour(site_ids, NEW_YEAR, valid=False)  # 00:00-01:00 of 1 January, incomplete
    aggregates += _day(site_ids, date(2027, 1, 1), valid=False)  # the new day has one hour so far
    uow.monitoring.put_aggregates(aggregates)


def _assert_shows(doc: dict[str, Any], *, hour: str, year: int, end: str, valid_days: int) -> None:
    assert doc["current"] is not None and doc["current"]["aqi"] is not None, "no current AQI"
    assert doc["current"]["hour"] == hour
    assert doc["year"]["year"] == year
    assert doc["year"]["start"] == f"{year}-01-01" and doc["year"]["end"] == end
    assert doc["year"]["valid_days"] == valid_days
    assert doc["year"]["good_day_ratio"] == 100.0 and doc["year"]["pm2_5_mean"] == 30.0


@pytest.mark.parametrize(
    "clock",
    ["2027-01-01 00:10", "2027-01-01 00:59", "2027-01-01 01:30", "2027-01-01 12:00"],
)
def test_the_invalid_first_hour_of_the_year_does_not_empty_the_dashboard(city_app: Any, clock: str) -> None:
    client, city = city_app
    air = [city.ids["airA"], city.ids["airB"]]
    with client.app.state.container.uow() as uow:
        _store_december_and_the_first_invalid_hour(uow, air)
    # a new unit of work each time: what a restarted server computes
    with client.app.state.container.uow() as uow:
        doc = dashboard.dashboard(uow, scope=CITY, now=_local(clock))
        public = public_air(uow, now=_local(clock))
    _assert_shows(doc, hour="2026-12-31T23:00:00+08:00", year=2026, end="2026-12-31", valid_days=31)
    assert doc["data_until"] == "2026-12-31T23:59+08:00"
    assert public["year"]["start"] == "2026-01-01" and public["year"]["end"] == "2026-12-31"
    assert public["year"]["valid_days"] == 31 and public["year"]["good_day_ratio"] == 100.0
    assert public["last_30_days"]["end"] == "2026-12-31" and public["last_30_days"]["valid_days"] > 0


def test_the_dashboard_moves_to_the_new_hour_and_year_once_they_have_valid_data(city_app: Any) -> None:
    client, city = city_app
    air = [city.ids["airA"], city.ids["airB"]]
    with client.app.state.container.uow() as uow:
        _store_december_and_the_first_invalid_hour(uow, air)
        uow.monitoring.put_aggregates(_hour(air, NEW_YEAR + timedelta(hours=1)))  # 01:00, complete
    with client.app.state.container.uow() as uow:
        doc = dashboard.dashboard(uow, scope=DISCLOSED, now=_local("2027-01-01 02:10"))
    # the newest valid hour is the new year's; the year's statistics stay 2026's (no valid day yet)
    _assert_shows(doc, hour="2027-01-01T01:00:00+08:00", year=2026, end="2026-12-31", valid_days=31)

    with client.app.state.container.uow() as uow:
        uow.monitoring.put_aggregates(_day(air, date(2027, 1, 1)))  # the day is complete
    with client.app.state.container.uow() as uow:
        doc = dashboard.dashboard(uow, scope=CITY, now=_local("2027-01-02 00:30"))
    _assert_shows(doc, hour="2027-01-01T01:00:00+08:00", year=2027, end="2027-01-01", valid_days=1)


def test_the_live_part_names_the_period_and_never_draws_a_missing_aqi_as_zero(city_app: Any) -> None:
    client, city = city_app
    air = [city.ids["airA"], city.ids["airB"]]
    templates = client.app.state.templates
    frame = page_chrome(ANONYMOUS, "zh", "/fragments/dashboard")
    with client.app.state.container.uow() as uow:
        empty = dashboard.dashboard(uow, scope=CITY, now=_local("2027-01-01 00:30"))
        _store_december_and_the_first_invalid_hour(uow, air)
    no_data = dashboard_page._context(empty, "zh")
    gauge = no_data.gauge_chart["series"][0]
    assert gauge["data"][0]["value"] is None and gauge["pointer"]["show"] is False
    assert gauge["detail"]["formatter"] == "—"
    html = render_bytes(templates, "_dashboard_live.html", no_data, frame).decode()
    assert "—%" not in html

    with client.app.state.container.uow() as uow:
        doc = dashboard.dashboard(uow, scope=CITY, now=_local("2027-01-01 00:30"))
    ctx = dashboard_page._context(doc, "zh")
    assert ctx.gauge_chart["series"][0]["data"][0]["value"] == doc["current"]["aqi"]
    html = render_bytes(templates, "_dashboard_live.html", ctx, frame).decode()
    assert '<span id="aqi-hour">2026-12-31 23:00</span>' in html
    assert "2026-01-01 至 2026-12-31" in html
    assert 'id="kpi-good">100.0%<' in html


def test_the_last_30_days_are_30_days_ending_with_the_statistics_day(city_app: Any) -> None:
    """信息公开's "last 30 days" of a December with 31 valid days: 2 to 31 December, 30 days
    (today − 30 through today would be 31)."""
    client, city = city_app
    air = [city.ids["airA"], city.ids["airB"]]
    with client.app.state.container.uow() as uow:
        _store_december_and_the_first_invalid_hour(uow, air)
    with client.app.state.container.uow() as uow:
        recent = public_air(uow, now=_local("2027-01-01 12:00"))["last_30_days"]
    assert (recent["start"], recent["end"]) == ("2026-12-02", "2026-12-31")
    assert recent["valid_days"] == 30 and len(recent["days"]) == 30
    assert dashboard.recent_days(date(2026, 3, 1)) == (date(2026, 1, 31), date(2026, 3, 1))
