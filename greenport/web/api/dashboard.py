"""The "one map" as JSON (the page polls the same data)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request

from greenport.web import queries
from greenport.web.auth import SIGNED_IN, Principal
from greenport.web.deps import UowDep, allow

router = APIRouter(prefix="/dashboard", tags=["dashboard"])


@router.get("", summary="Sites by state, current AQI, year's good-day ratio and PM2.5, water vs target")
def get_dashboard(
    request: Request, uow: UowDep, user: Annotated[Principal, allow(SIGNED_IN)]
) -> dict[str, Any]:
    return queries.dashboard(uow, user, cache=request.app.state.dashboard_cache)
