"""Report use cases: the monthly bulletin and the town scorecard, from stored monitoring results.

The dashboard calls :func:`air_summary` and :func:`water_summary` too, so a page and a
document always show the same figures.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from greenport.accounts.model import CITY
from greenport.assessments import service as assessments
from greenport.kernel.errors import InvalidInput, NotFound
from greenport.kernel.time import local_date, local_day_bounds

# Site levels whose stations and sections make the *city's* figures (national/provincial air
# stations; the city's assessed sections), as the monitoring service computes the published figures.
from greenport.monitoring.city_air import DAILY_POLLUTANTS, city_daily_means
from greenport.monitoring.service import CITY_AIR_LEVELS, CITY_WATER_LEVELS
from greenport.reports.air import (
    AirSummary,
    SectionClass,
    YearOnYear,
    section_classes,
    summarise_air,
    year_on_year,
)
from greenport.reports.ports import ReportUow
from greenport.systems import get_system


def parse_month(text: str) -> tuple[date, date]:
    """``YYYY-MM`` -> (first day, last day)."""
    try:
        year_s, month_s = text.split("-")
        year, month = int(year_s), int(month_s)
        first = date(year, month, 1)
    except ValueError:
        raise InvalidInput(f"month {text!r} is not YYYY-MM", field="month") from None
    return first, date(year, month, calendar.monthrange(year, month)[1])


def air_summary(uow: ReportUow, *, air_sites: list[dict[str, Any]], start: date, end: date) -> AirSummary:
    """Air statistics over [start, end] (local days) of the given stations."""
    ids = [int(s["id"]) for s in air_sites]
    begin, _ = local_day_bounds(start)
    _, stop = local_day_bounds(end)
    rows = uow.monitoring.aggregate_values(
        ids, period="day", start=begin, end=stop, parameters=list(DAILY_POLLUTANTS)
    )
    return summarise_air(start, end, city_daily_means(rows))


def water_summary(
    uow: ReportUow, *, sections: list[dict[str, Any]], start: date, end: date
) -> list[SectionClass]:
    ids = [int(s["id"]) for s in sections]
    begin, _ = local_day_bounds(start)
    _, stop = local_day_bounds(end)
    daily = uow.monitoring.index_rows(ids, kind="water_class", period="day", start=begin, end=stop)
    return section_classes(sections, daily)


@dataclass(frozen=True)
class Bulletin:
    """The monthly environmental quality bulletin (环境质量月报)."""

    city_name: str
    month: str
    start: date
    end: date
    air: AirSummary
    previous_air: AirSummary
    year_air: AirSummary
    #: The same month a year earlier (同比).
    last_year_air: AirSummary
    water: list[SectionClass]
    issuer: str
    issued_on: date

    @property
    def year_on_year(self) -> YearOnYear:
        return year_on_year(self.air, self.last_year_air)

    @property
    def has_data(self) -> bool:
        """Whether the month has any valid air day or classified water day."""
        return self.air.valid_days > 0 or any(s.days for s in self.water)

    @property
    def water_meeting(self) -> int:
        return sum(1 for s in self.water if s.meets)

    @property
    def water_assessed(self) -> int:
        return sum(1 for s in self.water if s.meets is not None)

    def class_counts(self) -> dict[str, int]:
        counts = {label: 0 for label in ("I", "II", "III", "IV", "V", "劣V")}
        names = {1: "I", 2: "II", 3: "III", 4: "IV", 5: "V", 6: "劣V"}
        for s in self.water:
            if s.actual_class is not None:
                counts[names.get(s.actual_class, "劣V")] += 1
        return counts

    def to_dict(self) -> dict[str, Any]:
        return {
            "city": self.city_name,
            "month": self.month,
            "issuer": self.issuer,
            "issued_on": self.issued_on.isoformat(),
            "air": self.air.to_dict(),
            "year_on_year": self.year_on_year.to_dict(),
            "previous_month_air": {k: v for k, v in self.previous_air.to_dict().items() if k != "days"},
            "year_to_date_air": {k: v for k, v in self.year_air.to_dict().items() if k != "days"},
            "water": [s.to_dict() for s in self.water],
            "water_class_counts": self.class_counts(),
            "water_meeting": self.water_meeting,
            "water_assessed": self.water_assessed,
        }


def city_air_stations(sites: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The stations whose mean makes the city's air figures (all stations if none is national or
    provincial, e.g. a small test city)."""
    chosen = [s for s in sites if s["kind"] == "air_station" and s["level"] in CITY_AIR_LEVELS]
    return chosen or [s for s in sites if s["kind"] == "air_station"]


