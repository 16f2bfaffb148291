"""Public disclosure (信息公开): air and water quality, anonymous access."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from greenport.accounts.model import DISCLOSED, Principal, Role
from greenport.bootstrap import UnitOfWork
from greenport.enterprises import service as enterprises_service
from greenport.enterprises.model import SiteKind
from greenport.kernel.time import utcnow
from greenport.reports import service as reports
from greenport.reports.dashboard import recent_days, statistics_day
from greenport.web.deps import Gate
from greenport.web.response_cache import HotCache, HotRoute, TtlCache, dumps

router = APIRouter(prefix="/public", tags=["public"])


def public_air(uow: UnitOfWork, *, now: datetime | None = None) -> dict[str, Any]:
    """The disclosed air figures up to the newest day with valid data (``now``: aware UTC, the
    clock by default), so a new day or year without valid data yet does not empty the page."""
    sites = enterprises_service.visible_sites(uow, scope=DISCLOSED, kind=SiteKind.AIR_STATION)
    today = statistics_day(uow, sites=sites, now=now or utcnow())
    city = reports.city_air_stations(sites)
    first, last = recent_days(today)
    month = reports.air_summary(uow, air_sites=city, start=first, end=last)
    year = reports.air_summary(uow, air_sites=city, start=date(today.year, 1, 1), end=today)
    return {
        "stations": [{k: s[k] for k in ("id", "code", "name", "town_code", "lon", "lat")} for s in sites],
        "last_30_days": month.to_dict(),
        "year": {k: v for k, v in year.to_dict().items() if k != "days"},
    }


def public_water(uow: UnitOfWork, *, now: datetime | None = None) -> dict[str, Any]:
    sections = enterprises_service.visible_sites(uow, scope=DISCLOSED, kind=SiteKind.WATER_SECTION)
    today = statistics_day(uow, sites=sections, now=now or utcnow())
    first, last = recent_days(today)
    classes = reports.water_summary(uow, sections=sections, start=first, end=last)
    return {"data": [c.to_dict() for c in classes], "count": len(classes)}


PUBLIC_GATE = Gate(frozenset(Role), anonymous=True)


def _air_key(user: Principal, lang: str) -> Hashable:
    return ("api-public-air",)


def _water_key(user: Principal, lang: str) -> Hashable:
    return ("api-public-water",)


AIR = HotRoute("/api/public/air", PUBLIC_GATE, _air_key, "application/json")
WATER = HotRoute("/api/public/water", PUBLIC_GATE, _water_key, "application/json")


def _statistics(hot: HotCache, key: str, compute: Callable[[UnitOfWork], dict[str, Any]]) -> dict[str, Any]:
    """Daily statistics change with each day of data: reused for the statistics cache's TTL
    (``STATS_TTL``) across generations of the hot cache, and computed in its refresh thread."""
    stats = hot.stats

    def fetch(uow: UnitOfWork) -> dict[str, Any]:
        if isinstance(stats, TtlCache):
            value: dict[str, Any] = stats.get_or_compute((key,), lambda: compute(uow))
            return value
        return compute(uow)

    result: dict[str, Any] = hot.data((key,), fetch)
    return result


def air_data(hot: HotCache) -> dict[str, Any]:
    """The disclosed air summary (30 days and the year)."""
    return _statistics(hot, "public-air", public_air)


def water_data(hot: HotCache) -> dict[str, Any]:
    """The disclosed water sections against their targets (30 days)."""
    return _statistics(hot, "public-water", public_water)


@router.get("/air", summary="Disclosed air quality: last 30 days and the year so far")
async def get_public_air(request: Request, _: Annotated[Principal, Depends(AIR.gate)]) -> Response:
    hot: HotCache = request.app.state.hot
    entry = await hot.body(AIR.key(_, ""), lambda: dumps(air_data(hot)), AIR.media_type)
    return Response(entry.body, media_type=AIR.media_type, headers={"etag": entry.etag})


@router.get("/water", summary="Disclosed water sections: class against target over the last 30 days")
async def get_public_water(request: Request, _: Annotated[Principal, Depends(WATER.gate)]) -> Response:
    hot: HotCache = request.app.state.hot
    entry = await hot.body(WATER.key(_, ""), lambda: dumps(water_data(hot)), WATER.media_type)
    return Response(entry.body, media_type=WATER.media_type, headers={"etag": entry.etag})
