"""Reports as JSON or documents: the monthly bulletin and the town scorecard."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from greenport.accounts.model import CITY_ROLES, Principal
from greenport.kernel.time import local_date, utcnow
from greenport.reports import render
from greenport.reports import service as reports
from greenport.web.deps import Gate, SettingsDep, UowDep
from greenport.web.params import Month, YearOrMonth

router = APIRouter(prefix="/reports", tags=["reports"])

#: Who may have the city's reports: city roles with a city-wide scope (the reports page uses the same gate).
REPORT_GATE = Gate(CITY_ROLES, city_wide=True)

FORMAT = Annotated[str, Query(pattern="^(json|pdf|xlsx|docx)$")]
#: What a report answers: JSON, or the document of the asked ``format``.
DOCUMENT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The report as JSON, or as a document (format=pdf|xlsx|docx)",
        "content": {media_type: {} for media_type in render.MEDIA_TYPES.values()},
    }
}


def _document(kind: str, name: str, data: bytes, fmt: str) -> Response:
    return Response(
        data,
        media_type=render.MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{kind}-{name}.{fmt}"'},
    )


@router.get(
    "/bulletin", summary="Monthly environmental quality bulletin (环境质量月报)", responses=DOCUMENT_RESPONSES
)
def get_bulletin(
    uow: UowDep,
    settings: SettingsDep,
    _: Annotated[Principal, Depends(REPORT_GATE)],
    month: Month,
    format: FORMAT = "json",
    issued: Annotated[date | None, Query(description="Issue date (default: today, Beijing time)")] = None,
) -> Any:
    issued_on = issued or local_date(utcnow())
    result = reports.bulletin(uow, month=month, issued_on=issued_on, issuer=settings.issuer)
    if format == "json":
        return result.to_dict()
    return _document("bulletin", month, render.bulletin_bytes(result, format), format)


@router.get("/scorecard", summary="Town ecological scorecard (生态成绩单)", responses=DOCUMENT_RESPONSES)
def get_scorecard(
    uow: UowDep,
    settings: SettingsDep,
    _: Annotated[Principal, Depends(REPORT_GATE)],
    period: YearOrMonth,
    format: FORMAT = "json",
    issued: Annotated[date | None, Query(description="Issue date (default: today, Beijing time)")] = None,
) -> Any:
    issued_on = issued or local_date(utcnow())
    result = reports.scorecard(uow, period=period, issued_on=issued_on, issuer=settings.issuer)
    if format == "json":
        return result.to_dict()
    return _document("scorecard", period, render.scorecard_bytes(result, format), format)
