"""Citizen reports in the Open311 GeoReport v2 shape (pure: no I/O, no framework).

GeoReport v2 (https://wiki.open311.org/GeoReport_v2, response-workflow.md §4) is what FixMyStreet,
SeeClickFix and many city apps speak; speaking it lets them file reports into the grid. This
module holds what the specification fixes and GreenPort decides, so the web layer only moves bytes:

* the service list (``GET services``) from the case categories (``data/categories.csv``: the
  category's ``service_code``, ``service_group`` and ``keywords``); no service has extra
  attributes (``metadata`` false), and every service is ``realtime`` (a request gets its id at once);
* a case as a service request (``GET requests``): the ``status`` is ``open`` or ``closed`` (the
  only two the specification has), ``status_notes`` the public stage of ``data/public_stages.csv``
  (what a reporter is told; who holds the case is the officers' business), never the contact;
* the field checks of ``POST requests``: every bad field is reported at once, each as an Open311
  error (``code``, ``description`` naming the field) and HTTP 400, the code the specification gives
  for a missing or invalid field;
* the JSON and XML encoders (XML is the format the specification requires, JSON optional; UTF-8
  with the XML declaration; times ISO 8601 with their zone, shown in Beijing time).

The ``service_request_id`` is the case number (public, as a request list is); the ``token`` is
the case's tracking number: the reporter's secret key to rate the handling, so it appears only in
the answer to the ``POST`` and in ``GET tokens/{token}``, never in a request list.
"""

from __future__ import annotations

import csv
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from greenport.cases.categories import CATEGORIES
from greenport.cases.model import Case, CaseState, Category, Location
from greenport.kernel.errors import InvalidInput, InvalidRows, RowError, echo
from greenport.kernel.time import CHINA_TZ, ensure_utc

PUBLIC_STAGES_FILE = Path(__file__).with_name("data") / "public_stages.csv"

#: The formats of every resource (``services.json``, ``services.xml``, ...).
FORMATS = ("json", "xml")
MEDIA_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
#: ``GET requests`` without dates: the most recent 90 days (the specification's default).
DEFAULT_WINDOW = timedelta(days=90)
#: ``GET requests`` answers at most this many requests (the specification's suggested cap).
MAX_REQUESTS = 1000
#: ``service_request_id`` may list at most this many ids.
MAX_IDS = 100
#: The Open311 statuses.
STATUSES = ("open", "closed")
#: Longest ``media_url`` accepted [characters].
MAX_MEDIA_URL = 500

_MEDIA_URL = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class PublicStage:
    """What a reporter is told of ``state``: its ``stage``, the Open311 ``status`` and its names."""

    state: CaseState
    stage: str
    status: str
    name_zh: str
    name_en: str

    def name(self, lang: str) -> str:
        return self.name_zh if lang == "zh" else self.name_en


def load_public_stages(path: Path = PUBLIC_STAGES_FILE) -> dict[CaseState, PublicStage]:
    """The public stage of every case state; a bad row is reported by line and column, and a
    state without a row is refused (every state must say what the reporter sees)."""
    with path.open(encoding="utf-8", newline="") as handle:
        lines = [(number, line) for number, line in enumerate(handle, start=1) if not line.startswith("#")]
    reader = csv.DictReader(line for _, line in lines)
    errors: list[RowError] = []
    stages: dict[CaseState, PublicStage] = {}
    for (line, _), row in zip(lines[1:], reader, strict=True):
        cells = {key: (value or "").strip() for key, value in row.items() if key}
        if cells.get("state") not in set(CaseState):
            errors.append(RowError(line, "state", "a case state", echo(cells.get("state", ""))))
            continue
        if cells.get("status") not in STATUSES:
            errors.append(RowError(line, "status", "open or closed", echo(cells.get("status", ""))))
            continue
        missing = [column for column in ("stage", "name_zh", "name_en") if not cells.get(column)]
        if missing:
            errors.extend(RowError(line, column, "required", "") for column in missing)
            continue
        state = CaseState(cells["state"])
        stages[state] = PublicStage(
            state, cells["stage"], cells["status"], cells["name_zh"], cells["name_en"]
        )
    absent = [state for state in CaseState if state not in stages]
    if absent and not errors:
        errors.append(RowError(0, "state", f"a row for every state; missing {', '.join(absent)}", ""))
    if errors:
        raise InvalidRows(errors, source=path.name)
    return stages


PUBLIC_STAGES: dict[CaseState, PublicStage] = load_public_stages()


