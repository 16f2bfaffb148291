"""Air and water statistics of a period, as the monthly bulletin and the dashboard publish them.

Pure functions (no I/O). The city's days, good-air-day ratio and means come from their one home,
:mod:`greenport.monitoring.city_air` (HJ 633-2012 §5 / HJ 663-2013 §4); this module rounds them
as the documents publish them and adds the water sections' classes and the real-time AQI.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from greenport.kernel.time import local_date
from greenport.monitoring.city_air import CityDay, city_air_figures
from greenport.standards import aqi as aqi_std
from greenport.targets.service import target_values


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
    #: HJ 663-2013 evaluated concentrations (CO 95th, O3 8-h 90th percentile, others means).
    evaluation: dict[str, float] = field(default_factory=dict)

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
            "evaluation": self.evaluation,
            "pm2_5_mean": self.pm2_5_mean,
            "targets": self.targets,
            "days": [
                {
                    "day": d.day.isoformat(),
                    "aqi": d.aqi,
                    "level": d.level,
                    "category_zh": d.category_zh,
                    "primary": list(bulletin_primaries(d.primary_pollutants)),
                }
                for d in self.days
            ],
        }


#: The bulletin names one primary pollutant "O3" whichever of its daily statistics (max 1-h,
#: max 8-h) had the largest IAQI: both are ozone (HJ 633-2012 §6 names the pollutant).
PRIMARY_AS = {"o3_8h": "o3"}


def bulletin_primaries(primaries: Iterable[str]) -> tuple[str, ...]:
    """A day's primary pollutants as the bulletin counts them: ozone once as ``o3``."""
    out: list[str] = []
    for key in primaries:
        name = PRIMARY_AS.get(key, key)
        if name not in out:
            out.append(name)
    return tuple(out)


def _rounded(pollutant: str, value: float) -> float:
    """A period concentration as published: 0.1 µg/m³, CO 0.001 mg/m³."""
    return round(value, 3 if pollutant == "co" else 1)


def summarise_air(start: date, end: date, daily: Mapping[date, Mapping[str, float]]) -> AirSummary:
    """Statistics of the days in [start, end] (local dates) from the city's daily means
    (:func:`greenport.monitoring.city_air.city_daily_means`), rounded as published: the ratio
    to 0.1 %, means to 0.1 µg/m³ (CO to 0.001 mg/m³)."""
    figures = city_air_figures(daily, start=start, end=end)
    valid = [d for d in figures.days if d.aqi is not None]
    levels = Counter(d.level for d in valid if d.level is not None)
    primaries: Counter[str] = Counter()
    for d in valid:
        primaries.update(bulletin_primaries(d.primary_pollutants))
    means = {p: _rounded(p, v) for p, v in figures.means.items()}
    ratio = figures.good_day_ratio
    return AirSummary(
        start=start,
        end=end,
        days=figures.days,
        valid_days=figures.valid_days,
        good_days=figures.good_days,
        good_day_ratio=None if ratio is None else round(ratio, 1),
        level_days=dict(levels),
        primary_pollutant_days=dict(primaries.most_common()),
        means=means,
        pm2_5_mean=means.get("pm2_5"),
        targets=target_values(),
        evaluation={p: _rounded(p, v) for p, v in figures.evaluation.items()},
    )


@dataclass(frozen=True, slots=True)
class YearOnYear:
    """The change from the same period a year earlier (同比).

    ``concentration_change``: per evaluated pollutant, (this - last) / last × 100 [%] rounded to
    0.1 (None when a year lacks it or last is 0); ``good_day_ratio_points``: this - last ratio
    [percentage points] rounded to 0.1.
    """

    last: AirSummary
    concentration_change: dict[str, float | None]
    good_day_ratio_points: float | None

    def to_dict(self) -> dict[str, object]:
        return {
            "last_year": {k: v for k, v in self.last.to_dict().items() if k != "days"},
            "concentration_change_percent": self.concentration_change,
            "good_day_ratio_change_points": self.good_day_ratio_points,
        }


def year_on_year(current: AirSummary, last: AirSummary) -> YearOnYear:
    """Compare two periods' published (rounded) figures, as a reader would from the two bulletins."""
    changes: dict[str, float | None] = {}
    for pollutant, value in current.evaluation.items():
        before = last.evaluation.get(pollutant)
        changes[pollutant] = round(100.0 * (value - before) / before, 1) if before else None
    points = None
    if current.good_day_ratio is not None and last.good_day_ratio is not None:
        points = round(current.good_day_ratio - last.good_day_ratio, 1)
    return YearOnYear(last=last, concentration_change=changes, good_day_ratio_points=points)


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
