"""What opening a case and acting on one cost in database round trips (issue 17: p95 < 50 ms per
action with 50 officers at once; bench/bench_cases.py measures the time). Counted, not timed:
the statements the service sends for one opening and one action, on the test grid."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from greenport.cases import service
from greenport.cases.model import CaseSource, Location
from greenport.storage.db import Database
from greenport.storage.uow import UnitOfWork
from tests.cases.grid import MONDAY, make_grid

IN_WEST = Location(120.2, 31.5)  # a point in the village WEST, whose cell has west1 and west2


@contextmanager
def statements(db: Database) -> Iterator[list[str]]:
    """The SQL statements sent on ``db`` inside the block (their first word and table)."""
    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(" ".join(statement.split()[:4]))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def _open(db: Database, k: int) -> Any:
    with UnitOfWork(db) as uow:
        return service.open_case(
            uow,
            source=CaseSource.PATROL,
            category="odour",
            description=f"a smell of solvent {k}",
            now=MONDAY,
            location=IN_WEST,
        )


def test_cases_go_to_the_cells_officer_with_the_fewest_open_cases(db: Database) -> None:
    make_grid(db)
    assignees = [_open(db, k).assignee for k in range(4)]
    assert assignees == ["west1", "west2", "west1", "west2"]


def test_opening_a_case_reads_the_grid_once_and_counts_only_the_cells_officers(db: Database) -> None:
    make_grid(db)
    _open(db, 0)
    with statements(db) as sent:
        case = _open(db, 1)
    assert case.assignee == "west2"
    grid_reads = [s for s in sent if s.startswith("SELECT grid_cells.code,")]
    # the cells with their parents, then their officers: once (it was read twice per opening)
    assert len(grid_reads) == 2, sent
    counts = [s for s in sent if s.startswith("SELECT cases.assignee, count(*)")]
    assert len(counts) == 1, sent


def test_an_action_that_counts_no_working_time_does_not_read_the_calendar(db: Database) -> None:
    grid = make_grid(db)
    case = _open(db, 0)
    west1 = grid.principal("west1")
    with statements(db) as sent, UnitOfWork(db) as uow:
        service.act(
            uow,
            principal=west1,
            case_id=case.id,
            action="accept",
            expected_version=case.version,
            now=MONDAY,
        )
    assert not [s for s in sent if "workday" in s], sent
