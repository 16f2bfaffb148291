"""Case pages for officers: my inbox with a filterable list, one case (header, timeline, map,
a form per allowed action), the dispatcher's board, the grid statistics with their map. Everything through
:mod:`greenport.cases.service` and the API module's helpers (one home for a case's row and for
reading an action); the time is the app's clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from greenport.accounts.model import Principal
from greenport.cases import lifecycle
from greenport.cases import service as cases
from greenport.cases.categories import CATEGORIES
from greenport.cases.model import CaseAction, CaseSource, CaseState, Requirement
from greenport.cases.statistics import GroupBy
from greenport.kernel.errors import DomainError, NotFound
from greenport.regions import service as regions
from greenport.reports.dashboard import feature_collection
from greenport.web import charts, i18n
from greenport.web.api.cases import (
    ACTORS,
    BY_PATTERN,
    SOURCE_PATTERN,
    case_changed,
    case_row,
    case_statistics,
    current_period,
    open_patrol,
    read_action,
    read_fields,
    request_now,
    take_action,
    view_body,
)
from greenport.web.deps import UowDep, allow, notification_routes
from greenport.web.pages.base import chrome, menu_page, render
from greenport.web.params import Offset, RowId

router = APIRouter(tags=["pages"], include_in_schema=False)

#: Cases one page of the list shows.
PAGE_SIZE = 50
#: The list's status filter accepts "" (a cleared select), open, or a state.
STATUS_OR_NONE = "^(|open|" + "|".join(CaseState) + ")$"
SOURCE_OR_NONE = SOURCE_PATTERN.replace("^(", "^(|")
#: The board's columns: the states a dispatcher acts on (issue 17).
BOARD_STATES = (
    CaseState.NEW,
    CaseState.MISROUTED,
    CaseState.EXTENSION_REQUESTED,
    CaseState.SUBMITTED,
    CaseState.VERIFIED,
)
#: Actions whose form asks for more than a note, by the field it adds.
ACTION_FIELDS = {
    CaseAction.DISPATCH: "assignee",
    CaseAction.TRANSFER: "transfer_to",
    CaseAction.GRANT_EXTENSION: "due_at",
}


@dataclass(frozen=True)
class CasesContext:
    inbox: dict[str, list[dict[str, Any]]] = field(
        metadata={"help": "my inbox: new, due_soon, overdue (case_row each)"}
    )
    rows: list[dict[str, Any]] = field(metadata={"help": "the filtered list (case_row), newest first"})
    total: int = field(metadata={"help": "cases matching the filters"})
    filters: dict[str, str] = field(metadata={"help": "the filters as chosen (form values)"})
    states: list[str] = field(metadata={"help": "the status filter's states"})
    categories: list[dict[str, str]] = field(metadata={"help": "code, name_zh, name_en of each category"})
    departments: list[str] = field(metadata={"help": "the departments the categories name"})
    sources: list[str] = field(metadata={"help": "the source filter's values"})
    town_names: dict[str, str] = field(metadata={"help": "town code -> name, for the caller's towns"})
    offset: int = field(metadata={"help": "rows skipped"})
    page_size: int = field(metadata={"help": "rows per page"})
    query: str = field(metadata={"help": "the filters as a query string (for the next and previous pages)"})


def _categories() -> list[dict[str, str]]:
    return [{"code": c.code, "name_zh": c.name_zh, "name_en": c.name_en} for c in CATEGORIES.values()]


@router.get("/cases")
def cases_page(
    request: Request,
    uow: UowDep,
    user: Annotated[Principal, menu_page("/cases")],
    status: Annotated[str, Query(pattern=STATUS_OR_NONE)] = "open",
    overdue: Annotated[bool, Query()] = False,
    town_code: Annotated[str, Query(max_length=12)] = "",
    grid_cell_code: Annotated[str, Query(max_length=32)] = "",
    category: Annotated[str, Query(max_length=64)] = "",
    source: Annotated[str, Query(pattern=SOURCE_OR_NONE)] = "",
    assignee: Annotated[str, Query(max_length=64)] = "",
    department: Annotated[str, Query(max_length=64)] = "",
    period: Annotated[str, Query(max_length=16)] = "",
    town: Annotated[str, Query(max_length=12)] = "",
    offset: Offset = 0,
) -> Response:
    """My inbox (three lists) and the cases of my scope, filtered (open by default). ``town`` is
    ``town_code`` as the assessments' indicators and the statistics name it
    (``/cases?town=<code>&period=<year>``); ``period``: opened in that Beijing year."""
    now = request_now(request)
    town_code = town_code or town
    box = cases.inbox(uow, principal=user, now=now)
    found, total = cases.list_cases(
        uow,
        principal=user,
        now=now,
        status=status or None,
        overdue=overdue,
        town_code=town_code or None,
        grid_cell_code=grid_cell_code or None,
        category=category or None,
        source=source or None,
        assignee=assignee or None,
        department=department or None,
        period=period or None,
        limit=PAGE_SIZE,
        offset=offset,
    )
    filters = {
        "status": status,
        "overdue": "1" if overdue else "",
        "town_code": town_code,
        "grid_cell_code": grid_cell_code,
        "category": category,
        "source": source,
        "assignee": assignee,
        "department": department,
        "period": period,
    }
    ctx = CasesContext(
        inbox={name: [case_row(c, now) for c in rows] for name, rows in box.items()},
        rows=[case_row(c, now) for c in found],
        total=total,
        filters=filters,
        states=[s.value for s in CaseState],
        categories=_categories(),
        departments=sorted({c.department for c in CATEGORIES.values()}),
        sources=[s.value for s in CaseSource],
        town_names={t["code"]: t["name"] for t in regions.visible_towns(uow, scope=user.scope)},
        offset=offset,
        page_size=PAGE_SIZE,
        query=urlencode({k: v for k, v in filters.items() if v or k == "status"}),
    )
    return render(request, "cases/list.html", ctx)


@dataclass(frozen=True)
class CaseContext:
    case: dict[str, Any] = field(metadata={"help": "the case (case_row)"})
    events: list[dict[str, Any]] = field(metadata={"help": "its history, oldest first (CaseEvent.to_dict)"})
    forms: list[dict[str, Any]] = field(
        metadata={"help": "one form per allowed action: action, needs (note, photo, location, ...), field"}
    )
    version: int = field(metadata={"help": "the case's version as loaded (sent back with an action)"})
    town_name: str = field(metadata={"help": "the name of the case's town"})
    cells: list[str] = field(metadata={"help": "grid cell codes a transfer may name"})
    officers: list[str] = field(metadata={"help": "grid officers a dispatch may name"})
    map_name: str = field(metadata={"help": "the name the boundaries are registered under"})
    geojson: dict[str, Any] = field(metadata={"help": "town boundaries in the caller's scope"})
    map_chart: dict[str, Any] | None = field(metadata={"help": "ECharts option: the case's point, or None"})
    error: dict[str, Any] | None = field(
        metadata={"help": "the refusal of the last action (message, type, field), or None"}
    )


def _forms(view: cases.CaseView) -> list[dict[str, Any]]:
    forms = []
    for action in view.actions:
        transition = lifecycle.TRANSITIONS.get((view.case.state, action))
        needs = {r.value for r in transition.requires} if transition else set()
        forms.append(
            {
                "action": action.value,
                "needs": sorted(needs),
                "photo": Requirement.PHOTO.value in needs,
                "location": Requirement.LOCATION.value in needs,
                "field": ACTION_FIELDS.get(action),
            }
        )
    return forms


def case_context(
    request: Request, uow: Any, user: Principal, view: cases.CaseView, error: dict[str, Any] | None = None
) -> CaseContext:
    now = request_now(request)
    body = view_body(view, now)
    towns = regions.visible_towns(uow, scope=user.scope, with_boundaries=True)
    cells = sorted(uow.cases.grid_cells()) if view.actions else []
    officers = (
        sorted({n for cell in uow.cases.grid_cells().values() for n in cell.usernames})
        if view.actions
        else []
    )
    location = view.case.location
    _ = i18n.gettext_for(chrome(request).lang)
    return CaseContext(
        case=body["case"],
        events=body["events"],
        forms=_forms(view),
        version=view.case.version,
        town_name=next(
            (t["name"] for t in towns if t["code"] == view.case.town_code), view.case.town_code or ""
        ),
        cells=cells,
        officers=officers,
        map_name=charts.MAP_NAME,
        geojson=feature_collection(towns),
        map_chart=None if location is None else charts.case_map(location.lon, location.lat, name=_("Case")),
        error=error,
    )


@router.get("/cases/board")
def board_page(
    request: Request, uow: UowDep, user: Annotated[Principal, menu_page("/cases/board")]
) -> Response:
    """The dispatcher's board: a column per state they act on, and the overdue or escalated cases."""
    now = request_now(request)
    columns = {}
    for state in BOARD_STATES:
        found, _total = cases.list_cases(uow, principal=user, now=now, status=state.value, limit=PAGE_SIZE)
        columns[state.value] = [case_row(c, now) for c in found]
    late, _total = cases.list_cases(uow, principal=user, now=now, overdue=True, limit=PAGE_SIZE)
    open_cases, _total = cases.list_cases(uow, principal=user, now=now, status="open", limit=1000)
    escalated = [case_row(c, now) for c in open_cases if c.escalation_level > 0]
    return render(
        request,
        "cases/board.html",
        BoardContext(columns=columns, overdue=[case_row(c, now) for c in late], escalated=escalated),
    )


