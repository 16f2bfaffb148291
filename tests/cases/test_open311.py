"""The pure Open311 GeoReport v2 part: services from the categories, a case as a request (never
the contact), the POST and GET checks and the encoders (greenport/cases/open311.py)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from greenport.cases import open311
from greenport.cases.categories import CATEGORIES
from greenport.cases.model import CaseState, Location
from greenport.kernel.errors import InvalidRows
from tests.cases.helpers import T0, new_case

NOW = datetime(2025, 3, 3, 1, 0, tzinfo=UTC)


def test_services_are_the_categories_with_their_open311_codes() -> None:
    services = open311.services()
    assert len(services) == len(CATEGORIES)
    dust = next(s for s in services if s["service_code"] == "env-dust")
    assert dust == {
        "service_code": "env-dust",
        "service_name": "施工扬尘",
        "description": "Dust from construction; 市住房和城乡建设局",
        "metadata": False,
        "type": "realtime",
        "keywords": "dust,construction site,扬尘,工地",
        "group": "air",
    }


def test_every_state_has_a_public_stage_and_only_closed_is_closed() -> None:
    assert set(open311.PUBLIC_STAGES) == set(CaseState)
    assert {s.state for s in open311.PUBLIC_STAGES.values() if s.status == "closed"} == {CaseState.CLOSED}


def test_a_public_stage_table_without_a_state_is_refused(tmp_path: Path) -> None:
    text = open311.PUBLIC_STAGES_FILE.read_text(encoding="utf-8")
    broken = tmp_path / "stages.csv"
    broken.write_text(
        "\n".join(line for line in text.splitlines() if not line.startswith("verified,")), encoding="utf-8"
    )
    with pytest.raises(InvalidRows, match="verified"):
        open311.load_public_stages(broken)


def test_a_case_as_a_request_never_shows_the_contact_or_the_tracking_number() -> None:
    case = replace(
        new_case(),
        state=CaseState.IN_PROGRESS,
        location=Location(120.55, 31.87),
        department="市生态环境局",
        due_at=T0 + timedelta(days=3),
        reporter_contact="13800000000",
        tracking_number="GP20260302-ABCDEFGH",
        assignee="west1",
    )
    request = open311.request_of(case)
    assert request["status"] == "open" and request["status_notes"] == "办理中 (Being handled)"
    assert request["requested_datetime"] == "2026-03-02T17:00:00+08:00"
    assert request["lat"] == 31.87 and request["long"] == 120.55 and request["service_code"] == "env-odour"
    text = json.dumps(request, ensure_ascii=False)
    assert "13800000000" not in text and "GP20260302" not in text and "west1" not in text


def _post(**extra: str) -> dict[str, str]:
    return {"service_code": "env-odour", "lat": "31.5", "long": "120.25", "description": "臭味", **extra}


def test_a_post_is_checked_into_what_the_service_needs() -> None:
    checked = open311.check_post(
        _post(email="a@b.cn", first_name="Li", last_name="Lei", media_url="https://x.cn/a.jpg", api_key="k")
    )
    assert checked.category == "odour" and checked.location == Location(120.25, 31.5)
    assert checked.contact == "Li Lei; a@b.cn"
    assert checked.description_with_media().endswith("https://x.cn/a.jpg")
    assert open311.check_post(_post(lat="", long="", address_string="港城路 8 号")).location is None


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"service_code": ""}, "service_code"),
        ({"service_code": "nope"}, "service_code"),
        ({"lat": "91"}, "lat"),
        ({"long": "181"}, "long"),
        ({"lat": "nan"}, "lat"),
        ({"lat": ""}, "lat"),
        ({"lat": "", "long": ""}, "lat"),
        ({"description": ""}, "description"),
        ({"media_url": "ftp://x"}, "media_url"),
        ({"email": "x"}, "email"),
    ],
)
def test_a_bad_post_field_is_named_with_code_400(fields: dict[str, str], named: str) -> None:
    with pytest.raises(open311.Open311Refused) as refused:
        open311.check_post(_post(**fields))
    assert refused.value.status == 400
    assert [e.field for e in refused.value.errors] == [named]
    assert refused.value.errors[0].description.startswith(f"{named}:")


def test_query_defaults_to_the_last_90_days_and_checks_its_filters() -> None:
    query = open311.check_query({}, now=NOW)
    assert (query.start, query.end, query.ids, query.states()) == (NOW - timedelta(days=90), NOW, (), None)
    query = open311.check_query({"status": "closed", "service_request_id": "3,4,3"}, now=NOW)
    assert query.ids == (3, 4) and query.states() == ["closed"]
    with pytest.raises(open311.Open311Refused) as refused:
        open311.check_query(
            {"start_date": "2025-03-01T00:00:00", "status": "x", "service_code": "no"}, now=NOW
        )
    assert {e.field for e in refused.value.errors} == {"start_date", "status", "service_code"}


def test_xml_has_the_declaration_and_the_specifications_element_names() -> None:
    body = open311.encode_list("xml", open311.services()[:1], root="services", item="service")
    assert body.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    service = ET.fromstring(body).find("service")
    assert service is not None and service.findtext("metadata") == "false"
    errors = ET.fromstring(open311.encode_errors("xml", [open311.Open311Error(400, "lat: required")]))
    assert (errors.tag, errors.findtext("error/code"), errors.findtext("error/description")) == (
        "errors",
        "400",
        "lat: required",
    )
    assert json.loads(open311.encode_errors("json", [open311.Open311Error(404, "x")])) == [
        {"code": 404, "description": "x"}
    ]
