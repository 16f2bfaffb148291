"""Public disclosure (信息公开): air and water quality, anonymous access."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Request

from greenport.accounts.model import Role
from greenport.kernel.time import local_date, utcnow
from greenport.reports import service as reports
from greenport.storage.uow import UnitOfWork
from greenport.storage.web_repo import RowScope
from greenport.web.auth import Principal
from greenport.web.deps import UowDep, allow
from greenport.web.queries import cached, data_reference_time

router = APIRouter(prefix="/public", tags=["public"])

DISCLOSED = RowScope(disclosed_only=True)


def public_air(uow: UnitOfWork) -> dict[str, Any]:
    sites = uow.web.sites(DISCLOSED, kind="air_station")
    today = local_date(data_reference_time(uow, sites, now=utcnow()))
    city = reports.city_air_stations(sites)
    month = reports.air_summary(uow, air_sites=city, start=today - timedelta(days=30), end=today)
    year = reports.air_summary(uow, air_sites=city, start=date(today.year, 1, 1), end=today)
    return {
        "stations": [{k: s[k] for k in ("id", "code", "name", "town_code", "lon", "lat")} for s in sites],
        "last_30_days": month.to_dict(),
        "year": {k: v for k, v in year.to_dict().items() if k != "days"},
    }


def public_water(uow: UnitOfWork) -> dict[str, Any]:
    sections = uow.web.sites(DISCLOSED, kind="water_section")
    today = local_date(data_reference_time(uow, sections, now=utcnow()))
    classes = reports.water_summary(uow, sections=sections, start=today - timedelta(days=30), end=today)
    return {"data": [c.to_dict() for c in classes], "count": len(classes)}


@router.get("/air", summary="Disclosed air quality: last 30 days and the year so far")
async def get_public_air(
    request: Request, uow: UowDep, _: Annotated[Principal, allow(frozenset(Role), anonymous=True)]
) -> dict[str, Any]:
    result: dict[str, Any] = request.app.state.stats_cache.get_or_compute(
        ("public-air",), lambda: public_air(uow)
    )
    return result


@router.get("/water", summary="Disclosed water sections: class against target over the last 30 days")
async def get_public_water(
    request: Request, uow: UowDep, _: Annotated[Principal, allow(frozenset(Role), anonymous=True)]
) -> dict[str, Any]:
    result: dict[str, Any] = await cached(
        request.app.state.stats_cache, ("public-water",), lambda: public_water(uow)
    )
    return result
