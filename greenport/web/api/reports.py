"""Reports as JSON or documents: the monthly bulletin and the town scorecard."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from greenport.reports import render
from greenport.reports import service as reports
from greenport.web.auth import CITY_ROLES, Principal
from greenport.web.deps import UowDep, allow

router = APIRouter(prefix="/reports", tags=["reports"])

FORMAT = Annotated[str, Query(pattern="^(json|pdf|xlsx|docx)$")]


def _document(kind: str, name: str, data: bytes, fmt: str) -> Response:
    return Response(
        data,
        media_type=render.MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{kind}-{name}.{fmt}"'},
    )


@router.get("/bulletin", summary="Monthly environmental quality bulletin (环境质量月报)")
def get_bulletin(
    uow: UowDep,
    _: Annotated[Principal, allow(CITY_ROLES, city_wide=True)],
    month: Annotated[str, Query(pattern=r"^\d{4}-\d{2}$")],
    format: FORMAT = "json",
) -> Any:
    result = reports.bulletin(uow, month=month)
    if format == "json":
        return result.to_dict()
    return _document("bulletin", month, render.bulletin_bytes(result, format), format)


@router.get("/scorecard", summary="Town ecological scorecard (生态成绩单)")
def get_scorecard(
    uow: UowDep,
    _: Annotated[Principal, allow(CITY_ROLES, city_wide=True)],
    period: Annotated[str, Query(pattern=r"^\d{4}(-\d{2})?$")],
    format: FORMAT = "json",
) -> Any:
    result = reports.scorecard(uow, period=period)
    if format == "json":
        return result.to_dict()
    return _document("scorecard", period, render.scorecard_bytes(result, format), format)
