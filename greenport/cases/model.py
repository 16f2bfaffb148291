"""Cases (工单), their states, actions, roles and append-only events (frozen dataclasses, enums).

Vocabulary: ``../shared/reference/response-workflow.md`` §3, the closed loop of China's 12345
hotlines set by the State Council's guidance (国办发〔2020〕53号): accept (受理), dispatch (派遣),
handle (办理), reply (回复), supervise (督办), complete (办结), revisit (回访), evaluate (评价).
A case comes from an alarm, a citizen's report or an officer's patrol; it is owned by one grid
officer at a time until it is closed. Which state follows which action is data
(``cases/data/transitions.csv``), checked by :mod:`greenport.cases.lifecycle`.

Extension requested is a *state*, not a flag on in_progress: a pending request is work someone
else owes (the dispatcher must grant or refuse it, so it belongs in their inbox by state), the
deadline rules may pause the clock while it is pending (a state the deadline module can test,
with no second field to keep in step), and a case's history replays to it from the events alone.
"Granted" is not a state: granting returns the case to in_progress with a later deadline (the
deadline is the deadline module's business, not the state machine's).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from greenport.accounts.model import Role
from greenport.kernel.errors import InvalidInput
from greenport.notifications.model import Severity


class CaseState(enum.StrEnum):
    """Where a case is in the closed loop (response-workflow.md §3)."""

    NEW = "new"  # 受理: registered, not yet dispatched
    DISPATCHED = "dispatched"  # 派遣: sent to a grid officer, not yet accepted
    ACCEPTED = "accepted"  # 签收: the grid officer took it
    IN_PROGRESS = "in_progress"  # 办理
    SUBMITTED = "submitted"  # 回复: the handler reports it done, with evidence
    VERIFIED = "verified"  # 核查: the town officer confirmed the result
    CLOSED = "closed"  # 办结
    RETURNED = "returned"  # 核查不通过: verification failed, back to the handler
    TRANSFERRED = "transferred"  # 转办: moved to another cell or department, to be accepted there
    MISROUTED = "misrouted"  # 退回: the handler says it is not theirs; back to the dispatcher
    EXTENSION_REQUESTED = "extension_requested"  # 申请延期: pending the dispatcher's decision
    REOPENED = "reopened"  # 重办: closed, then opened again (e.g. after a poor revisit)


#: States in which a case is finished (only reopen leaves them).
FINAL_STATES = frozenset({CaseState.CLOSED})


class CaseAction(enum.StrEnum):
    """What a person (or the deadline timer) does to a case; each is one event."""

    DISPATCH = "dispatch"
    ACCEPT = "accept"
    START = "start"
    SUBMIT = "submit"
    VERIFY = "verify"
    FAIL_VERIFICATION = "fail_verification"
    CLOSE = "close"
    TRANSFER = "transfer"
    MARK_MISROUTED = "mark_misrouted"
    REQUEST_EXTENSION = "request_extension"
    GRANT_EXTENSION = "grant_extension"
    REFUSE_EXTENSION = "refuse_extension"
    REOPEN = "reopen"
    REVISIT = "revisit"  # 回访
    RATE = "rate"  # 评价: the reporter's rating
    REMIND = "remind"  # 催办
    ESCALATE = "escalate"  # 督办: to the town, then the city
    COMMENT = "comment"


class CaseSource(enum.StrEnum):
    ALARM = "alarm"  # opened from an alarm (which rules and severities open cases is data)
    CITIZEN = "citizen"  # a citizen's report (public form or Open311)
    PATROL = "patrol"  # found by an officer on patrol


class CaseRole(enum.StrEnum):
    """The part a caller plays on a case; the table of transitions names these, not account roles.

    ``dispatcher``: a town officer or the city admin (派遣, transfer, extensions, reopen);
    ``handler``: the grid officer who owns it; ``verifier``: a town officer (核查, close);
    ``citizen``: the anonymous reporter holding the tracking token (revisit, rate);
    ``system``: the deadline timer (remind, escalate), so that a page visit never drives them.
    """

    DISPATCHER = "dispatcher"
    HANDLER = "handler"
    VERIFIER = "verifier"
    CITIZEN = "citizen"
    SYSTEM = "system"


#: The case roles an account role may play. The service narrows it per case (the handler must be
#: the assignee, a town officer must belong to the case's town); a citizen is recognised by the
#: tracking token, not by an account.
CASE_ROLES_OF_ACCOUNT: Mapping[Role, frozenset[CaseRole]] = {
    Role.CITY_ADMIN: frozenset({CaseRole.DISPATCHER, CaseRole.VERIFIER}),
    Role.TOWN_OFFICER: frozenset({CaseRole.DISPATCHER, CaseRole.VERIFIER}),
    Role.GRID_OFFICER: frozenset({CaseRole.HANDLER}),
    Role.BUREAU_ANALYST: frozenset(),
    Role.DEPARTMENT: frozenset(),
    Role.ENTERPRISE: frozenset(),
    Role.PUBLIC: frozenset(),
}
#: The account roles that play some part on cases (the others only read, or see none).
CASE_ACTOR_ROLES: frozenset[Role] = frozenset(role for role, parts in CASE_ROLES_OF_ACCOUNT.items() if parts)


class Requirement(enum.StrEnum):
    """Evidence an action needs (the ``requires`` column of the table)."""

    NOTE = "note"  # a non-blank note
    PHOTO = "photo"  # at least one attachment of an image media type
    LOCATION = "location"  # where the officer stood (lon, lat)
    RATING = "rating"  # the reporter's rating, 1..5


#: Media types accepted as a photo (the storage layer checks the bytes match the type).
PHOTO_MEDIA_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})
#: Ratings a reporter may give (1 = very dissatisfied .. 5 = very satisfied, as 12345 surveys ask).
RATING_RANGE = range(1, 6)

_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file attached to an event, by its content: ``sha256`` (hex, lower case), ``size``
    [bytes], ``media_type`` (e.g. ``image/jpeg``). The bytes live in storage under the hash."""

    sha256: str
    size: int
    media_type: str

    def __post_init__(self) -> None:
        if not _SHA256.fullmatch(self.sha256):
            raise InvalidInput(f"not a SHA-256 hex digest: {self.sha256!r}", field="sha256")
        if self.size <= 0:
            raise InvalidInput(f"an attachment has at least 1 byte, not {self.size}", field="size")
        if "/" not in self.media_type:
            raise InvalidInput(f"not a media type: {self.media_type!r}", field="media_type")

    @property
    def is_photo(self) -> bool:
        return self.media_type in PHOTO_MEDIA_TYPES

    def to_dict(self) -> dict[str, Any]:
        return {"sha256": self.sha256, "size": self.size, "media_type": self.media_type}