# --- errors --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Open311Error:
    """One entry of an Open311 error list: ``code`` (the HTTP status it goes with) and a
    ``description`` naming the field at fault."""

    code: int
    description: str
    field: str | None = None


class Open311Refused(Exception):
    """A request refused with an Open311 error list; ``status`` is the HTTP status (the first
    error's code)."""

    def __init__(self, errors: Sequence[Open311Error]) -> None:
        assert errors, "a refusal lists at least one error"
        super().__init__("; ".join(e.description for e in errors))
        self.errors = tuple(errors)
        self.status = errors[0].code


#: GreenPort's field names (:class:`~greenport.kernel.errors.DomainError` ``field``) as Open311
#: names them, so an error from the service names the field the client sent.
OPEN311_FIELD = {
    "category": "service_code",
    "location": "lat",
    "lon": "long",
    "lat": "lat",
    "division_code": "address_string",
    "address": "address_string",
    "description": "description",
    "contact": "email",
    "photos": "media",
    "client": "client",
    "tracking_number": "token",
}


def refusal_of(error: Any) -> Open311Refused:
    """A :class:`~greenport.kernel.errors.DomainError` as an Open311 refusal: its status (a 422
    of the domain is the specification's 400), its message prefixed by the Open311 field name."""
    status = int(getattr(error, "status_hint", 400))
    if status == 422:
        status = 400
    field = OPEN311_FIELD.get(getattr(error, "field", None) or "", getattr(error, "field", None))
    message = getattr(error, "message", str(error))
    return Open311Refused([Open311Error(status, f"{field}: {message}" if field else message, field)])


# --- services ------------------------------------------------------------------------------------


def service_of(category: Category) -> dict[str, Any]:
    """One entry of ``GET services``: a category as a GeoReport v2 service."""
    return {
        "service_code": category.service_code,
        "service_name": category.name_zh,
        "description": f"{category.name_en}; {category.department}",
        "metadata": False,
        "type": "realtime",
        "keywords": ",".join(category.keywords),
        "group": category.service_group,
    }


def services(categories: Mapping[str, Category] = CATEGORIES) -> list[dict[str, Any]]:
    """``GET services``: every category, in the file's order."""
    return [service_of(category) for category in categories.values()]


def category_of_service(service_code: str, categories: Mapping[str, Category] = CATEGORIES) -> Category:
    """The category of ``service_code``, or a 404 refusal naming it (the specification's
    answer to an unknown service_code)."""
    for category in categories.values():
        if category.service_code == service_code:
            return category
    raise Open311Refused([Open311Error(404, f"service_code: no service {service_code!r}", "service_code")])


def service_definition(service_code: str, categories: Mapping[str, Category] = CATEGORIES) -> dict[str, Any]:
    """``GET services/{service_code}``: no GreenPort service asks for extra attributes."""
    return {"service_code": category_of_service(service_code, categories).service_code, "attributes": []}


# --- requests ------------------------------------------------------------------------------------


def iso(moment: datetime | None) -> str | None:
    """``moment`` as ISO 8601 with its zone, in Beijing time (e.g. ``2025-03-03T09:00:00+08:00``)."""
    return None if moment is None else ensure_utc(moment).astimezone(CHINA_TZ).isoformat(timespec="seconds")


def request_of(case: Case, categories: Mapping[str, Category] = CATEGORIES) -> dict[str, Any]:
    """A citizen's case as a GeoReport v2 service request. Never the reporter's contact, the
    tracking number or the officer; the photos are not public (``media_url`` empty)."""
    category = categories[case.category]
    stage = PUBLIC_STAGES[case.state]
    return {
        "service_request_id": str(case.id),
        "status": stage.status,
        "status_notes": f"{stage.name_zh} ({stage.name_en})",
        "service_name": category.name_zh,
        "service_code": category.service_code,
        "description": case.description,
        "agency_responsible": case.department,
        "service_notice": "",
        "requested_datetime": iso(case.opened_at),
        "updated_datetime": iso(case.updated_at or case.opened_at),
        "expected_datetime": iso(case.due_at),
        "address": case.address,
        "address_id": "",
        "zipcode": "",
        "lat": None if case.location is None else case.location.lat,
        "long": None if case.location is None else case.location.lon,
        "media_url": "",
    }


def created_reply(case: Case) -> dict[str, Any]:
    """The answer to ``POST requests``: the request id, and the tracking number as its token."""
    notice = f"请凭跟踪号 {case.tracking_number} 查询办理进度并评价 (follow and rate it with this number)"
    return {
        "service_request_id": str(case.id),
        "token": case.tracking_number or "",
        "service_notice": notice,
        "account_id": "",
    }


