"""Case vocabulary: evidence checks, every account role mapped to its case roles, and the
categories file (checked at import, errors by line and column)."""

from __future__ import annotations

from pathlib import Path

import pytest

from greenport.accounts.model import Role
from greenport.cases.categories import CATEGORIES, CATEGORIES_FILE, load_categories
from greenport.cases.model import (
    CASE_ROLES_OF_ACCOUNT,
    Attachment,
    CaseAction,
    CaseRole,
    CaseState,
    Evidence,
    Location,
)
from greenport.kernel.errors import InvalidInput, InvalidRows
from greenport.notifications.model import Severity


def test_an_attachment_is_named_by_its_sha256_and_has_bytes_and_a_media_type() -> None:
    with pytest.raises(InvalidInput, match="not a SHA-256 hex digest"):
        Attachment("ABC", 10, "image/png")
    with pytest.raises(InvalidInput, match="at least 1 byte"):
        Attachment("ab" * 32, 0, "image/png")
    with pytest.raises(InvalidInput, match="not a media type"):
        Attachment("ab" * 32, 10, "png")
    assert Attachment("ab" * 32, 10, "image/png").is_photo
    assert not Attachment("ab" * 32, 10, "application/pdf").is_photo


def test_a_location_is_in_degrees_and_a_rating_is_one_to_five() -> None:
    with pytest.raises(InvalidInput, match="longitude 200"):
        Location(200.0, 31.0)
    with pytest.raises(InvalidInput, match="latitude -91"):
        Location(120.0, -91.0)
    with pytest.raises(InvalidInput, match="a rating is 1 to 5, not 6"):
        Evidence(rating=6)


def test_every_account_role_has_its_case_roles() -> None:
    assert set(CASE_ROLES_OF_ACCOUNT) == set(Role)
    assert CASE_ROLES_OF_ACCOUNT[Role.GRID_OFFICER] == {CaseRole.HANDLER}
    assert CASE_ROLES_OF_ACCOUNT[Role.TOWN_OFFICER] == {CaseRole.DISPATCHER, CaseRole.VERIFIER}
    # the citizen and the timer have no account role: a tracking token and the timer act as them
    played = set().union(*CASE_ROLES_OF_ACCOUNT.values())
    assert CaseRole.CITIZEN not in played and CaseRole.SYSTEM not in played


def test_the_shipped_categories_cover_the_issue_and_name_departments_and_sources() -> None:
    assert len(CATEGORIES) >= 12
    for code in (
        "air_pollution",
        "odour",
        "industrial_noise",
        "wastewater_discharge",
        "black_odorous_water",
        "solid_waste_dumping",
        "construction_dust",
        "open_burning",
        "illegal_emission",
        "monitoring_device_anomaly",
    ):
        assert code in CATEGORIES
    assert CATEGORIES["black_odorous_water"].department == "市水务局"
    # a category's department is a unit of the department 100-point assessment its statistics feed
    from greenport.demo.assessments import DEPARTMENTS

    assert {c.department for c in CATEGORIES.values()} <= set(DEPARTMENTS)
    assert CATEGORIES["hazardous_waste"].default_severity is Severity.CRITICAL
    assert len({c.service_code for c in CATEGORIES.values()}) == len(CATEGORIES)
    assert all(c.source and c.keywords and c.name_zh and c.name_en for c in CATEGORIES.values())


def test_a_bad_category_row_is_reported_by_line_and_column(tmp_path: Path) -> None:
    text = CATEGORIES_FILE.read_text(encoding="utf-8")
    text = text.replace(
        "odour,异味扰民,Odour nuisance,市生态环境局,minor,complaint,env-odour,",
        "odour,异味扰民,,市生态环境局,urgent,grievance,env-air,",
    )
    path = tmp_path / "categories.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidRows) as error:
        load_categories(path)
    line = next(n for n, s in enumerate(text.splitlines(), start=1) if s.startswith("odour,"))
    assert {(e.row, e.column) for e in error.value.errors} == {
        (line, "name_en"),
        (line, "default_severity"),
        (line, "deadline_class"),
        (line, "service_code"),
    }


def test_the_docs_name_every_state_action_and_role() -> None:
    page = (Path(__file__).parents[2] / "docs" / "cases.md").read_text(encoding="utf-8")
    for name in [*CaseState, *CaseAction, *CaseRole]:
        assert f" {name} " in page or f" {name}," in page or f"{name} |" in page, name
