"""Alarm pages: the console (filters, counts by severity and town, the list with acknowledge and
silence), one alarm (facts, the series around its breach with the limit, its events, the forms)
and the rules in force. Everything through :mod:`greenport.alarms.service` and the API module's
helpers (one home for an alarm's row and its series)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from greenport.accounts.model import Principal, Role
from greenport.alarms import service as alarms
from greenport.alarms.model import OPEN_STATES, Severity
from greenport.kernel.errors import InvalidInput
from greenport.kernel.time import CHINA_TZ, utcnow
from greenport.regions import service as regions
from greenport.web import charts, i18n
from greenport.web.api.alarms import (
    EXPLAINERS,
    HANDLERS,
    alarm_changed,
    alarm_row,
    alarm_series,
    evidence_rows,
    rule_map,
    rule_row,
    rules_in_force,
)
from greenport.web.deps import SettingsDep, UowDep, allow, client_ip
from greenport.web.pages.base import chrome, menu_page, render
from greenport.web.pages.monitoring import limit_name
from greenport.web.params import INT64_MAX, Offset, RowId

router = APIRouter(tags=["pages"], include_in_schema=False)

#: Alarms one page of the console lists.
PAGE_SIZE = 50
#: Severities from the most to the least severe (the console's order).
SEVERITIES = [s.value for s in sorted(Severity, key=lambda s: -s.rank)]
#: The console's filters accept "" (a cleared select) as well as each value.
STATUS_OR_NONE = "^(" + "|".join(("", *alarms.STATUSES)) + ")$"
SEVERITY_OR_NONE = "^(" + "|".join(("", *SEVERITIES)) + ")$"
#: The default silence offered by the forms [h] (the service bounds it to 7 days).
DEFAULT_SILENCE_HOURS = 24


@dataclass(frozen=True)
class AlarmsContext:
    rows: list[dict[str, Any]] = field(metadata={"help": "alarms of this page (alarm_row), newest first"})
    total: int = field(metadata={"help": "alarms matching the filters"})
    counts: dict[str, Any] = field(
        metadata={"help": "open alarms by severity, town and kind (service.counts)"}
    )
    town_names: dict[str, str] = field(metadata={"help": "town code -> name, for the caller's towns"})
    town_chart: dict[str, Any] = field(metadata={"help": "ECharts option: open alarms by town"})
    filters: dict[str, str] = field(metadata={"help": "the filters as chosen (form values)"})
    statuses: list[str] = field(metadata={"help": "the status filter's choices"})
    severities: list[str] = field(metadata={"help": "severities, most severe first"})
    can_handle: bool = field(metadata={"help": "the caller may acknowledge and silence"})
    can_read_rules: bool = field(metadata={"help": "the caller may open the rules page"})
    silence_default: str = field(metadata={"help": "the silence form's default end (local, datetime-local)"})
    offset: int = field(metadata={"help": "rows skipped"})
    page_size: int = field(metadata={"help": "rows per page"})


def _local_input(moment: datetime) -> str:
    """A value for ``<input type=datetime-local>``: Beijing time to the minute."""
    return moment.astimezone(CHINA_TZ).strftime("%Y-%m-%dT%H:%M")


def _town_chart(by_town: dict[str, int], names: dict[str, str], lang: str) -> dict[str, Any]:
    _ = i18n.gettext_for(lang)
    ordered = sorted(by_town.items(), key=lambda kv: -kv[1])
    return charts.counts_bar(
        [names.get(code, code) for code, _n in ordered], [n for _c, n in ordered], name=_("open alarms")
    )


@router.get("/alarms")
def alarms_page(
    request: Request,
    uow: UowDep,
    user: Annotated[Principal, menu_page("/alarms")],
    status: Annotated[str | None, Query(pattern=STATUS_OR_NONE)] = "open",
    severity: Annotated[str | None, Query(pattern=SEVERITY_OR_NONE)] = None,
    town_code: Annotated[str | None, Query(max_length=12)] = None,
    family: Annotated[str | None, Query(pattern="^(|falsified_data)$")] = None,
    site_id: Annotated[int | None, Query(ge=1, le=INT64_MAX)] = None,
    offset: Offset = 0,
) -> Response:
    """The console: ``status`` open by default ("" for every alarm that fired)."""
    lang = chrome(request).lang
    found, total = alarms.visible_alarms(
        uow,
        user,
        status=status or None,
        severity=severity or None,
        town_code=town_code or None,
        family=family or None,
        site_id=site_id,
        limit=PAGE_SIZE,
        offset=offset,
    )
    rules = rule_map(request.app.state.container.settings)
    counts = alarms.counts(uow, user)
    names = {t["code"]: t["name"] for t in regions.visible_towns(uow, scope=user.scope)}
    ctx = AlarmsContext(
        rows=[alarm_row(a, rules) | {"open": a.state in OPEN_STATES} for a in found],
        total=total,
        counts=counts,
        town_names=names,
        town_chart=_town_chart(counts["by_town"], names, lang),
        filters={
            "status": status or "",
            "severity": severity or "",
            "town_code": town_code or "",
            "family": family or "",
        },
        statuses=list(alarms.STATUSES),
        severities=SEVERITIES,
        can_handle=user.role in HANDLERS,
        can_read_rules=user.role in {Role.CITY_ADMIN, Role.BUREAU_ANALYST},
        silence_default=_local_input(utcnow() + timedelta(hours=DEFAULT_SILENCE_HOURS)),
        offset=offset,
        page_size=PAGE_SIZE,
    )
    return render(request, "alarms.html", ctx)


@dataclass(frozen=True)
class AlarmContext:
    alarm: dict[str, Any] = field(metadata={"help": "the alarm (alarm_row)"})
    rule: dict[str, Any] | None = field(metadata={"help": "its rule (rule_row), None if no longer in force"})
    events: list[dict[str, Any]] = field(metadata={"help": "its history, oldest first"})
    chart: dict[str, Any] | None = field(metadata={"help": "ECharts option: the series around the breach"})
    series: dict[str, Any] = field(metadata={"help": "the series document (parameter, period, window)"})
    can_handle: bool = field(metadata={"help": "the caller may acknowledge and silence"})
    can_explain: bool = field(metadata={"help": "the caller may attach an explanation"})
    silence_default: str = field(metadata={"help": "the silence form's default end (local)"})
    silence_max: str = field(metadata={"help": "the latest end a silence may have (local)"})
    frames: list[dict[str, Any]] = field(
        default_factory=list, metadata={"help": "the raw HJ 212 frames behind the peak (evidence_rows)"}
    )


@router.get("/alarms/{alarm_id}")
def alarm_page(
    alarm_id: RowId, request: Request, uow: UowDep, user: Annotated[Principal, menu_page("/alarms")]
) -> Response:
    lang = chrome(request).lang
    _ = i18n.gettext_for(lang)
    found = alarms.alarm(uow, user, alarm_id)
    rules = rule_map(request.app.state.container.settings)
    rule = rules.get(found.rule_id)
    now = utcnow()
    series = alarm_series(uow, user, found, rule, now=now)
    chart = None
    if series["parameter"]:
        chart = charts.breach_series(
            series["points"],
            parameter=i18n.label("parameter", series["parameter"], lang),
            unit=series["unit"],
            limits=[(limit_name(name, lang), value) for name, value in series["limits"]],
            breach=(series["breach"]["first_breach_at"], series["breach"]["last_breach_at"]),
            breach_name=_("breach"),
        )
    ctx = AlarmContext(
        alarm=alarm_row(found, rules) | {"open": found.state in OPEN_STATES},
        rule=None if rule is None else rule_row(rule),
        events=[e.to_dict() for e in alarms.events(uow, user, alarm_id)],
        chart=chart,
        series=series,
        can_handle=user.role in HANDLERS and found.state in OPEN_STATES,
        can_explain=user.role in EXPLAINERS,
        silence_default=_local_input(now + timedelta(hours=DEFAULT_SILENCE_HOURS)),
        silence_max=_local_input(now + alarms.MAX_SILENCE),
        frames=evidence_rows(alarms.evidence_frames(uow, user, alarm_id)),
    )
    return render(request, "alarm.html", ctx)


def _back(alarm_id: int, back: str) -> str:
    """Where a form returns: the console (with its filters) or the alarm's page; nothing else."""
    return back if back.startswith("/alarms?") or back == "/alarms" else f"/alarms/{alarm_id}"


