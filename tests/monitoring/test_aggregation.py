"""Pure aggregation: validity counts (GB 3095-2012 Table 4) and derived AQI (HJ 633-2012).

Expected AQI values are computed here from the breakpoints printed in
/work/shared/reference/monitoring-standards.md §4.1 (HJ 633-2012 Table 1), not read from the
standards package's table.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta

from greenport.kernel.time import PeriodKind
from greenport.monitoring import aggregation
from greenport.monitoring.model import Aggregate, DeviceFlag, Observation

HOUR0 = datetime(2022, 6, 1, 2, 0, tzinfo=UTC)  # 10:00 Asia/Shanghai
DAY0 = datetime(2022, 5, 31, 16, 0, tzinfo=UTC)  # 2022-06-01 00:00 Asia/Shanghai


def raw(
    minutes: int, *, value: float = 10.0, flag: DeviceFlag = DeviceFlag.NORMAL, per_minute: int = 2
) -> list[Observation]:
    out = []
    for m in range(minutes):
        for k in range(per_minute):
            when = HOUR0 + timedelta(minutes=m, seconds=30 * k)
            out.append(Observation(when, 1, 7, PeriodKind.RAW, "so2", value + m, flag))
    return out


def test_hourly_mean_needs_45_minutes_of_normal_values() -> None:
    (valid,) = aggregation.hourly_aggregates(raw(45))
    assert valid.valid and valid.n_values == 45
    assert math.isclose(valid.value or 0, 10 + 22)  # mean of 10..54
    (invalid,) = aggregation.hourly_aggregates(raw(44))
    assert not invalid.valid and invalid.value is None and invalid.n_values == 44


def test_abnormal_flags_do_not_count() -> None:
    values = raw(50) + [
        o._replace(flag=DeviceFlag.MAINTENANCE, data_time=o.data_time + timedelta(seconds=1)) for o in raw(10)
    ]
    (agg,) = aggregation.hourly_aggregates(values)
    assert agg.n_values == 50 and math.isclose(agg.value or 0, 10 + 24.5)


def test_a_device_hourly_value_wins_over_real_time_values() -> None:
    hourly = Observation(HOUR0, 1, 7, PeriodKind.HOUR, "so2", 99.0)
    (agg,) = aggregation.hourly_aggregates([*raw(10), hourly])
    assert agg.value == 99.0 and agg.valid


def hours(values: list[float | None], parameter: str = "pm2_5", site: int = 7) -> list[Aggregate]:
    return [
        Aggregate(
            DAY0 + timedelta(hours=h), site, PeriodKind.HOUR, parameter, v, int(v is not None), v is not None
        )
        for h, v in enumerate(values)
    ]


def test_daily_mean_needs_20_hourly_means() -> None:
    (ok,) = aggregation.daily_aggregates(hours([30.0] * 20 + [None] * 4))
    assert ok.valid and ok.value == 30.0 and ok.period_start == DAY0
    (bad,) = aggregation.daily_aggregates(hours([30.0] * 19 + [None] * 5))
    assert not bad.valid and bad.value is None


def iaqi(c: float, bp: list[float], levels: list[float]) -> int:
    """HJ 633-2012 eq. (1), rounded up (§6.2), breakpoints from the reference text."""
    for k in range(1, len(bp)):
        if c <= bp[k]:
            return math.ceil(
                (levels[k] - levels[k - 1]) / (bp[k] - bp[k - 1]) * (c - bp[k - 1]) + levels[k - 1] - 1e-9
            )
    raise ValueError(c)


PM25_24H = [0, 35, 75, 115, 150, 250, 350, 500]  # reference §4.1, PM2.5 24-h column
LEVELS = [0, 50, 100, 150, 200, 300, 400, 500]


def test_daily_aqi_of_a_station_day() -> None:
    day = hours([115.0] * 24) + hours([5.0] * 24, "so2") + hours([60.0] * 24, "o3")
    (index,) = aggregation.daily_aqi(day)
    assert index.value == iaqi(115, PM25_24H, LEVELS) == 150
    assert json.loads(index.detail or "{}")["primary"] == ["pm2_5"]


def test_hourly_aqi_uses_the_24_hour_running_mean_of_pm() -> None:
    series = hours([35.0] * 23 + [500.0])
    target = DAY0 + timedelta(hours=23)
    (index,) = aggregation.hourly_aqi(series, [(7, target)])
    running = (23 * 35 + 500) / 24
    assert index.value == iaqi(running, PM25_24H, LEVELS) == 75
    assert aggregation.hourly_aqi(hours([35.0] * 19), [(7, DAY0 + timedelta(hours=18))]) == []  # < 20 h


def test_daily_water_class_river_and_lake() -> None:
    daily = [
        Aggregate(DAY0, 1, PeriodKind.DAY, "nh3_n", 0.9, 24, True),  # class III (<= 1.0, reference §5.1)
        Aggregate(DAY0, 1, PeriodKind.DAY, "tp", 0.04, 24, True),  # river class II; lake class III
        Aggregate(DAY0, 2, PeriodKind.DAY, "tp", 0.04, 24, True),
    ]
    out = {i.site_id: i for i in aggregation.daily_water_class(daily, {1: 3, 2: 2}, {1: "river", 2: "lake"})}
    assert out[1].value == 3 and out[1].label == "meets"
    assert out[2].value == 3 and out[2].label == "fails"
