"""Case statistics (issue 17): the pure figures per group, their properties, the service's scope,
and the named queries that carry them into the town and department assessments."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from greenport.assessments import service as assessments
from greenport.cases import service
from greenport.cases.model import Case, CaseSource, CaseState, Location
from greenport.cases.statistics import (
    NO_GROUP,
    GroupBy,
    group_statistics,
    handling_working_days,
    statistics_of,
    total_of,
)
from greenport.kernel.errors import InvalidInput
from greenport.storage.uow import UnitOfWork
from greenport.workdays.calendar import calendar_from_shipped
from tests.cases.grid import EAST, MONDAY, OTHER_TOWN, OTHER_VILLAGE, TOWN, WEST, Grid, make_grid

CALENDAR = calendar_from_shipped()
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
HOUR = timedelta(hours=1)


def _case(case_id: int, **fields: object) -> Case:
    values: dict[str, object] = {
        "id": case_id,
        "source": CaseSource.CITIZEN,
        "category": "odour",
        "state": CaseState.DISPATCHED,
        "version": 1,
        "opened_at": MONDAY,
        "description": "odour",
        "assignee": "west1",
        "grid_cell_code": f"G{WEST}",
        "town_code": TOWN,
        "department": "市生态环境局",
        "due_at": MONDAY + 72 * HOUR,
    }
    values.update(fields)
    return Case(**values)  # type: ignore[arg-type]


def _closed(case_id: int, *, submitted: datetime, closed: datetime, **fields: object) -> Case:
    return _case(case_id, state=CaseState.CLOSED, submitted_at=submitted, closed_at=closed, **fields)


# --- the figures of one group ----------------------------------------------------------------------


def test_figures_of_a_group():
    due = MONDAY + 72 * HOUR
    cases = [
        # opened Monday 09:00, closed Tuesday 12:00 Beijing: 7 h + 3 h of office time
        _closed(1, submitted=MONDAY + 20 * HOUR, closed=MONDAY + 27 * HOUR, rating=5),
        _closed(2, submitted=due + HOUR, closed=due + 2 * HOUR, rating=3),  # replied late
        _case(3, due_at=MONDAY + HOUR),  # open, overdue at NOW
        _case(4, due_at=None),  # open, no deadline
    ]
    now = MONDAY + 100 * HOUR
    figures = statistics_of(TOWN, cases, reopened_ids={2, 99}, calendar=CALENDAR, now=now)
    assert (figures.received, figures.closed, figures.closed_on_time) == (4, 2, 1)
    assert figures.on_time_rate == 50.0
    assert figures.reopened_share == 25.0
    assert figures.mean_rating == 4.0
    assert figures.overdue_open == 1
    first = handling_working_days(cases[0], CALENDAR)
    assert first == pytest.approx(10 / 7)
    assert figures.mean_handling_days == pytest.approx(
        (first + handling_working_days(cases[1], CALENDAR)) / 2
    )


def test_nothing_closed_has_no_rates():
    figures = statistics_of("x", [_case(1)], reopened_ids=set(), calendar=CALENDAR, now=MONDAY)
    assert figures.on_time_rate is None
    assert figures.mean_handling_days is None
    assert figures.mean_rating is None
    assert figures.reopened_share == 0.0


def test_handling_time_skips_the_spring_festival():
    """2025: 1-28 to 2-04 off (国办发明电〔2024〕12号); opened Monday 1-27 09:00, closed 2-05 09:00
    Beijing: one working day of office time, not nine calendar days."""
    opened = datetime(2025, 1, 27, 1, 0, tzinfo=UTC)
    case = _closed(1, opened_at=opened, submitted=opened, closed=datetime(2025, 2, 5, 1, 0, tzinfo=UTC))
    assert handling_working_days(case, CALENDAR) == pytest.approx(1.0)


def test_without_a_calendar_the_rates_remain():
    case = _closed(1, submitted=MONDAY + HOUR, closed=MONDAY + 2 * HOUR)
    figures = statistics_of("x", [case], reopened_ids=set(), calendar=None, now=MONDAY)
    assert figures.on_time_rate == 100.0
    assert figures.mean_handling_days is None


def test_cases_without_the_key_are_a_group_of_their_own():
    groups = group_statistics(
        [_case(1), _case(2, assignee=None)], by="officer", reopened_ids=set(), calendar=CALENDAR, now=MONDAY
    )
    assert {key: g.received for key, g in groups.items()} == {"west1": 1, NO_GROUP: 1}


# --- properties ------------------------------------------------------------------------------------

_MINUTES_2025 = 300 * 24 * 60


@st.composite
def cases_strategy(draw: st.DrawFn) -> list[Case]:
    out = []
    for case_id in range(1, draw(st.integers(0, 25)) + 1):
        opened = MONDAY + timedelta(minutes=draw(st.integers(0, _MINUTES_2025 // 2)))
        due = (
            None
            if draw(st.booleans()) and draw(st.booleans())
            else opened + timedelta(hours=draw(st.integers(1, 400)))
        )
        fields = {
            "opened_at": opened,
            "due_at": due,
            "assignee": draw(st.sampled_from(["west1", "west2", "east1", None])),
            "grid_cell_code": draw(st.sampled_from([f"G{WEST}", f"G{EAST}", None])),
            "town_code": draw(st.sampled_from([TOWN, OTHER_TOWN])),
            "department": draw(st.sampled_from(["市生态环境局", "市住房和城乡建设局", ""])),
            "rating": draw(st.none() | st.integers(1, 5)),
        }
        if draw(st.booleans()):
            submitted = opened + timedelta(minutes=draw(st.integers(0, 40_000)))
            closed = submitted + timedelta(minutes=draw(st.integers(0, 5_000)))
            out.append(_closed(case_id, submitted=submitted, closed=closed, **fields))
        else:
            out.append(_case(case_id, **fields))
    return out


@settings(max_examples=60, deadline=None)
@given(cases=cases_strategy(), reopened=st.sets(st.integers(1, 25)), by=st.sampled_from(list(GroupBy)))
def test_rates_are_percentages_and_groups_add_up(cases, reopened, by):
    now = MONDAY + timedelta(days=200)
    groups = group_statistics(cases, by=by, reopened_ids=reopened, calendar=CALENDAR, now=now)
    everything = statistics_of("all", cases, reopened_ids=reopened, calendar=CALENDAR, now=now)
    for figures in [*groups.values(), everything]:
        for rate in (figures.on_time_rate, figures.reopened_share):
            assert rate is None or 0.0 <= rate <= 100.0
        assert figures.mean_rating is None or 1.0 <= figures.mean_rating <= 5.0
        assert figures.mean_handling_days is None or figures.mean_handling_days >= 0.0
    total = total_of(groups, key="all")
    assert replace(total, handling_working_days=0.0) == replace(everything, handling_working_days=0.0)
    assert total.handling_working_days == pytest.approx(everything.handling_working_days)
    assert total.received == len(cases)


@settings(max_examples=60, deadline=None)
@given(cases=cases_strategy(), which=st.integers(0, 24), later=st.integers(1, 10_000))
def test_on_time_rate_never_falls_when_a_deadline_moves_later(cases, which, later):
    if not cases:
        return
    target = cases[which % len(cases)]
    if target.due_at is None:
        return
    moved = [replace(c, due_at=c.due_at + timedelta(minutes=later)) if c is target else c for c in cases]
    before = statistics_of("x", cases, reopened_ids=set(), calendar=None, now=MONDAY).on_time_rate
    after = statistics_of("x", moved, reopened_ids=set(), calendar=None, now=MONDAY).on_time_rate
    assert (before is None) == (after is None)
    assert before is None or after >= before


# --- the service and the assessments ---------------------------------------------------------------


@pytest.fixture
def grid(db) -> Grid:
    return make_grid(db)


def _play(grid: Grid, *, late: bool, at: datetime, village: str = WEST, category: str = "odour") -> int:
    """A citizen's report in ``village``, handled to closure (late: replied after the deadline)."""
    lon = {WEST: 120.2, EAST: 120.7, OTHER_VILLAGE: 121.5}[village]
    with UnitOfWork(grid.db) as uow:
        case = service.open_case(
            uow,
            source=CaseSource.CITIZEN,
            category=category,
            description="a smell of solvent",
            now=at,
            location=Location(lon, 31.5),
        )
    officer = grid.principal(case.assignee or "")
    verifier = grid.principal("townofficer" if village in (WEST, EAST) else "othertown")
    when = (case.due_at or at) + timedelta(hours=2) if late else at + HOUR
    evidence = {"note": "done", "photos": [(JPEG, "a.jpg", "image/jpeg")], "location": Location(lon, 31.5)}
    steps = [
        (officer, "accept", {}),
        (officer, "start", {}),
        (officer, "submit", evidence),
        (verifier, "verify", {"note": "checked"}),
        (verifier, "close", evidence),
    ]
    for k, (who, action, extra) in enumerate(steps):
        with UnitOfWork(grid.db) as uow:
            service.act(
                uow,
                principal=who,
                case_id=case.id,
                action=action,
                expected_version=k + 1,
                now=when + k * timedelta(minutes=1),
                **extra,  # type: ignore[arg-type]
            )
    return case.id


