"""Use cases of online monitoring: store batches, recompute aggregates, city statistics, export,
and the reads pages draw (site states, series against limits, observations, quarantine).

Services take a unit of work typed by :mod:`greenport.monitoring.ports`; they never see a session.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from greenport.kernel.errors import DomainError, InvalidInput, NotFound
from greenport.kernel.parameters import registry as parameter_registry
from greenport.kernel.time import PeriodKind, local_date, local_day_bounds, local_year_bounds, utcnow
from greenport.monitoring import aggregation, city_air, status
from greenport.monitoring import water as water_rules
from greenport.monitoring.model import (
    Aggregate,
    AggregationFailure,
    IndexKind,
    Observation,
    QuarantineEntry,
    is_late,
)
from greenport.monitoring.ports import MonitoringReadsUnitOfWork, MonitoringUnitOfWork
from greenport.standards import validity

HOUR = timedelta(hours=1)
AIR_STATION = "air_station"
WATER_SECTION = "water_section"
#: Site levels whose stations make the city's published air figures (国控/省控 points).
CITY_AIR_LEVELS = ("national", "provincial")
#: Site levels of the sections the seeds' water figures cover.
CITY_WATER_LEVELS = ("national", "provincial", "tributary")


def _is_canonical(parameter: str) -> bool:
    return ":" not in parameter


def recompute(uow: MonitoringUnitOfWork, *, marks: Iterable[tuple[int, datetime]]) -> dict[str, int]:
    """Recompute everything derived from the (site, hour) ``marks``: hourly means of those hours,
    daily means/AQI/water class of their local days, hourly AQI of the 24 hours they influence.

    Returns counts of what was written.
    """
    repo = uow.monitoring
    by_day: dict[date, set[tuple[int, datetime]]] = defaultdict(set)
    for site_id, hour in marks:
        by_day[local_date(hour)].add((site_id, hour.replace(minute=0, second=0, microsecond=0)))
    if not by_day:
        return {"hours": 0, "days": 0}
    all_sites = {site_id for marks_of_day in by_day.values() for site_id, _ in marks_of_day}
    sites = repo.sites(all_sites)
    written = {"hours": 0, "days": 0, "aqi_hours": 0}
    for day, day_marks in sorted(by_day.items()):
        start, end = local_day_bounds(day)
        site_ids = {site_id for site_id, _ in day_marks}
        hours = sorted({hour for _, hour in day_marks})
        obs = [
            o
            for o in repo.observations(start=hours[0], end=hours[-1] + HOUR, site_ids=site_ids)
            if (o.site_id, o.data_time.replace(minute=0, second=0, microsecond=0)) in day_marks
            and _is_canonical(o.parameter)
        ]
        hourly = aggregation.hourly_aggregates(obs)
        repo.put_aggregates(hourly)
        written["hours"] += len(hourly)
        # daily statistics of the whole local day
        day_hourly = repo.aggregates(start=start, end=end, period=PeriodKind.HOUR, site_ids=site_ids)
        daily = _daily(day_hourly, sites)
        repo.put_aggregates(daily)
        written["days"] += len(daily)
        air = {s for s in site_ids if s in sites and sites[s].kind == AIR_STATION}
        water = {s for s in site_ids if s in sites and sites[s].kind == WATER_SECTION}
        if air:
            repo.put_indices(aggregation.daily_aqi([a for a in day_hourly if a.site_id in air]))
            window = repo.aggregates(
                start=start - 23 * HOUR, end=end + 24 * HOUR, period=PeriodKind.HOUR, site_ids=air
            )
            affected = {
                (site_id, hour + k * HOUR) for site_id, hour in day_marks if site_id in air for k in range(24)
            }
            affected = {(s, h) for s, h in affected if h < end + 24 * HOUR}
            indices = aggregation.hourly_aqi(window, sorted(affected))
            repo.put_indices(indices)
            written["aqi_hours"] += len(indices)
        if water:
            targets = {s: sites[s].target_class for s in water}
            bodies = {s: sites[s].waterbody for s in water}
            repo.put_indices(
                aggregation.daily_water_class([a for a in daily if a.site_id in water], targets, bodies)
            )
    return written


def _daily(hourly: Sequence[Aggregate], sites: dict[int, Any]) -> list[Aggregate]:
    """Daily means; for air stations O3 is the daily max 1-h (``o3``) and max 8-h (``o3_8h``)."""
    plain: list[Aggregate] = []
    o3: list[Aggregate] = []
    for agg in hourly:
        is_o3 = agg.parameter == "o3" and agg.site_id in sites and sites[agg.site_id].kind == AIR_STATION
        (o3 if is_o3 else plain).append(agg)
    out = aggregation.daily_aggregates(plain)
    for (site_id, start), by_parameter in aggregation.day_series(o3).items():
        series = by_parameter["o3"]
        max1 = validity.o3_daily_max_1h(series)
        max8 = validity.o3_daily_max_8h(series)
        out.append(Aggregate(start, site_id, PeriodKind.DAY, "o3", max1.value, max1.count, max1.valid))
        out.append(Aggregate(start, site_id, PeriodKind.DAY, "o3_8h", max8.value, max8.count, max8.valid))
    return out


def derive_from(
    uow: MonitoringUnitOfWork,
    *,
    observations: Sequence[Observation],
    context_hourly: Sequence[Aggregate] = (),
    computed_at: datetime | None = None,
) -> list[Aggregate]:
    """Bulk path of :func:`recompute` for whole local days already in memory (the back-fill):
    the same pure functions on the observations just stored, without reading them back.

    ``context_hourly`` holds the air stations' hourly means of the preceding 23 hours (for the
    24-h PM running means of the first hours); the air stations' hourly means of this batch are
    returned so the caller can pass the tail on. ``computed_at`` stamps the derived rows (the
    demo gives a fixed time so that two builds give the same database); default: now.
    """
    repo = uow.monitoring
    sites = repo.sites({o.site_id for o in observations})
    hourly = aggregation.hourly_aggregates(o for o in observations if _is_canonical(o.parameter))
    repo.put_aggregates(hourly, computed_at=computed_at)
    daily = _daily(hourly, sites)
    repo.put_aggregates(daily, computed_at=computed_at)
    air = {s for s, site in sites.items() if site.kind == AIR_STATION}
    water = {s for s, site in sites.items() if site.kind == WATER_SECTION}
    air_hourly = [a for a in hourly if a.site_id in air]
    if air:
        repo.put_indices(aggregation.daily_aqi(air_hourly), computed_at=computed_at)
        hours = sorted({(a.site_id, a.period_start) for a in air_hourly})
        repo.put_indices(
            aggregation.hourly_aqi([*context_hourly, *air_hourly], hours), computed_at=computed_at
        )
    if water:
        targets = {s: sites[s].target_class for s in water}
        bodies = {s: sites[s].waterbody for s in water}
        repo.put_indices(
            aggregation.daily_water_class([a for a in daily if a.site_id in water], targets, bodies),
            computed_at=computed_at,
        )
    return air_hourly


#: Errors a stored value can make a rule raise (a standard refusing an absurd concentration,
#: arithmetic on one); a database error is none of them and fails the whole cycle, to be retried.
DATA_ERRORS: tuple[type[Exception], ...] = (DomainError, ArithmeticError, ValueError, TypeError)


def process_dirty(
    uow: MonitoringUnitOfWork,
    *,
    before: datetime,
    limit: int = 20000,
    failures: list[AggregationFailure] | None = None,
    taken: list[tuple[int, datetime]] | None = None,
) -> int:
    """Take the (site, hour) marks of hours starting before ``before`` and recompute them, each
    site and hour isolated from the others (:func:`recompute_isolated`); the ones that fail are
    appended to ``failures`` and the marks taken to ``taken`` when given (the alarm rules on
    means re-read those hours). Returns the number of marks taken."""
    marks = uow.monitoring.take_dirty(before=before, limit=limit)
    if taken is not None:
        taken.extend(marks)
    if marks:
        failed = recompute_isolated(uow, marks=marks)
        if failures is not None:
            failures.extend(failed)
    return len(marks)


def recompute_isolated(
    uow: MonitoringUnitOfWork, *, marks: Sequence[tuple[int, datetime]], failed_at: datetime | None = None
) -> list[AggregationFailure]:
    """:func:`recompute` of ``marks`` such that one failing site or hour never blocks the others.

    The whole batch is tried first (the usual case: one pass); if it fails, each site's marks
    are tried alone, and within a failing site each hour alone, every attempt in a savepoint so
    that a failed one leaves nothing half-written. A (site, hour) that fails alone is recorded
    (``monitoring_aggregation_failures``, listed by ``greenport ingest failures``) and returned;
    an hour computed again successfully clears its record.
    """
    repo = uow.monitoring

    def attempt(group: Sequence[tuple[int, datetime]]) -> Exception | None:
        try:
            with repo.savepoint():
                recompute(uow, marks=group)
        except DATA_ERRORS as exc:
            return exc
        repo.clear_aggregation_failures(group)
        return None

    if attempt(marks) is None:
        return []
    by_site: dict[int, list[tuple[int, datetime]]] = defaultdict(list)
    for site_id, hour in marks:
        by_site[site_id].append((site_id, hour))
    when = failed_at or utcnow()
    failed: list[AggregationFailure] = []
    for site_marks in by_site.values():
        if len(by_site) > 1 and attempt(site_marks) is None:
            continue
        for mark in sorted(site_marks, key=lambda m: m[1]):
            error = attempt([mark])
            if error is not None:
                failure = AggregationFailure(
                    mark[0], mark[1], when, f"{type(error).__name__}: {error}"[:2000]
                )
                repo.record_aggregation_failure(failure)
                failed.append(failure)
    return failed


def aggregation_failures(uow: MonitoringUnitOfWork, *, limit: int = 100) -> list[AggregationFailure]:
    """The (site, hour) marks whose aggregation failed, newest first."""
    return uow.monitoring.aggregation_failures(limit=limit)


def store_observations(
    uow: MonitoringUnitOfWork, *, observations: Sequence[Observation], mark_dirty: bool = True
) -> None:
    """Store observations idempotently (the bulk path the demo back-fill shares with ingest) and,
    unless the caller recomputes itself (``mark_dirty=False``), mark their hours for recomputation.
    Values received after their period's grace (:func:`~greenport.monitoring.model.is_late`) are
    flagged late."""
    observations = [
        o
        if o.late or o.received_at is None or not is_late(o.period, o.data_time, o.received_at)
        else o._replace(late=True)
        for o in observations
    ]
    dirty = (
        {(o.site_id, o.data_time.replace(minute=0, second=0, microsecond=0)) for o in observations}
        if mark_dirty
        else set()
    )
    uow.monitoring.store(observations=observations, dirty=dirty)


# -- city statistics -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CitySummary:
    year: int
    pm2_5_annual_mean: float | None
    pm2_5_station_means: dict[str, float | None]
    pm2_5_valid: bool
    good_days: int
    valid_days: int
    good_day_ratio: float | None
    water_sections: int
    water_sections_class_iii_or_better: int
    water_classes: dict[str, int]
    definitions: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "pm2_5_annual_mean": None if self.pm2_5_annual_mean is None else round(self.pm2_5_annual_mean, 2),
            "pm2_5_station_means": {
                k: (None if v is None else round(v, 2)) for k, v in sorted(self.pm2_5_station_means.items())
            },
            "pm2_5_valid": self.pm2_5_valid,
            "good_days": self.good_days,
            "valid_days": self.valid_days,
            "good_day_ratio": None if self.good_day_ratio is None else round(self.good_day_ratio, 2),
            "water_sections": self.water_sections,
            "water_sections_class_iii_or_better": self.water_sections_class_iii_or_better,
            "water_classes": dict(sorted(self.water_classes.items())),
            "definitions": self.definitions,
        }


DEFINITIONS = {
    "pm2_5_annual_mean": "arithmetic mean over the year's days of the city's daily PM2.5, the mean of the "
    "national and provincial air stations' valid daily means (HJ 663-2013; GB 3095-2012 Table 4: a daily "
    "mean needs >= 20 hourly means; pm2_5_valid tells whether every station also has >= 324 days) [µg/m³]",
    "good_day_ratio": "days whose city daily AQI (HJ 633-2012 daily report on the city daily "
    "concentrations = mean of the national/provincial stations' valid daily values: 24-h means, O3 max "
    "1-h and max 8-h) is <= 100, over days with a city daily AQI [%]",
    "water_class": "per section: annual mean of each parameter's valid daily means, classed by GB 3838-2002 "
    "Table 1 single-factor method (worst factor)",
}


def city_summary(uow: MonitoringUnitOfWork, *, year: int) -> CitySummary:
    """The city's published air and water figures for ``year``, computed from stored aggregates."""
    repo = uow.monitoring
    start, end = local_year_bounds(year)
    sites = repo.sites()
    air = {s.id: s for s in sites.values() if s.kind == AIR_STATION and s.level in CITY_AIR_LEVELS}
    water = {s.id: s for s in sites.values() if s.kind == WATER_SECTION and s.level in CITY_WATER_LEVELS}
    daily_air = repo.aggregates(start=start, end=end, period=PeriodKind.DAY, site_ids=air) if air else []
    station_means: dict[str, float | None] = {}
    all_valid = bool(air)
    for site_id, site in air.items():
        series = {
            local_date(a.period_start): (a.value if a.valid else None)
            for a in daily_air
            if a.site_id == site_id and a.parameter == "pm2_5"
        }
        stat = validity.annual_mean(series, year)
        present = [v for v in series.values() if v is not None]
        station_means[site.code] = sum(present) / len(present) if present else None
        all_valid = all_valid and stat.valid
    city = city_air.city_air_figures(
        city_air.city_daily_means(city_air.valid_daily_values(daily_air)),
        start=date(year, 1, 1),
        end=date(year, 12, 31),
    )
    classes: dict[str, int] = {}
    if water:
        daily_water = repo.aggregates(start=start, end=end, period=PeriodKind.DAY, site_ids=water)
        sums: dict[int, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
        for a in daily_water:
            if a.valid and a.value is not None and a.parameter in aggregation.WATER_CLASS_PARAMETERS:
                sums[a.site_id][a.parameter].append(a.value)
        for site_id, by_parameter in sums.items():
            annual = {p: sum(v) / len(v) for p, v in by_parameter.items()}
            classes[water[site_id].code] = water_rules.overall_class(
                annual, waterbody=water[site_id].waterbody or "river"
            )[0]
    return CitySummary(
        year=year,
        pm2_5_annual_mean=city.pm2_5_mean,
        pm2_5_station_means=station_means,
        pm2_5_valid=all_valid,
        good_days=city.good_days,
        valid_days=city.valid_days,
        good_day_ratio=city.good_day_ratio,
        water_sections=len(classes),
        water_sections_class_iii_or_better=sum(1 for c in classes.values() if c <= 3),
        water_classes=classes,
        definitions=DEFINITIONS,
    )


# -- reads for export and the app -----------------------------------------------------------------


def export_rows(
    uow: MonitoringUnitOfWork,
    *,
    start: datetime,
    end: datetime,
    period: str,
    site_id: int | None = None,
    mn: str | None = None,
) -> list[dict[str, Any]]:
    """Rows for ``greenport export observations``: raw observations or hourly/daily aggregates.

    ``unit`` is the parameter's canonical unit (``kernel/data/parameters.csv``), the unit every
    value, O2-corrected value and min/max is stored in; it is empty for a factor kept as sent
    (``hj212:<code>``, in the device's own unit). ``cou`` is the period's cumulative amount as the
    device sent it (HJ 212-2017 Table E.1, ``-Cou``).
    """
    if end <= start:
        raise InvalidInput("--to must be after --from", field="to")
    repo = uow.monitoring
    device_ids = None
    if mn is not None:
        device = repo.device_credentials(mn)
        if device is None:
            raise NotFound(f"no device with MN {mn}", field="mn")
        device_ids = [device.id]
        site_id = site_id or device.site_id
    if site_id is None:
        raise InvalidInput("give --site or --mn", field="site")
    sites = repo.sites([site_id])
    if site_id not in sites:
        raise NotFound(f"no site with id {site_id}", field="site")
    units = parameter_registry()

    def unit(parameter: str) -> str:
        found = units.get(parameter)
        return "" if found is None else found.unit

    if period == "raw":
        obs = repo.observations(start=start, end=end, site_ids=[site_id], device_ids=device_ids)
        return [
            {
                "data_time": o.data_time.isoformat(),
                "site": sites[site_id].code,
                "device_id": o.device_id,
                "period": o.period.value,
                "parameter": o.parameter,
                "value": o.value,
                "unit": unit(o.parameter),
                "zs_value": o.zs_value,
                "min_value": o.min_value,
                "max_value": o.max_value,
                "cou": o.cou,
                "flag": o.flag.value,
                "late": o.late,
                "frame_id": o.frame_id,
            }
            for o in obs
        ]
    if period not in ("hour", "day"):
        raise InvalidInput(f"period must be raw, hour or day, got {period!r}", field="period")
    aggs = repo.aggregates(start=start, end=end, period=PeriodKind(period), site_ids=[site_id])
    return [
        {
            "period_start": a.period_start.isoformat(),
            "site": sites[site_id].code,
            "period": a.period.value,
            "parameter": a.parameter,
            "value": None if a.value is None or math.isnan(a.value) else a.value,
            "unit": unit(a.parameter),
            "n_values": a.n_values,
            "valid": a.valid,
        }
        for a in aggs
    ]


def quarantine(
    uow: MonitoringUnitOfWork, *, limit: int = 100, reason: str | None = None
) -> list[QuarantineEntry]:
    """The newest ``limit`` refused packets (of one ``reason``), newest first, with their raw bytes."""
    return uow.monitoring.quarantine(limit=limit, reason=reason)


def purge_quarantine(uow: MonitoringUnitOfWork, *, before: datetime) -> int:
    """Delete the quarantine entries received before ``before`` (the retention policy,
    ``GREENPORT_INGEST_QUARANTINE_RETENTION_DAYS``); returns how many were deleted."""
    return uow.monitoring.purge_quarantine(before=before)


def index_values(
    uow: MonitoringUnitOfWork,
    *,
    start: datetime,
    end: datetime,
    period: PeriodKind,
    kind: IndexKind,
    site_ids: Iterable[int] | None = None,
) -> list[Any]:
    return uow.monitoring.indices(start=start, end=end, period=period, kind=kind, site_ids=site_ids)


# -- site status and the reads of the pages -------------------------------------------------------

#: How far back the newest values of a site are looked for: a site silent for longer is offline
#: anyway (:data:`greenport.monitoring.status.OFFLINE_AFTER`), so older values would not change
#: its state; a daily water class or mean is looked for over more days (daily means are computed
#: once the local day is over).
LAST_SEEN_WINDOW = timedelta(days=2)
HOURLY_WINDOW = timedelta(days=2)
DAILY_MEAN_WINDOW = timedelta(days=3)
WATER_CLASS_WINDOW = timedelta(days=7)
#: The registry fields a site's state carries along (what the map draws).
SITE_STATE_FIELDS = ("id", "code", "name", "kind", "level", "town_code", "enterprise_id", "lon", "lat")


def site_states(
    uow: MonitoringReadsUnitOfWork, *, sites: Sequence[dict[str, Any]], now: datetime
) -> list[dict[str, Any]]:
    """Each site with its state (``normal`` / ``over_limit`` / ``offline``,
    :func:`greenport.monitoring.status.site_state`), its newest AQI (``aqi``, ``aqi_category``,
    ``primary``) or water class, for outlets the pollutants over their emission limit
    (``exceedances``), and ``last_seen`` (ISO 8601 or None).

    ``sites`` are registry read models (dicts) the caller may see; ``now`` is the instant judged.
    """
    reads = uow.monitoring
    judged = {s["id"]: status.MonitoredSite.of(s) for s in sites}
    ids = [s["id"] for s in sites]
    air_ids = [i for i in ids if judged[i].kind == status.AIR_STATION]
    water_ids = [i for i in ids if judged[i].kind == status.WATER_SECTION]
    outlet_ids = [i for i in ids if judged[i].is_judged_outlet]
    seen = reads.sites_last_seen(ids, since=now - LAST_SEEN_WINDOW)
    aqi = reads.latest_indices(air_ids, kind=IndexKind.AQI.value, period="hour", since=now - HOURLY_WINDOW)
    water = reads.latest_indices(
        water_ids, kind=IndexKind.WATER_CLASS.value, period="day", since=now - WATER_CLASS_WINDOW
    )
    hourly = reads.latest_aggregates(outlet_ids, period="hour", since=now - HOURLY_WINDOW)
    daily = reads.latest_aggregates(outlet_ids, period="day", since=now - DAILY_MEAN_WINDOW)
    out = []
    for site in sites:
        site_id = site["id"]
        latest = status.LatestValues(
            last_seen=seen.get(site_id),
            aqi=aqi.get(site_id),
            water_class=water.get(site_id),
            hourly=hourly.get(site_id, {}),
            daily=daily.get(site_id, {}),
        )
        judgement = status.site_state(judged[site_id], latest, now=now)
        item = {key: site[key] for key in SITE_STATE_FIELDS}
        item["target_class"] = site.get("target_class")
        if latest.aqi is not None:
            item["aqi"] = latest.aqi["value"]
            item["aqi_category"] = latest.aqi["label"]
            item["primary"] = latest.aqi["detail"].get("primary", [])
        if latest.water_class is not None:
            item["water_class"] = latest.water_class["value"]
        if site["kind"] in status.OUTLET_KINDS:
            item["exceedances"] = [e.to_dict() for e in judgement.exceedances]
        item["last_seen"] = latest.last_seen.isoformat() if latest.last_seen else None
        item["state"] = judgement.state.value
        out.append(item)
    return out


#: Periods a site's series is shown at: values as received, hourly and daily means (HJ 212-2017 §6.6).
SERIES_PERIODS = ("raw", "hour", "day")
#: The longest window drawn at each period [days]: a week of raw values is ~10,000 points per
#: parameter at one value a minute, the bound of what a page draws (and of ``observation_rows``).
MAX_SERIES_DAYS = {"raw": 7, "hour": 400, "day": 3660}
#: Length of one period, to end a window just after its newest value.
_PERIOD_LENGTH = {"raw": timedelta(seconds=1), "hour": timedelta(hours=1), "day": timedelta(days=1)}
#: Before any monitoring data (the search for a site's newest value starts here).
_BEFORE_ANY_DATA = datetime(1970, 1, 1, tzinfo=UTC)


def _check_period(period: str) -> None:
    if period not in SERIES_PERIODS:
        raise InvalidInput(f"period {period!r} is not one of {', '.join(SERIES_PERIODS)}", field="period")


def latest_site_data(uow: MonitoringReadsUnitOfWork, *, site_id: int, period: str) -> datetime | None:
    """Time of the newest stored value of ``site_id`` at ``period`` (``raw``: the newest
    observation; ``hour``/``day``: the start of the newest mean, valid or not), or None."""
    _check_period(period)
    if period == "raw":
        return uow.monitoring.sites_last_seen([site_id], since=_BEFORE_ANY_DATA).get(site_id)
    return uow.monitoring.latest_aggregate_time([site_id], period=period)


def site_window(
    uow: MonitoringReadsUnitOfWork,
    *,
    site_id: int,
    period: str,
    days: float,
    start: datetime | None = None,
    end: datetime | None = None,
    now: datetime,
) -> tuple[datetime, datetime]:
    """The [start, end) window a site's chart shows (aware UTC).

    Given ``start`` and ``end``, that window; otherwise the ``days`` [d] ending just after the
    site's newest value at ``period`` (:func:`latest_site_data`): a site whose data stop a year
    ago shows that year, not an empty week before today; ``now`` without any data. A window is
    at most :data:`MAX_SERIES_DAYS` of its period (longer asks are an :class:`InvalidInput`).
    """
    _check_period(period)
    if start is not None and end is not None:
        if end <= start:
            raise InvalidInput("the window's end is not after its start", field="to")
        days = (end - start) / timedelta(days=1)
    elif days <= 0:
        raise InvalidInput(f"the window of {days} days is empty", field="range")
    if days > MAX_SERIES_DAYS[period]:
        raise InvalidInput(
            f"a {period} series shows at most {MAX_SERIES_DAYS[period]} days, not {days:g}", field="range"
        )
    if start is not None and end is not None:
        return start, end
    newest = latest_site_data(uow, site_id=site_id, period=period)
    stop = now if newest is None else newest + _PERIOD_LENGTH[period]
    return stop - timedelta(days=days), stop


def site_series(
    uow: MonitoringReadsUnitOfWork, *, site: dict[str, Any], period: str, start: datetime, end: datetime
) -> dict[str, Any]:
    """Raw values or hourly/daily means (``period``) of ``site`` in [start, end), valid or not,
    per parameter with the limit lines in force on ``end``
    (:func:`greenport.monitoring.status.limit_lines`; raw values are drawn against the 1-h limit)."""
    _check_period(period)
    by_parameter: dict[str, list[tuple[str, float]]] = {}
    if period == "raw":
        for obs in uow.monitoring.observation_rows(site["id"], start=start, end=end, period="raw"):
            if obs["value"] is not None:
                by_parameter.setdefault(obs["parameter"], []).append((obs["time"], obs["value"]))
    else:
        rows = uow.monitoring.aggregate_values(
            [site["id"]], period=period, start=start, end=end, valid_only=False
        )
        for moment, _site, parameter, value in rows:
            by_parameter.setdefault(parameter, []).append((moment.isoformat(), value))
    judged = status.MonitoredSite.of(site)
    limit_period = "hour" if period == "raw" else period
    return {
        "site": site,
        "period": period,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "series": {
            parameter: {
                "points": points,
                "limits": status.limit_lines(judged, parameter, period=limit_period, on=end),
            }
            for parameter, points in sorted(by_parameter.items())
        },
    }


def site_observations(
    uow: MonitoringReadsUnitOfWork,
    *,
    site_id: int,
    start: datetime,
    end: datetime,
    periods: Sequence[str] = ("raw",),
) -> list[dict[str, Any]]:
    """Stored observations of one site in [start, end) with their device flags (HJ 212-2017
    Table 8), one block per period of ``periods`` in that order, each oldest first."""
    rows: list[dict[str, Any]] = []
    for period in periods:
        rows += uow.monitoring.observation_rows(site_id, start=start, end=end, period=period)
    return rows


def latest_means_vs_limits(uow: MonitoringReadsUnitOfWork, *, site: dict[str, Any]) -> list[dict[str, Any]]:
    """The newest valid hourly mean of each parameter of ``site`` (wherever in time it is), with
    the limit it is judged against on its date (:func:`greenport.monitoring.status.applicable_limit`)
    and whether it is over (an outlet: :func:`~greenport.monitoring.status.outlet_exceedances`,
    the mean referred to the reference O2 where the limit asks it).

    One dict per parameter: ``parameter``, ``unit`` (canonical), ``period_start`` (ISO 8601),
    ``value``, ``limit`` / ``limit_low`` / ``standard`` / ``averaging`` (None without a published
    limit), ``over`` (bool). Empty when the site has no valid hourly mean.
    """
    site_id = int(site["id"])
    newest = uow.monitoring.latest_aggregate_time([site_id], period="hour", valid_only=True)
    if newest is None:
        return []
    since = newest - HOURLY_WINDOW
    hourly = uow.monitoring.latest_aggregates([site_id], period="hour", since=since).get(site_id, {})
    daily = uow.monitoring.latest_aggregates([site_id], period="day", since=since).get(site_id, {})
    judged = status.MonitoredSite.of(site)
    over = {e.parameter for e in status.outlet_exceedances(judged, hourly=hourly, daily=daily)}
    known = parameter_registry()
    rows = []
    for parameter, (start, value) in sorted(hourly.items()):
        limit = status.applicable_limit(judged, parameter, period="hour", on=start)
        rows.append(
            {
                "parameter": parameter,
                "unit": known[parameter].unit if parameter in known else "",
                "period_start": start.isoformat(),
                "value": value,
                "limit": limit.value if limit else None,
                "limit_low": limit.low if limit else None,
                "standard": limit.label if limit else None,
                "standard_code": limit.standard if limit else None,
                "reference_o2": limit.reference_o2 if limit else None,
                "averaging": limit.averaging if limit else None,
                "over": parameter in over,
            }
        )
    return rows
