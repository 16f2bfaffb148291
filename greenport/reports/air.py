"""Air and water statistics of a period, as the monthly bulletin and the dashboard publish them.

Pure functions (no I/O). The city's daily AQI follows HJ 633-2012 §5 / HJ 663-2013 §4: the
city's daily concentration of each pollutant is the arithmetic mean of its stations' daily
values; the daily AQI of the city is computed from those means (not averaged from station AQIs).
A day is "good" (优良) when its AQI is at most 100 (HJ 633-2012 Table 2, levels 1-2).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from greenport.kernel.time import local_date
from greenport.standards import aqi as aqi_std
from greenport.targets.service import target_values

#: Pollutants of the daily report (HJ 633-2012 §5.1 / Table 1: SO2, NO2, CO, PM10, PM2.5 24-h means;
#: O3 as the day's maximum 1-h value ``o3`` and maximum 8-h running mean ``o3_8h``).
DAILY_POLLUTANTS = ("so2", "no2", "co", "o3", "o3_8h", "pm10", "pm2_5")
#: Highest AQI still counted as a good day (HJ 633-2012 Table 2: levels 1 and 2).
GOOD_DAY_MAX_AQI = 100


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
class AirSummary:
    """Air quality of a period: day counts, good-day ratio [%], level and primary-pollutant counts."""

    start: date
    end: date
    days: list[CityDay]
    valid_days: int
    good_days: int
    good_day_ratio: float | None
    level_days: dict[int, int]
    primary_pollutant_days: dict[str, int]
    means: dict[str, float]
    pm2_5_mean: float | None
    targets: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "valid_days": self.valid_days,
            "good_days": self.good_days,
            "good_day_ratio": self.good_day_ratio,
            "level_days": {str(k): v for k, v in sorted(self.level_days.items())},
            "primary_pollutant_days": dict(self.primary_pollutant_days),
            "means": self.means,
            "pm2_5_mean": self.pm2_5_mean,
            "targets": self.targets,
            "days": [
                {
                    "day": d.day.isoformat(),
                    "aqi": d.aqi,
                    "level": d.level,
                    "category_zh": d.category_zh,
                    "primary": list(d.primary_pollutants),
                }
                for d in self.days
            ],
        }


def city_daily_means(rows: Iterable[tuple[datetime, int, str, float]]) -> dict[date, dict[str, float]]:
    """Mean over stations of the daily values: (day start [UTC], site, parameter, value) rows."""
    acc: dict[tuple[date, str], list[float]] = defaultdict(list)
    for start, _site, parameter, value in rows:
        if parameter in DAILY_POLLUTANTS:
            acc[(local_date(start), parameter)].append(value)
    out: dict[date, dict[str, float]] = defaultdict(dict)
    for (day, parameter), values in acc.items():
        out[day][parameter] = sum(values) / len(values)
    return dict(out)


def city_day(day: date, concentrations: Mapping[str, float]) -> CityDay:
    result = aqi_std.aqi(dict(concentrations), "day", on=day)
    return CityDay(
        day=day,
        concentrations=dict(concentrations),
        aqi=result.aqi,
        level=result.level,
        category_zh=result.category_zh,
        primary_pollutants=tuple(result.primary_pollutants),
    )


def summarise_air(start: date, end: date, daily: Mapping[date, Mapping[str, float]]) -> AirSummary:
    """Statistics of the days in [start, end] (local dates) from the city's daily means."""
    days = [city_day(d, c) for d, c in sorted(daily.items()) if start <= d <= end and c]
    valid = [d for d in days if d.aqi is not None]
    good = sum(1 for d in valid if d.good)
    levels = Counter(d.level for d in valid if d.level is not None)
    primaries: Counter[str] = Counter()
    for d in valid:
        primaries.update(d.primary_pollutants)
    means: dict[str, float] = {}
    for parameter in DAILY_POLLUTANTS:
        values = [d.concentrations[parameter] for d in days if parameter in d.concentrations]
        if values:
            means[parameter] = round(sum(values) / len(values), 3 if parameter == "co" else 1)
    return AirSummary(
        start=start,
        end=end,
        days=days,
        valid_days=len(valid),
        good_days=good,
        good_day_ratio=round(100.0 * good / len(valid), 1) if valid else None,
        level_days=dict(levels),
        primary_pollutant_days=dict(primaries.most_common()),
        means=means,
        pm2_5_mean=means.get("pm2_5"),
        targets=target_values(),
    )


