"""Repository of notifications (``uow.notifications``): the outbox rows.

* :meth:`add_delivery` inserts with ``ON CONFLICT (dedupe_key, channel, recipient) DO NOTHING``
  (SQLite and PostgreSQL), so a notice enqueued twice is stored once and neither caller fails.
* :meth:`claim_due` reserves due rows for one sender by setting ``claimed_until`` in one
  ``UPDATE ... WHERE id IN (SELECT ... LIMIT n [FOR UPDATE SKIP LOCKED]) RETURNING id``: on
  PostgreSQL rows another process is claiming are skipped, not waited for; on SQLite the UPDATE
  takes the database's write lock, so two claims run one after the other and the second sees the
  first's ``claimed_until``. Either way two processes never claim one row at once.
It never commits (the unit of work does).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from greenport.notifications.model import Channel, Delivery, DeliveryState, Notice, Severity
from greenport.storage.notifications import NotificationOutboxRow as Outbox

#: Longest ``last_error`` kept [characters].
ERROR_CHARS = 500


def _delivery(row: Outbox) -> Delivery:
    return Delivery(
        id=row.id,
        notice=Notice(
            topic=row.topic,
            subject_id=row.subject_id,
            event=row.event,
            severity=Severity(row.severity),
            title_zh=row.title_zh,
            title_en=row.title_en,
            body_zh=row.body_zh,
            body_en=row.body_en,
            link=row.link,
            occurred_at=row.occurred_at,
            dedupe_key=row.dedupe_key,
            site_id=row.site_id,
            town_code=row.town_code,
            enterprise_id=row.enterprise_id,
            park_id=row.park_id,
        ),
        channel=Channel(row.channel),
        recipient=row.recipient,
        state=DeliveryState(row.state),
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        created_at=row.created_at,
        delivered_at=row.delivered_at,
        read_at=row.read_at,
        last_error=row.last_error,
    )


class NotificationsRepository:
    """The outbox (``uow.notifications``)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add_delivery(
        self,
        notice: Notice,
        *,
        channel: Channel,
        recipient: str,
        state: DeliveryState,
        now: datetime,
    ) -> bool:
        """Store one delivery of ``notice``; False when (dedupe key, channel, recipient) was stored already."""
        dialect = self.session.get_bind().dialect.name
        insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        values = {
            "dedupe_key": notice.dedupe_key,
            "channel": channel.value,
            "recipient": recipient,
            "topic": notice.topic,
            "subject_id": notice.subject_id,
            "event": notice.event,
            "severity": Severity(notice.severity).value,
            "site_id": notice.site_id,
            "town_code": notice.town_code,
            "enterprise_id": notice.enterprise_id,
            "park_id": notice.park_id,
            "title_zh": notice.title_zh,
            "title_en": notice.title_en,
            "body_zh": notice.body_zh,
            "body_en": notice.body_en,
            "link": notice.link,
            "occurred_at": notice.occurred_at,
            "state": state.value,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
            "delivered_at": now if state is DeliveryState.DELIVERED else None,
        }
        statement = (
            insert(Outbox)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["dedupe_key", "channel", "recipient"])
            .returning(Outbox.id)
        )
        return self.session.execute(statement).first() is not None

    def claim_due(
        self, *, now: datetime, until: datetime, channels: Sequence[Channel], limit: int
    ) -> list[Delivery]:
        """Reserve up to ``limit`` pending rows of ``channels`` due at ``now`` (and not claimed, or
        whose claim expired) until ``until``; the claimed rows, oldest due first."""
        if not channels or limit < 1:
            return []
        due = (
            select(Outbox.id)
            .where(
                Outbox.state == DeliveryState.PENDING.value,
                Outbox.channel.in_([c.value for c in channels]),
                Outbox.next_attempt_at <= now,
                or_(Outbox.claimed_until.is_(None), Outbox.claimed_until <= now),
            )
            .order_by(Outbox.next_attempt_at, Outbox.id)
            .limit(limit)
            .with_for_update(skip_locked=True)  # PostgreSQL; SQLite renders nothing and locks by the UPDATE
        )
        claim = (
            update(Outbox)
            .where(Outbox.id.in_(due.scalar_subquery()))
            .values(claimed_until=until)
            .returning(Outbox.id)
            .execution_options(synchronize_session=False)
        )
        ids = list(self.session.execute(claim).scalars())
        if not ids:
            return []
        rows = self.session.scalars(
            select(Outbox).where(Outbox.id.in_(ids)).order_by(Outbox.next_attempt_at, Outbox.id)
        )
        return [_delivery(row) for row in rows]

    def record_attempt(
        self,
        delivery_id: int,
        *,
        at: datetime,
        delivered: bool,
        error: str | None = None,
        retry_at: datetime | None = None,
    ) -> None:
        """Record one attempt of a pending row: delivered, to retry at ``retry_at``, or (neither) failed."""
        values: dict[str, object] = {"attempts": Outbox.attempts + 1, "claimed_until": None}
        if delivered:
            values.update(state=DeliveryState.DELIVERED.value, delivered_at=at, last_error=None)
        else:
            values["last_error"] = (error or "")[:ERROR_CHARS]
            if retry_at is not None:
                values["next_attempt_at"] = retry_at
            else:
                values["state"] = DeliveryState.FAILED.value
        self.session.execute(
            update(Outbox)
            .where(Outbox.id == delivery_id, Outbox.state == DeliveryState.PENDING.value)
            .values(**values)
            .execution_options(synchronize_session=False)
        )

    def _inbox_query(self, user_id: int):  # type: ignore[no-untyped-def]
        return select(Outbox).where(Outbox.channel == Channel.IN_APP.value, Outbox.recipient == str(user_id))

    def inbox(self, *, user_id: int, unread_only: bool, limit: int) -> list[Delivery]:
        """The in-app rows of user ``user_id``, newest first."""
        query = self._inbox_query(user_id)
        if unread_only:
            query = query.where(Outbox.read_at.is_(None))
        rows = self.session.scalars(query.order_by(Outbox.id.desc()).limit(limit))
        return [_delivery(row) for row in rows]

    def unread_count(self, *, user_id: int) -> int:
        return int(
            self.session.scalar(
                select(func.count()).select_from(
                    self._inbox_query(user_id).where(Outbox.read_at.is_(None)).subquery()
                )
            )
            or 0
        )

    def mark_read(self, *, user_id: int, ids: Sequence[int], at: datetime) -> int:
        """Mark the unread in-app rows ``ids`` of user ``user_id`` read (others' rows are left alone)."""
        if not ids:
            return 0
        result = self.session.execute(
            update(Outbox)
            .where(
                Outbox.channel == Channel.IN_APP.value,
                Outbox.recipient == str(user_id),
                Outbox.id.in_(list(ids)),
                Outbox.read_at.is_(None),
            )
            .values(read_at=at)
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    def deliveries(
        self, *, state: DeliveryState | None = None, channel: Channel | None = None, limit: int = 200
    ) -> list[Delivery]:
        """Outbox rows, newest first (operators: ``greenport notifications outbox``)."""
        query = select(Outbox)
        if state is not None:
            query = query.where(Outbox.state == state.value)
        if channel is not None:
            query = query.where(Outbox.channel == channel.value)
        return [_delivery(row) for row in self.session.scalars(query.order_by(Outbox.id.desc()).limit(limit))]
