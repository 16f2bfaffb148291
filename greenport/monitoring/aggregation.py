"""Pure aggregation and derivation: hourly and daily means with their validity, AQI, water class.

No I/O: functions take observations/aggregates (``greenport.monitoring.model``) and return new
ones. Validity rules come from :mod:`greenport.standards.validity` (GB 3095-2012 Table 4):

* hourly mean of a site that only sends real-time (2011) or minute (2051) values: at least 45
  distinct minutes with a normal (``N``) value in the hour (rule ``hourly_mean_45_minutes``);
  a device's own hourly value (2061) is taken as it is, valid when its flag is ``N``;
* daily mean: at least 20 valid hourly means of the local day (``daily_mean_20_hours``); for air
  stations the daily AQI inputs follow :func:`greenport.standards.validity.daily_values`
  (24-h means, O3 daily max 1-h and max 8-h);
* hourly AQI (HJ 633-2012 §5, real-time report): 1-h SO2, NO2, CO, O3 and the 24-h running means
  of PM10 and PM2.5 (at least 20 valid hours of the last 24);
* daily water class of a section (GB 3838-2002 Table 1) from the daily means.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from functools import lru_cache

from greenport.kernel.time import PeriodKind, local_date, local_day_bounds
from greenport.monitoring.model import Aggregate, IndexKind, IndexValue, Observation
from greenport.standards import aqi as aqi_std
from greenport.standards import validity

HOUR = timedelta(hours=1)

#: Canonical air pollutants that enter the AQI (HJ 633-2012 Table 1).
AQI_POLLUTANTS: tuple[str, ...] = ("so2", "no2", "co", "o3", "pm10", "pm2_5")

#: Parameters of a surface-water section that enter the daily class (GB 3838-2002 Table 1; the
#: automatic stations' usual five).
WATER_CLASS_PARAMETERS: tuple[str, ...] = ("ph", "do", "codmn", "nh3_n", "tp", "cod", "tn", "bod5")


def _finite(value: float | None) -> bool:
    return value is not None and not math.isnan(value)


def hourly_aggregates(observations: Iterable[Observation]) -> list[Aggregate]:
    """Hourly means per (site, parameter, hour) from the observations of those hours.

    A device hourly value (period ``hour``) wins over real-time/minute values of the same hour.
    Real-time/minute values: mean of the normal (``N``) values, valid when they cover at least
    45 distinct minutes (GB 3095-2012 Table 4, rule ``hourly_mean_45_minutes``). [canonical unit]
    """
    required = validity.rule("hourly_mean_45_minutes").required
    device_hour: dict[tuple[int, str, datetime], Observation] = {}
    samples: dict[tuple[int, str, datetime], list[Observation]] = defaultdict(list)
    for obs in observations:
        if obs.period is PeriodKind.HOUR:  # DataTime is the hour's start (HJ 212-2017 §6.6.3)
            device_hour[(obs.site_id, obs.parameter, obs.data_time)] = obs
            continue
        hour = obs.data_time.replace(minute=0, second=0, microsecond=0)
        if obs.period in (PeriodKind.RAW, PeriodKind.MINUTE):
            samples[(obs.site_id, obs.parameter, hour)].append(obs)
    out: list[Aggregate] = []
    for key, obs in device_hour.items():
        site_id, parameter, hour = key
        ok = obs.flag.valid_for_statistics and _finite(obs.value)
        out.append(
            Aggregate(hour, site_id, PeriodKind.HOUR, parameter, obs.value if ok else None, int(ok), ok)
        )
    for key, group in samples.items():
        if key in device_hour:
            continue
        site_id, parameter, hour = key
        good = [o for o in group if o.flag.valid_for_statistics and _finite(o.value)]
        minutes = {o.data_time.replace(second=0, microsecond=0) for o in good}
        ok = len(minutes) >= required
        mean = sum(o.value for o in good if o.value is not None) / len(good) if good and ok else None
        out.append(Aggregate(hour, site_id, PeriodKind.HOUR, parameter, mean, len(minutes), ok))
    return out


@lru_cache(maxsize=4096)
def _day_start(hour: datetime) -> datetime:
    return local_day_bounds(local_date(hour))[0]


def day_series(hourly: Iterable[Aggregate]) -> dict[tuple[int, datetime], dict[str, list[float | None]]]:
    """Group hourly aggregates into local days: (site, day start UTC) -> parameter -> 24 values."""
    days: dict[tuple[int, datetime], dict[str, list[float | None]]] = defaultdict(dict)
    for agg in hourly:
        start = _day_start(agg.period_start)
        index = int((agg.period_start - start) / HOUR)
        series = days[(agg.site_id, start)].setdefault(agg.parameter, [None] * 24)
        series[index] = agg.value if agg.valid else None
    return days


def daily_aggregates(hourly: Iterable[Aggregate]) -> list[Aggregate]:
    """Daily means per (site, parameter, local day): >= 20 valid hourly means (GB 3095-2012 Table 4)."""
    out: list[Aggregate] = []
    for (site_id, start), by_parameter in day_series(hourly).items():
        for parameter, series in by_parameter.items():
            stat = validity.daily_mean(series)
            out.append(
                Aggregate(start, site_id, PeriodKind.DAY, parameter, stat.value, stat.count, stat.valid)
            )
    return out


def _aqi_index(start: datetime, site_id: int, period: PeriodKind, result: aqi_std.AqiResult) -> IndexValue:
    return IndexValue(
        period_start=start,
        site_id=site_id,
        period=period,
        kind=IndexKind.AQI,
        value=None if result.aqi is None else float(result.aqi),
        label=result.category_en,
        detail=json.dumps(
            {
                "iaqi": dict(result.iaqi),
                "primary": list(result.primary_pollutants),
                "missing": list(result.missing),
                "edition": result.edition,
            }
        ),
    )


def daily_aqi(hourly: Iterable[Aggregate]) -> list[IndexValue]:
    """Daily AQI per (air station, local day) from its hourly means (HJ 633-2012 §5, daily report).

    Inputs per :func:`greenport.standards.validity.daily_values`; an AQI with any pollutant
    missing is still computed from the others (and its ``missing`` listed in ``detail``); a day
    without any valid input gets no AQI.
    """
    out: list[IndexValue] = []
    for (site_id, start), by_parameter in day_series(hourly).items():
        series = {p: s for p, s in by_parameter.items() if p in AQI_POLLUTANTS}
        if not series:
            continue
        values = validity.daily_values(series).concentrations
        if all(v is None for v in values.values()):
            continue
        result = aqi_std.aqi(values, "day", on=local_date(start))
        out.append(_aqi_index(start, site_id, PeriodKind.DAY, result))
    return out


def hourly_aqi(hourly: Sequence[Aggregate], hours: Iterable[tuple[int, datetime]]) -> list[IndexValue]:
    """Hourly AQI of (air station, hour) pairs (HJ 633-2012 real-time report).

    ``hourly`` must hold the station's hourly means from 23 hours before each hour on: PM10 and
    PM2.5 enter as 24-h running means (>= 20 valid hours), the others as 1-h means.
    """
    table: dict[tuple[int, str, datetime], float] = {
        (a.site_id, a.parameter, a.period_start): a.value
        for a in hourly
        if a.valid and a.value is not None and a.parameter in AQI_POLLUTANTS
    }
    need = validity.rule("daily_mean_20_hours").required
    out: list[IndexValue] = []
    for site_id, hour in hours:
        values: dict[str, float | None] = {}
        for parameter in ("so2", "no2", "co", "o3"):
            values[parameter] = table.get((site_id, parameter, hour))
        for parameter in ("pm10", "pm2_5"):
            window = [table.get((site_id, parameter, hour - k * HOUR)) for k in range(24)]
            present = [v for v in window if v is not None]
            values[parameter] = sum(present) / len(present) if len(present) >= need else None
        if all(v is None for v in values.values()):
            continue
        result = aqi_std.aqi(values, "hour", on=local_date(hour))
        out.append(_aqi_index(hour, site_id, PeriodKind.HOUR, result))
    return out


def daily_water_class(
    daily: Iterable[Aggregate],
    targets: Mapping[int, int | None],
    waterbodies: Mapping[int, str | None] | None = None,
) -> list[IndexValue]:
    """Daily class of each water section from its valid daily means (GB 3838-2002 Table 1).

    ``targets`` gives each section's target class (``label`` says ``meets``/``fails``);
    ``waterbodies`` says ``river`` or ``lake`` (TP limits differ), default river.
    """
    from greenport.monitoring import water

    by_day: dict[tuple[int, datetime], dict[str, float]] = defaultdict(dict)
    for agg in daily:
        if agg.valid and agg.value is not None and agg.parameter in WATER_CLASS_PARAMETERS:
            by_day[(agg.site_id, agg.period_start)][agg.parameter] = agg.value
    out: list[IndexValue] = []
    for (site_id, start), values in by_day.items():
        body = (waterbodies or {}).get(site_id) or "river"
        klass, worst = water.overall_class(values, waterbody=body, on=local_date(start))
        target = targets.get(site_id)
        label = None if target is None else ("meets" if klass <= target else "fails")
        out.append(
            IndexValue(
                start,
                site_id,
                PeriodKind.DAY,
                IndexKind.WATER_CLASS,
                float(klass),
                label,
                json.dumps({"limiting": worst, "target": target}),
            )
        )
    return out
