"""The dashboard's figures (the "one map", 一张图) for a caller's scope, from stored results.

:func:`dashboard` returns the document the page, its live fragment and ``/api/dashboard`` show:
the towns and parks with their boundaries (GeoJSON), every visible site with its state, the
city's current AQI, the year's good-air-day ratio and PM2.5 mean against the plan targets, and
the water sections' class over the last 30 days. The year and 30-day statistics are those of the
monthly bulletin (:func:`greenport.reports.service.air_summary`, ``water_summary``), so a page
and a document always show the same figures.

The scope is applied by the repositories in SQL; the web layer caches the document per scope
and :func:`data_generation` (``greenport.web.response_cache``).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from greenport.accounts.model import CITY, RowScope
from greenport.alarms import service as alarms_service
from greenport.alarms.ports import AlarmReadsUnitOfWork, AlarmsRepository
from greenport.assessments import service as assessments_service
from greenport.assessments.ports import AssessmentsUnitOfWork
from greenport.kernel.errors import InvalidInput, NotFound
from greenport.kernel.time import CHINA_TZ, local_date
from greenport.monitoring import service as monitoring_service
from greenport.monitoring.status import OUTLET_KINDS, SiteState
from greenport.reports import service as reports
from greenport.reports.air import AirSummary, SectionClass, city_hour
from greenport.reports.ports import MonitoringReadsPort, RegistryReadsPort, ReportUow

#: The real-time AQI is the newest hour of the last this many hours (HJ 633-2012 §5.2 hourly report).
CURRENT_AQI_LOOKBACK = timedelta(hours=30)
#: Days of the "last 30 days" statistics (the map's water sections, 信息公开's air and water).
RECENT_DAYS = 30


def recent_days(today: date, days: int = RECENT_DAYS) -> tuple[date, date]:
    """The first and last local day of the ``days`` days ending with ``today`` (both included,
    as :func:`greenport.reports.service.air_summary` takes them): 30 days, not 31."""
    return today - timedelta(days=days - 1), today


class StatisticsCache(Protocol):
    """Where the year and 30-day statistics are kept between computations of the dashboard
    (they change with each new day of data, not with each frame)."""

    def get_or_compute(self, key: Hashable, compute: Callable[[], Any]) -> Any: ...


class DashboardUow(ReportUow, Protocol):
    """What the map reads besides the reports' monitoring and registry: the alarms."""

    alarms: AlarmsRepository


def data_generation(uow: DashboardUow) -> Hashable:
    """A cheap value that changes whenever data the dashboard shows arrive (newest frame,
    observation, index) or an alarm changes (a state, a person's action): the web's response
    cache recomputes when it moves."""
    return (uow.monitoring.data_version(), alarms_service.version(uow))


#: How many of the newest open alarms the dashboards list.
NEWEST_ALARMS = 5
#: What a site of the map carries of each of its open alarms (its marker's tooltip and link).
_MARKER_FIELDS = ("id", "rule_id", "kind", "severity", "parameter", "state")


def open_alarms(uow: AlarmReadsUnitOfWork, *, scope: RowScope) -> dict[str, Any]:
    """The open alarms of ``scope`` as the dashboards show them
    (:func:`greenport.alarms.service.open_alarms_summary`): ``open``, ``by_severity``, ``newest``,
    and ``by_site`` keyed by the site id as text (a JSON object's keys are text)."""
    summary = alarms_service.open_alarms_summary(uow, scope=scope, newest=NEWEST_ALARMS)
    return {
        "open": summary["open"],
        "by_severity": summary["by_severity"],
        "newest": summary["newest"],
        "by_site": {
            str(site_id): [{k: a[k] for k in _MARKER_FIELDS} for a in found]
            for site_id, found in summary["by_site"].items()
        },
    }


def data_reference_time(uow: ReportUow, *, sites: list[dict[str, Any]], now: datetime) -> datetime:
    """``now``, or the end of the newest hour with a *valid* stored aggregate when the data stop
    earlier (a back-filled demo year, an archive, the first hour of a day not yet complete).

    An hour stored incomplete and marked invalid (GB 3095-2012 Table 4) is no data to show: it
    must not move a screen into a new day or year that has nothing valid yet."""
    ids = [s["id"] for s in sites]
    latest = uow.monitoring.latest_aggregate_time(ids, period="hour", valid_only=True)
    if latest is None:
        return now
    return min(now, latest + timedelta(hours=1) - timedelta(microseconds=1))


def statistics_day(uow: ReportUow, *, sites: list[dict[str, Any]], now: datetime) -> date:
    """The local (Asia/Shanghai) day the year's and the last 30 days' statistics run up to: the
    newest day with a valid daily aggregate (HJ 663-2013 §5.3: only valid days count), never
    after ``now``'s day; without daily data, the day of :func:`data_reference_time`.

    So at midnight, and on 1 January, a screen keeps showing the day (and year) that has data
    until the new one has a valid day of its own."""
    ids = [s["id"] for s in sites]
    latest = uow.monitoring.latest_aggregate_time(ids, period="day", valid_only=True)
    if latest is None:
        return local_date(data_reference_time(uow, sites=sites, now=now))
    return min(local_date(now), local_date(latest))


