"""Monitoring: sites, their series against limits, quarantine, devices (admins manage devices)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from greenport.accounts import service as accounts_service
from greenport.accounts.model import ADMINS, ANALYSTS, SIGNED_IN, Principal
from greenport.bootstrap import UnitOfWork
from greenport.kernel.errors import NotFound, PermissionDenied
from greenport.kernel.time import utcnow
from greenport.web.deps import UowDep, allow, client_ip
from greenport.web.limits import applicable_limits
from greenport.web.params import Instant, RowId

router = APIRouter(tags=["monitoring"])


def listing(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {"data": rows, "count": len(rows)}


def visible_site(uow: UnitOfWork, user: Principal, site_id: int) -> dict[str, Any]:
    """The site if the caller's scope holds it (checked in SQL); 404 if it does not exist, else 403."""
    site = uow.registry.visible_site(site_id, user.scope)
    if site is None:
        if uow.registry.visible_site(site_id) is None:
            raise NotFound(f"no site {site_id}", field="site_id")
        raise PermissionDenied(f"site {site_id} is outside your scope", field="site_id")
    return site


@router.get("/sites", summary="Monitoring sites in the caller's scope")
def list_sites(
    uow: UowDep, user: Annotated[Principal, allow(SIGNED_IN)], kind: str | None = None
) -> dict[str, Any]:
    return listing(uow.registry.visible_sites(user.scope, kind=kind))


@router.get("/sites/{site_id}", summary="One site with its devices")
def get_site(site_id: RowId, uow: UowDep, user: Annotated[Principal, allow(SIGNED_IN)]) -> dict[str, Any]:
    site = visible_site(uow, user, site_id)
    site["devices"] = [d for d in uow.registry.visible_devices(user.scope) if d["site_id"] == site_id]
    return site


def site_series(
    uow: UnitOfWork, site: dict[str, Any], *, period: str, start: datetime, end: datetime
) -> dict[str, Any]:
    rows = uow.monitoring.aggregate_values(
        [site["id"]], period=period, start=start, end=end, valid_only=False
    )
    by_parameter: dict[str, list[tuple[str, float]]] = {}
    for t, _site, parameter, value in rows:
        by_parameter.setdefault(parameter, []).append((t.isoformat(), value))
    return {
        "site": site,
        "period": period,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "series": {
            p: {"points": pts, "limits": applicable_limits(site, p, period=period, on=end)}
            for p, pts in sorted(by_parameter.items())
        },
    }


@router.get("/sites/{site_id}/series", summary="Hourly or daily means of a site with the limits in force")
def get_site_series(
    site_id: RowId,
    uow: UowDep,
    user: Annotated[Principal, allow(SIGNED_IN)],
    period: Annotated[str, Query(pattern="^(hour|day)$")] = "hour",
    days: Annotated[int, Query(ge=1, le=400)] = 7,
    end: Annotated[
        Instant | None, Query(description="End of the window (ISO 8601 with offset); default now.")
    ] = None,
) -> dict[str, Any]:
    site = visible_site(uow, user, site_id)
    stop = end or utcnow()
    return site_series(uow, site, period=period, start=stop - timedelta(days=days), end=stop)


@router.get(
    "/sites/{site_id}/observations", summary="Raw observations with their device flags (HJ 212 Table 8)"
)
def get_site_observations(
    site_id: RowId,
    uow: UowDep,
    user: Annotated[Principal, allow(SIGNED_IN)],
    hours: Annotated[int, Query(ge=1, le=72)] = 6,
) -> dict[str, Any]:
    visible_site(uow, user, site_id)
    now = utcnow()
    rows = uow.monitoring.observation_rows(
        site_id, start=now - timedelta(hours=hours), end=now + timedelta(hours=1)
    )
    rows += uow.monitoring.observation_rows(
        site_id, start=now - timedelta(hours=hours), end=now + timedelta(hours=1), period="minute"
    )
    return listing(rows)


@router.get("/quarantine", summary="Refused packets with their reason and raw frame")
def list_quarantine(
    uow: UowDep,
    user: Annotated[Principal, allow(ANALYSTS)],
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> dict[str, Any]:
    return listing(uow.monitoring.quarantine_rows(limit=limit))


@router.get("/devices", summary="Data loggers (数采仪) by MN")
def list_devices(uow: UowDep, user: Annotated[Principal, allow(ADMINS)]) -> dict[str, Any]:
    return listing(uow.registry.visible_devices(user.scope))


class DeviceActive(BaseModel):
    active: bool


@router.post("/devices/{device_id}/active", summary="Enable or disable a device (audited)")
def set_device_active(
    device_id: RowId,
    body: DeviceActive,
    request: Request,
    uow: UowDep,
    user: Annotated[Principal, allow(ADMINS)],
) -> dict[str, Any]:
    device = uow.registry.device_summary(device_id)
    if device is None:
        raise NotFound(f"no device {device_id}", field="device_id")
    uow.registry.set_device_active(device_id, body.active)
    accounts_service.record_audit(
        uow,
        principal=user,
        action="set_active",
        entity="device",
        entity_id=str(device_id),
        detail={"mn": device["mn"], "from": device["active"], "to": body.active},
        ip=client_ip(request),
    )
    return {**device, "active": body.active}
