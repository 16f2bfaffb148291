"""What the notifications service needs: its repository (``uow.notifications``,
``storage/notifications_repo.py``), the accounts repository (who the users are) and one sender
per channel (``senders.py``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Protocol

from greenport.accounts.ports import AccountsUnitOfWork
from greenport.notifications.model import Channel, Delivery, DeliveryState, Notice


class DeliveryError(Exception):
    """A sender could not deliver; the message says why and never holds a secret (a robot's
    access token or sign, an SMTP password): it is stored in ``last_error`` and shown."""


class Sender(Protocol):
    """Delivers one row on its channel, or raises :class:`DeliveryError`."""

    def send(self, delivery: Delivery) -> None: ...


class NotificationsRepository(Protocol):
    def add_delivery(
        self,
        notice: Notice,
        *,
        channel: Channel,
        recipient: str,
        state: DeliveryState,
        now: datetime,
    ) -> bool: ...

    def claim_due(
        self, *, now: datetime, until: datetime, channels: Sequence[Channel], limit: int
    ) -> list[Delivery]: ...

    def record_attempt(
        self,
        delivery_id: int,
        *,
        at: datetime,
        delivered: bool,
        error: str | None = None,
        retry_at: datetime | None = None,
    ) -> None: ...

    def inbox(self, *, user_id: int, unread_only: bool, limit: int) -> list[Delivery]: ...

    def unread_count(self, *, user_id: int) -> int: ...

    def mark_read(self, *, user_id: int, ids: Sequence[int], at: datetime) -> int: ...

    def deliveries(
        self, *, state: DeliveryState | None = None, channel: Channel | None = None, limit: int = 200
    ) -> list[Delivery]: ...


class NotificationsUnitOfWork(AccountsUnitOfWork, Protocol):
    @property
    def notifications(self) -> NotificationsRepository: ...


#: Opens a new unit of work (``Container.uow``): commit on leaving the block, roll back on error.
UnitOfWorkFactory = Callable[[], AbstractContextManager[NotificationsUnitOfWork]]
