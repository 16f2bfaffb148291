"""Open311 GeoReport v2 at /open311/v2, driven by a client written from the specification
(tests/web/open311_client.py): services, a request posted with a point, description, e-mail and a
photo, its token and its representation in XML and JSON; bad input answers the specification's
error list (400, code and description naming the field), and the public list never shows the
reporter's contact or tracking number."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from greenport.bootstrap import build
from greenport.cases import service as cases
from greenport.cases.categories import CATEGORIES
from greenport.config import Settings
from greenport.storage.uow import UnitOfWork
from greenport.web.app import create_app, gate_of, http_routes
from tests.cases.grid import MONDAY, WEST, make_grid
from tests.web.open311_client import GeoReportClient, Open311Failure

#: The smallest JPEG the photo check accepts (its signature and a few bytes).
PHOTO = b"\xff\xd8\xff\xe0" + b"\x00" * 64 + b"\xff\xd9"
#: A point in the west village of the test grid [degrees].
WEST_POINT = {"long": "120.25", "lat": "31.5"}


class Clock:
    """The app's injected clock (``app.state.clock``)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def grid_app(database_url: str) -> Iterator[tuple[TestClient, Any, Clock]]:
    """The case test grid served by a TestClient, on SQLite and PostgreSQL, its clock at MONDAY."""
    container = build(Settings(database_url=database_url), migrate=True)
    grid = make_grid(container.db)
    app = create_app(container=container)
    clock = Clock(MONDAY)
    app.state.clock = clock
    with TestClient(app) as client:
        yield client, grid, clock
    container.db.dispose()


def _report(**extra: str) -> dict[str, str]:
    return {
        "service_code": "env-odour",
        "description": "河边有刺鼻的化工味",
        "email": "resident@example.cn",
        "api_key": "any",
        **WEST_POINT,
        **extra,
    }


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_an_app_lists_services_files_a_report_with_a_photo_and_follows_it(grid_app: Any, fmt: str) -> None:
    client, grid, _ = grid_app
    app = GeoReportClient(client, fmt=fmt)
    services = app.services()
    assert [s["service_code"] for s in services] == [c.service_code for c in CATEGORIES.values()]
    odour = next(s for s in services if s["service_code"] == "env-odour")
    assert odour["service_name"] == "异味扰民" and odour["group"] == "air"
    assert str(odour["metadata"]).lower() == "false" and odour["type"] == "realtime"

    created = app.post_request(_report(), media=("river.jpg", PHOTO, "image/jpeg"))
    assert created["service_request_id"] and created["token"].startswith("GP20250303-")
    assert app.token(created["token"])["service_request_id"] == created["service_request_id"]

    request = app.request(created["service_request_id"])
    assert request["status"] == "open"
    assert request["service_code"] == "env-odour" and request["description"] == "河边有刺鼻的化工味"
    assert request["agency_responsible"] == "市生态环境局"
    assert request["requested_datetime"] == "2025-03-03T09:00:00+08:00"
    assert float(request["lat"]) == 31.5 and float(request["long"]) == 120.25
    assert request["expected_datetime"].endswith("+08:00")

    # the case is on the grid: routed to the west village and dispatched, with the photo stored
    with UnitOfWork(grid.db) as uow:
        view = cases.get_case(
            uow, principal=grid.principal("admin"), case_id=int(created["service_request_id"])
        )
    assert view.case.division_code == WEST and view.case.assignee in ("west1", "west2")
    assert view.case.reporter_contact == "resident@example.cn"
    assert [a.media_type for a in view.events[0].attachments] == ["image/jpeg"]

    listed = app.requests()
    assert [r["service_request_id"] for r in listed] == [created["service_request_id"]]
    text = client.get(f"/open311/v2/requests.{fmt}").text
    assert "resident@example.cn" not in text and created["token"] not in text


def test_xml_round_trip_keeps_every_field_of_a_request(grid_app: Any) -> None:
    client, _, _ = grid_app
    created = GeoReportClient(client, fmt="json").post_request(_report(address_string="港城路 8 号"))
    from_json = GeoReportClient(client, fmt="json").request(created["service_request_id"])
    from_xml = GeoReportClient(client, fmt="xml").request(created["service_request_id"])
    assert set(from_xml) == set(from_json)
    for key, value in from_json.items():
        assert from_xml[key] == ("" if value is None else str(value)), key


@pytest.mark.parametrize("fmt", ["xml", "json"])
@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"service_code": ""}, "service_code"),
        ({"service_code": "potholes"}, "service_code"),
        ({"lat": "north"}, "lat"),
        ({"long": "200"}, "long"),
        ({"long": ""}, "long"),
        ({"description": "  "}, "description"),
        ({"email": "not-an-address"}, "email"),
        ({"media_url": "javascript:alert(1)"}, "media_url"),
    ],
)
def test_bad_fields_answer_400_with_an_error_naming_the_field(
    grid_app: Any, fmt: str, fields: dict[str, str], named: str
) -> None:
    client, grid, _ = grid_app
    with pytest.raises(Open311Failure) as refused:
        GeoReportClient(client, fmt=fmt).post_request(_report(**fields))
    assert refused.value.status == 400
    assert any(
        code == 400 and description.startswith(f"{named}:") for code, description in refused.value.errors
    )
    with UnitOfWork(grid.db) as uow:
        assert (
            cases.public_reports(
                uow, opened_from=MONDAY - timedelta(days=1), opened_until=MONDAY + timedelta(days=1)
            )
            == []
        )


