"""Registry pages: towns, a town, enterprises, an enterprise (profile, outlets, monitoring)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from greenport.accounts.model import CITY_ROLES, SIGNED_IN, Principal
from greenport.enterprises import service as enterprises_service
from greenport.enterprises.model import IndustryGroup
from greenport.regions import service as regions_service
from greenport.web.api.registry import find_enterprises, get_town
from greenport.web.deps import UowDep, allow
from greenport.web.pages.base import menu_page, render
from greenport.web.params import RowId

router = APIRouter(tags=["pages"], include_in_schema=False)
#: Enterprises per page of the enterprise list (and on a town's page, with a link to the rest).
ENTERPRISES_PER_PAGE = 50


@dataclass(frozen=True)
class TownsContext:
    towns: list[dict[str, Any]] = field(metadata={"help": "towns in scope"})
    parks: list[dict[str, Any]] = field(metadata={"help": "parks in scope"})
    grid_cells: list[dict[str, Any]] = field(metadata={"help": "grid cells in scope"})
    can_export: bool = field(metadata={"help": "may download the registry workbook"})
    can_import: bool = field(metadata={"help": "may upload enterprises/sites sheets (city admin)"})


@router.get("/towns")
def towns_page(request: Request, uow: UowDep, user: Annotated[Principal, menu_page("/towns")]) -> Response:
    scope = user.scope
    ctx = TownsContext(
        towns=regions_service.visible_towns(uow, scope=scope),
        parks=regions_service.visible_parks(uow, scope=scope) if user.role.value != "enterprise" else [],
        grid_cells=regions_service.visible_grid_cells(uow, scope=scope)
        if user.role.value != "enterprise"
        else [],
        can_export=user.role in CITY_ROLES,
        can_import=user.role.value == "city_admin",
    )
    return render(request, "towns.html", ctx)


@dataclass(frozen=True)
class TownContext:
    town: dict[str, Any] = field(metadata={"help": "the town with its sites"})
    enterprises: list[dict[str, Any]] = field(
        metadata={"help": "the town's first enterprises in scope (the rest: the enterprise list, filtered)"}
    )


@router.get("/towns/{code}")
def town_page(
    code: str, request: Request, uow: UowDep, user: Annotated[Principal, allow(SIGNED_IN)]
) -> Response:
    town = get_town(code, uow, user)
    enterprises, _count = enterprises_service.visible_enterprises(
        uow, scope=user.scope, town_code=code, limit=ENTERPRISES_PER_PAGE
    )
    return render(request, "town.html", TownContext(town=town, enterprises=enterprises))


@dataclass(frozen=True)
class EnterprisesContext:
    enterprises: list[dict[str, Any]] = field(metadata={"help": "one page of the matching enterprises"})
    count: int = field(metadata={"help": "how many in scope match the filters"})
    filters: dict[str, Any] = field(
        metadata={"help": "the filters applied: q, town, park, industry, class, order"}
    )
    towns: list[dict[str, Any]] = field(metadata={"help": "towns in scope (filter choices)"})
    parks: list[dict[str, Any]] = field(metadata={"help": "parks in scope (filter choices)"})
    industry_groups: list[str] = field(metadata={"help": "industry groups (filter choices)"})
    classes: list[str] = field(
        metadata={"help": "evaluation classes of the newest per-mu run (empty: none yet)"}
    )
    class_period: str | None = field(metadata={"help": "period of the run the classes come from"})
    page: int = field(metadata={"help": "current page (from 1)"})
    pages: int = field(metadata={"help": "number of pages"})
    links: dict[str, str | None] = field(metadata={"help": "URLs of the previous and next page"})


@router.get("/enterprises")
def enterprises_page(
    request: Request,
    uow: UowDep,
    user: Annotated[Principal, menu_page("/enterprises")],
    q: Annotated[str, Query(max_length=100)] = "",
    town_code: Annotated[str, Query(max_length=12)] = "",
    park_id: Annotated[str, Query(pattern=r"^\d{0,18}$", description="Park id; empty = all")] = "",
    industry_group: Annotated[str, Query(max_length=40)] = "",
    evaluation_class: Annotated[str, Query(max_length=10)] = "",
    order: Annotated[str, Query(pattern="^(name|credit_code|town|land)$")] = "name",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> Response:
    park = int(park_id) if park_id else None
    filters: dict[str, Any] = {
        "q": q,
        "town_code": town_code,
        "park_id": park,
        "industry_group": industry_group,
        "evaluation_class": evaluation_class,
        "order": order,
    }
    found = find_enterprises(
        uow,
        user,
        q=q,
        town_code=town_code or None,
        park_id=park,
        industry_group=industry_group or None,
        evaluation_class=evaluation_class or None,
        order=order,
        limit=ENTERPRISES_PER_PAGE,
        offset=(page - 1) * ENTERPRISES_PER_PAGE,
    )
    pages = max(1, -(-found["count"] // ENTERPRISES_PER_PAGE))

    def page_url(number: int) -> str:
        kept = [(k, v) for k, v in filters.items() if v not in ("", None)]
        return f"{request.url.path}?{urlencode([*kept, ('page', number)])}"

    scope = user.scope
    ctx = EnterprisesContext(
        enterprises=found["data"],
        count=found["count"],
        filters=filters,
        towns=regions_service.visible_towns(uow, scope=scope),
        parks=regions_service.visible_parks(uow, scope=scope, with_boundaries=False),
        industry_groups=[g.value for g in IndustryGroup],
        classes=found["classes"],
        class_period=found["class_period"],
        page=page,
        pages=pages,
        links={
            "prev": page_url(page - 1) if page > 1 else None,
            "next": page_url(page + 1) if page < pages else None,
        },
    )
    return render(request, "enterprises.html", ctx)


@dataclass(frozen=True)
class EnterpriseContext:
    enterprise: dict[str, Any] = field(metadata={"help": "profile"})
    outlets: list[dict[str, Any]] = field(metadata={"help": "gas and water outlets with monitoring links"})


@router.get("/enterprises/{enterprise_id}")
def enterprise_page(
    enterprise_id: RowId, request: Request, uow: UowDep, user: Annotated[Principal, allow(SIGNED_IN)]
) -> Response:
    enterprise = enterprises_service.visible_enterprise(uow, enterprise_id=enterprise_id, scope=user.scope)
    outlets = enterprises_service.visible_sites(uow, scope=user.scope, enterprise_id=enterprise_id)
    return render(request, "enterprise.html", EnterpriseContext(enterprise=enterprise, outlets=outlets))