@dataclass(frozen=True)
class BoardContext:
    columns: dict[str, list[dict[str, Any]]] = field(metadata={"help": "state -> cases (case_row) in it"})
    overdue: list[dict[str, Any]] = field(metadata={"help": "open cases past their deadline"})
    escalated: list[dict[str, Any]] = field(metadata={"help": "open cases escalated to the town or the city"})


@dataclass(frozen=True)
class StatsContext:
    by: str = field(metadata={"help": "the grouping shown: officer, cell, town or department"})
    groupings: list[str] = field(metadata={"help": "the groupings the switch offers"})
    period: str = field(metadata={"help": "the year shown (Beijing calendar year)"})
    periods: list[str] = field(metadata={"help": "the years the period switch offers, newest first"})
    rows: list[dict[str, Any]] = field(
        metadata={"help": "one per group: CaseStatistics.to_dict, name (town's name) and cases_link"}
    )
    total: dict[str, Any] = field(metadata={"help": "the groups added up, with cases_link"})
    map_name: str = field(metadata={"help": "the name the boundaries are registered under"})
    geojson: dict[str, Any] = field(metadata={"help": "town boundaries in the caller's scope"})
    map_chart: dict[str, Any] = field(metadata={"help": "ECharts option: on-time closure rate by town"})


