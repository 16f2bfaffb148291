"""Use cases of cases (工单): open (from an alarm, a citizen's report, a patrol), route, act, read,
and the timer that reminds and escalates (issue 17; response-workflow.md §3-4).

Strategy. A case is created at version 0 (受理: the deadline's clock starts at ``opened_at``) and
routed at once: :mod:`greenport.cases.routing` picks the cell and its officer, and the routing
rules dispatch it (an event by ``system``), so an alarm reaches an officer's inbox with no one in
between; a case no officer can take waits as ``new`` on the dispatcher's board. Every later change
is one action: :func:`greenport.cases.lifecycle.act` checks the state machine, the caller's role on
this case and the evidence, and the repository stores the row ``WHERE version = expected`` with its
event in the caller's transaction; the loser of a race gets :class:`VersionConflict` and nothing is
written. Deadlines come from :mod:`greenport.cases.deadlines` on the working-day calendar in force
(:func:`greenport.workdays.service.calendar`); :func:`tick` is the timer (a process calls it, never
a page visit) and takes each due step (remind, 催办, reprimand, escalate to the town, to the city)
once per deadline.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from greenport.accounts.model import Principal, Role, town_of
from greenport.cases import lifecycle
from greenport.cases.categories import CATEGORIES
from greenport.cases.deadlines import (
    DeadlineUnit,
    Step,
    deadline_for,
    escalation_steps,
    rule_for,
    shift_for_pause,
)
from greenport.cases.lifecycle import VersionConflict
from greenport.cases.model import (
    ALL_CASES,
    CASE_ACTOR_ROLES,
    CASE_ROLES_OF_ACCOUNT,
    NO_CASES,
    NO_EVIDENCE,
    Attachment,
    Case,
    CaseAction,
    CaseEvent,
    CaseRole,
    CaseScope,
    CaseSource,
    CaseState,
    Evidence,
    Location,
)
from greenport.cases.opening import category_for_alarm
from greenport.cases.photos import MAX_FILES_PER_EVENT, checked_file
from greenport.cases.ports import CasesUnitOfWork
from greenport.cases.routing import CellOfficers, candidates, containing_place, pick_officer
from greenport.cases.statistics import GroupBy, StatisticsReport, group_statistics, total_of
from greenport.kernel.errors import InvalidInput, NotFound, PermissionDenied, RuleViolation
from greenport.kernel.time import ensure_utc, local_date, local_year_bounds
from greenport.notifications import service as notifications_service
from greenport.notifications.model import Notice, Route, Severity
from greenport.notifications.routes import shipped_routes
from greenport.workdays.calendar import WorkCalendar
from greenport.workdays.model import NoCalendar
from greenport.workdays.service import calendar as calendar_in_force

#: Cases the deadline timer watches: the handler (or the dispatcher) owes work. A submitted or
#: verified case waits on the verifier, and is not the handler's lateness.
TIMED_STATES = (
    CaseState.NEW,
    CaseState.DISPATCHED,
    CaseState.ACCEPTED,
    CaseState.IN_PROGRESS,
    CaseState.EXTENSION_REQUESTED,
    CaseState.RETURNED,
    CaseState.TRANSFERRED,
    CaseState.MISROUTED,
    CaseState.REOPENED,
)

#: A report's description, title, address and contact: at most this many characters.
MAX_DESCRIPTION = 2000
MAX_ADDRESS = 200
MAX_CONTACT = 200
#: The public form: at most REPORTS_PER_WINDOW reports per client per REPORT_WINDOW.
REPORTS_PER_WINDOW = 5
REPORT_WINDOW = timedelta(hours=1)
#: "Due soon" in an inbox: due within this many hours.
DUE_SOON = timedelta(hours=24)
#: Tracking numbers: GP + the Beijing date + 8 characters of an alphabet without look-alikes
#: (about 40 bits: the number is the reporter's only key to their report, so it is not guessable).
TRACKING_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
#: The steps of the timer and the action each takes (remind, 催办 and reprimand are reminders).
STEP_ACTIONS = {
    Step.REMIND: CaseAction.REMIND,
    Step.NOTICE: CaseAction.REMIND,
    Step.REPRIMAND: CaseAction.REMIND,
    Step.ESCALATE_TOWN: CaseAction.ESCALATE,
    Step.ESCALATE_CITY: CaseAction.ESCALATE,
}
STEP_NOTES = {step: step.value for step in Step}
#: The notes of the system's own events are codes (``kernel/data/labels/case_note.csv`` names
#: them in each language): the history reads in the reader's language.
AUTO_DISPATCH_NOTE = "auto_dispatch"
AUTO_DISPATCH_UNDATED_NOTE = "auto_dispatch_no_deadline"
ESCALATION_LEVEL = {Step.ESCALATE_TOWN: 1, Step.ESCALATE_CITY: 2}

SYSTEM_ACTOR = "system"
CITIZEN_ACTOR = "citizen"


class RateLimited(RuleViolation):
    """Too many reports from one client in the window (429)."""

    status_hint = 429


@dataclass(frozen=True, slots=True)
class CaseView:
    """A case as one caller sees it: its history and the actions the caller may take now."""

    case: Case
    events: tuple[CaseEvent, ...]
    actions: tuple[CaseAction, ...]
    roles: tuple[CaseRole, ...]


@dataclass(slots=True)
class TickReport:
    """What one pass of the timer did: (case id, step) taken; (case id, deadline) of cases opened
    without a deadline that now have one; (case id, message) of cases it could not time because a
    year has no working-day calendar (they wait for `greenport calendar add`, the others go on)."""

    steps: list[tuple[int, str]] = field(default_factory=list)
    conflicts: int = 0
    dated: list[tuple[int, datetime]] = field(default_factory=list)
    blocked: list[tuple[int, str]] = field(default_factory=list)


# --- who may see and do what -----------------------------------------------------------------------


def case_scope(principal: Principal) -> CaseScope:
    """The cases ``principal`` may see: the city (admin, analyst, the operator at the command line),
    a town officer their town, a grid officer the cells they are an officer of and what is
    assigned to them, a department its categories; the public and firms none (a citizen follows
    their own report by its tracking number)."""
    if principal.via == "command_line" or principal.role in (Role.CITY_ADMIN, Role.BUREAU_ANALYST):
        return ALL_CASES
    if not principal.authenticated:
        return NO_CASES
    if principal.role is Role.TOWN_OFFICER and principal.division_code:
        return CaseScope(town_codes=frozenset({town_of(principal.division_code)}))
    if principal.role is Role.GRID_OFFICER:
        return CaseScope(officer_user_id=principal.user_id, assignee=principal.username)
    if principal.role is Role.DEPARTMENT and principal.department and principal.park_id is None:
        return CaseScope(department=principal.department)
    return NO_CASES


def case_roles(principal: Principal, case: Case) -> tuple[CaseRole, ...]:
    """The parts ``principal`` plays on ``case``: the city admin (and the operator) dispatch and
    verify everywhere, a town officer in their town, the grid officer it is assigned to handles it:
    the parts of :data:`CASE_ROLES_OF_ACCOUNT`, narrowed to this case."""
    role = Role.CITY_ADMIN if principal.via == "command_line" else principal.role
    if role is Role.TOWN_OFFICER and not (
        principal.division_code and case.town_code == town_of(principal.division_code)
    ):
        return ()
    if role is Role.GRID_OFFICER and case.assignee != principal.username:
        return ()
    plays = CASE_ROLES_OF_ACCOUNT[role]
    return tuple(part for part in CaseRole if part in plays)


def allowed_actions(principal: Principal, case: Case) -> tuple[CaseAction, ...]:
    """The buttons ``principal`` gets on ``case`` (timer-only actions are not buttons)."""
    found: list[CaseAction] = []
    for role in case_roles(principal, case):
        for action in lifecycle.allowed_actions(case.state, role):
            if action not in found and action is not CaseAction.ESCALATE:
                found.append(action)
    return tuple(a for a in CaseAction if a in found)


def _visible(uow: CasesUnitOfWork, principal: Principal, case_id: int) -> Case:
    found = uow.cases.visible_case(case_id, case_scope(principal))
    if found is None:
        raise NotFound(f"no case {case_id}", field="case_id")
    return found


# --- deadlines -------------------------------------------------------------------------------------


def _calendar(uow: CasesUnitOfWork, calendar: WorkCalendar | None) -> WorkCalendar:
    return calendar if calendar is not None else calendar_in_force(uow)


def _rule(case_category: str, severity: Severity) -> Any:
    return rule_for(CATEGORIES[case_category].deadline_class, severity.value)


def _deadline(category: str, severity: Severity, start: datetime, calendar: WorkCalendar) -> datetime:
    return deadline_for(CATEGORIES[category].deadline_class, severity.value, start, calendar)


def _extended(case: Case, calendar: WorkCalendar) -> datetime:
    """A granted extension: the rule's time again, counted from the current deadline."""
    rule = _rule(case.category, case.severity)
    base = case.due_at or case.opened_at
    if rule.unit is DeadlineUnit.WORKING_HOURS:
        return calendar.add_working_hours(base, rule.amount)
    return calendar.closing(calendar.add_working_days(base, max(rule.amount, 1)))


