"""Monitoring pages: a site's series against its limits, device flags, quarantine, devices."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from greenport.accounts.model import SIGNED_IN, Principal
from greenport.enterprises import service as enterprises
from greenport.kernel.parameters import registry
from greenport.kernel.time import utcnow
from greenport.monitoring import service as monitoring
from greenport.web import charts
from greenport.web.api.monitoring import quarantine_row
from greenport.web.deps import UowDep, allow
from greenport.web.pages.base import menu_page, render
from greenport.web.params import RowId

router = APIRouter(tags=["pages"], include_in_schema=False)


@dataclass(frozen=True)
class SiteContext:
    site: dict[str, Any] = field(metadata={"help": "the site (registry row)"})
    charts: list[dict[str, Any]] = field(
        metadata={"help": "one ECharts option per parameter, limits as lines"}
    )
    observations: list[dict[str, Any]] = field(metadata={"help": "recent raw values with device flags"})
    devices: list[dict[str, Any]] = field(metadata={"help": "data loggers of the site"})
    period: str = field(metadata={"help": "hour | day"})


@router.get("/sites/{site_id}")
def site_page(
    site_id: RowId,
    request: Request,
    uow: UowDep,
    user: Annotated[Principal, allow(SIGNED_IN)],
    period: str = "hour",
    days: int = 7,
) -> Response:
    site = enterprises.visible_site(uow, scope=user.scope, site_id=site_id)
    period = period if period in ("hour", "day") else "hour"
    now = utcnow()
    series = monitoring.site_series(
        uow, site=site, period=period, start=now - timedelta(days=max(1, min(days, 400))), end=now
    )
    known = registry()
    option_list = []
    for parameter, entry in series["series"].items():
        unit = known[parameter].unit if parameter in known else ""
        option_list.append(
            charts.series_vs_limits(entry["points"], parameter=parameter, unit=unit, limits=entry["limits"])
        )
    obs = monitoring.site_observations(
        uow,
        site_id=site_id,
        start=now - timedelta(hours=6),
        end=now + timedelta(hours=1),
        periods=("minute", "raw"),
    )
    devices = enterprises.visible_devices(uow, scope=user.scope, site_id=site_id)
    ctx = SiteContext(site=site, charts=option_list, observations=obs[-200:], devices=devices, period=period)
    return render(request, "site.html", ctx)


@dataclass(frozen=True)
class QuarantineContext:
    rows: list[dict[str, Any]] = field(
        metadata={"help": "refused packets, newest first, with reason and raw frame"}
    )


@router.get("/quarantine")
def quarantine_page(
    request: Request, uow: UowDep, _: Annotated[Principal, menu_page("/quarantine")]
) -> Response:
    rows = [quarantine_row(entry) for entry in monitoring.quarantine(uow, limit=200)]
    return render(request, "quarantine.html", QuarantineContext(rows=rows))


@dataclass(frozen=True)
class DevicesContext:
    devices: list[dict[str, Any]] = field(metadata={"help": "devices with their site and state"})


@router.get("/devices")
def devices_page(
    request: Request, uow: UowDep, user: Annotated[Principal, menu_page("/devices")]
) -> Response:
    devices = enterprises.visible_devices(uow, scope=user.scope)
    return render(request, "devices.html", DevicesContext(devices=devices))
