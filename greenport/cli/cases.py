"""``greenport cases``: list, show and act on cases (工单), run the deadline timer once, open the
cases of alarms that fired (docs/cases.md "Command line"). Thin over :mod:`greenport.cases.service`:
the operator acts as the city admin (the command-line principal), or as a stored user with ``--as``."""

from __future__ import annotations

import mimetypes
from datetime import datetime
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from greenport.accounts import service as accounts_service
from greenport.accounts.model import COMMAND_LINE, Principal
from greenport.bootstrap import UnitOfWork, notification_config
from greenport.cases import service
from greenport.cases.model import Case, CaseEvent, Location
from greenport.cli.context import console, container, fail, print_json, readable_file
from greenport.config import get_settings
from greenport.kernel.errors import DomainError, InvalidInput
from greenport.kernel.time import format_local, local_to_utc, utcnow

cases_app = typer.Typer(
    help="Cases (工单) on the grid (docs/cases.md): list, show, act, the deadline timer.",
    no_args_is_help=True,
)

_DB = typer.Option(None, "--database", help="Database URL (default: GREENPORT_DATABASE_URL).")
_JSON = typer.Option(False, "--json", help="Machine-readable output.")
_AS = typer.Option(
    None, "--as", help="Act and see as this stored user (e.g. a grid officer); default: the city admin."
)


def case_dict(case: Case) -> dict[str, Any]:
    """A case as the command line's JSON shows it (times ISO 8601 with offset, UTC)."""

    def iso(moment: datetime | None) -> str | None:
        return None if moment is None else moment.isoformat()

    return {
        "id": case.id,
        "source": case.source.value,
        "category": case.category,
        "severity": case.severity.value,
        "state": case.state.value,
        "version": case.version,
        "title": case.title,
        "description": case.description,
        "department": case.department,
        "assignee": case.assignee,
        "grid_cell_code": case.grid_cell_code,
        "town_code": case.town_code,
        "division_code": case.division_code,
        "site_id": case.site_id,
        "alarm_id": case.alarm_id,
        "address": case.address,
        "location": None if case.location is None else case.location.to_dict(),
        "opened_at": iso(case.opened_at),
        "due_at": iso(case.due_at),
        "submitted_at": iso(case.submitted_at),
        "closed_at": iso(case.closed_at),
        "updated_at": iso(case.updated_at),
        "paused_since": iso(case.paused_since),
        "escalation_level": case.escalation_level,
        "steps_done": list(case.steps_done),
        "rating": case.rating,
        "tracking_number": case.tracking_number,
        "reporter_contact": case.reporter_contact,
    }


def _principal(uow: UnitOfWork, username: str | None) -> Principal:
    if username is None:
        return COMMAND_LINE
    return accounts_service.principal_of(uow, accounts_service.get_user(uow, username=username))


def _when(text: str | None, *, field: str) -> datetime:
    """``text`` (ISO 8601; without an offset it is Beijing time) in UTC; now when None."""
    if text is None:
        return utcnow()
    try:
        return local_to_utc(datetime.fromisoformat(text))
    except ValueError:
        raise InvalidInput(f"{text!r} is not a time (YYYY-MM-DDTHH:MM[+08:00])", field=field) from None


def _row(case: Case, now: datetime) -> list[str]:
    late = " (overdue)" if case.overdue(now) else ""
    return [
        str(case.id),
        case.state.value,
        case.severity.value,
        case.category,
        case.title,
        case.grid_cell_code or "",
        case.assignee or "",
        format_local(case.due_at, empty="") + late,
        str(case.escalation_level or ""),
    ]


@cases_app.command("list")
def list_cases(
    assignee: str = typer.Option(None, "--assignee", help="Only the cases assigned to this user name."),
    status: str = typer.Option(None, "--status", help="open | a state: new, dispatched, ..., closed."),
    overdue: bool = typer.Option(False, "--overdue", help="Only open cases past their deadline."),
    town: str = typer.Option(None, "--town", help="Only the cases of this town (division code)."),
    limit: int = typer.Option(100, "--limit", min=1, max=1000, help="At most this many."),
    as_user: str = _AS,
    database: str = _DB,
    as_json: bool = _JSON,
) -> None:
    """Cases the caller may see, newest first; times in Beijing time (--json: ISO 8601)."""
    now = utcnow()
    try:
        with container(database).uow() as uow:
            found, total = service.list_cases(
                uow,
                principal=_principal(uow, as_user),
                now=now,
                assignee=assignee,
                status=status,
                overdue=overdue,
                town_code=town,
                limit=limit,
            )
    except DomainError as exc:
        fail(exc, as_json=as_json)
    if as_json:
        print_json({"total": total, "items": [case_dict(c) for c in found]})
        return
    table = Table("id", "state", "severity", "category", "title", "cell", "assignee", "due", "escalated")
    for case in found:
        table.add_row(*_row(case, now))
    console.print(table)
    console.print(f"{len(found)} of {total}")