# --- opening ---------------------------------------------------------------------------------------


def _category(code: str) -> str:
    code = (code or "").strip()
    if code not in CATEGORIES:
        raise InvalidInput(
            f"unknown category {code!r}; categories: {', '.join(CATEGORIES)}", field="category"
        )
    return code


def _route(
    uow: CasesUnitOfWork,
    *,
    location: Location | None,
    division_code: str | None,
    town_code: str | None,
) -> tuple[str | None, str | None, str | None]:
    """(division code, grid cell code, town code) of a place (module docstring of routing)."""
    if division_code:
        division = uow.cases.division(division_code)
        if division is None:
            raise InvalidInput(f"no division with code {division_code}", field="division_code")
        code, level, parent = division
        town = code if level in ("town", "street") else parent
        return (
            code,
            uow.cases.cell_of_division(code) or (uow.cases.cell_of_division(town) if town else None),
            town,
        )
    if location is not None and town_code is None:
        town_place = containing_place(
            uow.cases.town_containing(location.lon, location.lat), location.lon, location.lat
        )
        if town_place is None:
            raise InvalidInput(
                f"the point {location.lon:.5f}, {location.lat:.5f} is outside every town of the city",
                field="location",
            )
        town_code = town_place.code
    if town_code is None:
        raise InvalidInput("a case needs a place: a point, a division or a site", field="location")
    if location is not None:
        village = containing_place(uow.cases.places_in(town_code), location.lon, location.lat)
        if village is not None:
            return village.code, village.cell_code, town_code
    return town_code, uow.cases.cell_of_division(town_code), town_code


