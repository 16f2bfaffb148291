"""Public disclosure page (信息公开): air and water quality, no log-in."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from greenport.accounts.model import Role
from greenport.web import charts
from greenport.web.api.public import public_air, public_water
from greenport.web.auth import Principal
from greenport.web.deps import UowDep, allow
from greenport.web.pages.base import render
from greenport.web.queries import cached

router = APIRouter(tags=["pages"], include_in_schema=False)


@dataclass(frozen=True)
class PublicContext:
    air: dict[str, Any] = field(metadata={"help": "disclosed air summary (30 days and the year)"})
    water: list[dict[str, Any]] = field(metadata={"help": "sections' class vs target"})
    aqi_chart: dict[str, Any] = field(metadata={"help": "ECharts option: daily AQI of the last 30 days"})


@router.get("/public")
async def public_page(
    request: Request, uow: UowDep, _: Annotated[Principal, allow(frozenset(Role), anonymous=True)]
) -> Response:
    cache = request.app.state.stats_cache
    air = await cached(cache, ("public-air",), lambda: public_air(uow))
    water = (await cached(cache, ("public-water",), lambda: public_water(uow)))["data"]
    chart = charts.daily_aqi_calendar(air["last_30_days"]["days"], title="AQI")
    return render(request, "public.html", PublicContext(air=air, water=water, aqi_chart=chart))
