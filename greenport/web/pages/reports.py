"""The reports page: choose a month or year and a format, download the document.

The page only builds links to the existing ``/api/reports`` routes (the documents are made there)
and is gated by the same :data:`~greenport.web.api.reports.REPORT_GATE`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import Response

from greenport.accounts.model import Principal
from greenport.reports import service as reports
from greenport.web.deps import UowDep
from greenport.web.pages.base import menu_page, render

router = APIRouter(tags=["pages"], include_in_schema=False)

#: Formats offered for download, in the order shown.
FORMATS = ("pdf", "xlsx", "docx")


@dataclass(frozen=True)
class ReportsContext:
    month: str | None = field(metadata={"help": "YYYY-MM preselected: the latest month with data"})
    year: str | None = field(metadata={"help": "YYYY preselected for the scorecard"})
    formats: tuple[str, ...] = field(metadata={"help": "pdf, xlsx, docx"})


@router.get("/reports")
def reports_page(request: Request, uow: UowDep, _: Annotated[Principal, menu_page("/reports")]) -> Response:
    month = reports.latest_report_month(uow)
    ctx = ReportsContext(month=month, year=month[:4] if month else None, formats=FORMATS)
    return render(request, "reports.html", ctx)