def _tracking_number(uow: CasesUnitOfWork, now: datetime) -> str:
    day = local_date(now).strftime("%Y%m%d")
    while True:
        number = f"GP{day}-" + "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(8))
        if not uow.cases.tracking_number_taken(number):
            return number


def open_case(
    uow: CasesUnitOfWork,
    *,
    source: CaseSource,
    category: str,
    description: str,
    now: datetime,
    title: str = "",
    severity: Severity | str | None = None,
    location: Location | None = None,
    division_code: str | None = None,
    site_id: int | None = None,
    alarm_id: int | None = None,
    address: str = "",
    reporter_contact: str | None = None,
    attachments: Sequence[tuple[bytes, str, str | None]] = (),
    actor: str = SYSTEM_ACTOR,
    calendar: WorkCalendar | None = None,
    routes: Sequence[Route] | None = None,
) -> Case:
    """Open a case, route it and (when its cell has an officer with an account) dispatch it.

    ``actor``: who opens it (``system`` for an alarm, ``citizen``, an officer's user name), kept
    as ``opened_by``. ``attachments``: (bytes, file name, claimed media type) of the photos, checked
    (:func:`greenport.cases.photos.checked_file`) and stored with the first event. A citizen case
    gets a tracking number. Raises :class:`InvalidInput` naming the field; nothing is stored then.
    """
    now = ensure_utc(now)
    category = _category(category)
    description = (description or "").strip()
    if not description:
        raise InvalidInput("describe the problem", field="description")
    if len(description) > MAX_DESCRIPTION:
        raise InvalidInput(f"the description is over {MAX_DESCRIPTION} characters", field="description")
    if len(address) > MAX_ADDRESS:
        raise InvalidInput(f"the address is over {MAX_ADDRESS} characters", field="address")
    if reporter_contact is not None and len(reporter_contact) > MAX_CONTACT:
        raise InvalidInput(f"the contact is over {MAX_CONTACT} characters", field="contact")
    level = Severity(severity) if severity else CATEGORIES[category].default_severity
    town_code = None
    if site_id is not None:
        site = uow.cases.site_place(site_id)
        if site is None:
            raise InvalidInput(f"no site {site_id}", field="site_id")
        town_code = site["town_code"]
        location = location or Location(site["lon"], site["lat"])
    division, cell, town = _route(uow, location=location, division_code=division_code, town_code=town_code)
    files = _checked_files(attachments)
    cal = _calendar(uow, calendar)
    try:
        due_at: datetime | None = _deadline(category, level, now, cal)
    except NoCalendar:
        # the case is opened all the same (nothing reported is lost); the timer dates it once the
        # year's calendar is added (tick)
        due_at = None
    case_id = uow.cases.add_case(
        {
            "source": source.value,
            "category": category,
            "severity": level.value,
            "department": CATEGORIES[category].department,
            "state": CaseState.NEW.value,
            "version": 0,
            "title": title.strip()[:200],
            "description": description,
            "address": address.strip(),
            "lon": None if location is None else location.lon,
            "lat": None if location is None else location.lat,
            "division_code": division,
            "grid_cell_code": cell,
            "town_code": town,
            "site_id": site_id,
            "alarm_id": alarm_id,
            "assignee": None,
            "tracking_number": _tracking_number(uow, now) if source is CaseSource.CITIZEN else None,
            "reporter_contact": (reporter_contact or "").strip() or None,
            "opened_by": actor[:80],
            "opened_at": now,
            "due_at": due_at,
            "updated_at": now,
            "escalation_level": 0,
            "steps_done": "",
        }
    )
    for attachment, data in files:
        uow.cases.put_file(attachment, data, now=now)
    case = uow.cases.get_case(case_id)
    assert case is not None
    cell_code, officer = _pick(uow, cell, uow.cases.grid_cells())
    if officer is None:
        _announce(uow, case, "opened", now, routes)
        return case
    note = AUTO_DISPATCH_NOTE if due_at is not None else AUTO_DISPATCH_UNDATED_NOTE
    evidence = Evidence(note=note, attachments=tuple(a for a, _ in files))
    dispatched = _store(
        uow,
        case,
        CaseAction.DISPATCH,
        role=CaseRole.SYSTEM,
        actor=SYSTEM_ACTOR,
        at=now,
        expected_version=0,
        evidence=evidence,
        changes={"assignee": officer, "grid_cell_code": cell_code},
    )
    _announce(uow, dispatched, "opened", now, routes)
    return dispatched


def _pick(
    uow: CasesUnitOfWork, cell_code: str | None, cells: dict[str, CellOfficers]
) -> tuple[str | None, str | None]:
    """:func:`pick_officer` with the open cases of only the officers it chooses among (counting
    every officer's, and loading the grid twice, made each opening of a case cost ~50 ms on a city
    of 250 cells)."""
    return pick_officer(cell_code, cells, uow.cases.open_counts(sorted(candidates(cell_code, cells))))


