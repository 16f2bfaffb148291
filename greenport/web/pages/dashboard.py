"""The "one map" (一张图): towns, sites by state, AQI, water vs target; polled by HTMX."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from greenport.web import charts, i18n, queries
from greenport.web.auth import SIGNED_IN, Principal
from greenport.web.deps import UowDep, allow
from greenport.web.pages.base import chrome, render

router = APIRouter(tags=["pages"], include_in_schema=False)
POLL_SECONDS = 5


@dataclass(frozen=True)
class DashboardContext:
    data: dict[str, Any] = field(metadata={"help": "the /api/dashboard document"})
    geojson: dict[str, Any] = field(metadata={"help": "towns' boundaries, registered as the ECharts map"})
    map_chart: dict[str, Any] = field(metadata={"help": "ECharts option: sites by state"})
    gauge_chart: dict[str, Any] = field(metadata={"help": "ECharts option: current AQI"})
    water_chart: dict[str, Any] = field(metadata={"help": "ECharts option: sections' class vs target"})
    good_days_chart: dict[str, Any] = field(
        metadata={"help": "ECharts option: year's good-day ratio vs target"}
    )
    pm25_chart: dict[str, Any] = field(metadata={"help": "ECharts option: year's PM2.5 vs target"})
    poll_seconds: int = field(metadata={"help": "HTMX polling interval [s]"})
    map_name: str = field(metadata={"help": "name of the registered map"})


def build(request: Request, uow: UowDep, user: Principal) -> DashboardContext:
    """The page context, cached with the data it is made of (per scope and language)."""
    lang = i18n.pick_lang(request.query_params.get("lang"), request.cookies.get(i18n.LANG_COOKIE))
    cache = request.app.state.dashboard_cache
    context: DashboardContext = cache.get_or_compute(
        ("dashboard-page", user.scope, lang),
        lambda: _context(
            queries.dashboard(uow, user, cache=cache, stats_cache=request.app.state.stats_cache), lang
        ),
    )
    return context


def _context(data: dict[str, Any], lang: str) -> DashboardContext:
    t = i18n.translator(lang)
    labels = {s: t(f"state.{s}") for s in charts.STATE_COLOURS}
    year = data["year"]
    return DashboardContext(
        data=data,
        geojson=data["geojson"],
        map_chart=charts.city_map(data["sites"], state_labels=labels),
        gauge_chart=charts.aqi_gauge(data["current"], title="AQI"),
        water_chart=charts.water_classes(data["water"], actual=t("water.actual"), target=t("water.target")),
        good_days_chart=charts.progress_vs_target(
            t("dash.good_days"), year["good_day_ratio"], year["good_day_target"], unit="%"
        ),
        pm25_chart=charts.progress_vs_target(
            "PM2.5", year["pm2_5_mean"], year["pm2_5_target"], unit="µg/m³", lower_is_better=True
        ),
        poll_seconds=POLL_SECONDS,
        map_name=charts.MAP_NAME,
    )


@router.get("/")
async def dashboard_page(
    request: Request, uow: UowDep, user: Annotated[Principal, allow(SIGNED_IN)]
) -> Response:
    lang = i18n.pick_lang(request.query_params.get("lang"), request.cookies.get(i18n.LANG_COOKIE))
    context = request.app.state.dashboard_cache.get(("dashboard-page", user.scope, lang))
    if context is None:  # build() caches it (single-flight) in the thread pool
        context = await run_in_threadpool(build, request, uow, user)
    # the live part is the same cached HTML the HTMX poll gets, not rendered again per request
    live = await _live_html(request, uow, user)
    return render(request, "dashboard.html", context, live_html=Markup(live.decode()))


@router.get("/fragments/dashboard")
async def dashboard_fragment(
    request: Request, uow: UowDep, user: Annotated[Principal, allow(SIGNED_IN)]
) -> Response:
    """The live part of the dashboard (KPIs, site table, chart data), swapped in by HTMX every
    few seconds."""
    return Response(await _live_html(request, uow, user), media_type="text/html; charset=utf-8")


async def _live_html(request: Request, uow: UowDep, user: Principal) -> bytes:
    """The rendered live part. It holds nothing of the user but the scope and language, so the
    HTML is cached per (scope, language) for the dashboard's TTL."""
    frame = chrome(request)

    def render_html() -> bytes:
        template = request.app.state.templates.get_template("_dashboard_live.html")
        html = template.render(ctx=build(request, uow, user), chrome=frame, t=i18n.translator(frame.lang))
        return str(html).encode()

    body: bytes = await queries.cached(
        request.app.state.dashboard_cache, ("dashboard-live", user.scope, frame.lang), render_html
    )
    return body
