"""Tables of notifications: the outbox (``greenport.notifications``).

One row per (notice, channel, recipient); ``UNIQUE (dedupe_key, channel, recipient)`` makes a
notice enqueued twice (two processes, a retried transaction) stored once. In-app notices are the
rows of channel ``in_app`` (``recipient`` = the user id), delivered when stored; ``read_at`` marks
them read. ``claimed_until`` reserves a row for the process sending it; a claim that was never
recorded (the process died) expires and the row is claimed again (at-least-once delivery).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from greenport.storage.base import Base, UTCDateTime


class NotificationOutboxRow(Base):
    __tablename__ = "notification_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(20))
    recipient: Mapped[str] = mapped_column(String(320))
    # the notice (denormalised: a row renders without joins, whatever its topic)
    topic: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[int] = mapped_column(Integer)
    event: Mapped[str] = mapped_column(String(40))
    severity: Mapped[str] = mapped_column(String(10))
    site_id: Mapped[int | None] = mapped_column(Integer)
    town_code: Mapped[str | None] = mapped_column(String(12))
    enterprise_id: Mapped[int | None] = mapped_column(Integer)
    park_id: Mapped[int | None] = mapped_column(Integer)
    title_zh: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    body_zh: Mapped[str] = mapped_column(Text)
    body_en: Mapped[str] = mapped_column(Text)
    link: Mapped[str] = mapped_column(String(300))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # the delivery
    state: Mapped[str] = mapped_column(String(10))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        UniqueConstraint("dedupe_key", "channel", "recipient", name="uq_notification_outbox_key"),
        Index("ix_notification_outbox_due", "state", "next_attempt_at"),
        Index("ix_notification_outbox_inbox", "channel", "recipient", "id"),
    )