def _checked_files(attachments: Sequence[tuple[bytes, str, str | None]]) -> list[tuple[Attachment, bytes]]:
    if len(attachments) > MAX_FILES_PER_EVENT:
        raise InvalidInput(f"at most {MAX_FILES_PER_EVENT} files per action", field="photos")
    return [
        (checked_file(data, name=name, claimed_type=claimed), data) for data, name, claimed in attachments
    ]


def file_report(
    uow: CasesUnitOfWork,
    *,
    category: str,
    description: str,
    now: datetime,
    client: str,
    location: Location | None = None,
    division_code: str | None = None,
    address: str = "",
    contact: str | None = None,
    photos: Sequence[tuple[bytes, str, str | None]] = (),
    calendar: WorkCalendar | None = None,
    routes: Sequence[Route] | None = None,
) -> Case:
    """A citizen's report (the public form, Open311 ``POST requests``): rate-limited per
    ``client`` (its address; only a hash of it is stored), at most :data:`REPORTS_PER_WINDOW`
    per :data:`REPORT_WINDOW`. The case returned carries the tracking number to give back."""
    now = ensure_utc(now)
    key = hashlib.sha256(f"case-report:{client}".encode()).hexdigest()
    window = datetime.fromtimestamp(
        now.timestamp() // REPORT_WINDOW.total_seconds() * REPORT_WINDOW.total_seconds(), tz=now.tzinfo
    )
    if location is None and not division_code:
        raise InvalidInput("pick the place on the map or give its village or town", field="location")
    if uow.cases.count_report(key, window) > REPORTS_PER_WINDOW:
        uow.commit()  # the count stands even though the report is refused
        raise RateLimited(
            f"too many reports from this address: at most {REPORTS_PER_WINDOW} per hour; try again later",
            field="client",
        )
    return open_case(
        uow,
        source=CaseSource.CITIZEN,
        category=category,
        description=description,
        now=now,
        location=location,
        division_code=division_code,
        address=address,
        reporter_contact=contact,
        attachments=photos,
        actor=CITIZEN_ACTOR,
        calendar=calendar,
        routes=routes,
    )


def open_patrol_case(
    uow: CasesUnitOfWork,
    *,
    principal: Principal,
    category: str,
    description: str,
    now: datetime,
    location: Location | None = None,
    division_code: str | None = None,
    address: str = "",
    photos: Sequence[tuple[bytes, str, str | None]] = (),
    calendar: WorkCalendar | None = None,
    routes: Sequence[Route] | None = None,
) -> Case:
    """A case an officer found on patrol, routed like any other; the place must lie in the
    officer's town (a grid or town officer), anywhere for the city admin or the operator."""
    if principal.via != "command_line" and principal.role not in CASE_ACTOR_ROLES:
        raise PermissionDenied("only grid officers, town officers and the city admin open patrol cases")
    case = open_case(
        uow,
        source=CaseSource.PATROL,
        category=category,
        description=description,
        now=now,
        location=location,
        division_code=division_code,
        address=address,
        attachments=photos,
        actor=principal.username,
        calendar=calendar,
        routes=routes,
    )
    if principal.via != "command_line" and principal.role is not Role.CITY_ADMIN:
        own_town = town_of(principal.division_code) if principal.division_code else None
        if case.town_code != own_town:
            raise PermissionDenied(
                f"the place is in town {case.town_code}, outside yours ({own_town})", field="location"
            )
    return case


def open_from_alarms(
    uow: CasesUnitOfWork,
    *,
    now: datetime,
    look_back: timedelta = timedelta(days=2),
    calendar: WorkCalendar | None = None,
    routes: Sequence[Route] | None = None,
) -> list[int]:
    """Open a case for each alarm that fired within ``look_back`` of ``now`` and has none, when
    ``data/alarm_cases.csv`` says its rule, kind and severity open one. Returns the case ids.
    A second process doing the same at once is refused by the unique ``alarm_id``."""
    now = ensure_utc(now)
    opened = []
    cal = _calendar(uow, calendar)
    for alarm in uow.cases.fired_alarms_without_case(fired_since=now - look_back):
        category = category_for_alarm(
            alarm["rule_id"], alarm["kind"], alarm["site_kind"], Severity(alarm["severity"])
        )
        if category is None:
            continue
        parameter = alarm["parameter"] or ""
        values = ""
        if alarm["peak"] is not None and alarm["limit"] is not None:
            values = f"，峰值 {alarm['peak']:g} {alarm['unit']}（限值 {alarm['limit']:g}）"
        case = open_case(
            uow,
            source=CaseSource.ALARM,
            category=category,
            title=str(alarm["site_name"]),
            description=f"告警 #{alarm['alarm_id']}：{alarm['site_name']}（{alarm['site_code']}）{parameter} "
            f"{alarm['rule_id']}{values}",
            severity=Severity(alarm["severity"]),
            site_id=alarm["site_id"],
            alarm_id=alarm["alarm_id"],
            now=max(now, ensure_utc(alarm["fired_at"])),
            calendar=cal,
            routes=routes,
        )
        opened.append(case.id)
    return opened


# --- acting --------------------------------------------------------------------------------------


