"""Monitoring pages: a site's series against its limits, device flags, quarantine, devices."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from greenport.accounts.model import SIGNED_IN, Principal
from greenport.alarms import service as alarms
from greenport.enterprises import service as enterprises
from greenport.kernel.parameters import registry
from greenport.kernel.time import local_date, local_day_bounds, utc_to_local, utcnow
from greenport.monitoring import service as monitoring
from greenport.standards.reporting import report_value
from greenport.web import charts, i18n
from greenport.web.api.alarms import alarm_row, rule_map
from greenport.web.api.monitoring import quarantine_row
from greenport.web.deps import UowDep, allow
from greenport.web.pages.base import chrome, menu_page, render
from greenport.web.params import RowId

router = APIRouter(tags=["pages"], include_in_schema=False)


#: The ranges the site page offers (query ``range``) [days].
RANGES = {"24h": 1, "7d": 7, "30d": 30, "1y": 365}
DEFAULT_RANGE = {"raw": "24h", "hour": "7d", "day": "1y"}
#: Hours of raw values with their device flags listed under the charts.
FLAG_HOURS = 6


@dataclass(frozen=True)
class SiteContext:
    site: dict[str, Any] = field(metadata={"help": "the site (registry row)"})
    charts: list[dict[str, Any]] = field(
        metadata={"help": "one ECharts option per parameter, limits as lines"}
    )
    observations: list[dict[str, Any]] = field(metadata={"help": "recent raw values with device flags"})
    devices: list[dict[str, Any]] = field(metadata={"help": "data loggers of the site"})
    period: str = field(metadata={"help": "raw | hour | day"})
    range: str = field(metadata={"help": "the chosen range (a key of RANGES), or '' for from/to"})
    ranges: list[str] = field(metadata={"help": "the ranges offered"})
    periods: list[str] = field(metadata={"help": "the periods offered"})
    window_start: str = field(metadata={"help": "start of the window shown, Beijing time YYYY-MM-DD HH:MM"})
    window_end: str = field(metadata={"help": "end of the window shown, Beijing time YYYY-MM-DD HH:MM"})
    date_from: str = field(metadata={"help": "local date of the window's start (form value)"})
    date_to: str = field(metadata={"help": "local date of the window's last day (form value)"})
    state: dict[str, Any] = field(
        metadata={"help": "the site's state now (site_states: normal/over_limit/offline, exceedances)"}
    )
    alarms: list[dict[str, Any]] = field(
        metadata={"help": "the site's open alarms (alarm_row), newest first"}
    )


#: How :func:`greenport.monitoring.status.limit_lines` names a limit: "<standard> class <n>" (ambient
#: zone class, GB 3838 class), "<standard>, O2 <x>%" (emission), a trailing " (low)" for a lower limit.
_LIMIT_NAME = re.compile(
    r"^(?P<standard>.+?)(?: class (?P<cls>\w+))?(?P<o2>, O2 [\d.]+%)?(?P<low> \(low\))?$"
)


def limit_name(name: str, lang: str) -> str:
    """A limit line's name in the page's language (``GB 3095-2012 class 2`` → ``GB 3095-2012 二级``)."""
    _ = i18n.gettext_for(lang)
    found = _LIMIT_NAME.match(name)
    if found is None:
        return name
    text = i18n.label("emission_standard", found["standard"], lang)  # an emission standard's key
    if found["cls"] and text.startswith("GB 3838"):
        text = f"{text} {i18n.label('water_class', found['cls'], lang)}"
    elif found["cls"]:
        text = _("{standard} class {n}").format(standard=text, n=found["cls"])
    if found["o2"]:
        text += found["o2"].replace("O2", "O₂")
    if found["low"]:
        text = _("{limit} (lower limit)").format(limit=text)
    return text


def site_charts(series: dict[str, dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    """One chart per parameter of a site's series, every word in ``lang``: the parameter's name
    (label table), its limits' names, values rounded as reported (no float noise in tooltips)."""
    known = registry()
    options = []
    for parameter, entry in series.items():
        unit = known[parameter].unit if parameter in known else ""
        options.append(
            charts.series_vs_limits(
                [(t, report_value(parameter, v)) for t, v in entry["points"]],
                parameter=i18n.label("parameter", parameter, lang),
                unit=unit,
                limits=[(limit_name(name, lang), value) for name, value in entry["limits"]],
            )
        )
    return options


