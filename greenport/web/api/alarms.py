"""Alarms: the console's list and counts, one alarm with its events and the series around its
breach, and what people do with an alarm (acknowledge, silence, explain), each audited.

Who (docs/web.md "Alarms"): every officer (city admin, analyst, department, town, grid) sees the
alarms of the sites in their scope, an enterprise user those of its own outlets; the public none
(refused at the gate, as on every officer route). Officers of a territory acknowledge and silence
(:data:`greenport.alarms.service.HANDLERS`, not the read-only department); an enterprise user and
those officers attach an explanation (情况说明). An alarm outside the caller's scope answers 404,
not 403: whether it exists there is not to be learnt (:func:`greenport.alarms.service.alarm`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from greenport.accounts.model import SIGNED_IN, Principal, Role
from greenport.alarms import service as alarms
from greenport.alarms.model import Alarm, Rule, Severity
from greenport.alarms.rules import KIND_PARAMETERS
from greenport.config import Settings
from greenport.enterprises import service as enterprises
from greenport.kernel.parameters import registry as parameter_registry
from greenport.kernel.time import utcnow
from greenport.monitoring import service as monitoring
from greenport.web.deps import SettingsDep, UowDep, allow, client_ip
from greenport.web.params import INT64_MAX, Instant, Offset, RowId

router = APIRouter(tags=["alarms"])

#: Who sees alarms: every signed-in role but the public (each within their scope).
VIEWERS = SIGNED_IN - {Role.PUBLIC}
#: Who acknowledges and silences: the officers of a territory (the service's rule).
HANDLERS = alarms.HANDLERS
#: Who attaches an explanation (情况说明): the enterprise of the outlet, and the handlers.
EXPLAINERS = HANDLERS | {Role.ENTERPRISE}
#: Who reads the rules in force (the rules page is for the bureau's analysts and the admins).
RULE_READERS = frozenset({Role.CITY_ADMIN, Role.BUREAU_ANALYST})

STATUS_PATTERN = "^(" + "|".join(alarms.STATUSES) + ")$"
SEVERITY_PATTERN = "^(" + "|".join(s.value for s in Severity) + ")$"
#: Most alarms one page of the list holds.
MAX_PAGE = 500
#: Context drawn on each side of an alarm's breach, by the period of its points.
SERIES_MARGIN = {"raw": timedelta(hours=2), "hour": timedelta(hours=24), "day": timedelta(days=10)}
#: The parameter drawn for an alarm of a whole site (offline, AQI level, water class): the site
#: kind's headline parameter, as the site page and the bulletins lead with it.
HEADLINE_PARAMETER = {
    "air_station": "pm2_5",
    "water_section": "cod",
    "gas_outlet": "flue_so2",
    "water_outlet": "cod",
}


@lru_cache(maxsize=4)
def _rules_of(path: str | None) -> tuple[Rule, ...]:
    return alarms.rules(path)


def rules_in_force(settings: Settings) -> tuple[Rule, ...]:
    """The rules of ``GREENPORT_ALARM_RULES`` (or the shipped file), read once per process as
    ingest reads them at its start (an edited file takes effect on restart)."""
    path: Path | None = settings.alarm_rules
    return _rules_of(None if path is None else str(path))


def rule_map(settings: Settings) -> dict[str, Rule]:
    return {rule.id: rule for rule in rules_in_force(settings)}


def alarm_row(alarm: Alarm, rules: dict[str, Rule]) -> dict[str, Any]:
    """An alarm for JSON and the pages: :meth:`Alarm.to_dict` with its rule's names (a rule no
    longer in the file leaves them None: the alarm keeps its rule id)."""
    rule = rules.get(alarm.rule_id)
    return alarm.to_dict() | {
        "rule_name_zh": rule.name_zh if rule else None,
        "rule_name_en": rule.name_en if rule else None,
    }


def rule_row(rule: Rule) -> dict[str, Any]:
    """A rule for JSON and the rules page, with the documentation of its kind's parameters."""
    return rule.to_dict() | {
        "kind_parameters": {
            name: {"type": p.type, "default": p.default, "help": p.help, "choices": list(p.choices) or None}
            for name, p in KIND_PARAMETERS[rule.kind].items()
        }
    }


def series_period(rule: Rule | None) -> str:
    """The period of the points an alarm's rule judged (raw, hour, day); a clock rule (offline)
    is drawn with the raw values up to the silence."""
    period = "raw" if rule is None else alarms.rule_period(rule)
    return "raw" if period == "clock" else period


