"""A site page shows the site's latest data wherever it is, with a period and range picker (issue 14).

The test city's air station AIRA has daily means of June 2022 only (tests/web/conftest.py): four
years before the clock, so a window looking back from today would be empty (暂无监测数据).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from greenport.kernel.time import PeriodKind
from greenport.monitoring.model import Aggregate
from tests.web.conftest import bearer


def _charts(html: str) -> int:
    return len(re.findall(r'id="series-\d+"', html))


def test_site_page_shows_a_year_old_history_ending_at_the_sites_newest_data(lite_app: Any) -> None:
    client, city = lite_app
    headers = bearer(city, "city_admin")
    page = client.get(f"/sites/{city.ids['airA']}?period=day&range=1y", headers=headers)
    assert page.status_code == 200
    assert 'id="no-data"' not in page.text
    assert _charts(page.text) == 6  # so2, no2, co, o3_8h, pm10, pm2_5
    # the window ends just after the newest daily mean (30 June 2022, Beijing time)
    assert "2021-07-01 00:00 至 2022-07-01 00:00" in page.text
    # the picker: the other periods and ranges as links, the chosen ones in bold
    assert 'href="?period=hour&range=1y"' in page.text and 'href="?period=day&range=30d"' in page.text
    assert "<b>日均值</b>" in page.text and "<b>1年</b>" in page.text


def test_site_page_default_is_the_last_week_of_hourly_means_of_the_site(lite_app: Any) -> None:
    client, city = lite_app
    site = city.ids["airA"]
    newest = datetime(2022, 6, 30, 15, tzinfo=UTC)  # 23:00 Beijing time
    with client.app.state.container.uow() as uow:
        uow.monitoring.put_aggregates(
            [
                Aggregate(newest - timedelta(hours=h), site, PeriodKind.HOUR, "pm2_5", 20.0 + h, 60, True)
                for h in range(24 * 10)
            ]
        )
    page = client.get(f"/sites/{site}", headers=bearer(city, "city_admin"))
    assert page.status_code == 200 and _charts(page.text) == 1
    assert "2022-06-24 00:00 至 2022-07-01 00:00" in page.text
    # a chosen window of local dates
    page = client.get(
        f"/sites/{site}?period=hour&from=2022-06-21&to=2022-06-22", headers=bearer(city, "city_admin")
    )
    assert "2022-06-21 00:00 至 2022-06-23 00:00" in page.text and _charts(page.text) == 1
    # the same window through the API
    body = client.get(
        f"/api/sites/{site}/series?period=hour&days=2&end=2022-06-23T00:00:00%2B08:00",
        headers=bearer(city, "city_admin"),
    ).json()
    assert len(body["series"]["pm2_5"]["points"]) == 48
    latest = client.get(
        f"/api/sites/{site}/series?period=hour&days=1", headers=bearer(city, "city_admin")
    ).json()
    assert latest["end"] == "2022-06-30T16:00:00+00:00"
    assert len(latest["series"]["pm2_5"]["points"]) == 24


def test_site_page_refuses_a_window_it_cannot_draw(lite_app: Any) -> None:
    client, city = lite_app
    headers = bearer(city, "city_admin")
    site = city.ids["airA"]
    for query in (
        "period=minute",
        "range=5y",
        "period=raw&from=2022-01-01&to=2022-06-30",
        "from=2022-06-30&to=2022-06-01",
    ):
        response = client.get(f"/sites/{site}?{query}", headers=headers)
        assert response.status_code in (400, 422), query