def _beijing(moment: datetime) -> str:
    return utc_to_local(moment).strftime("%Y-%m-%d %H:%M")


@router.get("/sites/{site_id}")
def site_page(
    site_id: RowId,
    request: Request,
    uow: UowDep,
    user: Annotated[Principal, allow(SIGNED_IN)],
    period: Annotated[str, Query(pattern="^(raw|hour|day)$")] = "hour",
    range_: Annotated[str | None, Query(alias="range", pattern="^(24h|7d|30d|1y)$")] = None,
    date_from: Annotated[date | None, Query(alias="from")] = None,
    date_to: Annotated[date | None, Query(alias="to")] = None,
) -> Response:
    """A site's series at ``period`` over a range ending at its newest data (or ``from``-``to``,
    local dates), its devices and its latest raw values with their flags."""
    site = enterprises.visible_site(uow, scope=user.scope, site_id=site_id)
    now = utcnow()
    if date_from is not None and date_to is not None:
        chosen = ""
        start, end = monitoring.site_window(
            uow,
            site_id=site_id,
            period=period,
            days=0,
            start=local_day_bounds(date_from)[0],
            end=local_day_bounds(date_to)[1],
            now=now,
        )
    else:
        chosen = range_ or DEFAULT_RANGE[period]
        start, end = monitoring.site_window(uow, site_id=site_id, period=period, days=RANGES[chosen], now=now)
    series = monitoring.site_series(uow, site=site, period=period, start=start, end=end)
    option_list = site_charts(series["series"], chrome(request).lang)
    flag_start, flag_end = monitoring.site_window(
        uow, site_id=site_id, period="raw", days=FLAG_HOURS / 24, now=now
    )
    obs = monitoring.site_observations(
        uow, site_id=site_id, start=flag_start, end=flag_end, periods=("minute", "raw")
    )
    devices = enterprises.visible_devices(uow, scope=user.scope, site_id=site_id)
    [state] = monitoring.site_states(uow, sites=[site], now=now)
    open_alarms, _count = alarms.visible_alarms(uow, user, site_id=site_id, status="open", limit=50)
    rules = rule_map(request.app.state.container.settings)
    ctx = SiteContext(
        site=site,
        charts=option_list,
        observations=obs[-200:],
        devices=devices,
        period=period,
        range=chosen,
        ranges=list(RANGES),
        periods=list(monitoring.SERIES_PERIODS),
        window_start=_beijing(start),
        window_end=_beijing(end),
        date_from=local_date(start).isoformat(),
        date_to=local_date(end - timedelta(microseconds=1)).isoformat(),
        state=state,
        alarms=[alarm_row(a, rules) for a in open_alarms],
    )
    return render(request, "site.html", ctx)


@dataclass(frozen=True)
class QuarantineContext:
    rows: list[dict[str, Any]] = field(
        metadata={"help": "refused packets, newest first, with reason and raw frame"}
    )


@router.get("/quarantine")
def quarantine_page(
    request: Request, uow: UowDep, _: Annotated[Principal, menu_page("/quarantine")]
) -> Response:
    rows = [quarantine_row(entry) for entry in monitoring.quarantine(uow, limit=200)]
    return render(request, "quarantine.html", QuarantineContext(rows=rows))


@dataclass(frozen=True)
class DevicesContext:
    devices: list[dict[str, Any]] = field(metadata={"help": "devices with their site and state"})


@router.get("/devices")
def devices_page(
    request: Request, uow: UowDep, user: Annotated[Principal, menu_page("/devices")]
) -> Response:
    devices = enterprises.visible_devices(uow, scope=user.scope)
    return render(request, "devices.html", DevicesContext(devices=devices))
