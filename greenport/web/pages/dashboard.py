"""The "one map" (一张图): towns, sites by state, AQI, water vs target; polled by HTMX."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from greenport.accounts.model import ANONYMOUS, SIGNED_IN, Principal, Role, RowScope
from greenport.alarms.model import Rule
from greenport.kernel.time import utcnow
from greenport.reports import dashboard as dashboard_figures
from greenport.standards.reporting import report_value
from greenport.web import charts, i18n
from greenport.web.api.alarms import rule_map
from greenport.web.api.dashboard import dashboard_data
from greenport.web.deps import Gate, UowDep
from greenport.web.pages.base import (
    HTML,
    chrome,
    hot_page,
    landing_page,
    menu_gate,
    menu_page,
    page_chrome,
    render,
    render_bytes,
    viewer,
)
from greenport.web.response_cache import HotCache, HotRoute, Producer

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


def alarm_markers(data: dict[str, Any], rules: dict[str, Rule], lang: str) -> list[dict[str, Any]]:
    """One marker per site with open alarms: where it is, its most severe alarm's severity, and a
    tooltip naming the site and each alarm's rule and parameter in ``lang``."""
    by_site = data["alarms"]["by_site"]
    markers = []
    for site in data["sites"]:
        found = by_site.get(str(site["id"]))
        if not found or site.get("lon") is None or site.get("lat") is None:
            continue
        names = []
        for alarm in found:
            rule = rules.get(alarm["rule_id"])
            rule_name = (rule.name_en if lang == "en" else rule.name_zh) if rule else alarm["rule_id"]
            parameter = i18n.label("parameter", alarm["parameter"], lang) if alarm["parameter"] else ""
            names.append(f"{rule_name} {parameter}".strip())
        markers.append(
            {
                "name": f"{site['name']}: " + "; ".join(names),
                "lon": site["lon"],
                "lat": site["lat"],
                "severity": found[0]["severity"],  # most severe first (open_alarms_summary)
                "count": len(found),
                "site_id": site["id"],
            }
        )
    return markers


def _context(data: dict[str, Any], lang: str, rules: dict[str, Rule] | None = None) -> DashboardContext:
    _ = i18n.gettext_for(lang)
    labels = {s: i18n.label("site_state", s, lang) for s in charts.STATE_COLOURS}
    year = data["year"]
    return DashboardContext(
        data=data,
        geojson=data["geojson"],
        map_chart=charts.city_map(
            [{**s, "aqi": report_value("aqi", s.get("aqi"))} for s in data["sites"]],
            state_labels=labels,
            parks=[
                f["properties"]["name"]
                for f in data["geojson"]["features"]
                if f["properties"]["kind"] == "park"
            ],
            alarms=charts.alarm_rings(alarm_markers(data, rules or {}, lang), name=_("open alarms")),
        ),
        gauge_chart=charts.aqi_gauge(data["current"], title="AQI"),
        water_chart=charts.water_classes(
            data["water"],
            actual=_("actual class"),
            target=_("target class"),
            class_names=[i18n.label("water_class", str(code), lang) for code in range(1, 7)],
        ),
        good_days_chart=charts.progress_vs_target(
            _("Good-air-day ratio"),
            report_value("ratio", year["good_day_ratio"]),
            report_value("ratio", year["good_day_target"]),
            unit="%",
            target_name=_("target"),
        ),
        pm25_chart=charts.progress_vs_target(
            "PM2.5",
            report_value("pm2_5", year["pm2_5_mean"]),
            report_value("pm2_5", year["pm2_5_target"]),
            unit="µg/m³",
            lower_is_better=True,
            target_name=_("target"),
        ),
        poll_seconds=POLL_SECONDS,
        map_name=charts.MAP_NAME,
    )


def _page_key(user: Principal, lang: str) -> Hashable:
    return ("page", "/", user.scope, lang, viewer(user))


def _live_key(user: Principal, lang: str) -> Hashable:
    return ("live", user.scope, lang)


