"""The "one map" as JSON (the page polls the same data)."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from greenport.accounts.model import SIGNED_IN, Principal, RowScope
from greenport.bootstrap import UnitOfWork
from greenport.kernel.time import utcnow
from greenport.reports import dashboard
from greenport.web.deps import Gate
from greenport.web.response_cache import HotCache, HotRoute, Producer, dumps

router = APIRouter(prefix="/dashboard", tags=["dashboard"])


def _key(user: Principal, lang: str) -> Hashable:
    return ("api-dashboard", user.scope)


HOT = HotRoute("/api/dashboard", Gate(SIGNED_IN), _key, "application/json")


def dashboard_data(hot: HotCache, scope: RowScope) -> dict[str, Any]:
    """The dashboard document of ``scope`` (:func:`greenport.reports.dashboard.dashboard`):
    computed once per scope and generation of the response cache (its refresher recomputes it
    when data arrive), with the cache's own unit of work; the page and this route share it."""

    def compute(uow: UnitOfWork) -> dict[str, Any]:
        return dashboard.dashboard(uow, scope=scope, now=utcnow(), statistics_cache=hot.stats)

    result: dict[str, Any] = hot.data(("dashboard", scope), compute)
    return result


def producer(hot: HotCache, user: Principal) -> Producer:
    """The serialised document for the caller's scope (rebuilt by the hot cache's refresher)."""
    scope = user.scope
    return lambda: dumps(dashboard_data(hot, scope))


@router.get("", summary="Sites by state, current AQI, year's good-day ratio and PM2.5, water vs target")
async def get_dashboard(request: Request, user: Annotated[Principal, Depends(HOT.gate)]) -> Response:
    hot: HotCache = request.app.state.hot
    entry = await hot.body(HOT.key(user, ""), producer(hot, user), HOT.media_type)
    return Response(entry.body, media_type=HOT.media_type, headers={"etag": entry.etag})