def _store(
    uow: CasesUnitOfWork,
    case: Case,
    action: CaseAction,
    *,
    role: CaseRole,
    actor: str,
    at: datetime,
    expected_version: int,
    evidence: Evidence = NO_EVIDENCE,
    changes: dict[str, Any] | None = None,
) -> Case:
    after, event = lifecycle.act(
        case, action, role=role, actor=actor, at=at, expected_version=expected_version, evidence=evidence
    )
    changes = dict(changes or {})
    if not uow.cases.record_action(case, event, expected_version=expected_version, changes=changes):
        current = uow.cases.get_case(case.id)
        raise VersionConflict(
            f"conflict: case {case.id} changed since you loaded it (version {expected_version} → "
            f"{current.version if current else '?'})",
            field="version",
            case_id=case.id,
            expected_version=expected_version,
        )
    if "steps_done" in changes:
        changes["steps_done"] = tuple(changes["steps_done"])
    return replace(after, updated_at=at, **changes)


def _role_for(principal: Principal, case: Case, action: CaseAction) -> CaseRole:
    roles = case_roles(principal, case)
    transition = lifecycle.TRANSITIONS.get((case.state, action))
    for role in roles:
        if transition is not None and role in transition.roles:
            return role
    if transition is None or not roles:
        # let the state machine say why (illegal here / not for this role)
        return roles[0] if roles else CaseRole.CITIZEN
    return roles[0]


def act(
    uow: CasesUnitOfWork,
    *,
    principal: Principal,
    case_id: int,
    action: CaseAction | str,
    expected_version: int,
    now: datetime,
    note: str = "",
    photos: Sequence[tuple[bytes, str, str | None]] = (),
    location: Location | None = None,
    assignee: str | None = None,
    transfer_to: str | None = None,
    due_at: datetime | None = None,
    calendar: WorkCalendar | None = None,
    routes: Sequence[Route] | None = None,
) -> Case:
    """One action by an officer on a case they can see, as loaded at ``expected_version``.

    ``assignee``: who a dispatch sends it to (default: routing picks the cell's officer);
    ``transfer_to``: the grid cell a transfer sends it to; ``due_at``: the new deadline an
    extension grants (default: the rule's time again). Raises :class:`NotFound` (not visible),
    :class:`lifecycle.IllegalTransition`, :class:`lifecycle.ActionNotPermitted`,
    :class:`lifecycle.MissingEvidence`, :class:`VersionConflict`; nothing is written then.
    """
    now = ensure_utc(now)
    try:
        action = CaseAction(action)
    except ValueError:
        raise InvalidInput(
            f"unknown action {action!r}; actions: {', '.join(CaseAction)}", field="action"
        ) from None
    if action in (CaseAction.RATE,):
        raise PermissionDenied("only the reporter rates a case (with its tracking number)", field="action")
    case = _visible(uow, principal, case_id)
    role = _role_for(principal, case, action)
    if not case_roles(principal, case):
        raise lifecycle.ActionNotPermitted(
            f"you have no part in case {case.id} (it is {'assigned to ' + case.assignee if case.assignee else 'unassigned'})",
            field="action",
        )
    files = _checked_files(photos)
    evidence = Evidence(note=note or "", attachments=tuple(a for a, _ in files), location=location)
    lifecycle.check_version(case.id, expected=expected_version, current=case.version)
    lifecycle.apply(case.state, action, role=role, evidence=evidence)  # refuse before any work
    changes = _changes(
        uow,
        case,
        action,
        now=now,
        calendar=calendar,
        assignee=assignee,
        transfer_to=transfer_to,
        due_at=due_at,
    )
    for attachment, data in files:
        uow.cases.put_file(attachment, data, now=now)
    after = _store(
        uow,
        case,
        action,
        role=role,
        actor=principal.username,
        at=now,
        expected_version=expected_version,
        evidence=evidence,
        changes=changes,
    )
    if action in (CaseAction.DISPATCH, CaseAction.TRANSFER, CaseAction.REOPEN, CaseAction.FAIL_VERIFICATION):
        _announce(uow, after, action.value, now, routes)
    return after