def current_city_aqi(
    uow: ReportUow, *, air_sites: list[dict[str, Any]], now: datetime
) -> dict[str, Any] | None:
    """The city's real-time AQI at the newest hour with data before ``now``
    (:func:`greenport.reports.air.city_hour`; ``hour`` in Asia/Shanghai), or None."""
    ids = [s["id"] for s in air_sites]
    rows = uow.monitoring.aggregate_values(
        ids, period="hour", start=now - CURRENT_AQI_LOOKBACK, end=now + timedelta(hours=1)
    )
    if not rows:
        return None
    hour = max(r[0] for r in rows)
    window = [r for r in rows if hour - timedelta(hours=23) <= r[0] <= hour]
    result = city_hour(hour, window)
    if result is None:
        return None
    out = result.to_dict()
    out["hour"] = hour.astimezone(CHINA_TZ).isoformat()
    return out


def _geometry(boundary: dict[str, Any] | None) -> dict[str, Any] | None:
    """The geometry of a stored boundary (a Feature, a FeatureCollection's first, or a geometry)."""
    if not boundary:
        return None
    if boundary.get("type") == "Feature":
        geometry: dict[str, Any] | None = boundary.get("geometry")
        return geometry
    if boundary.get("type") == "FeatureCollection":
        geoms = [f.get("geometry") for f in boundary.get("features", []) if f.get("geometry")]
        return geoms[0] if geoms else None
    return boundary