@dataclass(frozen=True, slots=True)
class SectionClass:
    """A water section's class over a period (worst daily class) against its target."""

    site_id: int
    code: str
    name: str
    town_code: str
    river: str | None
    target_class: int | None
    actual_class: int | None
    days: int

    @property
    def meets(self) -> bool | None:
        if self.actual_class is None or self.target_class is None:
            return None
        return self.actual_class <= self.target_class

    def to_dict(self) -> dict[str, object]:
        return {
            "site_id": self.site_id,
            "code": self.code,
            "name": self.name,
            "town_code": self.town_code,
            "river": self.river,
            "target_class": self.target_class,
            "actual_class": self.actual_class,
            "meets": self.meets,
            "days": self.days,
        }


def section_classes(
    sections: Iterable[Mapping[str, object]], daily_classes: Iterable[Mapping[str, object]]
) -> list[SectionClass]:
    """Period class of each section = the most frequent daily class, ties to the worse one.

    (GB 3838-2002 §5 evaluates by the period's mean concentrations; the bulletin shows the
    class most days had, which is what the daily indices support.)
    """
    by_site: dict[int, list[int]] = defaultdict(list)
    for row in daily_classes:
        value = row.get("value")
        if isinstance(value, int | float):
            by_site[int(row["site_id"])].append(int(value))  # type: ignore[call-overload]
    out = []
    for s in sections:
        site_id = int(s["id"])  # type: ignore[call-overload]
        classes = by_site.get(site_id, [])
        actual = None
        if classes:
            counts = Counter(classes)
            actual = max(counts, key=lambda k: (counts[k], k))
        target = s.get("target_class")
        out.append(
            SectionClass(
                site_id=site_id,
                code=str(s["code"]),
                name=str(s["name"]),
                town_code=str(s["town_code"]),
                river=str(s["river"]) if s.get("river") else None,
                target_class=int(target) if isinstance(target, int) else None,
                actual_class=actual,
                days=len(classes),
            )
        )
    return out


#: Pollutants of the real-time (hourly) report, HJ 633-2012 §5.2: 1-h means, PM as 24-h running means.
HOURLY_GASES = ("so2", "no2", "co", "o3")
HOURLY_PM = ("pm10", "pm2_5")
#: Minimum valid hours in a 24-h running PM mean (GB 3095-2012 Table 4: 20 hours).
PM_RUNNING_MIN_HOURS = 20


def city_hour(hour: datetime, rows: Iterable[tuple[datetime, int, str, float]]) -> aqi_std.AqiResult | None:
    """The city's real-time AQI at ``hour`` from station hourly means over the 24 h up to it.

    Gases: mean over stations of the hour's 1-h means; PM10/PM2.5: mean over stations of the
    24-h running mean (at least 20 valid hours). None when no pollutant has data.
    """
    per_station: dict[tuple[str, int], list[float]] = defaultdict(list)
    gases: dict[str, list[float]] = defaultdict(list)
    for start, site, parameter, value in rows:
        if parameter in HOURLY_GASES and start == hour:
            gases[parameter].append(value)
        elif parameter in HOURLY_PM:
            per_station[(parameter, site)].append(value)
    values: dict[str, float | None] = {p: (sum(v) / len(v) if v else None) for p, v in gases.items()}
    for parameter in HOURLY_PM:
        means = [
            sum(v) / len(v)
            for (p, _site), v in per_station.items()
            if p == parameter and len(v) >= PM_RUNNING_MIN_HOURS
        ]
        values[parameter] = sum(means) / len(means) if means else None
    if all(v is None for v in values.values()):
        return None
    return aqi_std.aqi(values, "hour", on=local_date(hour))
