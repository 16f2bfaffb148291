"""The "one map" as JSON (the page polls the same data)."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from greenport.accounts.model import SIGNED_IN, Principal
from greenport.web import queries
from greenport.web.deps import Gate
from greenport.web.hot import HotCache, HotRoute, Producer

router = APIRouter(prefix="/dashboard", tags=["dashboard"])


def _key(user: Principal, lang: str) -> Hashable:
    return ("api-dashboard", user.scope)


HOT = HotRoute("/api/dashboard", Gate(SIGNED_IN), _key, "application/json")


def producer(hot: HotCache, user: Principal) -> Producer:
    """The serialised document for the caller's scope (rebuilt by the hot cache's refresher)."""
    scope = user.scope
    return lambda: queries.dumps(queries.scope_dashboard(hot, scope))


@router.get("", summary="Sites by state, current AQI, year's good-day ratio and PM2.5, water vs target")
async def get_dashboard(request: Request, user: Annotated[Principal, Depends(HOT.gate)]) -> Response:
    hot: HotCache = request.app.state.hot
    entry = await hot.body(HOT.key(user, ""), producer(hot, user), HOT.media_type)
    return Response(entry.body, media_type=HOT.media_type, headers={"etag": entry.etag})