def test_every_bad_field_is_listed_at_once(grid_app: Any) -> None:
    client, _, _ = grid_app
    with pytest.raises(Open311Failure) as refused:
        GeoReportClient(client).post_request({"lat": "x", "long": "y"})
    named = {description.split(":")[0] for _, description in refused.value.errors}
    assert named == {"service_code", "lat", "long", "description"}


def test_a_photo_that_is_not_one_is_refused_naming_the_media(grid_app: Any) -> None:
    client, _, _ = grid_app
    with pytest.raises(Open311Failure) as refused:
        GeoReportClient(client).post_request(
            _report(), media=("x.jpg", b"MZ\x90\x00 not a photo", "image/jpeg")
        )
    assert refused.value.status == 400 and refused.value.errors[0][1].startswith("media:")


def test_a_point_outside_the_city_is_refused_naming_lat(grid_app: Any) -> None:
    client, _, _ = grid_app
    with pytest.raises(Open311Failure) as refused:
        GeoReportClient(client, fmt="json").post_request(_report(long="100.0", lat="20.0"))
    assert refused.value.status == 400 and refused.value.errors[0][1].startswith("lat:")


def test_unknown_service_request_and_token_answer_404(grid_app: Any) -> None:
    client, _, _ = grid_app
    app = GeoReportClient(client)
    for call in (
        lambda: app.request("999"),
        lambda: app.token("GP20250303-AAAAAAAA"),
        lambda: app.service_definition("potholes"),
    ):
        with pytest.raises(Open311Failure) as refused:
            call()
        assert refused.value.status == 404 and refused.value.errors[0][0] == 404
    assert client.get("/open311/v2/services.csv").status_code == 404


def test_service_definition_has_no_attributes(grid_app: Any) -> None:
    client, _, _ = grid_app
    root = GeoReportClient(client).service_definition("env-air")
    assert isinstance(root, ET.Element) and root.findtext("service_code") == "env-air"
    assert root.find("attributes") is not None and list(root.find("attributes") or []) == []
    assert GeoReportClient(client, fmt="json").service_definition("env-air") == {
        "service_code": "env-air",
        "attributes": [],
    }


def test_request_list_filters_by_date_status_code_and_id(grid_app: Any) -> None:
    client, grid, clock = grid_app
    app = GeoReportClient(client, fmt="json")
    old = app.post_request(_report())
    clock.now = MONDAY + timedelta(days=100)
    new = app.post_request(_report(service_code="env-dust"))
    with UnitOfWork(grid.db) as uow:  # an alarm case is no citizen's report: never listed
        cases.open_case(
            uow,
            source=cases.CaseSource.PATROL,
            category="odour",
            description="巡查发现",
            now=clock.now,
            division_code=WEST,
        )
    ids = lambda rows: [r["service_request_id"] for r in rows]  # noqa: E731
    assert ids(app.requests()) == [new["service_request_id"]]  # the last 90 days
    assert ids(app.requests(start_date="2025-03-01T00:00:00+08:00", end_date="2025-03-04T00:00:00Z")) == [
        old["service_request_id"]
    ]
    assert ids(
        app.requests(service_request_id=f"{old['service_request_id']},{new['service_request_id']}")
    ) == [
        old["service_request_id"],
        new["service_request_id"],
    ]
    assert ids(app.requests(service_code="env-odour")) == []
    assert ids(app.requests(status="closed")) == [] and ids(app.requests(status="open")) == ids(
        app.requests()
    )
    for bad, named in (({"status": "pending"}, "status"), ({"start_date": "2025-03-01"}, "start_date")):
        with pytest.raises(Open311Failure) as refused:
            app.requests(**bad)
        assert refused.value.status == 400 and refused.value.errors[0][1].startswith(f"{named}:")


def test_too_many_reports_from_one_client_answer_429(grid_app: Any) -> None:
    client, _, _ = grid_app
    app = GeoReportClient(client, fmt="json")
    with pytest.raises(Open311Failure) as refused:
        for _ in range(cases.REPORTS_PER_WINDOW + 2):
            app.post_request(_report())
    assert refused.value.status == 429 and refused.value.errors[0][0] == 429


def test_every_open311_and_citizen_page_route_is_open_to_everyone(grid_app: Any) -> None:
    """The role x route matrix of the citizens' routes: public, anyone (no account)."""
    client, _, _ = grid_app
    citizen_pages = {"/report", "/track", "/track/{number}", "/track/{number}/rate"}
    routes = [
        r for r in http_routes(client.app) if r.path.startswith("/open311/v2") or r.path in citizen_pages
    ]
    assert len(routes) == 11  # 6 Open311 methods, the form (GET, POST), lookup, follow page, rating
    for route in routes:
        gate = gate_of(route)
        assert gate is not None and gate.anonymous, route.path
