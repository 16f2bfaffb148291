"""``greenport notifications deliver|outbox``: run delivery passes of the outbox and list its rows."""

from __future__ import annotations

import os
import threading
from typing import Any

import typer

from greenport.bootstrap import notification_config, notification_senders
from greenport.cli.context import console, container, fail, print_json
from greenport.kernel.errors import DomainError
from greenport.kernel.time import format_local, utcnow
from greenport.notifications import service as notifications_service
from greenport.notifications.model import Channel, DeliveryState

notifications_app = typer.Typer(
    help="Notifications: deliver the outbox (e-mail, robot webhooks), list its rows.", no_args_is_help=True
)

DATABASE_HELP = "Database URL (default: GREENPORT_DATABASE_URL)."


@notifications_app.command("deliver")
def deliver(
    once: bool = typer.Option(
        False, "--once", help="Run one pass and exit (default: a pass every --interval)."
    ),
    interval: float = typer.Option(10.0, "--interval", min=0.1, help="Seconds between passes [s]."),
    limit: int = typer.Option(100, "--limit", min=1, max=10_000, help="Most rows one pass sends."),
    as_json: bool = typer.Option(False, "--json", help="Print each pass's counts as JSON."),
    database: str = typer.Option(None, "--database", help=DATABASE_HELP),
) -> None:
    """Send the due rows of the outbox (claimed, sent, recorded: delivered, retried later or failed
    after the last attempt). E-mail needs GREENPORT_SMTP_HOST; each webhook route its
    GREENPORT_WEBHOOK_<NAME> variable. Stop the loop with Ctrl-C."""
    app = container(database)
    try:
        config = notification_config(app.settings)
    except DomainError as exc:
        fail(exc, as_json=as_json)
    senders = notification_senders(app.settings, config, os.environ)
    stop = threading.Event()
    try:
        while True:
            report = notifications_service.deliver_due(
                app.uow, now=utcnow(), senders=senders, limit=limit, policy=config.retry
            )
            counts = {
                "claimed": report.claimed,
                "delivered": report.delivered,
                "retried": report.retried,
                "failed": report.failed,
            }
            if as_json:
                print_json(counts)
            elif report.claimed or once:
                console.print(", ".join(f"{k} {v}" for k, v in counts.items()), markup=False)
            if once or stop.wait(interval):
                return
    except KeyboardInterrupt:
        return


@notifications_app.command("outbox")
def outbox(
    state: DeliveryState = typer.Option(None, "--state", help="Only rows in this state."),
    channel: Channel = typer.Option(None, "--channel", help="Only rows of this channel."),
    limit: int = typer.Option(200, "--limit", min=1, max=10_000, help="Most rows listed."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    database: str = typer.Option(None, "--database", help=DATABASE_HELP),
) -> None:
    """List outbox rows, newest first (a webhook row names its route, never the robot's URL);
    times in Beijing time (--json: ISO 8601 with offset)."""
    app = container(database)
    with app.uow() as uow:
        rows: list[dict[str, Any]] = [
            notifications_service.delivery_public(d)
            for d in notifications_service.outbox(uow, state=state, channel=channel, limit=limit)
        ]
    if as_json:
        print_json({"data": rows, "count": len(rows)})
        return
    for row in rows:
        console.print(
            f"{row['id']:>6}  {row['state']:<9} {row['channel']:<7} {row['recipient']:<30} "
            f"{row['topic']}/{row['subject_id']} {row['event']:<12} attempts {row['attempts']}  "
            f"next {format_local(row['next_attempt_at'])}  {row['last_error'] or ''}",
            markup=False,
        )


def register(app: typer.Typer) -> None:
    app.add_typer(notifications_app, name="notifications")
