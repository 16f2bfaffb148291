"""The city's air figures from its stations' daily values: city days, good-air-day ratio, means.

Pure functions (no I/O), the one home of these figures: the monthly bulletin, the dashboard, the
public page (``greenport.reports``) and the published yearly summary (``greenport monitoring
summary``) all compute them here.

* **City day** (HJ 633-2012 §5, HJ 663-2013 §4): the city's daily concentration of a pollutant is
  the arithmetic mean of its stations' valid daily values; the city's daily AQI is computed from
  those means (not averaged from station AQIs).
* **Valid day**: a day with a city daily AQI; a day on which no station has a valid value is not
  one (HJ 663-2013 §5.3).
* **Good-air-day ratio** (HJ 633-2012 Table 2, levels 1-2): days whose city AQI is at most 100,
  over the valid days [%] (:func:`greenport.standards.validity.good_air_day_ratio`).
* **Period mean** of a pollutant: the arithmetic mean of the city's daily concentrations over the
  days that have one (HJ 663-2013 §5, the annual mean of a city: the mean of its daily values)
  [µg/m³; CO mg/m³].
* **Evaluated concentration** (HJ 663-2013 Table 1): SO2, NO2, PM10, PM2.5 the period mean; CO the
  95th percentile of the city's daily means; O3 the 90th percentile of its daily maximum 8-h means
  (:func:`greenport.standards.validity.evaluation_concentration`).

Figures are not rounded here; each publication rounds them to its own precision.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from greenport.kernel.time import local_date
from greenport.monitoring.model import Aggregate
from greenport.standards import aqi as aqi_std
from greenport.standards import validity

#: Pollutants of the daily report (HJ 633-2012 §5.1 / Table 1: SO2, NO2, CO, PM10, PM2.5 24-h means;
#: O3 as the day's maximum 1-h value ``o3`` and maximum 8-h running mean ``o3_8h``).
DAILY_POLLUTANTS = ("so2", "no2", "co", "o3", "o3_8h", "pm10", "pm2_5")
#: Highest AQI still counted as a good day (HJ 633-2012 Table 2: levels 1 and 2).
GOOD_DAY_MAX_AQI = 100

#: A station's daily value: (day start [UTC], site id, parameter, value [µg/m³; CO mg/m³]).
StationDailyValue = tuple[datetime, int, str, float]


@dataclass(frozen=True, slots=True)
class CityDay:
    """One local day of the city: mean concentrations [µg/m³; CO mg/m³] and the AQI from them."""

    day: date
    concentrations: dict[str, float]
    aqi: int | None
    level: int | None
    category_zh: str | None
    primary_pollutants: tuple[str, ...]

    @property
    def good(self) -> bool:
        return self.aqi is not None and self.aqi <= GOOD_DAY_MAX_AQI


@dataclass(frozen=True, slots=True)
class CityAirFigures:
    """The city's air over a period of local days (unrounded).

    ``days``: every day with at least one city concentration; ``valid_days``: those with a city
    AQI; ``good_day_ratio`` [%] over the valid days (None without any); ``means``: period mean of
    each pollutant over the days that have it [µg/m³; CO mg/m³]; ``evaluation``: the HJ 663-2013
    evaluated concentration of ``so2, no2, pm10, pm2_5, co, o3`` [µg/m³; CO mg/m³].
    """

    days: list[CityDay]
    valid_days: int
    good_days: int
    good_day_ratio: float | None
    means: dict[str, float]
    evaluation: dict[str, float] = field(default_factory=dict)

    @property
    def pm2_5_mean(self) -> float | None:
        """The period mean of PM2.5 [µg/m³] (the annual mean over a calendar year)."""
        return self.means.get("pm2_5")


def valid_daily_values(aggregates: Iterable[Aggregate]) -> Iterator[StationDailyValue]:
    """The valid daily values among stored daily aggregates (GB 3095-2012 Table 4 validity, as
    stored with each aggregate), as :func:`city_daily_means` takes them."""
    for aggregate in aggregates:
        value = aggregate.value
        if aggregate.valid and value is not None and not math.isnan(value):
            yield aggregate.period_start, aggregate.site_id, aggregate.parameter, value


def city_daily_means(rows: Iterable[StationDailyValue]) -> dict[date, dict[str, float]]:
    """The city's daily concentrations: per local day and pollutant of :data:`DAILY_POLLUTANTS`,
    the mean over stations of their valid daily values (HJ 663-2013 §4) [µg/m³; CO mg/m³]."""
    acc: dict[tuple[date, str], list[float]] = defaultdict(list)
    for start, _site, parameter, value in rows:
        if parameter in DAILY_POLLUTANTS:
            acc[(local_date(start), parameter)].append(value)
    out: dict[date, dict[str, float]] = defaultdict(dict)
    for (day, parameter), values in acc.items():
        out[day][parameter] = sum(values) / len(values)
    return dict(out)


def city_day(day: date, concentrations: Mapping[str, float]) -> CityDay:
    """The city's daily AQI, level and primary pollutants from its daily concentrations
    (HJ 633-2012 §5.1, the edition in force on ``day``)."""
    result = aqi_std.aqi(dict(concentrations), "day", on=day)
    return CityDay(
        day=day,
        concentrations=dict(concentrations),
        aqi=result.aqi,
        level=result.level,
        category_zh=result.category_zh,
        primary_pollutants=tuple(result.primary_pollutants),
    )


def city_air_figures(daily: Mapping[date, Mapping[str, float]], *, start: date, end: date) -> CityAirFigures:
    """The city's figures over the local days [start, end] from its daily concentrations
    (:func:`city_daily_means`): valid days, good days and their ratio, period means."""
    days = [city_day(d, c) for d, c in sorted(daily.items()) if start <= d <= end and c]
    ratio = validity.good_air_day_ratio(d.aqi for d in days)
    means: dict[str, float] = {}
    for parameter in DAILY_POLLUTANTS:
        values = [d.concentrations[parameter] for d in days if parameter in d.concentrations]
        if values:
            means[parameter] = sum(values) / len(values)
    evaluation: dict[str, float] = {}
    for item in validity.evaluation_items():
        value = validity.evaluation_concentration(
            item.pollutant, (d.concentrations.get(item.daily) for d in days)
        )
        if value is not None:
            evaluation[item.pollutant] = value
    return CityAirFigures(
        days=days,
        valid_days=ratio.valid_days,
        good_days=ratio.good_days,
        good_day_ratio=ratio.ratio,
        means=means,
        evaluation=evaluation,
    )
