"""``greenport alarms``: list, show, acknowledge and silence alarms; the rules in force; evaluate."""

from __future__ import annotations

import os
import signal
import socket
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from greenport.accounts.model import COMMAND_LINE
from greenport.alarms import service
from greenport.alarms.model import Alarm
from greenport.bootstrap import notification_config, notification_senders
from greenport.cases.timer import CaseTimer
from greenport.cli.context import console, container, err_console, fail, print_json
from greenport.config import get_settings
from greenport.kernel.errors import DomainError, InvalidInput
from greenport.kernel.time import format_local, local_to_utc, utcnow
from greenport.notifications import service as notifications

alarms_app = typer.Typer(
    help="Alarms raised by the rules (docs/alarms.md): list, show, acknowledge, silence, rules.",
    no_args_is_help=True,
)

_DB = typer.Option(None, "--database", help="Database URL (default: GREENPORT_DATABASE_URL).")
_JSON = typer.Option(False, "--json", help="Machine-readable output.")


def _rules_path(path: Path | None) -> Path | None:
    return path if path is not None else get_settings().alarm_rules


def _row(alarm: Alarm) -> list[str]:
    peak = "" if alarm.peak is None else f"{alarm.peak:g}"
    limit = "" if alarm.limit is None else f" / {alarm.limit:g}"
    return [
        str(alarm.id),
        alarm.state.value,
        alarm.severity.value,
        alarm.rule_id,
        f"{alarm.site_code} {alarm.site_name}",
        alarm.parameter or "-",
        format_local(alarm.fired_at or alarm.first_breach_at),
        format_local(alarm.resolved_at, empty=""),
        f"{peak}{limit} {alarm.unit}".strip(),
        alarm.acknowledged_by or "",
    ]


@alarms_app.command("list")
def list_alarms(
    status: str = typer.Option(
        None,
        "--status",
        help="open (firing or recovering) | firing | recovering | pending | resolved | invalidated.",
    ),
    site: int = typer.Option(None, "--site", help="Only this site (id)."),
    severity: str = typer.Option(None, "--severity", help="info | minor | major | critical."),
    limit: int = typer.Option(100, "--limit", min=1, max=10000, help="At most this many, newest first."),
    database: str = _DB,
    as_json: bool = _JSON,
) -> None:
    """Alarms, newest first (every fired alarm unless --status narrows)."""
    try:
        with container(database).uow() as uow:
            found, total = service.visible_alarms(
                uow, COMMAND_LINE, status=status, site_id=site, severity=severity, limit=limit
            )
    except DomainError as exc:
        fail(exc, as_json=as_json)
    if as_json:
        print_json({"total": total, "items": [a.to_dict() for a in found]})
        return
    table = Table(
        "id", "state", "severity", "rule", "site", "parameter", "fired", "resolved", "peak / limit", "ack"
    )
    for alarm in found:
        table.add_row(*_row(alarm))
    console.print(table)
    console.print(f"{len(found)} of {total}")


@alarms_app.command("show")
def show(
    alarm_id: int = typer.Argument(..., help="Alarm id."),
    database: str = _DB,
    as_json: bool = _JSON,
) -> None:
    """One alarm with its events (the append-only history)."""
    try:
        with container(database).uow() as uow:
            alarm = service.alarm(uow, COMMAND_LINE, alarm_id)
            history = service.events(uow, COMMAND_LINE, alarm_id)
    except DomainError as exc:
        fail(exc, as_json=as_json)
    if as_json:
        print_json({"alarm": alarm.to_dict(), "events": [e.to_dict() for e in history]})
        return
    for key, value in alarm.to_dict().items():
        if value not in (None, ""):
            console.print(f"[bold]{key}[/bold]: {value}")
    table = Table("at (Beijing)", "event", "from", "to", "by", "note")
    for event in history:
        table.add_row(
            format_local(event.at),
            event.kind.value,
            event.from_state.value if event.from_state else "",
            event.to_state.value if event.to_state else "",
            event.actor or "",
            event.note or "",
        )
    console.print(table)


@alarms_app.command("ack")
def ack(
    alarm_id: int = typer.Argument(..., help="Alarm id."),
    note: str = typer.Option(None, "--note", help="What was done (stored with the acknowledgement)."),
    database: str = _DB,
    as_json: bool = _JSON,
) -> None:
    """Acknowledge an alarm (it stays open until its data clear it)."""
    try:
        with container(database).uow() as uow:
            alarm = service.acknowledge(uow, COMMAND_LINE, alarm_id, note=note, now=utcnow())
    except DomainError as exc:
        fail(exc, as_json=as_json)
    if as_json:
        print_json(alarm.to_dict())
    else:
        console.print(f"alarm {alarm_id} acknowledged")


@alarms_app.command("silence")
def silence(
    alarm_id: int = typer.Argument(..., help="Alarm id."),
    reason: str = typer.Option(..., "--reason", help="Why (stored with the silence)."),
    hours: float = typer.Option(None, "--hours", help="For this many hours (at most 7 days)."),
    until: str = typer.Option(None, "--until", help="Until this Beijing time, e.g. 2026-12-07T08:00."),
    database: str = _DB,
    as_json: bool = _JSON,
) -> None:
    """Stop notifications of an alarm for a bounded time (the alarm is still evaluated and shown)."""
    now = utcnow()
    try:
        if (hours is None) == (until is None):
            raise InvalidInput("give either --hours or --until", field="until")
        if hours is not None:
            end = now + timedelta(hours=hours)
        else:
            try:
                end = local_to_utc(datetime.fromisoformat(until))
            except ValueError:
                raise InvalidInput(f"{until!r} is not a time (YYYY-MM-DDTHH:MM)", field="until") from None
        with container(database).uow() as uow:
            alarm = service.silence(uow, COMMAND_LINE, alarm_id, until=end, reason=reason, now=now)
    except DomainError as exc:
        fail(exc, as_json=as_json)
    if as_json:
        print_json(alarm.to_dict())
    else:
        console.print(f"alarm {alarm_id} silenced until {format_local(end)}")


