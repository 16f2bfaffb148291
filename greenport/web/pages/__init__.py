"""HTML pages: one router per page family, one context dataclass per page."""

from __future__ import annotations

from fastapi import APIRouter

from greenport.web.pages import (
    alarms,
    assessments,
    auth,
    cases,
    dashboard,
    monitoring,
    public,
    registry,
    report,
    reports,
)

ROUTERS = (
    auth.router,
    dashboard.router,
    monitoring.router,
    registry.router,
    assessments.router,
    public.router,
    reports.router,
    alarms.router,
    cases.router,
    report.router,
)


def pages_router() -> APIRouter:
    router = APIRouter()
    for sub in ROUTERS:
        router.include_router(sub)
    return router
