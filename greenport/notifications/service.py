"""Use cases of notifications: enqueue a notice, deliver what is due, the in-app inbox.

The outbox pattern: a notice is first *stored* — one pending row per (channel, recipient), in
the caller's transaction, so an alarm and its notifications commit together or not at all — and
*delivered* after, by :func:`deliver_due`, which any process may run (the CLI's
``greenport notifications deliver``; the lead wires one call per pass into the ingest and web
loops). Delivery is **at least once**:

1. a pass claims due rows in a short transaction of its own (``claimed_until`` = now + the
   policy's ``claim_seconds``; PostgreSQL ``FOR UPDATE SKIP LOCKED``, SQLite the write lock);
2. it sends each row *outside* that transaction (a slow SMTP relay holds no lock);
3. it records each outcome in its own transaction: delivered, retry after the policy's next
   delay, or failed after the last attempt.

A process that dies between 1 and 3 leaves its rows claimed; when the claim expires another pass
takes them again, so a notice is never lost, and in that one case may arrive twice. A crashed
claim does not count as an attempt (only recorded outcomes do).

In-app rows are delivered when stored: the bell reads them with :func:`inbox`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta

from greenport.accounts import service as accounts_service
from greenport.accounts.model import Principal
from greenport.kernel.errors import InvalidInput, PermissionDenied
from greenport.kernel.time import ensure_utc
from greenport.notifications.messages import mask_url
from greenport.notifications.model import (
    Channel,
    Delivery,
    DeliveryReport,
    DeliveryState,
    Notice,
    Recipient,
    RetryPolicy,
    Route,
)
from greenport.notifications.ports import DeliveryError, NotificationsUnitOfWork, Sender, UnitOfWorkFactory
from greenport.notifications.routes import recipients, shipped_routes

#: Most in-app rows one inbox call returns, and most ids one mark-read call takes.
INBOX_MAX = 200


def _recipients(uow: NotificationsUnitOfWork) -> list[Recipient]:
    """Every active user with the scope their requests get (``Principal.scope``)."""
    people = []
    for user in uow.accounts.list_users():
        if not user.active or user.id is None:
            continue
        principal = accounts_service.principal_of(uow, user)
        people.append(
            Recipient(user_id=user.id, role=user.role.value, scope=principal.scope, email=user.email)
        )
    return people


def enqueue(uow: NotificationsUnitOfWork, *, notice: Notice, routes: Sequence[Route], now: datetime) -> int:
    """Store one delivery of ``notice`` per (channel, recipient) the ``routes`` give, in the
    caller's unit of work (not committed here); the number of rows stored.

    Enqueued again with the same ``dedupe_key`` (another process, a retried transaction), the rows
    already stored are left as they are and not counted. In-app rows are stored delivered.
    ``now``: aware UTC datetime (the clock).
    """
    now = ensure_utc(now)
    stored = 0
    for channel, recipient in recipients(notice, routes, _recipients(uow)):
        state = DeliveryState.DELIVERED if channel is Channel.IN_APP else DeliveryState.PENDING
        if uow.notifications.add_delivery(notice, channel=channel, recipient=recipient, state=state, now=now):
            stored += 1
    return stored


def deliver_due(
    uow_factory: UnitOfWorkFactory,
    *,
    now: datetime,
    senders: Mapping[Channel, Sender],
    limit: int = 100,
    policy: RetryPolicy | None = None,
) -> DeliveryReport:
    """One delivery pass: claim up to ``limit`` due rows of the channels that have a sender,
    send each, record each outcome (module docstring). ``policy`` (default: the shipped routes
    file's ``retry``) gives the delays [s] between attempts and the claim's lifetime.

    ``now``: aware UTC datetime (the clock; a test passes its own). Rows of a channel without a
    sender (e-mail with no SMTP host set) stay pending.
    """
    now = ensure_utc(now)
    policy = policy or shipped_routes().retry
    with uow_factory() as uow:
        claimed = uow.notifications.claim_due(
            now=now,
            until=now + timedelta(seconds=policy.claim_seconds),
            channels=[c for c in senders if c is not Channel.IN_APP],
            limit=limit,
        )
    delivered = retried = failed = 0
    for delivery in claimed:
        error = _send(senders[delivery.channel], delivery)
        attempt = delivery.attempts + 1
        retry_at = None
        if error is None:
            delivered += 1
        elif attempt < policy.max_attempts:
            retry_at = now + timedelta(seconds=policy.delays[attempt - 1])
            retried += 1
        else:
            failed += 1
        with uow_factory() as uow:
            uow.notifications.record_attempt(
                delivery.id, at=now, delivered=error is None, error=error, retry_at=retry_at
            )
    return DeliveryReport(claimed=len(claimed), delivered=delivered, retried=retried, failed=failed)


def _send(sender: Sender, delivery: Delivery) -> str | None:
    """None when ``sender`` delivered, else the reason (secrets masked)."""
    try:
        sender.send(delivery)
    except DeliveryError as exc:
        return mask_url(str(exc))
    except Exception as exc:  # a sender's bug must not leave the row claimed and the pass dead
        return mask_url(f"{type(exc).__name__}: {exc}")
    return None


# --- in-app ---------------------------------------------------------------------------------------


def _own_id(principal: Principal) -> int:
    if principal.user_id is None:
        raise PermissionDenied("sign in to read your notifications")
    return principal.user_id


def inbox(
    uow: NotificationsUnitOfWork, principal: Principal, *, unread_only: bool = False, limit: int = 50
) -> list[Delivery]:
    """The caller's own in-app notifications, newest first (at most ``limit`` ≤ :data:`INBOX_MAX`)."""
    return uow.notifications.inbox(
        user_id=_own_id(principal), unread_only=unread_only, limit=max(1, min(limit, INBOX_MAX))
    )


def unread_count(uow: NotificationsUnitOfWork, principal: Principal) -> int:
    return uow.notifications.unread_count(user_id=_own_id(principal))


def mark_read(
    uow: NotificationsUnitOfWork, principal: Principal, ids: Iterable[int], *, now: datetime
) -> int:
    """Mark the caller's in-app notifications ``ids`` read; the number marked (ids of other users'
    rows, or already read, are not counted and not touched)."""
    wanted = sorted(set(ids))
    if len(wanted) > INBOX_MAX:
        raise InvalidInput(f"at most {INBOX_MAX} ids at once", field="ids")
    return uow.notifications.mark_read(user_id=_own_id(principal), ids=wanted, at=ensure_utc(now))


def outbox(
    uow: NotificationsUnitOfWork,
    *,
    state: DeliveryState | str | None = None,
    channel: Channel | str | None = None,
    limit: int = 200,
) -> list[Delivery]:
    """Outbox rows for an operator, newest first (filter by state and channel)."""
    return uow.notifications.deliveries(
        state=DeliveryState(state) if state is not None else None,
        channel=Channel(channel) if channel is not None else None,
        limit=limit,
    )


def delivery_public(delivery: Delivery) -> dict[str, object]:
    """A row as JSON (API and CLI): the notice, where it went, its state; no secret (a webhook's
    recipient is its route name, never its URL)."""
    notice = delivery.notice
    return {
        "id": delivery.id,
        "topic": notice.topic,
        "subject_id": notice.subject_id,
        "event": notice.event,
        "severity": str(notice.severity),
        "title_zh": notice.title_zh,
        "title_en": notice.title_en,
        "body_zh": notice.body_zh,
        "body_en": notice.body_en,
        "link": notice.link,
        "occurred_at": notice.occurred_at.isoformat(),
        "channel": delivery.channel.value,
        "recipient": delivery.recipient,
        "state": delivery.state.value,
        "attempts": delivery.attempts,
        "next_attempt_at": delivery.next_attempt_at.isoformat(),
        "delivered_at": delivery.delivered_at.isoformat() if delivery.delivered_at else None,
        "read_at": delivery.read_at.isoformat() if delivery.read_at else None,
        "last_error": delivery.last_error,
    }
