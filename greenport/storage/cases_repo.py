"""The cases repository (``uow.cases``): cases, their append-only events, their files, the
public form's counters, and what routing needs to know of the grid. Reads for people apply the
caller's :class:`~greenport.cases.model.CaseScope` in SQL (:func:`scope_cases`)."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, delete, false, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from greenport.alarms.model import AlarmState
from greenport.cases.model import (
    FINAL_STATES,
    Attachment,
    Case,
    CaseAction,
    CaseEvent,
    CaseRole,
    CaseScope,
    CaseSource,
    CaseState,
    Location,
)
from greenport.cases.routing import CellOfficers, Place
from greenport.notifications.model import Severity
from greenport.storage.alarms import AlarmRow
from greenport.storage.cases import CaseEventRow, CaseFileRow, CaseReportCounterRow, CaseRow
from greenport.storage.registry import DivisionRow, GridCellRow, GridOfficerRow, SiteRow, UserRow

_OPEN = [state.value for state in CaseState if state not in FINAL_STATES]


def scope_cases(query: Any, scope: CaseScope) -> Any:
    """``query`` (over :class:`CaseRow`) narrowed to the cases ``scope`` may see: the one place
    the case scope is written in SQL."""
    if scope.everything:
        return query
    c = CaseRow
    allowed: list[Any] = []
    if scope.town_codes:
        allowed.append(c.town_code.in_(sorted(scope.town_codes)))
    if scope.officer_user_id is not None:
        cells = (
            select(GridCellRow.code)
            .join(GridOfficerRow, GridOfficerRow.grid_cell_id == GridCellRow.id)
            .where(GridOfficerRow.user_id == scope.officer_user_id)
        )
        allowed.append(c.grid_cell_code.in_(cells))
    if scope.assignee is not None:
        allowed.append(c.assignee == scope.assignee)
    if scope.department is not None:
        allowed.append(c.department == scope.department)
    return query.where(or_(*allowed) if allowed else false())


def _case(row: CaseRow) -> Case:
    return Case(
        id=row.id,
        source=CaseSource(row.source),
        category=row.category,
        state=CaseState(row.state),
        version=row.version,
        opened_at=row.opened_at,
        description=row.description,
        assignee=row.assignee,
        division_code=row.division_code,
        location=None if row.lon is None or row.lat is None else Location(row.lon, row.lat),
        alarm_id=row.alarm_id,
        tracking_number=row.tracking_number,
        severity=Severity(row.severity),
        title=row.title,
        department=row.department,
        grid_cell_code=row.grid_cell_code,
        town_code=row.town_code,
        site_id=row.site_id,
        address=row.address,
        due_at=row.due_at,
        submitted_at=row.submitted_at,
        closed_at=row.closed_at,
        updated_at=row.updated_at,
        escalation_level=row.escalation_level,
        steps_done=tuple(s for s in row.steps_done.split("|") if s),
        paused_since=row.paused_since,
        rating=row.rating,
        reporter_contact=row.reporter_contact,
        opened_by=row.opened_by,
    )


def _event(row: CaseEventRow) -> CaseEvent:
    return CaseEvent(
        case_id=row.case_id,
        version=row.version,
        actor=row.actor,
        role=CaseRole(row.role),
        action=CaseAction(row.action),
        at=row.at,
        from_state=CaseState(row.from_state),
        to_state=CaseState(row.to_state),
        note=row.note,
        attachments=tuple(Attachment(**a) for a in json.loads(row.attachments or "[]")),
        location=None if row.lon is None or row.lat is None else Location(row.lon, row.lat),
        rating=row.rating,
    )


#: Columns of :class:`CaseRow` an action may change (besides state and version).
MUTABLE_FIELDS = frozenset(
    {
        "assignee",
        "grid_cell_code",
        "due_at",
        "submitted_at",
        "closed_at",
        "escalation_level",
        "steps_done",
        "paused_since",
        "rating",
    }
)


#: The statements of :meth:`CasesRepository.record_action`, built once (on the tables, values bound
#: at execution): built per action with the values in them, SQLAlchemy coerced every value and
#: computed the statement's cache key again each time, most of an action's CPU time.
_EVENT_INSERT = insert(cast(Table, CaseEventRow.__table__))


@functools.cache
def _versioned_update(columns: frozenset[str]) -> Any:
    """``UPDATE cases SET <columns> WHERE id = :case_id AND version = :expected_version``; the new
    values bound as ``new_<column>``."""
    table = cast(Table, CaseRow.__table__)
    return (
        update(table)
        .where(table.c.id == bindparam("case_id"), table.c.version == bindparam("expected_version"))
        .values({column: bindparam(f"new_{column}") for column in sorted(columns)})
    )


class CasesRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # -- cases and events ------------------------------------------------------------------------

    def add_case(self, values: dict[str, Any]) -> int:
        """Insert a case (version 0, no event yet); its id."""
        row = CaseRow(**values)
        self.session.add(row)
        self.session.flush()
        return row.id

    def get_case(self, case_id: int) -> Case | None:
        row = self.session.get(CaseRow, case_id)
        return None if row is None else _case(row)

    def visible_case(self, case_id: int, scope: CaseScope) -> Case | None:
        row = self.session.scalars(scope_cases(select(CaseRow), scope).where(CaseRow.id == case_id)).first()
        return None if row is None else _case(row)

    def case_by_tracking_number(self, tracking_number: str) -> Case | None:
        row = self.session.scalars(select(CaseRow).where(CaseRow.tracking_number == tracking_number)).first()
        return None if row is None else _case(row)

    def tracking_number_taken(self, tracking_number: str) -> bool:
        return (
            self.session.scalar(select(CaseRow.id).where(CaseRow.tracking_number == tracking_number))
            is not None
        )

    def record_action(
        self, case: Case, event: CaseEvent, *, expected_version: int, changes: dict[str, Any]
    ) -> bool:
        """Store one action: the case row updated ``WHERE version = expected_version`` and the event
        appended, in the caller's transaction. False (nothing written) when another action moved
        the case first."""
        values = {key: value for key, value in changes.items() if key in MUTABLE_FIELDS}
        if "steps_done" in values:
            values["steps_done"] = "|".join(values["steps_done"])
        values.update(state=event.to_state.value, version=event.version, updated_at=event.at)
        # the row and its event in one savepoint: refused, neither stays (whatever the caller does next)
        savepoint = self.session.begin_nested()
        result = self.session.execute(
            _versioned_update(frozenset(values)),
            {"case_id": case.id, "expected_version": expected_version}
            | {f"new_{key}": value for key, value in values.items()},
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            savepoint.rollback()
            return False
        try:
            self.session.execute(
                _EVENT_INSERT,
                {
                    "case_id": event.case_id,
                    "version": event.version,
                    "actor": event.actor,
                    "role": event.role.value,
                    "action": event.action.value,
                    "at": event.at,
                    "from_state": event.from_state.value,
                    "to_state": event.to_state.value,
                    "note": event.note,
                    "attachments": json.dumps([a.to_dict() for a in event.attachments]),
                    "lon": None if event.location is None else event.location.lon,
                    "lat": None if event.location is None else event.location.lat,
                    "rating": event.rating,
                },
            )
        except IntegrityError:
            savepoint.rollback()
            return False
        savepoint.commit()
        return True

    def events(self, case_id: int) -> list[CaseEvent]:
        e = CaseEventRow
        return [
            _event(row)
            for row in self.session.scalars(select(e).where(e.case_id == case_id).order_by(e.version))
        ]

    def visible_cases(
        self,
        scope: CaseScope,
        *,
        assignee: str | None = None,
        states: Iterable[str] | None = None,
        overdue_at: datetime | None = None,
        due_before: datetime | None = None,
        town_code: str | None = None,
        grid_cell_code: str | None = None,
        category: str | None = None,
        department: str | None = None,
        source: str | None = None,
        opened_from: datetime | None = None,
        opened_until: datetime | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> tuple[list[Case], int]:
        """One page of the cases ``scope`` may see, most urgent first (earliest deadline, then
        newest), and how many match. ``overdue_at``: open and past the deadline at that instant;
        ``due_before``: open, not yet overdue at ... (with ``overdue_at``) and due before it."""
        c = CaseRow
        query = scope_cases(select(c), scope)
        if assignee is not None:
            query = query.where(c.assignee == assignee)
        if states is not None:
            query = query.where(c.state.in_(list(states)))
        if overdue_at is not None and due_before is None:
            query = query.where(c.state.in_(_OPEN), c.due_at < overdue_at)
        if due_before is not None:
            query = query.where(c.state.in_(_OPEN), c.due_at <= due_before)
            if overdue_at is not None:
                query = query.where(c.due_at >= overdue_at)
        for column, value in (
            (c.town_code, town_code),
            (c.grid_cell_code, grid_cell_code),
            (c.category, category),
            (c.department, department),
            (c.source, source),
        ):
            if value is not None:
                query = query.where(column == value)
        if opened_from is not None:
            query = query.where(c.opened_at >= opened_from)
        if opened_until is not None:
            query = query.where(c.opened_at < opened_until)
        total = self.session.scalar(
            select(func.count()).select_from(query.with_only_columns(c.id).subquery())
        )
        rows = self.session.scalars(
            query.order_by(c.due_at.is_(None), c.due_at, c.id.desc()).limit(limit).offset(offset)
        )
        return [_case(row) for row in rows], int(total or 0)

    def timed_cases(self, states: Sequence[str], *, limit: int = 5000) -> list[Case]:
        """Open cases in ``states`` with a deadline, for the timer (earliest deadline first)."""
        c = CaseRow
        query = select(c).where(c.state.in_(list(states)), c.due_at.is_not(None)).order_by(c.due_at, c.id)
        return [_case(row) for row in self.session.scalars(query.limit(limit))]

    def undated_cases(self, states: Sequence[str], *, limit: int = 5000) -> list[Case]:
        """Open cases in ``states`` opened without a deadline (no calendar for its year then)."""
        c = CaseRow
        query = select(c).where(c.state.in_(list(states)), c.due_at.is_(None)).order_by(c.id)
        return [_case(row) for row in self.session.scalars(query.limit(limit))]

    def set_deadline(self, case_id: int, due_at: datetime) -> None:
        """Date a case opened without a deadline (derived data, not an action: no event, no version)."""
        self.session.execute(
            update(CaseRow)
            .where(CaseRow.id == case_id, CaseRow.due_at.is_(None))
            .values(due_at=due_at)
            .execution_options(synchronize_session=False)
        )

    def reopened_case_ids(self, case_ids: Sequence[int]) -> set[int]:
        e = CaseEventRow
        found: set[int] = set()
        for start in range(0, len(case_ids), 900):
            chunk = list(case_ids[start : start + 900])
            found.update(
                self.session.scalars(
                    select(e.case_id)
                    .where(e.case_id.in_(chunk), e.action == CaseAction.REOPEN.value)
                    .distinct()
                )
            )
        return found

    def open_counts(self, usernames: Sequence[str]) -> dict[str, int]:
        if not usernames:
            return {}
        c = CaseRow
        rows = self.session.execute(
            select(c.assignee, func.count())
            .where(c.assignee.in_(list(usernames)), c.state.in_(_OPEN))
            .group_by(c.assignee)
        )
        return {str(name): int(count) for name, count in rows}

    # -- alarms that open cases ------------------------------------------------------------------

    def fired_alarms_without_case(self, *, fired_since: datetime, limit: int = 500) -> list[dict[str, Any]]:
        """Alarms that fired at or after ``fired_since`` and have no case yet (any state but
        invalidated), with their site: what the service may open cases for."""
        a = AlarmRow
        query = (
            select(a, SiteRow)
            .join(SiteRow, SiteRow.id == a.site_id)
            .outerjoin(CaseRow, CaseRow.alarm_id == a.id)
            .where(
                a.fired_at.is_not(None),
                a.fired_at >= fired_since,
                a.state != AlarmState.INVALIDATED.value,
                CaseRow.id.is_(None),
            )
            .order_by(a.fired_at, a.id)
            .limit(limit)
        )
        return [
            {
                "alarm_id": alarm.id,
                "rule_id": alarm.rule_id,
                "kind": alarm.kind,
                "severity": alarm.severity,
                "parameter": alarm.parameter,
                "fired_at": alarm.fired_at,
                "peak": alarm.peak,
                "limit": alarm.limit_value,
                "unit": alarm.unit,
                "site_id": site.id,
                "site_code": site.code,
                "site_name": site.name,
                "site_kind": site.kind.value,
                "town_code": site.town_code,
                "lon": site.lon,
                "lat": site.lat,
            }
            for alarm, site in self.session.execute(query)
        ]

    def site_place(self, site_id: int) -> dict[str, Any] | None:
        site = self.session.get(SiteRow, site_id)
        if site is None:
            return None
        return {
            "site_id": site.id,
            "name": site.name,
            "town_code": site.town_code,
            "lon": site.lon,
            "lat": site.lat,
        }

    # -- the grid --------------------------------------------------------------------------------

    def division(self, code: str) -> tuple[str, str, str | None] | None:
        """(code, level, parent code) of a division, or None."""
        row = self.session.get(DivisionRow, code)
        return None if row is None else (row.code, row.level.value, row.parent_code)

    def places_in(self, parent_code: str) -> list[Place]:
        """The divisions directly under ``parent_code`` with their boundary and grid cell."""
        rows = self.session.execute(
            select(DivisionRow.code, DivisionRow.boundary_geojson, GridCellRow.code)
            .outerjoin(GridCellRow, GridCellRow.division_code == DivisionRow.code)
            .where(DivisionRow.parent_code == parent_code)
            .order_by(DivisionRow.code)
        )
        return [Place(code, boundary, cell) for code, boundary, cell in rows]

    def town_containing(self, lon: float, lat: float) -> list[Place]:
        """Every town-level division with a boundary (the service tests which contains the point)."""
        rows = self.session.execute(
            select(DivisionRow.code, DivisionRow.boundary_geojson, GridCellRow.code)
            .outerjoin(GridCellRow, GridCellRow.division_code == DivisionRow.code)
            .where(DivisionRow.level.in_(["town", "street"]), DivisionRow.boundary_geojson.is_not(None))
            .order_by(DivisionRow.code)
        )
        return [Place(code, boundary, cell) for code, boundary, cell in rows]

    def cell_of_division(self, division_code: str) -> str | None:
        return self.session.scalar(
            select(GridCellRow.code)
            .where(GridCellRow.division_code == division_code)
            .order_by(GridCellRow.id)
        )

    def grid_cells(self) -> dict[str, CellOfficers]:
        """Every cell with its parent cell and the user names of its officers who have an active account."""
        parent = GridCellRow.__table__.alias("parent_cell")
        cells = {
            code: CellOfficers(code, parent_code, ())
            for code, parent_code in self.session.execute(
                select(GridCellRow.code, parent.c.code).outerjoin(
                    parent, parent.c.id == GridCellRow.parent_id
                )
            )
        }
        officers: dict[str, list[str]] = {}
        for code, username in self.session.execute(
            select(GridCellRow.code, UserRow.username)
            .join(GridOfficerRow, GridOfficerRow.grid_cell_id == GridCellRow.id)
            .join(UserRow, UserRow.id == GridOfficerRow.user_id)
            .where(UserRow.active.is_(True))
            .order_by(UserRow.username)
        ):
            officers.setdefault(code, []).append(username)
        return {
            code: CellOfficers(cell.code, cell.parent_code, tuple(officers.get(code, ())))
            for code, cell in cells.items()
        }

    def cell_town(self, cell_code: str) -> str | None:
        """The 12-digit code of the division of a cell."""
        return self.session.scalar(select(GridCellRow.division_code).where(GridCellRow.code == cell_code))

    # -- files -----------------------------------------------------------------------------------

    def put_file(self, attachment: Attachment, data: bytes, *, now: datetime) -> None:
        """Store a file under its hash (already there: nothing to do)."""
        if self.session.get(CaseFileRow, attachment.sha256) is not None:
            return
        self.session.add(
            CaseFileRow(
                sha256=attachment.sha256,
                media_type=attachment.media_type,
                size=attachment.size,
                data=data,
                stored_at=now,
            )
        )
        self.session.flush()

    def get_file(self, sha256: str) -> tuple[str, bytes] | None:
        row = self.session.get(CaseFileRow, sha256)
        return None if row is None else (row.media_type, row.data)

    def cases_with_file(self, sha256: str) -> list[int]:
        e = CaseEventRow
        return list(
            self.session.scalars(
                select(e.case_id).where(e.attachments.contains(sha256)).distinct().order_by(e.case_id)
            )
        )

    # -- the public form's rate limit ------------------------------------------------------------

    def count_report(self, client_key: str, window_start: datetime) -> int:
        """Count one report of ``client_key`` in the window starting ``window_start``; the count so far."""
        r = CaseReportCounterRow
        updated = self.session.execute(
            update(r)
            .where(and_(r.client_key == client_key, r.window_start == window_start))
            .values(count=r.count + 1)
            .execution_options(synchronize_session=False)
        )
        if updated.rowcount == 0:  # type: ignore[attr-defined]
            try:
                with self.session.begin_nested():
                    self.session.add(r(client_key=client_key, window_start=window_start, count=1))
                    self.session.flush()
                return 1
            except IntegrityError:
                return self.count_report(client_key, window_start)
        return int(
            self.session.scalar(
                select(r.count).where(r.client_key == client_key, r.window_start == window_start)
            )
            or 0
        )

    def forget_report_counts(self, before: datetime) -> int:

        result = self.session.execute(
            delete(CaseReportCounterRow).where(CaseReportCounterRow.window_start < before)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
