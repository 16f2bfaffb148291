"""Cases (工单) for officers: the list and the inbox, one case with its history and the actions
the caller may take, an action on a case (with photos and a location), the files of a case, and
the grid statistics of a year (each group linked to the list of the cases it counts).

Who (docs/cases.md "Pages and API"): every officer reads the cases of their scope
(:func:`greenport.cases.service.case_scope`: the city for the admin and the analyst, a town
officer their town, a grid officer their cells, a department its categories); the public and
firms are refused at the gate. Only those who play a part on cases act on them (city admin and
town officers dispatch and verify, grid officers handle theirs). A case outside the caller's
scope answers 404, not 403: whether it exists there is not to be learnt.

Every route calls :mod:`greenport.cases.service`; the time is the app's clock
(:func:`request_now`), so that tests inject one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from greenport.accounts.model import Principal, Role
from greenport.cases import service as cases
from greenport.cases.categories import CATEGORIES
from greenport.cases.model import CASE_ACTOR_ROLES, Case, CaseEvent, CaseSource, CaseState, Location
from greenport.cases.photos import MAX_FILE_BYTES
from greenport.cases.statistics import NO_GROUP, GroupBy, StatisticsReport
from greenport.kernel.errors import InvalidInput
from greenport.kernel.time import CHINA_TZ, local_date, utcnow
from greenport.notifications.model import Route
from greenport.web.deps import UowDep, allow, notification_routes
from greenport.web.params import Offset, RowId

router = APIRouter(tags=["cases"])

#: Who reads cases (each within their scope): the officers.
READERS = frozenset(
    {Role.CITY_ADMIN, Role.BUREAU_ANALYST, Role.TOWN_OFFICER, Role.GRID_OFFICER, Role.DEPARTMENT}
)
#: Who acts on cases: the account roles that play a case role (greenport.cases.model
#: CASE_ROLES_OF_ACCOUNT); the analyst and the departments read only.
ACTORS = CASE_ACTOR_ROLES
#: Who sees the dispatcher's board: those who dispatch (the admin, town officers).
DISPATCHERS = frozenset({Role.CITY_ADMIN, Role.TOWN_OFFICER})

STATUS_PATTERN = "^(open|" + "|".join(CaseState) + ")$"
SOURCE_PATTERN = "^(" + "|".join(CaseSource) + ")$"
BY_PATTERN = "^(" + "|".join(GroupBy) + ")$"
#: The filter of the case list that names a statistics group: the cases behind a row of
#: /cases/stats (and behind an assessment's case indicator) are ``/cases?<filter>=<key>&period=<year>``.
GROUP_FILTER = {
    GroupBy.OFFICER: "assignee",
    GroupBy.CELL: "grid_cell_code",
    GroupBy.TOWN: "town",
    GroupBy.DEPARTMENT: "department",
}
#: Most cases one page of the list holds.
MAX_PAGE = 500
#: The fields of an action (JSON or form), each at most this many characters.
MAX_FIELD = 2000


def request_now(request: Request) -> datetime:
    """The app's clock (``app.state.clock``, :func:`greenport.kernel.time.utcnow` unless a test
    sets its own): every service call of cases takes ``now`` from it."""
    clock = getattr(request.app.state, "clock", None) or utcnow
    now: datetime = clock()
    return now


def current_period(now: datetime) -> str:
    """The Beijing calendar year of ``now`` (the statistics' default period)."""
    return str(local_date(now).year)


def cases_link(by: GroupBy | str, key: str, period: str) -> str | None:
    """The case list behind one group of the statistics of ``period`` (a year): the cases opened
    in it that the group counts (None for :data:`NO_GROUP`, which no filter names)."""
    if key == NO_GROUP:
        return None
    return "/cases?" + urlencode({GROUP_FILTER[GroupBy(by)]: key, "period": period, "status": ""})


def statistics_body(report: StatisticsReport, period: str) -> dict[str, Any]:
    """A statistics report for JSON and the page: each group with its figures
    (:meth:`CaseStatistics.to_dict`), the link to its cases and, grouped by town, its town code."""
    groups = []
    for statistics in report.groups.values():
        group = statistics.to_dict()
        group["cases_link"] = cases_link(report.by, statistics.key, period)
        if report.by is GroupBy.TOWN and statistics.key != NO_GROUP:
            group["town_code"] = statistics.key
        groups.append(group)
    total = report.total.to_dict()
    total["cases_link"] = "/cases?" + urlencode({"period": period, "status": ""})
    return {**report.to_dict(), "period": period, "groups": groups, "total": total}


def case_row(case: Case, now: datetime) -> dict[str, Any]:
    """A case for JSON and the pages: its fields (times ISO 8601 UTC), the category's names and
    whether it is overdue at ``now``. The reporter's contact is for the officers who may see it."""
    category = CATEGORIES.get(case.category)
    return {
        "id": case.id,
        "source": case.source.value,
        "category": case.category,
        "category_zh": category.name_zh if category else case.category,
        "category_en": category.name_en if category else case.category,
        "severity": case.severity.value,
        "state": case.state.value,
        "version": case.version,
        "title": case.title,
        "description": case.description,
        "address": case.address,
        "location": None if case.location is None else case.location.to_dict(),
        "division_code": case.division_code,
        "grid_cell_code": case.grid_cell_code,
        "town_code": case.town_code,
        "department": case.department,
        "site_id": case.site_id,
        "alarm_id": case.alarm_id,
        "assignee": case.assignee,
        "opened_at": case.opened_at.isoformat(),
        "due_at": case.due_at.isoformat() if case.due_at else None,
        "submitted_at": case.submitted_at.isoformat() if case.submitted_at else None,
        "closed_at": case.closed_at.isoformat() if case.closed_at else None,
        "updated_at": case.updated_at.isoformat() if case.updated_at else None,
        "escalation_level": case.escalation_level,
        "rating": case.rating,
        "tracking_number": case.tracking_number,
        "reporter_contact": case.reporter_contact,
        "overdue": case.overdue(now),
    }


def event_row(event: CaseEvent) -> dict[str, Any]:
    return event.to_dict()


def view_body(view: cases.CaseView, now: datetime) -> dict[str, Any]:
    """One case as the caller sees it: the case, its events (oldest first), the actions the
    caller may take now and the version to send back with one."""
    return {
        "case": case_row(view.case, now),
        "events": [event_row(e) for e in view.events],
        "actions": [a.value for a in view.actions],
        "roles": [r.value for r in view.roles],
        "version": view.case.version,
    }


@dataclass(frozen=True)
class ActionInput:
    """An action as a person sent it (JSON body or form), checked: what :func:`cases.act` takes."""

    action: str
    version: int
    note: str = ""
    location: Location | None = None
    assignee: str | None = None
    transfer_to: str | None = None
    due_at: datetime | None = None
    photos: tuple[tuple[bytes, str, str | None], ...] = ()


def _text(fields: Mapping[str, Any], name: str) -> str:
    value = fields.get(name)
    if value is None:
        return ""
    if not isinstance(value, str | int | float):
        raise InvalidInput("must be text", field=name)
    text = str(value).strip()
    if len(text) > MAX_FIELD:
        raise InvalidInput(f"at most {MAX_FIELD} characters", field=name)
    return text


def _number(fields: Mapping[str, Any], name: str) -> float | None:
    text = _text(fields, name)
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise InvalidInput(f"must be a number of degrees, not {text!r}", field=name) from None


def parse_due_at(text: str) -> datetime | None:
    """A deadline from the form or JSON: ISO 8601; without an offset it is Beijing time (the
    form's ``datetime-local``); a bare date is the end of that working day, 18:00 Beijing."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            f"must be a date and time such as 2025-03-10T18:00, not {text!r}", field="due_at"
        ) from None
    if len(text) == 10:
        moment = moment.replace(hour=18)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=CHINA_TZ)


def parse_action(
    fields: Mapping[str, Any], photos: tuple[tuple[bytes, str, str | None], ...] = ()
) -> ActionInput:
    """Check an action's fields (JSON object or form): ``action``, ``version`` (the case's version
    the caller loaded), ``note``, ``lon`` and ``lat`` [degrees, WGS 84] together, ``assignee``,
    ``transfer_to``, ``due_at``. Raises :class:`InvalidInput` naming the field."""
    action = _text(fields, "action")
    if not action:
        raise InvalidInput("name the action (e.g. accept, submit)", field="action")
    version_text = _text(fields, "version")
    if not version_text.isdigit() or len(version_text) > 9:
        raise InvalidInput("send the case's version as you loaded it (a whole number)", field="version")
    lon, lat = _number(fields, "lon"), _number(fields, "lat")
    if (lon is None) != (lat is None):
        raise InvalidInput("give both longitude and latitude", field="lat" if lat is None else "lon")
    location = Location(lon, lat) if lon is not None and lat is not None else None
    return ActionInput(
        action=action,
        version=int(version_text),
        note=_text(fields, "note"),
        location=location,
        assignee=_text(fields, "assignee") or None,
        transfer_to=_text(fields, "transfer_to") or None,
        due_at=parse_due_at(_text(fields, "due_at")),
        photos=photos,
    )


async def read_action(request: Request) -> ActionInput:
    """The action of a JSON body or of a multipart form (with ``photos`` files)."""
    fields, photos = await read_fields(request)
    return parse_action(fields, photos)


async def read_fields(request: Request) -> tuple[dict[str, Any], tuple[tuple[bytes, str, str | None], ...]]:
    """The fields of a JSON object body, or of a multipart form and its ``photos`` files."""
    kind = request.headers.get("content-type", "")
    if kind.startswith("application/json"):
        try:
            body = json.loads(await request.body() or b"null")
        except ValueError:
            raise InvalidInput("the body is not JSON", field="body") from None
        if not isinstance(body, dict):
            raise InvalidInput("the body must be a JSON object", field="body")
        return body, ()
    if "form" not in kind:
        raise InvalidInput("send JSON or a multipart form", field="body")
    form = await request.form(max_part_size=MAX_FILE_BYTES + 1)
    photos = []
    for item in form.getlist("photos"):
        if isinstance(item, UploadFile):
            data = await item.read()
            if data or item.filename:  # a form's empty file input sends a nameless empty part
                photos.append((data, item.filename or "photo", item.content_type))
    fields = {key: value for key, value in form.items() if isinstance(value, str)}
    return fields, tuple(photos)


def open_patrol(
    uow: Any,
    user: Principal,
    fields: Mapping[str, Any],
    photos: tuple[tuple[bytes, str, str | None], ...],
    now: datetime,
    routes: Sequence[Route],
) -> Case:
    """Call :func:`greenport.cases.service.open_patrol_case` with what the officer sent:
    ``category``, ``description``, ``lon`` and ``lat`` [degrees, WGS 84] or ``division_code``,
    ``address``; :class:`InvalidInput` names the field."""
    lon, lat = _number(fields, "lon"), _number(fields, "lat")
    if (lon is None) != (lat is None):
        raise InvalidInput("give both longitude and latitude", field="lat" if lat is None else "lon")
    return cases.open_patrol_case(
        uow,
        principal=user,
        category=_text(fields, "category"),
        description=_text(fields, "description"),
        now=now,
        location=Location(lon, lat) if lon is not None and lat is not None else None,
        division_code=_text(fields, "division_code") or None,
        address=_text(fields, "address"),
        photos=photos,
        routes=routes,
    )


def take_action(
    uow: Any,
    user: Principal,
    case_id: int,
    given: ActionInput,
    now: datetime,
    routes: Sequence[Route] | None = None,
) -> Case:
    """Call :func:`greenport.cases.service.act` with what the caller sent."""
    return cases.act(
        uow,
        principal=user,
        case_id=case_id,
        action=given.action,
        expected_version=given.version,
        now=now,
        note=given.note,
        photos=given.photos,
        location=given.location,
        assignee=given.assignee,
        transfer_to=given.transfer_to,
        due_at=given.due_at,
        routes=routes,
    )


def case_changed(request: Request) -> None:
    """A person acted on a case: cached pages redraw at the next check."""
    request.app.state.hot.invalidate()


@router.get("/cases", summary="Cases in the caller's scope, filtered, newest first")
def list_cases(
    request: Request,
    uow: UowDep,
    user: Annotated[Principal, allow(READERS)],
    assignee: Annotated[str | None, Query(max_length=64)] = None,
    status: Annotated[
        str | None, Query(pattern=STATUS_PATTERN, description="open (not closed) or a state")
    ] = None,
    overdue: Annotated[bool, Query(description="only open cases past their deadline")] = False,
    town_code: Annotated[str | None, Query(max_length=12)] = None,
    grid_cell_code: Annotated[str | None, Query(max_length=32)] = None,
    category: Annotated[str | None, Query(max_length=64)] = None,
    department: Annotated[
        str | None, Query(max_length=64, description="the department of the case's category")
    ] = None,
    source: Annotated[str | None, Query(pattern=SOURCE_PATTERN)] = None,
    period: Annotated[
        str | None, Query(max_length=16, description="opened in this Beijing calendar year, e.g. 2025")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    now = request_now(request)
    found, total = cases.list_cases(
        uow,
        principal=user,
        now=now,
        assignee=assignee,
        status=status,
        overdue=overdue,
        town_code=town_code,
        grid_cell_code=grid_cell_code,
        category=category,
        department=department,
        source=source,
        period=period,
        limit=limit,
        offset=offset,
    )
    return {"data": [case_row(c, now) for c in found], "count": total}


def case_statistics(uow: Any, user: Principal, by: str, period: str, now: datetime) -> dict[str, Any]:
    """The statistics of the cases ``user`` may see opened in ``period`` (a year), grouped ``by``,
    as :func:`statistics_body`."""
    since, until = cases.period_bounds(period)
    report = cases.case_statistics(uow, principal=user, by=by, since=since, until=until, now=now)
    return statistics_body(report, period)


@router.get(
    "/cases/stats",
    summary="Closed-loop statistics of the caller's cases opened in a year, per officer, cell, town or department",
)
def cases_statistics(
    request: Request,
    uow: UowDep,
    user: Annotated[Principal, allow(READERS)],
    by: Annotated[str, Query(pattern=BY_PATTERN, description="officer, cell, town or department")] = "town",
    period: Annotated[
        str | None, Query(max_length=16, description="a Beijing calendar year; the current one by default")
    ] = None,
) -> dict[str, Any]:
    now = request_now(request)
    return case_statistics(uow, user, by, period or current_period(now), now)


@router.post(
    "/cases",
    summary="Open a case found on patrol (巡查发现): JSON, or a multipart form with photos",
    status_code=201,
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["category", "description"],
                        "properties": {
                            "category": {"type": "string"},
                            "description": {"type": "string", "maxLength": MAX_FIELD},
                            "lon": {"type": "number"},
                            "lat": {"type": "number"},
                            "division_code": {"type": "string"},
                            "address": {"type": "string"},
                        },
                    }
                }
            }
        }
    },
)
async def open_patrol_case(
    request: Request, uow: UowDep, user: Annotated[Principal, allow(ACTORS)]
) -> dict[str, Any]:
    fields, photos = await read_fields(request)
    now = request_now(request)
    case = await run_in_threadpool(open_patrol, uow, user, fields, photos, now, notification_routes(request))
    view = await run_in_threadpool(lambda: cases.get_case(uow, principal=user, case_id=case.id))
    case_changed(request)
    return view_body(view, now)


@router.get("/cases/inbox", summary="My inbox: cases waiting for me, due within 24 h, overdue")
def case_inbox(request: Request, uow: UowDep, user: Annotated[Principal, allow(READERS)]) -> dict[str, Any]:
    now = request_now(request)
    box = cases.inbox(uow, principal=user, now=now)
    return {name: [case_row(c, now) for c in found] for name, found in box.items()}


@router.get(
    "/cases/files/{sha256}",
    summary="A file of a case (photo or PDF) by its SHA-256, for a caller who can see the case",
    response_class=Response,
)
def case_file(
    sha256: Annotated[str, Path(pattern="^[0-9a-f]{64}$", description="SHA-256, 64 lower-case hex digits")],
    uow: UowDep,
    user: Annotated[Principal, allow(READERS)],
) -> Response:
    media_type, data = cases.file_for(uow, principal=user, sha256=sha256)
    return Response(
        data,
        media_type=media_type,
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=86400"},
    )


@router.get("/cases/{case_id}", summary="One case with its events, the caller's actions and its version")
def get_case(
    case_id: RowId, request: Request, uow: UowDep, user: Annotated[Principal, allow(READERS)]
) -> dict[str, Any]:
    return view_body(cases.get_case(uow, principal=user, case_id=case_id), request_now(request))


@router.post(
    "/cases/{case_id}/actions",
    summary="Act on a case (JSON, or a multipart form with photos); answers the case after it",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["action", "version"],
                        "properties": {
                            "action": {"type": "string"},
                            "version": {"type": "integer", "minimum": 0},
                            "note": {"type": "string", "maxLength": MAX_FIELD},
                            "lon": {"type": "number"},
                            "lat": {"type": "number"},
                            "assignee": {"type": "string"},
                            "transfer_to": {"type": "string"},
                            "due_at": {"type": "string"},
                        },
                    }
                },
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "photos": {"type": "array", "items": {"type": "string", "format": "binary"}}
                        },
                    }
                },
            }
        }
    },
)
async def act_on_case(
    case_id: RowId, request: Request, uow: UowDep, user: Annotated[Principal, allow(ACTORS)]
) -> dict[str, Any]:
    given = await read_action(request)
    now = request_now(request)
    await run_in_threadpool(take_action, uow, user, case_id, given, now, notification_routes(request))
    view = await run_in_threadpool(lambda: cases.get_case(uow, principal=user, case_id=case_id))
    case_changed(request)
    return view_body(view, now)
