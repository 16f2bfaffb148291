"""The city's air figures (``monitoring.city_air``), worked out by hand, and the same figures from
the stored daily values whichever caller reads them (reports or the monitoring summary).

Two stations, four local days of June 2022, PM2.5 daily values [µg/m³]:

    day 1: A 30, B 50          -> city 40   (IAQI 57, good)
    day 2: A 100, B none       -> city 100  (IAQI 132, not good)
    day 3: A 500 but invalid   -> no city value: not a day, not a valid day (HJ 663-2013 §5.3)
    day 4: A 10, B 30          -> city 20   (IAQI 29, good)

Good-air-day ratio 2 of 3 valid days; the period mean is the mean of the city's daily values
(40 + 100 + 20) / 3 = 53.33, not the mean of the stations' means ((46.67 + 40) / 2 = 43.33).
"""

from __future__ import annotations

from datetime import date

import pytest

from greenport.kernel.time import PeriodKind, local_day_bounds
from greenport.monitoring.city_air import (
    city_air_figures,
    city_daily_means,
    valid_daily_values,
)
from greenport.monitoring.model import Aggregate
from greenport.reports import service as reports
from greenport.storage.db import Database
from greenport.storage.uow import UnitOfWork
from tests.ingest.conftest import populate

FIRST, LAST = date(2022, 6, 1), date(2022, 6, 4)
#: (station, day of June, PM2.5 [µg/m³], valid)
VALUES = (
    ("A", 1, 30.0, True),
    ("B", 1, 50.0, True),
    ("A", 2, 100.0, True),
    ("A", 3, 500.0, False),
    ("A", 4, 10.0, True),
    ("B", 4, 30.0, True),
)


def daily_aggregates(site_ids: dict[str, int]) -> list[Aggregate]:
    return [
        Aggregate(
            local_day_bounds(date(2022, 6, day))[0],
            site_ids[station],
            PeriodKind.DAY,
            "pm2_5",
            value,
            24,
            valid,
        )
        for station, day, value, valid in VALUES
    ]


def test_city_figures_by_hand() -> None:
    daily = city_daily_means(valid_daily_values(daily_aggregates({"A": 1, "B": 2})))
    assert daily == {
        date(2022, 6, 1): {"pm2_5": 40.0},
        date(2022, 6, 2): {"pm2_5": 100.0},
        date(2022, 6, 4): {"pm2_5": 20.0},
    }
    figures = city_air_figures(daily, start=FIRST, end=LAST)
    assert [d.aqi for d in figures.days] == [57, 132, 29]
    assert (figures.good_days, figures.valid_days) == (2, 3)
    assert figures.good_day_ratio == pytest.approx(200 / 3)
    assert figures.pm2_5_mean == pytest.approx(160 / 3)
    assert city_air_figures(daily, start=date(2022, 6, 3), end=date(2022, 6, 3)).good_day_ratio is None


def test_reports_and_the_monitoring_summary_read_the_same_figures(db: Database) -> None:
    """The bulletin's statistics (``reports.service.air_summary``) and the path the yearly
    summary takes (stored daily aggregates -> ``city_air``) give the same figures, on both engines."""
    devices = populate(db)
    site_ids = {"A": devices["GPAIR01"][1], "B": devices["GPAIR02"][1]}
    with UnitOfWork(db) as uow:
        uow.monitoring.put_aggregates(daily_aggregates(site_ids))
    start, _ = local_day_bounds(FIRST)
    _, end = local_day_bounds(LAST)
    with UnitOfWork(db) as uow:
        published = reports.air_summary(
            uow, air_sites=[{"id": i} for i in site_ids.values()], start=FIRST, end=LAST
        )
        stored = uow.monitoring.aggregates(
            start=start, end=end, period=PeriodKind.DAY, site_ids=site_ids.values()
        )
        figures = city_air_figures(city_daily_means(valid_daily_values(stored)), start=FIRST, end=LAST)
    assert (published.good_days, published.valid_days) == (figures.good_days, figures.valid_days) == (2, 3)
    assert published.good_day_ratio == 66.7 and figures.good_day_ratio is not None
    assert published.good_day_ratio == round(figures.good_day_ratio, 1)
    assert figures.pm2_5_mean == pytest.approx(160 / 3) and published.pm2_5_mean == 53.3