def _changes(
    uow: CasesUnitOfWork,
    case: Case,
    action: CaseAction,
    *,
    now: datetime,
    calendar: WorkCalendar | None,
    assignee: str | None,
    transfer_to: str | None,
    due_at: datetime | None,
) -> dict[str, Any]:
    """The fields ``action`` changes besides the state (deadline, assignee, clock). The calendar
    in force is read only by the actions that count working time (a query the others save)."""
    changes: dict[str, Any] = {}

    def cal() -> WorkCalendar:
        return _calendar(uow, calendar)

    rule = _rule(case.category, case.severity)
    if case.paused_since is not None and action in (
        CaseAction.GRANT_EXTENSION,
        CaseAction.REFUSE_EXTENSION,
        CaseAction.SUBMIT,
    ):
        try:
            base = shift_for_pause(case.due_at, case.paused_since, now, cal()) if case.due_at else None
        except NoCalendar:  # the clock cannot be counted: keep the deadline, the pause ends
            base = case.due_at
        changes.update(paused_since=None, due_at=base)
        case = replace(case, due_at=base, paused_since=None)
    if action is CaseAction.DISPATCH:
        cells = uow.cases.grid_cells()
        if assignee:
            officers = {name for cell in cells.values() for name in cell.usernames}
            if assignee not in officers:
                raise InvalidInput(f"{assignee} is not a grid officer with an account", field="assignee")
            chosen = next(code for code, cell in cells.items() if assignee in cell.usernames)
            changes.update(assignee=assignee, grid_cell_code=chosen)
        else:
            routed, officer = _pick(uow, case.grid_cell_code, cells)
            if officer is None:
                raise InvalidInput(
                    f"grid cell {case.grid_cell_code} has no officer with an account: name the assignee",
                    field="assignee",
                )
            changes.update(assignee=officer, grid_cell_code=routed)
    elif action is CaseAction.TRANSFER:
        if not transfer_to:
            raise InvalidInput("name the grid cell to transfer the case to", field="transfer_to")
        cells = uow.cases.grid_cells()
        if transfer_to not in cells:
            raise InvalidInput(f"no grid cell {transfer_to}", field="transfer_to")
        routed, officer = _pick(uow, transfer_to, cells)
        if officer is None:
            raise InvalidInput(f"grid cell {transfer_to} has no officer with an account", field="transfer_to")
        changes.update(assignee=officer, grid_cell_code=routed)
    elif action is CaseAction.MARK_MISROUTED:
        changes.update(assignee=None)
    elif action is CaseAction.REQUEST_EXTENSION:
        if rule.pause_on_extension:
            changes.update(paused_since=now)
    elif action is CaseAction.GRANT_EXTENSION:
        try:
            granted = ensure_utc(due_at) if due_at is not None else _extended(case, cal())
        except NoCalendar as exc:
            raise InvalidInput(f"{exc.message}; or give the new deadline (due_at)", field="due_at") from None
        if case.due_at is not None and granted <= case.due_at:
            raise InvalidInput("an extension moves the deadline later", field="due_at")
        changes.update(due_at=granted, steps_done=())
    elif action is CaseAction.SUBMIT:
        changes.update(submitted_at=now)
    elif action is CaseAction.CLOSE:
        changes.update(closed_at=now)
    elif action is CaseAction.REOPEN:
        try:
            reopened_due: datetime | None = _deadline(case.category, case.severity, now, cal())
        except NoCalendar:  # dated by the timer once the year's calendar is added
            reopened_due = None
        changes.update(
            due_at=reopened_due,
            submitted_at=None,
            closed_at=None,
            steps_done=(),
            escalation_level=0,
            assignee=None,
        )
    return changes


def act_as_reporter(
    uow: CasesUnitOfWork,
    *,
    tracking_number: str,
    action: CaseAction | str,
    now: datetime,
    rating: int | None = None,
    note: str = "",
) -> Case:
    """The reporter (holding the tracking number) rates the handling of a closed case, or leaves
    a revisit note. Refused with the reason, like any action; a second rating is refused."""
    now = ensure_utc(now)
    case = uow.cases.case_by_tracking_number((tracking_number or "").strip().upper())
    if case is None:
        raise NotFound("no report with this tracking number", field="tracking_number")
    action = CaseAction(action)
    if action is CaseAction.RATE and case.rating is not None:
        raise lifecycle.IllegalTransition("this report has been rated already", field="rating")
    evidence = Evidence(note=note or "", rating=rating)
    return _store(
        uow,
        case,
        action,
        role=CaseRole.CITIZEN,
        actor=CITIZEN_ACTOR,
        at=now,
        expected_version=case.version,
        evidence=evidence,
        changes={"rating": rating} if action is CaseAction.RATE else {},
    )


# --- reading -------------------------------------------------------------------------------------


def get_case(uow: CasesUnitOfWork, *, principal: Principal, case_id: int) -> CaseView:
    case = _visible(uow, principal, case_id)
    return CaseView(
        case=case,
        events=tuple(uow.cases.events(case.id)),
        actions=allowed_actions(principal, case),
        roles=case_roles(principal, case),
    )


def track(uow: CasesUnitOfWork, *, tracking_number: str) -> CaseView:
    """A citizen's report by its tracking number (the public follow page): its events without
    who did them or their attachments, and the reporter's actions (rate, revisit) once closed."""
    case = uow.cases.case_by_tracking_number((tracking_number or "").strip().upper())
    if case is None:
        raise NotFound("no report with this tracking number", field="tracking_number")
    public_events = tuple(
        replace(e, actor="", attachments=(), location=None) for e in uow.cases.events(case.id)
    )
    actions = tuple(
        a
        for a in lifecycle.allowed_actions(case.state, CaseRole.CITIZEN)
        if not (a is CaseAction.RATE and case.rating is not None)
    )
    return CaseView(
        case=replace(case, reporter_contact=None, assignee=None),
        events=public_events,
        actions=actions,
        roles=(CaseRole.CITIZEN,),
    )


def _public(case: Case) -> Case:
    """A citizen's case as anyone may see it: no contact, no officer, no tracking number."""
    return replace(case, reporter_contact=None, assignee=None, tracking_number=None)


def public_reports(
    uow: CasesUnitOfWork,
    *,
    opened_from: datetime,
    opened_until: datetime,
    category: str | None = None,
    states: Sequence[str] | None = None,
    limit: int = 1000,
) -> list[Case]:
    """Citizens' reports opened in [``opened_from``, ``opened_until``] (the public list of Open311
    ``GET requests``), newest first, at most ``limit``; as :func:`_public` shows them."""
    cases, _ = uow.cases.visible_cases(
        ALL_CASES,
        source=CaseSource.CITIZEN.value,
        category=None if category is None else _category(category),
        states=states,
        opened_from=ensure_utc(opened_from),
        opened_until=ensure_utc(opened_until) + timedelta(microseconds=1),  # inclusive, as Open311's end_date
        limit=max(1, min(limit, 1000)),
    )
    return sorted((_public(c) for c in cases), key=lambda c: (c.opened_at, c.id), reverse=True)


