"""Open311 GeoReport v2 at ``/open311/v2`` (https://wiki.open311.org/GeoReport_v2): existing citizen
apps file reports into the grid and follow them.

Thin over :mod:`greenport.cases.service` (``file_report``, ``track``, ``public_reports``,
``public_report``) and the pure :mod:`greenport.cases.open311` (representation, checks,
encoders). Every resource is ``.json`` or ``.xml``; every refusal is the specification's error list
(``code``, ``description``) in the resource's format with the status of its first error (400 for
a missing or invalid field, 404 for an unknown service or request, 429 for too many reports).

``api_key``: optional and not checked. A citizen's report needs no account on the public form, so
none is asked of an app either; reports are rate-limited per client address by the service, the
same limit as the form. ``POST requests`` is form-encoded as the specification says; a photo may
come as a multipart file field ``media`` (checked by its bytes, as the form's photos are) besides
``media_url`` (kept as a link for the officers, never fetched).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from greenport.accounts.model import EVERYONE, Principal
from greenport.cases import open311
from greenport.cases import service as cases
from greenport.cases.open311 import FORMATS, MEDIA_TYPES, Open311Error, Open311Refused
from greenport.kernel.errors import DomainError
from greenport.kernel.time import utcnow
from greenport.web.deps import UowDep, allow, client_ip, notification_routes

router = APIRouter(prefix="/open311/v2", tags=["open311"], include_in_schema=False)

#: Everyone, signed in or not (a citizen app has no account).
OPEN311_GATE = allow(EVERYONE, anonymous=True)
Anyone = Annotated[Principal, OPEN311_GATE]


def request_now(request: Request) -> datetime:
    """The app's clock (``app.state.clock``, a callable returning aware UTC, set by tests), else
    the wall clock."""
    clock: Callable[[], datetime] | None = getattr(request.app.state, "clock", None)
    return clock() if clock is not None else utcnow()


def _format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise Open311Refused([Open311Error(404, f"format: {fmt!r} is not one of json, xml", "format")])
    return fmt


def _answer(fmt: str, produce: Callable[[str], bytes], *, status: int = 200) -> Response:
    """``produce(fmt)`` as the answer, or its refusal as the Open311 error list (JSON when the
    format itself is unknown)."""
    shown = fmt if fmt in FORMATS else "json"
    try:
        body = produce(_format(fmt))
    except Open311Refused as exc:
        refusal = exc
    except DomainError as error:
        refusal = open311.refusal_of(error)
    else:
        return Response(body, status, media_type=MEDIA_TYPES[fmt])
    return Response(
        open311.encode_errors(shown, refusal.errors), refusal.status, media_type=MEDIA_TYPES[shown]
    )


@router.get("/services.{fmt}")
def list_services(fmt: str, _: Anyone) -> Response:
    """GET services: the case categories as services."""
    return _answer(fmt, lambda f: open311.encode_list(f, open311.services(), root="services", item="service"))


@router.get("/services/{service_code}.{fmt}")
def service_definition(service_code: str, fmt: str, _: Anyone) -> Response:
    """GET a service definition (no GreenPort service has extra attributes)."""
    return _answer(fmt, lambda f: open311.encode_definition(f, open311.service_definition(service_code)))


def _fields(form: Mapping[str, object]) -> dict[str, str]:
    return {key: value for key, value in form.items() if isinstance(value, str)}


@router.post("/requests.{fmt}")
async def create_request(fmt: str, request: Request, uow: UowDep, _: Anyone) -> Response:
    """POST a service request (form-encoded, or multipart with a ``media`` file)."""
    try:
        form = await request.form()
    except Exception:  # a body that is not a form: the specification's 400
        shown = fmt if fmt in FORMATS else "json"
        error = Open311Error(400, "the body is not form-encoded (application/x-www-form-urlencoded)")
        return Response(open311.encode_errors(shown, [error]), 400, media_type=MEDIA_TYPES[shown])
    fields = _fields(form)
    photos: list[tuple[bytes, str, str | None]] = []
    for upload in form.getlist("media"):
        if isinstance(upload, UploadFile):
            photos.append((await upload.read(), upload.filename or "media", upload.content_type))
    client = client_ip(request)
    now = request_now(request)
    routes = notification_routes(request)

    def produce(f: str) -> bytes:
        checked = open311.check_post(fields)
        case = cases.file_report(
            uow,
            category=checked.category,
            description=checked.description_with_media(),
            now=now,
            client=client,
            location=checked.location,
            address=checked.address,
            contact=checked.contact,
            photos=photos,
            routes=routes,
        )
        return open311.encode_list(f, [open311.created_reply(case)], root="service_requests", item="request")

    response = _answer(fmt, produce)
    if response.status_code >= 400:
        uow.session.rollback()  # nothing half-written (the rate counter commits itself)
    return response


@router.get("/requests.{fmt}")
def list_requests(fmt: str, request: Request, uow: UowDep, _: Anyone) -> Response:
    """GET service requests: citizens' reports only, newest first, the last 90 days by default,
    at most 1000."""
    params = dict(request.query_params)
    now = request_now(request)

    def produce(f: str) -> bytes:
        query = open311.check_query(params, now=now)
        if query.ids:
            found = []
            for case_id in query.ids:
                try:
                    found.append(cases.public_report(uow, case_id=case_id))
                except DomainError:
                    continue  # an unknown id is left out of a list, as a filter would
        else:
            found = cases.public_reports(
                uow,
                opened_from=query.start,
                opened_until=query.end,
                category=query.category,
                states=query.states(),
                limit=open311.MAX_REQUESTS,
            )
        rows = [open311.request_of(case) for case in found]
        return open311.encode_list(f, rows, root="service_requests", item="request")

    return _answer(fmt, produce)


@router.get("/requests/{service_request_id}.{fmt}")
def get_request(service_request_id: str, fmt: str, uow: UowDep, _: Anyone) -> Response:
    """GET one service request."""

    def produce(f: str) -> bytes:
        if not service_request_id.isdigit():
            raise Open311Refused(
                [
                    Open311Error(
                        404, f"service_request_id: no request {service_request_id!r}", "service_request_id"
                    )
                ]
            )
        case = cases.public_report(uow, case_id=int(service_request_id))
        return open311.encode_list(f, [open311.request_of(case)], root="service_requests", item="request")

    return _answer(fmt, produce)


@router.get("/tokens/{token}.{fmt}")
def get_token(token: str, fmt: str, uow: UowDep, _: Anyone) -> Response:
    """GET the service request id of a token (the tracking number the POST answered with)."""

    def produce(f: str) -> bytes:
        view = cases.track(uow, tracking_number=token)
        row = {"service_request_id": str(view.case.id), "token": token.strip().upper()}
        return open311.encode_list(f, [row], root="service_requests", item="request")

    return _answer(fmt, produce)