def city_sections(sites: list[dict[str, Any]]) -> list[dict[str, Any]]:
    chosen = [s for s in sites if s["kind"] == "water_section" and s["level"] in CITY_WATER_LEVELS]
    return chosen or [s for s in sites if s["kind"] == "water_section"]


def issuing_body(city_name: str, issuer: str | None) -> str:
    """The issuing body of a document: the configured one (``GREENPORT_ISSUER``), else the
    city's eco-environment bureau (港城市 -> 港城市生态环境局)."""
    return issuer.strip() if issuer and issuer.strip() else f"{city_name}生态环境局"


def _same_month_last_year(first: date) -> tuple[date, date]:
    year, month = first.year - 1, first.month
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def latest_report_month(uow: ReportUow) -> str | None:
    """``YYYY-MM`` of the latest local day with a daily value at the city's air stations (what
    the reports page offers first), or None without any."""
    air_sites = city_air_stations(uow.registry.visible_sites(CITY, kind="air_station"))
    latest = uow.monitoring.latest_aggregate_time([int(s["id"]) for s in air_sites], period="day")
    return None if latest is None else local_date(latest).strftime("%Y-%m")


def bulletin(uow: ReportUow, *, month: str, issued_on: date, issuer: str | None = None) -> Bulletin:
    """The bulletin of ``month`` (``YYYY-MM``), issued on ``issued_on`` (the caller's Beijing-time
    date: the clock is the caller's) by ``issuer`` (default :func:`issuing_body`)."""
    start, end = parse_month(month)
    city = uow.registry.city_summary() or {"name": "GreenPort"}
    last_start, last_end = _same_month_last_year(start)
    air_sites = city_air_stations(uow.registry.visible_sites(CITY, kind="air_station"))
    sections = city_sections(uow.registry.visible_sites(CITY, kind="water_section"))
    prev_end = start - timedelta(days=1)
    prev_start = prev_end.replace(day=1)
    return Bulletin(
        city_name=str(city["name"]),
        month=month,
        start=start,
        end=end,
        air=air_summary(uow, air_sites=air_sites, start=start, end=end),
        previous_air=air_summary(uow, air_sites=air_sites, start=prev_start, end=prev_end),
        year_air=air_summary(uow, air_sites=air_sites, start=start.replace(month=1), end=end),
        last_year_air=air_summary(uow, air_sites=air_sites, start=last_start, end=last_end),
        water=water_summary(uow, sections=sections, start=start, end=end),
        issuer=issuing_body(str(city["name"]), issuer),
        issued_on=issued_on,
    )


@dataclass(frozen=True)
class TownCard:
    code: str
    name: str
    good_day_ratio: float | None
    pm2_5_mean: float | None
    sections: int
    sections_meeting: int
    air_stations: int
    #: The town's result in the stored assessment run of :data:`TOWN_SYSTEM` for the year
    #: (None when no run covers it): total points, rank among the towns, grade.
    score: float | None = None
    rank: int | None = None
    grade: str | None = None

    @property
    def water_ratio(self) -> float | None:
        return round(100.0 * self.sections_meeting / self.sections, 1) if self.sections else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "good_day_ratio": self.good_day_ratio,
            "pm2_5_mean": self.pm2_5_mean,
            "air_stations": self.air_stations,
            "sections": self.sections,
            "sections_meeting": self.sections_meeting,
            "water_ratio": self.water_ratio,
            "score": self.score,
            "rank": self.rank,
            "grade": self.grade,
        }


