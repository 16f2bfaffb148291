"""The "one map" as JSON (the page polls the same data)."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import Response

from greenport.web import queries
from greenport.web.auth import SIGNED_IN, Principal
from greenport.web.deps import UowDep, allow

router = APIRouter(prefix="/dashboard", tags=["dashboard"])


@router.get("", summary="Sites by state, current AQI, year's good-day ratio and PM2.5, water vs target")
async def get_dashboard(
    request: Request, uow: UowDep, user: Annotated[Principal, allow(SIGNED_IN)]
) -> Response:
    cache = request.app.state.dashboard_cache

    def encode() -> bytes:
        return json.dumps(
            queries.dashboard(uow, user, cache=cache, stats_cache=request.app.state.stats_cache),
            ensure_ascii=False,
            default=str,
        ).encode()

    # the serialised document is cached with the data (many clients poll the same scope)
    body: bytes = await queries.cached(cache, ("dashboard-json", user.scope), encode)
    return Response(body, media_type="application/json")
