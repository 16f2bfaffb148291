"""The demo's air year is plausible for the Yangtze delta and keeps its calibration.

June-August is the plum-rain season and summer: PM2.5 is the year's lowest and O3 is the summer
pollutant, so no city day of June-August may be a heavy-pollution day by PM2.5 (IAQI > 200, i.e. a
daily mean above 150 µg/m³, HJ 633-2012 Table 1). The whole year is generated in memory exactly as
the demo stage generates it (fast mode stores only a few January days), for the demo city's own
stations, and judged with the platform's own city-day statistics.
"""

from __future__ import annotations

import warnings
from datetime import date, timedelta
from typing import Any

import numpy as np

from greenport.demo import monitoring as demo_air
from greenport.monitoring.city_air import city_air_figures
from greenport.standards import aqi as aqi_std

SUMMER = (6, 7, 8)


def _city_days(demo_city: Any) -> tuple[dict[date, dict[str, float]], dict[str, float]]:
    _container, ctx, _summary = demo_city
    with ctx.uow() as uow:
        sites = uow.monitoring.sites()
    by_kind: dict[str, list[int]] = {}
    for site_id in sorted(demo_air._first_device(ctx.devices)):
        if site_id in sites:
            by_kind.setdefault(sites[site_id].kind, []).append(site_id)
    air_ids, city_rows = demo_air.air_station_layout(by_kind, sites)
    hourly, calibration = demo_air.calibrated_air(len(air_ids), city_rows, ctx.reference_year, ctx.seed)
    days = hourly["pm2_5"].shape[1] // 24
    daily = demo_air._daily_statistics({k: v[city_rows] for k, v in hourly.items()}, days)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the outage days: no station, NaN
        city = {key: np.nanmean(values, axis=0) for key, values in daily.items()}
    first = date(ctx.reference_year, 1, 1)
    by_day: dict[date, dict[str, float]] = {}
    for d in range(days):
        values = {key: float(v[d]) for key, v in city.items() if not np.isnan(v[d])}
        if values:
            by_day[first + timedelta(days=d)] = values
    return by_day, calibration


def test_no_heavy_pm25_day_in_summer_and_the_calibration_holds(demo_city: Any) -> None:
    daily, calibration = _city_days(demo_city)
    summer_heavy = [
        (day, c["pm2_5"])
        for day, c in daily.items()
        if day.month in SUMMER and (aqi_std.iaqi("pm2_5", c["pm2_5"], "day", on=day) or 0) > 200
    ]
    assert summer_heavy == []
    summer = [c["pm2_5"] for day, c in daily.items() if day.month in SUMMER]
    winter = [c["pm2_5"] for day, c in daily.items() if day.month in (1, 12)]
    assert np.mean(summer) < 0.75 * 28.5 < np.mean(winter)  # the delta's season: summer low, winter high
    year = daily.keys()
    figures = city_air_figures(daily, start=min(year), end=max(year))
    assert round(figures.pm2_5_mean or 0, 1) == 28.5  # the published 2022 figures (S3-146, S3-147)
    assert round(figures.good_day_ratio or 0, 1) == 82.6
    assert abs(calibration["pm2_5_annual_mean"] - (figures.pm2_5_mean or 0)) < 0.01
