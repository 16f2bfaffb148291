"""The cases service on a stored grid (both engines): routing and auto-dispatch, the closed loop
with its evidence and files, version conflicts, the public form's rate limit, who sees what,
deadlines on the Chinese working-day calendar with the timer, cases opened from alarms, and the
reporter's tracking number (issue 17; response-workflow.md §3).

Every time is given (``now``); deadlines are computed here by hand from the State Council's 2025
notice (国办发明电〔2024〕12号: Qingming Fri 4 April; Sat-Sun 5-6 April are a weekend anyway)
and the office hours of ``workdays/data/working_hours.csv`` (9:00-12:00, 13:30-17:30 Beijing).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from greenport.accounts.model import ANONYMOUS
from greenport.cases import lifecycle, service
from greenport.cases.model import (
    Case,
    CaseAction,
    CaseEvent,
    CaseRole,
    CaseSource,
    CaseState,
    Evidence,
    Location,
)
from greenport.cases.photos import MAX_FILE_BYTES, MAX_FILES_PER_EVENT
from greenport.kernel.errors import InvalidInput, NotFound
from greenport.kernel.labels import label
from greenport.kernel.time import CHINA_TZ
from greenport.storage.alarms import AlarmRow
from greenport.storage.cases import CaseFileRow
from greenport.storage.db import Database
from greenport.storage.uow import UnitOfWork
from greenport.workdays import service as workdays
from tests.cases.grid import EAST, MONDAY, OTHER_VILLAGE, TOWN, WEST, Grid, make_grid

#: The start of a real JPEG (SOI + APP0 JFIF marker) and some bytes: what a phone sends.
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + bytes(range(256)) * 4
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
IN_WEST = Location(120.2, 31.5)
IN_EAST = Location(120.7, 31.5)
IN_OTHER_TOWN = Location(121.5, 31.5)
OUTSIDE_THE_CITY = Location(123.0, 31.5)
HOUR = timedelta(hours=1)


def bj(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """An aware Beijing time."""
    return datetime(year, month, day, hour, minute, tzinfo=CHINA_TZ)


@pytest.fixture
def grid(db: Database) -> Grid:
    return make_grid(db)


def open_case(
    db: Database,
    *,
    category: str = "odour",
    location: Location | None = IN_WEST,
    now: datetime = MONDAY,
    **kwargs: Any,
) -> Case:
    with UnitOfWork(db) as uow:
        return service.open_case(
            uow,
            source=kwargs.pop("source", CaseSource.PATROL),
            category=category,
            description="刺鼻气味 near the school",
            now=now,
            location=location,
            **kwargs,
        )


def act(
    grid: Grid,
    username: str,
    case_id: int,
    action: str,
    *,
    now: datetime = MONDAY + HOUR,
    version: int | None = None,
    **kwargs: Any,
) -> Case:
    """``username`` takes ``action`` on the case as loaded now (or at ``version``)."""
    principal = grid.principal(username)
    with UnitOfWork(grid.db) as uow:
        current = uow.cases.get_case(case_id)
        assert current is not None
        return service.act(
            uow,
            principal=principal,
            case_id=case_id,
            action=action,
            expected_version=current.version if version is None else version,
            now=now,
            **kwargs,
        )


def stored(db: Database, case_id: int) -> tuple[Case, list[CaseEvent]]:
    with UnitOfWork(db) as uow:
        case = uow.cases.get_case(case_id)
        assert case is not None
        return case, uow.cases.events(case_id)


def all_case_ids(grid: Grid) -> set[int]:
    with UnitOfWork(grid.db) as uow:
        cases, total = service.list_cases(uow, principal=grid.principal("admin"), now=MONDAY)
    assert total == len(cases)
    return {c.id for c in cases}


def file_count(db: Database) -> int:
    with UnitOfWork(db) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(CaseFileRow)) or 0)


def work_to_in_progress(grid: Grid, case_id: int, handler: str) -> None:
    act(grid, handler, case_id, "accept")
    act(grid, handler, case_id, "start")


def submit(grid: Grid, handler: str, case_id: int, *, now: datetime = MONDAY + 2 * HOUR) -> Case:
    return act(
        grid,
        handler,
        case_id,
        "submit",
        now=now,
        note="source found and stopped",
        photos=[(JPEG, "site.jpg", "image/jpeg")],
        location=Location(120.21, 31.51),
    )


# --- 1. routing ------------------------------------------------------------------------------------


def test_a_point_goes_to_its_village_and_to_the_officer_with_fewest_open_cases(grid: Grid) -> None:
    assignees = []
    for minute in range(4):
        case = open_case(grid.db, now=MONDAY + timedelta(minutes=minute))
        assert (case.grid_cell_code, case.division_code, case.town_code) == (f"G{WEST}", WEST, TOWN)
        assert case.state is CaseState.DISPATCHED and case.version == 1
        assignees.append(case.assignee)
        _, events = stored(grid.db, case.id)
        assert [(e.version, e.actor, e.role, e.action) for e in events] == [
            (1, "system", CaseRole.SYSTEM, CaseAction.DISPATCH)
        ]
    # equal load: by name; then whoever has fewer open cases
    assert assignees == ["west1", "west2", "west1", "west2"]


def test_other_town_division_code_and_site_route_to_their_officers(grid: Grid) -> None:
    south = open_case(grid.db, location=IN_OTHER_TOWN)
    assert (south.grid_cell_code, south.assignee) == (f"G{OTHER_VILLAGE}", "south1")
    by_code = open_case(grid.db, location=None, division_code=EAST)
    assert (by_code.grid_cell_code, by_code.division_code, by_code.assignee) == (f"G{EAST}", EAST, "east1")
    by_site = open_case(grid.db, location=None, site_id=grid.sites["GAS01"])  # lon 120.7: the east half
    assert (by_site.grid_cell_code, by_site.assignee, by_site.site_id) == (
        f"G{EAST}",
        "east1",
        grid.sites["GAS01"],
    )
    assert by_site.location == Location(120.7, 31.5)


def test_a_point_outside_every_town_is_refused_and_nothing_is_stored(grid: Grid) -> None:
    with pytest.raises(InvalidInput) as refused:
        open_case(grid.db, location=OUTSIDE_THE_CITY)
    assert refused.value.field == "location"
    assert "outside every town" in refused.value.message
    assert all_case_ids(grid) == set()


def test_a_case_no_officer_can_take_waits_as_new(grid: Grid) -> None:
    # the town's own cell and the city's have no officers
    case = open_case(grid.db, location=None, division_code=TOWN)
    assert (case.state, case.version, case.assignee, case.grid_cell_code) == (
        CaseState.NEW,
        0,
        None,
        f"G{TOWN}",
    )
    assert stored(grid.db, case.id)[1] == []


# --- 2. the closed loop ----------------------------------------------------------------------------


def test_the_full_loop_replays_to_closed_and_its_photo_is_shown_only_to_those_who_see_the_case(
    grid: Grid,
) -> None:
    case = open_case(grid.db)
    assert case.assignee == "west1"
    work_to_in_progress(grid, case.id, "west1")
    submitted = submit(grid, "west1", case.id)
    assert submitted.state is CaseState.SUBMITTED and submitted.submitted_at == MONDAY + 2 * HOUR
    act(grid, "townofficer", case.id, "verify", note="checked on site", now=MONDAY + 3 * HOUR)
    closed = act(grid, "townofficer", case.id, "close", note="done", now=MONDAY + 4 * HOUR)

    final, events = stored(grid.db, case.id)
    assert final.state is CaseState.CLOSED and final.version == 6 == len(events)
    assert final.closed_at == MONDAY + 4 * HOUR and closed.closed_at == final.closed_at
    assert lifecycle.replay(events) is CaseState.CLOSED
    assert [(e.actor, e.action) for e in events] == [
        ("system", CaseAction.DISPATCH),
        ("west1", CaseAction.ACCEPT),
        ("west1", CaseAction.START),
        ("west1", CaseAction.SUBMIT),
        ("townofficer", CaseAction.VERIFY),
        ("townofficer", CaseAction.CLOSE),
    ]
    assert final.closed_on_time() is True
    photo = events[3].attachments[0]
    assert (photo.media_type, photo.size) == ("image/jpeg", len(JPEG))
    assert events[3].location == Location(120.21, 31.51)

    # the same photo again (a comment on the closed case) is not stored twice
    act(grid, "townofficer", case.id, "comment", note="photo again", photos=[(JPEG, "again.jpg", None)])
    assert file_count(grid.db) == 1
    with UnitOfWork(grid.db) as uow:
        assert service.file_for(uow, principal=grid.principal("townofficer"), sha256=photo.sha256) == (
            "image/jpeg",
            JPEG,
        )
        for outsider in (grid.principal("east1"), grid.principal("firm"), ANONYMOUS):
            with pytest.raises(NotFound):
                service.file_for(uow, principal=outsider, sha256=photo.sha256)


# --- 3. versions -----------------------------------------------------------------------------------


def test_two_officers_on_one_version_the_second_gets_a_conflict_and_nothing_more_is_stored(
    grid: Grid,
) -> None:
    case = open_case(grid.db)
    loaded = case.version
    act(grid, "west1", case.id, "accept", version=loaded)
    with pytest.raises(lifecycle.VersionConflict) as conflict:
        act(
            grid,
            "townofficer",
            case.id,
            "transfer",
            version=loaded,
            note="east's business",
            transfer_to=f"G{EAST}",
        )
    assert conflict.value.status_hint == 409 and conflict.value.field == "version"
    after, events = stored(grid.db, case.id)
    assert (after.state, after.version, after.assignee) == (CaseState.ACCEPTED, 2, "west1")
    assert [e.action for e in events] == [CaseAction.DISPATCH, CaseAction.ACCEPT]


def test_the_store_refuses_an_update_on_a_version_another_transaction_moved(grid: Grid) -> None:
    """The race inside ``act``: both loaded version 1, the first committed; the SQL guard
    (UPDATE ... WHERE version = 1) refuses the second and writes no event."""
    case = open_case(grid.db)
    with UnitOfWork(grid.db) as late:
        stale = late.cases.get_case(case.id)
        assert stale is not None and stale.version == 1
        act(grid, "west1", case.id, "accept")  # another transaction wins and commits
        _, event = lifecycle.act(
            stale,
            CaseAction.TRANSFER,
            role=CaseRole.DISPATCHER,
            actor="townofficer",
            at=MONDAY,
            expected_version=1,
            evidence=Evidence(note="east's business"),
        )
        changes = {"assignee": "east1", "grid_cell_code": f"G{EAST}"}
        assert late.cases.record_action(stale, event, expected_version=1, changes=changes) is False
        # the late transaction commits what it has: nothing of the refused transfer may be in it
    after, events = stored(grid.db, case.id)
    assert (after.state, after.version, after.assignee) == (CaseState.ACCEPTED, 2, "west1")
    assert [e.action for e in events] == [CaseAction.DISPATCH, CaseAction.ACCEPT]


def test_a_stale_version_is_refused_before_any_write(grid: Grid) -> None:
    case = open_case(grid.db)
    work_to_in_progress(grid, case.id, "west1")
    with pytest.raises(lifecycle.VersionConflict):
        act(
            grid,
            "west1",
            case.id,
            "submit",
            version=2,
            note="done",
            photos=[(JPEG, "site.jpg", "image/jpeg")],
            location=IN_WEST,
        )
    after, events = stored(grid.db, case.id)
    assert (after.state, after.version, len(events)) == (CaseState.IN_PROGRESS, 3, 3)
    assert file_count(grid.db) == 0  # the photo of the refused action was not kept


# --- 4. evidence -----------------------------------------------------------------------------------


def _refused_submit(grid: Grid, case_id: int, photos: Sequence[tuple[bytes, str, str | None]]) -> Exception:
    with pytest.raises((lifecycle.MissingEvidence, InvalidInput)) as refused:
        act(grid, "west1", case_id, "submit", note="done", photos=photos, location=IN_WEST)
    return refused.value


def test_closure_needs_real_photos_within_the_limits(grid: Grid) -> None:
    case = open_case(grid.db)
    work_to_in_progress(grid, case.id, "west1")

    missing = _refused_submit(grid, case.id, [])
    assert isinstance(missing, lifecycle.MissingEvidence)
    assert "at least one photo" in str(missing) and missing.field == "photo"
    # a document is kept as evidence, but it is no photo
    assert isinstance(_refused_submit(grid, case.id, [(PDF, "report.pdf", None)]), lifecycle.MissingEvidence)

    liar = _refused_submit(grid, case.id, [(PDF, "photo.jpg", "image/jpeg")])
    assert type(liar) is InvalidInput and liar.field == "photos"
    assert "photo.jpg" in str(liar) and "application/pdf" in str(liar)
    empty = _refused_submit(grid, case.id, [(b"", "empty.jpg", "image/jpeg")])
    assert type(empty) is InvalidInput and "empty" in str(empty)
    huge = JPEG + bytes(MAX_FILE_BYTES)
    too_big = _refused_submit(grid, case.id, [(huge, "huge.jpg", "image/jpeg")])
    assert type(too_big) is InvalidInput and str(MAX_FILE_BYTES) in str(too_big)
    many = [(JPEG + bytes([i]), f"p{i}.jpg", "image/jpeg") for i in range(MAX_FILES_PER_EVENT + 1)]
    too_many = _refused_submit(grid, case.id, many)
    assert type(too_many) is InvalidInput and f"at most {MAX_FILES_PER_EVENT}" in str(too_many)

    after, events = stored(grid.db, case.id)
    assert (after.state, after.version, len(events)) == (CaseState.IN_PROGRESS, 3, 3)
    assert file_count(grid.db) == 0
    # the same submission with a photo goes through
    assert submit(grid, "west1", case.id).state is CaseState.SUBMITTED


# --- 5. the public form's rate limit ---------------------------------------------------------------


def _report(db: Database, client: str, now: datetime) -> Case:
    with UnitOfWork(db) as uow:
        return service.file_report(
            uow, category="odour", description="臭味", now=now, client=client, location=IN_WEST
        )


def test_five_reports_an_hour_per_client(grid: Grid) -> None:
    first = [_report(grid.db, "203.0.113.7", MONDAY + timedelta(minutes=m)) for m in range(5)]
    assert all(c.tracking_number for c in first)
    with pytest.raises(service.RateLimited) as limited:
        _report(grid.db, "203.0.113.7", MONDAY + timedelta(minutes=10))
    assert limited.value.status_hint == 429 and "at most 5 per hour" in limited.value.message
    assert all_case_ids(grid) == {c.id for c in first}

    other = _report(grid.db, "198.51.100.1", MONDAY + timedelta(minutes=11))
    next_hour = _report(grid.db, "203.0.113.7", MONDAY + HOUR)
    assert all_case_ids(grid) == {c.id for c in first} | {other.id, next_hour.id}


# --- 6. who sees what ------------------------------------------------------------------------------


def test_the_scope_matrix(grid: Grid) -> None:
    west = open_case(grid.db).id
    west_dust = open_case(grid.db, category="construction_dust").id
    east = open_case(grid.db, location=IN_EAST).id
    south = open_case(grid.db, location=IN_OTHER_TOWN).id
    expected = {
        "west1": {west, west_dust},
        "west2": {west, west_dust},
        "east1": {east},
        "south1": {south},
        "townofficer": {west, west_dust, east},
        "othertown": {south},
        "eco": {west, east, south},  # 市生态环境局: odour
        "housing": {west_dust},  # 市住房和城乡建设局: construction dust
        "firm": set(),
        "admin": {west, west_dust, east, south},
    }
    seen = {}
    with UnitOfWork(grid.db) as uow:
        principals = {name: grid.principal(name) for name in expected} | {"anonymous": ANONYMOUS}
        for name, principal in principals.items():
            cases, total = service.list_cases(uow, principal=principal, now=MONDAY)
            seen[name] = {c.id for c in cases}
            assert total == len(cases)
            for case_id in {west, west_dust, east, south} - seen[name]:
                with pytest.raises(NotFound):
                    service.get_case(uow, principal=principal, case_id=case_id)
    assert seen == expected | {"anonymous": set()}

    with pytest.raises(NotFound):
        act(grid, "east1", west, "accept")
    # west2 sees the case of its cell but it is west1's: no part in it
    with pytest.raises(lifecycle.ActionNotPermitted):
        act(grid, "west2", west, "accept")
    assert stored(grid.db, west)[0].version == 1


# --- 7. deadlines and the timer --------------------------------------------------------------------


def _tick(db: Database, now: datetime) -> service.TickReport:
    with UnitOfWork(db) as uow:
        return service.tick(uow, now=now)


def test_a_complaint_across_qingming_is_reminded_then_escalated_once_each(grid: Grid) -> None:
    case = open_case(grid.db, now=bj(2025, 3, 28, 10, 0))  # a Friday
    # 13 working days from Mon 31 March: 31 Mar, 1-3 Apr (4), Qingming Fri 4 Apr off, 7-11 Apr (9),
    # 14-17 Apr (13): Thursday 17 April at the close of office hours
    assert case.due_at == bj(2025, 4, 17, 17, 30)

    assert _tick(grid.db, bj(2025, 4, 16, 12, 0)).steps == []
    assert _tick(grid.db, bj(2025, 4, 17, 16, 0)).steps == [(case.id, "remind")]
    assert _tick(grid.db, bj(2025, 4, 17, 16, 0)).steps == []
    # 催办: the opening of the first working day after the deadline's day
    assert _tick(grid.db, bj(2025, 4, 18, 8, 59)).steps == []
    assert _tick(grid.db, bj(2025, 4, 18, 9, 0)).steps == [(case.id, "notice")]
    # to the town: 3 working days after the deadline's day (Fri 18, Mon 21, Tue 22 April)
    assert _tick(grid.db, bj(2025, 4, 21, 17, 0)).steps == []
    assert _tick(grid.db, bj(2025, 4, 22, 9, 0)).steps == [(case.id, "escalate_town")]
    assert stored(grid.db, case.id)[0].escalation_level == 1
    # to the city after 6 (Fri 25 April), with the written reprimand (5 working days after the 催办)
    report = _tick(grid.db, bj(2025, 4, 25, 9, 0))
    assert sorted(report.steps) == [(case.id, "escalate_city"), (case.id, "reprimand")]
    assert _tick(grid.db, bj(2025, 4, 25, 9, 0)).steps == []

    after, events = stored(grid.db, case.id)
    assert after.escalation_level == 2 and after.overdue(bj(2025, 4, 25, 9, 0))
    assert len(events) == 6 and all((e.actor, e.role) == ("system", CaseRole.SYSTEM) for e in events[1:])
    assert [e.action for e in events[1:4]] == [CaseAction.REMIND, CaseAction.REMIND, CaseAction.ESCALATE]
    # the system's notes are codes, named in the reader's language by the case_note labels
    assert (events[2].note, events[3].note) == ("notice", "escalate_town")
    assert "催办" in label("case_note", events[2].note) and "镇" in label("case_note", events[3].note, "zh")
    assert sorted(e.action for e in events[4:]) == sorted([CaseAction.REMIND, CaseAction.ESCALATE])
    assert lifecycle.replay(events) is CaseState.DISPATCHED


def test_an_extension_request_stops_the_clock_and_granting_moves_the_deadline(grid: Grid) -> None:
    case = open_case(grid.db, now=MONDAY)  # Mon 3 March 2025, 09:00
    assert case.due_at == bj(2025, 3, 20, 17, 30)  # 13 working days: 4-7, 10-14, 17-20 March
    work_to_in_progress(grid, case.id, "west1")
    act(grid, "west1", case.id, "request_extension", note="waiting for the lab", now=bj(2025, 3, 11, 10, 0))
    # past the deadline and the 催办 time, but the clock is stopped: the timer waits
    assert _tick(grid.db, bj(2025, 3, 21, 10, 0)).steps == []
    granted = act(grid, "townofficer", case.id, "grant_extension", note="granted", now=bj(2025, 3, 21, 10, 0))
    # paused 8 working days (Tue 11 March 10:00 to Fri 21 March 10:00): 20 March -> Tue 1 April;
    # then the rule's 13 working days again: 2, 3, 7-11, 14-18, 21 April (Qingming 4 April off)
    assert granted.due_at == bj(2025, 4, 21, 17, 30) == stored(grid.db, case.id)[0].due_at
    assert granted.paused_since is None and granted.state is CaseState.IN_PROGRESS


def test_a_case_whose_deadline_falls_in_a_year_without_calendar_waits_for_it(grid: Grid) -> None:
    dated = open_case(grid.db, now=bj(2026, 12, 1, 10, 0))
    assert dated.due_at == bj(2026, 12, 18, 17, 30)
    undated = open_case(grid.db, now=bj(2026, 12, 30, 10, 0))
    assert undated.due_at is None and undated.state is CaseState.DISPATCHED
    assert stored(grid.db, undated.id)[1][0].note == "auto_dispatch_no_deadline"
    assert "no deadline yet" in label("case_note", "auto_dispatch_no_deadline", "en")

    report = _tick(grid.db, bj(2026, 12, 30, 11, 0))
    assert [case_id for case_id, _ in report.blocked] == [undated.id]
    assert "2027" in report.blocked[0][1]
    # the other case went on: every step of its deadline has come
    assert sorted(step for case_id, step in report.steps if case_id == dated.id) == sorted(
        ["remind", "notice", "reprimand", "escalate_town", "escalate_city"]
    )
    assert {case_id for case_id, _ in report.steps} == {dated.id}

    synthetic_2027 = (
        "# source: a synthetic test calendar (not the State Council's notice)\n"
        "date,kind,name_zh,name_en\n"
        "2027-01-01,holiday,元旦,New Year's Day\n"
    )
    with UnitOfWork(grid.db) as uow:
        workdays.add_year(uow, text=synthetic_2027, file_name="2027.csv", now=bj(2027, 1, 4, 9, 0))
    report = _tick(grid.db, bj(2027, 1, 4, 10, 0))
    # 13 working days from 30 December: 31 Dec, (1 Jan off), 4-8, 11-15, 18, 19 January
    assert report.dated == [(undated.id, bj(2027, 1, 19, 17, 30))] and report.blocked == []
    assert stored(grid.db, undated.id)[0].due_at == bj(2027, 1, 19, 17, 30)


# --- 8. cases from alarms --------------------------------------------------------------------------


def _fired_alarm(grid: Grid, *, rule_id: str, kind: str, severity: str, fired_at: datetime) -> int:
    with UnitOfWork(grid.db) as uow:
        row = AlarmRow(
            rule_id=rule_id,
            kind=kind,
            severity=severity,
            site_id=grid.sites["GAS01"],
            parameter="so2",
            state="firing",
            first_breach_at=fired_at - HOUR,
            last_breach_at=fired_at,
            fired_at=fired_at,
            peak=182.0,
            peak_at=fired_at,
            limit_value=100.0,
            unit="mg/m3",
            breaches=2,
            updated_at=fired_at,
            cursor_at=fired_at,
            breach_run=2,
            clear_run=0,
        )
        uow.session.add(row)
        uow.session.flush()
        return row.id


def test_a_major_mean_exceedance_opens_one_case_and_an_info_realtime_alarm_none(grid: Grid) -> None:
    mean = _fired_alarm(
        grid, rule_id="so2_hourly", kind="mean_exceedance", severity="major", fired_at=MONDAY - HOUR
    )
    _fired_alarm(
        grid, rule_id="so2_realtime", kind="realtime_exceedance", severity="info", fired_at=MONDAY - HOUR
    )
    with UnitOfWork(grid.db) as uow:
        opened = service.open_from_alarms(uow, now=MONDAY)
    assert len(opened) == 1
    case, events = stored(grid.db, opened[0])
    assert (case.category, case.alarm_id, case.source, case.site_id) == (
        "illegal_emission",
        mean,
        CaseSource.ALARM,
        grid.sites["GAS01"],
    )
    assert (case.assignee, case.grid_cell_code, case.state) == ("east1", f"G{EAST}", CaseState.DISPATCHED)
    assert events[0].actor == "system"
    with UnitOfWork(grid.db) as uow:
        assert service.open_from_alarms(uow, now=MONDAY + HOUR) == []
    assert all_case_ids(grid) == {case.id}


# --- 9. the reporter's tracking number -------------------------------------------------------------


def test_the_reporter_follows_rates_once_and_sees_no_one(grid: Grid) -> None:
    with UnitOfWork(grid.db) as uow:
        report = service.file_report(
            uow,
            category="odour",
            description="臭味",
            now=MONDAY,
            client="203.0.113.9",
            location=IN_WEST,
            contact="13800000000",
            photos=[(JPEG, "smell.jpg", "image/jpeg")],
        )
    number = report.tracking_number
    assert number is not None and number.startswith("GP20250303-")

    with UnitOfWork(grid.db) as uow:
        public = service.track(uow, tracking_number=number.lower())
    assert public.case.id == report.id
    assert public.case.reporter_contact is None and public.case.assignee is None
    assert public.events and all(e.actor == "" and e.attachments == () for e in public.events)
    with UnitOfWork(grid.db) as uow:  # the officers of the case do see the contact
        officer_view = service.get_case(uow, principal=grid.principal("west1"), case_id=report.id)
    assert officer_view.case.reporter_contact == "13800000000"
    assert officer_view.events[0].attachments

    def rate(rating: int) -> Case:
        with UnitOfWork(grid.db) as uow:
            return service.act_as_reporter(
                uow, tracking_number=number, action="rate", now=MONDAY + 5 * HOUR, rating=rating
            )

    with pytest.raises(lifecycle.IllegalTransition):
        rate(5)
    work_to_in_progress(grid, report.id, "west1")
    submit(grid, "west1", report.id)
    act(grid, "townofficer", report.id, "verify", note="ok")
    act(grid, "townofficer", report.id, "close", note="ok")
    assert rate(4).rating == 4
    with pytest.raises(lifecycle.IllegalTransition):
        rate(1)
    after, events = stored(grid.db, report.id)
    assert after.rating == 4 and events[-1].action is CaseAction.RATE and events[-1].actor == "citizen"
    with UnitOfWork(grid.db) as uow, pytest.raises(NotFound):
        service.track(uow, tracking_number="GP20250303-XXXXXXXX")
