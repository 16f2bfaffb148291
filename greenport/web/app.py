"""``create_app(settings)``: the FastAPI application (API under /api, pages under /, static).

Nothing is built at import time; ``greenport serve`` and the tests call :func:`create_app`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from greenport import __version__
from greenport.accounts import service as accounts_service
from greenport.accounts.model import ANONYMOUS, CITY, Principal
from greenport.bootstrap import Container, build
from greenport.config import Settings
from greenport.kernel.time import utcnow
from greenport.reports.dashboard import data_generation
from greenport.reports.render import FONTS_DIR
from greenport.web import auth, deps, errors
from greenport.web.api import api_router
from greenport.web.api import dashboard as dashboard_api
from greenport.web.api import open311 as open311_api
from greenport.web.api import public as public_api
from greenport.web.auth import Allow
from greenport.web.body_limit import BodySizeLimitMiddleware
from greenport.web.pages import dashboard as dashboard_page
from greenport.web.pages import pages_router
from greenport.web.pages import public as public_page
from greenport.web.pages.base import render_error, templates
from greenport.web.response_cache import STATS_TTL, HotCache, HotPathMiddleware, TtlCache

log = logging.getLogger(__name__)

#: Routes that need no gate: the API's own documentation.
PUBLIC_DOCUMENTATION = frozenset({"/api/docs"})

#: Seconds a resolved session/token stays cached (a disabled account loses access within this).
PRINCIPAL_TTL = 10.0

#: GET routes answered whole from the response cache (``greenport.web.response_cache``).
HOT_ROUTES = (
    dashboard_api.HOT,
    public_api.AIR,
    public_api.WATER,
    dashboard_page.PAGE,
    dashboard_page.LIVE,
    public_page.PAGE,
)

STATIC_DIR = Path(__file__).with_name("static")

SWAGGER_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>GreenPort API</title>
<link rel="stylesheet" href="/static/vendor/swagger-ui.css">
<link rel="icon" href="/static/vendor/favicon.svg"></head>
<body><div id="swagger-ui" data-openapi-url="/api/openapi.json"></div>
<script src="/static/vendor/swagger-ui-bundle.js"></script>
<script src="/static/swagger-init.js"></script>
</body></html>
"""


#: Headers every response carries (``SecurityHeadersMiddleware``). The policy allows scripts
#: only from the site's own files (templates keep chart data in ``<script type="application/json">``
#: blocks read by ``/static/greenport.js``, never inline code), no framing (clickjacking), no
#: plugin content. Inline *styles* stay allowed: ECharts writes style attributes into the
#: tooltips it builds, and a style cannot run code.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
SECURITY_HEADERS: tuple[tuple[str, str], ...] = (
    ("content-security-policy", CONTENT_SECURITY_POLICY),
    ("x-frame-options", "DENY"),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "same-origin"),
)