@router.post("/alarms/{alarm_id}/ack")
def acknowledge_form(
    alarm_id: RowId,
    request: Request,
    uow: UowDep,
    user: Annotated[Principal, allow(HANDLERS)],
    note: Annotated[str, Form(max_length=2000)] = "",
    back: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    alarms.acknowledge(uow, user, alarm_id, note=note, now=utcnow(), ip=client_ip(request))
    alarm_changed(request)
    return RedirectResponse(_back(alarm_id, back), status_code=303)


@router.post("/alarms/{alarm_id}/silence")
def silence_form(
    alarm_id: RowId,
    request: Request,
    uow: UowDep,
    user: Annotated[Principal, allow(HANDLERS)],
    until: Annotated[str, Form(max_length=40, description="Beijing time, YYYY-MM-DDTHH:MM")],
    reason: Annotated[str, Form(max_length=2000)] = "",
    back: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    try:
        end = datetime.fromisoformat(until)
    except ValueError:
        raise InvalidInput("must be a date and time such as 2026-06-01T18:00", field="until") from None
    if end.tzinfo is None:  # the form's datetime-local is Beijing time
        end = end.replace(tzinfo=CHINA_TZ)
    alarms.silence(uow, user, alarm_id, until=end, reason=reason, now=utcnow(), ip=client_ip(request))
    alarm_changed(request)
    return RedirectResponse(_back(alarm_id, back), status_code=303)


@router.post("/alarms/{alarm_id}/explanation")
def explanation_form(
    alarm_id: RowId,
    request: Request,
    uow: UowDep,
    user: Annotated[Principal, allow(EXPLAINERS)],
    text: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    alarms.explain(uow, user, alarm_id, text=text, now=utcnow(), ip=client_ip(request))
    alarm_changed(request)
    return RedirectResponse(f"/alarms/{alarm_id}", status_code=303)


@dataclass(frozen=True)
class AlarmRulesContext:
    rules: list[dict[str, Any]] = field(metadata={"help": "the rules in force (rule_row), as in the file"})
    source: str = field(
        metadata={"help": "the rules file of GREENPORT_ALARM_RULES, '' for the shipped rules"}
    )


@router.get("/alarm-rules")
def alarm_rules_page(
    request: Request, settings: SettingsDep, _user: Annotated[Principal, menu_page("/alarm-rules")]
) -> Response:
    source = str(settings.alarm_rules) if settings.alarm_rules else ""
    ctx = AlarmRulesContext(rules=[rule_row(r) for r in rules_in_force(settings)], source=source)
    return render(request, "alarm_rules.html", ctx)