def alarm_series(
    uow: Any, user: Principal, alarm: Alarm, rule: Rule | None, *, now: datetime
) -> dict[str, Any]:
    """The site's values of the alarm's parameter around its breach, with the limit lines in force
    (:func:`greenport.monitoring.service.site_series`, the site page's one home): from a margin
    before the first breach to a margin after its end (resolution, or last breach while open),
    at most the longest window of that period (an offline alarm: from before the silence began). An alarm of a whole site draws the site kind's
    headline parameter (:data:`HEADLINE_PARAMETER`), or the first one the site reports; a site
    without data gives no points (``parameter`` None)."""
    site = enterprises.visible_site(uow, scope=user.scope, site_id=alarm.site_id)
    period = series_period(rule)
    margin = SERIES_MARGIN[period]
    end = (alarm.resolved_at or alarm.last_breach_at) + margin
    start = alarm.first_breach_at - margin
    if rule is not None and alarms.rule_period(rule) == "clock":  # offline: the data before the silence
        start -= timedelta(minutes=float(rule.params["after_minutes"]))
    start = max(start, end - timedelta(days=monitoring.MAX_SERIES_DAYS[period]))
    first, stop = monitoring.site_window(
        uow, site_id=alarm.site_id, period=period, days=0, start=start, end=end, now=now
    )
    found = monitoring.site_series(uow, site=site, period=period, start=first, end=stop)["series"]
    parameter: str | None = alarm.parameter if alarm.parameter in found else None
    if parameter is None and found:
        headline = HEADLINE_PARAMETER.get(str(site["kind"]))
        parameter = headline if headline in found else next(iter(found))
    entry = found.get(parameter, {"points": [], "limits": []}) if parameter else {"points": [], "limits": []}
    known = parameter_registry()
    return {
        "alarm_id": alarm.id,
        "site_id": alarm.site_id,
        "parameter": parameter,
        "unit": known[parameter].unit if parameter in known else "",
        "period": period,
        "start": first.isoformat(),
        "end": stop.isoformat(),
        "points": entry["points"],
        "limits": entry["limits"],
        "breach": {
            "first_breach_at": alarm.first_breach_at.isoformat(),
            "last_breach_at": alarm.last_breach_at.isoformat(),
            "peak": alarm.peak,
            "peak_at": alarm.peak_at.isoformat(),
            "limit": alarm.limit,
        },
    }


def alarm_changed(request: Request) -> None:
    """A person acted on an alarm: the map's markers and panels redraw at the next check."""
    request.app.state.hot.invalidate()