PAGE = HotRoute("/", menu_gate("/"), _page_key, HTML, csrf=True)
LIVE = HotRoute("/fragments/dashboard", Gate(SIGNED_IN), _live_key, HTML)


def _dashboard_context(hot: HotCache, scope: RowScope, lang: str, rules: dict[str, Rule]) -> DashboardContext:
    context: DashboardContext = hot.data(
        ("dashboard-context", scope, lang), lambda _uow: _context(dashboard_data(hot, scope), lang, rules)
    )
    return context


def live_producer(
    hot: HotCache, templates: Jinja2Templates, user: Principal, lang: str, rules: dict[str, Rule]
) -> Producer:
    """The live part (KPIs, site table, chart data): nothing of the viewer but scope and language."""
    scope = user.scope

    def render_live(_uow: object) -> bytes:
        frame = page_chrome(ANONYMOUS, lang, LIVE.path)
        return render_bytes(
            templates, "_dashboard_live.html", _dashboard_context(hot, scope, lang, rules), frame
        )

    def produce() -> bytes:  # once per generation, shared by the fragment and every page
        html: bytes = hot.data(("dashboard-live", scope, lang), render_live)
        return html

    return produce


def page_producer(
    hot: HotCache, templates: Jinja2Templates, user: Principal, lang: str, rules: dict[str, Rule]
) -> Producer:
    """The whole page for this viewer and language, the CSRF token left as a placeholder."""
    scope = user.scope
    live = live_producer(hot, templates, user, lang, rules)

    def produce() -> bytes:
        html = live()  # the same HTML the HTMX poll gets, rendered once per generation
        return render_bytes(
            templates,
            "dashboard.html",
            _dashboard_context(hot, scope, lang, rules),
            page_chrome(user, lang, PAGE.path),
            live_html=Markup(html.decode()),
        )

    return produce


#: ``/`` admits every signed-in role: one the map is not for is sent to its own landing page
#: (:func:`greenport.web.pages.base.landing_page`) instead of a 403.
HOME_GATE = Gate(frozenset(Role))


@router.get(PAGE.path)
async def dashboard_page(request: Request, user: Annotated[Principal, Depends(HOME_GATE)]) -> Response:
    if not PAGE.gate.permits(user):
        return RedirectResponse(landing_page(user), status_code=303)
    lang = chrome(request).lang
    hot: HotCache = request.app.state.hot
    templates = request.app.state.templates
    rules = rule_map(request.app.state.container.settings)
    # the live part first: the page embeds the same cached HTML the HTMX poll gets
    await hot.body(_live_key(user, lang), live_producer(hot, templates, user, lang, rules), HTML)
    entry = await hot.body(PAGE.key(user, lang), page_producer(hot, templates, user, lang, rules), HTML)
    return hot_page(request, entry)


@router.get(LIVE.path)
async def dashboard_fragment(request: Request, user: Annotated[Principal, Depends(LIVE.gate)]) -> Response:
    """The live part of the dashboard (KPIs, site table, chart data), swapped in by HTMX every
    few seconds."""
    lang = chrome(request).lang
    hot: HotCache = request.app.state.hot
    rules = rule_map(request.app.state.container.settings)
    producer = live_producer(hot, request.app.state.templates, user, lang, rules)
    entry = await hot.body(LIVE.key(user, lang), producer, HTML)
    return Response(entry.body, media_type=HTML, headers={"etag": entry.etag})


@dataclass(frozen=True)
class FirmDashboardContext:
    data: dict[str, Any] = field(
        metadata={"help": "the firm's dashboard (reports.dashboard.enterprise_dashboard)"}
    )


@router.get("/my-firm")
def firm_dashboard_page(
    request: Request, uow: UowDep, user: Annotated[Principal, menu_page("/my-firm")]
) -> Response:
    """An enterprise user's own firm: its outlets against their limits, its class, its alarms."""
    data = dashboard_figures.enterprise_dashboard(uow, scope=user.scope, now=utcnow())
    return render(request, "firm_dashboard.html", FirmDashboardContext(data=data))