@dataclass(frozen=True)
class Scorecard:
    """The town ecological scorecard (生态成绩单) of a period."""

    city_name: str
    period: str
    start: date
    end: date
    towns: list[TownCard] = field(default_factory=list)
    #: The assessment run the scores come from: system name, period, run id (None without a run).
    assessment: dict[str, Any] | None = None
    #: Who issues it and on which local (Beijing) day; None: a draft without an issue line.
    issuer: str | None = None
    issued_on: date | None = None

    @property
    def has_data(self) -> bool:
        """Whether any town has air or water results or an assessment score."""
        return any(t.good_day_ratio is not None or t.sections or t.score is not None for t in self.towns)

    def to_dict(self) -> dict[str, Any]:
        return {
            "city": self.city_name,
            "period": self.period,
            "assessment": self.assessment,
            "issuer": self.issuer,
            "issued_on": None if self.issued_on is None else self.issued_on.isoformat(),
            "towns": [t.to_dict() for t in self.towns],
        }


#: The indicator system whose stored runs give the towns' scores and grades.
TOWN_SYSTEM = "town_eco_performance"


def _town_assessment(uow: ReportUow, year: int) -> tuple[dict[str, dict[str, Any]], dict[str, Any] | None]:
    """The towns' rows of the latest stored run of :data:`TOWN_SYSTEM` for ``year``, by town code."""
    try:
        run = assessments.latest_run(uow, system_id=TOWN_SYSTEM, period=str(year))
    except NotFound:
        return {}, None
    rows = {str(row["unit"]): row for row in run.unit_rows()}
    system = get_system(run.system_id)
    meta = {
        "system_id": run.system_id,
        "system_version": run.system_version,
        "period": run.period,
        "run_id": run.id,
        "name_zh": system.name_zh,
        "max_points": system.max_points,
    }
    return rows, meta


def scorecard(
    uow: ReportUow, *, period: str, issued_on: date | None = None, issuer: str | None = None
) -> Scorecard:
    """Per-town air and water results for ``YYYY`` or ``YYYY-MM``, with each town's score, rank
    and grade from the year's stored assessment run (:data:`TOWN_SYSTEM`); issued on
    ``issued_on`` (the caller's Beijing-time date, as :func:`bulletin`) by ``issuer`` (default
    :func:`issuing_body`), or without an issue line when ``issued_on`` is None."""
    if len(period) == 4 and period.isdigit():
        start, end = date(int(period), 1, 1), date(int(period), 12, 31)
    else:
        start, end = parse_month(period)
    city = uow.registry.city_summary() or {"name": "GreenPort"}
    air_sites = uow.registry.visible_sites(CITY, kind="air_station")
    sections = uow.registry.visible_sites(CITY, kind="water_section")
    water = {s.site_id: s for s in water_summary(uow, sections=sections, start=start, end=end)}
    scores, assessment = _town_assessment(uow, start.year)
    cards = []
    for town in uow.registry.visible_towns(CITY):
        town_air = [s for s in air_sites if s["town_code"] == town["code"]]
        town_sections = [s for s in sections if s["town_code"] == town["code"]]
        summary = air_summary(uow, air_sites=town_air, start=start, end=end) if town_air else None
        scored = scores.get(str(town["code"]), {})
        cards.append(
            TownCard(
                code=town["code"],
                name=town["name"],
                good_day_ratio=summary.good_day_ratio if summary else None,
                pm2_5_mean=summary.pm2_5_mean if summary else None,
                sections=sum(1 for s in town_sections if water[s["id"]].meets is not None),
                sections_meeting=sum(1 for s in town_sections if water[s["id"]].meets),
                air_stations=len(town_air),
                score=scored.get("total"),
                rank=scored.get("rank"),
                grade=scored.get("grade"),
            )
        )
    return Scorecard(
        city_name=str(city["name"]),
        period=period,
        start=start,
        end=end,
        towns=cards,
        assessment=assessment,
        issuer=None if issued_on is None else issuing_body(str(city["name"]), issuer),
        issued_on=issued_on,
    )