def public_report(uow: CasesUnitOfWork, *, case_id: int) -> Case:
    """One citizen's report by its case number (Open311 ``GET requests/{id}``), as
    :func:`_public` shows it; a case that is not a citizen's report is not found."""
    case = uow.cases.get_case(case_id)
    if case is None or case.source is not CaseSource.CITIZEN:
        raise NotFound(f"no citizen report {case_id}", field="service_request_id")
    return _public(case)


def list_cases(
    uow: CasesUnitOfWork,
    *,
    principal: Principal,
    now: datetime,
    assignee: str | None = None,
    status: str | None = None,
    overdue: bool = False,
    town_code: str | None = None,
    grid_cell_code: str | None = None,
    category: str | None = None,
    department: str | None = None,
    source: str | None = None,
    period: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[Case], int]:
    """The cases ``principal`` may see, filtered; ``status``: a state, ``open`` or ``closed``;
    ``department``: the department of the case's category; ``period``: a Beijing calendar year
    (``"2025"``), the cases *opened* in it, the cohort :func:`case_statistics` counts over (so a
    town's score follows down to exactly the cases behind it)."""
    states: list[str] | None = None
    if status:
        if status == "open":
            states = [s.value for s in CaseState if s is not CaseState.CLOSED]
        elif status in set(CaseState):
            states = [status]
        else:
            raise InvalidInput(
                f"unknown status {status!r}; one of open, {', '.join(CaseState)}", field="status"
            )
    if category is not None:
        _category(category)
    if source is not None and source not in set(CaseSource):
        raise InvalidInput(f"unknown source {source!r}; one of {', '.join(CaseSource)}", field="source")
    opened_from, opened_until = period_bounds(period) if period else (None, None)
    return uow.cases.visible_cases(
        case_scope(principal),
        assignee=assignee,
        states=states,
        overdue_at=ensure_utc(now) if overdue else None,
        town_code=town_code,
        grid_cell_code=grid_cell_code,
        category=category,
        department=department,
        source=source,
        opened_from=opened_from,
        opened_until=opened_until,
        limit=max(1, min(limit, 1000)),
        offset=max(0, offset),
    )


def inbox(
    uow: CasesUnitOfWork, *, principal: Principal, now: datetime, limit: int = 50
) -> dict[str, list[Case]]:
    """My inbox: ``new`` (waiting for me to take it: dispatched to me, or new / mis-routed /
    extension requests in my town for a dispatcher), ``due_soon`` (open, due within
    :data:`DUE_SOON`), ``overdue`` (open, past the deadline)."""
    now = ensure_utc(now)
    scope = case_scope(principal)
    if principal.role is Role.GRID_OFFICER:
        waiting_states = [CaseState.DISPATCHED.value, CaseState.TRANSFERRED.value, CaseState.RETURNED.value]
        assignee: str | None = principal.username
    else:
        waiting_states = [
            CaseState.NEW.value,
            CaseState.MISROUTED.value,
            CaseState.EXTENSION_REQUESTED.value,
            CaseState.SUBMITTED.value,
            CaseState.VERIFIED.value,
            CaseState.REOPENED.value,
        ]
        assignee = None
    waiting, _ = uow.cases.visible_cases(scope, assignee=assignee, states=waiting_states, limit=limit)
    soon, _ = uow.cases.visible_cases(
        scope, assignee=assignee, overdue_at=now, due_before=now + DUE_SOON, limit=limit
    )
    late, _ = uow.cases.visible_cases(scope, assignee=assignee, overdue_at=now, limit=limit)
    return {"new": waiting, "due_soon": soon, "overdue": late}


def file_for(uow: CasesUnitOfWork, *, principal: Principal, sha256: str) -> tuple[str, bytes]:
    """A stored file, for a caller who can see a case holding it."""
    scope = case_scope(principal)
    for case_id in uow.cases.cases_with_file(sha256):
        if uow.cases.visible_case(case_id, scope) is not None:
            found = uow.cases.get_file(sha256)
            if found is not None:
                return found
    raise NotFound("no such file", field="sha256")


# --- the timer -----------------------------------------------------------------------------------


