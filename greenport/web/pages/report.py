"""The citizens' pages, no account needed: the report form (``/report``), answered with a tracking
number, and the follow page (``/track``, ``/track/{number}``) with the rating form after closure.

Thin over :mod:`greenport.cases.service`: ``file_report`` (rate-limited per client address in the
service), ``track`` (the public view: no officer, no contact, no photos) and ``act_as_reporter``.
The forms carry the double-submit CSRF token as the log-in form does; a refused report is drawn
again with what was typed and the field to mend, and nothing is stored.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from greenport.accounts.model import EVERYONE, Principal
from greenport.cases import service as cases
from greenport.cases.categories import CATEGORIES
from greenport.cases.model import CaseAction, Location
from greenport.cases.open311 import PUBLIC_STAGES
from greenport.kernel.errors import DomainError, InvalidInput
from greenport.regions import service as regions
from greenport.regions.model import DivisionLevel
from greenport.web import auth
from greenport.web.api.open311 import request_now
from greenport.web.deps import UowDep, allow, client_ip, notification_routes
from greenport.web.pages.base import chrome, render

router = APIRouter(tags=["pages"], include_in_schema=False)

Anyone = Annotated[Principal, allow(EVERYONE, anonymous=True)]


@dataclass(frozen=True)
class ReportFormContext:
    categories: list[dict[str, str]] = field(metadata={"help": "code and name of each category"})
    villages: list[dict[str, str]] = field(
        metadata={"help": "code and 'town · village' name of each village"}
    )
    map_data: dict[str, Any] = field(metadata={"help": "GeoJSON of the towns for the map picker"})
    values: dict[str, str] = field(default_factory=dict, metadata={"help": "what was typed before"})
    error: str | None = field(default=None, metadata={"help": "why the report was refused"})
    error_field: str | None = field(default=None, metadata={"help": "the field to mend"})


@dataclass(frozen=True)
class ReportFiledContext:
    tracking_number: str = field(metadata={"help": "the number to follow the report by"})
    category: str = field(metadata={"help": "the category's name"})


@dataclass(frozen=True)
class TrackLookupContext:
    number: str = field(default="", metadata={"help": "the number typed before"})
    error: str | None = field(default=None, metadata={"help": "why it was not found"})


@dataclass(frozen=True)
class TrackContext:
    number: str = field(metadata={"help": "the tracking number"})
    category: str = field(metadata={"help": "the category's name"})
    stage: str = field(metadata={"help": "the public stage's name"})
    closed: bool = field(metadata={"help": "the case is closed"})
    description: str = field(metadata={"help": "what was reported"})
    address: str = field(metadata={"help": "the typed address"})
    opened_at: Any = field(metadata={"help": "when it was received (aware UTC)"})
    due_at: Any = field(metadata={"help": "the deadline (aware UTC) or None"})
    timeline: list[dict[str, Any]] = field(metadata={"help": "at, stage name and note of each event"})
    can_rate: bool = field(metadata={"help": "the reporter may rate it now"})
    rating: int | None = field(metadata={"help": "the rating given, if any"})
    error: str | None = field(default=None, metadata={"help": "why the rating was refused"})


def _category_name(code: str, lang: str) -> str:
    category = CATEGORIES[code]
    return category.name_zh if lang == "zh" else category.name_en


def _form_context(request: Request, uow: Any, **extra: Any) -> ReportFormContext:
    lang = chrome(request).lang
    towns = {d.code: d for d in regions.list_divisions(uow) if d.level.value in ("town", "street")}
    villages = [
        {"code": d.code, "name": f"{towns[d.parent_code].name} · {d.name}"}
        for d in regions.list_divisions(uow)
        if d.level in (DivisionLevel.VILLAGE, DivisionLevel.COMMUNITY) and d.parent_code in towns
    ]
    features = [
        {"type": "Feature", "properties": {"name": t.name}, "geometry": json.loads(t.boundary_geojson)}
        for t in towns.values()
        if t.boundary_geojson
    ]
    return ReportFormContext(
        categories=[{"code": c.code, "name": _category_name(c.code, lang)} for c in CATEGORIES.values()],
        villages=villages,
        map_data={"type": "FeatureCollection", "features": features},
        **extra,
    )


@router.get("/report")
def report_form(request: Request, uow: UowDep, _: Anyone) -> Response:
    return render(request, "report/form.html", _form_context(request, uow))


def _location(lon: str, lat: str) -> Location | None:
    if not lon.strip() and not lat.strip():
        return None
    try:
        return Location(float(lon), float(lat))
    except ValueError:
        raise InvalidInput("the longitude and latitude are numbers (degrees)", field="location") from None


@router.post("/report")
async def report_submit(request: Request, uow: UowDep, _: Anyone) -> Response:
    form = await request.form()
    values = {key: value for key, value in form.items() if isinstance(value, str)}
    auth.require_csrf(request.cookies.get(auth.CSRF_COOKIE), values.get(auth.CSRF_FIELD, ""))
    photos = [
        (await upload.read(), upload.filename or "photo", upload.content_type)
        for upload in form.getlist("photos")
        if isinstance(upload, UploadFile) and upload.filename  # an empty file input sends no name
    ]
    try:
        case = cases.file_report(
            uow,
            category=values.get("category", ""),
            description=values.get("description", ""),
            now=request_now(request),
            client=client_ip(request),
            location=_location(values.get("lon", ""), values.get("lat", "")),
            division_code=values.get("division_code") or None,
            address=values.get("address", ""),
            contact=values.get("contact") or None,
            photos=photos,
            routes=notification_routes(request),
        )
    except DomainError as exc:
        uow.session.rollback()
        values.pop(auth.CSRF_FIELD, None)
        ctx = _form_context(request, uow, values=values, error=exc.message, error_field=exc.field)
        return render(request, "report/form.html", ctx, status_code=exc.status_hint)
    assert case.tracking_number is not None
    lang = chrome(request).lang
    filed = ReportFiledContext(
        tracking_number=case.tracking_number, category=_category_name(case.category, lang)
    )
    return render(request, "report/filed.html", filed)


@router.get("/track")
def track_lookup(request: Request, _: Anyone, number: str = "") -> Response:
    if number.strip():
        return RedirectResponse(f"/track/{number.strip().upper()}", status_code=303)
    return render(request, "report/lookup.html", TrackLookupContext())


def _track_context(request: Request, uow: Any, number: str, error: str | None = None) -> TrackContext:
    lang = chrome(request).lang
    view = cases.track(uow, tracking_number=number)
    case = view.case
    timeline = [
        {"at": e.at, "stage": PUBLIC_STAGES[e.to_state].name(lang), "note": e.note}
        for e in view.events
        if e.action is not CaseAction.REMIND and e.action is not CaseAction.ESCALATE
    ]
    return TrackContext(
        number=number.strip().upper(),
        category=_category_name(case.category, lang),
        stage=PUBLIC_STAGES[case.state].name(lang),
        closed=not case.is_open,
        description=case.description,
        address=case.address,
        opened_at=case.opened_at,
        due_at=case.due_at,
        timeline=timeline,
        can_rate=CaseAction.RATE in view.actions,
        rating=case.rating,
        error=error,
    )


@router.get("/track/{number}")
def track_page(request: Request, uow: UowDep, _: Anyone, number: str) -> Response:
    try:
        ctx = _track_context(request, uow, number)
    except DomainError as exc:
        ctx_lookup = TrackLookupContext(number=number, error=exc.message)
        return render(request, "report/lookup.html", ctx_lookup, status_code=exc.status_hint)
    return render(request, "report/track.html", ctx)


@router.post("/track/{number}/rate")
async def track_rate(request: Request, uow: UowDep, _: Anyone, number: str) -> Response:
    form = await request.form()
    values = {key: value for key, value in form.items() if isinstance(value, str)}
    auth.require_csrf(request.cookies.get(auth.CSRF_COOKIE), values.get(auth.CSRF_FIELD, ""))
    rating = values.get("rating", "").strip()
    try:
        if not rating.isdigit():
            raise InvalidInput("choose 1 to 5 stars", field="rating")
        cases.act_as_reporter(
            uow,
            tracking_number=number,
            action=CaseAction.RATE,
            now=request_now(request),
            rating=int(rating),
            note=values.get("note", "")[:2000],
        )
    except DomainError as exc:
        uow.session.rollback()
        return render(
            request,
            "report/track.html",
            _track_context(request, uow, number, exc.message),
            status_code=exc.status_hint,
        )
    return RedirectResponse(f"/track/{number.strip().upper()}", status_code=303)