@dataclass(frozen=True, slots=True)
class Location:
    """A point: ``lon``, ``lat`` [degrees, WGS 84]."""

    lon: float
    lat: float

    def __post_init__(self) -> None:
        if not (-180.0 <= self.lon <= 180.0):
            raise InvalidInput(f"longitude {self.lon} is outside -180..180", field="lon")
        if not (-90.0 <= self.lat <= 90.0):
            raise InvalidInput(f"latitude {self.lat} is outside -90..90", field="lat")

    def to_dict(self) -> dict[str, float]:
        return {"lon": self.lon, "lat": self.lat}


@dataclass(frozen=True, slots=True)
class Evidence:
    """What an action carries: a note, attachments, a location, a rating (each optional; the
    table says which an action requires)."""

    note: str = ""
    attachments: tuple[Attachment, ...] = ()
    location: Location | None = None
    rating: int | None = None

    def __post_init__(self) -> None:
        if self.rating is not None and self.rating not in RATING_RANGE:
            raise InvalidInput(f"a rating is 1 to 5, not {self.rating}", field="rating")

    def provides(self, requirement: Requirement) -> bool:
        if requirement is Requirement.NOTE:
            return bool(self.note.strip())
        if requirement is Requirement.PHOTO:
            return any(a.is_photo for a in self.attachments)
        if requirement is Requirement.LOCATION:
            return self.location is not None
        return self.rating is not None


NO_EVIDENCE = Evidence()


@dataclass(frozen=True, slots=True)
class Transition:
    """One row of the table: ``action`` by one of ``roles`` takes ``from_state`` to ``to_state``
    when the evidence ``requires`` is given. ``row`` is its line in the CSV (for messages)."""

    from_state: CaseState
    action: CaseAction
    to_state: CaseState
    roles: frozenset[CaseRole]
    requires: tuple[Requirement, ...]
    source: str
    row: int = 0


@dataclass(frozen=True, slots=True)
class Category:
    """A kind of environmental problem (``cases/data/categories.csv``): who handles it, its
    default severity and its Open311 GeoReport v2 service (service_code, group, keywords)."""

    code: str
    name_zh: str
    name_en: str
    department: str
    default_severity: Severity
    deadline_class: str
    service_code: str
    service_group: str
    keywords: tuple[str, ...]
    source: str