@router.get("/alarms", summary="Alarms in the caller's scope, newest first, with their rule's names")
def list_alarms(
    uow: UowDep,
    settings: SettingsDep,
    user: Annotated[Principal, allow(VIEWERS)],
    status: Annotated[
        str | None,
        Query(
            pattern=STATUS_PATTERN,
            description="open (firing or recovering), firing, recovering, pending, "
            "resolved, invalidated; none: every alarm that fired",
        ),
    ] = None,
    site_id: Annotated[int | None, Query(ge=1, le=INT64_MAX)] = None,
    severity: Annotated[str | None, Query(pattern=SEVERITY_PATTERN)] = None,
    town_code: Annotated[str | None, Query(max_length=12)] = None,
    rule_id: Annotated[str | None, Query(max_length=64)] = None,
    family: Annotated[
        str | None, Query(pattern="^falsified_data$", description="falsified_data: the 数据造假筛查 kinds")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    found, total = alarms.visible_alarms(
        uow,
        user,
        status=status,
        site_id=site_id,
        severity=severity,
        town_code=town_code,
        rule_id=rule_id,
        family=family,
        limit=limit,
        offset=offset,
    )
    rules = rule_map(settings)
    return {"data": [alarm_row(a, rules) for a in found], "count": total}


@router.get("/alarms/counts", summary="Open alarms by severity, town and kind in the caller's scope")
def alarm_counts(uow: UowDep, user: Annotated[Principal, allow(VIEWERS)]) -> dict[str, Any]:
    return alarms.counts(uow, user)


@router.get("/alarms/{alarm_id}", summary="One alarm with its events (append-only) and its rule")
def get_alarm(
    alarm_id: RowId, uow: UowDep, settings: SettingsDep, user: Annotated[Principal, allow(VIEWERS)]
) -> dict[str, Any]:
    found = alarms.alarm(uow, user, alarm_id)
    rules = rule_map(settings)
    rule = rules.get(found.rule_id)
    return {
        "alarm": alarm_row(found, rules),
        "events": [e.to_dict() for e in alarms.events(uow, user, alarm_id)],
        "rule": None if rule is None else rule_row(rule),
    }


@router.get(
    "/alarms/{alarm_id}/series",
    summary="The site's values of the alarm's parameter around the breach, with the limit lines",
)
def get_alarm_series(
    alarm_id: RowId, uow: UowDep, settings: SettingsDep, user: Annotated[Principal, allow(VIEWERS)]
) -> dict[str, Any]:
    found = alarms.alarm(uow, user, alarm_id)
    return alarm_series(uow, user, found, rule_map(settings).get(found.rule_id), now=utcnow())


def evidence_rows(found: list[tuple[Any, Any]]) -> list[dict[str, Any]]:
    """The frames behind an alarm for JSON and the page: the value each carried and the packet as
    received (Latin-1 text: every byte shows as one character)."""
    return [
        {
            "frame_id": frame.id,
            "received_at": frame.received_at.isoformat(),
            "mn": frame.mn,
            "cn": frame.cn,
            "qn": frame.qn,
            "data_time": reading.data_time.isoformat(),
            "period": reading.period.value,
            "parameter": reading.parameter,
            "value": reading.value,
            "flag": reading.flag.value,
            "raw": bytes(frame.raw).decode("latin-1", errors="replace"),
        }
        for reading, frame in found
    ]


@router.get(
    "/alarms/{alarm_id}/frames",
    summary="The raw HJ 212 frames behind the alarm's peak, with the value each carried",
)
def get_alarm_frames(
    alarm_id: RowId, uow: UowDep, user: Annotated[Principal, allow(VIEWERS)]
) -> dict[str, Any]:
    return {"data": evidence_rows(alarms.evidence_frames(uow, user, alarm_id))}


class AckIn(BaseModel):
    note: str | None = Field(None, max_length=2000, description="What was done or found (optional).")


class SilenceIn(BaseModel):
    until: Instant = Field(description="End of the silence (ISO 8601 with offset), at most 7 days ahead.")
    reason: str = Field(max_length=2000, description="Why notifications stop (required).")


class ExplanationIn(BaseModel):
    text: str = Field(max_length=2000, description="The explanation (情况说明), required.")


@router.post("/alarms/{alarm_id}/ack", summary="Acknowledge an alarm with a note (officers; audited)")
def acknowledge_alarm(
    alarm_id: RowId,
    body: AckIn,
    request: Request,
    uow: UowDep,
    settings: SettingsDep,
    user: Annotated[Principal, allow(HANDLERS)],
) -> dict[str, Any]:
    done = alarms.acknowledge(uow, user, alarm_id, note=body.note, now=utcnow(), ip=client_ip(request))
    alarm_changed(request)
    return alarm_row(done, rule_map(settings))


@router.post(
    "/alarms/{alarm_id}/silence", summary="Silence an alarm's notifications for at most 7 days (audited)"
)
def silence_alarm(
    alarm_id: RowId,
    body: SilenceIn,
    request: Request,
    uow: UowDep,
    settings: SettingsDep,
    user: Annotated[Principal, allow(HANDLERS)],
) -> dict[str, Any]:
    done = alarms.silence(
        uow, user, alarm_id, until=body.until, reason=body.reason, now=utcnow(), ip=client_ip(request)
    )
    alarm_changed(request)
    return alarm_row(done, rule_map(settings))


@router.post(
    "/alarms/{alarm_id}/explanation",
    summary="Attach the enterprise's explanation (情况说明) to an alarm (audited)",
)
def explain_alarm(
    alarm_id: RowId,
    body: ExplanationIn,
    request: Request,
    uow: UowDep,
    settings: SettingsDep,
    user: Annotated[Principal, allow(EXPLAINERS)],
) -> dict[str, Any]:
    done = alarms.explain(uow, user, alarm_id, text=body.text, now=utcnow(), ip=client_ip(request))
    alarm_changed(request)
    return alarm_row(done, rule_map(settings))


@router.get(
    "/alarm-rules", summary="The alarm rules in force, with the documentation of each kind's parameters"
)
def list_alarm_rules(
    settings: SettingsDep, user: Annotated[Principal, allow(RULE_READERS)]
) -> dict[str, Any]:
    rows = [rule_row(rule) for rule in rules_in_force(settings)]
    return {"data": rows, "count": len(rows)}