#: The years the statistics page offers before the current one.
STATS_YEARS = 5


@router.get("/cases/stats")
def stats_page(
    request: Request,
    uow: UowDep,
    user: Annotated[Principal, menu_page("/cases/stats")],
    by: Annotated[str, Query(pattern=BY_PATTERN)] = "town",
    period: Annotated[str, Query(max_length=16)] = "",
) -> Response:
    """Grid statistics (网格工单统计) of the cases of my scope opened in a year, per officer, cell,
    town or department, each row linked to its cases; a map of on-time closure rate by town."""
    now = request_now(request)
    year = period or current_period(now)
    body = case_statistics(uow, user, by, year, now)
    by_town = body if by == GroupBy.TOWN else case_statistics(uow, user, GroupBy.TOWN.value, year, now)
    towns = regions.visible_towns(uow, scope=user.scope, with_boundaries=True)
    town_names = {t["code"]: t["name"] for t in towns}
    rates = {g["key"]: g["on_time_rate"] for g in by_town["groups"]}
    _ = i18n.gettext_for(chrome(request).lang)
    rows = [
        {**g, "name": town_names.get(g["key"], g["key"]) if by == GroupBy.TOWN else g["key"]}
        for g in body["groups"]
    ]
    this_year = int(current_period(now))
    return render(
        request,
        "cases/stats.html",
        StatsContext(
            by=by,
            groupings=[g.value for g in GroupBy],
            period=year,
            periods=[str(y) for y in range(this_year, this_year - STATS_YEARS, -1)],
            rows=rows,
            total=body["total"],
            map_name=charts.MAP_NAME,
            geojson=feature_collection(towns),
            map_chart=charts.rate_by_town(
                [(t["name"], rates.get(t["code"])) for t in towns],
                name=_("On-time closure rate"),
                no_data=_("no closed case"),
            ),
        ),
    )