def _event_row(event: CaseEvent) -> list[str]:
    files = f" [{len(event.attachments)} file(s)]" if event.attachments else ""
    return [
        str(event.version),
        format_local(event.at),
        event.action.value,
        event.from_state.value,
        event.to_state.value,
        f"{event.actor} ({event.role.value})",
        event.note + files,
    ]


@cases_app.command("show")
def show(
    case_id: int = typer.Argument(..., help="Case number."),
    as_user: str = _AS,
    database: str = _DB,
    as_json: bool = _JSON,
) -> None:
    """One case with its timeline (the append-only events) and the actions the caller may take."""
    try:
        with container(database).uow() as uow:
            view = service.get_case(uow, principal=_principal(uow, as_user), case_id=case_id)
    except DomainError as exc:
        fail(exc, as_json=as_json)
    if as_json:
        print_json(
            {
                "case": case_dict(view.case),
                "events": [e.to_dict() for e in view.events],
                "actions": [a.value for a in view.actions],
                "roles": [r.value for r in view.roles],
            }
        )
        return
    for key, value in case_dict(view.case).items():
        if value not in (None, "", [], 0) or key == "version":
            shown = format_local(value) if key.endswith(("_at", "_since")) else value
            console.print(f"[bold]{key}[/bold]: {shown}", highlight=False)
    table = Table("v", "at (Beijing)", "action", "from", "to", "by", "note")
    for event in view.events:
        table.add_row(*_event_row(event))
    console.print(table)
    console.print("actions: " + (", ".join(a.value for a in view.actions) or "none"))


def _photos(paths: list[Path]) -> list[tuple[bytes, str, str | None]]:
    """(bytes, file name, media type guessed from the name) of each file (the service checks the
    bytes' signature against the claim)."""
    found = []
    for path in paths:
        readable_file(path)
        found.append((path.read_bytes(), path.name, mimetypes.guess_type(path.name)[0]))
    return found


@cases_app.command("act")
def act(
    case_id: int = typer.Argument(..., help="Case number."),
    action: str = typer.Argument(..., help="dispatch, accept, start, submit, verify, close, comment, ..."),
    note: str = typer.Option("", "--note", help="What was done (stored with the event)."),
    as_user: str = _AS,
    version: int = typer.Option(
        None, "--version", help="The version you read (refused if the case changed since); default: current."
    ),
    photo: list[Path] = typer.Option(
        [], "--photo", help="A photo (JPEG, PNG or WebP) to attach; repeat for several."
    ),
    lon: float = typer.Option(None, "--lon", help="Where it was done: longitude [degrees, WGS 84]."),
    lat: float = typer.Option(None, "--lat", help="Where it was done: latitude [degrees, WGS 84]."),
    assignee: str = typer.Option(None, "--assignee", help="dispatch: to this grid officer (user name)."),
    transfer_to: str = typer.Option(None, "--transfer-to", help="transfer: to this grid cell (code)."),
    database: str = _DB,
    as_json: bool = _JSON,
) -> None:
    """One action on a case, checked by the state machine, the caller's part in the case and the
    evidence (submit and close need --note, --photo and --lon/--lat)."""
    now = utcnow()
    try:
        if (lon is None) != (lat is None):
            raise InvalidInput("give both --lon and --lat", field="location")
        location = None if lon is None else Location(lon, lat)
        photos = _photos(photo)
        with container(database).uow() as uow:
            principal = _principal(uow, as_user)
            expected = (
                version
                if version is not None
                else service.get_case(uow, principal=principal, case_id=case_id).case.version
            )
            case = service.act(
                uow,
                principal=principal,
                case_id=case_id,
                action=action,
                expected_version=expected,
                now=now,
                note=note,
                photos=photos,
                location=location,
                assignee=assignee,
                transfer_to=transfer_to,
                routes=_routes(),
            )
    except DomainError as exc:
        fail(exc, as_json=as_json)
    if as_json:
        print_json(case_dict(case))
    else:
        who = f", assigned to {case.assignee}" if case.assignee else ""
        console.print(f"case {case.id}: {action} → {case.state.value} (version {case.version}{who})")


