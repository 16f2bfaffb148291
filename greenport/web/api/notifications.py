"""The in-app inbox: the caller's own notifications (the bell) and marking them read."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from greenport.accounts.model import SIGNED_IN, Principal
from greenport.kernel.time import utcnow
from greenport.notifications import service as notifications
from greenport.web.deps import UowDep, allow

router = APIRouter(prefix="/notifications", tags=["notifications"])


class ReadIn(BaseModel):
    ids: list[Annotated[int, Field(ge=1, le=2**63 - 1)]] = Field(
        max_length=notifications.INBOX_MAX, description="Ids of the caller's notifications to mark read."
    )


@router.get("", summary="My in-app notifications, newest first (unread=true: only unread)")
def my_notifications(
    uow: UowDep,
    user: Annotated[Principal, allow(SIGNED_IN)],
    unread: bool = False,
    limit: Annotated[int, Query(ge=1, le=notifications.INBOX_MAX)] = 50,
) -> dict[str, Any]:
    rows = [
        notifications.delivery_public(d)
        for d in notifications.inbox(uow, user, unread_only=unread, limit=limit)
    ]
    return {"data": rows, "count": len(rows), "unread": notifications.unread_count(uow, user)}


@router.post("/read", summary="Mark some of my notifications read (others' ids are ignored)")
def mark_read(body: ReadIn, uow: UowDep, user: Annotated[Principal, allow(SIGNED_IN)]) -> dict[str, Any]:
    marked = notifications.mark_read(uow, user, body.ids, now=utcnow())
    return {"ok": True, "marked": marked}