@dataclass(frozen=True)
class PatrolContext:
    categories: list[dict[str, str]] = field(metadata={"help": "code, name_zh, name_en of each category"})
    values: dict[str, str] = field(metadata={"help": "what the officer typed (shown again on a refusal)"})
    error: dict[str, Any] | None = field(default=None, metadata={"help": "the refusal: error, field"})


@router.get("/cases/new")
def patrol_page(request: Request, user: Annotated[Principal, allow(ACTORS)]) -> Response:
    """The form an officer files a patrol finding (巡查发现) with, from a phone in the field."""
    return render(request, "cases/new.html", PatrolContext(categories=_categories(), values={}))


@router.post("/cases/new")
async def patrol_form(request: Request, uow: UowDep, user: Annotated[Principal, allow(ACTORS)]) -> Response:
    """Open the patrol case and show it; a refusal shows the form again with what was typed and
    the field to fix (nothing stored)."""
    now = request_now(request)
    fields, photos = await read_fields(request)
    try:
        case = await run_in_threadpool(
            open_patrol, uow, user, fields, photos, now, notification_routes(request)
        )
    except DomainError as refused:
        uow.rollback()
        typed = {
            k: str(v) for k, v in fields.items() if k in ("category", "description", "lon", "lat", "address")
        }
        ctx = PatrolContext(categories=_categories(), values=typed, error=refused.to_dict())
        return render(request, "cases/new.html", ctx, status_code=refused.status_hint)
    case_changed(request)
    return RedirectResponse(f"/cases/{case.id}", status_code=303)


@router.get("/cases/{case_id}")
def case_page(
    case_id: RowId, request: Request, uow: UowDep, user: Annotated[Principal, menu_page("/cases")]
) -> Response:
    view = cases.get_case(uow, principal=user, case_id=case_id)
    return render(request, "cases/case.html", case_context(request, uow, user, view))


@router.post("/cases/{case_id}/act")
async def act_form(
    case_id: RowId, request: Request, uow: UowDep, user: Annotated[Principal, allow(ACTORS)]
) -> Response:
    """One action from the case page's form. A refusal (a stale page's version conflict first of
    all) shows the case page again, as it is now, with the reason and the refusal's status."""
    now = request_now(request)
    try:
        given = await read_action(request)
        await run_in_threadpool(take_action, uow, user, case_id, given, now, notification_routes(request))
    except NotFound:
        raise
    except DomainError as refused:
        uow.rollback()
        view = await run_in_threadpool(lambda: cases.get_case(uow, principal=user, case_id=case_id))
        ctx = await run_in_threadpool(case_context, request, uow, user, view, refused.to_dict())
        return render(request, "cases/case.html", ctx, status_code=refused.status_hint)
    case_changed(request)
    return RedirectResponse(f"/cases/{case_id}", status_code=303)