@cases_app.command("tick")
def tick(
    now: str = typer.Option(
        None, "--now", help="Run as at this time (ISO 8601; no offset = Beijing time); default: now."
    ),
    database: str = _DB,
    as_json: bool = _JSON,
) -> None:
    """One pass of the deadline timer: remind, 催办, reprimand, escalate to the town, to the city,
    each once per deadline (the alarm evaluator runs it every GREENPORT_CASE_TIMER_SECONDS)."""
    try:
        moment = _when(now, field="now")
        with container(database).uow() as uow:
            report = service.tick(uow, now=moment, routes=_routes())
    except DomainError as exc:
        fail(exc, as_json=as_json)
    if as_json:
        print_json(
            {
                "steps": [{"case_id": c, "step": s} for c, s in report.steps],
                "conflicts": report.conflicts,
                "dated": [{"case_id": c, "due_at": d.isoformat()} for c, d in report.dated],
                "blocked": [{"case_id": c, "error": e} for c, e in report.blocked],
            }
        )
        return
    for case_id, step in report.steps:
        console.print(f"case {case_id}: {step}")
    for case_id, due in report.dated:
        console.print(f"case {case_id}: dated, due {format_local(due)}")
    for case_id, error in report.blocked:
        console.print(f"case {case_id}: waits: {error}", markup=False)
    console.print(f"{len(report.steps)} steps taken")


@cases_app.command("open-from-alarms")
def open_from_alarms(database: str = _DB, as_json: bool = _JSON) -> None:
    """Open a case for each alarm that fired and has none, as data/alarm_cases.csv says (the alarm
    evaluator does this after each pass)."""
    try:
        with container(database).uow() as uow:
            opened = service.open_from_alarms(uow, now=utcnow(), routes=_routes())
    except DomainError as exc:
        fail(exc, as_json=as_json)
    if as_json:
        print_json({"opened": opened})
    else:
        console.print(f"{len(opened)} cases opened" + (f": {', '.join(map(str, opened))}" if opened else ""))


@cases_app.command("open")
def open_case(
    category: str = typer.Option(
        ..., "--category", help="A category code (data/categories.csv), e.g. odour."
    ),
    description: str = typer.Option(..., "--description", help="What was found."),
    lon: float = typer.Option(None, "--lon", help="Where: longitude [degrees, WGS 84]."),
    lat: float = typer.Option(None, "--lat", help="Where: latitude [degrees, WGS 84]."),
    division: str = typer.Option(None, "--division", help="Or where: a village or town code (12 digits)."),
    address: str = typer.Option("", "--address", help="Address or landmark."),
    photo: list[Path] = typer.Option([], "--photo", help="A photo to attach; repeat for several."),
    as_user: str = _AS,
    database: str = _DB,
    as_json: bool = _JSON,
) -> None:
    """Open a case found on patrol (巡查发现): routed to the grid cell of the place and dispatched
    to its officer, like a citizen's report; a grid or town officer (--as) only in their town."""
    try:
        if (lon is None) != (lat is None):
            raise InvalidInput("give both --lon and --lat", field="location")
        location = None if lon is None else Location(lon, lat)
        photos = _photos(photo)
        with container(database).uow() as uow:
            case = service.open_patrol_case(
                uow,
                principal=_principal(uow, as_user),
                category=category,
                description=description,
                now=utcnow(),
                location=location,
                division_code=division,
                address=address,
                photos=photos,
                routes=_routes(),
            )
    except DomainError as exc:
        fail(exc, as_json=as_json)
    if as_json:
        print_json(case_dict(case))
    else:
        who = f", dispatched to {case.assignee}" if case.assignee else ", waiting for the dispatcher"
        console.print(f"case {case.id} opened in {case.grid_cell_code}{who}")


def _routes() -> Any:
    """The notification routes in force (GREENPORT_NOTIFICATION_ROUTES or the shipped ones)."""
    return notification_config(get_settings()).routes


def register(app: typer.Typer) -> None:
    app.add_typer(cases_app, name="cases")
