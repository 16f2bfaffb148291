"""Monitoring: sites, their series against limits, quarantine, devices (admins manage devices)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from greenport.accounts.model import ADMINS, ANALYSTS, SIGNED_IN, Principal
from greenport.enterprises import service as enterprises
from greenport.kernel.time import utcnow
from greenport.monitoring import service as monitoring
from greenport.monitoring.model import QuarantineEntry
from greenport.web.deps import UowDep, allow, client_ip
from greenport.web.params import Instant, RowId

router = APIRouter(tags=["monitoring"])


def listing(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {"data": rows, "count": len(rows)}


def quarantine_row(entry: QuarantineEntry) -> dict[str, Any]:
    """A refused packet for JSON and the page: times ISO 8601, the raw frame as text (Latin-1, so
    every byte shows as one character)."""
    return {
        "id": entry.id,
        "received_at": entry.received_at.isoformat(),
        "reason": entry.reason,
        "field": entry.field,
        "detail": entry.detail,
        "peer": entry.peer,
        "mn": entry.mn,
        "device_id": entry.device_id,
        "raw": bytes(entry.raw).decode("latin-1", errors="replace"),
    }


@router.get("/sites", summary="Monitoring sites in the caller's scope")
def list_sites(
    uow: UowDep, user: Annotated[Principal, allow(SIGNED_IN)], kind: str | None = None
) -> dict[str, Any]:
    return listing(enterprises.visible_sites(uow, scope=user.scope, kind=kind))


@router.get("/sites/{site_id}", summary="One site with its devices")
def get_site(site_id: RowId, uow: UowDep, user: Annotated[Principal, allow(SIGNED_IN)]) -> dict[str, Any]:
    site = enterprises.visible_site(uow, scope=user.scope, site_id=site_id)
    site["devices"] = enterprises.visible_devices(uow, scope=user.scope, site_id=site_id)
    return site


@router.get(
    "/sites/{site_id}/series",
    summary="Raw values, hourly or daily means of a site with the limits in force",
)
def get_site_series(
    site_id: RowId,
    uow: UowDep,
    user: Annotated[Principal, allow(SIGNED_IN)],
    period: Annotated[str, Query(pattern="^(raw|hour|day)$")] = "hour",
    days: Annotated[
        float, Query(gt=0, le=3660, description="Length of the window [days] (raw: at most 7, hour: 400).")
    ] = 7,
    end: Annotated[
        Instant | None,
        Query(
            description="End of the window (ISO 8601 with offset); default just after the site's newest data."
        ),
    ] = None,
) -> dict[str, Any]:
    site = enterprises.visible_site(uow, scope=user.scope, site_id=site_id)
    start = end - timedelta(days=days) if end is not None else None
    first, stop = monitoring.site_window(
        uow, site_id=site_id, period=period, days=days, start=start, end=end, now=utcnow()
    )
    return monitoring.site_series(uow, site=site, period=period, start=first, end=stop)


@router.get(
    "/sites/{site_id}/observations", summary="Raw observations with their device flags (HJ 212 Table 8)"
)
def get_site_observations(
    site_id: RowId,
    uow: UowDep,
    user: Annotated[Principal, allow(SIGNED_IN)],
    hours: Annotated[int, Query(ge=1, le=72)] = 6,
) -> dict[str, Any]:
    enterprises.visible_site(uow, scope=user.scope, site_id=site_id)
    now = utcnow()
    rows = monitoring.site_observations(
        uow,
        site_id=site_id,
        start=now - timedelta(hours=hours),
        end=now + timedelta(hours=1),
        periods=("raw", "minute"),
    )
    return listing(rows)


@router.get("/quarantine", summary="Refused packets with their reason and raw frame")
def list_quarantine(
    uow: UowDep,
    user: Annotated[Principal, allow(ANALYSTS)],
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> dict[str, Any]:
    return listing([quarantine_row(e) for e in monitoring.quarantine(uow, limit=limit)])


@router.get("/devices", summary="Data loggers (数采仪) by MN")
def list_devices(uow: UowDep, user: Annotated[Principal, allow(ADMINS)]) -> dict[str, Any]:
    return listing(enterprises.visible_devices(uow, scope=user.scope))


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
    return enterprises.set_device_active(
        uow, principal=user, device_id=device_id, active=body.active, ip=client_ip(request)
    )
