"""Public disclosure page (信息公开): air and water quality, no log-in."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates

from greenport.accounts.model import Principal
from greenport.web import charts
from greenport.web.api.public import air_data, water_data
from greenport.web.pages.base import HTML, chrome, hot_page, menu_gate, page_chrome, render_bytes, viewer
from greenport.web.response_cache import HotCache, HotRoute, Producer

router = APIRouter(tags=["pages"], include_in_schema=False)


@dataclass(frozen=True)
class PublicContext:
    air: dict[str, Any] = field(metadata={"help": "disclosed air summary (30 days and the year)"})
    water: list[dict[str, Any]] = field(metadata={"help": "sections' class vs target"})
    aqi_chart: dict[str, Any] = field(metadata={"help": "ECharts option: daily AQI of the last 30 days"})


def _key(user: Principal, lang: str) -> Hashable:
    return ("page", "/public", lang, viewer(user))


PAGE = HotRoute("/public", menu_gate("/public"), _key, HTML, csrf=True)


def page_producer(hot: HotCache, templates: Jinja2Templates, user: Principal, lang: str) -> Producer:
    def produce() -> bytes:
        air = air_data(hot)
        chart = charts.daily_aqi_calendar(air["last_30_days"]["days"], title="AQI")
        ctx = PublicContext(air=air, water=water_data(hot)["data"], aqi_chart=chart)
        return render_bytes(templates, "public.html", ctx, page_chrome(user, lang, PAGE.path))

    return produce


@router.get(PAGE.path)
async def public_page(request: Request, user: Annotated[Principal, Depends(PAGE.gate)]) -> Response:
    lang = chrome(request).lang
    hot: HotCache = request.app.state.hot
    producer = page_producer(hot, request.app.state.templates, user, lang)
    return hot_page(request, await hot.body(PAGE.key(user, lang), producer, HTML))
