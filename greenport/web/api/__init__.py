"""JSON API under ``/api``: one router per resource, each route gated by ``allow(...)``."""

from __future__ import annotations

from fastapi import APIRouter

from greenport.web.api import assessments, auth, dashboard, monitoring, public, registry, reports, system

ROUTERS = (
    auth.router,
    dashboard.router,
    registry.router,
    monitoring.router,
    public.router,
    reports.router,
    assessments.router,
    system.router,
)


def api_router() -> APIRouter:
    router = APIRouter(prefix="/api")
    for sub in ROUTERS:
        router.include_router(sub)
    return router
