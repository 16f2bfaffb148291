"""Administration: the audit log."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from greenport.accounts import service as accounts_service
from greenport.accounts.model import ADMINS, Principal
from greenport.web.deps import UowDep, allow

router = APIRouter(tags=["admin"])


@router.get("/audit", summary="Who changed what, newest first")
def list_audit(
    uow: UowDep, _: Annotated[Principal, allow(ADMINS)], limit: Annotated[int, Query(ge=1, le=1000)] = 200
) -> dict[str, Any]:
    rows = accounts_service.audit_entries(uow, limit=limit)
    return {"data": rows, "count": len(rows)}