def test_statistics_follow_the_callers_scope(grid):
    _play(grid, late=False, at=MONDAY)
    _play(grid, late=True, at=MONDAY + 2 * HOUR)
    _play(grid, late=False, at=MONDAY + 3 * HOUR, village=OTHER_VILLAGE, category="construction_dust")
    year = {"since": datetime(2025, 1, 1, tzinfo=UTC), "until": datetime(2026, 1, 1, tzinfo=UTC)}
    now = MONDAY + timedelta(days=30)
    with UnitOfWork(grid.db) as uow:
        city = service.case_statistics(uow, principal=grid.principal("admin"), by="town", now=now, **year)
        town = service.case_statistics(
            uow, principal=grid.principal("townofficer"), by="town", now=now, **year
        )
        eco = service.case_statistics(uow, principal=grid.principal("eco"), by="department", now=now, **year)
        before = service.case_statistics(
            uow,
            principal=grid.principal("admin"),
            by="town",
            now=now,
            since=datetime(2024, 1, 1, tzinfo=UTC),
            until=MONDAY,
        )
    assert {k: (g.received, g.on_time_rate) for k, g in city.groups.items()} == {
        TOWN: (2, 50.0),
        OTHER_TOWN: (1, 100.0),
    }
    assert city.total.received == 3
    assert list(town.groups) == [TOWN]
    assert list(eco.groups) == ["市生态环境局"]
    assert before.total.received == 0
    assert city.groups[TOWN].mean_handling_days is not None


