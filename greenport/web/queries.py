"""Read models shared by the JSON API and the pages (one function, two renderers).

Each function takes the unit of work and the caller; the caller's scope is applied by the
repository in SQL. The dashboard is computed once per scope and data generation of the hot
cache (:mod:`greenport.web.hot`), so 50 clients polling every few seconds cost one computation
per scope whenever data arrive.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool

from greenport.accounts.model import RowScope
from greenport.bootstrap import UnitOfWork
from greenport.kernel.time import CHINA_TZ, local_date, utcnow
from greenport.monitoring import service as monitoring
from greenport.monitoring.status import SiteState
from greenport.reports import service as reports
from greenport.reports.air import city_hour
from greenport.web.hot import HotCache

log = logging.getLogger(__name__)

#: Year and 30-day statistics change with each new day of data: recomputed at most this often [s].
STATS_TTL = 300.0


@dataclass
class _Entry:
    at: float
    value: Any


class TtlCache:
    """A tiny thread-safe time-to-live cache (per process).

    ``ttl`` [s] is measured on ``clock``, a monotonic clock (``time.monotonic`` unless a test
    passes one it moves itself, so expiry never depends on the machine's speed).
    """

    def __init__(self, ttl: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.clock = clock
        self._data: dict[Any, _Entry] = {}
        self._lock = threading.Lock()
        self._key_locks: dict[Any, threading.Lock] = {}

    def get(self, key: Any) -> Any | None:
        with self._lock:
            entry = self._data.get(key)
            if entry is None or self.clock() - entry.at > self.ttl:
                return None
            return entry.value

    def peek(self, key: Any, compute: Callable[[], Any]) -> Any | None:
        """Without ever blocking (fit for the event loop): the fresh value; an expired value,
        while one background thread computes the next (stale-while-revalidate); None if absent."""
        fresh = self.get(key)
        if fresh is not None:
            return fresh
        with self._lock:
            stale = self._data.get(key)
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        if stale is None:
            return None
        if key_lock.acquire(blocking=False):
            threading.Thread(target=self._refresh, args=(key, compute, key_lock), daemon=True).start()
        return stale.value

    def get_or_compute(
        self, key: Any, compute: Callable[[], Any], *, refresh_in_background: bool = False
    ) -> Any:
        """The cached value, else compute it once: concurrent callers of the same key wait for
        the one computation instead of all running it (no stampede when the TTL expires).

        When an expired value exists, the others get it while one refreshes; with
        ``refresh_in_background`` nobody waits: the refresh runs in a thread (``compute`` must
        then open its own unit of work) and the caller gets the previous value at once.
        """
        fresh = self.get(key)
        if fresh is not None:
            return fresh
        with self._lock:
            key_lock = self._key_locks.setdefault(key, threading.Lock())
            stale = self._data.get(key)
        if stale is not None:
            if not key_lock.acquire(blocking=False):
                return stale.value
            if refresh_in_background:
                threading.Thread(target=self._refresh, args=(key, compute, key_lock), daemon=True).start()
                return stale.value
        else:
            key_lock.acquire()
        try:
            fresh = self.get(key)
            if fresh is not None:
                return fresh
            value = compute()
            self.put(key, value)
            return value
        finally:
            key_lock.release()

    def _refresh(self, key: Any, compute: Callable[[], Any], key_lock: threading.Lock) -> None:
        try:
            self.put(key, compute())
        except Exception:  # forget the value; the next caller computes it again
            log.exception("background refresh of %r failed", key)
            self.pop(key)
        finally:
            key_lock.release()

    def put(self, key: Any, value: Any) -> None:
        with self._lock:
            self._data[key] = _Entry(self.clock(), value)

    def pop_where(self, matches: Callable[[Any], bool]) -> None:
        """Drop every entry whose key ``matches`` (a revoked token known only by its digest)."""
        with self._lock:
            for key in [key for key in self._data if matches(key)]:
                del self._data[key]

    def pop(self, key: Any) -> None:
        with self._lock:
            self._data.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


async def cached(cache: TtlCache, key: Any, compute: Callable[[], Any]) -> Any:
    """A fresh cached value without leaving the event loop, else compute it in the thread pool
    (single-flight, see :meth:`TtlCache.get_or_compute`)."""
    hit = cache.get(key)
    if hit is not None:
        return hit
    return await run_in_threadpool(cache.get_or_compute, key, compute)


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


def site_states(uow: UnitOfWork, sites: list[dict[str, Any]], *, now: datetime) -> list[dict[str, Any]]:
    """Each site with its state (:func:`greenport.monitoring.service.site_states`)."""
    return monitoring.site_states(uow, sites=sites, now=now)


def data_reference_time(uow: UnitOfWork, sites: list[dict[str, Any]], *, now: datetime) -> datetime:
    """``now``, or the end of the newest stored hour when the data stop earlier (a back-filled
    demo year, an archive): statistics then describe the data's own year, not an empty one."""
    latest = uow.monitoring.latest_aggregate_time([s["id"] for s in sites], period="hour")
    if latest is None:
        return now
    return min(now, latest + timedelta(hours=1) - timedelta(microseconds=1))


def current_city_aqi(
    uow: UnitOfWork, air_sites: list[dict[str, Any]], *, now: datetime
) -> dict[str, Any] | None:
    ids = [s["id"] for s in air_sites]
    rows = uow.monitoring.aggregate_values(
        ids, period="hour", start=now - timedelta(hours=30), end=now + timedelta(hours=1)
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


def dumps(value: Any) -> bytes:
    """JSON of an answer (UTF-8, non-ASCII kept, dates ISO 8601; orjson)."""
    return orjson.dumps(value, default=str, option=orjson.OPT_NON_STR_KEYS)


def scope_dashboard(hot: HotCache, scope: RowScope) -> dict[str, Any]:
    """Everything the "one map" shows for ``scope``: computed once per scope and generation of
    the hot cache (its refresher recomputes it when data arrive), with its own unit of work."""
    stats_cache = hot.stats if isinstance(hot.stats, TtlCache) else None

    def compute(uow: UnitOfWork) -> dict[str, Any]:
        return compute_dashboard(uow, scope, now=utcnow(), stats_cache=stats_cache)

    result: dict[str, Any] = hot.data(("dashboard", scope), compute)
    return result


def compute_dashboard(
    uow: UnitOfWork, scope: RowScope, *, now: datetime, stats_cache: TtlCache | None = None
) -> dict[str, Any]:
    towns = uow.registry.visible_towns(
        scope if not scope.disclosed_only else RowScope(), with_boundaries=True
    )
    parks = [] if scope.disclosed_only else uow.registry.visible_parks(scope)
    sites = uow.registry.visible_sites(scope)
    states = site_states(uow, sites, now=now)
    air_sites = [s for s in sites if s["kind"] == "air_station"]
    sections = [s for s in sites if s["kind"] == "water_section"]
    reference = data_reference_time(uow, air_sites + sections, now=now)
    today = local_date(reference)

    city_wide = scope.town_codes is None and scope.park_id is None and scope.enterprise_id is None
    stat_air = reports.city_air_stations(air_sites) if city_wide else air_sites
    stat_sections = reports.city_sections(sections) if city_wide else sections

    def statistics() -> tuple[Any, Any]:
        year = reports.air_summary(uow, air_sites=stat_air, start=date(today.year, 1, 1), end=today)
        water = reports.water_summary(
            uow, sections=stat_sections, start=today - timedelta(days=30), end=today
        )
        return year, water

    if stats_cache is None:
        year, water = statistics()
    else:
        year, water = stats_cache.get_or_compute(("dashboard-stats", scope, today), statistics)
    counts = {SiteState.NORMAL: 0, SiteState.OVER_LIMIT: 0, SiteState.OFFLINE: 0}
    for s in states:
        counts[s["state"]] += 1
    value = {
        "generated_at": now.astimezone(CHINA_TZ).isoformat(timespec="seconds"),
        "city": uow.registry.city_summary(),
        "towns": [{k: t[k] for k in ("code", "name")} for t in towns],
        "parks": [{k: p[k] for k in ("id", "code", "name", "town_code")} for p in parks],
        "geojson": feature_collection(towns, parks),
        "sites": states,
        "counts": counts,
        "current": current_city_aqi(uow, stat_air, now=reference),
        "data_until": reference.astimezone(CHINA_TZ).isoformat(timespec="minutes"),
        "year": {
            "year": today.year,
            "valid_days": year.valid_days,
            "good_days": year.good_days,
            "good_day_ratio": year.good_day_ratio,
            "good_day_target": year.targets.get("good_air_day_ratio"),
            "pm2_5_mean": year.pm2_5_mean,
            "pm2_5_target": year.targets.get("pm2_5_annual_mean"),
        },
        "water": [w.to_dict() for w in water],
    }
    return value
