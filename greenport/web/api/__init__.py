"""JSON API under ``/api``: one router per resource, each route gated by ``allow(...)``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from greenport.web.api import (
    alarms,
    assessments,
    auth,
    cases,
    dashboard,
    monitoring,
    notifications,
    public,
    registry,
    reports,
    system,
)

ROUTERS = (
    auth.router,
    dashboard.router,
    registry.router,
    monitoring.router,
    public.router,
    reports.router,
    assessments.router,
    system.router,
    notifications.router,
    alarms.router,
    cases.router,
)


class ErrorOut(BaseModel):
    """The canonical error body of every ``/api`` error (``greenport.web.errors``)."""

    model_config = ConfigDict(extra="allow")

    error: str = Field(description="What was wrong, for a person.")
    type: str = Field(description="NotFound | PermissionDenied | InvalidInput | NotAuthenticated | ...")
    field: str | None = Field(None, description="The parameter or field at fault, if one.")


#: The errors any route may answer, documented once for the whole API (the schema must not lie:
#: FastAPI's default 422 body ``{"detail": [...]}`` is not what this app sends).
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut, "description": description}
    for status, description in (
        (400, "Bad request"),
        (401, "Not authenticated"),
        (403, "Outside the caller's role or scope"),
        (404, "Not found"),
        (409, "Conflict"),
        (413, "Request body too large"),
        (422, "Invalid parameter or body (the field is named)"),
        (429, "Too many attempts"),
    )
}


def api_router() -> APIRouter:
    router = APIRouter(prefix="/api", responses=ERROR_RESPONSES)
    for sub in ROUTERS:
        router.include_router(sub)
    return router
