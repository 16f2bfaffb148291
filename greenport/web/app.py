"""``create_app(settings)``: the FastAPI application (API under /api, pages under /, static).

Nothing is built at import time; ``greenport serve`` and the tests call :func:`create_app`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint

from greenport import __version__
from greenport.bootstrap import Container, build
from greenport.config import Settings
from greenport.web import auth, errors
from greenport.web.api import api_router
from greenport.web.auth import Allow
from greenport.web.pages import pages_router
from greenport.web.pages.base import templates
from greenport.web.queries import DASHBOARD_TTL, STATS_TTL, TtlCache

#: Seconds a resolved session/token stays cached (a disabled account loses access within this).
PRINCIPAL_TTL = 10.0

STATIC_DIR = Path(__file__).with_name("static")


class CsrfCookieMiddleware(BaseHTTPMiddleware):
    """Give every browser a CSRF cookie (double-submit token) before its first form."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        token = request.cookies.get(auth.CSRF_COOKIE)
        fresh = None
        if not token:
            fresh = auth.new_secret()
            request.state.csrf_token = fresh
        response = await call_next(request)
        # only pages hand out the token: a parallel request (favicon, 404, static) must not
        # replace the cookie a form on the page was rendered with
        is_page = (
            response.headers.get("content-type", "").startswith("text/html") and response.status_code < 400
        )
        if fresh and is_page and not request.url.path.startswith("/static"):
            response.set_cookie(auth.CSRF_COOKIE, fresh, httponly=False, samesite="strict")
        return response


@dataclass(frozen=True)
class RouteInfo:
    """An HTTP route of the app with its full path (prefixes applied) and its endpoint route."""

    path: str
    methods: frozenset[str]
    route: APIRoute


def http_routes(app: FastAPI) -> list[RouteInfo]:
    """Every API route of ``app`` with its effective path (works with nested routers)."""
    from fastapi import routing

    iterate = getattr(routing, "iter_route_contexts", None)
    out = []
    if iterate is not None:
        for ctx in iterate(app.routes):
            original = getattr(ctx, "original_route", None)
            if isinstance(original, APIRoute):
                out.append(RouteInfo(ctx.path, frozenset(ctx.methods or ()), original))
    else:
        for route in app.routes:
            if isinstance(route, APIRoute):
                out.append(RouteInfo(route.path, frozenset(route.methods or ()), route))
    return out


def gate_of(route: APIRoute | RouteInfo) -> Allow | None:
    """The :class:`Allow` gate a route declares (searched through its dependency tree)."""
    if isinstance(route, RouteInfo):
        route = route.route
    stack = [route.dependant]
    while stack:
        dependant = stack.pop()
        if isinstance(dependant.call, Allow):
            return dependant.call
        stack.extend(dependant.dependencies)
    return None


def create_app(
    settings: Settings | None = None, *, container: Container | None = None, migrate: bool = True
) -> FastAPI:
    """Build the web app for ``settings`` (or around an existing ``container``)."""
    container = container or build(settings, migrate=migrate)
    app = FastAPI(
        title="GreenPort",
        version=__version__,
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
        description="Monitoring, evaluation and reports of a city's green transformation.",
    )
    app.state.container = container
    app.state.templates = templates()
    app.state.dashboard_cache = TtlCache(DASHBOARD_TTL)
    app.state.principal_cache = TtlCache(PRINCIPAL_TTL)
    app.state.stats_cache = TtlCache(STATS_TTL)
    errors.install(app)
    app.add_middleware(CsrfCookieMiddleware)
    app.include_router(api_router())
    app.include_router(pages_router())
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    ungated = [
        f"{sorted(r.methods or ())} {r.path}"
        for r in app.routes
        if isinstance(r, APIRoute) and gate_of(r) is None
    ]
    if ungated:
        raise RuntimeError(f"routes without a role gate: {ungated}")
    return app


def app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory`` workers: settings from the environment, schema already
    migrated by the parent process (workers must not race on migrations)."""
    return create_app(Settings(), migrate=False)