def test_bad_grouping_and_period_are_refused(grid):
    with UnitOfWork(grid.db) as uow, pytest.raises(InvalidInput, match="unknown grouping 'street'"):
        service.case_statistics(
            uow, principal=grid.principal("admin"), by="street", since=MONDAY, until=MONDAY + HOUR, now=MONDAY
        )
    with UnitOfWork(grid.db) as uow, pytest.raises(InvalidInput, match="until > since"):
        service.case_statistics(
            uow, principal=grid.principal("admin"), by="town", since=MONDAY, until=MONDAY, now=MONDAY
        )


def test_the_town_score_is_traceable_to_its_cases(grid):
    """The named queries store each town's and department's on-time rate and satisfaction of the
    cases opened in the year, and only for units that have cases."""
    first = _play(grid, late=False, at=MONDAY)
    _play(grid, late=True, at=MONDAY + 2 * HOUR)
    with UnitOfWork(grid.db) as uow:
        service.act_as_reporter(
            uow,
            tracking_number=uow.cases.get_case(first).tracking_number,  # type: ignore[union-attr, arg-type]
            action="rate",
            now=MONDAY + timedelta(days=10),
            rating=4,
        )
    with UnitOfWork(grid.db) as uow:
        assert uow.evaluation.named_query("grid_case_on_time_rate", "2025") == {
            TOWN: {"grid_case_on_time_rate": 50.0}
        }
        assert uow.evaluation.named_query("grid_case_satisfaction", "2025") == {
            TOWN: {"grid_case_satisfaction": 4.0}
        }
        assert uow.evaluation.named_query("case_on_time_closure", "2025") == {
            "市生态环境局": {"case_on_time_closure": 50.0}
        }
        assert uow.evaluation.named_query("grid_case_on_time_rate", "2024") == {}
        assessments.fill_named_queries(uow, system_id="town_eco_performance", period="2025")
        stored = {
            (v.unit_key, v.indicator_id): (v.value, v.source)
            for v in uow.evaluation.indicator_values("town_eco_performance", "2025")
        }
    assert stored == {
        (TOWN, "grid_case_on_time_rate"): (50.0, "query"),
        (TOWN, "grid_case_satisfaction"): (4.0, "query"),
    }


def test_a_case_query_needs_a_year(grid):
    with UnitOfWork(grid.db) as uow, pytest.raises(InvalidInput, match="needs a year"):
        uow.evaluation.named_query("grid_case_on_time_rate", "2025-Q1")
