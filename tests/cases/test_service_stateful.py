"""The stored cases service driven by Hypothesis (SQLite): cases opened on the grid, random
officers (west1, west2, east1, townofficer, admin) taking random actions with full evidence on
the current or a stale version, and the timer run at random later times. Whatever happens, each
stored case is the replay of its stored events, its versions run 1..n without a gap, and a
refused action leaves the case, its events and the stored files as they were.

Each run gets a fresh database: a copy (SQLite backup API) of one grid built once per session,
because building the grid hashes ten passwords (seconds) and a run must not cost that.
"""

from __future__ import annotations

import atexit
import shutil
import sqlite3
import tempfile
from datetime import timedelta
from functools import cache
from pathlib import Path

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from sqlalchemy import func, select

from greenport.accounts.model import Principal
from greenport.cases import lifecycle, service
from greenport.cases.model import Case, CaseAction, CaseEvent, CaseSource, Location
from greenport.kernel.errors import DomainError
from greenport.storage.cases import CaseFileRow
from greenport.storage.db import Database
from greenport.storage.migrate import upgrade
from greenport.storage.uow import UnitOfWork
from tests.cases.grid import EAST, MONDAY, OTHER_VILLAGE, TOWN, WEST, make_grid

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256))
OFFICERS = ("west1", "west2", "east1", "townofficer", "admin")
PLACES = (
    {"location": Location(120.2, 31.5)},  # the west village
    {"location": Location(120.7, 31.5)},  # the east village
    {"location": Location(121.5, 31.5)},  # the other town
    {"division_code": TOWN},  # the town's own cell: no officer, the case waits as new
)
FORWARD = frozenset(
    {
        CaseAction.DISPATCH,
        CaseAction.ACCEPT,
        CaseAction.START,
        CaseAction.SUBMIT,
        CaseAction.VERIFY,
        CaseAction.CLOSE,
        CaseAction.GRANT_EXTENSION,
        CaseAction.REFUSE_EXTENSION,
        CaseAction.REVISIT,
    }
)
CELLS = (f"G{WEST}", f"G{EAST}", f"G{OTHER_VILLAGE}")


@cache
def template() -> tuple[Path, dict[str, Principal]]:
    """A migrated database holding the test grid, and the principals of its officers."""
    directory = Path(tempfile.mkdtemp(prefix="gp-cases-stateful-"))
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    path = directory / "template.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    db = Database.from_url(url)
    try:
        grid = make_grid(db)
        principals = {name: grid.principal(name) for name in OFFICERS}
    finally:
        db.dispose()
    return path, principals


def fresh_database() -> tuple[Database, Path]:
    source, _ = template()
    path = Path(tempfile.mkdtemp(prefix="gp-cases-run-")) / "greenport.db"
    with sqlite3.connect(source) as src, sqlite3.connect(path) as dst:
        src.backup(dst)
    return Database.from_url(f"sqlite:///{path}"), path.parent


class StoredCaseMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.db, self.directory = fresh_database()
        self.principals = template()[1]
        self.now = MONDAY
        self.case_ids: list[int] = []

    def teardown(self) -> None:
        self.db.dispose()
        shutil.rmtree(self.directory, ignore_errors=True)

    # -- reading what is stored -----------------------------------------------------------------

    def snapshot(self, case_id: int) -> tuple[Case, list[CaseEvent], int]:
        with UnitOfWork(self.db) as uow:
            case = uow.cases.get_case(case_id)
            assert case is not None
            files = int(uow.session.scalar(select(func.count()).select_from(CaseFileRow)) or 0)
            return case, uow.cases.events(case_id), files

    # -- rules ----------------------------------------------------------------------------------

    @precondition(lambda self: len(self.case_ids) < 3)
    @rule(place=st.sampled_from(PLACES), category=st.sampled_from(["odour", "construction_dust"]))
    def open_a_case(self, place: dict[str, object], category: str) -> None:
        self.now += timedelta(minutes=5)
        with UnitOfWork(self.db) as uow:
            case = service.open_case(
                uow,
                source=CaseSource.PATROL,
                category=category,
                description="found on patrol",
                now=self.now,
                **place,  # type: ignore[arg-type]
            )
        self.case_ids.append(case.id)

    def take(self, case_id: int, officer: str, action: CaseAction, version_offset: int, cell: str) -> None:
        self.now += timedelta(minutes=7)
        before = self.snapshot(case_id)
        try:
            with UnitOfWork(self.db) as uow:
                service.act(
                    uow,
                    principal=self.principals[officer],
                    case_id=case_id,
                    action=action,
                    expected_version=before[0].version + version_offset,
                    now=self.now,
                    note="checked on site",
                    photos=[(JPEG, "site.jpg", "image/jpeg")],
                    location=Location(120.21, 31.51),
                    transfer_to=cell,
                )
        except DomainError as refused:
            assert self.snapshot(case_id) == before, (
                f"{action} by {officer} was refused ({refused}) but wrote"
            )
            return
        assert version_offset == 0, "an action on a stale version was taken"
        after = self.snapshot(case_id)
        assert after[0].version == before[0].version + 1
        assert after[1][:-1] == before[1] and after[1][-1].actor == officer

    @precondition(lambda self: bool(self.case_ids))
    @rule(
        data=st.data(),
        officer=st.sampled_from(OFFICERS),
        action=st.sampled_from(CaseAction),
        version_offset=st.sampled_from([0, 0, 0, -1, 1]),
        cell=st.sampled_from(CELLS),
    )
    def any_action(
        self, data: st.DataObject, officer: str, action: CaseAction, version_offset: int, cell: str
    ) -> None:
        case_id = data.draw(st.sampled_from(self.case_ids))
        self.take(case_id, officer, action, version_offset, cell)

    def allowed(self, case_id: int) -> dict[CaseAction, list[str]]:
        """The buttons of each officer on the case now (comment, always there, left out)."""
        case = self.snapshot(case_id)[0]
        by_action: dict[CaseAction, list[str]] = {}
        for officer in OFFICERS:
            for action in service.allowed_actions(self.principals[officer], case):
                if action is not CaseAction.COMMENT:
                    by_action.setdefault(action, []).append(officer)
        return by_action

    @precondition(lambda self: bool(self.case_ids))
    @rule(data=st.data(), cell=st.sampled_from(CELLS))
    def an_allowed_action(self, data: st.DataObject, cell: str) -> None:
        """Most random (officer, action) pairs are refused; this takes one a button offers."""
        case_id = data.draw(st.sampled_from(self.case_ids))
        by_action = self.allowed(case_id)
        if by_action:
            action = data.draw(st.sampled_from(sorted(by_action)))
            self.take(case_id, data.draw(st.sampled_from(by_action[action])), action, 0, cell)

    @precondition(lambda self: bool(self.case_ids))
    @rule(data=st.data(), steps=st.integers(min_value=1, max_value=6))
    def work_towards_closure(self, data: st.DataObject, steps: int) -> None:
        """A few steps of the main road (dispatch, accept, start, submit, verify, close, extensions,
        revisit), so that runs reach the late states and closed."""
        case_id = data.draw(st.sampled_from(self.case_ids))
        for _ in range(steps):
            by_action = {a: o for a, o in self.allowed(case_id).items() if a in FORWARD}
            if not by_action:
                return
            action = data.draw(st.sampled_from(sorted(by_action)))
            self.take(case_id, data.draw(st.sampled_from(by_action[action])), action, 0, CELLS[0])

    @rule(days=st.integers(min_value=1, max_value=12))
    def the_timer_runs_later(self, days: int) -> None:
        self.now += timedelta(days=days)
        with UnitOfWork(self.db) as uow:
            service.tick(uow, now=self.now)
        with UnitOfWork(self.db) as uow:  # idempotent: the same time takes nothing more
            assert service.tick(uow, now=self.now).steps == []

    # -- invariants -----------------------------------------------------------------------------

    @invariant()
    def stored_state_is_the_replay_of_gapless_events(self) -> None:
        for case_id in self.case_ids:
            case, events, _ = self.snapshot(case_id)
            assert [e.version for e in events] == list(range(1, len(events) + 1))
            assert case.version == len(events)
            assert lifecycle.replay(events) is case.state


TestStoredCaseMachine = StoredCaseMachine.TestCase
TestStoredCaseMachine.settings = settings(max_examples=15, stateful_step_count=25, deadline=None)