@alarms_app.command("unsilence")
def unsilence(
    alarm_id: int = typer.Argument(..., help="Alarm id."),
    database: str = _DB,
    as_json: bool = _JSON,
) -> None:
    """Lift a silence before it runs out: notifications of the alarm resume."""
    try:
        with container(database).uow() as uow:
            alarm = service.unsilence(uow, COMMAND_LINE, alarm_id, now=utcnow())
    except DomainError as exc:
        fail(exc, as_json=as_json)
    if as_json:
        print_json(alarm.to_dict())
    else:
        console.print(f"alarm {alarm_id}: silence lifted")


@alarms_app.command("rules")
def rules(
    check: Path = typer.Option(
        None, "--check", help="Check this rules file instead (errors name the file, rule and field)."
    ),
    as_json: bool = _JSON,
) -> None:
    """The alarm rules in force (GREENPORT_ALARM_RULES or the shipped ones)."""
    try:
        found = service.rules(check if check is not None else _rules_path(None))
    except DomainError as exc:
        fail(exc, as_json=as_json)
    if as_json:
        print_json([rule.to_dict() for rule in found])
        return
    table = Table("id", "kind", "family", "severity", "name", "site kinds", "hold", "recovery", "params")
    for rule in found:
        table.add_row(
            rule.id,
            rule.kind.value,
            rule.family or "",
            rule.severity.value,
            rule.name_zh,
            ", ".join(sorted(rule.site_kinds)),
            str(rule.hold),
            str(rule.recovery),
            ", ".join(f"{k}={v}" for k, v in rule.params.items()),
        )
    console.print(table)
    if check is not None:
        console.print(f"{check}: {len(found)} rules, valid")


@alarms_app.command("evaluate")
def evaluate(
    since: str = typer.Option(
        None,
        "--since",
        help="Re-evaluate every site from this Beijing date (YYYY-MM-DD), e.g. after an import; "
        "default: only what changed (the marks ingest leaves) and the clock.",
    ),
    database: str = _DB,
    as_json: bool = _JSON,
) -> None:
    """Run the alarm evaluator once now (ingest runs it every GREENPORT_ALARM_INTERVAL seconds)."""
    now = utcnow()
    try:
        rules_in_force = service.rules(_rules_path(None))
        with container(database).uow() as uow:
            if since is None:
                report = service.evaluate_pending(uow, rules=rules_in_force, now=now, holder="cli")
            else:
                try:
                    start = local_to_utc(datetime.fromisoformat(since))
                except ValueError:
                    raise InvalidInput(f"{since!r} is not a date (YYYY-MM-DD)", field="since") from None
                report = service.evaluate_everything(uow, rules=rules_in_force, since=start, now=now)
    except DomainError as exc:
        fail(exc, as_json=as_json)
    if as_json:
        print_json(report.to_dict())
    elif not report.ran:
        console.print("another process is evaluating (its lease runs); nothing done")
    else:
        console.print(
            f"{report.sites} sites evaluated: {report.opened} alarms opened, {report.changed} changed, "
            f"{report.invalidated} invalidated"
        )


@alarms_app.command("watch")
def watch(
    interval: float = typer.Option(
        None, "--interval", min=0.05, help="Seconds between passes (default: GREENPORT_ALARM_INTERVAL)."
    ),
    passes: int = typer.Option(0, "--passes", min=0, help="Stop after this many passes (0 = until SIGTERM)."),
    database: str = _DB,
) -> None:
    """Run the alarm evaluator: every INTERVAL seconds evaluate what changed and what the clock
    makes silent, announce what fired or resolved, open the cases of the alarms that fired, run the
    case deadline timer every GREENPORT_CASE_TIMER_SECONDS and deliver the due notifications.
    `greenport ingest` starts one; several may run (one at a time evaluates: a lease in the database)."""
    settings = get_settings()
    every = settings.alarm_interval if interval is None else interval
    try:
        rules_in_force = service.rules(_rules_path(None))
        routes = notification_config(settings)
    except DomainError as exc:
        fail(exc)
    senders = notification_senders(settings, routes, os.environ)
    app = container(database)
    holder = f"{socket.gethostname()}:{os.getpid()}:watch"[:80]
    case_timer = CaseTimer(every=timedelta(seconds=settings.case_timer_seconds), routes=routes.routes)
    stop = False

    def _stop(*_: Any) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, _stop)
    done = 0
    while not stop and (passes == 0 or done < passes):
        now = utcnow()
        report = service.evaluate_pass(
            app.uow, rules=rules_in_force, routes=routes.routes, now=now, holder=holder
        )
        if report.ran:
            try:
                case_timer.after_pass(app.uow, now=now)
            except DomainError as exc:  # e.g. no calendar for a deadline's year: said, and retried
                err_console.print(f"[red]case timer:[/red] {escape(str(exc))}", highlight=False)
        if report.ran and senders:
            notifications.deliver_due(app.uow, now=now, senders=senders, policy=routes.retry)
        done += 1
        if not stop and (passes == 0 or done < passes):
            time.sleep(every)


def register(app: typer.Typer) -> None:
    app.add_typer(alarms_app, name="alarms")