class SecurityHeadersMiddleware:
    """Add :data:`SECURITY_HEADERS` to every HTTP response (pages, API, static files, errors and
    answers of the hot cache alike: it is the outermost middleware). A header a route set
    itself is kept."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS:
                    if name not in headers:
                        headers.append(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install_security(app: FastAPI) -> None:
    """Security headers on every response; added last, so it wraps every other middleware."""
    app.add_middleware(SecurityHeadersMiddleware)


class CsrfCookieMiddleware:
    """Give every browser a CSRF cookie (double-submit token) before its first form.

    Pure ASGI (no per-request task group): only HTML pages hand the token out, so a parallel
    request (favicon, 404, static file) cannot replace the cookie a form was rendered with.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/static"):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        if request.cookies.get(auth.CSRF_COOKIE):
            await self.app(scope, receive, send)
            return
        fresh = auth.new_secret()
        scope.setdefault("state", {})["csrf_token"] = fresh

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] < 400:
                headers = MutableHeaders(scope=message)
                if headers.get("content-type", "").startswith("text/html"):
                    headers.append("set-cookie", f"{auth.CSRF_COOKIE}={fresh}; Path=/; SameSite=strict")
            await send(message)

        await self.app(scope, receive, send_with_cookie)


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
    settings: Settings | None = None,
    *,
    container: Container | None = None,
    migrate: bool = True,
    prewarm: bool = False,
) -> FastAPI:
    """Build the web app for ``settings`` (or around an existing ``container``).

    ``prewarm`` (``greenport serve``): at start-up a background thread computes the city-wide
    dashboard and the public statistics, so the first callers do not pay the cold computation.
    """
    container = container or build(settings, migrate=migrate)
    with container.uow() as uow:
        accounts_service.refuse_demo_accounts(uow, mode=container.settings.mode)
    hot = HotCache(container.uow, version=data_generation)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if prewarm:
            threading.Thread(target=_prewarm, args=(hot,), name="gp-prewarm", daemon=True).start()
        yield
        hot.stop()

    app = FastAPI(
        lifespan=lifespan,
        title="GreenPort",
        version=__version__,
        docs_url=None,  # served below from the vendored Swagger UI (no CDN)
        redoc_url=None,
        openapi_url="/api/openapi.json",
        description="Monitoring, evaluation and reports of a city's green transformation.",
    )
    app.state.container = container
    # the time the case routes act at (greenport.web.api.cases.request_now); tests set their own
    app.state.clock = utcnow
    app.state.templates = templates()
    app.state.principal_cache = TtlCache(PRINCIPAL_TTL)
    app.state.stats_cache = TtlCache(STATS_TTL)
    hot.stats = app.state.stats_cache
    for route in HOT_ROUTES:
        hot.add_route(route)
    app.state.hot = hot
    errors.install(app, render_page=render_error)
    app.add_middleware(CsrfCookieMiddleware)

    def known_caller(authorization: str, cookies: Mapping[str, str]) -> Principal | None:
        """The caller as the principal cache knows it (never the database): the hot path."""
        key = deps.credential_key_of(authorization, cookies.get(auth.SESSION_COOKIE))
        return ANONYMOUS if key is None else deps.cached_principal(app, key)

    # a hit skips routing and the rest
    app.add_middleware(HotPathMiddleware, cache=hot, known_caller=known_caller)
    # request body limit: added last, so it wraps even the hot path (no oversized body gets in)
    app.add_middleware(
        BodySizeLimitMiddleware,
        max_bytes=container.settings.max_request_bytes,
        upload_bytes=container.settings.max_upload_bytes,
    )
    install_security(app)  # outermost: its headers reach hot-cache and 413 answers too
    app.include_router(api_router())
    app.include_router(open311_api.router)  # Open311 GeoReport v2, outside /api: its own error shape
    app.include_router(pages_router())
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    # the font the PDFs embed, for the pages too (identical text on every machine)
    app.mount("/fonts", StaticFiles(directory=str(FONTS_DIR)), name="fonts")

    @app.get("/api/docs", include_in_schema=False)
    async def api_docs() -> HTMLResponse:
        """OpenAPI documentation (Swagger UI vendored under /static/vendor, works offline).

        FastAPI's page starts Swagger UI with an inline script, which the CSP refuses; this one
        starts it from ``/static/swagger-init.js``."""
        return HTMLResponse(SWAGGER_PAGE)

    check_gates(app)
    return app


def check_gates(app: FastAPI) -> None:
    """Refuse an app with a route that declares no role gate (``allow(...)``)."""
    ungated = [
        f"{sorted(r.methods)} {r.path}"
        for r in http_routes(app)
        if gate_of(r) is None and r.path not in PUBLIC_DOCUMENTATION
    ]
    if ungated:
        raise RuntimeError(f"routes without a role gate: {ungated}")


def app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory`` workers: settings from the environment, schema already
    migrated by the parent process (workers must not race on migrations)."""
    return create_app(Settings(), migrate=False, prewarm=True)


def _prewarm(hot: HotCache) -> None:
    """The data most callers need first: public statistics and the city-wide dashboard."""
    started = time.perf_counter()
    try:
        public_api.air_data(hot)
        public_api.water_data(hot)
        dashboard_api.dashboard_data(hot, CITY)
    except Exception:  # a cold request computes it instead
        log.exception("pre-warming the dashboard failed")
        return
    log.info("dashboard and public statistics pre-warmed in %.1f s", time.perf_counter() - started)