def feature_collection(
    towns: list[dict[str, Any]], parks: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """GeoJSON FeatureCollection of the towns' and then the parks' boundaries (``name`` property
    = the region name on the map; ``kind`` = ``town`` or ``park``; parks drawn over towns)."""
    features = []
    for kind, items in (("town", towns), ("park", parks or [])):
        for item in items:
            geometry = _geometry(item.get("boundary"))
            if geometry:
                features.append(
                    {
                        "type": "Feature",
                        "properties": {"name": item["name"], "code": item["code"], "kind": kind},
                        "geometry": geometry,
                    }
                )
    return {"type": "FeatureCollection", "features": features}


def _statistics(
    uow: ReportUow,
    *,
    scope: RowScope,
    air_sites: list[dict[str, Any]],
    sections: list[dict[str, Any]],
    today: date,
    cache: StatisticsCache | None,
) -> tuple[AirSummary, list[SectionClass]]:
    """The year's air statistics and the last 30 days' water classes of ``today``'s data.

    A city-wide scope shows the city's published figures (its national/provincial stations and
    assessed sections); a narrower scope the figures of the sites it sees."""

    def compute() -> tuple[AirSummary, list[SectionClass]]:
        year = reports.air_summary(uow, air_sites=air_sites, start=date(today.year, 1, 1), end=today)
        first, last = recent_days(today)
        water = reports.water_summary(uow, sections=sections, start=first, end=last)
        return year, water

    if cache is None:
        return compute()
    cached: tuple[AirSummary, list[SectionClass]] = cache.get_or_compute(
        ("dashboard-stats", scope, today), compute
    )
    return cached


def _state_counts(states: list[dict[str, Any]]) -> dict[str, int]:
    counts = dict.fromkeys((state.value for state in SiteState), 0)
    for site in states:
        counts[site["state"]] += 1
    return counts


def dashboard(
    uow: DashboardUow,
    *,
    scope: RowScope,
    now: datetime,
    statistics_cache: StatisticsCache | None = None,
) -> dict[str, Any]:
    """Everything the "one map" shows for ``scope`` at ``now`` (aware UTC), as a JSON-able dict.

    The public (``disclosed_only``) scope sees every town's outline but no park.
    """
    towns = uow.registry.visible_towns(scope if not scope.disclosed_only else CITY, with_boundaries=True)
    parks = [] if scope.disclosed_only else uow.registry.visible_parks(scope)
    sites = uow.registry.visible_sites(scope)
    states = monitoring_service.site_states(uow, sites=sites, now=now)
    air_sites = [s for s in sites if s["kind"] == "air_station"]
    sections = [s for s in sites if s["kind"] == "water_section"]
    reference = data_reference_time(uow, sites=air_sites + sections, now=now)
    today = statistics_day(uow, sites=air_sites + sections, now=now)
    city_wide = scope.town_codes is None and scope.park_id is None and scope.enterprise_id is None
    stat_air = reports.city_air_stations(air_sites) if city_wide else air_sites
    stat_sections = reports.city_sections(sections) if city_wide else sections
    year, water = _statistics(
        uow, scope=scope, air_sites=stat_air, sections=stat_sections, today=today, cache=statistics_cache
    )
    return {
        "generated_at": now.astimezone(CHINA_TZ).isoformat(timespec="seconds"),
        "city": uow.registry.city_summary(),
        "towns": [{k: t[k] for k in ("code", "name")} for t in towns],
        "parks": [{k: p[k] for k in ("id", "code", "name", "town_code")} for p in parks],
        "geojson": feature_collection(towns, parks),
        "sites": states,
        "counts": _state_counts(states),
        "current": current_city_aqi(uow, air_sites=stat_air, now=reference),
        "data_until": reference.astimezone(CHINA_TZ).isoformat(timespec="minutes"),
        "year": {
            "year": today.year,
            "start": date(today.year, 1, 1).isoformat(),
            "end": today.isoformat(),
            "valid_days": year.valid_days,
            "good_days": year.good_days,
            "good_day_ratio": year.good_day_ratio,
            "good_day_target": year.targets.get("good_air_day_ratio"),
            "pm2_5_mean": year.pm2_5_mean,
            "pm2_5_target": year.targets.get("pm2_5_annual_mean"),
        },
        "water": [w.to_dict() for w in water],
        "alarms": open_alarms(uow, scope=scope),
    }


#: The indicator system whose stored runs give an enterprise its evaluation class (亩均效益 A-D).
ENTERPRISE_CLASS_SYSTEM = "enterprise_per_mu"


class FirmRegistryPort(RegistryReadsPort, Protocol):
    def visible_enterprise(self, enterprise_id: int, scope: RowScope) -> dict[str, Any] | None: ...


class EnterpriseDashboardUow(AssessmentsUnitOfWork, Protocol):
    """What the enterprise dashboard reads: monitoring, the registry, stored evaluation runs and
    the alarms."""

    alarms: AlarmsRepository

    @property
    def monitoring(self) -> MonitoringReadsPort: ...

    @property
    def registry(self) -> FirmRegistryPort: ...


def enterprise_class(uow: AssessmentsUnitOfWork, *, credit_code: str) -> dict[str, Any] | None:
    """The firm's class in the newest stored run of :data:`ENTERPRISE_CLASS_SYSTEM` that rates it
    (``period``, ``grade``, ``total``, ``rank``, ``units``, ``run_id``), or None: a class is only
    ever read from a stored run, never computed here."""
    runs = assessments_service.list_runs(uow, system_id=ENTERPRISE_CLASS_SYSTEM)
    for run in sorted(runs, key=lambda r: (r.period, r.id or 0), reverse=True):
        rows = run.unit_rows()
        for row in rows:
            if row.get("unit") == credit_code:
                return {
                    "period": run.period,
                    "grade": row.get("grade"),
                    "total": row.get("total"),
                    "rank": row.get("rank"),
                    "units": len(rows),
                    "run_id": run.id,
                }
    return None


def _beijing_iso(moment: str | None) -> str | None:
    """An ISO 8601 instant as Beijing time (what a person reads), offset kept."""
    if moment is None:
        return None
    return datetime.fromisoformat(moment).astimezone(CHINA_TZ).isoformat(timespec="minutes")


def enterprise_dashboard(uow: EnterpriseDashboardUow, *, scope: RowScope, now: datetime) -> dict[str, Any]:
    """The dashboard of an enterprise user's own firm (``scope.enterprise_id``), as a JSON-able dict:
    the firm, each of its outlets with its state (:func:`greenport.monitoring.service.site_states`)
    and its newest hourly means against their limits
    (:func:`greenport.monitoring.service.latest_means_vs_limits`), its evaluation class from a
    stored run (:func:`enterprise_class`) and its open alarms (:func:`open_alarms`). No park, town or city figure is drawn."""
    if scope.enterprise_id is None:
        raise InvalidInput("the enterprise dashboard is for an account tied to an enterprise", field="scope")
    firm = uow.registry.visible_enterprise(scope.enterprise_id, scope)
    if firm is None:
        raise NotFound(f"no enterprise {scope.enterprise_id}", field="enterprise_id")
    outlets = [
        s
        for s in uow.registry.visible_sites(scope)
        if s["kind"] in OUTLET_KINDS and s.get("enterprise_id") == scope.enterprise_id
    ]
    states = {s["id"]: s for s in monitoring_service.site_states(uow, sites=outlets, now=now)}
    rows = []
    for outlet in outlets:
        state = states[outlet["id"]]
        rows.append(
            {
                "id": outlet["id"],
                "code": outlet["code"],
                "name": outlet["name"],
                "kind": outlet["kind"],
                "state": state["state"],
                "last_seen": _beijing_iso(state["last_seen"]),
                "emission_standard": outlet.get("emission_standard"),
                "latest": [
                    value | {"period_start": _beijing_iso(value["period_start"])}
                    for value in monitoring_service.latest_means_vs_limits(uow, site=outlet)
                ],
            }
        )
    return {
        "generated_at": now.astimezone(CHINA_TZ).isoformat(timespec="seconds"),
        "enterprise": {k: firm.get(k) for k in ("id", "name", "credit_code", "town_code", "industry_code")},
        "outlets": rows,
        "counts": _state_counts(rows),
        "evaluation": enterprise_class(uow, credit_code=str(firm["credit_code"])),
        "alarms": open_alarms(uow, scope=scope),
    }