@dataclass(frozen=True, slots=True)
class CaseEvent:
    """One append-only entry of a case's history: ``actor`` (user name, ``citizen`` or ``system``)
    acting as ``role`` did ``action`` at ``at``, taking the case from ``from_state`` to
    ``to_state`` (equal for remind, comment, revisit, ...). ``version`` is the case's version
    after the event (the first event of a case is version 1)."""

    case_id: int
    version: int
    actor: str
    role: CaseRole
    action: CaseAction
    at: datetime
    from_state: CaseState
    to_state: CaseState
    note: str = ""
    attachments: tuple[Attachment, ...] = ()
    location: Location | None = None
    rating: int | None = None

    @property
    def evidence(self) -> Evidence:
        return Evidence(self.note, self.attachments, self.location, self.rating)

    def to_dict(self) -> dict[str, Any]:
        return {
            "case_id": self.case_id,
            "version": self.version,
            "actor": self.actor,
            "role": self.role.value,
            "action": self.action.value,
            "at": self.at.isoformat(),
            "from_state": self.from_state.value,
            "to_state": self.to_state.value,
            "note": self.note,
            "attachments": [a.to_dict() for a in self.attachments],
            "location": None if self.location is None else self.location.to_dict(),
            "rating": self.rating,
        }


@dataclass(frozen=True, slots=True)
class Case:
    """A case as stored: ``state`` and ``version`` (the number of events so far; each action
    raises it by one, so a stale page is refused, see :func:`greenport.cases.lifecycle.act`).

    Where: ``location`` (WGS 84), ``division_code`` (the village or town it was routed by),
    ``grid_cell_code`` (the cell that owns it), ``town_code``; who: ``department`` (by category),
    ``assignee`` (the user name of the grid officer it is dispatched to); when (aware UTC):
    ``opened_at`` (受理, the deadline's clock starts), ``due_at``, ``submitted_at`` (the
    handler's last reply), ``closed_at``. ``escalation_level``: 0 none, 1 the town, 2 the city.
    ``tracking_number``: what the reporter of a citizen case follows and rates it by (never
    shown to anyone else). ``reporter_contact`` is personal data: shown only to the officers of
    the case, never in public views."""

    id: int
    source: CaseSource
    category: str
    state: CaseState
    version: int
    opened_at: datetime
    description: str = ""
    assignee: str | None = None
    division_code: str | None = None
    location: Location | None = None
    alarm_id: int | None = None
    tracking_number: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False)
    severity: Severity = Severity.MINOR
    title: str = ""
    department: str = ""
    grid_cell_code: str | None = None
    town_code: str | None = None
    site_id: int | None = None
    address: str = ""
    due_at: datetime | None = None
    submitted_at: datetime | None = None
    closed_at: datetime | None = None
    updated_at: datetime | None = None
    escalation_level: int = 0
    steps_done: tuple[str, ...] = ()
    paused_since: datetime | None = None
    rating: int | None = None
    reporter_contact: str | None = None
    opened_by: str = ""

    @property
    def is_open(self) -> bool:
        return self.state not in FINAL_STATES

    def overdue(self, now: datetime) -> bool:
        """Open and past its deadline at ``now``."""
        return self.is_open and self.due_at is not None and now > self.due_at

    def closed_on_time(self) -> bool | None:
        """Whether the handler's reply that led to closure came by the deadline (None while open
        or without a deadline): the on-time closure rate counts this (12345 按时办结)."""
        if self.is_open or self.due_at is None or self.submitted_at is None:
            return None
        return self.submitted_at <= self.due_at


@dataclass(frozen=True, slots=True)
class CaseScope:
    """Which cases a caller may see (the repository applies it in SQL).

    ``everything``: the city; otherwise the union of: cases in ``town_codes``, cases in the cells
    of grid officer ``officer_user_id`` (or assigned to ``assignee``), cases of ``department``.
    An empty scope sees nothing."""

    everything: bool = False
    town_codes: frozenset[str] = frozenset()
    officer_user_id: int | None = None
    assignee: str | None = None
    department: str | None = None


ALL_CASES = CaseScope(everything=True)
NO_CASES = CaseScope()


@dataclass(frozen=True, slots=True)
class AlarmCaseRule:
    """One row of ``data/alarm_cases.csv``: an alarm of ``rule`` / ``kind`` at a site of
    ``site_kind`` (``*``: any) with at least ``min_severity`` opens a case of ``category``."""

    rule: str
    kind: str
    site_kind: str
    min_severity: Severity
    category: str
    source: str
    row: int = 0
