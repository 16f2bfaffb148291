"""The dashboard's figures (``reports.dashboard``) on the test city, on SQLite and PostgreSQL.

The city (tests/web/conftest.py) has June 2022 daily data only (no observation, so every site
is offline): at 23:00 local on 30 June the year so far is June, whose figures the bulletin test
works out by hand (17 good days of 30, 56.7 %, PM2.5 35.5 µg/m³); water section WATERA is class
II on 20 days and IV on 10 (target III).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from datetime import UTC, datetime
from typing import Any

from greenport.accounts.model import CITY, DISCLOSED, RowScope
from greenport.kernel.time import PeriodKind
from greenport.monitoring.model import Aggregate, IndexKind, IndexValue
from greenport.reports import dashboard
from greenport.targets.service import target_values
from tests.web.conftest import TOWN_A

NOW = datetime(2022, 6, 30, 15, tzinfo=UTC)  # 23:00 in Zhangjiagang


class CountingCache:
    """A statistics cache that keeps values for ever and counts the computations."""

    def __init__(self) -> None:
        self.values: dict[Hashable, Any] = {}
        self.computed = 0

    def get_or_compute(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        if key not in self.values:
            self.computed += 1
            self.values[key] = compute()
        return self.values[key]


def test_city_wide_dashboard_shows_the_bulletins_figures(city_app: Any) -> None:
    client, _city = city_app
    with client.app.state.container.uow() as uow:
        doc = dashboard.dashboard(uow, scope=CITY, now=NOW)
    targets = target_values()
    assert doc["year"] == {
        "year": 2022,
        "start": "2022-01-01",
        "end": "2022-06-30",
        "valid_days": 30,
        "good_days": 17,
        "good_day_ratio": 56.7,
        "good_day_target": targets.get("good_air_day_ratio"),
        "pm2_5_mean": 35.5,
        "pm2_5_target": targets.get("pm2_5_annual_mean"),
    }
    assert [(w["code"], w["actual_class"], w["meets"]) for w in doc["water"]] == [("WATERA", 2, True)]
    assert doc["counts"] == {"normal": 0, "over_limit": 0, "offline": 5}  # no site has observations
    assert {s["code"]: s["state"] for s in doc["sites"]}["AIRA"] == "offline"
    assert {t["name"] for t in doc["towns"]} == {"杨舍镇", "塘桥镇"}
    assert {p["code"] for p in doc["parks"]} == {"P1", "P2"}
    assert [f["properties"]["kind"] for f in doc["geojson"]["features"]] == ["town", "town"]
    assert doc["data_until"] == "2022-06-30T23:00+08:00"  # no hourly data: the clock's time
    assert doc["current"] is None and doc["city"]["name"] == "张家港市"


def test_scopes_narrow_sites_and_parks(city_app: Any) -> None:
    client, _city = city_app
    with client.app.state.container.uow() as uow:
        town = dashboard.dashboard(uow, scope=RowScope(town_codes=frozenset({TOWN_A})), now=NOW)
        public = dashboard.dashboard(uow, scope=DISCLOSED, now=NOW)
    assert {s["code"] for s in town["sites"]} == {"AIRA", "WATERA", "OUT1"}
    assert {t["code"] for t in town["towns"]} == {TOWN_A}
    assert town["year"]["good_days"] == 17  # the town's own station has the same values
    assert {s["code"] for s in public["sites"]} == {"AIRA", "AIRB", "WATERA"}
    assert public["parks"] == [] and len(public["towns"]) == 2  # every outline, no park


def test_statistics_are_computed_once_per_scope_and_day(city_app: Any) -> None:
    client, _city = city_app
    cache = CountingCache()
    with client.app.state.container.uow() as uow:
        first = dashboard.dashboard(uow, scope=CITY, now=NOW, statistics_cache=cache)
        again = dashboard.dashboard(uow, scope=CITY, now=NOW, statistics_cache=cache)
        dashboard.dashboard(uow, scope=DISCLOSED, now=NOW, statistics_cache=cache)
    assert cache.computed == 2
    assert first["year"] == again["year"] and first["water"] == again["water"]


def test_data_reference_time_follows_the_newest_stored_hour(city_app: Any) -> None:
    """Statistics of a data set that stops before now describe the data's own year."""
    client, city = city_app
    hour = datetime(2022, 6, 30, 2, tzinfo=UTC)  # newer than the stored daily indices
    sites = [{"id": city.ids["airA"]}]
    with client.app.state.container.uow() as uow:
        assert dashboard.data_reference_time(uow, sites=sites, now=NOW) == NOW  # no hourly data yet
        before = dashboard.data_generation(uow)
        uow.monitoring.put_aggregates(
            [Aggregate(hour, city.ids["airA"], PeriodKind.HOUR, "pm2_5", 30.0, 60, True)]
        )
        uow.monitoring.put_indices(
            [IndexValue(hour, city.ids["airA"], PeriodKind.HOUR, IndexKind.AQI, 43.0, "优", "{}")]
        )
    with client.app.state.container.uow() as uow:
        assert dashboard.data_reference_time(uow, sites=sites, now=NOW) == datetime(
            2022, 6, 30, 2, 59, 59, 999999, tzinfo=UTC
        )
        assert dashboard.data_generation(uow) != before  # a new index moves the generation