@dataclass(frozen=True, slots=True)
class NewRequest:
    """A checked ``POST requests``: what :func:`greenport.cases.service.file_report` needs."""

    category: str
    description: str
    location: Location | None
    address: str
    contact: str | None
    media_url: str

    def description_with_media(self) -> str:
        """The description, with the client's ``media_url`` (a photo the client hosts) appended
        for the officers: GreenPort never fetches a URL a stranger gives it."""
        if not self.media_url:
            return self.description
        return f"{self.description}\n照片链接 (media_url): {self.media_url}"


def _number(fields: Mapping[str, str], name: str, errors: list[Open311Error]) -> float | None:
    raw = (fields.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        errors.append(Open311Error(400, f"{name}: not a number: {echo(raw)}", name))
        return None
    if value != value or value in (float("inf"), float("-inf")):
        errors.append(Open311Error(400, f"{name}: not a finite number: {echo(raw)}", name))
        return None
    return value


def check_post(fields: Mapping[str, str], categories: Mapping[str, Category] = CATEGORIES) -> NewRequest:
    """The fields of ``POST requests`` checked, or :class:`Open311Refused` listing every bad one.

    Required: ``service_code``; a place (``lat`` and ``long`` [degrees, WGS 84], or
    ``address_string``); ``description`` (GreenPort needs to know what is wrong). Optional:
    ``email``, ``phone``, ``first_name``, ``last_name`` (kept as the reporter's contact, shown only
    to the case's officers), ``media_url`` (http or https). ``api_key``, ``jurisdiction_id``,
    ``device_id``, ``account_id`` and ``attribute[...]`` are accepted and not used."""
    errors: list[Open311Error] = []
    service_code = (fields.get("service_code") or "").strip()
    category: Category | None = None
    if not service_code:
        errors.append(Open311Error(400, "service_code: required", "service_code"))
    else:
        try:
            category = category_of_service(service_code, categories)
        except Open311Refused:
            known = ", ".join(c.service_code for c in categories.values())
            errors.append(
                Open311Error(
                    400, f"service_code: no service {echo(service_code)}; one of {known}", "service_code"
                )
            )
    lat, lon = _number(fields, "lat", errors), _number(fields, "long", errors)
    address = (fields.get("address_string") or "").strip()
    location: Location | None = None
    if (lat is None) != (lon is None) and not any(e.field in ("lat", "long") for e in errors):
        missing = "long" if lon is None else "lat"
        errors.append(Open311Error(400, f"{missing}: lat and long go together", missing))
    elif lat is not None and lon is not None:
        try:
            location = Location(lon, lat)
        except InvalidInput as exc:
            name = "long" if exc.field == "lon" else "lat"
            errors.append(Open311Error(400, f"{name}: {exc.message}", name))
    if location is None and not address and not any(e.field in ("lat", "long") for e in errors):
        errors.append(
            Open311Error(400, "lat: a location is required: lat and long, or address_string", "lat")
        )
    description = (fields.get("description") or "").strip()
    if not description:
        errors.append(Open311Error(400, "description: required: describe the problem", "description"))
    media_url = (fields.get("media_url") or "").strip()
    if media_url and (len(media_url) > MAX_MEDIA_URL or not _MEDIA_URL.fullmatch(media_url)):
        errors.append(
            Open311Error(
                400, f"media_url: an http or https URL of at most {MAX_MEDIA_URL} characters", "media_url"
            )
        )
    email = (fields.get("email") or "").strip()
    if email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        errors.append(Open311Error(400, f"email: not an e-mail address: {echo(email)}", "email"))
    if errors:
        raise Open311Refused(errors)
    assert category is not None
    name = " ".join(
        p for p in ((fields.get("first_name") or "").strip(), (fields.get("last_name") or "").strip()) if p
    )
    phone = (fields.get("phone") or "").strip()
    contact = "; ".join(part for part in (name, email, phone) if part) or None
    return NewRequest(
        category=category.code,
        description=description,
        location=location,
        address=address,
        contact=contact,
        media_url=media_url,
    )


@dataclass(frozen=True, slots=True)
class RequestQuery:
    """A checked ``GET requests``: ``ids`` (when given, the other filters are ignored, as the
    specification says), ``category``, ``start`` .. ``end`` (aware UTC, on the request time),
    ``statuses`` (subset of open, closed; empty: both)."""

    ids: tuple[int, ...]
    category: str | None
    start: datetime
    end: datetime
    statuses: tuple[str, ...]

    def states(self) -> list[str] | None:
        """The case states of ``statuses`` (None: every state)."""
        if not self.statuses or set(self.statuses) == set(STATUSES):
            return None
        return [stage.state.value for stage in PUBLIC_STAGES.values() if stage.status in self.statuses]


def _moment(raw: str, name: str, errors: list[Open311Error]) -> datetime | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        errors.append(Open311Error(400, f"{name}: not an ISO 8601 date-time: {echo(raw)}", name))
        return None
    if moment.tzinfo is None:
        errors.append(Open311Error(400, f"{name}: give the zone (Z or +08:00): {echo(raw)}", name))
        return None
    return ensure_utc(moment)


def check_query(
    params: Mapping[str, str], *, now: datetime, categories: Mapping[str, Category] = CATEGORIES
) -> RequestQuery:
    """The filters of ``GET requests`` checked, or :class:`Open311Refused` listing every bad one.
    Without dates: the 90 days before ``now``; with one date, 90 days from or to it."""
    errors: list[Open311Error] = []
    ids: list[int] = []
    for part in (params.get("service_request_id") or "").split(","):
        if part.strip():
            if not part.strip().isdigit():
                errors.append(
                    Open311Error(
                        400, f"service_request_id: not a request id: {echo(part)}", "service_request_id"
                    )
                )
            else:
                ids.append(int(part.strip()))
    if len(ids) > MAX_IDS:
        errors.append(Open311Error(400, f"service_request_id: at most {MAX_IDS} ids", "service_request_id"))
    category: str | None = None
    service_code = (params.get("service_code") or "").strip()
    if service_code:
        try:
            category = category_of_service(service_code, categories).code
        except Open311Refused as exc:
            errors.append(Open311Error(400, exc.errors[0].description, "service_code"))
    start = _moment(params.get("start_date") or "", "start_date", errors)
    end = _moment(params.get("end_date") or "", "end_date", errors)
    statuses = tuple(s.strip().lower() for s in (params.get("status") or "").split(",") if s.strip())
    bad = [s for s in statuses if s not in STATUSES]
    if bad:
        errors.append(Open311Error(400, f"status: open or closed, not {echo(','.join(bad))}", "status"))
    if start is not None and end is not None and end < start:
        errors.append(Open311Error(400, "end_date: before start_date", "end_date"))
    if errors:
        raise Open311Refused(errors)
    now = ensure_utc(now)
    if start is None and end is None:
        end, start = now, now - DEFAULT_WINDOW
    elif start is None:
        assert end is not None
        start = end - DEFAULT_WINDOW
    elif end is None:
        end = start + DEFAULT_WINDOW
    return RequestQuery(
        ids=tuple(dict.fromkeys(ids)), category=category, start=start, end=end, statuses=statuses
    )


# --- encoders ------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _xml(root: ET.Element) -> bytes:
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode").encode("utf-8")


def _element(parent: ET.Element, tag: str, value: Any) -> None:
    child = ET.SubElement(parent, tag)
    if isinstance(value, list):
        for entry in value:
            item = ET.SubElement(child, tag[:-1] if tag.endswith("s") else "item")
            for key, inner in entry.items():
                _element(item, key, inner)
    else:
        child.text = _text(value)


def encode_list(fmt: str, rows: Iterable[Mapping[str, Any]], *, root: str, item: str) -> bytes:
    """A list resource (services, service requests, a POST's answer, a token) in ``fmt``: a JSON
    array, or ``<root><item>...</item></root>`` (``services``/``service``,
    ``service_requests``/``request``)."""
    rows = list(rows)
    if fmt == "json":
        return json.dumps(rows, ensure_ascii=False).encode("utf-8")
    element = ET.Element(root)
    for row in rows:
        entry = ET.SubElement(element, item)
        for key, value in row.items():
            _element(entry, key, value)
    return _xml(element)


def encode_definition(fmt: str, definition: Mapping[str, Any]) -> bytes:
    """A service definition: a JSON object, or ``<service_definition>`` with ``<attributes>``."""
    if fmt == "json":
        return json.dumps(definition, ensure_ascii=False).encode("utf-8")
    element = ET.Element("service_definition")
    for key, value in definition.items():
        _element(element, key, value)
    return _xml(element)


def encode_errors(fmt: str, errors: Iterable[Open311Error]) -> bytes:
    """An error list: ``[{"code", "description"}]`` or ``<errors><error><code/><description/>``."""
    rows = [{"code": e.code, "description": e.description} for e in errors]
    return encode_list(fmt, rows, root="errors", item="error")