def tick(
    uow: CasesUnitOfWork,
    *,
    now: datetime,
    calendar: WorkCalendar | None = None,
    routes: Sequence[Route] | None = None,
) -> TickReport:
    """Take every deadline step whose time has come (module docstring): one event each, by
    ``system``, in the caller's transaction, with a notice. Idempotent: a step taken is recorded
    on the case and never taken twice for one deadline; a case whose clock is paused waits."""
    now = ensure_utc(now)
    cal = _calendar(uow, calendar)
    report = TickReport()
    timed = [s.value for s in TIMED_STATES]
    for undated in uow.cases.undated_cases(timed):
        try:
            due_at = _deadline(undated.category, undated.severity, undated.opened_at, cal)
        except NoCalendar as exc:
            report.blocked.append((undated.id, exc.message))
            continue
        uow.cases.set_deadline(undated.id, due_at)
        report.dated.append((undated.id, due_at))
    for case in uow.cases.timed_cases(timed):
        if case.due_at is None or case.paused_since is not None:
            continue
        rule = _rule(case.category, case.severity)
        try:
            due = [(at, step) for at, step in escalation_steps(case.due_at, cal, rule) if at <= now]
        except NoCalendar as exc:  # this case waits for the calendar; the others go on
            report.blocked.append((case.id, exc.message))
            continue
        done = list(case.steps_done)
        current = case
        for _at, step in due:
            if step.value in done:
                continue
            done.append(step.value)
            changes: dict[str, Any] = {"steps_done": tuple(done)}
            if step in ESCALATION_LEVEL:
                changes["escalation_level"] = max(current.escalation_level, ESCALATION_LEVEL[step])
            try:
                current = _store(
                    uow,
                    current,
                    STEP_ACTIONS[step],
                    role=CaseRole.SYSTEM,
                    actor=SYSTEM_ACTOR,
                    at=now,
                    expected_version=current.version,
                    evidence=Evidence(note=STEP_NOTES[step]),
                    changes=changes,
                )
            except VersionConflict:
                report.conflicts += 1
                break
            report.steps.append((case.id, step.value))
            _announce(uow, current, step.value, now, routes)
    return report


# --- notices -------------------------------------------------------------------------------------

_EVENT_ZH = {
    "opened": "新工单",
    "dispatch": "已派遣",
    "transfer": "已转办",
    "reopen": "重办",
    "fail_verification": "核查不通过",
    "remind": "办理提醒",
    "notice": "催办",
    "reprimand": "书面警示",
    "escalate_town": "升级至镇",
    "escalate_city": "升级至市",
}


def _announce(
    uow: CasesUnitOfWork, case: Case, event: str, now: datetime, routes: Sequence[Route] | None
) -> None:
    """A notice to the officers of the case's town by ``routes`` (topic ``case``; None: the shipped
    routes, a deployment passes its GREENPORT_NOTIFICATION_ROUTES), once per (case, event, version)."""
    label = _EVENT_ZH.get(event, event)
    due = case.due_at.isoformat() if case.due_at else ""
    notice = Notice(
        topic="case",
        subject_id=case.id,
        event=event,
        severity=case.severity,
        title_zh=f"【{label}】工单 #{case.id} {case.title}",
        title_en=f"[{event}] case #{case.id} {CATEGORIES[case.category].name_en}",
        body_zh=f"{case.title}：{case.description[:120]}（承办人 {case.assignee or '待派遣'}，时限 {due}）",
        body_en=f"{CATEGORIES[case.category].name_en}: assigned to {case.assignee or 'nobody yet'}, due {due}",
        link=f"/cases/{case.id}",
        occurred_at=now,
        dedupe_key=f"case:{case.id}:{event}:{case.version}",
        site_id=case.site_id,
        town_code=case.town_code,
    )
    in_force = shipped_routes().routes if routes is None else routes
    notifications_service.enqueue(uow, notice=notice, routes=in_force, now=now)


# --- statistics ----------------------------------------------------------------------------------

#: The years a period may name: a Beijing calendar year of four digits.
PERIOD_YEARS = range(2000, 2100)


def period_bounds(period: str | int) -> tuple[datetime, datetime]:
    """[start, end) in UTC of ``period``, a Beijing calendar year such as ``"2025"`` (the
    assessments' period: the town 1,000-point and department 100-point systems are yearly).
    Raises :class:`InvalidInput` (field ``period``) for anything else."""
    text = str(period).strip()
    if not (len(text) == 4 and text.isdigit() and int(text) in PERIOD_YEARS):
        raise InvalidInput(
            f"the period is a calendar year such as 2025 "
            f"({PERIOD_YEARS.start}-{PERIOD_YEARS.stop - 1}), not {text[:20]!r}",
            field="period",
        )
    return local_year_bounds(int(text))


#: Cases read per query when gathering statistics (a year of a county's cases is a few thousand).
STATISTICS_PAGE = 5000


def case_statistics(
    uow: CasesUnitOfWork,
    *,
    principal: Principal,
    by: GroupBy | str,
    since: datetime,
    until: datetime,
    now: datetime,
    calendar: WorkCalendar | None = None,
) -> StatisticsReport:
    """Closed-loop statistics (:mod:`greenport.cases.statistics`) of the cases ``principal`` may see
    (:func:`case_scope`) opened in [``since``, ``until``), grouped ``by`` officer, cell, town or
    department; handling times on the working-day calendar in force."""
    try:
        group_by = GroupBy(by)
    except ValueError:
        raise InvalidInput(f"unknown grouping {by!r}; one of {', '.join(GroupBy)}", field="by") from None
    since, until, now = ensure_utc(since), ensure_utc(until), ensure_utc(now)
    if until <= since:
        raise InvalidInput("the period ends after it starts (until > since)", field="until")
    scope = case_scope(principal)
    cohort: list[Case] = []
    while True:
        page, total = uow.cases.visible_cases(
            scope, opened_from=since, opened_until=until, limit=STATISTICS_PAGE, offset=len(cohort)
        )
        cohort.extend(page)
        if not page or len(cohort) >= total:
            break
    reopened = uow.cases.reopened_case_ids([case.id for case in cohort])
    groups = group_statistics(
        cohort, by=group_by, reopened_ids=reopened, calendar=_calendar(uow, calendar), now=now
    )
    return StatisticsReport(by=group_by, since=since, until=until, groups=groups, total=total_of(groups))
