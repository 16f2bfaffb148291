"""Registry reads: towns, grid cells, parks, enterprises (with outlets); Excel export/import."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, UploadFile
from fastapi.responses import Response

from greenport.accounts import service as accounts_service
from greenport.accounts.model import ADMINS, CITY_ROLES, OFFICERS, SIGNED_IN, Principal
from greenport.assessments import service as assessments_service
from greenport.enterprises import service as enterprises_service
from greenport.kernel.errors import InvalidInput
from greenport.kernel.fields import ImportOutcome
from greenport.regions import service as regions_service
from greenport.tabular import ImportLimits, Sheet, read_table, write_xlsx
from greenport.web.deps import SettingsDep, UowDep, allow, client_ip
from greenport.web.params import INT64_MAX, Offset, RowId

router = APIRouter(tags=["registry"])


def listing(rows: list[dict[str, Any]], count: int | None = None) -> dict[str, Any]:
    """The list envelope of every collection: ``{"data": [...], "count": n}``."""
    return {"data": rows, "count": len(rows) if count is None else count}


@router.get("/towns", summary="Towns (streets) in the caller's scope")
def list_towns(uow: UowDep, user: Annotated[Principal, allow(SIGNED_IN)]) -> dict[str, Any]:
    return listing(regions_service.visible_towns(uow, scope=user.scope))


@router.get("/towns/{code}", summary="One town with its enterprises and sites counts")
def get_town(code: str, uow: UowDep, user: Annotated[Principal, allow(SIGNED_IN)]) -> dict[str, Any]:
    town = regions_service.visible_town(uow, code=code, scope=user.scope)
    _rows, count = enterprises_service.visible_enterprises(uow, scope=user.scope, town_code=code, limit=1)
    town["enterprise_count"] = count
    town["sites"] = enterprises_service.visible_sites(uow, scope=user.scope, town_code=code)
    return town


@router.get("/grid-cells", summary="Grid cells (网格) in the caller's scope")
def list_grid_cells(uow: UowDep, user: Annotated[Principal, allow(OFFICERS)]) -> dict[str, Any]:
    return listing(regions_service.visible_grid_cells(uow, scope=user.scope))


@router.get("/parks", summary="Industrial parks in the caller's scope")
def list_parks(uow: UowDep, user: Annotated[Principal, allow(OFFICERS)]) -> dict[str, Any]:
    return listing(regions_service.visible_parks(uow, scope=user.scope))


#: The indicator system whose grades are the enterprises' evaluation classes (A-D, 亩均效益评价).
CLASS_SYSTEM = "enterprise_per_mu"


def find_enterprises(
    uow: UowDep,
    user: Principal,
    *,
    q: str = "",
    town_code: str | None = None,
    park_id: int | None = None,
    industry_group: str | None = None,
    evaluation_class: str | None = None,
    order: str = "name",
    descending: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> dict[str, Any]:
    """One page of the enterprises in the caller's scope matching the filters, each with its
    evaluation class from the newest per-mu run when there is one (``classes`` lists them and
    ``class_period`` names the run's period). An ``evaluation_class`` filter without any run, or
    naming a class the run does not give, is refused naming the field."""
    graded = assessments_service.latest_grades(uow, system_id=CLASS_SYSTEM)
    grades = graded[1] if graded else {}
    codes = None
    if evaluation_class:
        if evaluation_class not in set(grades.values()):
            known = ", ".join(sorted(set(grades.values()))) or "none (no per-mu evaluation run yet)"
            raise InvalidInput(
                f"evaluation_class must be one of {known}, not {evaluation_class!r}", field="evaluation_class"
            )
        codes = [code for code, grade in grades.items() if grade == evaluation_class]
    rows, count = enterprises_service.search_enterprises(
        uow,
        scope=user.scope,
        search=q,
        town_code=town_code,
        park_id=park_id,
        industry_group=industry_group,
        credit_codes=codes,
        order=order,
        descending=descending,
        limit=limit,
        offset=offset,
    )
    for row in rows:
        row["evaluation_class"] = grades.get(row["credit_code"])
    return {
        **listing(rows, count),
        "classes": sorted(set(grades.values())),
        "class_period": graded[0] if graded else None,
    }


@router.get("/enterprises", summary="Enterprises in the caller's scope (an enterprise user sees only itself)")
def list_enterprises(
    uow: UowDep,
    user: Annotated[Principal, allow(SIGNED_IN)],
    q: Annotated[str, Query(max_length=100, description="Part of the name or the credit code")] = "",
    town_code: Annotated[str | None, Query(max_length=12)] = None,
    park_id: Annotated[int | None, Query(ge=1, le=INT64_MAX)] = None,
    industry_group: Annotated[
        str | None, Query(max_length=40, description="metallurgy, chemicals, ...")
    ] = None,
    evaluation_class: Annotated[
        str | None, Query(max_length=10, description="Class of the newest per-mu run (A-D)")
    ] = None,
    order: Annotated[str, Query(pattern="^(name|credit_code|town|land|id)$")] = "id",
    descending: bool = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Offset = 0,
) -> dict[str, Any]:
    return find_enterprises(
        uow,
        user,
        q=q,
        town_code=town_code,
        park_id=park_id,
        industry_group=industry_group,
        evaluation_class=evaluation_class,
        order=order,
        descending=descending,
        limit=limit,
        offset=offset,
    )


@router.get("/enterprises/{enterprise_id}", summary="An enterprise's profile")
def get_enterprise(
    enterprise_id: RowId, uow: UowDep, user: Annotated[Principal, allow(SIGNED_IN)]
) -> dict[str, Any]:
    return enterprises_service.visible_enterprise(uow, enterprise_id=enterprise_id, scope=user.scope)


@router.get("/enterprises/{enterprise_id}/sites", summary="An enterprise's outlets (gas and water)")
def get_enterprise_sites(
    enterprise_id: RowId, uow: UowDep, user: Annotated[Principal, allow(SIGNED_IN)]
) -> dict[str, Any]:
    enterprises_service.visible_enterprise(uow, enterprise_id=enterprise_id, scope=user.scope)
    return listing(enterprises_service.visible_sites(uow, scope=user.scope, enterprise_id=enterprise_id))


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get(
    "/registry/export.xlsx",
    summary="The registry (towns, parks, enterprises, sites) in the caller's scope as one Excel workbook",
    response_class=Response,
    responses={200: {"description": "The workbook", "content": {XLSX: {}}}},
)
def export_registry(uow: UowDep, user: Annotated[Principal, allow(CITY_ROLES)]) -> Response:
    sheets = []
    for title, rows in enterprises_service.registry_workbook(uow, scope=user.scope).items():
        headers = list(rows[0].keys()) if rows else ["code"]
        sheets.append(Sheet(title, headers, [[r.get(h) for h in headers] for r in rows]))
    buffer = io.BytesIO()
    write_xlsx(buffer, sheets)
    return Response(
        buffer.getvalue(),
        media_type=XLSX,
        headers={"Content-Disposition": 'attachment; filename="registry.xlsx"'},
    )


#: The registry tables the web app imports, by the ``{kind}`` of the route.
IMPORTERS: dict[str, Callable[..., ImportOutcome]] = {
    "enterprises": enterprises_service.import_enterprises,
    "sites": enterprises_service.import_sites,
}


@router.post(
    "/registry/import/{kind}", summary="Import an Excel/CSV sheet through the registry import service"
)
def import_registry(
    kind: str,
    file: UploadFile,
    request: Request,
    uow: UowDep,
    settings: SettingsDep,
    user: Annotated[Principal, allow(ADMINS)],
) -> dict[str, Any]:
    """Read, check and write the whole file, all or nothing.

    A plain ``def``: FastAPI runs it in its thread pool, so parsing and checking a large file
    never holds up the event loop (and every other request). The file is bounded by the
    ``GREENPORT_IMPORT_*`` settings; a refused file answers 422 naming the limit, and a file of
    bad rows lists the first rows' errors with their total count.
    """
    importer = IMPORTERS.get(kind)
    if importer is None:
        raise InvalidInput(f"no registry import for {kind!r}; one of: {', '.join(IMPORTERS)}", field="kind")
    name = file.filename or "upload.xlsx"
    limits = ImportLimits.from_settings(settings)
    if file.size is not None:
        limits.check_size(file.size, name)
    raw = file.file.read(limits.max_bytes + 1)  # a size the client did not declare is bounded too
    table = read_table(name, data=raw, limits=limits)
    outcome = importer(uow, table.numbered(), headers=table.headers, source=name)
    accounts_service.record_audit(
        uow,
        principal=user,
        action="import",
        entity=kind,
        detail={"rows": len(table.rows), "file": file.filename},
        ip=client_ip(request),
    )
    request.app.state.hot.invalidate()  # new sites/firms reach the map at the next check (~2 s)
    return {"kind": kind, "rows": len(table.rows), "outcome": outcome.to_dict()}
